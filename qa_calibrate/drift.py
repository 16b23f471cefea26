"""Drift detection: is an evaluator growing lenient or harsh on a criterion?

Method (also in the README). Two sources of evidence feed one detector:

- routine scoring: each of the evaluator's answers is a Bernoulli outcome (the criterion failed
  or not). Its expected probability is the failure rate of the *other* evaluators on the same
  criterion, for interactions of the same team, within ±``window_days`` of it, shrunk toward the
  peers' rate over all teams (``shrink`` pseudo-observations) so a thin stratum does not swing it;
- calibration sessions: each answer of the evaluator that the reference (benchmark, else
  consensus) has an answer for gives two outcomes: "passed what the reference failed" (lenient
  disagreement) and "failed what the reference passed" (harsh disagreement); the expected
  probability is the peers' rate of that disagreement on the criterion in the same session,
  shrunk toward their rate over all sessions.

On each series (evaluator × criterion × source, in time order) run the risk-adjusted Bernoulli
CUSUM of Steiner, Cook, Farewell & Treasure (2000), once for each direction: it accumulates
W_t = y_t·log R − log(1 − p_t + R·p_t) and signals when S_t = max(0, S_{t−1} + W_t) exceeds h.
R is the odds ratio the chart is tuned to detect (3 by default). The limit h depends on the
expected rate and on how many peer answers it rests on (``chart_thresholds``), so every chart
false-alarms at the stated rate. A signal needs at least ``min_evidence`` answers since the
chart's last zero (and, if ``z_crit`` is set, a one-sided z = (O − E)/sqrt(V) ≥ ``z_crit`` on
them, O the observed count, E = Σp and V = Σp(1−p)); the flag's onset is the change point of
maximum likelihood since the chart's restart, the drift's size fitted (``change_point``).

Everything is vectorised over all series at once: the CUSUM uses the Lindley form
S_t = C_t − min(0, min_{s≤t} C_s) over segmented cumulative sums.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np

from .store import Store
from .vocabulary import DRIFT_ANSWERS_PER_YEAR, DRIFT_YEARS_PER_FALSE_ALARM

FLAG_KEYS = ("id", "evaluator", "criterion", "direction", "size", "onset_date", "first_date",
             "evidence_count", "examples")


@dataclass(frozen=True)
class DriftSettings:
    """The detector's settings. The limit h of each chart comes from the stated false-alarm
    rate: one false alarm per chart (evaluator × criterion × direction) every
    ``years_per_false_alarm`` years at ``answers_per_year`` answers a year, i.e. an in-control
    average run length of ``arl0`` answers at every expected rate. ``threshold`` fixes one h for
    every rate instead (today's chart before issue 16; the false-alarm rate then varies)."""

    window_days: float = 60.0
    shrink: float = 20.0
    odds_ratio: float = 3.0
    answers_per_year: float = DRIFT_ANSWERS_PER_YEAR
    years_per_false_alarm: float = DRIFT_YEARS_PER_FALSE_ALARM
    threshold: float | None = None  # a fixed h for every rate, overriding the stated rate
    # Whether the limit allows for the expected rate's sampling error (the peer answers behind
    # it); False: h as if the expected rate were known exactly (the chart before that).
    limit_for_estimate: bool = True
    min_evidence: int = 10
    # A significance gate on the evidence at the signal (z ≥ z_crit); none by default: the
    # limit h already carries the whole false-alarm budget (README "Drift detection" says why).
    z_crit: float | None = None
    ewma_lambda: float = 0.1
    min_rate: float = 0.01  # expected probabilities are kept inside [min_rate, 1 - min_rate]

    @property
    def arl0(self) -> float:
        """In-control average run length (answers between false alarms) of every chart."""
        return self.answers_per_year * self.years_per_false_alarm

    @property
    def default_rate(self) -> bool:
        """The stated false-alarm rate of the tool (flags found so are kept in the store)."""
        d = DriftSettings()
        return self.threshold is None and (self.odds_ratio, self.arl0, self.window_days,
                                           self.shrink, self.min_evidence, self.z_crit,
                                           self.limit_for_estimate) == (
            d.odds_ratio, d.arl0, d.window_days, d.shrink, d.min_evidence, d.z_crit,
            d.limit_for_estimate)


@dataclass(frozen=True)
class Flag:
    """One drift flag, as the CLI and the TUI show it. ``first_date`` is the day of the signal
    (when a run of ``drift`` on that day raised it), ``onset_date`` the estimated change
    point. ``id`` is the kept flag's (None: found with other settings than the stated rate,
    not kept); ``cleared_*`` say who cleared it, when and why (None: it stands)."""

    evaluator: str
    rubric: str
    criterion: str
    source: str  # routine | calibration
    direction: str  # lenient | harsh
    size: float  # fail-rate difference vs peers/reference, in points (negative = lenient)
    first_date: str
    onset_date: str
    evidence_count: int
    observed: int
    expected: float
    z: float
    evaluator_fail_rate: float
    reference_fail_rate: float
    examples: tuple[str, ...] = ()
    trend: tuple[float, ...] = ()  # EWMA of (outcome - expected), per answer
    id: int | None = None
    raised_at: str | None = None  # when it was kept (UTC, ISO)
    cleared_at: str | None = None
    cleared_by: str | None = None
    clear_note: str | None = None

    @property
    def standing(self) -> bool:
        return self.cleared_at is None

    def as_row(self) -> dict[str, Any]:
        row = asdict(self)
        row["examples"], row["trend"] = list(self.examples), list(self.trend)
        return row


@dataclass
class Observations:
    """One row per (evaluator, criterion, answer) outcome, any order.

    ``series`` identifies evaluator × criterion (× source); ``stratum`` is the comparison group
    (team for routine scoring, session for calibration); ``y`` is the outcome whose odds the
    chart watches; ``p`` the expected probability (filled by the expected-rate step)."""

    series: np.ndarray
    evaluator: np.ndarray
    criterion: np.ndarray
    stratum: np.ndarray
    time: np.ndarray  # days (float)
    y: np.ndarray
    p: np.ndarray | None = None


# ----------------------------------------------------------------------------- thresholds


def _grid_chart(p: float, odds_ratio: float, h_hint: float) -> tuple[float, int, int]:
    """A lattice for the chart at expected rate ``p``: cell width d and the two increments in
    cells (up for y = 1, down for y = 0). The smaller step is a whole number of cells and the
    larger is rounded to the nearest cell, with cells fine enough that the rounding moves it by
    at most 0.4% (and no more than 2,000 cells below ``h_hint``)."""
    b = -math.log1p(p * (odds_ratio - 1.0))
    a = math.log(odds_ratio) + b
    small, large = min(a, -b), max(a, -b)
    k = 1
    while True:
        d = small / k
        if abs(large / d - round(large / d)) * d <= 0.004 * large \
                or h_hint / (small / (k + 1)) > 2000:
            break
        k += 1
    if a < -b:
        return d, k, int(round(-b / d))
    return d, int(round(a / d)), k


def _arl_on_lattice(p: float, states: int, up: int, down: int) -> float:
    """Average run length from S = 0 of the chain on states 0..states-1 (Brook & Evans 1972):
    L = (I − Q)⁻¹·1. I − Q is a banded M-matrix, so Gaussian elimination without pivoting over
    its band is exact and stable."""
    n = states
    a = np.eye(n)
    idx = np.arange(n)
    hi = idx + up
    ok = hi < n
    a[idx[ok], hi[ok]] -= p
    a[idx, np.maximum(idx - down, 0)] -= 1.0 - p
    rhs = np.ones(n)
    for j in range(n - 1):
        r1, c1 = min(j + down + 1, n), min(j + up + 1, n)
        f = a[j + 1:r1, j] / a[j, j]
        a[j + 1:r1, j:c1] -= np.outer(f, a[j, j:c1])
        rhs[j + 1:r1] -= f * rhs[j]
    out = np.zeros(n)
    for j in range(n - 1, -1, -1):
        c1 = min(j + up + 1, n)
        out[j] = (rhs[j] - a[j, j + 1:c1] @ out[j + 1:c1]) / a[j, j]
    return float(out[0])


def in_control_arl(p: float, h: float, odds_ratio: float = 3.0, *,
                   reference: float | None = None) -> float:
    """Answers until a false signal, on average, of the Bernoulli CUSUM with limit ``h`` when
    the evaluator's true rate is ``p`` and the chart's expected rate is ``reference`` (default
    ``p``: the reference is exact) — the Markov-chain approximation of Brook & Evans."""
    ref = p if reference is None else reference
    d, up, down = _grid_chart(ref, odds_ratio, h)
    return _arl_on_lattice(p, int(math.floor(h / d + 1e-9)) + 1, up, down)


# Gauss-Hermite nodes (probabilists') for the expected rate's estimation error on the logit
# scale, and the range the engine keeps expected rates in (the stored tables' setting).
_NODES, _WEIGHTS = np.polynomial.hermite_e.hermegauss(9)
_WEIGHTS = _WEIGHTS / _WEIGHTS.sum()
_MIN_RATE = DriftSettings.min_rate


def signal_rate(p: float, h: float, odds_ratio: float = 3.0, *,
                support: float = math.inf) -> float:
    """False signals per answer of a stable evaluator at true rate ``p`` whose chart reads an
    expected rate estimated from ``support`` peer answers: the mean of 1/ARL over the
    estimate's sampling distribution (logit-normal, variance 1/(support·p(1 − p))), each run
    length by the Markov chain at that reference. The estimate moves slowly (a 60-day window)
    next to a false excursion of the chart, so each one sees a fixed reference; ``support``
    already allows for the averaging over longer excursions (``chart_thresholds``)."""
    if not math.isfinite(support):
        return 1.0 / in_control_arl(p, h, odds_ratio)
    sd = 1.0 / math.sqrt(support * p * (1.0 - p))
    refs = np.clip(1.0 / (1.0 + np.exp(-(math.log(p / (1.0 - p)) + sd * _NODES))),
                   _MIN_RATE, 1.0 - _MIN_RATE)
    with np.errstate(over="ignore", invalid="ignore"):
        rates = [1.0 / in_control_arl(p, h, odds_ratio, reference=float(r)) for r in refs]
    return float(np.nansum(_WEIGHTS * np.asarray(rates)))


def threshold_for(p: float, arl: float, odds_ratio: float = 3.0, *,
                  support: float = math.inf) -> float:
    """The smallest limit h at which a stable evaluator at expected rate ``p`` false-alarms
    at most once per ``arl`` answers on average, when the expected rate is estimated from
    ``support`` peer answers (``math.inf``: known exactly)."""
    target = math.log(arl)

    def f(h: float) -> float:
        return target + math.log(signal_rate(p, h, odds_ratio, support=support))

    # f falls as h rises: the Illinois variant of regula falsi inside a bracket that holds it
    lo, hi = 1.0, 12.0
    f_lo, f_hi = f(lo), f(hi)
    if f_lo <= 0:
        return lo
    while f_hi > 0:
        lo, f_lo, hi = hi, f_hi, hi * 1.5
        f_hi = f(hi)
    side = 0
    while hi - lo > 0.005:
        x = hi - f_hi * (hi - lo) / (f_hi - f_lo)
        x = min(max(x, lo + 0.002), hi - 0.002)
        fx = f(x)
        if fx > 0:
            lo, f_lo = x, fx
            if side == -1:
                f_hi /= 2
            side = -1
        else:
            hi, f_hi = x, fx
            if side == 1:
                f_lo /= 2
            side = 1
    return hi  # the smallest limit found whose rate is at or below the target


# Expected rates at which the limit is tabulated (logit-spaced 1%..99%, the range the chart
# keeps expected rates in); between them the limit is interpolated on the logit scale.
RATE_GRID = tuple(float(v) for v in 1.0 / (1.0 + np.exp(-np.linspace(-4.59512, 4.59512, 41))))
# Effective peer answers behind the expected rate at which the limit is tabulated (inf: known
# exactly); between them it is interpolated on 1/sqrt(support), the estimate's standard error.
SUPPORT_GRID = (math.inf, 40000.0, 20000.0, 10000.0, 5000.0, 2500.0, 1250.0, 640.0, 320.0)
# h per (support, rate) of SUPPORT_GRID × RATE_GRID for stated run lengths computed once
# (each cell takes about a second: ``threshold_for``); tests/test_drift_engine.py checks that
# the stored cells are still what the chain gives. Other run lengths are read off them
# (``threshold_cell``).
THRESHOLD_TABLES: dict[tuple[int, float], tuple[tuple[float, ...], ...]] = {
    (300000, 3.0): (
        (
            7.5255, 7.7441, 7.9844, 8.245, 8.3424, 8.5907, 8.7288, 8.9893, 9.192,
            9.2536, 9.5256, 9.6665, 9.8541, 9.9203, 10.0646, 10.141, 10.2127, 10.1649,
            10.2204, 10.2587, 10.1954, 10.1458, 10.0778, 9.9913, 9.9526, 9.7734, 9.6824,
            9.4724, 9.3253, 9.1023, 8.954, 8.7662, 8.5694, 8.3628, 8.1076, 7.8851,
            7.7064, 7.468, 7.2604, 7.0171, 6.8113,
        ),
        (
            7.3887, 7.8434, 8.045, 8.2824, 8.4025, 8.5923, 8.8043, 9.0422, 9.1929,
            9.3611, 9.5517, 9.698, 9.8008, 9.9397, 10.0481, 10.1418, 10.1914, 10.1645,
            10.2187, 10.258, 10.201, 10.1463, 10.1177, 10.0009, 9.9304, 9.8176, 9.6798,
            9.5111, 9.3379, 9.1684, 8.9858, 8.7972, 8.6058, 8.4076, 8.2038, 7.9716,
            7.8015, 7.5882, 7.3855, 7.177, 7.1177,
        ),
        (
            7.3491, 7.9113, 8.0912, 8.3004, 8.4434, 8.6425, 8.8492, 9.0445, 9.2223,
            9.3561, 9.5302, 9.7238, 9.8368, 9.9766, 10.0255, 10.1423, 10.2086, 10.1918,
            10.2203, 10.2593, 10.2305, 10.1969, 10.1274, 10.0598, 9.9548, 9.8108, 9.7106,
            9.5154, 9.3783, 9.201, 9.0158, 8.8373, 8.6522, 8.4722, 8.2662, 8.0833,
            7.8981, 7.6926, 7.5229, 7.3192, 7.3051,
        ),
        (
            7.3084, 8.0509, 8.2612, 8.4373, 8.5738, 8.7306, 8.9083, 9.1328, 9.3044,
            9.4355, 9.6092, 9.7551, 9.8738, 9.9851, 10.0642, 10.1412, 10.2105, 10.2064,
            10.268, 10.276, 10.2301, 10.1992, 10.1545, 10.0756, 9.9836, 9.8469, 9.7545,
            9.5707, 9.4362, 9.2745, 9.1093, 8.9241, 8.7615, 8.5906, 8.4184, 8.236,
            8.105, 7.9545, 7.8068, 7.6724, 7.6935,
        ),
        (
            7.2704, 8.3436, 8.5584, 8.7336, 8.841, 8.9451, 9.0496, 9.2641, 9.4053,
            9.5134, 9.7062, 9.8112, 9.9452, 10.0527, 10.1511, 10.2226, 10.2757, 10.295,
            10.3012, 10.3543, 10.3129, 10.2563, 10.2243, 10.1519, 10.0675, 9.9419, 9.838,
            9.6844, 9.5739, 9.4082, 9.2681, 9.1314, 8.9992, 8.8633, 8.7069, 8.6389,
            8.5355, 8.4641, 8.4306, 8.4213, 8.5564,
        ),
        (
            7.2396, 8.629, 9.2965, 9.3667, 9.3328, 9.4053, 9.4875, 9.6281, 9.655,
            9.7318, 9.8608, 10.0146, 10.1391, 10.1699, 10.2524, 10.2993, 10.3858, 10.4074,
            10.4155, 10.4704, 10.4348, 10.39, 10.3361, 10.267, 10.2059, 10.0916, 10.0409,
            9.9364, 9.8194, 9.6905, 9.6127, 9.532, 9.4849, 9.4588, 9.4406, 9.5247,
            9.6208, 9.7653, 10.093, 10.5235, 11.1229,
        ),
        (
            7.1988, 9.0498, 11.2013, 11.2417, 10.8527, 10.6231, 10.3985, 10.3666, 10.2865,
            10.2366, 10.396, 10.389, 10.4414, 10.5278, 10.5716, 10.6123, 10.6577, 10.6046,
            10.6503, 10.6923, 10.6617, 10.6312, 10.5969, 10.5634, 10.546, 10.494, 10.4304,
            10.3653, 10.3858, 10.3906, 10.4099, 10.5291, 10.7202, 10.8958, 11.3144, 11.9157,
            12.9616, 14.1033, 16.237, 19.3021, 25.4342,
        ),
        (
            7.1817, 9.0519, 12.2203, 19.2004, 16.9247, 14.5725, 13.2371, 12.6334, 12.0,
            11.7021, 11.41, 11.2886, 11.1535, 11.2432, 11.1426, 11.1029, 11.198, 11.1897,
            11.1395, 11.1222, 11.1432, 11.1957, 11.1798, 11.1784, 11.1857, 11.2708, 11.3764,
            11.4811, 11.678, 11.9719, 12.5259, 13.1695, 14.1566, 15.8436, 18.2473, 22.0127,
            33.1776, 46.1931, 57.8236, 66.4779, 73.1248,
        ),
        (
            7.17, 9.0505, 16.3298, 32.6943, 65.287, 53.6326, 31.7364, 23.419, 19.7997,
            17.066, 15.3049, 14.4256, 13.5069, 13.2129, 12.716, 12.6036, 12.5139, 12.357,
            12.3473, 12.3357, 12.3977, 12.5191, 12.5945, 12.8495, 13.055, 13.428, 14.1957,
            14.8946, 16.1287, 17.9487, 21.6129, 25.9367, 35.101, 58.6777, 76.0728, 103.6773,
            129.7155, 143.4304, 156.5081, 180.7434, 239.1317,
        ),
    ),
    (30000, 3.0): (
        (
            5.2417, 5.4547, 5.6894, 5.9231, 6.0636, 6.2922, 6.444, 6.6962, 6.8803,
            6.9677, 7.234, 7.3805, 7.5395, 7.6193, 7.6955, 7.8626, 7.8993, 7.825,
            7.9272, 7.9393, 7.8786, 7.8473, 7.7823, 7.7022, 7.6352, 7.4742, 7.3776,
            7.1938, 7.0228, 6.821, 6.6611, 6.4748, 6.2538, 6.0666, 5.8262, 5.6179,
            5.4144, 5.1918, 4.9802, 4.7476, 4.5434,
        ),
        (
            5.149, 5.4961, 5.7059, 5.9398, 6.0753, 6.2924, 6.4909, 6.7046, 6.8798,
            7.055, 7.2349, 7.3982, 7.5027, 7.629, 7.7136, 7.8319, 7.8754, 7.8931,
            7.9235, 7.9403, 7.9127, 7.8495, 7.8086, 7.7089, 7.6298, 7.498, 7.3543,
            7.1923, 7.0283, 6.8472, 6.6589, 6.4742, 6.2818, 6.0753, 5.8699, 5.6428,
            5.4491, 5.2349, 5.024, 4.8071, 4.7053,
        ),
        (
            5.1207, 5.5139, 5.721, 5.9276, 6.0992, 6.3122, 6.5117, 6.6954, 6.91,
            7.0386, 7.2169, 7.4043, 7.5068, 7.6474, 7.6988, 7.8152, 7.8867, 7.8994,
            7.9301, 7.9387, 7.9295, 7.8906, 7.8167, 7.7441, 7.6354, 7.4973, 7.3774,
            7.1997, 7.0448, 6.8715, 6.6889, 6.4912, 6.296, 6.1085, 5.8929, 5.6915,
            5.4921, 5.2698, 5.0763, 4.8598, 4.7836,
        ),
        (
            5.0896, 5.5587, 5.7844, 5.9854, 6.1579, 6.3522, 6.5365, 6.7626, 6.9371,
            7.0738, 7.2545, 7.4091, 7.5414, 7.645, 7.7803, 7.8348, 7.8813, 7.8991,
            7.9281, 7.9603, 7.9086, 7.8973, 7.8341, 7.7457, 7.6414, 7.5216, 7.4065,
            7.2331, 7.0762, 6.9082, 6.7232, 6.542, 6.3498, 6.1523, 5.9549, 5.7524,
            5.564, 5.3683, 5.1699, 4.9743, 4.9345,
        ),
        (
            5.0503, 5.6568, 5.8772, 6.0956, 6.265, 6.4327, 6.5822, 6.797, 6.9734,
            7.1039, 7.3039, 7.4393, 7.5617, 7.6758, 7.7995, 7.8628, 7.9278, 7.925,
            7.957, 8.0207, 7.956, 7.9092, 7.8659, 7.792, 7.6781, 7.5564, 7.4415,
            7.2925, 7.1528, 6.9633, 6.8049, 6.629, 6.4575, 6.2698, 6.0703, 5.9033,
            5.7243, 5.546, 5.3699, 5.1951, 5.1945,
        ),
        (
            5.0209, 5.7533, 6.0931, 6.2883, 6.4129, 6.593, 6.7571, 6.9721, 7.0607,
            7.2069, 7.3635, 7.526, 7.6528, 7.7366, 7.8659, 7.9153, 7.9899, 8.0053,
            8.025, 8.0653, 8.0427, 7.9808, 7.9307, 7.8429, 7.7599, 7.626, 7.5503,
            7.3954, 7.2584, 7.1049, 6.9548, 6.7956, 6.6539, 6.5088, 6.3477, 6.2084,
            6.0764, 5.9249, 5.8224, 5.7062, 5.7467,
        ),
        (
            4.9729, 5.8959, 6.5846, 6.7436, 6.8591, 6.9851, 7.0373, 7.2459, 7.3133,
            7.4164, 7.6056, 7.7013, 7.8067, 7.9063, 8.0083, 8.0636, 8.1199, 8.1086,
            8.119, 8.1804, 8.1285, 8.0976, 8.047, 7.9975, 7.9289, 7.8341, 7.7237,
            7.5938, 7.5151, 7.3712, 7.2889, 7.1879, 7.1087, 6.9962, 6.925, 6.8672,
            6.8922, 6.8878, 6.8889, 6.9804, 7.139,
        ),
        (
            4.9409, 5.8724, 7.0603, 7.8455, 7.909, 7.7826, 7.8001, 7.8737, 7.8662,
            7.9534, 7.9782, 8.0332, 8.0918, 8.2236, 8.2269, 8.2692, 8.3814, 8.4103,
            8.3241, 8.3839, 8.3783, 8.3591, 8.3337, 8.2723, 8.2268, 8.1848, 8.1648,
            8.0595, 8.0224, 7.9813, 8.0109, 8.0314, 8.0799, 8.2005, 8.3421, 8.6183,
            8.9426, 9.361, 9.9091, 10.6082, 11.2821,
        ),
        (
            4.9126, 5.8625, 8.4974, 9.823, 10.9696, 10.4506, 10.0956, 9.6946, 9.4896,
            9.2291, 9.071, 9.0136, 8.9476, 8.9641, 8.8792, 8.9219, 8.9439, 8.8488,
            8.9333, 8.905, 8.9235, 8.9525, 8.9553, 8.9798, 8.9848, 9.0284, 9.1499,
            9.1984, 9.3994, 9.5826, 9.9788, 10.5039, 11.1852, 12.2255, 13.3844, 14.7076,
            16.2252, 18.012, 20.273, 22.5892, 26.255,
        ),
    ),
    (4000, 3.0): (
        (
            3.3185, 3.5303, 3.737, 3.9494, 4.0999, 4.3167, 4.4949, 4.6799, 4.8776,
            5.0186, 5.2208, 5.3544, 5.5446, 5.6298, 5.7533, 5.8175, 5.8674, 5.8512,
            5.9235, 5.9544, 5.9109, 5.8512, 5.7656, 5.7094, 5.6093, 5.4998, 5.3599,
            5.1886, 5.0357, 4.8368, 4.6803, 4.4841, 4.3045, 4.09, 3.8808, 3.6829,
            3.4876, 3.2851, 3.0819, 2.8843, 2.6958,
        ),
        (
            3.2709, 3.5395, 3.7369, 3.9478, 4.1134, 4.3132, 4.5074, 4.7118, 4.8803,
            5.0375, 5.223, 5.383, 5.4868, 5.6202, 5.7243, 5.8169, 5.8705, 5.8689,
            5.922, 5.9455, 5.906, 5.8501, 5.8, 5.7071, 5.6121, 5.4868, 5.3584,
            5.1967, 5.0279, 4.8555, 4.6795, 4.4863, 4.2965, 4.0972, 3.8991, 3.6889,
            3.4984, 3.297, 3.095, 2.8995, 2.7672,
        ),
        (
            3.2478, 3.5374, 3.7368, 3.939, 4.1102, 4.3221, 4.512, 4.6853, 4.8776,
            5.0358, 5.2033, 5.3693, 5.4937, 5.6299, 5.722, 5.8184, 5.8695, 5.8704,
            5.9093, 5.9238, 5.9093, 5.8504, 5.8039, 5.729, 5.6152, 5.5009, 5.3604,
            5.1892, 5.0404, 4.8632, 4.6806, 4.5009, 4.3069, 4.1054, 3.9068, 3.7044,
            3.5056, 3.3032, 3.1083, 2.9133, 2.7971,
        ),
        (
            3.2303, 3.5478, 3.7517, 3.9555, 4.1362, 4.3288, 4.5175, 4.7419, 4.9018,
            5.0522, 5.24, 5.3791, 5.5177, 5.6285, 5.7505, 5.817, 5.8621, 5.9035,
            5.9243, 5.9309, 5.9056, 5.8669, 5.8057, 5.7329, 5.6251, 5.5006, 5.3786,
            5.1946, 5.0491, 4.8774, 4.6957, 4.5149, 4.318, 4.1223, 3.9239, 3.7234,
            3.5291, 3.3322, 3.137, 2.9437, 2.853,
        ),
        (
            3.1996, 3.5734, 3.7705, 3.9862, 4.1595, 4.3577, 4.5251, 4.7567, 4.9126,
            5.0443, 5.2584, 5.3871, 5.5259, 5.6285, 5.7533, 5.8272, 5.8758, 5.9073,
            5.9249, 5.9647, 5.9183, 5.8875, 5.841, 5.7403, 5.6248, 5.5226, 5.389,
            5.2484, 5.0849, 4.9034, 4.7205, 4.5489, 4.3496, 4.1653, 3.9581, 3.7673,
            3.5757, 3.3778, 3.1874, 3.0001, 2.9369,
        ),
        (
            3.1794, 3.5872, 3.8181, 4.0266, 4.1993, 4.3991, 4.5869, 4.7844, 4.9531,
            5.0934, 5.2747, 5.4119, 5.5628, 5.6667, 5.7616, 5.8173, 5.9355, 5.9232,
            5.9649, 5.9963, 5.9696, 5.9125, 5.8516, 5.7584, 5.6653, 5.5479, 5.4316,
            5.2801, 5.1163, 4.955, 4.7756, 4.6029, 4.4144, 4.2414, 4.044, 3.8567,
            3.6705, 3.4755, 3.292, 3.1167, 3.0854,
        ),
        (
            3.1393, 3.5957, 3.9205, 4.1225, 4.3169, 4.5026, 4.6523, 4.8632, 5.0225,
            5.1701, 5.3684, 5.5006, 5.6253, 5.7337, 5.8363, 5.9058, 5.9795, 5.988,
            5.97, 6.0374, 6.0101, 5.9488, 5.9123, 5.8426, 5.768, 5.6242, 5.5036,
            5.3566, 5.223, 5.0714, 4.8998, 4.7388, 4.5665, 4.3901, 4.2104, 4.0367,
            3.8701, 3.6969, 3.5204, 3.3714, 3.3597,
        ),
        (
            3.1034, 3.5655, 4.0109, 4.316, 4.5091, 4.6766, 4.8302, 5.0449, 5.1887,
            5.3412, 5.4818, 5.6164, 5.7194, 5.8696, 5.9201, 6.017, 6.093, 6.1147,
            6.034, 6.1212, 6.1047, 6.0566, 6.0383, 5.9503, 5.8838, 5.7797, 5.6561,
            5.5264, 5.4073, 5.2646, 5.1343, 4.99, 4.8325, 4.7075, 4.5559, 4.4176,
            4.2845, 4.1438, 4.0138, 3.9157, 3.9054,
        ),
        (
            3.0711, 3.5292, 4.2599, 4.6454, 4.9451, 5.0825, 5.2544, 5.4124, 5.5745,
            5.6824, 5.7993, 5.9158, 6.0409, 6.136, 6.1731, 6.2468, 6.3, 6.2897,
            6.3352, 6.3341, 6.3164, 6.3122, 6.2888, 6.2142, 6.1574, 6.0799, 6.0228,
            5.9126, 5.8417, 5.7314, 5.6729, 5.5971, 5.5224, 5.4747, 5.4071, 5.3539,
            5.3402, 5.2971, 5.2981, 5.3073, 5.3593,
        ),
    ),
}


@functools.lru_cache(maxsize=None)
def threshold_cell(rate: int, support: int, arl: float, odds_ratio: float = 3.0) -> float:
    """h at ``RATE_GRID[rate]`` and ``SUPPORT_GRID[support]`` for an in-control run length of
    ``arl`` answers: from ``THRESHOLD_TABLES`` when stored; between (or beyond) the stored run
    lengths, linear in log(arl) through the two nearest — a chart's run length grows about
    exponentially with h, and computing a whole table takes minutes (a ``drift
    --years-per-false-alarm`` run must not); with no two stored, computed (``threshold_for``)."""
    r = round(odds_ratio, 6)
    stored = THRESHOLD_TABLES.get((round(arl), r))
    if stored is not None:
        return stored[support][rate]
    known = sorted(a for a, ratio in THRESHOLD_TABLES if ratio == r)
    if len(known) < 2:
        return round(threshold_for(RATE_GRID[rate], arl, odds_ratio,
                                   support=SUPPORT_GRID[support]), 4)
    x = math.log(arl)
    k = min(max(int(np.searchsorted(known, arl)), 1), len(known) - 1)
    lo, hi = known[k - 1], known[k]  # the stored pair around arl, or the end pair beyond
    h0, h1 = THRESHOLD_TABLES[(lo, r)][support][rate], THRESHOLD_TABLES[(hi, r)][support][rate]
    t = (x - math.log(lo)) / (math.log(hi) - math.log(lo))
    return round(max(h0 + t * (h1 - h0), 0.5), 4)


_LOGIT_GRID = np.log(np.asarray(RATE_GRID) / (1.0 - np.asarray(RATE_GRID)))
_SE_GRID = np.array([0.0 if not math.isfinite(s) else 1.0 / math.sqrt(s) for s in SUPPORT_GRID])


def _grid_position(x: np.ndarray, grid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Lower cell index and the fraction towards the next, clamped to the grid."""
    x = np.clip(x, grid[0], grid[-1])
    i = np.clip(np.searchsorted(grid, x, side="right") - 1, 0, grid.size - 2)
    return i, (x - grid[i]) / (grid[i + 1] - grid[i])


def _table_values(rows: np.ndarray, cols: np.ndarray, arl: float, odds_ratio: float
                  ) -> np.ndarray:
    """h at the cells (SUPPORT_GRID row, RATE_GRID column), each distinct cell looked up once
    (a mask over the table's cells, not a sort of the rows)."""
    n_rates = len(RATE_GRID)
    codes = rows * n_rates + cols
    needed = np.zeros(len(SUPPORT_GRID) * n_rates, dtype=bool)
    needed[codes] = True
    table = np.zeros(needed.size)
    for c in np.flatnonzero(needed).tolist():
        table[c] = threshold_cell(c % n_rates, c // n_rates, arl, odds_ratio)
    return table[codes]


def effective_support(p: np.ndarray, support: np.ndarray, own: np.ndarray,
                      settings: DriftSettings) -> np.ndarray:
    """The peer answers behind each expected rate, as a false excursion of the chart sees
    them. The estimate's error stays for as long as its window (about ``own`` of the
    evaluator's answers: theirs in the same window) and an excursion to the limit lasts about
    h/KL answers (KL: the information per answer between the rate the chart is tuned to detect
    and the expected one); an excursion longer than the window averages the errors of
    successive windows, whose correlation falls linearly to 0 over one window: the variance
    of that average is g(x) = 1 − x/3 (x ≤ 1) or 1/x − 1/(3x²) of one estimate's, with
    x = excursion / window."""
    q = np.clip(p, RATE_GRID[0], RATE_GRID[-1])
    r = settings.odds_ratio
    alt = r * q / (1.0 - q + r * q)
    kl = alt * np.log(alt / q) + (1.0 - alt) * np.log((1.0 - alt) / (1.0 - q))
    h = chart_thresholds(q, settings)  # the limit for a known rate: the excursion's length
    x = (h / kl) / np.maximum(own, 1.0)
    g = np.where(x <= 1.0, 1.0 - x / 3.0, 1.0 / x - 1.0 / (3.0 * x * x))
    return support / g


def chart_thresholds(p: np.ndarray, settings: DriftSettings, support: np.ndarray | None = None,
                     own: np.ndarray | None = None) -> np.ndarray:
    """The limit for each answer from its expected rate and the peer answers behind it
    (``support``; None: known exactly), so that every chart false-alarms at the stated rate
    however well its expected rate is known; ``settings.threshold`` (one fixed limit for every
    rate) overrides it. Interpolated bilinearly on (logit rate, 1/sqrt(support))."""
    if settings.threshold is not None:
        return np.full(p.shape, float(settings.threshold))
    q = np.clip(p, RATE_GRID[0], RATE_GRID[-1])
    i, fi = _grid_position(np.log(q / (1.0 - q)), _LOGIT_GRID)
    if support is None or not settings.limit_for_estimate:
        se = np.zeros(p.shape)
    else:
        m = effective_support(q, support, np.ones(p.shape) if own is None else own, settings)
        se = 1.0 / np.sqrt(np.maximum(m, SUPPORT_GRID[-1]))
    j, fj = _grid_position(se, _SE_GRID)
    v00, v01, v10, v11 = _table_values(np.stack([j, j, j + 1, j + 1]),
                                       np.stack([i, i + 1, i, i + 1]), settings.arl0,
                                       settings.odds_ratio)
    return (1 - fj) * ((1 - fi) * v00 + fi * v01) + fj * ((1 - fi) * v10 + fi * v11)


# ----------------------------------------------------------------------------- engine


def segmented_cusum(
    y: np.ndarray, p: np.ndarray, seg: np.ndarray, odds_ratio: float
) -> tuple[np.ndarray, np.ndarray]:
    """Risk-adjusted Bernoulli CUSUM for many series at once.

    ``seg`` holds each row's series id and rows must be sorted by (series, time). Returns the
    statistic S and, per row, the index of the last row of the same series where S was 0
    (the change-point estimate; -1 for "before the first row"). Each series' sums start from
    zero of their own (S_t = C_t − min(0, min C_s)), so S is exactly 0 where C sets a new low
    and a series' result does not depend on the rows of other series before it."""
    n = y.size
    if n == 0:
        return np.zeros(0), np.zeros(0, dtype=np.int64)
    log_r = math.log(odds_ratio)
    w = y * log_r - np.log1p(p * (odds_ratio - 1.0))
    starts = np.flatnonzero(np.r_[True, seg[1:] != seg[:-1]])
    stops = np.r_[starts[1:], n]
    s = np.empty(n)
    for a, b in zip(starts.tolist(), stops.tolist(), strict=True):
        cs = np.cumsum(w[a:b])
        s[a:b] = cs - np.minimum(np.minimum.accumulate(cs), 0.0)
    seg_start = np.repeat(starts, stops - starts)
    # Last index where S == 0 (at or before each row), restarting per segment.
    last_zero = np.maximum.accumulate(np.where(s <= 0.0, np.arange(n), -1))
    last_zero = np.where(last_zero >= seg_start, last_zero, seg_start - 1)
    return s, last_zero


def ewma(r: np.ndarray, lam: float) -> np.ndarray:
    """EWMA z_t = lam·r_t + (1-lam)·z_{t-1}, z_0 = 0, computed in blocks of closed form."""
    out = np.empty_like(r, dtype=float)
    prev, block = 0.0, 64
    for start in range(0, r.size, block):
        seg = r[start:start + block]
        k = np.arange(seg.size)
        decay = (1.0 - lam) ** k
        z = decay * (1.0 - lam) * prev + lam * decay * np.cumsum(seg / decay)
        out[start:start + seg.size] = z
        prev = float(z[-1])
    return out


def _window_counts(
    group: np.ndarray, time: np.ndarray, y: np.ndarray, half: float, *, today: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """For each row: rows and y-sum of the same group in the ``half`` days before it.

    Only the past counts: whole days from ``half`` days before the row's day up to the day
    before it (``today``: up to and including its day, for a calibration session, whose answers
    are one event). Per-group daily counts are summed cumulatively once and each row reads its
    window off the cumulative sums, O(rows + groups × days). Very sparse data (more cells than
    rows × 20) falls back to sorting by group and time."""
    if time.size == 0:
        return np.zeros(0), np.zeros(0)
    day = np.floor(time - time.min()).astype(np.int64)
    n_days = int(day.max()) + 1
    g, n_groups = _dense(group)
    w = int(math.floor(half)) if math.isfinite(half) else n_days
    if n_groups * n_days <= max(time.size * 20, 1_000_000):
        flat = g * n_days + day
        size = n_groups * n_days
        cnt = np.bincount(flat, minlength=size).reshape(n_groups, n_days).cumsum(axis=1)
        tot = np.bincount(flat, weights=y.astype(float), minlength=size).reshape(
            n_groups, n_days).cumsum(axis=1)
        # column k holds the rows of days before k
        cnt = np.concatenate([np.zeros((n_groups, 1)), cnt], axis=1)
        tot = np.concatenate([np.zeros((n_groups, 1)), tot], axis=1)
        hi = day + 1 if today else day
        lo = np.maximum(day - w, 0)
        return cnt[g, hi] - cnt[g, lo], tot[g, hi] - tot[g, lo]
    order = np.lexsort((day, g))
    gs, ds, ys = g[order], day[order], y[order].astype(float)
    key = gs * (n_days + 2 * w + 2) + ds
    lo_i = np.searchsorted(key, key - w, side="left")
    hi_i = np.searchsorted(key, key, side="right" if today else "left")
    cum = np.r_[0.0, np.cumsum(ys)]
    n, sm = np.empty(time.size), np.empty(time.size)
    n[order], sm[order] = hi_i - lo_i, cum[hi_i] - cum[lo_i]
    return n, sm


def _dense(col: np.ndarray) -> tuple[np.ndarray, int]:
    """(codes 0..k-1, k): small non-negative integer columns are used as they are."""
    if col.dtype.kind in "iu" and col.size and col.min() >= 0 and col.max() < 1_000_000:
        return col.astype(np.int64, copy=False), int(col.max()) + 1
    _u, inv = np.unique(col, return_inverse=True)
    return inv.ravel(), int(inv.max(initial=0)) + 1


def _codes(*columns: np.ndarray) -> np.ndarray:
    """One dense integer code per distinct combination of the columns."""
    combined = np.zeros(len(columns[0]), dtype=np.int64)
    span = 1
    for col in columns:
        codes, k = _dense(col)
        combined = combined * k + codes
        span *= k
    if span <= max(4 * combined.size, 1 << 20):
        # the rank of each value among those present, by a table instead of a sort
        present = np.zeros(span, dtype=np.int64)
        present[combined] = 1
        return (np.cumsum(present) - 1)[combined]
    return np.unique(combined, return_inverse=True)[1].ravel()


@dataclass(frozen=True)
class Expectation:
    """Per answer: the expected rate ``p`` (NaN where no peer answered before), the effective
    number of peer answers behind it (``support``) and the evaluator's own answers in the same
    window (``own``: how long the estimate's error lasts, in their answers)."""

    p: np.ndarray
    support: np.ndarray
    own: np.ndarray

    def flipped(self) -> Expectation:
        """The expectation of the opposite outcome (pass for fail): the same estimate."""
        return Expectation(p=1.0 - self.p, support=self.support, own=self.own)


def expectations(
    obs: Observations, settings: DriftSettings, *, same_stratum_today: bool = False
) -> Expectation:
    """Peers' rate of ``y`` (leave-the-evaluator-out) in the same criterion × stratum over the
    ``window_days`` before each answer, shrunk toward the peers' rate on the criterion over all
    strata in those days. Only answers before the answer's day count, so a flag never changes
    when later answers arrive (``same_stratum_today``: the stratum's own day counts too — the
    peers' answers in the same calibration session). NaN where no peer answered before.

    The support is the binomial sample size with the estimate's variance: with n stratum
    answers, N answers over all strata and k pseudo-observations (``shrink``),
    (n + k)² / (n + k²/N)."""
    half = settings.window_days if settings.window_days > 0 else 1e9
    y = obs.y.astype(float)
    today = same_stratum_today
    n_cs, s_cs = _window_counts(_codes(obs.criterion, obs.stratum), obs.time, y, half,
                                today=today)
    n_cse, s_cse = _window_counts(_codes(obs.criterion, obs.stratum, obs.evaluator), obs.time, y,
                                  half, today=today)
    n_c, s_c = _window_counts(obs.criterion, obs.time, y, half)
    n_ce, s_ce = _window_counts(_codes(obs.criterion, obs.evaluator), obs.time, y, half)
    peers_n, peers_s = n_cs - n_cse, s_cs - s_cse
    all_n, all_s = n_c - n_ce, s_c - s_ce
    k = settings.shrink
    with np.errstate(invalid="ignore", divide="ignore"):
        prior = np.where(all_n > 0, all_s / all_n, np.where(peers_n > 0, peers_s / peers_n,
                                                            np.nan))
        p = (peers_s + k * prior) / (peers_n + k)
        support = np.where(all_n > 0, (peers_n + k) ** 2 / (peers_n + k * k / all_n), peers_n)
    return Expectation(p=np.clip(p, settings.min_rate, 1 - settings.min_rate),
                       support=support, own=n_cse + 1.0)


def expected_rates(
    obs: Observations, settings: DriftSettings, *, same_stratum_today: bool = False
) -> np.ndarray:
    """The expected rate of ``expectations`` alone."""
    return expectations(obs, settings, same_stratum_today=same_stratum_today).p


@dataclass
class SeriesAlarm:
    series: int
    first_row: int  # index (in sorted order) of the signal
    onset_row: int  # first row of the evidence window: the change point (``change_point``)
    end_row: int  # last row of the evidence window: the signal itself


def _ranges(starts: np.ndarray, stops: np.ndarray) -> np.ndarray:
    """The concatenation of arange(start, stop) for each pair."""
    lengths = np.maximum(stops - starts, 0)
    if not lengths.sum():
        return np.zeros(0, dtype=np.int64)
    offsets = np.repeat(starts - np.r_[0, np.cumsum(lengths)[:-1]], lengths)
    return offsets + np.arange(int(lengths.sum()))


# Odds ratios over which the change point's likelihood is maximised (the drift's size is not
# known: the chart's R is only the size it is tuned to).
_ONSET_LOG_ODDS = np.linspace(math.log(1.2), math.log(60.0), 48)
_ONSET_LOOKBACK = 2000  # answers before the signal searched for its change point


def change_point(y: np.ndarray, p: np.ndarray, start: int, end: int, *, min_evidence: int = 1
                 ) -> int:
    """The maximum-likelihood onset of a step in the odds of ``y`` among rows start..end
    (one series, the chart's restart to its signal): the row τ maximising
    max_β Σ_{t≥τ} [y_t·β − log(1 − p_t + p_t·e^β)], β > 0 the log odds ratio of the drift,
    over a grid of β — the last zero of the chart is that maximum for β = log R only, and dates
    a drift of another size worse. At least ``min_evidence`` rows stay after τ."""
    start = max(start, end - _ONSET_LOOKBACK + 1)
    last = max(end - min_evidence + 1, start)
    yy, pp = y[start:end + 1, None], p[start:end + 1, None]
    beta = _ONSET_LOG_ODDS[None, :]
    w = yy * beta - np.log1p(pp * np.expm1(beta))
    tail = np.cumsum(w[::-1], axis=0)[::-1]  # Σ over t ≥ τ, for every τ and β
    best = tail.max(axis=1)[:last - start + 1]
    return start + int(np.argmax(best))


def find_alarms(
    series: np.ndarray, y: np.ndarray, p: np.ndarray, settings: DriftSettings, *,
    support: np.ndarray | None = None, own: np.ndarray | None = None,
) -> list[SeriesAlarm]:
    """Every signal of every series (rows sorted by series then time), in real time.

    A signal is the first answer where S_t exceeds its limit (``chart_thresholds`` of the
    answer's expected rate and the peer answers behind it, ``support`` and ``own`` as
    ``expectations`` gives them) with at least ``min_evidence`` answers since the change point (and,
    if ``z_crit`` is set, z ≥ ``z_crit`` on them) — what a run on that day would have flagged. Its
    onset is ``change_point`` between the chart's restart and the signal. The chart then restarts
    from zero, so a later episode gets a change point of its own."""
    if series.size == 0:
        return []
    n = series.size
    h = chart_thresholds(p, settings, support, own)
    starts = np.flatnonzero(np.r_[True, series[1:] != series[:-1]])
    seg_end = np.repeat(np.r_[starts[1:], n], np.diff(np.r_[starts, n]))  # one past the end
    cum_y = np.r_[0.0, np.cumsum(y)]
    cum_p = np.r_[0.0, np.cumsum(p)]
    cum_v = np.r_[0.0, np.cumsum(p * (1 - p))]
    alarms: list[SeriesAlarm] = []
    rows = np.arange(n)
    while rows.size:
        seg = series[rows]
        s, last_zero = segmented_cusum(y[rows], p[rows], seg, settings.odds_ratio)
        cross = np.flatnonzero(s > h[rows])
        if not cross.size:
            break
        # the rows of one series are consecutive, so its window is a range of sorted rows
        on, end = rows[last_zero[cross] + 1], rows[cross]
        observed = cum_y[end + 1] - cum_y[on]
        expected = cum_p[end + 1] - cum_p[on]
        var = cum_v[end + 1] - cum_v[on]
        with np.errstate(invalid="ignore", divide="ignore"):
            z = np.where(var > 0, (observed - expected) / np.sqrt(var), 0.0)
        ok = end - on + 1 >= settings.min_evidence
        if settings.z_crit is not None:
            ok &= z >= settings.z_crit
        if not ok.any():
            break
        cross, on, end = cross[ok], on[ok], end[ok]
        _u, first = np.unique(seg[cross], return_index=True)  # the first signal per series
        sub_starts = np.flatnonzero(np.r_[True, seg[1:] != seg[:-1]])
        restart = rows[sub_starts[np.searchsorted(sub_starts, cross, side="right") - 1]]
        for k in first:
            onset = change_point(y, p, int(restart[k]), int(end[k]),
                                 min_evidence=settings.min_evidence)
            alarms.append(SeriesAlarm(series=int(series[end[k]]), first_row=int(end[k]),
                                      onset_row=onset, end_row=int(end[k])))
        rows = _ranges(end[first] + 1, seg_end[end[first]])  # restart after each signal
    alarms.sort(key=lambda a: a.first_row)
    return alarms


# ----------------------------------------------------------------------------- from the store


@dataclass
class _Answers:
    """Answers as integer-coded arrays; names are looked up only for the flags."""

    evaluator: np.ndarray  # codes into evaluator_names
    criterion: np.ndarray  # codes into criterion_names: (rubric name, key)
    stratum: np.ndarray  # codes (team for routine scoring, session for calibration)
    day: np.ndarray  # days since the epoch (float)
    fail: np.ndarray
    interaction: np.ndarray  # interaction ids, for examples
    evaluator_names: list[str]
    criterion_names: list[tuple[str, str]]
    ref_fail: np.ndarray | None = None
    order: np.ndarray | None = None  # rows by (series, time), filled by the first chart


def _day_sql(dialect: str, column: str) -> str:
    if dialect == "sqlite":
        return f"(julianday({column}) - 2440587.5)"
    return f"(EXTRACT(EPOCH FROM {column}) / 86400.0)"


def _routine_answers(store: Store) -> _Answers:
    """Every routine answer as (evaluator, criterion, team, day, fail, interaction): numbers
    straight from the driver, the fail test and the date arithmetic run in the database."""
    day = _day_sql(store.dialect, "e.scored_at")
    with store.read_connection() as conn:
        crit_rows = conn.exec_driver_sql(
            "SELECT c.id, r.name, c.key FROM criterion c "
            "JOIN rubric r ON r.id = c.rubric_id"
        ).all()
        people = conn.exec_driver_sql("SELECT id, name FROM evaluator").all()
        evals = _numbers(conn, f"SELECT e.id, e.evaluator_id, e.interaction_id, {day} "
                         "FROM evaluation e WHERE e.context = 0 AND e.status = 'submitted'", 4)
        if not crit_rows or evals.size == 0:
            return _empty()
        size = max(i for i, _r, _k in crit_rows) + 1  # criterion ids are below this
        answers = _packed_answers(conn, store.dialect, size)
        team_of = _team_codes(conn)
    if answers.size == 0:
        return _empty()
    eval_row = np.full(int(max(answers[:, 0].max(), evals[:, 0].max())) + 1, -1, dtype=np.int64)
    keep_ids = evals[:, 0].astype(np.int64)
    eval_row[keep_ids] = np.arange(keep_ids.size)
    which = eval_row[answers[:, 0]]
    answers, which = answers[which >= 0], which[which >= 0]  # routine, submitted only
    if answers.size == 0:
        return _empty()
    evaluator_ids = evals[which, 1].astype(np.int64)
    criterion_ids = answers[:, 1]
    interaction_ids = evals[which, 2].astype(np.int64)
    team_codes = team_of[interaction_ids]
    # A criterion key means the same thing in every rubric (and every version of one), so a
    # series is evaluator × key; the rubric joins the team in the comparison group instead.
    keys = sorted({k for _i, _r, k in crit_rows})
    rubric_names = sorted({r for _i, r, _k in crit_rows})
    key_code = {k: n for n, k in enumerate(keys)}
    rubric_code = {r: n for n, r in enumerate(rubric_names)}
    crit_lut = np.full(size, -1, dtype=np.int64)
    rubric_lut = np.zeros(size, dtype=np.int64)
    for cid, r, k in crit_rows:
        crit_lut[cid] = key_code[k]
        rubric_lut[cid] = rubric_code[r]
    names = [("", k) for k in keys]
    person_names = [n for _i, n in sorted(people)]
    person_lut = np.full(max(i for i, _n in people) + 1, -1, dtype=np.int64)
    for n, (pid, _name) in enumerate(sorted(people)):
        person_lut[pid] = n
    return _Answers(
        evaluator=person_lut[evaluator_ids], criterion=crit_lut[criterion_ids],
        stratum=team_codes * len(rubric_names) + rubric_lut[criterion_ids],
        day=evals[which, 3],
        fail=answers[:, 2].astype(bool),
        interaction=interaction_ids, evaluator_names=person_names, criterion_names=names,
    )


def _team_codes(conn: Any) -> np.ndarray:
    """{interaction id: team code} as a lookup array; codes follow the sorted team names."""
    rows = _driver_rows(conn, "SELECT id, coalesce(team, '') FROM interaction")
    if not rows:
        return np.zeros(1, dtype=np.int64)
    code = {t: n for n, t in enumerate(sorted({t for _i, t in rows}))}
    ids = np.fromiter((i for i, _t in rows), dtype=np.int64, count=len(rows))
    lut = np.zeros(int(ids.max()) + 1, dtype=np.int64)
    lut[ids] = np.fromiter((code[t] for _i, t in rows), dtype=np.int64, count=len(rows))
    return lut


def _packed_answers(conn: Any, dialect: str, n_criteria: int) -> np.ndarray:
    """Every scored answer as (evaluation id, criterion id, failed) in (evaluation, criterion)
    order. A million rows of tuples cost the driver most of a second; the database packs each
    answer into one integer and joins them into one string, which numpy parses in C (about a
    third of the time)."""
    packed = ("(CAST(a.evaluation_id AS BIGINT) * {k} + a.criterion_id) * 2 "
              "+ CASE WHEN a.value < c.pass_at THEN 1 ELSE 0 END").format(k=int(n_criteria))
    joined = (f"group_concat({packed})" if dialect == "sqlite"
              else f"string_agg(CAST({packed} AS TEXT), ',')")
    text = conn.exec_driver_sql(
        f"SELECT {joined} FROM answer a JOIN criterion c ON c.id = a.criterion_id "
        "WHERE NOT a.na AND a.value IS NOT NULL").scalar()
    if not text:
        return np.zeros((0, 3), dtype=np.int64)
    codes = np.sort(np.fromstring(text, dtype=np.int64, sep=","))
    rest = codes >> 1
    return np.column_stack([rest // n_criteria, rest % n_criteria, codes & 1])


def _driver_rows(conn: Any, sql: str) -> list[tuple[Any, ...]]:
    """Rows as the DB-API driver gives them (no SQLAlchemy row objects)."""
    cursor = conn.connection.cursor()
    try:
        cursor.execute(sql)
        return cursor.fetchall()
    finally:
        cursor.close()


def _numbers(conn: Any, sql: str, columns: int) -> np.ndarray:
    """A query of numbers straight from the driver into a (rows × columns) float array."""
    import itertools

    rows = _driver_rows(conn, sql)
    flat = np.fromiter(itertools.chain.from_iterable(rows), dtype=float,
                       count=len(rows) * columns)
    return flat.reshape(len(rows), columns)


def _empty() -> _Answers:
    e = np.array([], dtype=np.int64)
    return _Answers(e, e, e, np.array([], dtype=float), np.array([], dtype=bool), e, [], [],
                    np.array([], dtype=bool))


def _naive(when: datetime) -> datetime:
    """UTC wall time without tzinfo (numpy datetime64 has no time zones)."""
    if when.tzinfo is None:
        return when
    return (when - (when.utcoffset() or timedelta(0))).replace(tzinfo=None)


def _calibration_answers(store: Store) -> _Answers:
    """Every evaluator answer in revealed/closed sessions paired with the reference answer."""
    from sqlmodel import col, select

    from . import models as m
    from .report import _load_session_data, _reference_answers

    parts: list[tuple[Any, ...]] = []
    with store.read() as session:
        cals = session.exec(
            select(m.CalibrationSession).where(
                m.CalibrationSession.state.in_(("revealed", "closed")))  # type: ignore[attr-defined]
            .order_by(col(m.CalibrationSession.created_at))
        ).all()
        for cal in cals:
            data = _load_session_data(session, cal.id or 0)
            _name, ref_v, ref_na = _reference_answers(data)
            if ref_v is None or ref_na is None:
                continue
            pass_at = np.array([c.pass_at for c in data.criteria])
            ref_ok = ~np.isnan(ref_v) & ~ref_na
            ref_fail = np.where(ref_ok, ref_v < pass_at, False)
            when = _naive(cal.revealed_at or cal.created_at)
            day = (when - datetime(1970, 1, 1)).total_seconds() / 86400.0
            for e, person in enumerate(data.evaluators):
                if e == data.benchmark_index:
                    continue
                ok = data.answered[:, e, :] & ~data.na[:, e, :] & ref_ok
                ii, cc = np.nonzero(ok)
                fail = data.values[ii, e, cc] < pass_at[cc]
                for i, c, f, rf in zip(ii, cc, fail, ref_fail[ii, cc], strict=True):
                    parts.append((person.name, ("", data.criteria[c].key),
                                  cal.id, day, bool(f), bool(rf),
                                  data.interactions[i].id))
    if not parts:
        return _empty()
    people = sorted({p[0] for p in parts})
    crits = sorted({p[1] for p in parts})
    p_code = {n: k for k, n in enumerate(people)}
    c_code = {n: k for k, n in enumerate(crits)}
    return _Answers(
        evaluator=np.array([p_code[p[0]] for p in parts]),
        criterion=np.array([c_code[p[1]] for p in parts]),
        stratum=np.array([p[2] for p in parts]), day=np.array([p[3] for p in parts]),
        fail=np.array([p[4] for p in parts]), interaction=np.array([p[6] for p in parts]),
        evaluator_names=people, criterion_names=crits,
        ref_fail=np.array([p[5] for p in parts]),
    )


def _iso(day: float) -> str:
    return (datetime(1970, 1, 1) + timedelta(days=float(day))).date().isoformat()


def _refs(store: Store, ids: Sequence[int]) -> dict[int, str]:
    if not ids:
        return {}
    from sqlalchemy import select

    from . import models as m

    t = m.Interaction.__table__  # type: ignore[attr-defined]
    with store.read_connection() as conn:
        rows = conn.execute(select(t.c.id, t.c.source, t.c.external_id)
                            .where(t.c.id.in_(list(ids)))).all()
    return {r[0]: f"{r[1]}:{r[2]}" for r in rows}


def _flags_for(
    ans: _Answers,
    outcome: np.ndarray,
    direction: str,
    source: str,
    settings: DriftSettings,
    expected: Expectation | None = None,
) -> list[tuple[Flag, list[int]]]:
    """Run one chart (one outcome definition) over every evaluator × criterion series; returns
    flags with the interaction ids of their examples (names filled in by the caller).
    ``expected`` may pass in the expected probabilities when they are already known."""
    if outcome.size == 0:
        return []
    n_crit = max(len(ans.criterion_names), 1)
    obs = Observations(
        series=ans.evaluator * n_crit + ans.criterion, evaluator=ans.evaluator,
        criterion=ans.criterion, stratum=ans.stratum, time=ans.day, y=outcome,
    )
    exp = expectations(obs, settings, same_stratum_today=source == "calibration") \
        if expected is None else expected
    p = exp.p
    if ans.order is None:  # the same for every chart over these answers
        ans.order = np.lexsort((np.arange(outcome.size), obs.time, obs.series))
    order = ans.order[~np.isnan(p[ans.order])]  # an answer nobody answered before is no evidence
    series, y, pp = obs.series[order], obs.y[order].astype(float), p[order]
    out = []
    for alarm in find_alarms(series, y, pp, settings, support=exp.support[order],
                             own=exp.own[order]):
        src = order[alarm.onset_row:alarm.end_row + 1]
        whole = order[series == alarm.series]
        first = order[alarm.first_row]
        onset = order[alarm.onset_row]
        window = slice(alarm.onset_row, alarm.end_row + 1)
        observed = int(y[window].sum())
        expected_n = float(pp[window].sum())
        var = float((pp * (1 - pp))[window].sum())
        n = src.size
        ev_fail = float(ans.fail[src].mean())
        peers_fail: float
        if source == "routine":
            peers_fail = (1 - expected_n / n) if direction == "lenient" else expected_n / n
        else:
            assert ans.ref_fail is not None
            peers_fail = float(ans.ref_fail[src].mean())
        hits = src[outcome[src].astype(bool)][::-1]
        example_ids = list(dict.fromkeys(int(i) for i in ans.interaction[hits]))[:5]
        _unused, key = ans.criterion_names[int(ans.criterion[first])]
        rubric = "all rubrics"  # a key means the same in every rubric; series span them
        trend = ewma(obs.y[whole].astype(float) - p[whole], settings.ewma_lambda)
        out.append((Flag(
            evaluator=ans.evaluator_names[int(ans.evaluator[first])], rubric=rubric,
            criterion=key, source=source, direction=direction,
            size=round(100 * (ev_fail - peers_fail), 1),
            first_date=_iso(ans.day[first]), onset_date=_iso(ans.day[onset]),
            evidence_count=n, observed=observed, expected=round(expected_n, 2),
            z=round((observed - expected_n) / math.sqrt(var), 2) if var > 0 else 0.0,
            evaluator_fail_rate=round(ev_fail, 3), reference_fail_rate=round(peers_fail, 3),
            trend=tuple(round(float(v), 4) for v in trend),
        ), example_ids))
    return out


def detect_drift(
    store: Store,
    *,
    since: datetime | None = None,
    evaluator: str | None = None,
    settings: DriftSettings | None = None,
    sources: Sequence[str] = ("routine", "calibration"),
    include_cleared: bool = False,
    actor: str,
) -> list[Flag]:
    """The standing drift flags, strongest first: every flag raised and not yet cleared by a
    lead, with the signals found in this run kept in the store. At other settings than the
    stated false-alarm rate (``DriftSettings.default_rate``) the signals of this run are shown
    and nothing is kept. ``since`` keeps flags signalled on or after that date; ``evaluator``
    one person's flags (the detector still compares them with everyone); ``include_cleared``
    adds the cleared ones. Leads and trainers."""
    from .access import check

    check(store, actor, "drift")
    settings = settings or DriftSettings()
    found = _episodes(store, settings=settings, sources=sources)
    if settings.default_rate:
        flags = _kept_flags(store, found, actor=actor, include_cleared=include_cleared)
    else:
        flags = found
    return _filtered(flags, since=since, evaluator=evaluator)


def _detect_drift(store: Store, *, since: datetime | None = None) -> list[Flag]:
    """The standing flags as ``detect_drift`` would show them, for core callers that have
    checked the acting person; keeps nothing (the coaching plan's evaluators)."""
    found = _episodes(store, settings=DriftSettings())
    return _filtered(_kept_flags(store, found, actor=None), since=since, evaluator=None)


def _filtered(flags: list[Flag], *, since: datetime | None, evaluator: str | None
              ) -> list[Flag]:
    if evaluator:
        from .names import name_key

        flags = [f for f in flags if name_key(f.evaluator) == name_key(evaluator)]
    if since is not None:
        cut = since.date().isoformat()
        flags = [f for f in flags if f.first_date >= cut]
    flags.sort(key=lambda f: (not f.standing, -f.z, f.evaluator, f.criterion, f.first_date))
    return flags


def _episodes(
    store: Store,
    *,
    settings: DriftSettings,
    sources: Sequence[str] = ("routine", "calibration"),
) -> list[Flag]:
    """Every signal of every chart over the store's answers (a lasting drift may signal more
    than once: the chart restarts after each signal), in time order."""
    found: list[tuple[Flag, list[int]]] = []
    if "routine" in sources:
        ans = _routine_answers(store)
        if ans.fail.size:
            obs = Observations(series=ans.evaluator, evaluator=ans.evaluator,
                               criterion=ans.criterion, stratum=ans.stratum, time=ans.day,
                               y=ans.fail)
            fail = expectations(obs, settings)
            found += _flags_for(ans, ans.fail, "harsh", "routine", settings, expected=fail)
            # the expected pass rate is one minus the expected fail rate (same shrinkage)
            found += _flags_for(ans, ~ans.fail, "lenient", "routine", settings,
                                expected=fail.flipped())
    if "calibration" in sources:
        cal = _calibration_answers(store)
        if cal.fail.size and cal.ref_fail is not None:
            found += _flags_for(cal, cal.fail & ~cal.ref_fail, "harsh", "calibration", settings)
            found += _flags_for(cal, ~cal.fail & cal.ref_fail, "lenient", "calibration",
                                settings)
    refs = _refs(store, sorted({i for _f, ids in found for i in ids}))
    flags = [replace(flag, examples=tuple(refs[i] for i in ids if i in refs))
             for flag, ids in found]
    flags.sort(key=lambda f: (f.first_date, f.evaluator, f.criterion, f.direction))
    return flags


def _series_key(flag: Flag) -> tuple[str, str, str]:
    return flag.criterion, flag.source, flag.direction


def _kept_flags(
    store: Store, found: list[Flag], *, actor: str | None, include_cleared: bool = False
) -> list[Flag]:
    """Keep the signals of this run that no kept flag covers, and return the kept flags.

    A signal is covered when its chart (evaluator × criterion × source × direction) has a
    standing flag (a lasting drift signals again after the chart restarts: that is the same
    flag), when a flag of that chart with the same signal date is kept, or when a lead cleared
    a flag of that chart on or after the signal's date. ``actor`` None: keep nothing, return
    what would be kept (with no id)."""
    from sqlalchemy.exc import IntegrityError

    for attempt in range(2):  # a concurrent run may keep the same signal first: read again
        try:
            return _keep(store, found, actor=actor, include_cleared=include_cleared)
        except IntegrityError:
            if attempt:
                raise
    raise AssertionError("unreachable")


def _keep(
    store: Store, found: list[Flag], *, actor: str | None, include_cleared: bool
) -> list[Flag]:
    from sqlmodel import select

    from . import models as m
    from .access import _require
    from .names import name_key
    from .store import _audit

    ctx = store.read() if actor is None else store.session()
    with ctx as session:
        who = None if actor is None else _require(session, actor, "drift")
        people = session.exec(select(m.Evaluator)).all()
        by_key = {name_key(e.name): e for e in people}
        name_of = {e.id: e.name for e in people}
        rows = list(session.exec(select(m.DriftFlag).order_by(m.DriftFlag.id)).all())  # type: ignore[arg-type]
        chart: dict[tuple[Any, ...], list[Any]] = {}
        for r in rows:
            chart.setdefault((r.evaluator_id, r.criterion, r.source, r.direction), []).append(r)
        fresh: dict[tuple[Any, ...], Flag] = {}
        new: list[Any] = []
        for f in found:
            person = by_key.get(name_key(f.evaluator))
            if person is None:
                continue
            key = (person.id, *_series_key(f))
            signal = date.fromisoformat(f.first_date)
            fresh[(*key, signal)] = f
            kept = chart.setdefault(key, [])
            if any(r.signal_date == signal or r.cleared_at is None
                   or _day(r.cleared_at) >= signal for r in kept):
                continue
            row = m.DriftFlag(
                evaluator_id=int(person.id or 0), criterion=f.criterion, source=f.source,
                direction=f.direction, onset_date=date.fromisoformat(f.onset_date),
                signal_date=signal, size=f.size, evidence_count=f.evidence_count,
                observed=f.observed, expected=f.expected, z=f.z,
                evaluator_fail_rate=f.evaluator_fail_rate,
                reference_fail_rate=f.reference_fail_rate, examples="\n".join(f.examples),
                raised_by=who.name if who is not None else "")
            kept.append(row)
            new.append(row)
            rows.append(row)
        if who is not None and new:
            session.add_all(new)
            session.flush()
            for row in new:
                _audit(session, actor=who.name, entity="drift_flag", entity_id=row.id,
                       action="raise", after={
                           "evaluator": name_of.get(row.evaluator_id), "criterion": row.criterion,
                           "source": row.source, "direction": row.direction,
                           "onset_date": row.onset_date, "signal_date": row.signal_date})
        out = []
        for r in rows:
            if r.cleared_at is not None and not include_cleared:
                continue
            out.append(_flag_view(r, name_of.get(r.evaluator_id, "?"),
                                  fresh.get((r.evaluator_id, r.criterion, r.source,
                                             r.direction, r.signal_date))))
        return out


def _day(when: datetime) -> date:
    return _naive(when).date()


def _flag_view(row: Any, evaluator: str, fresh: Flag | None) -> Flag:
    """A kept flag as the layers see it: its evidence at the signal, and the trend of its
    chart as this run found it."""
    return Flag(
        evaluator=evaluator, rubric="all rubrics", criterion=row.criterion, source=row.source,
        direction=row.direction, size=row.size, first_date=row.signal_date.isoformat(),
        onset_date=row.onset_date.isoformat(), evidence_count=row.evidence_count,
        observed=row.observed, expected=row.expected, z=row.z,
        evaluator_fail_rate=row.evaluator_fail_rate,
        reference_fail_rate=row.reference_fail_rate,
        examples=tuple(x for x in row.examples.split("\n") if x),
        trend=fresh.trend if fresh is not None else (), id=row.id,
        raised_at=_naive(row.raised_at).isoformat(timespec="seconds") if row.id else None,
        cleared_at=None if row.cleared_at is None
        else _naive(row.cleared_at).isoformat(timespec="seconds"),
        cleared_by=row.cleared_by, clear_note=row.clear_note)


def clear_flag(store: Store, flag_id: int, *, note: str, actor: str) -> Flag:
    """A lead clears a kept drift flag (after recalibration, or on review), with a note that
    says why; audit-logged. A later signal of the same chart raises a new flag."""
    from sqlmodel import select

    from . import models as m
    from .access import _require
    from .errors import Conflict, InputError, NotFound
    from .store import _audit

    note = " ".join(str(note or "").split())
    with store.session() as session:
        who = _require(session, actor, "drift.clear")
        if not note:
            raise InputError("clearing a drift flag needs a note (--note): say why")
        row = session.get(m.DriftFlag, flag_id)
        if row is None:
            raise NotFound(f"no drift flag {flag_id}; `drift` lists the standing flags")
        if row.cleared_at is not None:
            raise Conflict(f"drift flag {flag_id} was cleared already, by {row.cleared_by} on "
                           f"{_day(row.cleared_at).isoformat()}")
        row.cleared_at, row.cleared_by, row.clear_note = m.utcnow(), who.name, note
        session.add(row)
        session.flush()
        _audit(session, actor=who.name, entity="drift_flag", entity_id=row.id, action="clear",
               before={"cleared": False}, after={"cleared": True, "note": note})
        name = session.exec(select(m.Evaluator.name).where(
            m.Evaluator.id == row.evaluator_id)).one()
        return _flag_view(row, name, None)


# ----------------------------------------------------------------------------- simulation


def simulate_series(
    rng: np.random.Generator,
    *,
    n: int,
    base_fail: float,
    onset: int | None,
    drifted_fail: float,
) -> np.ndarray:
    """One evaluator's fail outcomes: ``base_fail`` before ``onset``, ``drifted_fail`` after."""
    p = np.full(n, base_fail)
    if onset is not None:
        p[onset:] = drifted_fail
    return rng.random(n) < p


@dataclass
class SimulatedCharts:
    """The signals of simulated teams: ``runs`` teams of ``k`` evaluators, one criterion each;
    the drifting evaluator (if any) is the last of each team. ``pos`` of a signal is its answer
    number in the evaluator's series; ``onset`` the estimated change point's."""

    runs: int
    k: int
    series: np.ndarray  # per signal: run × k + evaluator
    pos: np.ndarray  # per signal: the answer number of the signal
    onset: np.ndarray  # per signal: the answer number where its evidence starts
    day: np.ndarray  # per signal: the day (0..) of the signal

    def of(self, evaluator: int) -> np.ndarray:
        """Signals of that evaluator in every run (a boolean mask over the signals)."""
        return self.series % self.k == evaluator


def simulated_team(
    rng: np.random.Generator, *, runs: int, n: int, fail_rate: np.ndarray, peers: int = 5,
    days: float = 365.0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``runs`` simulated teams: ``peers`` stable evaluators and one more, ``n`` answers each
    at random times over ``days`` days. Per answer: (evaluator, run, position, day, failed);
    the last evaluator's true fail rate per answer is ``fail_rate``, the peers' ``fail_rate[0]``."""
    k = peers + 1
    ev = np.tile(np.repeat(np.arange(k), n), runs)
    run = np.repeat(np.arange(runs), k * n)
    pos = np.tile(np.tile(np.arange(n), k), runs)
    t = np.sort(rng.random((runs * k, n)) * days, axis=1).ravel()
    p_true = np.where(ev == k - 1, np.asarray(fail_rate, dtype=float)[pos], fail_rate[0])
    fail = rng.random(ev.size) < p_true
    return ev, run, pos, t, fail


def simulate_charts(
    rng: np.random.Generator,
    *,
    runs: int,
    n: int,
    fail_rate: np.ndarray,
    peers: int = 5,
    days: float = 365.0,
    direction: str = "harsh",
    settings: DriftSettings | None = None,
    until_day: float | None = None,
) -> SimulatedCharts:
    """Run the detector, as ``detect_drift`` does, over simulated teams: ``peers`` stable
    evaluators and one more, ``n`` answers each at random times over ``days`` days;
    ``fail_rate`` (length n) is the last evaluator's true fail rate per answer, the peers'
    is ``fail_rate[0]``. ``direction`` picks the chart (harsh: fails; lenient: passes);
    ``until_day`` runs it on the answers before that day only (a run on that day)."""
    settings = settings or DriftSettings()
    k = peers + 1
    ev, run, pos, t, fail = simulated_team(rng, runs=runs, n=n, fail_rate=fail_rate,
                                           peers=peers, days=days)
    y = fail if direction == "harsh" else ~fail
    keep = np.ones(ev.size, dtype=bool) if until_day is None else t < until_day
    ev, run, pos, t, y = ev[keep], run[keep], pos[keep], t[keep], y[keep]
    obs = Observations(series=run * k + ev, evaluator=ev, criterion=run,
                       stratum=np.zeros(ev.size, dtype=np.int64), time=t, y=y)
    exp = expectations(obs, settings)
    order = np.lexsort((t, obs.series))
    order = order[~np.isnan(exp.p[order])]
    alarms = find_alarms(obs.series[order], y[order].astype(float), exp.p[order], settings,
                         support=exp.support[order], own=exp.own[order])
    sig = np.array([order[a.first_row] for a in alarms], dtype=np.int64)
    on = np.array([order[a.onset_row] for a in alarms], dtype=np.int64)
    return SimulatedCharts(runs=runs, k=k, series=obs.series[sig], pos=pos[sig],
                           onset=pos[on], day=t[sig])


def false_alarms_per_year(
    *,
    runs: int,
    base_fail: float,
    direction: str,
    answers_per_year: int | None = None,
    peers: int = 5,
    seed: int = 1,
    settings: DriftSettings | None = None,
) -> dict[str, float]:
    """Stable teams over one year at ``answers_per_year`` answers per evaluator: the share of
    evaluator series ever flagged (what a lead running ``drift`` weekly sees, as flags are
    kept once raised), the signals per series-year, and the target the settings state."""
    settings = settings or DriftSettings()
    a = int(answers_per_year or settings.answers_per_year)
    rng = np.random.default_rng(seed)
    flagged = signals = 0
    chunk = max(1, 150_000 // a)  # teams at a time: memory stays under ~0.5 GB
    for start in range(0, runs, chunk):
        res = simulate_charts(rng, runs=min(chunk, runs - start), n=a,
                              fail_rate=np.full(a, base_fail), peers=peers,
                              direction=direction, settings=settings)
        flagged += np.unique(res.series).size
        signals += res.series.size
    series = runs * (peers + 1)
    per_year = a / settings.arl0
    return {"series": series, "answers_per_year": a,
            "ever_flagged": flagged / series,
            "signals_per_year": signals / series,
            "target_signals_per_year": per_year,
            "target_ever_flagged": 1.0 - math.exp(-per_year)}


def detection_delays(
    *,
    runs: int,
    base_fail: float,
    drifted_fail: float,
    before: int = 300,
    after: int = 1500,
    peers: int = 5,
    seed: int = 1,
    settings: DriftSettings | None = None,
) -> dict[str, float]:
    """Answers from the onset of a lasting drift to its first signal, untruncated: ``before``
    stable answers, then the drift for up to ``after`` answers (over a year and a half); a run
    not signalled by then counts as later than ``after`` (inf)."""
    n = before + after
    rate = np.r_[np.full(before, base_fail), np.full(after, drifted_fail)]
    direction = "harsh" if drifted_fail > base_fail else "lenient"
    res = simulate_charts(np.random.default_rng(seed), runs=runs, n=n, fail_rate=rate,
                          peers=peers, days=548.0, direction=direction, settings=settings)
    mine = res.of(res.k - 1) & (res.pos >= before)
    first: dict[int, int] = {}
    for srs, pos in zip(res.series[mine], res.pos[mine], strict=True):
        first.setdefault(int(srs), int(pos))
    delays = np.full(runs, np.inf)
    for srs, pos in first.items():
        delays[srs // res.k] = pos - before + 1
    return {"runs": runs, "detected": float(np.isfinite(delays).mean()),
            "median_delay": float(np.median(delays)),
            "p90_delay": float(np.percentile(delays, 90)) if np.isfinite(
                np.percentile(delays, 90)) else math.inf}


def measure_detector(
    *,
    runs: int = 500,
    n: int = 120,
    onset: int = 60,
    base_fail: float = 0.3,
    drifted_fail: float = 0.05,
    peers: int = 5,
    seed: int = 1,
    settings: DriftSettings | None = None,
) -> dict[str, float]:
    """Detection within the series and false alarms on simulated teams (today's bench).

    Each run: ``peers`` stable evaluators and one more, all scoring ``n`` answers on a criterion
    with fail rate ``base_fail`` over one year; in the drift arm the last evaluator's rate
    becomes ``drifted_fail`` from answer ``onset`` on. Detection counts a signal at or after
    the onset; false alarms are stable series ever flagged (null arm and the drift arm's
    peers)."""
    rng = np.random.default_rng(seed)
    direction = "harsh" if drifted_fail > base_fail else "lenient"
    k = peers + 1
    null = simulate_charts(rng, runs=runs, n=n, fail_rate=np.full(n, base_fail), peers=peers,
                           direction=direction, settings=settings)
    rate = np.r_[np.full(onset, base_fail), np.full(n - onset, drifted_fail)]
    drift = simulate_charts(rng, runs=runs, n=n, fail_rate=rate, peers=peers,
                            direction=direction, settings=settings)
    mine = drift.of(k - 1) & (drift.pos >= onset)
    first: dict[int, int] = {}
    for srs, pos in zip(drift.series[mine], drift.pos[mine], strict=True):
        first.setdefault(int(srs), int(pos))
    delays = [pos - onset + 1 for pos in first.values()]
    false_series = np.unique(null.series).size + np.unique(
        drift.series[~drift.of(k - 1)]).size
    return {
        "runs": runs, "answers_per_evaluator": n, "onset": onset,
        "base_fail": base_fail, "drifted_fail": drifted_fail,
        "detection_rate": len(first) / runs,
        "median_delay": float(np.median(delays)) if delays else math.nan,
        "p90_delay": float(np.percentile(delays, 90)) if delays else math.nan,
        "false_alarm_rate": false_series / (runs * k + runs * peers),
    }
