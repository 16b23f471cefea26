"""Inter-rater agreement coefficients, vectorised with numpy.

Every coefficient takes a ratings matrix shaped (units, raters) — a numpy array or nested lists
of numbers or labels ("yes"/"no"), with NaN or None for a missing rating — and returns a float.

Missing ratings follow the literature rather than dropping incomplete units:
- the kappa family (Gwet, Handbook of Inter-Rater Reliability, 4th ed., ch. 2–5, as implemented
  by irrCAC): percent agreement over the units rated at least twice; chance agreement from all
  ratings (category proportions averaged over every unit rated at least once);
- Krippendorff's alpha: the coincidence matrix over pairable values (units rated at least
  twice), as in Krippendorff (2011) "Computing Krippendorff's Alpha-Reliability";
- ICC: the Shrout & Fleiss (1979) ANOVA forms need complete rows, so units with a missing score
  are left out (listwise deletion).

An undefined coefficient returns NaN: chance agreement equal to 1 (every rating in one
category), no unit rated by two raters, or no variance for ICC. ``undefined_reason`` says which.

Weights (``weights=None|'identity'|'linear'|'quadratic'``) are Gwet's agreement weights: on
numeric categories linear w_kl = 1 − |x_k − x_l| / (x_max − x_min) and quadratic
1 − (x_k − x_l)² / (x_max − x_min)²; on labels the ranks 1..q stand in for the values.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

KAPPA_FAMILY = ("percent_agreement", "cohen_kappa", "scott_pi", "fleiss_kappa", "conger_kappa",
                "gwet_ac1", "gwet_ac2", "brennan_prediger")
LEVELS = ("nominal", "ordinal", "interval", "ratio")
ICC_FORMS = ("1,1", "2,1", "3,1", "1,k", "2,k", "3,k")


# ----------------------------------------------------------------------------- input


@dataclass
class Coded:
    """Ratings as integer codes: ``codes`` (units × raters), -1 where missing."""

    codes: np.ndarray
    categories: list[Any]
    values: np.ndarray  # numeric value of each category (ranks for labels)
    numeric: bool

    @property
    def q(self) -> int:
        return len(self.categories)


def _is_missing(x: Any) -> bool:
    if x is None:
        return True
    if isinstance(x, float | np.floating) and math.isnan(x):
        return True
    return isinstance(x, str) and x.strip() == ""


def encode(ratings: Any, categories: Sequence[Any] | None = None) -> Coded:
    """Turn a ratings matrix into integer codes over the (given or observed) categories."""
    arr = np.asarray(ratings, dtype=object) if not isinstance(ratings, np.ndarray) else ratings
    if arr.ndim != 2:
        raise ValueError("ratings must be a matrix shaped (units, raters)")
    if arr.dtype.kind in "fiub":
        num = arr.astype(float, copy=False)
        missing = np.isnan(num)
        fast = _encode_small_integers(num, missing, categories)
        if fast is not None:
            return fast
        observed = np.unique(num[~missing])
        if categories is None:
            cats: list[Any] = [float(v) for v in observed]
        else:
            cats = list(categories)
        cat_values = np.asarray(cats, dtype=float) if _all_numeric(cats) or not cats else None
        if cat_values is None:
            raise ValueError("numeric ratings need numeric categories")
        order = np.argsort(cat_values, kind="stable")
        cats = [cats[i] for i in order]
        cat_values = cat_values[order]
        if np.unique(cat_values).size != cat_values.size:
            raise ValueError("categories repeat")
        pos = np.searchsorted(cat_values, num[~missing])
        pos_ok = np.clip(pos, 0, len(cats) - 1)
        bad = (pos >= len(cats)) | (cat_values[pos_ok] != num[~missing])
        if bad.any():
            raise ValueError(f"rating {num[~missing][bad][0]!r} is not one of the categories")
        codes = np.full(arr.shape, -1, dtype=np.int64)
        codes[~missing] = pos
        return Coded(codes, cats, cat_values, True)
    flat = arr.ravel()
    missing = np.fromiter((_is_missing(x) for x in flat), dtype=bool, count=flat.size)
    present = flat[~missing]
    if categories is None:
        uniq = list(dict.fromkeys(present.tolist()))
        cats = sorted(uniq, key=_sort_key)
    else:
        cats = list(categories)
    index = {c: n for n, c in enumerate(cats)}
    if _all_numeric(cats):
        index.update({float(c): n for n, c in enumerate(cats)})
    try:
        pos = np.fromiter((index[x] for x in present), dtype=np.int64, count=present.size)
    except KeyError as exc:
        raise ValueError(f"rating {exc.args[0]!r} is not one of the categories") from None
    codes = np.full(flat.size, -1, dtype=np.int64)
    codes[~missing] = pos
    numeric = _all_numeric(cats)
    values = np.asarray(cats, dtype=float) if numeric else np.arange(1, len(cats) + 1, dtype=float)
    if numeric:
        order = np.argsort(values, kind="stable")
        remap = np.empty_like(order)
        remap[order] = np.arange(order.size)
        codes = np.where(codes >= 0, remap[np.maximum(codes, 0)], -1)
        cats = [cats[i] for i in order]
        values = values[order]
    return Coded(codes.reshape(arr.shape), cats, values, numeric)


def _encode_small_integers(
    num: np.ndarray, missing: np.ndarray, categories: Sequence[Any] | None
) -> Coded | None:
    """O(n) encoding for the usual case (whole-number scales such as 0/1 or 1..5): a lookup
    table replaces sorting. None when the data or categories do not fit it."""
    vals = num[~missing]
    if vals.size == 0:
        return None
    lo, hi = float(vals.min()), float(vals.max())
    if hi - lo > 100_000 or not np.array_equal(vals, np.floor(vals)):
        return None
    if categories is not None:
        if not _all_numeric(list(categories)):
            return None
        cat_values = np.sort(np.asarray(categories, dtype=float))
        if np.unique(cat_values).size != cat_values.size:
            raise ValueError("categories repeat")
        if not np.array_equal(cat_values, np.floor(cat_values)):
            return None
    offsets = (vals - lo).astype(np.int64)
    if categories is None:
        cat_values = np.flatnonzero(np.bincount(offsets)) + lo
    lut = np.full(int(hi - lo) + 1, -1, dtype=np.int64)
    inside = (cat_values >= lo) & (cat_values <= hi)
    lut[(cat_values[inside] - lo).astype(np.int64)] = np.flatnonzero(inside)
    codes_present = lut[offsets]
    if (codes_present < 0).any():
        bad = vals[codes_present < 0][0]
        raise ValueError(f"rating {bad!r} is not one of the categories")
    codes = np.full(num.shape, -1, dtype=np.int64)
    codes[~missing] = codes_present
    cats = [float(v) for v in cat_values] if categories is None else sorted(categories)
    return Coded(codes, cats, cat_values.astype(float), True)


def _all_numeric(items: Sequence[Any]) -> bool:
    return len(items) > 0 and all(
        isinstance(x, int | float | np.integer | np.floating) and not isinstance(x, bool)
        for x in items
    )


def _sort_key(x: Any) -> tuple[int, Any]:
    if isinstance(x, int | float | np.integer | np.floating) and not isinstance(x, bool):
        return (0, float(x))
    return (1, str(x))


def counts(coded: Coded) -> np.ndarray:
    """(units × categories) number of raters who put each unit in each category."""
    n, _r = coded.codes.shape
    q = coded.q
    ok = coded.codes >= 0
    flat = (np.arange(n)[:, None] * q + coded.codes)[ok]
    return np.bincount(flat, minlength=n * q).reshape(n, q).astype(float)


def weight_matrix(coded: Coded, weights: str | None) -> np.ndarray:
    q = coded.q
    if weights in (None, "identity", "unweighted"):
        return np.eye(q)
    x = coded.values
    span = float(x.max() - x.min()) if q > 1 else 1.0
    diff = np.abs(x[:, None] - x[None, :]) / (span if span > 0 else 1.0)
    if weights == "linear":
        return 1.0 - diff
    if weights == "quadratic":
        return 1.0 - diff**2
    raise ValueError(f"unknown weights {weights!r}: use None, 'linear' or 'quadratic'")


# ----------------------------------------------------------------------------- kappa family


@dataclass
class _Stats:
    """Per-unit sufficient statistics of the kappa family (Gwet's notation)."""

    n_units: int  # units with at least one rating
    r_i: np.ndarray  # raters per unit
    agree_i: np.ndarray  # Σ_k r_ik (r*_ik − 1) / (r_i (r_i − 1)) for r_i ≥ 2, else 0
    two: np.ndarray  # r_i ≥ 2
    share: np.ndarray  # r_ik / r_i (units × q), 0 for unrated units
    w: np.ndarray
    q: int


def _stats(coded: Coded, weights: str | None) -> _Stats:
    nmat = counts(coded)
    rated = nmat.sum(axis=1) > 0
    nmat = nmat[rated]
    r_i = nmat.sum(axis=1)
    w = weight_matrix(coded, weights)
    weighted = nmat @ w.T
    two = r_i >= 2
    den = np.where(two, r_i * (r_i - 1), 1.0)
    agree = np.where(two, (nmat * (weighted - 1)).sum(axis=1) / den, 0.0)
    share = nmat / np.maximum(r_i, 1)[:, None]
    return _Stats(int(rated.sum()), r_i, agree, two, share, w, coded.q)


def _pa_pi(st: _Stats) -> tuple[float, np.ndarray, int]:
    n2 = int(st.two.sum())
    pa = float(st.agree_i[st.two].sum() / n2) if n2 else math.nan
    pi = st.share.sum(axis=0) / st.n_units if st.n_units else np.full(st.q, math.nan)
    return pa, pi, n2


def _chance(name: str, pi: np.ndarray, w: np.ndarray, q: int) -> float:
    if name == "percent_agreement":
        return 0.0
    if q == 0:
        return math.nan
    if name in ("fleiss_kappa", "scott_pi"):
        return float(pi @ w @ pi)
    if name in ("gwet_ac1", "gwet_ac2"):
        return float(w.sum() * (pi * (1 - pi)).sum() / (q * (q - 1))) if q > 1 else 1.0
    if name == "brennan_prediger":
        return float(w.sum() / q**2)
    raise KeyError(name)


def _kappa(pa: float, pe: float) -> float:
    if math.isnan(pa) or math.isnan(pe) or pe >= 1 - 1e-12:
        return math.nan
    return (pa - pe) / (1 - pe)


def _family(name: str, ratings: Any, categories: Sequence[Any] | None,
            weights: str | None) -> float:
    coded = encode(ratings, categories)
    st = _stats(coded, weights)
    pa, pi, _n2 = _pa_pi(st)
    if name == "percent_agreement":
        return pa
    return _kappa(pa, _chance(name, pi, st.w, st.q))


def percent_agreement(ratings: Any, *, categories: Sequence[Any] | None = None,
                      weights: str | None = None) -> float:
    """Share of agreeing rater pairs over units rated at least twice (weighted: partial credit).
    NaN when no unit has two ratings."""
    return _family("percent_agreement", ratings, categories, weights)


def fleiss_kappa(ratings: Any, *, categories: Sequence[Any] | None = None,
                 weights: str | None = None) -> float:
    """Fleiss' (1971) kappa, with Gwet's treatment of missing ratings. NaN when undefined."""
    return _family("fleiss_kappa", ratings, categories, weights)


def scott_pi(ratings: Any, *, categories: Sequence[Any] | None = None,
             weights: str | None = None) -> float:
    """Scott's (1955) pi; for more than two raters its generalisation, Fleiss' kappa."""
    return _family("scott_pi", ratings, categories, weights)


def gwet_ac1(ratings: Any, *, categories: Sequence[Any] | None = None,
             weights: str | None = None) -> float:
    """Gwet's AC1 (unweighted) — robust when nearly every answer is in one category."""
    return _family("gwet_ac1", ratings, categories, weights)


def gwet_ac2(ratings: Any, *, categories: Sequence[Any] | None = None,
             weights: str | None = "quadratic") -> float:
    """Gwet's AC2: AC1 with agreement weights (quadratic by default, as in Gwet's handbook)."""
    return _family("gwet_ac2", ratings, categories, weights)


def brennan_prediger(ratings: Any, *, categories: Sequence[Any] | None = None,
                     weights: str | None = None) -> float:
    """Brennan & Prediger (1981): chance agreement 1/q (weighted: Σw/q²)."""
    return _family("brennan_prediger", ratings, categories, weights)


def _conger_parts(coded: Coded, w: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-rater classification proportions P (raters × q), their mean, and s²_kl."""
    codes = coded.codes[(coded.codes >= 0).any(axis=1)]
    _n, r = codes.shape
    q = coded.q
    ok = codes >= 0
    flat = (np.arange(r)[None, :] * q + codes)[ok]
    classif = np.bincount(flat, minlength=r * q).reshape(r, q).astype(float)
    ng = classif.sum(axis=1)
    p = classif / np.maximum(ng, 1)[:, None]
    pbar = p.mean(axis=0)
    s2 = (p.T @ p - r * np.outer(pbar, pbar)) / (r - 1) if r > 1 else np.zeros((q, q))
    return p, pbar, s2


def conger_kappa(ratings: Any, *, categories: Sequence[Any] | None = None,
                 weights: str | None = None) -> float:
    """Conger's (1980) kappa: chance agreement averaged over rater pairs (Cohen for 2 raters)."""
    coded = encode(ratings, categories)
    st = _stats(coded, weights)
    pa, _pi, _n2 = _pa_pi(st)
    r = coded.codes.shape[1]
    if r < 2:
        return math.nan
    _p, pbar, s2 = _conger_parts(coded, st.w)
    pe = float((st.w * (np.outer(pbar, pbar) - s2 / r)).sum())
    return _kappa(pa, pe)


def cohen_kappa(ratings: Any, *, categories: Sequence[Any] | None = None,
                weights: str | None = None) -> float:
    """Cohen's (1960) kappa (weighted: Cohen 1968) for exactly two raters; chance agreement from
    each rater's own marginals over the units they rated (Gwet's missing-data treatment)."""
    arr = np.asarray(ratings, dtype=object) if not isinstance(ratings, np.ndarray) else ratings
    if arr.ndim != 2 or arr.shape[1] != 2:
        raise ValueError("Cohen's kappa needs exactly two raters (two columns)")
    return conger_kappa(ratings, categories=categories, weights=weights)


# ----------------------------------------------------------------------------- alpha


def _delta2(coded: Coded, level: str, marg: np.ndarray) -> np.ndarray:
    """Krippendorff's squared difference function δ²(c, k) over the categories."""
    q = coded.q
    if level == "nominal":
        return 1.0 - np.eye(q)
    if level == "ordinal":
        cum = np.concatenate([[0.0], np.cumsum(marg)])
        # Σ_{g=c..k} n_g − (n_c + n_k)/2, for c ≤ k
        lo = np.minimum.outer(np.arange(q), np.arange(q))
        hi = np.maximum.outer(np.arange(q), np.arange(q))
        between = cum[hi + 1] - cum[lo]
        return (between - (marg[lo] + marg[hi]) / 2.0) ** 2
    if not coded.numeric:
        raise ValueError(f"level {level!r} needs numeric ratings")
    x = coded.values
    if level == "interval":
        return (x[:, None] - x[None, :]) ** 2
    if level == "ratio":
        s = x[:, None] + x[None, :]
        with np.errstate(invalid="ignore", divide="ignore"):
            d = np.where(s != 0, (x[:, None] - x[None, :]) / s, 0.0)
        return d**2
    raise ValueError(f"unknown level {level!r}: use one of {', '.join(LEVELS)}")


def _coincidence_parts(nmat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-unit coincidence contributions (units × q × q) reduced: returns (pairable weights
    1/(m_u−1) or 0, and the count matrix) so callers can aggregate with any unit weights."""
    m_u = nmat.sum(axis=1)
    inv = np.where(m_u >= 2, 1.0 / np.maximum(m_u - 1, 1), 0.0)
    return inv, nmat


def _alpha_from(o: np.ndarray, coded: Coded, level: str) -> float:
    n_c = o.sum(axis=1)
    n = n_c.sum()
    if n <= 1:
        return math.nan
    d2 = _delta2(coded, level, n_c)
    d_o = (o * d2).sum()
    d_e = (np.outer(n_c, n_c) * d2).sum()
    if d_e <= 0:
        return math.nan
    return float(1.0 - (n - 1) * d_o / d_e)


def _alpha_batch(o: np.ndarray, coded: Coded, level: str) -> np.ndarray:
    """Alpha for a stack of coincidence matrices (b × q × q)."""
    n_c = o.sum(axis=2)
    n = n_c.sum(axis=1)
    if level == "ordinal":
        d2 = np.stack([_delta2(coded, level, row) for row in n_c])
    else:
        d2 = np.broadcast_to(_delta2(coded, level, n_c[0]), o.shape)
    d_o = (o * d2).sum(axis=(1, 2))
    d_e = (n_c[:, :, None] * n_c[:, None, :] * d2).sum(axis=(1, 2))
    with np.errstate(invalid="ignore", divide="ignore"):
        out = 1.0 - (n - 1) * d_o / d_e
    return np.where((d_e > 0) & (n > 1), out, np.nan)


def krippendorff_alpha(ratings: Any, *, level: str = "nominal",
                       categories: Sequence[Any] | None = None) -> float:
    """Krippendorff's alpha at the nominal, ordinal, interval or ratio level, from the
    coincidence matrix of pairable values. NaN when no unit is rated twice or all pairable
    values are equal."""
    if level not in LEVELS:
        raise ValueError(f"unknown level {level!r}: use one of {', '.join(LEVELS)}")
    coded = encode(ratings, categories)
    inv, nmat = _coincidence_parts(counts(coded))
    o = (nmat * inv[:, None]).T @ nmat - np.diag((nmat * inv[:, None]).sum(axis=0))
    return _alpha_from(o, coded, level)


# ----------------------------------------------------------------------------- ICC


def _icc_from_ms(form: str, msr: np.ndarray, msc: np.ndarray, mse: np.ndarray,
                 msw: np.ndarray, n: int, k: int) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        if form == "1,1":
            out = (msr - msw) / (msr + (k - 1) * msw)
        elif form == "2,1":
            out = (msr - mse) / (msr + (k - 1) * mse + k * (msc - mse) / n)
        elif form == "3,1":
            out = (msr - mse) / (msr + (k - 1) * mse)
        elif form == "1,k":
            out = (msr - msw) / msr
        elif form == "2,k":
            out = (msr - mse) / (msr + (msc - mse) / n)
        elif form == "3,k":
            out = (msr - mse) / msr
        else:
            raise ValueError(f"unknown ICC form {form!r}: use one of {', '.join(ICC_FORMS)}")
    return np.where(np.isfinite(out), out, np.nan)


def _mean_squares(x: np.ndarray) -> tuple[np.ndarray, ...]:
    """Two-way ANOVA mean squares for (…, n, k) arrays."""
    n, k = x.shape[-2], x.shape[-1]
    grand = x.mean(axis=(-2, -1), keepdims=True)
    rows = x.mean(axis=-1, keepdims=True)
    cols = x.mean(axis=-2, keepdims=True)
    ss_total = ((x - grand) ** 2).sum(axis=(-2, -1))
    ss_r = k * ((rows - grand) ** 2).sum(axis=(-2, -1))
    ss_c = n * ((cols - grand) ** 2).sum(axis=(-2, -1))
    ss_e = ss_total - ss_r - ss_c
    msr = ss_r / (n - 1)
    msc = ss_c / (k - 1)
    mse = ss_e / ((n - 1) * (k - 1))
    msw = (ss_total - ss_r) / (n * (k - 1))
    return msr, msc, mse, msw


def _icc_matrix(ratings: Any) -> np.ndarray:
    arr = np.asarray(ratings, dtype=object) if not isinstance(ratings, np.ndarray) else ratings
    x = np.array([[math.nan if _is_missing(v) else float(v) for v in row] for row in arr]) \
        if arr.dtype == object else arr.astype(float)
    if x.ndim != 2:
        raise ValueError("ratings must be a matrix shaped (units, raters)")
    return x[~np.isnan(x).any(axis=1)]


def icc(ratings: Any, *, form: str = "2,1") -> float:
    """Intraclass correlation, Shrout & Fleiss (1979) forms ICC(1,1), (2,1), (3,1), (1,k),
    (2,k), (3,k). Units with a missing score are left out (the ANOVA needs complete rows). NaN
    with fewer than two complete units, fewer than two raters, or no variance."""
    if form not in ICC_FORMS:
        raise ValueError(f"unknown ICC form {form!r}: use one of {', '.join(ICC_FORMS)}")
    x = _icc_matrix(ratings)
    n, k = x.shape
    if n < 2 or k < 2:
        return math.nan
    msr, msc, mse, msw = _mean_squares(x)
    return float(_icc_from_ms(form, msr, msc, mse, msw, n, k))


# ----------------------------------------------------------------------------- registry


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
    """Why a coefficient is NaN here, in words; None when it is defined."""
    if name == "icc":
        x = _icc_matrix(ratings)
        if x.shape[0] < 2:
            return "fewer than two units scored by every rater"
        if x.shape[1] < 2:
            return "fewer than two raters"
        return "scores do not vary" if math.isnan(icc(ratings, **kwargs)) else None
    coded = encode(ratings, kwargs.get("categories"))
    nmat = counts(coded)
    if not (nmat.sum(axis=1) >= 2).any():
        return "no unit was rated by two raters"
    if not math.isnan(COEFFICIENTS[name](ratings, **kwargs)):
        return None
    used = int((nmat.sum(axis=0) > 0).sum())
    if used <= 1:
        return "every rating is in one category"
    return "chance agreement is 1 (no room for agreement beyond chance)"


# ----------------------------------------------------------------------------- standard errors


def standard_error(name: str, ratings: Any, *, categories: Sequence[Any] | None = None,
                   weights: str | None = None) -> float:
    """Gwet's closed-form standard error (conditional on the raters, no finite-population
    correction), as irrCAC reports it, for the kappa family. NaN where undefined."""
    if name not in KAPPA_FAMILY:
        raise KeyError(f"no closed-form standard error for {name!r}")
    if name == "gwet_ac2" and weights is None:
        weights = "quadratic"
    coded = encode(ratings, categories)
    st = _stats(coded, weights)
    pa, pi, n2 = _pa_pi(st)
    n = st.n_units
    if n < 2 or n2 == 0:
        return math.nan
    nmat = st.share * st.r_i[:, None]
    den = st.r_i * (st.r_i - 1)
    pa_i = np.where(st.two, st.agree_i, 0.0)
    if name == "percent_agreement":
        pa_ivec = (n / n2) * pa_i
        return float(math.sqrt(((pa_ivec - pa) ** 2).sum() / (n * (n - 1))))
    w, q = st.w, st.q
    if name in ("cohen_kappa", "conger_kappa"):
        r = coded.codes.shape[1]
        if r < 2:
            return math.nan
        p, pbar, s2 = _conger_parts(coded, w)
        pe = float((w * (np.outer(pbar, pbar) - s2 / r)).sum())
        coef = _kappa(pa, pe)
        if math.isnan(coef):
            return math.nan
        codes = coded.codes[(coded.codes >= 0).any(axis=1)]
        ok = codes >= 0
        onehot = np.zeros(codes.shape + (q,))
        onehot[ok, codes[ok]] = 1.0
        eps = ok.astype(float)
        ng = ok.sum(axis=0).astype(float)
        a = onehot - (eps - ng / n)[:, :, None] * p[None, :, :]  # (n, r, q) over l
        lam_k = (a @ w.T) * (n / np.maximum(ng, 1))[None, :, None]  # (n, r, k)
        factor = r * p.mean(axis=0)[None, :] - p  # (r, k)
        lam = (lam_k * factor[None, :, :]).sum(axis=2)
        pe_i = lam.sum(axis=1) / (r * (r - 1))
    else:
        pe = _chance(name, pi, w, q)
        coef = _kappa(pa, pe)
        if math.isnan(coef):
            return math.nan
        if name in ("fleiss_kappa", "scott_pi"):
            pi_w = (w @ pi + w.T @ pi) / 2
            pe_i = (nmat @ pi_w) / np.maximum(st.r_i, 1)
        elif name in ("gwet_ac1", "gwet_ac2"):
            pe_i = (w.sum() / (q * (q - 1))) * (nmat @ (1 - pi)) / np.maximum(st.r_i, 1)
        else:  # brennan_prediger: chance agreement is fixed
            pe_i = np.full(n, pe)
    del den
    coef_i = (n / n2) * (pa_i - pe * st.two) / (1 - pe)
    coef_ix = coef_i - 2 * (1 - coef) * (pe_i - pe) / (1 - pe)
    if name == "brennan_prediger":
        coef_ix = coef_i
    return float(math.sqrt(((coef_ix - coef) ** 2).sum() / (n * (n - 1))))


# ----------------------------------------------------------------------------- bootstrap


def _resample_weights(rng: np.random.Generator, n: int, b: int) -> np.ndarray:
    """(b × n) how often each unit is drawn in each of b resamples of n units."""
    idx = rng.integers(0, n, size=(b, n))
    flat = (idx + (np.arange(b) * n)[:, None]).ravel()
    return np.bincount(flat, minlength=b * n).reshape(b, n).astype(float)


def _boot_values(name: str, coded: Coded, m: np.ndarray, kwargs: dict[str, Any]) -> np.ndarray:
    """The coefficient for every resample (rows of unit weights ``m``), without going back to
    the raw ratings: per-unit statistics aggregated by matrix products."""
    keep = (coded.codes >= 0).any(axis=1)
    if name == "krippendorff_alpha":
        level = kwargs.get("level", "nominal")
        nmat = counts(coded)[keep]
        inv, _ = _coincidence_parts(nmat)
        q = coded.q
        contrib = (nmat[:, :, None] * nmat[:, None, :]) * inv[:, None, None]
        contrib[:, np.arange(q), np.arange(q)] -= nmat * inv[:, None]
        o_all = (m @ contrib.reshape(nmat.shape[0], q * q)).reshape(-1, q, q)
        return _alpha_batch(o_all, coded, level)
    weights = kwargs.get("weights")
    if name == "gwet_ac2" and weights is None:
        weights = "quadratic"
    st = _stats(coded, weights)
    a = m @ (st.agree_i * st.two)
    c2 = m @ st.two.astype(float)
    cu = m.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        pa = a / c2
        pi = (m @ st.share) / cu[:, None]
    w, q = st.w, st.q
    if name == "percent_agreement":
        return pa
    if name in ("fleiss_kappa", "scott_pi"):
        pe = np.einsum("bk,kl,bl->b", pi, w, pi)
    elif name in ("gwet_ac1", "gwet_ac2"):
        pe = w.sum() * (pi * (1 - pi)).sum(axis=1) / (q * (q - 1)) if q > 1 else np.ones(len(pa))
    elif name == "brennan_prediger":
        pe = np.full(len(pa), w.sum() / q**2)
    elif name in ("conger_kappa", "cohen_kappa"):
        codes = coded.codes[keep]
        r = codes.shape[1]
        ok = codes >= 0
        onehot = np.zeros(codes.shape + (q,))
        onehot[ok, codes[ok]] = 1.0
        cls = (m @ onehot.reshape(codes.shape[0], r * q)).reshape(-1, r, q)
        ng = cls.sum(axis=2, keepdims=True)
        with np.errstate(invalid="ignore", divide="ignore"):
            p = cls / ng
        pbar = p.mean(axis=1)
        s2 = (np.einsum("brk,brl->bkl", p, p) - r * np.einsum("bk,bl->bkl", pbar, pbar)) / (r - 1)
        pe = (w[None] * (np.einsum("bk,bl->bkl", pbar, pbar) - s2 / r)).sum(axis=(1, 2))
    else:
        raise KeyError(name)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = (pa - pe) / (1 - pe)
    return np.where(pe >= 1 - 1e-12, np.nan, out)


def bootstrap_ci(
    name: str,
    ratings: Any,
    *,
    n_resamples: int = 1000,
    confidence: float = 0.95,
    seed: int | None = None,
    chunk: int = 250,
    **kwargs: Any,
) -> tuple[float, float]:
    """Percentile bootstrap interval over units (seedable, vectorised). Resamples whose
    coefficient is undefined are left out; NaN bounds when none is defined."""
    if name not in COEFFICIENTS:
        raise KeyError(f"unknown coefficient {name!r}")
    rng = np.random.default_rng(seed)
    values: list[np.ndarray] = []
    if name == "icc":
        x = _icc_matrix(ratings)
        n, k = x.shape
        if n < 2 or k < 2:
            return (math.nan, math.nan)
        form = kwargs.get("form", "2,1")
        for start in range(0, n_resamples, chunk):
            b = min(chunk, n_resamples - start)
            idx = rng.integers(0, n, size=(b, n))
            msr, msc, mse, msw = _mean_squares(x[idx])
            values.append(_icc_from_ms(form, msr, msc, mse, msw, n, k))
    else:
        coded = encode(ratings, kwargs.get("categories"))
        n = int((coded.codes >= 0).any(axis=1).sum())
        if n < 2:
            return (math.nan, math.nan)
        extra = {k: v for k, v in kwargs.items() if k != "categories"}
        for start in range(0, n_resamples, chunk):
            b = min(chunk, n_resamples - start)
            values.append(_boot_values(name, coded, _resample_weights(rng, n, b), extra))
    allv = np.concatenate(values) if values else np.array([])
    allv = allv[~np.isnan(allv)]
    if allv.size == 0:
        return (math.nan, math.nan)
    tail = (1 - confidence) / 2 * 100
    lo, hi = np.percentile(allv, [tail, 100 - tail])
    return (float(lo), float(hi))


# ----------------------------------------------------------------------------- labels


LANDIS_KOCH: tuple[tuple[float, str], ...] = (
    (0.0, "poor"), (0.2, "slight"), (0.4, "fair"), (0.6, "moderate"), (0.8, "substantial"),
    (math.inf, "almost perfect"),
)


def landis_koch(value: float, bands: Sequence[tuple[float, str]] | None = None) -> str:
    """Landis & Koch (1977) label: below 0 poor, ≤.2 slight, ≤.4 fair, ≤.6 moderate,
    ≤.8 substantial, else almost perfect. ``bands``: (upper bound, label) pairs, ascending."""
    if value is None or math.isnan(value):
        return "undefined"
    for upper, label in bands or LANDIS_KOCH:
        if (value < upper) if upper == 0.0 else (value <= upper):
            return label
    return (bands or LANDIS_KOCH)[-1][1]


def krippendorff_label(value: float, thresholds: tuple[float, float] = (0.667, 0.8)) -> str:
    """Krippendorff's reading: ≥ 0.8 reliable, ≥ 0.667 tentative, else unreliable."""
    if value is None or math.isnan(value):
        return "undefined"
    low, high = thresholds
    return "reliable" if value >= high else "tentative" if value >= low else "unreliable"
