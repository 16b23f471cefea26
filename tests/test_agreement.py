"""qa_calibrate.agreement against published worked examples.

Every expected number below is hard-coded from the source cited next to it (paper, book, or a
reference package's documentation / test suite); no reference package is called at test time.
Where a source prints rounded numbers the tolerance is half a unit of its last digit.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from qa_calibrate import agreement as ag

pytestmark = pytest.mark.filterwarnings("error")  # no numpy warning may escape

N = math.nan


def from_distribution(dist):
    """Raw ratings (units × raters) from a (units × categories) table of rater counts; the
    category index is the rating."""
    return np.array([[k for k, n in enumerate(row) for _ in range(n)] for row in dist], float)


def from_table(table):
    """Two raters' raw ratings from a contingency table (rows rater A, columns rater B)."""
    return np.array([[i, j] for i, row in enumerate(table) for j, n in enumerate(row)
                     for _ in range(n)], float)


# --------------------------------------------------------------------------- Krippendorff

# Krippendorff, K. (2011). "Computing Krippendorff's Alpha-Reliability", section C ("Any
# metric, any number of observers, missing data"): 4 observers × 12 units, 1–5 scale.
# Rows here are units, columns observers A–D (the paper prints observers as rows).
K2011 = [[1, 1, N, 1], [2, 2, 3, 2], [3, 3, 3, 3], [3, 3, 3, 3], [2, 2, 2, 2], [1, 2, 3, 4],
         [4, 4, 4, 4], [1, 1, 2, 1], [2, 2, 2, 2], [N, 5, 5, 5], [N, N, 1, 1], [N, 3, N, N]]


@pytest.mark.parametrize("level, expected", [
    # Krippendorff (2011), section C, the four results printed for this matrix:
    # α_nominal = .743, α_ordinal = .815, α_interval = .849, α_ratio = .797. The ordinal and
    # ratio values are also asserted in the `krippendorff` package's alpha() docstring (v0.9).
    ("nominal", 0.743), ("ordinal", 0.815), ("interval", 0.849), ("ratio", 0.797),
])
def test_krippendorff_2011_section_c(level, expected):
    assert ag.krippendorff_alpha(K2011, level=level) == pytest.approx(expected, abs=5e-4)
    # listing the full 1..5 domain changes nothing (every value is used)
    assert ag.krippendorff_alpha(K2011, level=level, categories=[1, 2, 3, 4, 5]) == \
        pytest.approx(expected, abs=5e-4)


def test_krippendorff_2011_with_labels():
    # `krippendorff` package (v0.9), alpha() docstring: the same matrix with the values
    # written as labels "very low" … "very high"; ordinal with the ordered value domain gives
    # .815, nominal .743 (as in Krippendorff 2011, section C).
    names = {1: "very low", 2: "low", 3: "mid", 4: "high", 5: "very high"}
    labels = [[None if (isinstance(v, float) and math.isnan(v)) else names[v] for v in row]
              for row in K2011]
    order = ["very low", "low", "mid", "high", "very high"]
    assert ag.krippendorff_alpha(labels, level="ordinal", categories=order) == \
        pytest.approx(0.815, abs=5e-4)
    assert ag.krippendorff_alpha(labels) == pytest.approx(0.743, abs=5e-4)
    with pytest.raises(ValueError, match="numeric"):
        ag.krippendorff_alpha(labels, level="interval", categories=order)


def test_krippendorff_wikipedia_computational_example():
    # Wikipedia, "Krippendorff's alpha", section "A computational example" (3 coders × 15
    # units with missing values, α_nominal = 0.691); reproduced with more digits in the
    # `krippendorff` package's alpha() docstring (v0.9): nominal 0.691358, interval 0.810845.
    coders = [[N, N, N, N, N, 3, 4, 1, 2, 1, 1, 3, 3, N, 3],
              [1, N, 2, 1, 3, 3, 4, 3, N, N, N, N, N, N, N],
              [N, N, 2, 1, 3, 4, 4, N, 2, 1, 1, 3, 3, N, 4]]
    units = np.array(coders).T
    assert ag.krippendorff_alpha(units) == pytest.approx(0.691358, abs=5e-7)
    assert ag.krippendorff_alpha(units, level="interval") == pytest.approx(0.810845, abs=5e-7)


# --------------------------------------------------------------------------- Gwet / irrCAC

# Gwet (2014), Handbook of Inter-Rater Reliability, 4th ed.; bundled with irrCAC as
# `cac.raw4raters` (R) / `irrCAC.datasets.raw_4raters()` (Python): 12 units × 4 raters,
# categories 1–5, every rater misses some units. (Krippendorff's 2011 matrix with unit 12's
# lone rating given to rater 3 instead of rater 2.)
RAW4 = [[1, 1, N, 1], [2, 2, 3, 2], [3, 3, 3, 3], [3, 3, 3, 3], [2, 2, 2, 2], [1, 2, 3, 4],
        [4, 4, 4, 4], [1, 1, 2, 1], [2, 2, 2, 2], [N, 5, 5, 5], [N, N, 1, 1], [N, N, 3, N]]


