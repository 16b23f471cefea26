"""Property tests for qa_calibrate.agreement (hypothesis).

1. Invariances every coefficient must have: permuting raters or units, relabelling nominal
   categories, perfect agreement giving 1.
2. Agreement with a slow reference implementation written plainly below (loops over units,
   raters and rater pairs, straight from the textbook definitions), including missing data:
   - kappa family: Gwet (2014), Handbook of Inter-Rater Reliability, 4th ed., ch. 2–5
     (Conger's chance agreement as the average of the Cohen-type chance agreement over ordered
     rater pairs, which is Conger's 1980 definition rather than Gwet's variance form);
   - Krippendorff's alpha: Krippendorff (2011), coincidences from every ordered pair of values
     within a unit, weighted 1/(m_u − 1);
   - ICC: Shrout & Fleiss (1979) mean squares from sums of squared deviations.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qa_calibrate import agreement as ag

pytestmark = pytest.mark.filterwarnings("error")

FAST = settings(max_examples=50, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# a scale with uneven gaps, so weights and metrics on category values differ from ranks
CATS = [0, 1, 2, 4, 7]
FAMILY = ("percent_agreement", "scott_pi", "fleiss_kappa", "conger_kappa", "gwet_ac1",
          "gwet_ac2", "brennan_prediger")


@st.composite
def matrices(draw, min_raters=2, max_raters=5, missing=True, cats=CATS):
    n = draw(st.integers(1, 10))
    r = draw(st.integers(min_raters, max_raters))
    cell = st.one_of(st.none(), st.sampled_from(cats)) if missing else st.sampled_from(cats)
    rows = draw(st.lists(st.lists(cell, min_size=r, max_size=r), min_size=n, max_size=n))
    return np.array([[math.nan if v is None else float(v) for v in row] for row in rows])


def same(a, b, tol=1e-9):
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return abs(a - b) <= tol * max(1.0, abs(a), abs(b))


# --------------------------------------------------------------------------- reference


def ref_weights(kind, cats):
    q = len(cats)
    span = max(cats) - min(cats)
    w = [[0.0] * q for _ in range(q)]
    for k in range(q):
        for m in range(q):
            if kind in (None, "identity"):
                w[k][m] = 1.0 if k == m else 0.0
            elif kind == "linear":
                w[k][m] = 1 - abs(cats[k] - cats[m]) / span
            else:
                w[k][m] = 1 - (cats[k] - cats[m]) ** 2 / span**2
    return w


def ref_units(x, cats):
    """Each unit's list of (rater, category index), units with no rating left out."""
    units = []
    for row in x:
        unit = [(g, cats.index(v)) for g, v in enumerate(row) if not math.isnan(v)]
        if unit:
            units.append(unit)
    return units


def ref_family(name, x, kind=None, cats=CATS):
    q = len(cats)
    w = ref_weights(kind, cats)
    units = ref_units(x, cats)
    n = len(units)
    # percent agreement: mean over units rated at least twice of the (weighted) share of
    # agreeing ordered pairs of distinct ratings
    terms = []
    for unit in units:
        if len(unit) < 2:
            continue
        agree = 0.0
        for i, (_g, k) in enumerate(unit):
            for j, (_h, m) in enumerate(unit):
                if i != j:
                    agree += w[k][m]
        terms.append(agree / (len(unit) * (len(unit) - 1)))
    if not terms:
        return math.nan
    pa = sum(terms) / len(terms)
    if name == "percent_agreement":
        return pa
    # pooled classification probabilities: mean over rated units of the category shares
    pi = [0.0] * q
    for unit in units:
        for _g, k in unit:
            pi[k] += 1.0 / len(unit) / n
    if name in ("fleiss_kappa", "scott_pi"):
        pe = sum(w[k][m] * pi[k] * pi[m] for k in range(q) for m in range(q))
    elif name in ("gwet_ac1", "gwet_ac2"):
        tw = sum(sum(row) for row in w)
        pe = tw / (q * (q - 1)) * sum(p * (1 - p) for p in pi)
    elif name == "brennan_prediger":
        pe = sum(sum(row) for row in w) / q**2
    else:  # conger / cohen: Cohen-type chance agreement averaged over ordered rater pairs
        r = x.shape[1]
        raters = [g for g in range(r) if any(not math.isnan(v) for v in x[:, g])]
        marg = {}
        for g in raters:
            rated = [cats.index(v) for v in x[:, g] if not math.isnan(v)]
            marg[g] = [rated.count(k) / len(rated) for k in range(q)]
        pairs = [(g, h) for g in raters for h in raters if g != h]
        if not pairs:
            return math.nan
        pe = sum(w[k][m] * marg[g][k] * marg[h][m]
                 for g, h in pairs for k in range(q) for m in range(q)) / len(pairs)
    if pe >= 1 - 1e-12:
        return math.nan
    return (pa - pe) / (1 - pe)


