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
from .vocabulary import DRIFT_THRESHOLD

FLAG_KEYS = ("evaluator", "criterion", "direction", "size", "first_date", "evidence_count",
             "examples")


@dataclass(frozen=True)
class DriftSettings:
    window_days: float = 60.0
    shrink: float = 20.0
    odds_ratio: float = 3.0
    threshold: float = DRIFT_THRESHOLD  # h
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
    expected: np.ndarray | None = None,
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
    p = expected_rates(obs, settings) if expected is None else expected
    if ans.order is None:  # the same for every chart over these answers
        ans.order = np.lexsort((np.arange(outcome.size), obs.time, obs.series))
    order = ans.order
    series, y, pp = obs.series[order], obs.y[order].astype(float), p[order]
    out = []
    for alarm in find_alarms(series, y, pp, settings):
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
            trend=[round(float(v), 4) for v in trend],
        ), example_ids))
    return out


def detect_drift(
    store: Store,
    *,
    since: datetime | None = None,
    evaluator: str | None = None,
    settings: DriftSettings | None = None,
    sources: Sequence[str] = ("routine", "calibration"),
    actor: str,
) -> list[Flag]:
    """Every drift flag in the store, strongest first. ``since`` keeps flags whose first
    crossing is on or after that date; ``evaluator`` keeps one person's flags (the detector
    still compares them with everyone). Leads and trainers."""
    from .access import check

    check(store, actor, "drift")
    return _detect_drift(store, since=since, evaluator=evaluator, settings=settings,
                         sources=sources)


def _detect_drift(
    store: Store,
    *,
    since: datetime | None = None,
    evaluator: str | None = None,
    settings: DriftSettings | None = None,
    sources: Sequence[str] = ("routine", "calibration"),
) -> list[Flag]:
    """``detect_drift`` for core callers that have checked the acting person."""
    settings = settings or DriftSettings()
    found: list[tuple[Flag, list[int]]] = []
    if "routine" in sources:
        ans = _routine_answers(store)
        if ans.fail.size:
            obs = Observations(series=ans.evaluator, evaluator=ans.evaluator,
                               criterion=ans.criterion, stratum=ans.stratum, time=ans.day,
                               y=ans.fail)
            p_fail = expected_rates(obs, settings)
            found += _flags_for(ans, ans.fail, "harsh", "routine", settings, expected=p_fail)
            # the expected pass rate is one minus the expected fail rate (same shrinkage)
            found += _flags_for(ans, ~ans.fail, "lenient", "routine", settings,
                                expected=1.0 - p_fail)
    if "calibration" in sources:
        cal = _calibration_answers(store)
        if cal.fail.size and cal.ref_fail is not None:
            found += _flags_for(cal, cal.fail & ~cal.ref_fail, "harsh", "calibration", settings)
            found += _flags_for(cal, ~cal.fail & cal.ref_fail, "lenient", "calibration",
                                settings)
    refs = _refs(store, sorted({i for _f, ids in found for i in ids}))
    flags = []
    for flag, ids in found:
        flag.examples = [refs[i] for i in ids if i in refs]
        flags.append(flag)
    if evaluator:
        from .names import name_key

        flags = [f for f in flags if name_key(f.evaluator) == name_key(evaluator)]
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
