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
R is the odds ratio the chart is tuned to detect (3 by default). The change point is taken as
the last time S_t was 0 before the signal. A signal becomes a flag only if the evidence since
that change point passes a significance check: at least ``min_evidence`` answers and a one-sided
z = (O − E)/sqrt(V) ≥ ``z_crit`` with O the observed count, E = Σp and V = Σp(1−p).

Everything is vectorised over all series at once: the CUSUM uses the Lindley form
S_t = C_t − min(0, min_{s≤t} C_s) over segmented cumulative sums.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from .store import Store

FLAG_KEYS = ("evaluator", "criterion", "direction", "size", "first_date", "evidence_count",
             "examples")


@dataclass(frozen=True)
class DriftSettings:
    window_days: float = 60.0
    shrink: float = 20.0
    odds_ratio: float = 3.0
    threshold: float = 6.0  # h
    min_evidence: int = 10
    z_crit: float = 3.5
    ewma_lambda: float = 0.1
    min_rate: float = 0.01  # expected probabilities are kept inside [min_rate, 1 - min_rate]


@dataclass
class Flag:
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
    examples: list[str] = field(default_factory=list)
    trend: list[float] = field(default_factory=list)  # EWMA of (outcome - expected), per answer

    def as_row(self) -> dict[str, Any]:
        return asdict(self)


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


# ----------------------------------------------------------------------------- engine


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
    group: np.ndarray, time: np.ndarray, y: np.ndarray, half: float
) -> tuple[np.ndarray, np.ndarray]:
    """For each row: rows and y-sum of the same group with |time - t| <= half."""
    order = np.lexsort((time, group))
    g, t, yy = group[order], time[order], y[order].astype(float)
    span = float(t.max() - t.min()) + 4 * half + 1.0 if t.size else 1.0
    key = g * span + (t - t.min())
    lo = np.searchsorted(key, key - half, side="left")
    hi = np.searchsorted(key, key + half, side="right")
    cum = np.r_[0.0, np.cumsum(yy)]
    n_sorted = (hi - lo).astype(float)
    s_sorted = cum[hi] - cum[lo]
    n, s = np.empty_like(n_sorted), np.empty_like(s_sorted)
    n[order], s[order] = n_sorted, s_sorted
    return n, s


def _codes(*columns: np.ndarray) -> np.ndarray:
    """One integer code per distinct combination of the columns."""
    stacked = np.stack([np.unique(c, return_inverse=True)[1].ravel() for c in columns], axis=1)
    return np.unique(stacked, axis=0, return_inverse=True)[1].ravel()


def expected_rates(obs: Observations, settings: DriftSettings) -> np.ndarray:
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
    series: np.ndarray, y: np.ndarray, p: np.ndarray, settings: DriftSettings
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


@dataclass
class _Answers:
    evaluator: np.ndarray
    rubric: np.ndarray
    criterion: np.ndarray
    stratum: np.ndarray
    when: np.ndarray  # datetime64[s]
    fail: np.ndarray
    ref: np.ndarray  # interaction refs
    session: np.ndarray | None = None
    ref_fail: np.ndarray | None = None


def _routine_answers(store: Store) -> _Answers:
    from sqlalchemy import select

    from . import models as m

    q = (
        select(m.Evaluator.name, m.Rubric.name, m.Criterion.key, m.Interaction.team,
               m.Evaluation.scored_at, m.Answer.value, m.Criterion.pass_at,
               m.Interaction.source, m.Interaction.external_id)
        .select_from(m.Answer)
        .join(m.Evaluation, m.Evaluation.id == m.Answer.evaluation_id)
        .join(m.Criterion, m.Criterion.id == m.Answer.criterion_id)
        .join(m.Rubric, m.Rubric.id == m.Evaluation.rubric_id)
        .join(m.Evaluator, m.Evaluator.id == m.Evaluation.evaluator_id)
        .join(m.Interaction, m.Interaction.id == m.Evaluation.interaction_id)
        .where(m.Evaluation.context == 0, m.Evaluation.status == "submitted",
               m.Answer.na.is_(False), m.Answer.value.is_not(None))  # type: ignore[union-attr]
    )
    with store.engine.connect() as conn:
        rows = conn.execute(q).all()
    return _to_arrays(rows)


def _to_arrays(rows: Sequence[Any]) -> _Answers:
    if not rows:
        empty = np.array([], dtype=object)
        return _Answers(empty, empty, empty, empty, np.array([], dtype="datetime64[s]"),
                        np.array([], dtype=bool), empty)
    cols = list(zip(*rows, strict=True))
    value = np.array(cols[5], dtype=float)
    pass_at = np.array(cols[6], dtype=float)
    when = np.array([_naive(w) for w in cols[4]], dtype="datetime64[s]")
    return _Answers(
        evaluator=np.array(cols[0], dtype=object), rubric=np.array(cols[1], dtype=object),
        criterion=np.array(cols[2], dtype=object),
        stratum=np.array([t or "" for t in cols[3]], dtype=object), when=when,
        fail=value < pass_at,
        ref=np.array([f"{s}:{e}" for s, e in zip(cols[7], cols[8], strict=True)], dtype=object),
    )