def ref_alpha(x, level, cats=CATS):
    q = len(cats)
    o = [[0.0] * q for _ in range(q)]
    for unit in ref_units(x, cats):
        m = len(unit)
        if m < 2:
            continue
        for i, (_g, c) in enumerate(unit):
            for j, (_h, k) in enumerate(unit):
                if i != j:
                    o[c][k] += 1.0 / (m - 1)
    n_c = [sum(o[c]) for c in range(q)]
    n = sum(n_c)
    if n == 0:
        return math.nan

    def delta2(c, k):
        if level == "nominal":
            return 0.0 if c == k else 1.0
        if level == "ordinal":
            lo, hi = min(c, k), max(c, k)
            return (sum(n_c[g] for g in range(lo, hi + 1)) - (n_c[c] + n_c[k]) / 2) ** 2
        if level == "interval":
            return (cats[c] - cats[k]) ** 2
        s = cats[c] + cats[k]
        return 0.0 if s == 0 else ((cats[c] - cats[k]) / s) ** 2

    d_o = sum(o[c][k] * delta2(c, k) for c in range(q) for k in range(q))
    d_e = sum(n_c[c] * n_c[k] * delta2(c, k) for c in range(q) for k in range(q))
    if d_e == 0:
        return math.nan
    return 1 - (n - 1) * d_o / d_e


def ref_icc(x, form):
    rows = [list(r) for r in x if not any(math.isnan(v) for v in r)]
    n, k = len(rows), x.shape[1]
    if n < 2 or k < 2:
        return math.nan
    grand = sum(sum(r) for r in rows) / (n * k)
    row_means = [sum(r) / k for r in rows]
    col_means = [sum(r[j] for r in rows) / n for j in range(k)]
    ss_t = sum((v - grand) ** 2 for r in rows for v in r)
    ss_r = k * sum((m - grand) ** 2 for m in row_means)
    ss_c = n * sum((m - grand) ** 2 for m in col_means)
    ss_e = ss_t - ss_r - ss_c
    bms, jms = ss_r / (n - 1), ss_c / (k - 1)
    ems, wms = ss_e / ((n - 1) * (k - 1)), (ss_t - ss_r) / (n * (k - 1))
    num, den = {
        "1,1": (bms - wms, bms + (k - 1) * wms),
        "2,1": (bms - ems, bms + (k - 1) * ems + k * (jms - ems) / n),
        "3,1": (bms - ems, bms + (k - 1) * ems),
        "1,k": (bms - wms, bms),
        "2,k": (bms - ems, bms + (jms - ems) / n),
        "3,k": (bms - ems, bms),
    }[form]
    if abs(den) < 1e-9:
        return math.nan
    return num / den


# --------------------------------------------------------------------------- vs reference


@FAST
@given(x=matrices(), name=st.sampled_from(FAMILY),
       kind=st.sampled_from([None, "linear", "quadratic"]))
