"""Inter-rater agreement coefficients, vectorised with numpy.

Input
-----
Every coefficient takes a ratings matrix shaped (units, raters): a numpy array, a pandas
DataFrame or nested lists, of numbers or of labels ("yes"/"no"), with NaN, None or "" for a
missing rating, and returns a Python float.

Labels are turned into integer codes once. ``categories=`` gives the full ordered category list,
so that categories nobody used still count (they matter for Brennan–Prediger's 1/q, for the
weights and for ordinal alpha); a rating that is not in it raises ValueError naming the rating.
Numeric categories are put in ascending order of value; label categories keep the order given
(without ``categories``, labels are sorted).

Missing ratings
---------------
Incomplete units are never dropped; each coefficient treats missing ratings as its literature
does:

- the kappa family (percent agreement, Cohen, Scott, Fleiss, Conger, Gwet's AC1/AC2,
  Brennan–Prediger) follows Gwet, *Handbook of Inter-Rater Reliability*, 4th ed. (2014), as
  implemented by irrCAC (the R package ``irrCAC`` and its Python port ``irrCAC.raw.CAC``):
  units with no rating are left out; percent agreement is averaged over the units rated at least
  twice; the chance agreement uses every rating (category shares averaged over the units rated at
  least once; for Cohen and Conger, each rater's distribution over the units that rater rated).
  Values and standard errors match irrCAC to rounding error. One deliberate difference: for
  Cohen and Conger a rater column with no rating at all is left out (irrCAC returns NaN).
- Krippendorff's alpha uses the coincidence matrix of pairable values: units with fewer than two
  ratings drop out, each unit's ordered pairs weigh 1/(m_u − 1) (Krippendorff 2011, "Computing
  Krippendorff's Alpha-Reliability").
- The intraclass correlations are Shrout & Fleiss's (1979) ANOVA forms, which need a complete
  table: units with a missing rating are deleted listwise (and rater columns with no rating at
  all are ignored). The ANOVA estimators have no missing-data version; this is the usual
  practice, stated here so that reports can say so.

Weights
-------
``weights=None|'identity'|'linear'|'quadratic'`` are Gwet's agreement weights (Handbook, ch. 3;
irrCAC ``Weights``): with numeric categories x_1 < … < x_q, linear
w_kl = 1 − |x_k − x_l| / (x_max − x_min) and quadratic w_kl = 1 − (x_k − x_l)² / (x_max − x_min)²;
with label categories the ranks 1..q stand in for the values, i.e. 1 − |k − l|/(q − 1) and
1 − (k − l)²/(q − 1)². ``gwet_ac2`` is AC1 with agreement weights; as in irrCAC (``CAC.gwet()``
with its default ``weights="identity"``, which irrCAC then labels "AC1") its ``weights=None`` means
identity weights, so ``gwet_ac2(x) == gwet_ac1(x)``: pass ``weights='quadratic'`` (or linear) for
the weighted coefficient.

Undefined values
----------------
A coefficient that is not defined returns ``float('nan')`` (never a ZeroDivisionError or a numpy
warning): no unit rated by two raters; chance agreement equal to 1 (every rating in one
category, or only one category possible); for alpha, every pairable value the same; for the
ICC, fewer than two complete units or raters, or no variance. ``undefined_reason`` says which in
words.
"""

from __future__ import annotations

import functools
import math
import numbers
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from statistics import NormalDist
from typing import Any

import numpy as np

__all__ = [
    "COEFFICIENTS",
    "ICC_FORMS",
    "KAPPA_FAMILY",
    "LANDIS_KOCH",
    "LEVELS",
    "bootstrap_ci",
    "bootstrap_distribution",
    "brennan_prediger",
    "cohen_kappa",
    "conger_kappa",
    "dirichlet_interval",
    "disagreeing_units",
    "fleiss_kappa",
    "gwet_ac1",
    "gwet_ac2",
    "icc",
    "krippendorff_alpha",
    "krippendorff_label",
    "landis_koch",
    "percent_agreement",
    "same_majority",
    "scott_pi",
    "standard_error",
    "undefined_reason",
    "units_to_settle",
    "wilson_effective_n",
]

KAPPA_FAMILY = ("percent_agreement", "cohen_kappa", "scott_pi", "fleiss_kappa", "conger_kappa",
                "gwet_ac1", "gwet_ac2", "brennan_prediger")
LEVELS = ("nominal", "ordinal", "interval", "ratio")
ICC_FORMS = ("1,1", "2,1", "3,1", "1,k", "2,k", "3,k")
WEIGHTS = (None, "identity", "linear", "quadratic")

_PE_ONE = 1.0 - 1e-12  # chance agreement at least this counts as 1 (coefficient undefined)
_BLOCK = 1 << 22  # elements in one temporary block (resample weights, per-unit statistics)

NO_PAIR = "no unit was rated by two raters"
ONE_CATEGORY = "every rating is in one category"
ONE_POSSIBLE = "only one category is possible"
PE_ONE = "chance agreement is 1 (no room for agreement beyond chance)"


# ============================================================================ input


@dataclass(frozen=True)
class Coded:
    """Ratings as integer codes.

    ``codes``: (units × raters) int64, the category index of each rating, -1 where missing.
    ``categories``: the ordered categories; ``values``: their numeric values (ranks 1..q for
    labels); ``numeric``: whether the categories are numbers.
    """

    codes: np.ndarray
    categories: tuple[Any, ...]
    values: np.ndarray
    numeric: bool

    @property
    def q(self) -> int:
        return len(self.categories)


def _is_missing_scalar(x: Any) -> bool:
    if x is None:
        return True
    if isinstance(x, float | np.floating):
        return bool(x != x)
    if isinstance(x, str):
        return x.strip() == ""
    return type(x).__name__ in ("NAType", "NaTType")  # pandas.NA / NaT without importing pandas


def _is_real_scalar(x: Any) -> bool:
    return isinstance(x, numbers.Real | np.bool_)


_missing_ufunc = np.frompyfunc(_is_missing_scalar, 1, 1)
_real_ufunc = np.frompyfunc(_is_real_scalar, 1, 1)


def _all_numeric(items: Sequence[Any]) -> bool:
    return len(items) > 0 and all(isinstance(x, numbers.Real | np.bool_) for x in items)


def _as_matrix(ratings: Any) -> np.ndarray:
    if isinstance(ratings, np.ndarray):
        arr = ratings
    else:
        arr = np.asarray(ratings)
        if arr.dtype.kind in "USO":
            # keep None/NaN apart from the string "nan" numpy would make of them
            arr = np.asarray(ratings, dtype=object)
    if arr.ndim != 2:
        raise ValueError(f"ratings must be a matrix shaped (units, raters), got {arr.ndim} "
                         "dimension(s)")
    if arr.dtype.kind not in "biufUSO":
        raise ValueError(f"ratings of dtype {arr.dtype} are not supported")
    return arr


def _pretty(x: Any) -> Any:
    if isinstance(x, float | np.floating) and float(x).is_integer():
        return int(x)
    if isinstance(x, np.generic):
        return x.item()
    return x


def _not_a_category(label: Any, cats: Sequence[Any]) -> ValueError:
    shown = ", ".join(repr(_pretty(c)) for c in cats)
    return ValueError(f"rating {_pretty(label)!r} is not one of the categories ({shown})")


