"""Property tests: invariances every coefficient must have, and agreement with a slow
reference implementation written plainly here (loops over units and rater pairs)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qa_calibrate import agreement as ag

FAMILY = ("percent_agreement", "fleiss_kappa", "conger_kappa", "gwet_ac1", "brennan_prediger",
          "scott_pi")
CATS = [1, 2, 3, 4]


@st.composite
def ratings(draw, min_raters=2, max_raters=5, missing=True):
    n = draw(st.integers(3, 12))
    r = draw(st.integers(min_raters, max_raters))
    cells = st.one_of(st.sampled_from(CATS), st.none()) if missing else st.sampled_from(CATS)
    rows = draw(st.lists(st.lists(cells, min_size=r, max_size=r), min_size=n, max_size=n))
    return np.array([[math.nan if v is None else float(v) for v in row] for row in rows])


def _weights(kind, cats):
    q = len(cats)
    span = max(cats) - min(cats)
    return [[1.0 if kind is None and k == j else 0.0 if kind is None else
             1 - abs(cats[k] - cats[j]) / span if kind == "linear" else
             1 - (cats[k] - cats[j]) ** 2 / span**2 for j in range(q)] for k in range(q)]


def slow_family(name, x, cats, kind=None):
    """Gwet (2014) formulas, one unit at a time."""
    w = _weights(kind, cats)
    q = len(cats)
    units = [[v for v in row if not math.isnan(v)] for row in x]
    units = [u for u in units if u]
    n = len(units)
    pa_terms = []
    pi = [0.0] * q
    for u in units:
        r_i = len(u)
        counts = [sum(1 for v in u if v == c) for c in cats]
        for k in range(q):
            pi[k] += counts[k] / r_i / n
        if r_i >= 2:
            s = 0.0
            for k in range(q):
                weighted = sum(w[k][j] * counts[j] for j in range(q))
                s += counts[k] * (weighted - 1)
            pa_terms.append(s / (r_i * (r_i - 1)))
    if not pa_terms:
        return math.nan
    pa = sum(pa_terms) / len(pa_terms)
    if name == "percent_agreement":
        return pa
    if name in ("fleiss_kappa", "scott_pi"):
        pe = sum(w[k][j] * pi[k] * pi[j] for k in range(q) for j in range(q))
    elif name == "gwet_ac1":
        pe = sum(map(sum, w)) * sum(p * (1 - p) for p in pi) / (q * (q - 1))
    elif name == "brennan_prediger":
        pe = sum(map(sum, w)) / q**2
    else:  # conger: mean over rater pairs of Cohen-type chance agreement
        r = x.shape[1]
        props = []
        for g in range(r):
            col = [v for v in x[:, g] if not math.isnan(v)]
            props.append([sum(1 for v in col if v == c) / len(col) if col else 0.0
                          for c in cats])
        pairs = [(g, h) for g in range(r) for h in range(r) if g < h]
        pe = sum(sum(w[k][j] * props[g][k] * props[h][j] for k in range(q) for j in range(q))
                 for g, h in pairs) / len(pairs)
    if pe >= 1 - 1e-12:
        return math.nan
    return (pa - pe) / (1 - pe)


def slow_alpha(x, level):
    """Krippendorff's alpha by enumerating every pair of pairable values."""
    values = sorted({v for row in x for v in row if not math.isnan(v)})
    o = {(c, k): 0.0 for c in values for k in values}
    for row in x:
        u = [v for v in row if not math.isnan(v)]
        m = len(u)
        if m < 2:
            continue
        for i in range(m):
            for j in range(m):
                if i != j:
                    o[(u[i], u[j])] += 1 / (m - 1)
    n_c = {c: sum(o[(c, k)] for k in values) for c in values}
    n = sum(n_c.values())

    def d2(c, k):
        if level == "nominal":
            return 0.0 if c == k else 1.0
        if level == "interval":
            return (c - k) ** 2
        if level == "ratio":
            return ((c - k) / (c + k)) ** 2 if c + k else 0.0
        lo, hi = min(c, k), max(c, k)
        between = sum(n_c[g] for g in values if lo <= g <= hi)
        return (between - (n_c[c] + n_c[k]) / 2) ** 2

    d_o = sum(o[(c, k)] * d2(c, k) for c in values for k in values)
    d_e = sum(n_c[c] * n_c[k] * d2(c, k) for c in values for k in values)
    if n <= 1 or d_e == 0:
        return math.nan
    return 1 - (n - 1) * d_o / d_e