@pytest.mark.parametrize("name, value, se", [
    # irrCAC (R) README, "Computing agreement coefficients from raw ratings" (cac.raw4raters):
    # pa.coeff.raw 0.8181818 (se 0.12561), gwet.ac1.raw 0.77544 (0.14295),
    # fleiss.kappa.raw 0.76117 (0.15302), conger.kappa.raw 0.76282 (0.14917),
    # bp.coeff.raw 0.77273 (0.14472).
    ("percent_agreement", 0.8181818, 0.12561),
    ("gwet_ac1", 0.77544, 0.14295),
    ("fleiss_kappa", 0.76117, 0.15302),
    ("conger_kappa", 0.76282, 0.14917),
    ("brennan_prediger", 0.77273, 0.14472),
])
def test_irrcac_readme_raw4raters(name, value, se):
    assert ag.COEFFICIENTS[name](RAW4) == pytest.approx(value, abs=5e-6)
    assert ag.standard_error(name, RAW4) == pytest.approx(se, abs=5e-6)


def test_irrcac_readme_raw4raters_alpha():
    # irrCAC (R) README: krippen.alpha.raw(cac.raw4raters) gives 0.74342.
    assert ag.krippendorff_alpha(RAW4) == pytest.approx(0.74342, abs=5e-6)


@pytest.mark.parametrize("name, weights, value, se", [
    # irrCAC (Python) test suite, test/unit/irrCAC/raw/test_gwet.py and test_conger.py
    # (raw_4raters, digits=3): AC2 linear 0.859 (se 0.117), AC2 quadratic 0.914 (0.104);
    # Conger linear 0.814 (0.145), quadratic 0.858 (0.144).
    ("gwet_ac2", "linear", 0.859, 0.117),
    ("gwet_ac2", "quadratic", 0.914, 0.104),
    ("conger_kappa", "linear", 0.814, 0.145),
    ("conger_kappa", "quadratic", 0.858, 0.144),
])
def test_irrcac_weighted_raw4raters(name, weights, value, se):
    assert ag.COEFFICIENTS[name](RAW4, weights=weights) == pytest.approx(value, abs=5e-4)
    assert ag.standard_error(name, RAW4, weights=weights) == pytest.approx(se, abs=5e-4)


# Full-precision outputs of irrCAC 0.4.4 (Python), `CAC(data, weights=w, digits=15).<method>()`
# with data = irrCAC.datasets.raw_4raters() and raw_ben_gerry() (2 raters, labels a–e, one
# missing rating), recorded once; (coefficient, standard error). Checked to 1e-9.
IRRCAC_FULL = {
    ("raw4", "gwet_ac1", None): (0.775444068126995, 0.142949950640765),
    ("raw4", "gwet_ac2", "linear"): (0.858739136432611, 0.117329021881364),
    ("raw4", "gwet_ac2", "quadratic"): (0.914000723551605, 0.10396224464506),
    ("raw4", "fleiss_kappa", None): (0.761169275422411, 0.153019203469492),
    ("raw4", "fleiss_kappa", "linear"): (0.817944767097309, 0.148504355499451),
    ("raw4", "fleiss_kappa", "quadratic"): (0.864935064935065, 0.146033610756912),
    ("raw4", "conger_kappa", None): (0.762817441303306, 0.149168152480174),
    ("raw4", "conger_kappa", "linear"): (0.813776319966141, 0.145085402493167),
    ("raw4", "conger_kappa", "quadratic"): (0.857710656222534, 0.143670663828733),
    ("raw4", "brennan_prediger", None): (0.772727272727273, 0.144716619899483),
    ("raw4", "brennan_prediger", "linear"): (0.848484848484848, 0.123356124494103),
    ("raw4", "brennan_prediger", "quadratic"): (0.901515151515152, 0.110894374973973),
    ("bg", "gwet_ac1", None): (0.661442006269592, 0.183962151530313),
    ("bg", "gwet_ac2", "linear"): (0.672727272727273, 0.19575702138106),
    ("bg", "gwet_ac2", "quadratic"): (0.706293706293706, 0.206902419390957),
    ("bg", "fleiss_kappa", None): (0.649350649350649, 0.191295542755993),
    ("bg", "fleiss_kappa", "quadratic"): (0.567753001715266, 0.300441471493849),
    ("bg", "conger_kappa", None): (0.657142857142857, 0.179430354116416),
    ("bg", "cohen_kappa", None): (0.657142857142857, 0.179430354116416),
    ("bg", "cohen_kappa", "linear"): (0.602209944751381, 0.230903208014878),
    ("bg", "brennan_prediger", None): (0.659090909090909, 0.185271948675969),
    ("bg", "brennan_prediger", "quadratic"): (0.681818181818182, 0.221412038423451),
}
# irrCAC.datasets.raw_ben_gerry(): ratings of 12 units by Ben and Gerry (Gwet 2014).
BEN_GERRY = [["a", "b"], ["a", "a"], ["b", "b"], ["b", "b"], ["d", "b"], ["c", "c"],
             ["c", "c"], ["c", "c"], ["e", "e"], ["d", None], ["d", "d"], ["a", "d"]]