def encode(ratings: Any, categories: Sequence[Any] | None = None) -> Coded:
    """Turn a ratings matrix into integer codes over the given (or the observed) categories."""
    arr = _as_matrix(ratings)
    if arr.dtype.kind in "biuf":
        return _encode_numeric(arr.astype(float, copy=False), categories)
    if arr.dtype.kind in "US":
        missing = np.char.strip(arr.astype(str)) == ""
    else:
        missing = _missing_ufunc(arr).astype(bool) if arr.size else np.zeros(arr.shape, bool)
    present = arr[~missing]
    if arr.dtype.kind == "O" and present.size and _real_ufunc(present).astype(bool).all():
        x = np.full(arr.shape, np.nan)
        x[~missing] = present.astype(float)
        return _encode_numeric(x, categories)
    return _encode_labels(arr.shape, missing, present, categories)


def _encode_numeric(x: np.ndarray, categories: Sequence[Any] | None) -> Coded:
    if np.isinf(x).any():
        raise ValueError("ratings must be finite numbers (NaN for missing)")
    if categories is not None:
        cats = list(categories)
        if not _all_numeric(cats):
            valid = ~np.isnan(x)
            if valid.any():
                raise _not_a_category(x[valid][0], cats)
            return _encode_labels(x.shape, ~valid, np.empty(0, object), cats)
        cat_values = np.asarray(cats, dtype=float)
        order = np.argsort(cat_values, kind="stable")
        cats = [cats[i] for i in order]
        cat_values = cat_values[order]
        if cat_values.size and np.unique(cat_values).size != cat_values.size:
            raise ValueError("categories repeat")
        if not np.isfinite(cat_values).all():
            raise ValueError("categories must be finite numbers")
    else:
        cats = None
        cat_values = None
    codes, cat_values = _numeric_codes(x, cat_values, cats)
    if cats is None:
        cats = [float(v) for v in cat_values]
    return Coded(codes.astype(_code_dtype(len(cats)), copy=False), tuple(cats),
                 np.asarray(cat_values, dtype=float), True)


def _code_dtype(q: int) -> type:
    """The narrowest signed integer type holding the codes -1..q (less memory traffic)."""
    return np.int8 if q < 127 else np.int16 if q < 32767 else np.int32


def _numeric_codes(x: np.ndarray, cat_values: np.ndarray | None,
                   cats: list[Any] | None) -> tuple[np.ndarray, np.ndarray]:
    """Category index of every rating (-1 where missing), and the category values."""
    lo = float(np.fmin.reduce(x, axis=None)) if x.size else math.nan
    hi = float(np.fmax.reduce(x, axis=None)) if x.size else math.nan
    if math.isnan(lo):  # no rating at all
        return (np.full(x.shape, -1, dtype=np.int64),
                np.empty(0) if cat_values is None else cat_values)
    if hi - lo <= 1_000_000:
        # Whole-number scales (0/1, 1..5, 0..100): a lookup table instead of sorting, O(n) and
        # without boolean gathers. Missing ratings go to slot 0 of the table, value v to slot
        # v − lo + 1.
        off = np.where(np.isnan(x), lo - 1.0, x)
        off -= lo - 1.0
        oi = off.astype(np.intp)
        if np.array_equal(oi, off):
            del off
            span = int(hi - lo) + 2
            lut = np.full(span, -1, dtype=np.int64)
            if cat_values is None:
                used = np.flatnonzero(np.bincount(oi.ravel(), minlength=span)[1:])
                lut[used + 1] = np.arange(used.size)
                return lut.astype(_code_dtype(used.size))[oi], used + lo
            lut[1:] = -2  # values that are not categories
            rel = cat_values - lo + 1.0
            inside = (rel >= 1) & (rel < span) & (rel == np.floor(rel))
            lut[rel[inside].astype(np.int64)] = np.flatnonzero(inside)
            codes: np.ndarray = lut.astype(_code_dtype(cat_values.size))[oi]
            if codes.size and codes.min() < -1:
                raise _not_a_category(x[codes == -2][0], cats or list(cat_values))
            return codes, cat_values
    valid = ~np.isnan(x)
    xv = x[valid]
    codes = np.full(x.shape, -1, dtype=np.int64)
    if cat_values is None:
        cat_values, inv = np.unique(xv, return_inverse=True)
        codes[valid] = inv.ravel()
        return codes, cat_values
    pos = np.searchsorted(cat_values, xv)
    pos_c = np.minimum(pos, max(cat_values.size - 1, 0))
    bad = (pos >= cat_values.size) | (cat_values[pos_c] != xv) if cat_values.size else \
        np.ones(xv.shape, bool)
    if bad.any():
        raise _not_a_category(xv[bad][0], cats or list(cat_values))
    codes[valid] = pos
    return codes, cat_values


def _encode_labels(shape: tuple[int, ...], missing: np.ndarray, present: np.ndarray,
                   categories: Sequence[Any] | None) -> Coded:
    if present.size:
        try:
            uniq, first, inverse = np.unique(present, return_index=True, return_inverse=True)
            uniq_objects = list(uniq)
        except TypeError:  # labels of mixed types cannot be sorted: group them by their text
            keys = present.astype(str)
            _u, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
            uniq_objects = [present[i] for i in first]
    else:
        uniq_objects, inverse = [], np.empty(0, np.int64)
    if categories is None:
        cats = uniq_objects
        lut = np.arange(len(cats), dtype=np.int64)
    else:
        cats = list(categories)
        index: dict[Any, int] = {}
        for n, c in enumerate(cats):
            if c in index:
                raise ValueError(f"category {c!r} repeats")
            index[c] = n
        lut = np.empty(len(uniq_objects), dtype=np.int64)
        for n, label in enumerate(uniq_objects):  # a loop over distinct labels, not ratings
            if label not in index:
                raise _not_a_category(label, cats)
            lut[n] = index[label]
    codes: np.ndarray = np.full(shape, -1, dtype=_code_dtype(len(cats)))
    codes[~missing] = lut[np.asarray(inverse, dtype=np.int64).ravel()]
    numeric = _all_numeric(cats)
    values = (np.asarray(cats, dtype=float) if numeric
              else np.arange(1, len(cats) + 1, dtype=float))
    if numeric and len(cats) > 1:  # numbers given as objects with label categories: by value
        order = np.argsort(values, kind="stable")
        remap = np.empty_like(order)
        remap[order] = np.arange(order.size)
        codes = np.where(codes >= 0, remap[np.maximum(codes, 0)], -1)
        cats = [cats[i] for i in order]
        values = values[order]
    return Coded(codes.astype(_code_dtype(len(cats)), copy=False), tuple(cats), values, numeric)


def counts(coded: Coded) -> np.ndarray:
    """(units × categories) number of raters who put each unit in each category."""
    return _cross_counts(coded.codes, coded.q, by_rater=False)


def _cross_counts(codes: np.ndarray, q: int, by_rater: bool) -> np.ndarray:
    """Counts of each category per unit (units × q) or per rater (raters × q), by one bincount
    (missing ratings land in a column of their own that is then dropped)."""
    n, r = codes.shape
    if by_rater and q <= 16:  # column sums: a few passes over the narrow codes are cheaper
        out = np.empty((r, q))
        for k in range(q):
            out[:, k] = np.count_nonzero(codes == k, axis=0)
        return out
    size = r if by_rater else n
    offsets = np.arange(size, dtype=np.int64) * (q + 1) + 1
    flat = (offsets[None, :] if by_rater else offsets[:, None]) + codes
    counted = np.bincount(flat.ravel(), minlength=size * (q + 1)).reshape(size, q + 1)
    return counted[:, 1:].astype(float)