def _naive(when: datetime) -> datetime:
    """UTC wall time without tzinfo (numpy datetime64 has no time zones)."""
    if when.tzinfo is None:
        return when
    return (when - (when.utcoffset() or timedelta(0))).replace(tzinfo=None)


def _calibration_answers(store: Store) -> _Answers:
    """Every evaluator answer in revealed/closed sessions paired with the reference answer."""
    from sqlmodel import select

    from . import models as m
    from .report import load_session_data, reference_answers

    with store.session() as session:
        cals = session.exec(
            select(m.CalibrationSession).where(
                m.CalibrationSession.state.in_(("revealed", "closed")))  # type: ignore[attr-defined]
            .order_by(m.CalibrationSession.created_at)
        ).all()
        parts: list[tuple[Any, ...]] = []
        for cal in cals:
            data = load_session_data(session, cal.id or 0)
            _name, ref_v, ref_na = reference_answers(data)
            if ref_v is None or ref_na is None:
                continue
            pass_at = np.array([c.pass_at for c in data.criteria])
            ref_ok = ~np.isnan(ref_v) & ~ref_na
            ref_fail = np.where(ref_ok, ref_v < pass_at, False)
            for e, person in enumerate(data.evaluators):
                if e == data.benchmark_index:
                    continue
                ok = data.answered[:, e, :] & ~data.na[:, e, :] & ref_ok
                ii, cc = np.nonzero(ok)
                fail = data.values[ii, e, cc] < pass_at[cc]
                when = _naive(cal.revealed_at or cal.created_at)
                for i, c, f, rf in zip(ii, cc, fail, ref_fail[ii, cc], strict=True):
                    it = data.interactions[i]
                    parts.append((person.name, data.rubric.name, data.criteria[c].key, cal.name,
                                  when, bool(f), bool(rf), f"{it.source}:{it.external_id}"))
    if not parts:
        empty = np.array([], dtype=object)
        return _Answers(empty, empty, empty, empty, np.array([], dtype="datetime64[s]"),
                        np.array([], dtype=bool), empty, empty, np.array([], dtype=bool))
    cols = list(zip(*parts, strict=True))
    return _Answers(
        evaluator=np.array(cols[0], dtype=object), rubric=np.array(cols[1], dtype=object),
        criterion=np.array(cols[2], dtype=object), stratum=np.array(cols[3], dtype=object),
        when=np.array(cols[4], dtype="datetime64[s]"), fail=np.array(cols[5], dtype=bool),
        ref=np.array(cols[7], dtype=object), session=np.array(cols[3], dtype=object),
        ref_fail=np.array(cols[6], dtype=bool),
    )


def _days(when: np.ndarray) -> np.ndarray:
    return when.astype("datetime64[s]").astype(np.int64) / 86400.0


def _flags_for(
    ans: _Answers,
    outcome: np.ndarray,
    direction: str,
    source: str,
    settings: DriftSettings,
    keep: np.ndarray | None = None,
) -> list[Flag]:
    """Run one chart (one outcome definition) over every evaluator × criterion series."""
    if keep is not None:
        idx = np.flatnonzero(keep)
    else:
        idx = np.arange(outcome.size)
    if idx.size == 0:
        return []
    crit_key = np.array([f"{r}\x1f{c}" for r, c in zip(ans.rubric[idx], ans.criterion[idx],
                                                         strict=True)], dtype=object)
    ev = ans.evaluator[idx]
    obs = Observations(
        series=_codes(crit_key, ev), evaluator=_codes(ev), criterion=_codes(crit_key),
        stratum=_codes(ans.stratum[idx]), time=_days(ans.when[idx]), y=outcome[idx],
    )
    p = expected_rates(obs, settings)
    order = np.lexsort((np.arange(idx.size), obs.time, obs.series))
    series, y, pp = obs.series[order], obs.y[order].astype(float), p[order]
    flags = []
    for alarm in find_alarms(series, y, pp, settings):
        rows = order[alarm.onset_row:alarm.end_row + 1]
        src = idx[rows]
        whole = order[(series == alarm.series)]
        first = idx[order[alarm.first_row]]
        onset = idx[order[alarm.onset_row]]
        observed = int(y[alarm.onset_row:alarm.end_row + 1].sum())
        expected = float(pp[alarm.onset_row:alarm.end_row + 1].sum())
        var = float((pp * (1 - pp))[alarm.onset_row:alarm.end_row + 1].sum())
        n = rows.size
        if source == "routine":
            ev_fail = float(ans.fail[src].mean())
            peers_fail = (1 - expected / n) if direction == "lenient" else expected / n
        else:
            ev_fail = float(ans.fail[src].mean())
            assert ans.ref_fail is not None
            peers_fail = float(ans.ref_fail[src].mean())
        hits = src[outcome[src].astype(bool)][::-1]
        examples = list(dict.fromkeys(str(r) for r in ans.ref[hits]))[:5]
        trend = ewma(obs.y[whole].astype(float) - p[whole], settings.ewma_lambda)
        flags.append(Flag(
            evaluator=str(ans.evaluator[first]), rubric=str(ans.rubric[first]),
            criterion=str(ans.criterion[first]), source=source, direction=direction,
            size=round(100 * (ev_fail - peers_fail), 1),
            first_date=str(ans.when[first])[:10], onset_date=str(ans.when[onset])[:10],
            evidence_count=n, observed=observed, expected=round(expected, 2),
            z=round((observed - expected) / math.sqrt(var), 2) if var > 0 else 0.0,
            evaluator_fail_rate=round(ev_fail, 3), reference_fail_rate=round(peers_fail, 3),
            examples=examples, trend=[round(float(v), 4) for v in trend],
        ))
    return flags