@pytest.mark.parametrize("key", sorted(IRRCAC_FULL, key=str))
def test_irrcac_full_precision(key):
    data, name, weights = key
    ratings = RAW4 if data == "raw4" else BEN_GERRY
    value, se = IRRCAC_FULL[key]
    assert ag.COEFFICIENTS[name](ratings, weights=weights) == pytest.approx(value, abs=1e-9)
    assert ag.standard_error(name, ratings, weights=weights) == pytest.approx(se, abs=1e-9)


def test_irrcac_ben_gerry_cohen_with_labels_and_a_missing_rating():
    # irrCAC (Python) test_conger.py, test_conger_kappa_raw_ben_gerry (digits=3): Conger's
    # kappa for the two raters = Cohen's kappa 0.657, se 0.179; Krippendorff's alpha on the
    # same data from irrCAC 0.4.4 `CAC(raw_ben_gerry()).krippendorff()`: 0.664893617021276.
    assert ag.cohen_kappa(BEN_GERRY) == pytest.approx(0.657, abs=5e-4)
    assert ag.standard_error("cohen_kappa", BEN_GERRY) == pytest.approx(0.179, abs=5e-4)
    assert ag.krippendorff_alpha(BEN_GERRY) == pytest.approx(0.664893617021276, abs=1e-9)


# irrCAC (R) README, `distrib.6raters`: 15 psychiatric patients × 6 psychiatrists ×
# 5 diagnoses (after Fleiss 1971), as counts of raters per category.
DIST6 = [[0, 0, 0, 6, 0], [0, 3, 0, 0, 3], [0, 1, 4, 0, 1], [0, 0, 0, 0, 6], [0, 3, 0, 3, 0],
         [2, 0, 4, 0, 0], [0, 0, 4, 0, 2], [2, 0, 3, 1, 0], [2, 0, 0, 4, 0], [0, 0, 0, 0, 6],
         [1, 0, 0, 5, 0], [1, 1, 0, 4, 0], [0, 3, 3, 0, 0], [1, 0, 0, 5, 0], [0, 2, 0, 3, 1]]


@pytest.mark.parametrize("name, value, se", [
    # irrCAC (R) README: gwet.ac1.dist 0.4448007 (stderr 0.08418757), fleiss.kappa.dist
    # 0.4139265 (0.08119291), bp.coeff.dist 0.4388889 (0.08312142); pa = 0.5511111.
    ("gwet_ac1", 0.4448007, 0.08418757),
    ("fleiss_kappa", 0.4139265, 0.08119291),
    ("brennan_prediger", 0.4388889, 0.08312142),
])
def test_irrcac_readme_distrib_6raters(name, value, se):
    ratings = from_distribution(DIST6)
    assert ag.COEFFICIENTS[name](ratings) == pytest.approx(value, abs=5e-8)
    assert ag.standard_error(name, ratings) == pytest.approx(se, abs=5e-9)
    assert ag.percent_agreement(ratings) == pytest.approx(0.5511111, abs=5e-8)


def test_irrcac_readme_distrib_6raters_alpha():
    # irrCAC (R) README: krippen.alpha.dist(distrib.6raters) = 0.4204384.
    assert ag.krippendorff_alpha(from_distribution(DIST6)) == pytest.approx(0.4204384, abs=5e-8)


# irrCAC (R) README, `cont3x3abstractors`: 100 pregnant women classified by two abstractors
# (Ectopic / AIU / NIU), Gwet (2014).
ABSTRACTORS = [[13, 0, 0], [0, 20, 7], [0, 4, 56]]


@pytest.mark.parametrize("name, value, table_se", [
    # irrCAC (R) README: kappa2.table 0.7964094 (se 0.05891072), scott2.table 0.7962397
    # (0.05905473), gwet.ac1.table 0.8493305 (0.04321747), bp2.table 0.835 (0.04693346),
    # pa2.table 0.89 (0.03128898), krippen2.table 0.7972585.
    ("cohen_kappa", 0.7964094, 0.05891072),
    ("scott_pi", 0.7962397, 0.05905473),
    ("gwet_ac1", 0.8493305, 0.04321747),
    ("brennan_prediger", 0.835, 0.04693346),
    ("percent_agreement", 0.89, 0.03128898),
    ("krippendorff_alpha", 0.7972585, None),
])
def test_irrcac_readme_contingency_table(name, value, table_se):
    ratings = from_table(ABSTRACTORS)
    assert ag.COEFFICIENTS[name](ratings) == pytest.approx(value, abs=5e-8)
    if table_se is not None:
        # The contingency-table variance divides by n² where the raw-ratings one divides by
        # n(n − 1) (Gwet 2014, ch. 5); with n = 100 complete units they differ by √(99/100).
        n = ratings.shape[0]
        se = ag.standard_error(name, ratings)
        assert se * math.sqrt((n - 1) / n) == pytest.approx(table_se, abs=5e-9)