def weight_matrix(coded: Coded, weights: str | None) -> np.ndarray:
    """Gwet's agreement weights over the categories (identity, linear or quadratic)."""
    if weights not in WEIGHTS:
        raise ValueError(f"unknown weights {weights!r}: use None, 'identity', 'linear' or "
                         "'quadratic'")
    q = coded.q
    if weights in (None, "identity") or q < 2:
        return np.eye(q)
    x = coded.values
    diff = np.abs(x[:, None] - x[None, :]) / float(x.max() - x.min())
    return 1.0 - diff if weights == "linear" else 1.0 - diff**2


# ============================================================================ helpers


def _agg(m: np.ndarray | None, a: np.ndarray) -> np.ndarray:
    """Per-resample totals of per-unit statistics ``a`` (units × …) with unit weights ``m``
    (resamples × units); ``m=None`` is the sample itself (one row of ones)."""
    if m is None:
        return a.sum(axis=0, keepdims=True)
    return m @ a


def _rowsum(a: np.ndarray) -> np.ndarray:
    """Row sums of a (units × few columns) array; a matrix-vector product is much faster than
    numpy's reduction along a short last axis."""
    return a @ np.ones(a.shape[1]) if a.shape[1] else np.zeros(a.shape[0])


def _unit_blocks(n: int, width: int) -> Iterator[slice]:
    step = max(1, _BLOCK // max(width, 1))
    for start in range(0, n, step):
        yield slice(start, min(n, start + step))


def _kappa_ratio(pa: np.ndarray, pe: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        out = (pa - pe) / (1.0 - pe)
    return np.where(np.isnan(pa) | np.isnan(pe) | (pe >= _PE_ONE), np.nan, out)


def _check_kwargs(name: str, kwargs: dict[str, Any], allowed: tuple[str, ...]) -> None:
    for key in kwargs:
        if key not in allowed:
            raise TypeError(f"{name}() got an unexpected keyword argument {key!r}")


# ============================================================================ kappa family


class _Family:
    """Per-unit sufficient statistics of the kappa family (Gwet's notation).

    Units are those with at least one rating. ``stats`` stacks, per unit: Gwet's pa_i
    (Σ_k r_ik (r*_ik − 1) / (r_i (r_i − 1)) for r_i ≥ 2, else 0), the indicator r_i ≥ 2, 1, and the
    category shares r_ik / r_i, so that one matrix product aggregates any set of unit weights.
    """

    def __init__(self, name: str, coded: Coded, weights: str | None,
                 categories_given: bool = False):
        self.name = name
        self.categories_given = categories_given
        nmat_all = counts(coded)
        r_all = _rowsum(nmat_all)
        keep = r_all > 0
        self.units = np.flatnonzero(keep)
        self.coded = coded
        nmat = nmat_all[keep]
        r_i = r_all[keep]
        self.q = q = coded.q
        self.w = w = weight_matrix(coded, weights)
        self.identity = weights in (None, "identity") or q < 2
        weighted = nmat if self.identity else nmat @ w.T
        sum_q = _rowsum(nmat * (weighted - 1.0))
        two = r_i >= 2
        den = np.where(two, r_i * (r_i - 1.0), 1.0)
        pa_i = np.where(two, sum_q / den, 0.0)
        self.nmat, self.r_i, self.two, self.pa_i = nmat, r_i, two, pa_i
        self.stats = np.column_stack([pa_i, two.astype(float), np.ones(r_i.size),
                                      nmat / np.maximum(r_i, 1.0)[:, None]])
        self.n = int(r_i.size)
        self.n_used = int((nmat.sum(axis=0) > 0).sum())
        self.raters: np.ndarray | None = None
        if name in ("conger_kappa", "cohen_kappa"):
            codes = coded.codes[keep]
            self.raters = np.flatnonzero((codes >= 0).any(axis=0))
            self.codes = codes[:, self.raters]

    # -- point estimate and its pieces

    def _rater_classification(self) -> np.ndarray:
        """(raters × q) how many units each rater put in each category."""
        return _cross_counts(self.codes, self.q, by_rater=True)

    def batch(self, m: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        """(coefficient, chance agreement) for each row of unit weights ``m``."""
        tot = _agg(m, self.stats)
        with np.errstate(invalid="ignore", divide="ignore"):
            pa = tot[:, 0] / tot[:, 1]
            pi = tot[:, 3:] / tot[:, 2:3]
        name, w, q = self.name, self.w, self.q
        if name == "percent_agreement":
            return pa, np.zeros_like(pa)
        if q < 2:
            return np.full_like(pa, np.nan), np.ones_like(pa)
        if name in ("fleiss_kappa", "scott_pi"):
            pe = np.einsum("bk,kl,bl->b", pi, w, pi)
        elif name in ("gwet_ac1", "gwet_ac2"):
            pe = w.sum() * (pi * (1.0 - pi)).sum(axis=1) / (q * (q - 1))
        elif name == "brennan_prediger":
            pe = np.full_like(pa, w.sum() / q**2)
        else:  # conger_kappa, cohen_kappa
            if m is None:
                cls = self._rater_classification()[None]
            else:
                cls = np.stack([self._indicator_totals(m, k) for k in range(q)], axis=2)
            pe = self._conger_pe(cls)
        return _kappa_ratio(pa, pe), pe

    def _indicator_totals(self, m: np.ndarray, k: int) -> np.ndarray:
        """(resamples × raters): weighted number of units each rater put in category k."""
        out = np.zeros((m.shape[0], self.codes.shape[1]))
        for blk in _unit_blocks(self.codes.shape[0], self.codes.shape[1]):
            out += m[:, blk] @ (self.codes[blk] == k).astype(float)
        return out

    def _conger_pe(self, cls: np.ndarray) -> np.ndarray:
        """Conger's chance agreement from (resamples × raters × q) classification counts. Raters
        with no rating in a resample are left out, as in the point estimate."""
        ng = cls.sum(axis=2)
        active = ng > 0
        with np.errstate(invalid="ignore", divide="ignore"):
            p = np.where(active[:, :, None], cls / np.where(active, ng, 1.0)[:, :, None], 0.0)
            r = active.sum(axis=1).astype(float)
            pbar = p.sum(axis=1) / r[:, None]
            outer = pbar[:, :, None] * pbar[:, None, :]
            s2 = (np.einsum("bgk,bgl->bkl", p, p) - r[:, None, None] * outer) / (r - 1)[:, None,
                                                                                      None]
            pe = (self.w[None] * (outer - s2 / r[:, None, None])).sum(axis=(1, 2))
        return np.where(r >= 2, pe, np.nan)

    def point(self) -> tuple[float, str | None]:
        value, pe = self.batch(None)
        v = float(value[0])
        if not math.isnan(v):
            return v, None
        if not self.two.any():
            return math.nan, NO_PAIR
        if self.q < 2:
            return math.nan, ONE_POSSIBLE if self.categories_given else ONE_CATEGORY
        if self.n_used <= 1:
            return math.nan, ONE_CATEGORY
        return math.nan, PE_ONE

    # -- Gwet's standard errors (irrCAC, f = 0)

    def standard_error(self) -> float:
        value, pe_arr = self.batch(None)
        coef, pe = float(value[0]), float(pe_arr[0])
        n, n2 = self.n, int(self.two.sum())
        if math.isnan(coef) or n < 2 or n2 == 0:
            return math.nan
        pa_i = self.pa_i
        pa = float(pa_i.sum() / n2)
        if self.name == "percent_agreement":
            dev = (n / n2) * pa_i - pa
            return float(math.sqrt((dev**2).sum() / (n * (n - 1))))
        coef_i = (n / n2) * (pa_i - pe * self.two) / (1.0 - pe)
        if self.name == "brennan_prediger":
            return float(math.sqrt(((coef_i - coef) ** 2).sum() / (n * (n - 1))))
        w, q, r_i, nmat = self.w, self.q, self.r_i, self.nmat
        pi = self.stats[:, 3:].mean(axis=0)
        if self.name in ("fleiss_kappa", "scott_pi"):
            pi_w = (w @ pi + w.T @ pi) / 2.0
            pe_i = (nmat @ pi_w) / r_i
        elif self.name in ("gwet_ac1", "gwet_ac2"):
            pe_i = (w.sum() / (q * (q - 1))) * (nmat @ (1.0 - pi)) / r_i
        else:
            pe_i = self._conger_pe_i()
        coef_x = coef_i - 2.0 * (1.0 - coef) * (pe_i - pe) / (1.0 - pe)
        return float(math.sqrt(((coef_x - coef) ** 2).sum() / (n * (n - 1))))

    def _conger_pe_i(self) -> np.ndarray:
        """Gwet's per-unit chance-agreement terms for Conger's kappa (irrCAC's λ_ig, summed over
        raters): λ_ig = Σ_k (n/n_g)(r p̄_k − p_gk) Σ_l w_kl (δ_igl − (ε_ig − n_g/n) p_gl)."""
        cls = self._rater_classification()
        n = self.n
        r = cls.shape[0]
        ng = cls.sum(axis=1)
        p = cls / ng[:, None]
        c = (n / ng)[:, None] * (r * p.mean(axis=0)[None, :] - p)  # (r × q) over k
        mm = c @ self.w  # (r × q) over l: Σ_k c_gk w_kl
        s = (mm * p).sum(axis=1)  # (r,)
        codes = self.codes
        eps = (codes >= 0).astype(float)
        term1 = np.where(codes >= 0, mm[np.arange(r)[None, :], np.maximum(codes, 0)], 0.0)
        lam = term1 - (eps - (ng / n)[None, :]) * s[None, :]
        return _rowsum(lam) / (r * (r - 1))


# ============================================================================ alpha


def _delta2(level: str, values: np.ndarray, marg: np.ndarray) -> np.ndarray:
    """Krippendorff's squared difference δ²(c, k) over the categories, (…, q, q); ``marg`` holds
    the pairable-value totals n_c (…, q), used by the ordinal metric."""
    q = values.size
    if level == "nominal":
        return 1.0 - np.eye(q)
    if level == "ordinal":
        idx = np.arange(q)
        lo = np.minimum.outer(idx, idx)
        hi = np.maximum.outer(idx, idx)
        cum = np.cumsum(marg, axis=-1)
        # Σ_{g=c..k} n_g − (n_c + n_k)/2 for c ≤ k
        between = cum[..., hi] - cum[..., lo] + marg[..., lo]
        return (between - (marg[..., lo] + marg[..., hi]) / 2.0) ** 2
    if level == "interval":
        return (values[:, None] - values[None, :]) ** 2
    s = values[:, None] + values[None, :]
    with np.errstate(invalid="ignore", divide="ignore"):
        d = np.where(s != 0, (values[:, None] - values[None, :]) / s, 0.0)
    return d**2


class _Alpha:
    """Per-unit coincidence contributions of pairable units (Krippendorff 2011)."""

    def __init__(self, coded: Coded, level: str):
        if level not in LEVELS:
            raise ValueError(f"unknown level {level!r}: use one of {', '.join(LEVELS)}")
        if level in ("interval", "ratio") and not coded.numeric:
            raise ValueError(f"level {level!r} needs numeric ratings or categories")
        self.level = level
        nmat_all = counts(coded)
        m_u = _rowsum(nmat_all)
        pairable = m_u >= 2
        self.units = np.flatnonzero(pairable)
        used = nmat_all[pairable].sum(axis=0) > 0
        # unused categories have n_c = 0 and change nothing, also for the ordinal metric
        self.nmat = nmat_all[pairable][:, used]
        self.inv = 1.0 / (m_u[pairable] - 1.0)
        self.values = coded.values[used]
        self.qu = int(used.sum())
        if level != "ordinal":
            # δ² is fixed: each unit's coincidences reduce to Σ_ck o_uck δ²_ck, and one matrix
            # product of [that | n_uc] aggregates any set of unit weights
            self.d2 = d2 = _delta2(level, self.values, np.zeros(self.qu))
            d_u = _rowsum((self.nmat @ d2) * self.nmat) * self.inv
            self.stats = np.column_stack([d_u, self.nmat])

    def _coincidences(self, m: np.ndarray | None) -> np.ndarray:
        """(resamples × q × q) coincidence matrices,
        o_ck = Σ_u w_u (n_uc n_uk − [c = k] n_uc) / (m_u − 1)."""
        qu, nmat, inv = self.qu, self.nmat, self.inv
        if m is None:
            o = (nmat * inv[:, None]).T @ nmat
            o[np.diag_indices(qu)] -= (nmat * inv[:, None]).sum(axis=0)
            return o[None]
        out = np.zeros((m.shape[0], qu * qu))
        for blk in _unit_blocks(nmat.shape[0], qu * qu):
            nb, ib = nmat[blk], inv[blk]
            contrib = nb[:, :, None] * nb[:, None, :]
            contrib[:, np.arange(qu), np.arange(qu)] -= nb
            out += m[:, blk] @ (contrib * ib[:, None, None]).reshape(nb.shape[0], qu * qu)
        return out.reshape(-1, qu, qu)

    def batch(self, m: np.ndarray | None) -> np.ndarray:
        if self.qu == 0:
            return np.full(1 if m is None else m.shape[0], np.nan)
        if self.level == "ordinal":
            n_c = _agg(m, self.nmat)  # pairable values per category
            o = self._coincidences(m)
            d2 = _delta2("ordinal", self.values, n_c)
            d_o = (o * d2).sum(axis=(1, 2))
            d_e = (n_c[:, :, None] * n_c[:, None, :] * d2).sum(axis=(1, 2))
        else:
            tot = _agg(m, self.stats)
            d_o, n_c = tot[:, 0], tot[:, 1:]
            d_e = np.einsum("bk,kl,bl->b", n_c, self.d2, n_c)
        n = n_c.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            out = 1.0 - (n - 1.0) * d_o / d_e
        return np.where((d_e > 0) & (n > 1), out, np.nan)

    def point(self) -> tuple[float, str | None]:
        v = float(self.batch(None)[0])
        if not math.isnan(v):
            return v, None
        if self.units.size == 0:
            return math.nan, NO_PAIR
        return math.nan, ONE_CATEGORY


# ============================================================================ ICC


def _numeric_matrix(ratings: Any) -> np.ndarray:
    arr = _as_matrix(ratings)
    if arr.dtype.kind in "biuf":
        return arr.astype(float)
    if arr.dtype.kind in "US":
        raise ValueError("the ICC needs numeric ratings")
    missing = _missing_ufunc(arr).astype(bool) if arr.size else np.zeros(arr.shape, bool)
    present = arr[~missing]
    if present.size and not _real_ufunc(present).astype(bool).all():
        raise ValueError("the ICC needs numeric ratings")
    x = np.full(arr.shape, np.nan)
    x[~missing] = present.astype(float)
    return x


class _Icc:
    """Shrout & Fleiss (1979) two-way ANOVA from per-unit sums (complete units only)."""

    def __init__(self, ratings: Any, form: str):
        if form not in ICC_FORMS:
            raise ValueError(f"unknown ICC form {form!r}: use one of {', '.join(ICC_FORMS)}")
        self.form = form
        x = _numeric_matrix(ratings)
        if np.isinf(x).any():
            raise ValueError("ratings must be finite numbers (NaN for missing)")
        x = x[:, ~np.isnan(x).all(axis=0)] if x.shape[0] else x  # raters with no rating
        complete = ~np.isnan(x).any(axis=1)
        self.units = np.flatnonzero(complete)
        x = x[complete]
        self.k = x.shape[1]
        self.constant = x.size == 0 or bool(np.ptp(x) == 0)
        # shifting by a value from the data keeps a constant table exactly zero
        x = x - (x.flat[0] if x.size else 0.0)
        rows = _rowsum(x)
        self.stats = np.column_stack([rows, _rowsum(x**2), rows**2, x])

    def batch(self, m: np.ndarray | None) -> np.ndarray:
        k = self.k
        tot = _agg(m, self.stats)
        n = np.full(tot.shape[0], float(self.units.size)) if m is None else m.sum(axis=1)
        if k < 2:
            return np.full(tot.shape[0], np.nan)
        t, sq, rowsq, cols = tot[:, 0], tot[:, 1], tot[:, 2], tot[:, 3:]
        with np.errstate(invalid="ignore", divide="ignore"):
            corr = t**2 / (n * k)
            ss_total = sq - corr
            ss_r = rowsq / k - corr
            ss_c = (cols**2).sum(axis=1) / n - corr
            ss_e = ss_total - ss_r - ss_c
            tiny = 1e-12 * np.abs(ss_total)
            ss_r, ss_c, ss_e = (np.where(np.abs(s) <= tiny, 0.0, s) for s in (ss_r, ss_c, ss_e))
            msr = ss_r / (n - 1)
            msc = ss_c / (k - 1)
            mse = ss_e / ((n - 1) * (k - 1))
            msw = (ss_c + ss_e) / (n * (k - 1))
            form = self.form
            if form == "1,1":
                num, den = msr - msw, msr + (k - 1) * msw
            elif form == "2,1":
                num, den = msr - mse, msr + (k - 1) * mse + k * (msc - mse) / n
            elif form == "3,1":
                num, den = msr - mse, msr + (k - 1) * mse
            elif form == "1,k":
                num, den = msr - msw, msr
            elif form == "2,k":
                num, den = msr - mse, msr + (msc - mse) / n
            else:
                num, den = msr - mse, msr
            out = num / den
        return np.where(np.isfinite(out) & (den != 0) & (n >= 2), out, np.nan)

    def point(self) -> tuple[float, str | None]:
        if self.k < 2:
            return math.nan, "fewer than two raters"
        if self.units.size < 2:
            return math.nan, "fewer than two units were rated by every rater"
        v = float(self.batch(None)[0])
        if not math.isnan(v):
            return v, None
        if self.constant:
            return math.nan, "the ratings do not vary"
        return math.nan, "the mean squares leave it undefined (zero variance between units)"


# ============================================================================ dispatch


_FAMILY_KW = ("categories", "weights")


def _prepare(name: str, ratings: Any, kwargs: dict[str, Any]) -> _Family | _Alpha | _Icc:
    if name in KAPPA_FAMILY:
        _check_kwargs(name, kwargs, _FAMILY_KW)
        if name == "cohen_kappa":
            shape = _as_matrix(ratings).shape
            if shape[1] != 2:
                raise ValueError(f"Cohen's kappa needs exactly two raters (two columns), got "
                                 f"{shape[1]}; use conger_kappa or fleiss_kappa for more")
        categories = kwargs.get("categories")
        return _Family(name, encode(ratings, categories), kwargs.get("weights"),
                       categories_given=categories is not None)
    if name == "krippendorff_alpha":
        _check_kwargs(name, kwargs, ("level", "categories"))
        return _Alpha(encode(ratings, kwargs.get("categories")), kwargs.get("level", "nominal"))
    if name == "icc":
        _check_kwargs(name, kwargs, ("form",))
        return _Icc(ratings, kwargs.get("form", "2,1"))
    raise KeyError(f"unknown coefficient {name!r}: use one of {', '.join(COEFFICIENTS)}")


def _value(name: str, ratings: Any, **kwargs: Any) -> float:
    return _prepare(name, ratings, kwargs).point()[0]


# ============================================================================ public API


def percent_agreement(ratings: Any, *, categories: Sequence[Any] | None = None,
                      weights: str | None = None) -> float:
    """Percent agreement: the share of agreeing rater pairs, averaged over the units rated at
    least twice (with weights, partial credit w_kl for a pair rating k and l). NaN when no unit
    was rated by two raters."""
    return _value("percent_agreement", ratings, categories=categories, weights=weights)


def cohen_kappa(ratings: Any, *, categories: Sequence[Any] | None = None,
                weights: str | None = None) -> float:
    """Cohen's (1960) kappa for exactly two raters (two columns; ValueError otherwise); weighted
    (Cohen 1968) with ``weights``. Agreement over the units both raters rated; chance agreement
    from each rater's own distribution over the units that rater rated (Gwet's treatment of
    missing ratings; the same as Conger's kappa for two raters). NaN when undefined."""
    return _value("cohen_kappa", ratings, categories=categories, weights=weights)


def scott_pi(ratings: Any, *, categories: Sequence[Any] | None = None,
             weights: str | None = None) -> float:
    """Scott's (1955) pi: chance agreement from the pooled category distribution. For more than
    two raters this is Fleiss' (1971) generalisation, so it equals ``fleiss_kappa``. NaN when
    undefined."""
    return _value("scott_pi", ratings, categories=categories, weights=weights)


def fleiss_kappa(ratings: Any, *, categories: Sequence[Any] | None = None,
                 weights: str | None = None) -> float:
    """Fleiss' (1971) generalised kappa with Gwet's treatment of missing ratings (irrCAC
    ``fleiss``). NaN when undefined (no unit rated twice, or every rating in one category)."""
    return _value("fleiss_kappa", ratings, categories=categories, weights=weights)


def conger_kappa(ratings: Any, *, categories: Sequence[Any] | None = None,
                 weights: str | None = None) -> float:
    """Conger's (1980) kappa: Cohen-type chance agreement averaged over rater pairs (irrCAC
    ``conger``). Raters with no rating at all are left out. NaN when undefined."""
    return _value("conger_kappa", ratings, categories=categories, weights=weights)


def gwet_ac1(ratings: Any, *, categories: Sequence[Any] | None = None,
             weights: str | None = None) -> float:
    """Gwet's (2008) AC1; with ``weights`` it is AC2 (irrCAC ``gwet``). Chance agreement
    Σw/(q(q−1)) · Σ_k π_k(1 − π_k), so it stays defined when every rating is in one category
    provided ``categories`` lists more than one. NaN when undefined."""
    return _value("gwet_ac1", ratings, categories=categories, weights=weights)


def gwet_ac2(ratings: Any, *, categories: Sequence[Any] | None = None,
             weights: str | None = None) -> float:
    """Gwet's AC2: AC1 with agreement weights. ``weights=None`` means identity weights, as in
    irrCAC (whose ``gwet()`` defaults to identity and then reports "AC1"), so the result equals
    ``gwet_ac1``; pass ``weights='linear'`` or ``'quadratic'`` for ordered scales. NaN when
    undefined."""
    return _value("gwet_ac2", ratings, categories=categories, weights=weights)


def brennan_prediger(ratings: Any, *, categories: Sequence[Any] | None = None,
                     weights: str | None = None) -> float:
    """Brennan & Prediger (1981): chance agreement Σw/q² (1/q unweighted), so unused categories
    listed in ``categories`` matter. NaN when undefined (no unit rated twice; one category)."""
    return _value("brennan_prediger", ratings, categories=categories, weights=weights)


def krippendorff_alpha(ratings: Any, *, level: str = "nominal",
                       categories: Sequence[Any] | None = None) -> float:
    """Krippendorff's alpha at the nominal, ordinal, interval or ratio level, from the
    coincidence matrix of pairable values (Krippendorff 2011): units with fewer than two ratings
    drop out. Interval and ratio need numeric ratings; ordinal uses the category order (numeric
    order, or the order of ``categories`` for labels). NaN when no unit was rated twice or every
    pairable value is the same."""
    return _value("krippendorff_alpha", ratings, level=level, categories=categories)


def icc(ratings: Any, *, form: str = "2,1") -> float:
    """Intraclass correlation in Shrout & Fleiss's (1979) forms: '1,1' one-way random, '2,1'
    two-way random (absolute agreement), '3,1' two-way mixed (consistency), and their means of
    k raters '1,k', '2,k', '3,k'. Numeric ratings only. Units with a missing rating are deleted
    listwise (the ANOVA needs a complete table); rater columns with no rating are ignored. NaN
    with fewer than two complete units or raters, or no variance."""
    return _value("icc", ratings, form=form)


COEFFICIENTS: dict[str, Callable[..., float]] = {
    "percent_agreement": percent_agreement,
    "cohen_kappa": cohen_kappa,
    "scott_pi": scott_pi,
    "fleiss_kappa": fleiss_kappa,
    "conger_kappa": conger_kappa,
    "gwet_ac1": gwet_ac1,
    "gwet_ac2": gwet_ac2,
    "brennan_prediger": brennan_prediger,
    "krippendorff_alpha": krippendorff_alpha,
    "icc": icc,
}


def undefined_reason(name: str, ratings: Any, **kwargs: Any) -> str | None:
    """Why coefficient ``name`` is undefined (NaN) on these ratings, in a few words ("every
    rating is in one category", "no unit was rated by two raters", …); None when it is defined.
    ``kwargs`` are the coefficient's own (categories, weights, level, form)."""
    return _prepare(name, ratings, dict(kwargs)).point()[1]


def standard_error(name: str, ratings: Any, *, categories: Sequence[Any] | None = None,
                   weights: str | None = None) -> float:
    """Gwet's closed-form standard error of a kappa-family coefficient ('percent_agreement',
    'cohen_kappa', 'scott_pi', 'fleiss_kappa', 'conger_kappa', 'gwet_ac1', 'gwet_ac2',
    'brennan_prediger'), conditional on the raters and without finite-population correction
    (f = 0), as irrCAC reports it (Cohen: irrCAC's Conger formula with two raters; Scott:
    the Fleiss formula). NaN for 'krippendorff_alpha' and 'icc' (not provided here), and where
    the coefficient is undefined or fewer than two units were rated. KeyError for other names."""
    if name not in COEFFICIENTS:
        raise KeyError(f"unknown coefficient {name!r}: use one of {', '.join(COEFFICIENTS)}")
    if name not in KAPPA_FAMILY:
        return math.nan
    prep = _prepare(name, ratings, {"categories": categories, "weights": weights})
    assert isinstance(prep, _Family)
    return prep.standard_error()


# ============================================================================ bootstrap


def _resample_weights(rng: np.random.Generator, n: int, b: int) -> np.ndarray:
    """(b × n) multinomial counts: how often each of n units is drawn in each of b resamples of
    n units drawn with replacement."""
    idx = rng.integers(0, n, size=(b, n))
    idx += (np.arange(b, dtype=np.int64) * n)[:, None]
    return np.bincount(idx.ravel(), minlength=b * n).reshape(b, n).astype(float)


def _index_weights(idx: np.ndarray, n_rows: int, units: np.ndarray) -> np.ndarray:
    """(b × len(units)) counts of each eligible unit in each row of explicit row indices."""
    b = idx.shape[0]
    flat = (idx + (np.arange(b, dtype=np.int64) * n_rows)[:, None]).ravel()
    full = np.bincount(flat, minlength=b * n_rows).reshape(b, n_rows)
    return full[:, units].astype(float)


def _batch(prep: _Family | _Alpha | _Icc, m: np.ndarray) -> np.ndarray:
    if isinstance(prep, _Family):
        return prep.batch(m)[0]
    return prep.batch(m)


def bootstrap_distribution(name: str, ratings: Any, *, n_resamples: int = 1000,
                           seed: int | np.random.Generator | None = None,
                           indices: Any = None, **kwargs: Any) -> np.ndarray:
    """The coefficient on each of ``n_resamples`` bootstrap resamples of the units (NaN where a
    resample leaves it undefined), vectorised.

    The units resampled are the ones the coefficient uses: units with at least one rating for
    the kappa family, units with at least two for alpha, complete units for the ICC. Nothing is
    recomputed from the raw ratings: per-unit statistics (category counts, pairable coincidence
    contributions, rater × category indicators, ANOVA sums) are computed once, and a
    (resamples × units) matrix of multinomial draw counts aggregates them with one matrix
    product per block of resamples. The categories (and so q, the weights and the scale) stay
    those of the full sample.

    ``indices`` (optional, (resamples × draws) integers) gives the resamples explicitly as row
    indices into ``ratings``; resample b is then ``ratings[indices[b]]``. Otherwise draws come
    from ``np.random.default_rng(seed)``.
    """
    prep = _prepare(name, ratings, dict(kwargs))
    units = prep.units
    n = int(units.size)
    if indices is not None:
        idx = np.asarray(indices, dtype=np.int64)
        if idx.ndim != 2:
            raise ValueError("indices must be a (resamples × draws) integer array")
        n_rows = _as_matrix(ratings).shape[0]
        if idx.size and (idx.min() < -n_rows or idx.max() >= n_rows):
            raise IndexError("indices out of range for the ratings' units")
        idx = np.where(idx < 0, idx + n_rows, idx)
        step = max(1, _BLOCK // max(n_rows, 1))
        parts = [_batch(prep, _index_weights(idx[s:s + step], n_rows, units))
                 for s in range(0, idx.shape[0], step)]
        return np.concatenate(parts) if parts else np.empty(0)
    if n_resamples < 1:
        raise ValueError("n_resamples must be at least 1")
    if n == 0:
        return np.full(n_resamples, np.nan)
    rng = np.random.default_rng(seed)
    step = max(1, _BLOCK // n)
    parts = []
    for start in range(0, n_resamples, step):
        b = min(step, n_resamples - start)
        parts.append(_batch(prep, _resample_weights(rng, n, b)))
    return np.concatenate(parts)


def bootstrap_ci(name: str, ratings: Any, *, n_resamples: int = 1000, confidence: float = 0.95,
                 seed: int | np.random.Generator | None = None,
                 **kwargs: Any) -> tuple[float, float]:
    """Percentile bootstrap confidence interval of coefficient ``name`` (any key of
    ``COEFFICIENTS``; ``kwargs`` are its own), resampling units; seedable and vectorised (see
    ``bootstrap_distribution``). Resamples on which the coefficient is undefined are left out;
    (NaN, NaN) when it is undefined on all of them."""
    if not 0.0 < confidence < 1.0:
        raise ValueError("confidence must be between 0 and 1")
    return _equal_tailed(bootstrap_distribution(name, ratings, n_resamples=n_resamples,
                                                seed=seed, **kwargs), confidence)


def _equal_tailed(values: np.ndarray, confidence: float) -> tuple[float, float]:
    """The equal-tailed interval of draws (bootstrap resamples or posterior draws), leaving
    out those on which the coefficient is undefined; (NaN, NaN) when none is defined."""
    values = values[~np.isnan(values)]
    if values.size == 0:
        return (math.nan, math.nan)
    tail = (1.0 - confidence) / 2.0 * 100.0
    bounds = np.asarray(np.percentile(values, [tail, 100.0 - tail]), dtype=float)
    return (float(bounds[0]), float(bounds[1]))


def _boot_values(name: str, coded: Coded, m: np.ndarray, kwargs: dict[str, Any]) -> np.ndarray:
    """Coefficient for each row of unit weights ``m`` over the units with at least one rating
    of ``coded`` (kappa family and alpha)."""
    if name in KAPPA_FAMILY:
        prep: _Family | _Alpha = _Family(name, coded, kwargs.get("weights"))
    elif name == "krippendorff_alpha":
        prep = _Alpha(coded, kwargs.get("level", "nominal"))
    else:
        raise KeyError(name)
    rated = np.flatnonzero((coded.codes >= 0).any(axis=1))
    cols = np.searchsorted(rated, prep.units)
    return _batch(prep, np.asarray(m, dtype=float)[:, cols])


# ============================================================================ small samples
#
# At the size of a calibration session (ten interactions, a handful of raters, nearly everyone
# agreeing) the percentile bootstrap covers far less than its nominal level and is zero-width
# whenever nobody disagreed: there is no variation to resample. Two intervals that stay honest
# there: a Wilson score interval on an effective number of rating pairs for percent agreement,
# and a Bayesian interval from a Dirichlet posterior over the units' rating patterns for the
# chance-corrected coefficients.


def _z(confidence: float) -> float:
    if not 0.0 < confidence < 1.0:
        raise ValueError("confidence must be between 0 and 1")
    return NormalDist().inv_cdf(0.5 + confidence / 2.0)


def _pair_variance_ratio(r: np.ndarray, e: float) -> np.ndarray:
    """Var(a) / (PA (1 − PA)) for a unit's share of agreeing pairs a among r raters under the
    independent-error model: each rater gives the other answer of a yes/no question with
    probability e, so k ~ Binomial(r, e) dissent and a = 1 − 2k(r − k)/(r(r − 1)).
    In the limit e → 0 (one dissenter at a time) it is 2/r."""
    r = np.asarray(r, dtype=float)
    if e < 1e-7:
        return 2.0 / r
    out = np.empty(r.shape)
    for value in np.unique(r):
        n = int(value)
        k = np.arange(n + 1, dtype=float)
        log_pk = (np.array([math.lgamma(n + 1) - math.lgamma(j + 1) - math.lgamma(n - j + 1)
                            for j in range(n + 1)]) + k * math.log(e) + (n - k) * math.log1p(-e))
        pk = np.exp(log_pk)
        a = 1.0 - 2.0 * k * (n - k) / (n * (n - 1.0))
        mean = float(pk @ a)
        var = max(float(pk @ (a * a)) - mean * mean, 0.0)
        out[r == value] = var / (mean * (1.0 - mean))
    return out


@dataclass(frozen=True)
class EffectivePairs:
    """Percent agreement with its Wilson interval on ``n_eff`` = ``n_pairs`` / ``deff`` pairs."""

    value: float
    low: float
    high: float
    n_units: int  # units rated at least twice
    n_pairs: float  # rating pairs within those units
    deff: float  # design effect of the pairs' dependence within a unit
    n_eff: float


def wilson_effective_n(ratings: Any, *, categories: Sequence[Any] | None = None,
                       confidence: float = 0.95) -> EffectivePairs:
    """Percent agreement with a Wilson score interval on an effective number of rating pairs.

    The pairs within one unit are not independent (one dissenter spoils r − 1 of them), so,
    after Korn & Graubard (1998), the interval is Wilson's with n replaced by
    n_eff = n_pairs / deff. The design effect deff = Var(PA) · n_pairs / (PA (1 − PA)) is the
    larger of two estimates, and at least 1:

    - observed: Var(PA) = s²(a_i) / n, the between-unit variance of the units' shares of
      agreeing pairs a_i (undefined when every unit has the same a_i, e.g. nobody disagreed);
    - model: the same under independent rater errors at the observed agreement
      (``_pair_variance_ratio``), whose limit when nobody disagrees is deff = r − 1 for r raters
      per unit, so ten unanimous units of five raters give [87%, 100%], never [100%, 100%].

    n_eff is kept between the number of units and the number of pairs."""
    z = _z(confidence)
    fam = _Family("percent_agreement", encode(ratings, categories), None)
    a, r = fam.pa_i[fam.two], fam.r_i[fam.two]
    n2 = int(a.size)
    if n2 == 0:
        return EffectivePairs(math.nan, math.nan, math.nan, 0, 0.0, math.nan, math.nan)
    value = float(a.mean())
    n_pairs = float((r * (r - 1.0) / 2.0).sum())
    e = (1.0 - math.sqrt(max(2.0 * value - 1.0, 0.0))) / 2.0
    deff = max(1.0, n_pairs * float(_pair_variance_ratio(r, e).sum()) / n2**2)
    if n2 >= 2 and 0.0 < value < 1.0:
        observed = float(a.var(ddof=1)) / n2
        deff = max(deff, observed * n_pairs / (value * (1.0 - value)))
    n_eff = min(max(n_pairs / deff, float(n2)), n_pairs)
    deff = n_pairs / n_eff
    z2 = z * z / n_eff
    centre = (value + z2 / 2.0) / (1.0 + z2)
    half = z * math.sqrt(value * (1.0 - value) / n_eff + z2 / (4.0 * n_eff)) / (1.0 + z2)
    low = 0.0 if value == 0.0 else max(0.0, centre - half)  # exact at the ends (no rounding)
    high = 1.0 if value == 1.0 else min(1.0, centre + half)
    return EffectivePairs(value, low, high, n2, n_pairs, deff, n_eff)


def units_to_settle(value: float, target: float, *, deff: float, pairs_per_unit: float,
                    confidence: float = 0.95) -> int | None:
    """How many units (interactions) would settle whether agreement ``value`` is above or below
    ``target``: the smallest n whose Wilson interval on n_eff = n · pairs_per_unit / deff pairs
    excludes the target. The Wilson interval holds T exactly when (p − T)² ≤ z² T(1 − T)/n_eff,
    so n = ⌊z² T (1 − T) · deff / (pairs_per_unit · (p − T)²)⌋ + 1. None when the value equals
    the target or is undefined (no number of units settles it)."""
    if (math.isnan(value) or not 0.0 < target < 1.0 or value == target
            or not pairs_per_unit > 0 or not deff > 0):
        return None
    z = _z(confidence)
    n_eff = z * z * target * (1.0 - target) / (value - target) ** 2
    return int(math.floor(n_eff * deff / pairs_per_unit)) + 1


# Coefficients whose chance term comes from the pooled category shares (1 − Pe near 0 when one
# answer dominates, so a few interactions of the rarer answer carry the figure): their
# posterior is made as dispersed as Student's t at small n. The others use the Bayesian
# bootstrap's concentration, 1 per interaction. Both chosen by simulation (bench/coverage.py).
_T_CALIBRATED = ("krippendorff_alpha", "fleiss_kappa", "scott_pi")
_DIRICHLET = ("percent_agreement", "scott_pi", "fleiss_kappa", "gwet_ac1", "gwet_ac2",
              "brennan_prediger", "krippendorff_alpha")


@functools.lru_cache(maxsize=256)
def _unit_concentration(n: int, confidence: float) -> float:
    """Dirichlet concentration per observed unit. With weights Dirichlet(c, …, c) over n units a
    weighted mean has variance s² (n − 1) / (n (n c + 1)); c is chosen so that this is the
    t-interval's s²/n · (t_{n−1}/z)², i.e. c = ((n − 1)(z/t_{n−1})² − 1)/n (0.58 at n = 10,
    0.86 at 30, → 1, the Bayesian bootstrap, as n grows); at least 0.1."""
    from .stats import t_quantile

    if n < 2:
        return 1.0
    z = _z(confidence)
    t = t_quantile(0.5 + confidence / 2.0, n - 1)
    return max(0.1, ((n - 1) * (z / t) ** 2 - 1.0) / n)


def dirichlet_interval(name: str, ratings: Any, *, n_draws: int = 1000,
                       confidence: float = 0.95, prior_mass: float = 0.5,
                       seed: int | np.random.Generator | None = None,
                       **kwargs: Any) -> tuple[float, float]:
    """Equal-tailed Bayesian interval of coefficient ``name`` (percent agreement, Scott, Fleiss,
    Gwet AC1/AC2, Brennan–Prediger or Krippendorff's alpha: the coefficients that depend on a
    unit only through its counts per category) from a Dirichlet posterior over the units'
    rating patterns.

    A pattern is a unit's count of ratings per category. The posterior weights of the observed
    patterns are Dirichlet(c · count + prior): c per unit (1, the Bayesian bootstrap, for the
    Gwet, Brennan–Prediger and agreement figures; for alpha, Scott and Fleiss calibrated to
    Student's t at small n, ``_unit_concentration``), and ``prior_mass`` spread over unseen
    disagreeing patterns — for each category used, r − 1 raters on it and one on the next
    category of the scale, r the usual number of ratings per unit — so that when nobody
    disagreed the interval still allows the disagreement ten units cannot rule out. Each draw
    is the population value of the coefficient under those pattern weights (for alpha without
    the (n − 1) small-sample factor); draws on which it is undefined are left out; (NaN, NaN)
    when it is undefined on all."""
    if name not in _DIRICHLET:
        raise KeyError(f"no Dirichlet interval for {name!r}: use one of {', '.join(_DIRICHLET)}")
    if n_draws < 1:
        raise ValueError("n_draws must be at least 1")
    prep = _prepare(name, ratings, dict(kwargs))
    assert isinstance(prep, _Family | _Alpha)
    coded = encode(ratings, kwargs.get("categories"))
    q = coded.q
    nmat = counts(coded)[prep.units]
    if nmat.shape[0] == 0 or q == 0:
        return (math.nan, math.nan)
    patterns, multiplicity = np.unique(nmat, axis=0, return_counts=True)
    r_u = nmat.sum(axis=1)
    r_typ = int(max(2, round(float(np.median(r_u[r_u >= 2])) if (r_u >= 2).any() else 2)))
    pseudo = []
    if q >= 2 and prior_mass > 0:
        for k in np.flatnonzero(nmat.sum(axis=0) > 0):
            row = np.zeros(q)
            row[k] = r_typ - 1
            row[k + 1 if k + 1 < q else k - 1] += 1
            pseudo.append(row)
    rows = np.vstack([patterns, *pseudo]) if pseudo else patterns
    width = int(rows.sum(axis=1).max())
    codes = np.full((rows.shape[0], width), -1, dtype=np.int64)
    for u, row in enumerate(rows.astype(int)):
        codes[u, :row.sum()] = np.repeat(np.arange(q), row)
    aug = Coded(codes.astype(_code_dtype(q)), coded.categories, coded.values, coded.numeric)
    if isinstance(prep, _Family):
        pat: _Family | _Alpha = _Family(name, aug, kwargs.get("weights"))
    else:
        pat = _Alpha(aug, prep.level)
    c = _unit_concentration(int(nmat.shape[0]), confidence) if name in _T_CALIBRATED else 1.0
    conc = np.concatenate([c * multiplicity.astype(float),
                           np.full(len(pseudo), prior_mass / max(len(pseudo), 1))])
    rng = np.random.default_rng(seed)
    draws = rng.dirichlet(conc, size=n_draws)
    # a large total weight: alpha's (n − 1)/n factor → 1, the population value
    return _equal_tailed(_batch(pat, draws * 1e6), confidence)


def _majorities(ratings: Any, categories: Sequence[Any] | None) -> np.ndarray:
    """Each unit's majority category (its unique most frequent one), −1 for a tie; units with
    fewer than two ratings are left out."""
    nmat = counts(encode(ratings, categories))
    nmat = nmat[nmat.sum(axis=1) >= 2]
    if nmat.shape[0] == 0:
        return np.empty(0, dtype=np.int64)
    top = nmat.max(axis=1)
    unique_top = (nmat == top[:, None]).sum(axis=1) == 1
    return np.where(unique_top, nmat.argmax(axis=1), -1)


def same_majority(ratings: Any, *, categories: Sequence[Any] | None = None) -> bool:
    """Whether every unit rated at least twice that has a majority answer has the same one (ties
    have none). Then nothing tells units apart, and alpha and kappa, which measure how well the
    raters separate units, rest on a handful of dissenting ratings: they are not estimable."""
    maj = _majorities(ratings, categories)
    return bool(np.unique(maj[maj >= 0]).size < 2)


def disagreeing_units(ratings: Any, *, categories: Sequence[Any] | None = None) -> int:
    """How many units rated at least twice got more than one distinct answer."""
    nmat = counts(encode(ratings, categories))
    nmat = nmat[nmat.sum(axis=1) >= 2]
    return int(((nmat > 0).sum(axis=1) > 1).sum())


# ============================================================================ labels


LANDIS_KOCH: tuple[tuple[float, str], ...] = (
    (math.nextafter(0.0, -1.0), "poor"),  # i.e. below 0
    (0.2, "slight"), (0.4, "fair"), (0.6, "moderate"), (0.8, "substantial"),
    (math.inf, "almost perfect"),
)


def landis_koch(value: float, bands: Sequence[tuple[float, str]] | None = None) -> str:
    """Landis & Koch's (1977) reading of a kappa-type value: "poor" below 0, "slight" up to 0.2,
    "fair" up to 0.4, "moderate" up to 0.6, "substantial" up to 0.8, else "almost perfect".
    ``bands``: (upper bound, label) pairs; a value gets the label of the first band (in
    ascending order of bound) whose bound it does not exceed, and the last label above them all.
    "undefined" for NaN."""
    if value is None or math.isnan(value):
        return "undefined"
    ordered = sorted(bands if bands is not None else LANDIS_KOCH, key=lambda b: b[0])
    if not ordered:
        raise ValueError("bands must not be empty")
    for upper, label in ordered:
        if value <= upper:
            return label
    return ordered[-1][1]


def krippendorff_label(value: float, thresholds: tuple[float, float] = (0.667, 0.8)) -> str:
    """Krippendorff's (2004) reading of alpha: "reliable" from 0.8, "tentative" from 0.667
    (tentative conclusions only), else "unreliable"; "undefined" for NaN."""
    if value is None or math.isnan(value):
        return "undefined"
    low, high = thresholds
    return "reliable" if value >= high else "tentative" if value >= low else "unreliable"
