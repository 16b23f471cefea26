"""The drift engine as it was before issue 16, for bench/drift.py's "before" column only:
one fixed limit h = 8 for every base rate, expected rates from peers within ±60 days (answers
after the one judged count too), the z ≥ 3.5 gate tested from the change point to the end of
the series, and only the first crossing of each series. Copied from qa_calibrate/drift.py at
commit 754f803; nothing in the package uses it."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from qa_calibrate.drift import Observations, _codes, _dense


@dataclass(frozen=True)
class LegacySettings:
    window_days: float = 60.0
    shrink: float = 20.0
    odds_ratio: float = 3.0
    threshold: float = 8.0
    min_evidence: int = 10
    z_crit: float = 3.5
    min_rate: float = 0.01


def segmented_cusum(
    y: np.ndarray, p: np.ndarray, seg: np.ndarray, odds_ratio: float
) -> tuple[np.ndarray, np.ndarray]:
    """Risk-adjusted Bernoulli CUSUM for many series at once.

    ``seg`` holds each row's series id and rows must be sorted by (series, time). Returns the
    statistic S and, per row, the index of the last row of the same series where S was 0
    (the change-point estimate; -1 for "before the first row")."""
    n = y.size
    if n == 0:
        return np.zeros(0), np.zeros(0, dtype=np.int64)
    log_r = math.log(odds_ratio)
    w = y * log_r - np.log1p(p * (odds_ratio - 1.0))
    c = np.cumsum(w)
    starts = np.flatnonzero(np.r_[True, seg[1:] != seg[:-1]])
    seg_index = np.repeat(np.arange(starts.size), np.diff(np.r_[starts, n]))
    base = np.r_[0.0, c][starts][seg_index]  # cumulative sum before each segment
    cs = c - base
    # Running minimum that restarts at every segment: shift later segments far down.
    span = float(np.abs(cs).max()) * 2 + 1.0
    shifted = cs - seg_index * span
    running = np.minimum.accumulate(shifted) + seg_index * span
    running = np.minimum(running, 0.0)
    s = cs - running
    # Last index where S == 0 (at or before each row), restarting per segment.
    zero_at = np.where(s <= 1e-12, np.arange(n), -1)
    last_zero = np.maximum.accumulate(np.where(zero_at >= 0, zero_at, -1))
    last_zero = np.where(last_zero >= starts[seg_index], last_zero, starts[seg_index] - 1)
    return s, last_zero


def _window_counts(
    group: np.ndarray, time: np.ndarray, y: np.ndarray, half: float
) -> tuple[np.ndarray, np.ndarray]:
    """For each row: rows and y-sum of the same group within ``half`` days of it.

    Days are whole-day bins: per-group daily counts are summed cumulatively once and each row
    reads its window off the cumulative sums, O(rows + groups × days). Very sparse data (more
    cells than rows × 20) falls back to sorting by group and time."""
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
        cnt = np.concatenate([np.zeros((n_groups, 1)), cnt], axis=1)
        tot = np.concatenate([np.zeros((n_groups, 1)), tot], axis=1)
        hi = np.minimum(day + w, n_days - 1) + 1
        lo = np.maximum(day - w, 0)
        return cnt[g, hi] - cnt[g, lo], tot[g, hi] - tot[g, lo]
    order = np.lexsort((day, g))
    gs, ds, ys = g[order], day[order], y[order].astype(float)
    key = gs * (n_days + 2 * w + 2) + ds
    lo_i = np.searchsorted(key, key - w, side="left")
    hi_i = np.searchsorted(key, key + w, side="right")
    cum = np.r_[0.0, np.cumsum(ys)]
    n, sm = np.empty(time.size), np.empty(time.size)
    n[order], sm[order] = hi_i - lo_i, cum[hi_i] - cum[lo_i]
    return n, sm


def expected_rates(obs: Observations, settings: LegacySettings) -> np.ndarray:
    """Peers' rate of ``y`` (leave-the-evaluator-out) in the same criterion × stratum within the
    time window, shrunk toward the peers' rate on the criterion over all strata."""
    half = settings.window_days if settings.window_days > 0 else 1e9
    y = obs.y.astype(float)
    n_cs, s_cs = _window_counts(_codes(obs.criterion, obs.stratum), obs.time, y, half)
    n_cse, s_cse = _window_counts(_codes(obs.criterion, obs.stratum, obs.evaluator), obs.time, y,
                                  half)
    n_c, s_c = _window_counts(obs.criterion, obs.time, y, half)
    n_ce, s_ce = _window_counts(_codes(obs.criterion, obs.evaluator), obs.time, y, half)
    peers_n, peers_s = n_cs - n_cse, s_cs - s_cse
    all_n, all_s = n_c - n_ce, s_c - s_ce
    # Peers' rate over every stratum; with no peers at all fall back to everyone's.
    with np.errstate(invalid="ignore", divide="ignore"):
        prior = np.where(all_n > 0, all_s / all_n, s_c / np.maximum(n_c, 1))
        p = (peers_s + settings.shrink * prior) / (peers_n + settings.shrink)
    return np.clip(np.nan_to_num(p, nan=0.5), settings.min_rate, 1 - settings.min_rate)


@dataclass
class SeriesAlarm:
    series: int
    first_row: int  # index (in sorted order) of the first crossing
    onset_row: int  # first row of the evidence window
    end_row: int  # last row of the series


def find_alarms(
    series: np.ndarray, y: np.ndarray, p: np.ndarray, settings: LegacySettings
) -> list[SeriesAlarm]:
    """Series (rows sorted by series then time) whose CUSUM signals and whose evidence since the
    change point is significant."""
    if series.size == 0:
        return []
    s, last_zero = segmented_cusum(y.astype(float), p, series, settings.odds_ratio)
    crossed = s > settings.threshold
    if not crossed.any():
        return []
    n = series.size
    starts = np.flatnonzero(np.r_[True, series[1:] != series[:-1]])
    ends = np.r_[starts[1:], n] - 1
    first_cross = np.full(starts.size, -1)
    seg_index = np.repeat(np.arange(starts.size), np.diff(np.r_[starts, n]))
    rows = np.flatnonzero(crossed)
    # first crossing per segment: rows are sorted, so the first occurrence per segment
    segs, first_pos = np.unique(seg_index[rows], return_index=True)
    first_cross[segs] = rows[first_pos]
    cum_y = np.r_[0.0, np.cumsum(y)]
    cum_p = np.r_[0.0, np.cumsum(p)]
    cum_v = np.r_[0.0, np.cumsum(p * (1 - p))]
    alarms = []
    for k in segs:  # loop over alarmed series only (few)
        fc = first_cross[k]
        onset = int(last_zero[fc]) + 1
        end = int(ends[k])
        count = end - onset + 1
        observed = cum_y[end + 1] - cum_y[onset]
        expected = cum_p[end + 1] - cum_p[onset]
        var = cum_v[end + 1] - cum_v[onset]
        z = (observed - expected) / math.sqrt(var) if var > 0 else 0.0
        if count >= settings.min_evidence and z >= settings.z_crit:
            alarms.append(SeriesAlarm(series=int(series[fc]), first_row=int(fc),
                                      onset_row=onset, end_row=end))
    return alarms


# ----------------------------------------------------------------------------- from the store