# --------------------------------------------------------------------------- Fleiss

# Fleiss, J. L. (1971). "Measuring nominal scale agreement among many raters", Psychological
# Bulletin 76(5), Table 1: 30 patients × 6 psychiatrists × 5 diagnoses; κ = .430. Raw form as
# in R irr's `diagnoses` and statsmodels' test_inter_rater.py.
DIAGNOSES = [[4, 4, 4, 4, 4, 4], [2, 2, 2, 5, 5, 5], [2, 3, 3, 3, 3, 5], [5, 5, 5, 5, 5, 5],
             [2, 2, 2, 4, 4, 4], [1, 1, 3, 3, 3, 3], [3, 3, 3, 3, 5, 5], [1, 1, 3, 3, 3, 4],
             [1, 1, 4, 4, 4, 4], [5, 5, 5, 5, 5, 5], [1, 4, 4, 4, 4, 4], [1, 2, 4, 4, 4, 4],
             [2, 2, 2, 3, 3, 3], [1, 4, 4, 4, 4, 4], [2, 2, 4, 4, 4, 5], [3, 3, 3, 3, 3, 5],
             [1, 1, 1, 4, 5, 5], [1, 1, 1, 1, 1, 2], [2, 2, 4, 4, 4, 4], [1, 3, 3, 5, 5, 5],
             [5, 5, 5, 5, 5, 5], [2, 4, 4, 4, 4, 4], [2, 2, 4, 5, 5, 5], [1, 1, 4, 4, 4, 4],
             [1, 4, 4, 4, 4, 5], [2, 2, 2, 2, 2, 4], [1, 1, 1, 1, 5, 5], [2, 2, 4, 4, 4, 4],
             [1, 3, 3, 3, 3, 3], [5, 5, 5, 5, 5, 5]]


def test_fleiss_1971_psychiatric_diagnoses():
    # Fleiss (1971): κ = .430 (also R irr::kappam.fleiss(diagnoses): Kappa = 0.43).
    assert ag.fleiss_kappa(DIAGNOSES) == pytest.approx(0.430, abs=5e-4)
    # with two or more raters Scott's pi is Fleiss' kappa
    assert ag.scott_pi(DIAGNOSES) == ag.fleiss_kappa(DIAGNOSES)


def test_fleiss_kappa_wikipedia_worked_example():
    # Wikipedia, "Fleiss' kappa", worked example (10 subjects × 14 raters × 5 categories):
    # P̄ = 0.378, P̄e = 0.213, κ = 0.210 (also statsmodels test_inter_rater.test_fleiss_kappa).
    dist = [[0, 0, 0, 0, 14], [0, 2, 6, 4, 2], [0, 0, 3, 5, 6], [0, 3, 9, 2, 0],
            [2, 2, 8, 1, 1], [7, 7, 0, 0, 0], [3, 2, 6, 3, 0], [2, 5, 3, 2, 2],
            [6, 5, 2, 1, 0], [0, 2, 2, 3, 7]]
    ratings = from_distribution(dist)
    assert ag.percent_agreement(ratings) == pytest.approx(0.378, abs=5e-4)
    assert ag.fleiss_kappa(ratings) == pytest.approx(0.210, abs=5e-4)


# --------------------------------------------------------------------------- Cohen

# SAS PROC FREQ printout for a 3 × 3 table, as recorded in statsmodels'
# stats/tests/test_inter_rater.py (table10, TestUnweightedCohens / TestWeightedCohens):
# simple kappa 0.4842; weighted kappa with scores 0, 1, 2 (SAS's default Cicchetti–Allison
# weights, i.e. linear agreement weights 1 − |i − j|/(q − 1)) 0.4701.
SAS_TABLE = [[0, 4, 1], [0, 8, 0], [0, 1, 5]]


def test_cohen_kappa_sas_example():
    ratings = from_table(SAS_TABLE)
    assert ag.cohen_kappa(ratings) == pytest.approx(0.4842, abs=5e-5)
    assert ag.cohen_kappa(ratings, weights="linear") == pytest.approx(0.4701, abs=5e-5)


def test_cohen_kappa_needs_two_raters():
    with pytest.raises(ValueError, match="two raters"):
        ag.cohen_kappa([[1, 1, 1], [2, 2, 1]])
    with pytest.raises(ValueError, match="two raters"):
        ag.cohen_kappa([[1], [2]])
    with pytest.raises(ValueError, match="two raters"):
        ag.standard_error("cohen_kappa", [[1, 1, 1], [2, 2, 1]])
    with pytest.raises(ValueError, match="two raters"):
        ag.bootstrap_ci("cohen_kappa", [[1, 1, 1], [2, 2, 1]], n_resamples=5)


# --------------------------------------------------------------------------- ICC

