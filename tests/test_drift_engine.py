"""The drift detector's engine on simulated data: known shifts are found within the stated
delay, stable evaluators stay quiet, and the vectorised CUSUM equals the textbook recursion."""

from __future__ import annotations

import math

import numpy as np
import pytest

from qa_calibrate.drift import (
    DriftSettings,
    Observations,
    ewma,
    expected_rates,
    measure_detector,
    segmented_cusum,
)


def plain_cusum(y, p, r):
    """Steiner et al. (2000) recursion, written plainly."""
    s, out, last_zero, zeros = 0.0, [], -1, []
    for t, (yt, pt) in enumerate(zip(y, p, strict=True)):
        w = yt * math.log(r) - math.log(1 - pt + r * pt)
        s = max(0.0, s + w)
        if s <= 1e-12:
            last_zero = t
        out.append(s)
        zeros.append(last_zero)
    return np.array(out), np.array(zeros)


def test_segmented_cusum_equals_the_recursion_per_series():
    rng = np.random.default_rng(3)
    lengths = [1, 7, 40, 3, 90]
    seg = np.repeat(np.arange(len(lengths)), lengths)
    y = (rng.random(seg.size) < 0.3).astype(float)
    p = rng.uniform(0.05, 0.6, seg.size)
    s, last_zero = segmented_cusum(y, p, seg, 3.0)
    start = 0
    for n in lengths:
        ref_s, ref_zero = plain_cusum(y[start:start + n], p[start:start + n], 3.0)
        assert np.allclose(s[start:start + n], ref_s)
        expect = np.where(ref_zero >= 0, ref_zero + start, start - 1)
        assert np.array_equal(last_zero[start:start + n], expect)
        start += n


def test_ewma_equals_the_recursion():
    r = np.random.default_rng(0).normal(size=300)
    z, out = 0.0, []
    for v in r:
        z = 0.1 * v + 0.9 * z
        out.append(z)
    assert np.allclose(ewma(r, 0.1), out)


def test_expected_rate_leaves_the_evaluator_out():
    # evaluator 0 always fails, evaluators 1 and 2 never: 0's expectation comes from 1 and 2
    ev = np.repeat([0, 1, 2], 50)
    obs = Observations(series=ev, evaluator=ev, criterion=np.zeros(150, int),
                       stratum=np.zeros(150, int), time=np.tile(np.arange(50.0), 3),
                       y=ev == 0)
    p = expected_rates(obs, DriftSettings(shrink=0.0, window_days=1000, min_rate=0.0))
    assert np.allclose(p[ev == 0], 0.0)
    assert np.allclose(p[ev == 1], 0.5)


@pytest.mark.parametrize("base, drifted", [(0.30, 0.05), (0.05, 0.25)])
def test_known_shift_is_found_quickly_and_stable_evaluators_stay_quiet(base, drifted):
    res = measure_detector(runs=200, n=120, onset=60, base_fail=base, drifted_fail=drifted,
                           seed=11)
    # Figures stated in the README (measured with bench/drift.py at 500 runs).
    assert res["detection_rate"] >= 0.75
    assert res["median_delay"] <= 45
    assert res["false_alarm_rate"] <= 0.02


def test_no_shift_no_alarm_across_many_seeds():
    rates = [measure_detector(runs=100, n=150, onset=75, base_fail=0.2, drifted_fail=0.2,
                              seed=s)["false_alarm_rate"] for s in range(5)]
    assert max(rates) <= 0.01