def test_kappa_family_matches_reference(x, name, kind):
    ours = ag.COEFFICIENTS[name](x, categories=CATS, weights=kind)
    assert same(ours, ref_family(name, x, kind))


@FAST
@given(x=matrices(min_raters=2, max_raters=2), kind=st.sampled_from([None, "linear",
                                                                      "quadratic"]))
def test_cohen_matches_reference(x, kind):
    assert same(ag.cohen_kappa(x, categories=CATS, weights=kind),
                ref_family("cohen_kappa", x, kind))


@FAST
@given(x=matrices(), level=st.sampled_from(ag.LEVELS))
def test_alpha_matches_reference(x, level):
    assert same(ag.krippendorff_alpha(x, level=level, categories=CATS), ref_alpha(x, level))


@FAST
@given(x=matrices(missing=False), form=st.sampled_from(ag.ICC_FORMS))
def test_icc_matches_reference(x, form):
    ours, ref = ag.icc(x, form=form), ref_icc(x, form)
    if not math.isnan(ref) and not math.isnan(ours):
        assert same(ours, ref, tol=1e-7)
    elif np.ptp(x) == 0 or x.shape[0] < 2:
        assert math.isnan(ours)


WIDE = list(range(0, 40, 2))  # 20 categories: the other counting and encoding paths


@FAST
@given(x=matrices(cats=WIDE), name=st.sampled_from(["conger_kappa", "fleiss_kappa",
                                                     "gwet_ac1"]),
       kind=st.sampled_from([None, "quadratic"]))
def test_many_categories_match_reference(x, name, kind):
    ours = ag.COEFFICIENTS[name](x, categories=WIDE, weights=kind)
    assert same(ours, ref_family(name, x, kind, cats=WIDE))


@FAST
@given(x=matrices(cats=WIDE), level=st.sampled_from(ag.LEVELS))
def test_many_categories_alpha_matches_reference(x, level):
    assert same(ag.krippendorff_alpha(x, level=level, categories=WIDE),
                ref_alpha(x, level, cats=WIDE))


# --------------------------------------------------------------------------- invariances


ALL = [(n, {}) for n in FAMILY] + [
    ("gwet_ac2", {"weights": "quadratic"}), ("fleiss_kappa", {"weights": "linear"}),
    ("krippendorff_alpha", {"level": "nominal"}), ("krippendorff_alpha", {"level": "ordinal"}),
    ("krippendorff_alpha", {"level": "interval"}), ("krippendorff_alpha", {"level": "ratio"}),
]


@FAST
@given(x=matrices(), case=st.sampled_from(ALL), data=st.data())
def test_permuting_raters_or_units_changes_nothing(x, case, data):
    name, kwargs = case
    kw = {"categories": CATS, **kwargs}
    before = ag.COEFFICIENTS[name](x, **kw)
    raters = data.draw(st.permutations(range(x.shape[1])))
    units = data.draw(st.permutations(range(x.shape[0])))
    assert same(ag.COEFFICIENTS[name](x[:, raters], **kw), before)
    assert same(ag.COEFFICIENTS[name](x[units], **kw), before)
    if name in ag.KAPPA_FAMILY:
        se = ag.standard_error(name, x, **kw)
        assert same(ag.standard_error(name, x[units][:, raters], **kw), se)


@FAST
@given(x=matrices(min_raters=2, max_raters=2), data=st.data())
def test_cohen_permuting_units_changes_nothing(x, data):
    units = data.draw(st.permutations(range(x.shape[0])))
    assert same(ag.cohen_kappa(x[units], categories=CATS), ag.cohen_kappa(x, categories=CATS))
    assert same(ag.standard_error("cohen_kappa", x[units], categories=CATS),
                ag.standard_error("cohen_kappa", x, categories=CATS))