# Shrout, P. E. & Fleiss, J. L. (1979). "Intraclass correlations: uses in assessing rater
# reliability", Psychological Bulletin 86(2): Table 2 data (6 targets × 4 judges) and Table 4
# results ICC(1,1) = .17, ICC(2,1) = .29, ICC(3,1) = .71, ICC(1,4) = .44, ICC(2,4) = .62,
# ICC(3,4) = .91.
SHROUT_FLEISS = [[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9],
                 [6, 2, 4, 7]]


@pytest.mark.parametrize("form, expected", [
    ("1,1", 0.17), ("2,1", 0.29), ("3,1", 0.71), ("1,k", 0.44), ("2,k", 0.62), ("3,k", 0.91),
])
def test_shrout_fleiss_1979(form, expected):
    assert ag.icc(SHROUT_FLEISS, form=form) == pytest.approx(expected, abs=5e-3)


def test_icc_deletes_incomplete_units_listwise():
    with_gaps = SHROUT_FLEISS + [[5, N, 3, 4], [N, N, N, N]]
    for form in ag.ICC_FORMS:
        assert ag.icc(with_gaps, form=form) == pytest.approx(ag.icc(SHROUT_FLEISS, form=form),
                                                             abs=1e-12)
    with pytest.raises(ValueError, match="form"):
        ag.icc(SHROUT_FLEISS, form="4,1")
    with pytest.raises(ValueError, match="numeric"):
        ag.icc([["a", "b"], ["b", "b"]])


# --------------------------------------------------------------------------- input handling


def test_yes_no_labels_match_their_numeric_coding():
    yes_no = [["yes", "yes", "no"], ["yes", "no", None], ["no", "no", "no"], ["yes", "yes", ""],
              [None, "no", "yes"]]
    coded = [[1, 1, 0], [1, 0, N], [0, 0, 0], [1, 1, N], [N, 0, 1]]
    for name in ag.KAPPA_FAMILY:
        if name == "cohen_kappa":
            continue
        assert ag.COEFFICIENTS[name](yes_no) == pytest.approx(ag.COEFFICIENTS[name](coded),
                                                              abs=1e-12)
        assert ag.standard_error(name, yes_no) == pytest.approx(
            ag.standard_error(name, coded), abs=1e-12)
    assert ag.cohen_kappa([r[:2] for r in yes_no]) == pytest.approx(
        ag.cohen_kappa([r[:2] for r in coded]), abs=1e-12)
    assert ag.krippendorff_alpha(yes_no) == pytest.approx(ag.krippendorff_alpha(coded),
                                                          abs=1e-12)
    # numpy string arrays (no None possible): "" is missing
    arr = np.array([["yes", "yes"], ["no", ""], ["no", "no"], ["yes", "no"]])
    assert ag.cohen_kappa(arr) == pytest.approx(
        ag.cohen_kappa([[1, 1], [0, N], [0, 0], [1, 0]]), abs=1e-12)


def test_unused_categories_count():
    ratings = [[1, 1, 2], [2, 2, 2], [1, 1, 1], [2, 1, 2]]
    cats = [1, 2, 3]
    # Brennan–Prediger's chance agreement is 1/q: an unused third category lowers it.
    pa = ag.percent_agreement(ratings)
    assert ag.brennan_prediger(ratings) == pytest.approx((pa - 1 / 2) / (1 - 1 / 2))
    assert ag.brennan_prediger(ratings, categories=cats) == pytest.approx((pa - 1 / 3) /
                                                                          (1 - 1 / 3))
    # percent agreement and Fleiss' kappa do not depend on unused categories …
    assert ag.percent_agreement(ratings, categories=cats) == pa
    assert ag.fleiss_kappa(ratings, categories=cats) == pytest.approx(ag.fleiss_kappa(ratings))
    # … but weights do: 1 and 2 are nearer on a 1–3 scale than on a 1–2 scale
    assert ag.percent_agreement(ratings, categories=cats, weights="linear") > \
        ag.percent_agreement(ratings, weights="linear")
    # label categories keep the order given (ranks for weights and ordinal alpha)
    lab = [["lo", "lo", "mid"], ["mid", "mid", "mid"], ["lo", "lo", "lo"], ["mid", "lo", "mid"]]
    assert ag.brennan_prediger(lab, categories=["lo", "mid", "hi"]) == pytest.approx(
        ag.brennan_prediger(ratings, categories=cats))
    assert ag.gwet_ac2(lab, categories=["lo", "mid", "hi"], weights="quadratic") == \
        pytest.approx(ag.gwet_ac2(ratings, categories=cats, weights="quadratic"))


def test_numeric_weights_use_category_values():
    # Gwet (2014) / irrCAC Weights: linear w_kl = 1 − |x_k − x_l| / (x_max − x_min) on the
    # category values. With categories 0, 1, 10 the pair (0, 1) earns 0.9, not 0.5.
    ratings = [[0, 1], [1, 1], [10, 10], [0, 0]]
    assert ag.percent_agreement(ratings, weights="linear") == pytest.approx((0.9 + 3) / 4)
    # on ranks instead (labels), the same pair earns 1 − 1/2
    lab = [["a", "b"], ["b", "b"], ["c", "c"], ["a", "a"]]
    assert ag.percent_agreement(lab, weights="linear") == pytest.approx((0.5 + 3) / 4)
    assert ag.percent_agreement(lab, weights="quadratic") == pytest.approx((0.75 + 3) / 4)