def detect_drift(
    store: Store,
    *,
    since: datetime | None = None,
    evaluator: str | None = None,
    settings: DriftSettings | None = None,
    sources: Sequence[str] = ("routine", "calibration"),
) -> list[Flag]:
    """Every drift flag in the store, strongest first. ``since`` keeps flags whose first
    crossing is on or after that date; ``evaluator`` keeps one person's flags (the detector
    still compares them with everyone)."""
    settings = settings or DriftSettings()
    flags: list[Flag] = []
    if "routine" in sources:
        ans = _routine_answers(store)
        if ans.fail.size:
            flags += _flags_for(ans, ans.fail, "harsh", "routine", settings)
            flags += _flags_for(ans, ~ans.fail, "lenient", "routine", settings)
    if "calibration" in sources:
        cal = _calibration_answers(store)
        if cal.fail.size and cal.ref_fail is not None:
            lenient = ~cal.fail & cal.ref_fail
            harsh = cal.fail & ~cal.ref_fail
            flags += _flags_for(cal, harsh, "harsh", "calibration", settings)
            flags += _flags_for(cal, lenient, "lenient", "calibration", settings)
    if evaluator:
        flags = [f for f in flags if f.evaluator.casefold() == evaluator.casefold()]
    if since is not None:
        cut = since.date().isoformat()
        flags = [f for f in flags if f.first_date >= cut]
    flags.sort(key=lambda f: (-f.z, f.evaluator, f.criterion))
    return flags


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
    """Detection delay (answers after onset) and false-alarm rate on simulated teams.

    Each run: ``peers`` stable evaluators and one more, all scoring ``n`` answers on a criterion
    with fail rate ``base_fail``; in the drift arm the last evaluator's rate becomes
    ``drifted_fail`` from answer ``onset`` on. Answers are spread over one year."""
    settings = settings or DriftSettings()
    rng = np.random.default_rng(seed)
    k = peers + 1
    delays: list[int] = []
    detected = 0
    false_series = 0
    total_null_series = 0
    for arm in ("null", "drift"):
        # all runs of an arm in one vectorised batch: series = run × evaluator
        ev = np.tile(np.repeat(np.arange(k), n), runs)
        run = np.repeat(np.arange(runs), k * n)
        t = np.tile(np.tile(np.linspace(0, 365, n), k), runs)
        p_true = np.full(ev.size, base_fail)
        pos = np.tile(np.tile(np.arange(n), k), runs)
        if arm == "drift":
            p_true = np.where((ev == k - 1) & (pos >= onset), drifted_fail, p_true)
        fail = rng.random(ev.size) < p_true
        obs = Observations(series=run * k + ev, evaluator=ev, criterion=run,
                           stratum=np.zeros(ev.size, dtype=int), time=t, y=fail)
        direction_y = fail if drifted_fail > base_fail else ~fail
        obs.y = direction_y
        p = expected_rates(obs, settings)
        order = np.lexsort((t, obs.series))
        alarms = find_alarms(obs.series[order], direction_y[order].astype(float), p[order],
                             settings)
        if arm == "null":
            total_null_series += runs * k
            false_series += len({a.series for a in alarms})
        else:
            hit = {a.series: a for a in alarms}
            for r in range(runs):
                a = hit.get(r * k + k - 1)
                if a is not None:
                    first_pos = int(pos[order][a.first_row])
                    if first_pos >= onset:
                        detected += 1
                        delays.append(first_pos - onset + 1)
            # alarms on the stable evaluators of the drift arm are false alarms too
            false_series += sum(1 for s in {a.series for a in alarms} if s % k != k - 1)
            total_null_series += runs * peers
    return {
        "runs": runs, "answers_per_evaluator": n, "onset": onset,
        "base_fail": base_fail, "drifted_fail": drifted_fail,
        "detection_rate": detected / runs,
        "median_delay": float(np.median(delays)) if delays else math.nan,
        "p90_delay": float(np.percentile(delays, 90)) if delays else math.nan,
        "false_alarm_rate": false_series / total_null_series,
    }
