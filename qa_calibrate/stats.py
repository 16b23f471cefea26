"""Tail probabilities and multiple-testing control for the coaching plan, in numpy (no scipy).

- ``binom_sf(k, n, p)``: P(X ≥ k) for X ~ Binomial(n, p), exact, through the regularized
  incomplete beta function I_p(k, n − k + 1) (continued fraction, Numerical Recipes §6.4).
- ``chi2_sf(x, df)``: the upper tail of the chi-square distribution, through the regularized
  upper incomplete gamma Q(df/2, x/2) (series below a + 1, continued fraction above; NR §6.2).
- ``bh_qvalues(p)``: Benjamini–Hochberg adjusted p-values (q-values).
- ``cohens_h(p1, p0)``: the effect size of two proportions, 2·asin√p1 − 2·asin√p0.
- ``t_quantile(prob, df)``: the quantile of Student's t, by bisection on its tail
  P(T > t) = I_{df/(df+t²)}(df/2, 1/2) / 2.

All take and return arrays and iterate only until every element has converged.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

_EPS = 1e-15
_TINY = 1e-300
_MAXIT = 100_000

_lgamma = np.frompyfunc(math.lgamma, 1, 1)


def lgamma(x: Any) -> np.ndarray:
    """log Γ(x) element-wise."""
    return np.asarray(_lgamma(np.asarray(x, dtype=float)), dtype=float)


def _betacf(a: np.ndarray, b: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Continued fraction of the incomplete beta function (modified Lentz), element-wise."""
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c = np.ones_like(x)
    d = 1.0 - qab * x / qap
    d = np.where(np.abs(d) < _TINY, _TINY, d)
    d = 1.0 / d
    h = d.copy()
    active = np.ones(x.shape, dtype=bool)
    for m in range(1, _MAXIT + 1):
        if not active.any():
            break
        m2 = 2.0 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d_new = 1.0 + aa * d
        d_new = np.where(np.abs(d_new) < _TINY, _TINY, d_new)
        c_new = 1.0 + aa / c
        c_new = np.where(np.abs(c_new) < _TINY, _TINY, c_new)
        d_new = 1.0 / d_new
        h_new = h * d_new * c_new
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d_new = 1.0 + aa * d_new
        d_new = np.where(np.abs(d_new) < _TINY, _TINY, d_new)
        c_new = 1.0 + aa / c_new
        c_new = np.where(np.abs(c_new) < _TINY, _TINY, c_new)
        d_new = 1.0 / d_new
        delta = d_new * c_new
        h_new = h_new * delta
        # only the elements still converging move on
        d = np.where(active, d_new, d)
        c = np.where(active, c_new, c)
        h = np.where(active, h_new, h)
        active &= np.abs(delta - 1.0) >= _EPS
    return h


def betainc(a: Any, b: Any, x: Any) -> np.ndarray:
    """The regularized incomplete beta function I_x(a, b) for a, b > 0, 0 ≤ x ≤ 1."""
    a, b, x = np.broadcast_arrays(np.asarray(a, float), np.asarray(b, float),
                                  np.asarray(x, float))
    a, b, x = a.astype(float).copy(), b.astype(float).copy(), x.astype(float).copy()
    out = np.empty(x.shape, dtype=float)
    zero, one = x <= 0.0, x >= 1.0
    out[zero], out[one] = 0.0, 1.0
    mid = ~(zero | one)
    if mid.any():
        am, bm, xm = a[mid], b[mid], x[mid]
        log_bt = (lgamma(am + bm) - lgamma(am) - lgamma(bm) + am * np.log(xm)
                  + bm * np.log1p(-xm))
        bt = np.exp(log_bt)
        direct = xm < (am + 1.0) / (am + bm + 2.0)
        res = np.empty(xm.shape, dtype=float)
        if direct.any():
            res[direct] = (bt[direct] * _betacf(am[direct], bm[direct], xm[direct])
                           / am[direct])
        flip = ~direct
        if flip.any():
            res[flip] = 1.0 - (bt[flip] * _betacf(bm[flip], am[flip], 1.0 - xm[flip])
                               / bm[flip])
        out[mid] = np.clip(res, 0.0, 1.0)
    return out


def t_quantile(prob: float, df: float) -> float:
    """The ``prob`` quantile of Student's t with ``df`` degrees of freedom (0 < prob < 1)."""
    if not 0.0 < prob < 1.0 or df <= 0:
        raise ValueError("t_quantile needs 0 < prob < 1 and df > 0")
    tail = min(prob, 1.0 - prob)
    lo, hi = 0.0, 1.0
    while 0.5 * float(betainc(df / 2.0, 0.5, df / (df + hi * hi))) > tail:
        hi *= 2.0
    for _ in range(60):
        mid = (lo + hi) / 2.0
        if 0.5 * float(betainc(df / 2.0, 0.5, df / (df + mid * mid))) > tail:
            lo = mid
        else:
            hi = mid
    t = (lo + hi) / 2.0
    return t if prob > 0.5 else -t