def test_encodings_agree():
    # the whole-number lookup table (int8 or int16 codes), the sorted-values path for
    # non-integral values, and labels must all give the same coefficients
    rng = np.random.default_rng(9)
    wide = rng.integers(0, 201, size=(40, 4)).astype(float)  # 0..200: more than 127 codes
    wide[rng.random(wide.shape) < 0.2] = np.nan
    cats = list(range(201))
    shifted, shifted_cats = wide + 0.5, [c + 0.5 for c in cats]
    as_labels = [[None if math.isnan(v) else f"v{int(v):03d}" for v in row] for row in wide]
    label_cats = [f"v{c:03d}" for c in cats]
    assert ag.encode(wide, cats).codes.dtype == np.int16
    assert ag.encode(RAW4).codes.dtype == np.int8
    for level in ag.LEVELS:
        a = ag.krippendorff_alpha(wide, level=level, categories=cats)
        if level != "ratio":  # the ratio metric is not shift-invariant
            assert a == pytest.approx(ag.krippendorff_alpha(shifted, level=level,
                                                            categories=shifted_cats), abs=1e-12)
        if level in ("nominal", "ordinal"):
            assert a == pytest.approx(ag.krippendorff_alpha(as_labels, level=level,
                                                            categories=label_cats), abs=1e-12)
    for name in ("fleiss_kappa", "conger_kappa", "gwet_ac1", "brennan_prediger"):
        for weights in (None, "quadratic"):
            a = ag.COEFFICIENTS[name](wide, categories=cats, weights=weights)
            assert a == pytest.approx(ag.COEFFICIENTS[name](
                shifted, categories=shifted_cats, weights=weights), abs=1e-12)
            assert a == pytest.approx(ag.COEFFICIENTS[name](
                as_labels, categories=label_cats, weights=weights), abs=1e-12)
    objects = [[None if math.isnan(v) else int(v) for v in row] for row in wide]
    assert ag.krippendorff_alpha(objects, level="interval") == pytest.approx(
        ag.krippendorff_alpha(wide, level="interval"), abs=1e-12)


def test_label_not_in_categories_is_named():
    with pytest.raises(ValueError, match="'maybe'"):
        ag.fleiss_kappa([["yes", "maybe"], ["no", "no"]], categories=["yes", "no"])
    with pytest.raises(ValueError, match="rating 7 "):
        ag.krippendorff_alpha([[1, 7], [2, 2]], categories=[1, 2, 3])
    with pytest.raises(ValueError, match="rating 2.5 "):
        ag.gwet_ac1([[1, 2.5], [2, 2]], categories=[1, 2, 3])
    with pytest.raises(ValueError, match="categories repeat"):
        ag.gwet_ac1([[1, 2]], categories=[1, 2, 2])


def test_bad_arguments():
    with pytest.raises(ValueError, match="weights"):
        ag.fleiss_kappa(RAW4, weights="cubic")
    with pytest.raises(ValueError, match="level"):
        ag.krippendorff_alpha(RAW4, level="cardinal")
    with pytest.raises(ValueError, match="matrix"):
        ag.fleiss_kappa([1, 2, 3])
    with pytest.raises(TypeError, match="level"):
        ag.undefined_reason("fleiss_kappa", RAW4, level="nominal")
    with pytest.raises(KeyError):
        ag.undefined_reason("cronbach_alpha", RAW4)
    with pytest.raises(KeyError):
        ag.standard_error("cronbach_alpha", RAW4)


def test_gwet_ac2_without_weights_is_ac1():
    # irrCAC: CAC(data).gwet() with the default weights="identity" reports "AC1".
    assert ag.gwet_ac2(RAW4) == ag.gwet_ac1(RAW4)
    assert ag.gwet_ac2(RAW4, weights="quadratic") != ag.gwet_ac1(RAW4)


# --------------------------------------------------------------------------- undefined


def test_every_rating_in_one_category():
    same = [[3, 3, 3], [3, 3, N], [3, 3, 3]]
    for name in ("fleiss_kappa", "scott_pi", "conger_kappa", "gwet_ac1", "brennan_prediger"):
        assert math.isnan(ag.COEFFICIENTS[name](same))
        assert ag.undefined_reason(name, same) == "every rating is in one category"
        assert math.isnan(ag.standard_error(name, same))
    assert math.isnan(ag.cohen_kappa([r[:2] for r in same]))
    assert ag.undefined_reason("cohen_kappa", [r[:2] for r in same]) == \
        "every rating is in one category"
    assert math.isnan(ag.krippendorff_alpha(same))
    assert ag.undefined_reason("krippendorff_alpha", same) == "every rating is in one category"
    assert ag.percent_agreement(same) == 1.0
    assert ag.undefined_reason("percent_agreement", same) is None
    # AC1 and Brennan–Prediger stay defined when other categories were possible
    assert ag.gwet_ac1(same, categories=[1, 2, 3]) == 1.0
    assert ag.brennan_prediger(same, categories=[1, 2, 3]) == 1.0
    assert ag.undefined_reason("gwet_ac1", same, categories=[1, 2, 3]) is None
    assert ag.undefined_reason("gwet_ac1", same, categories=[3]) == \
        "only one category is possible"
    assert math.isnan(ag.fleiss_kappa(same, categories=[1, 2, 3]))


