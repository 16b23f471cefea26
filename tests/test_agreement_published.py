"""Agreement coefficients against published worked examples. Each number below is printed in
the source named next to it; nothing here is computed by a reference package at test time."""

from __future__ import annotations

import math

import numpy as np
import pytest

from qa_calibrate import agreement as ag

N = math.nan
# Krippendorff (2011) "Computing Krippendorff's Alpha-Reliability", the 4 observers × 12 units
# example with missing values; also irrCAC's dataset cac.raw4raters (Gwet 2014).
RAW4 = [[1, 1, N, 1], [2, 2, 3, 2], [3, 3, 3, 3], [3, 3, 3, 3], [2, 2, 2, 2], [1, 2, 3, 4],
        [4, 4, 4, 4], [1, 1, 2, 1], [2, 2, 2, 2], [N, 5, 5, 5], [N, N, 1, 1], [N, N, 3, N]]
CATS5 = [1, 2, 3, 4, 5]


@pytest.mark.parametrize("level, expected", [
    # Krippendorff (2011), section C: alpha for the example at each level of measurement.
    ("nominal", 0.743), ("ordinal", 0.815), ("interval", 0.849), ("ratio", 0.797),
])
def test_krippendorff_2011_example(level, expected):
    assert ag.krippendorff_alpha(RAW4, level=level) == pytest.approx(expected, abs=5e-4)


@pytest.mark.parametrize("name, value, se", [
    # irrCAC (R) README / overview vignette, "Computing agreement coefficients from raw
    # ratings", dataset cac.raw4raters (Gwet, Handbook of Inter-Rater Reliability, 2014).
    ("percent_agreement", 0.8181818, 0.12561),
    ("gwet_ac1", 0.77544, 0.14295),
    ("fleiss_kappa", 0.76117, 0.15302),
    ("conger_kappa", 0.76282, 0.14917),
    ("brennan_prediger", 0.77273, 0.14472),
])
def test_irrcac_raw4raters(name, value, se):
    assert ag.COEFFICIENTS[name](RAW4, categories=CATS5) == pytest.approx(value, abs=5e-6)
    assert ag.standard_error(name, RAW4, categories=CATS5) == pytest.approx(se, abs=5e-6)


# irrCAC README: distrib.6raters, 15 patients × 6 psychiatrists × 5 diagnoses (after Fleiss 1971).
DIST6 = [[0, 0, 0, 6, 0], [0, 3, 0, 0, 3], [0, 1, 4, 0, 1], [0, 0, 0, 0, 6], [0, 3, 0, 3, 0],
         [2, 0, 4, 0, 0], [0, 0, 4, 0, 2], [2, 0, 3, 1, 0], [2, 0, 0, 4, 0], [0, 0, 0, 0, 6],
         [1, 0, 0, 5, 0], [1, 1, 0, 4, 0], [0, 3, 3, 0, 0], [1, 0, 0, 5, 0], [0, 2, 0, 3, 1]]


def _from_distribution(dist):
    return np.array([[k for k, n in enumerate(row) for _ in range(n)] for row in dist], float)


@pytest.mark.parametrize("name, value, se", [
    ("gwet_ac1", 0.4448007, 0.08418757),
    ("fleiss_kappa", 0.4139265, 0.08119291),
    ("brennan_prediger", 0.4388889, 0.08312142),
])
def test_irrcac_distrib_6raters(name, value, se):
    ratings = _from_distribution(DIST6)
    cats = [0, 1, 2, 3, 4]
    assert ag.COEFFICIENTS[name](ratings, categories=cats) == pytest.approx(value, abs=1e-7)
    assert ag.standard_error(name, ratings, categories=cats) == pytest.approx(se, abs=1e-7)
    assert ag.percent_agreement(ratings) == pytest.approx(0.5511111, abs=1e-7)


# irrCAC README: cont3x3abstractors, two abstractors × 100 cases (Ectopic / AIU / NIU).
TABLE = [[13, 0, 0], [0, 20, 7], [0, 4, 56]]


def _from_table(table):
    return np.array([[i, j] for i, row in enumerate(table) for j, n in enumerate(row)
                     for _ in range(n)], float)


@pytest.mark.parametrize("name, value", [
    ("cohen_kappa", 0.7964094), ("scott_pi", 0.7962397), ("gwet_ac1", 0.8493305),
    ("brennan_prediger", 0.835), ("percent_agreement", 0.89),
    ("krippendorff_alpha", 0.7972585),
])
def test_irrcac_contingency_table(name, value):
    # (the README's standard errors use the contingency-table variance, n rather than n − 1)
    assert ag.COEFFICIENTS[name](_from_table(TABLE)) == pytest.approx(value, abs=1e-7)


def test_fleiss_kappa_wikipedia_worked_example():
    # Wikipedia, "Fleiss' kappa", worked example: 10 subjects × 14 raters × 5 categories,
    # P̄ = 0.378, P̄e = 0.213, κ = 0.210.
    dist = [[0, 0, 0, 0, 14], [0, 2, 6, 4, 2], [0, 0, 3, 5, 6], [0, 3, 9, 2, 0],
            [2, 2, 8, 1, 1], [7, 7, 0, 0, 0], [3, 2, 6, 3, 0], [2, 5, 3, 2, 2],
            [6, 5, 2, 1, 0], [0, 2, 2, 3, 7]]
    ratings = _from_distribution(dist)
    assert ag.percent_agreement(ratings) == pytest.approx(0.378, abs=5e-4)
    assert ag.fleiss_kappa(ratings) == pytest.approx(0.210, abs=5e-4)