def binom_sf(k: Any, n: Any, p: Any) -> np.ndarray:
    """P(X ≥ k) for X ~ Binomial(n, p), exact; k ≤ 0 gives 1 and k > n gives 0."""
    k, n, p = np.broadcast_arrays(np.asarray(k, float), np.asarray(n, float),
                                  np.asarray(p, float))
    out = np.empty(k.shape, dtype=float)
    low, high = k <= 0, k > n
    out[low], out[high] = 1.0, 0.0
    mid = ~(low | high)
    if mid.any():
        out[mid] = betainc(k[mid], n[mid] - k[mid] + 1.0, p[mid])
    return out


def _gamma_series(a: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Regularized lower gamma P(a, x) by its series (good for x < a + 1)."""
    ap = a.copy()
    term = 1.0 / a
    total = term.copy()
    active = np.ones(x.shape, dtype=bool)
    for _ in range(_MAXIT):
        if not active.any():
            break
        ap = ap + 1.0
        term = np.where(active, term * x / ap, term)
        total = np.where(active, total + term, total)
        active &= np.abs(term) >= np.abs(total) * _EPS
    return total * np.exp(-x + a * np.log(x) - lgamma(a))


def _gamma_cf(a: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Regularized upper gamma Q(a, x) by its continued fraction (good for x ≥ a + 1)."""
    b = x + 1.0 - a
    c = np.full(x.shape, 1.0 / _TINY)
    d = 1.0 / b
    h = d.copy()
    active = np.ones(x.shape, dtype=bool)
    for i in range(1, _MAXIT + 1):
        if not active.any():
            break
        an = -i * (i - a)
        b = b + 2.0
        d_new = an * d + b
        d_new = np.where(np.abs(d_new) < _TINY, _TINY, d_new)
        c_new = b + an / c
        c_new = np.where(np.abs(c_new) < _TINY, _TINY, c_new)
        d_new = 1.0 / d_new
        delta = d_new * c_new
        d = np.where(active, d_new, d)
        c = np.where(active, c_new, c)
        h = np.where(active, h * delta, h)
        active &= np.abs(delta - 1.0) >= _EPS
    return np.exp(-x + a * np.log(x) - lgamma(a)) * h


def gammaincc(a: Any, x: Any) -> np.ndarray:
    """The regularized upper incomplete gamma function Q(a, x) for a > 0, x ≥ 0."""
    a, x = np.broadcast_arrays(np.asarray(a, float), np.asarray(x, float))
    a, x = a.astype(float).copy(), x.astype(float).copy()
    out = np.ones(x.shape, dtype=float)
    pos = x > 0
    series = pos & (x < a + 1.0)
    cf = pos & ~series
    if series.any():
        out[series] = 1.0 - _gamma_series(a[series], x[series])
    if cf.any():
        out[cf] = _gamma_cf(a[cf], x[cf])
    return np.clip(out, 0.0, 1.0)


def chi2_sf(x: Any, df: Any) -> np.ndarray:
    """P(χ²_df ≥ x)."""
    return gammaincc(np.asarray(df, float) / 2.0, np.asarray(x, float) / 2.0)


def bh_qvalues(p: Any) -> np.ndarray:
    """Benjamini–Hochberg adjusted p-values: reject at FDR α the tests with q ≤ α."""
    p = np.asarray(p, dtype=float)
    m = p.size
    if m == 0:
        return p.copy()
    order = np.argsort(p, kind="stable")
    scaled = p[order] * m / np.arange(1, m + 1)
    q_sorted = np.minimum.accumulate(scaled[::-1])[::-1]
    q = np.empty(m, dtype=float)
    q[order] = np.minimum(q_sorted, 1.0)
    return q


def cohens_h(p1: Any, p0: Any) -> np.ndarray:
    """Cohen's h: 0.2 small, 0.5 medium, 0.8 large (Cohen 1988)."""
    p1 = np.clip(np.asarray(p1, float), 0.0, 1.0)
    p0 = np.clip(np.asarray(p0, float), 0.0, 1.0)
    return 2.0 * np.arcsin(np.sqrt(p1)) - 2.0 * np.arcsin(np.sqrt(p0))


def homogeneity(fails: Any, answers: Any) -> tuple[float, int, float]:
    """Pearson chi-square test that several groups share one fail rate:
    (statistic, degrees of freedom, p-value). Fewer than two groups, or a pooled rate of 0 or
    1, gives (0, 0, 1): nothing to tell apart."""
    x = np.asarray(fails, dtype=float)
    n = np.asarray(answers, dtype=float)
    keep = n > 0
    x, n = x[keep], n[keep]
    if x.size < 2 or n.sum() == 0:
        return 0.0, 0, 1.0
    rate = x.sum() / n.sum()
    if rate <= 0.0 or rate >= 1.0:
        return 0.0, int(x.size - 1), 1.0
    stat = float((((x - n * rate) ** 2) / (n * rate * (1.0 - rate))).sum())
    df = int(x.size - 1)
    return stat, df, float(chi2_sf(stat, df))