FAST = settings(max_examples=60, deadline=None)


@FAST
@given(ratings(), st.sampled_from(FAMILY), st.sampled_from([None, "linear", "quadratic"]))
def test_family_matches_the_slow_reference(x, name, kind):
    if name == "conger_kappa" and any(np.isnan(x[:, g]).all() for g in range(x.shape[1])):
        return  # a rater who rated nothing has no classification proportions
    fast = ag.COEFFICIENTS[name](x, categories=CATS, weights=kind)
    slow = slow_family(name, x, CATS, kind)
    assert fast == pytest.approx(slow, abs=1e-9, nan_ok=True)


@FAST
@given(ratings(), st.sampled_from(ag.LEVELS))
def test_alpha_matches_the_slow_reference(x, level):
    assert ag.krippendorff_alpha(x, level=level) == pytest.approx(
        slow_alpha(x, level), abs=1e-9, nan_ok=True)


@FAST
@given(ratings(), st.randoms(use_true_random=False))
def test_permuting_raters_or_units_changes_nothing(x, rnd):
    units = list(range(x.shape[0]))
    raters = list(range(x.shape[1]))
    rnd.shuffle(units)
    rnd.shuffle(raters)
    y = x[units][:, raters]
    for name in FAMILY:
        assert ag.COEFFICIENTS[name](y, categories=CATS) == pytest.approx(
            ag.COEFFICIENTS[name](x, categories=CATS), abs=1e-12, nan_ok=True)
    for level in ag.LEVELS:
        assert ag.krippendorff_alpha(y, level=level) == pytest.approx(
            ag.krippendorff_alpha(x, level=level), abs=1e-12, nan_ok=True)


@FAST
@given(ratings(missing=False), st.permutations(["a", "b", "c", "d"]))
def test_relabelling_nominal_categories_changes_nothing(x, labels):
    mapping = dict(zip(CATS, labels, strict=True))
    relabelled = np.array([[mapping[int(v)] for v in row] for row in x], dtype=object)
    for name in FAMILY:
        assert ag.COEFFICIENTS[name](relabelled, categories=labels) == pytest.approx(
            ag.COEFFICIENTS[name](x, categories=CATS), abs=1e-12, nan_ok=True)
    assert ag.krippendorff_alpha(relabelled) == pytest.approx(
        ag.krippendorff_alpha(x), abs=1e-12, nan_ok=True)


@FAST
@given(st.lists(st.sampled_from(CATS), min_size=3, max_size=12), st.integers(2, 5))
def test_perfect_agreement_gives_one_when_defined(truth, r):
    x = np.repeat(np.array(truth, float)[:, None], r, axis=1)
    for name in (*FAMILY, "krippendorff_alpha"):
        value = ag.COEFFICIENTS[name](x)
        assert math.isnan(value) or value == pytest.approx(1.0)
    if len(set(truth)) > 1:
        assert ag.fleiss_kappa(x) == pytest.approx(1.0)
        assert ag.icc(x, form="2,1") == pytest.approx(1.0)


@FAST
@given(ratings(min_raters=2, max_raters=2))
def test_cohen_is_conger_for_two_raters(x):
    assert ag.cohen_kappa(x, categories=CATS) == pytest.approx(
        ag.conger_kappa(x, categories=CATS), abs=1e-12, nan_ok=True)