def test_no_unit_rated_twice():
    lonely = [[1, N, N], [N, 2, N], [N, N, 3], [N, N, N]]
    for name in ag.KAPPA_FAMILY:
        data = [r[:2] for r in lonely] if name == "cohen_kappa" else lonely
        assert math.isnan(ag.COEFFICIENTS[name](data))
        assert ag.undefined_reason(name, data) == "no unit was rated by two raters"
        assert math.isnan(ag.standard_error(name, data))
        assert all(math.isnan(v) for v in ag.bootstrap_ci(name, data, n_resamples=20, seed=1))
    assert math.isnan(ag.krippendorff_alpha(lonely))
    assert ag.undefined_reason("krippendorff_alpha", lonely) == "no unit was rated by two raters"
    empty = np.empty((0, 3))
    assert math.isnan(ag.fleiss_kappa(empty))
    assert math.isnan(ag.krippendorff_alpha(empty, level="interval"))
    assert math.isnan(ag.icc(empty))


def test_icc_undefined():
    assert math.isnan(ag.icc([[3, 3], [3, 3], [3, 3]]))
    assert ag.undefined_reason("icc", [[3, 3], [3, 3], [3, 3]]) == "the ratings do not vary"
    assert ag.undefined_reason("icc", [[1, N], [2, 3], [N, 4]]) == \
        "fewer than two units were rated by every rater"
    assert ag.undefined_reason("icc", [[1, N], [2, N], [3, N]]) == "fewer than two raters"
    assert ag.undefined_reason("icc", SHROUT_FLEISS) is None
    # every unit has the same mean: ICC(1,k) = (BMS − WMS)/BMS has BMS = 0
    same_means = [[1, 3], [3, 1], [2, 2]]
    assert math.isnan(ag.icc(same_means, form="1,k"))
    assert ag.undefined_reason("icc", same_means, form="1,k") is not None
    assert ag.icc(same_means, form="1,1") == pytest.approx(-1.0)  # −1/(k − 1), defined


def test_standard_error_not_available():
    assert math.isnan(ag.standard_error("krippendorff_alpha", RAW4))
    assert math.isnan(ag.standard_error("icc", SHROUT_FLEISS))


# --------------------------------------------------------------------------- interpretation


def test_landis_koch_bands():
    # Landis & Koch (1977), Biometrics 33: <0 poor, 0–.20 slight, .21–.40 fair,
    # .41–.60 moderate, .61–.80 substantial, .81–1 almost perfect.
    assert ag.landis_koch(-0.01) == "poor"
    assert ag.landis_koch(0.0) == "slight"
    assert ag.landis_koch(0.2) == "slight"
    assert ag.landis_koch(0.21) == "fair"
    assert ag.landis_koch(0.4) == "fair"
    assert ag.landis_koch(0.6) == "moderate"
    assert ag.landis_koch(0.8) == "substantial"
    assert ag.landis_koch(0.81) == "almost perfect"
    assert ag.landis_koch(1.0) == "almost perfect"
    assert ag.landis_koch(math.nan) == "undefined"
    bands = [(0.7, "weak"), (1.0, "strong")]
    assert ag.landis_koch(0.5, bands=bands) == "weak"
    assert ag.landis_koch(0.9, bands=bands) == "strong"
    assert ag.landis_koch(1.0, bands=bands) == "strong"


def test_krippendorff_label():
    # Krippendorff (2004), Content Analysis, 2nd ed., §11.4.4: rely on α ≥ .800; tentative
    # conclusions only for .667 ≤ α < .800.
    assert ag.krippendorff_label(0.5) == "unreliable"
    assert ag.krippendorff_label(0.667) == "tentative"
    assert ag.krippendorff_label(0.799) == "tentative"
    assert ag.krippendorff_label(0.8) == "reliable"
    assert ag.krippendorff_label(math.nan) == "undefined"
    assert ag.krippendorff_label(0.75, thresholds=(0.6, 0.7)) == "reliable"


# --------------------------------------------------------------------------- bootstrap


def realistic(units=60, raters=5, missing=0.2, seed=11):
    rng = np.random.default_rng(seed)
    truth = rng.integers(1, 6, size=units)
    noise = rng.integers(1, 6, size=(units, raters))
    x = np.where(rng.random((units, raters)) < 0.7, truth[:, None], noise).astype(float)
    x[rng.random(x.shape) < missing] = np.nan
    return x