@FAST
@given(x=matrices(missing=False), form=st.sampled_from(ag.ICC_FORMS), data=st.data())
def test_icc_permuting_units_changes_nothing(x, form, data):
    units = data.draw(st.permutations(range(x.shape[0])))
    a, b = ag.icc(x[units], form=form), ag.icc(x, form=form)
    assert same(a, b, tol=1e-7)


NOMINAL = [(n, {}) for n in FAMILY if n != "gwet_ac2"] + [("krippendorff_alpha", {})]


@FAST
@given(x=matrices(), case=st.sampled_from(NOMINAL), data=st.data())
def test_relabelling_nominal_categories_changes_nothing(x, case, data):
    name, kwargs = case
    labels = data.draw(st.permutations(["red", "green", "blue", "grey", "pink"]))
    mapping = dict(zip(CATS, labels, strict=True))
    relabelled = [[None if math.isnan(v) else mapping[v] for v in row] for row in x]
    shuffled_cats = data.draw(st.permutations(labels))
    a = ag.COEFFICIENTS[name](x, categories=CATS, **kwargs)
    b = ag.COEFFICIENTS[name](relabelled, categories=shuffled_cats, **kwargs)
    assert same(a, b)
    if name in ag.KAPPA_FAMILY:
        assert same(ag.standard_error(name, x, categories=CATS),
                    ag.standard_error(name, relabelled, categories=shuffled_cats))


@st.composite
def perfect(draw, min_raters=2, max_raters=5):
    """Every rater who rated a unit gave it the same category; every unit rated twice."""
    n = draw(st.integers(2, 10))
    r = draw(st.integers(min_raters, max_raters))
    x = np.full((n, r), math.nan)
    for u in range(n):
        value = draw(st.sampled_from(CATS))
        who = draw(st.lists(st.integers(0, r - 1), min_size=2, max_size=r, unique=True))
        x[u, who] = value
    return x


@FAST
@given(x=perfect(), case=st.sampled_from(ALL))
def test_perfect_agreement_gives_one(x, case):
    name, kwargs = case
    value = ag.COEFFICIENTS[name](x, categories=CATS, **kwargs)
    used = np.unique(x[~np.isnan(x)]).size
    if math.isnan(value):
        # only when chance agreement is 1 (a single category used)
        assert used == 1 and name not in ("percent_agreement", "gwet_ac1", "gwet_ac2",
                                          "brennan_prediger")
    else:
        assert value == pytest.approx(1.0, abs=1e-12)


@FAST
@given(x=perfect(max_raters=2, min_raters=2))
def test_perfect_agreement_cohen(x):
    value = ag.cohen_kappa(x, categories=CATS)
    assert math.isnan(value) or value == pytest.approx(1.0, abs=1e-12)


@FAST
@given(x=matrices(missing=False, min_raters=2), form=st.sampled_from(ag.ICC_FORMS))
def test_perfect_agreement_icc(x, form):
    y = np.repeat(x[:, :1], x.shape[1], axis=1)
    value = ag.icc(y, form=form)
    if np.ptp(y[:, 0]) > 0 and y.shape[0] >= 2:
        assert value == pytest.approx(1.0, abs=1e-9)
    else:
        assert math.isnan(value)


# --------------------------------------------------------------------------- robustness


@FAST
@given(x=matrices(), name=st.sampled_from(list(ag.COEFFICIENTS)))
def test_never_raises_on_valid_input_and_reason_matches(x, name):
    kwargs = {} if name == "icc" else {"categories": CATS}
    if name == "cohen_kappa":
        x = x[:, :2]
    value = ag.COEFFICIENTS[name](x, **kwargs)  # warnings are errors here
    assert isinstance(value, float)
    reason = ag.undefined_reason(name, x, **kwargs)
    assert (reason is None) == (not math.isnan(value))
    if name in ag.KAPPA_FAMILY:
        se = ag.standard_error(name, x, **kwargs)
        assert isinstance(se, float)
        assert math.isnan(se) or se >= 0