@pytest.mark.parametrize("form, expected", [
    # Shrout & Fleiss (1979), Table 4 (data of Table 2: 6 targets × 4 judges).
    ("1,1", 0.17), ("2,1", 0.29), ("3,1", 0.71), ("1,k", 0.44), ("2,k", 0.62), ("3,k", 0.91),
])
def test_shrout_fleiss_icc(form, expected):
    data = [[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]]
    assert ag.icc(data, form=form) == pytest.approx(expected, abs=0.006)


def test_labels_and_unused_categories():
    yes_no = [["yes", "yes"], ["yes", "no"], ["no", "no"], ["yes", "yes"]]
    numeric = [[1, 1], [1, 0], [0, 0], [1, 1]]
    assert ag.cohen_kappa(yes_no) == pytest.approx(ag.cohen_kappa(numeric))
    # An unused category changes Brennan–Prediger (chance 1/q) but not percent agreement.
    assert ag.brennan_prediger(numeric, categories=[0, 1, 2]) > ag.brennan_prediger(numeric)
    assert ag.percent_agreement(numeric, categories=[0, 1, 2]) == ag.percent_agreement(numeric)
    with pytest.raises(ValueError, match="maybe"):
        ag.fleiss_kappa([["yes", "maybe"]], categories=["yes", "no"])
    with pytest.raises(ValueError, match="two raters"):
        ag.cohen_kappa([[1, 1, 1]])


def test_undefined_cases_return_nan_with_a_reason():
    one_category = [[1, 1], [1, 1], [1, 1]]
    assert math.isnan(ag.fleiss_kappa(one_category))
    assert ag.undefined_reason("fleiss_kappa", one_category) == "every rating is in one category"
    assert ag.percent_agreement(one_category) == 1.0
    lonely = [[1, N], [N, 2], [3, N]]
    for name in ("percent_agreement", "gwet_ac1", "krippendorff_alpha"):
        assert math.isnan(ag.COEFFICIENTS[name](lonely))
        assert ag.undefined_reason(name, lonely) == "no unit was rated by two raters"
    assert math.isnan(ag.icc([[3, 3], [3, 3], [3, 3]]))
    assert ag.undefined_reason("gwet_ac1", RAW4) is None


def test_interpretation_labels():
    assert ag.landis_koch(-0.1) == "poor"
    assert ag.landis_koch(0.15) == "slight"
    assert ag.landis_koch(0.5) == "moderate"
    assert ag.landis_koch(0.85) == "almost perfect"
    assert ag.landis_koch(math.nan) == "undefined"
    assert ag.landis_koch(0.5, bands=[(0.7, "weak"), (math.inf, "strong")]) == "weak"
    assert ag.krippendorff_label(0.7) == "tentative"
    assert ag.krippendorff_label(0.81) == "reliable"
    assert ag.krippendorff_label(0.75, thresholds=(0.6, 0.7)) == "reliable"


def test_bootstrap_is_seeded_and_contains_the_estimate():
    a = ag.bootstrap_ci("gwet_ac1", RAW4, seed=3, categories=CATS5)
    b = ag.bootstrap_ci("gwet_ac1", RAW4, seed=3, categories=CATS5)
    assert a == b
    assert a[0] <= ag.gwet_ac1(RAW4, categories=CATS5) <= a[1]
    lo, hi = ag.bootstrap_ci("icc", [[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6],
                                     [10, 5, 6, 9], [6, 2, 4, 7]], seed=1, form="2,1")
    assert lo < hi


@pytest.mark.parametrize("name, kwargs", [
    ("krippendorff_alpha", {"level": "ordinal"}), ("krippendorff_alpha", {"level": "interval"}),
    ("gwet_ac1", {}), ("gwet_ac2", {"weights": "quadratic"}), ("fleiss_kappa", {}),
    ("conger_kappa", {}), ("brennan_prediger", {"weights": "linear"}),
    ("percent_agreement", {}),
])
def test_vectorised_bootstrap_equals_a_plain_loop(name, kwargs):
    """The bootstrap aggregates per-unit statistics; recomputing each resample from the raw
    ratings (the slow way) must give the same values."""
    rng = np.random.default_rng(8)
    ratings = rng.integers(1, 6, size=(40, 5)).astype(float)
    ratings[rng.random(ratings.shape) < 0.2] = np.nan
    coded = ag.encode(ratings, CATS5)
    keep = (coded.codes >= 0).any(axis=1)
    kept = ratings[keep]
    weights = ag._resample_weights(np.random.default_rng(5), kept.shape[0], 30)
    fast = ag._boot_values(name, coded, weights, kwargs)
    for b in range(30):
        idx = np.repeat(np.arange(kept.shape[0]), weights[b].astype(int))
        slow = ag.COEFFICIENTS[name](kept[idx], categories=CATS5, **kwargs)
        assert fast[b] == pytest.approx(slow, abs=1e-12, nan_ok=True)