CASES = [
    ("percent_agreement", {}), ("percent_agreement", {"weights": "linear"}),
    ("scott_pi", {}), ("fleiss_kappa", {"weights": "quadratic"}), ("conger_kappa", {}),
    ("conger_kappa", {"weights": "linear"}), ("gwet_ac1", {}),
    ("gwet_ac2", {"weights": "quadratic"}), ("brennan_prediger", {"weights": "linear"}),
    ("krippendorff_alpha", {"level": "nominal"}), ("krippendorff_alpha", {"level": "ordinal"}),
    ("krippendorff_alpha", {"level": "interval"}), ("krippendorff_alpha", {"level": "ratio"}),
]


@pytest.mark.parametrize("name, kwargs", CASES)
def test_bootstrap_is_seeded_and_brackets_the_estimate(name, kwargs):
    x = realistic()
    kw = {"categories": [1, 2, 3, 4, 5], **kwargs}
    a = ag.bootstrap_ci(name, x, n_resamples=400, seed=7, **kw)
    b = ag.bootstrap_ci(name, x, n_resamples=400, seed=7, **kw)
    c = ag.bootstrap_ci(name, x, n_resamples=400, seed=8, **kw)
    assert a == b
    assert a != c
    assert a[0] < ag.COEFFICIENTS[name](x, **kw) < a[1]
    wide = ag.bootstrap_ci(name, x, n_resamples=400, seed=7, confidence=0.99, **kw)
    assert wide[0] <= a[0] and a[1] <= wide[1]


def test_bootstrap_icc_and_cohen():
    x = realistic(units=80, raters=4, missing=0.0)
    lo, hi = ag.bootstrap_ci("icc", x, n_resamples=500, seed=3, form="2,1")
    assert lo < ag.icc(x, form="2,1") < hi
    two = realistic(units=80, raters=2)
    lo, hi = ag.bootstrap_ci("cohen_kappa", two, n_resamples=500, seed=3)
    assert lo < ag.cohen_kappa(two) < hi


ALL_CASES = CASES + [("cohen_kappa", {}), ("cohen_kappa", {"weights": "quadratic"}),
                     ("icc", {"form": "1,1"}), ("icc", {"form": "2,1"}), ("icc", {"form": "3,k"})]


@pytest.mark.parametrize("name, kwargs", ALL_CASES)
def test_vectorised_bootstrap_equals_a_plain_loop(name, kwargs):
    """The bootstrap aggregates per-unit statistics with a matrix product; recomputing each
    resample from the raw ratings, one resample at a time, must give the same values."""
    raters = 2 if name == "cohen_kappa" else 5
    missing = 0.05 if name == "icc" else 0.3
    x = realistic(units=30, raters=raters, missing=missing, seed=5)
    x[3] = np.nan  # a unit nobody rated
    x[4, 1:] = np.nan  # a unit rated once
    if name != "icc":
        kwargs = {"categories": [1, 2, 3, 4, 5], **kwargs}
    rng = np.random.default_rng(2)
    indices = rng.integers(0, x.shape[0], size=(40, x.shape[0]))
    fast = ag.bootstrap_distribution(name, x, indices=indices, **kwargs)
    assert fast.shape == (40,)
    for b in range(indices.shape[0]):
        slow = ag.COEFFICIENTS[name](x[indices[b]], **kwargs)
        assert fast[b] == pytest.approx(slow, abs=1e-10, nan_ok=True)


def test_bootstrap_blocks_do_not_change_the_result(monkeypatch):
    x = realistic(units=50, raters=4)
    kw = {"categories": [1, 2, 3, 4, 5]}
    whole = ag.bootstrap_distribution("conger_kappa", x, n_resamples=64, seed=4, **kw)
    whole_alpha = ag.bootstrap_distribution("krippendorff_alpha", x, n_resamples=64, seed=4,
                                            level="ordinal", **kw)
    monkeypatch.setattr(ag, "_BLOCK", 7)  # tiny blocks of resamples and of units
    np.testing.assert_allclose(
        ag.bootstrap_distribution("conger_kappa", x, n_resamples=64, seed=4, **kw), whole,
        rtol=0, atol=1e-12)
    np.testing.assert_allclose(
        ag.bootstrap_distribution("krippendorff_alpha", x, n_resamples=64, seed=4,
                                  level="ordinal", **kw), whole_alpha, rtol=0, atol=1e-12)


def test_default_resampling_draws_units_uniformly():
    # With the default generator the resamples are multinomial counts over the units the
    # coefficient uses; the mean of a simple statistic must be close to the sample value.
    x = realistic(units=200, raters=3, missing=0.0)
    values = ag.bootstrap_distribution("percent_agreement", x, n_resamples=2000, seed=1)
    assert values.shape == (2000,)
    assert abs(values.mean() - ag.percent_agreement(x)) < 0.005
    assert values.std() == pytest.approx(ag.standard_error("percent_agreement", x), rel=0.15)
