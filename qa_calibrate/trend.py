"""Trends over sessions: per rubric, the evaluators' agreement session by session; per
evaluator, their calibration score session by session; each with its bootstrap interval.

Only revealed and closed sessions count (an open session is blind), in the order they were
created. Definitions are the session report's (``report``):

- Agreement of a session: the mean over criteria of each criterion's percent agreement (the
  share of agreeing evaluator pairs, averaged over the interactions rated at least twice; the
  benchmark left out; N/A a missing rating). The interval resamples the session's interactions.
- Calibration score of an evaluator in a session: the mean over the interactions they scored of
  the weighted share of answers matching the reference (benchmark, else consensus), x100, 0 on a
  critical mismatch. The interval resamples those interactions.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from sqlmodel import Session, col, select

from . import models as m
from .errors import NotFound
from .report import (
    ReportSettings,
    SessionData,
    _against_reference,
    _load_session_data,
    _reference_answers,
)
from .store import Store


@dataclass(frozen=True)
class TrendPoint:
    """One session's figure on a trend line: the value and its interval (NaN when undefined,
    and ``undefined`` says why), over ``n`` interactions."""

    session: str
    session_id: int
    state: str
    when: datetime
    rubric: str  # NAME@VERSION the session was scored with
    value: float
    ci_low: float
    ci_high: float
    n: int
    undefined: str | None = None

    @property
    def defined(self) -> bool:
        return not math.isnan(self.value)


@dataclass(frozen=True)
class Trend:
    """A line: the rubric (agreement) or the evaluator (calibration score), point by point."""

    kind: str  # agreement | calibration
    subject: str  # rubric name, or evaluator name
    points: tuple[TrendPoint, ...]


@dataclass(frozen=True)
class TrendView:
    """Every trend the acting person asked for, and the interval's confidence level."""

    agreement: tuple[Trend, ...]
    calibration: tuple[Trend, ...]
    confidence: float
    sessions: int

    def rows(self) -> list[dict[str, Any]]:
        """One flat row per point (for tables, CSV and JSON)."""
        return [
            {"kind": t.kind, "subject": t.subject, "session": p.session, "state": p.state,
             "when": p.when, "rubric": p.rubric, "value": p.value, "ci_low": p.ci_low,
             "ci_high": p.ci_high, "interactions": p.n, "undefined": p.undefined}
            for t in (*self.agreement, *self.calibration) for p in t.points
        ]


def _bootstrap_mean(per_unit: np.ndarray, settings: ReportSettings) -> tuple[float, float]:
    """Percentile interval of the mean of ``per_unit`` (units × columns, NaN = not counted):
    resample the units, take each column's mean, then the mean over columns."""
    n = per_unit.shape[0]
    if settings.n_resamples <= 0 or n < 2:
        return math.nan, math.nan
    rng = np.random.default_rng(settings.seed)
    idx = rng.integers(0, n, size=(settings.n_resamples, n))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a resample may leave a column empty
        stats = np.nanmean(np.nanmean(per_unit[idx], axis=1), axis=1)
    stats = stats[~np.isnan(stats)]
    if stats.size == 0:
        return math.nan, math.nan
    tail = (1 - settings.confidence) / 2 * 100
    low, high = np.percentile(stats, [tail, 100 - tail])
    return float(low), float(high)


def unit_agreement(data: SessionData) -> np.ndarray:
    """Per interaction and criterion (interactions × criteria), the share of agreeing pairs of
    the evaluators' answers (benchmark left out, N/A missing); NaN where fewer than two rated."""
    raters = [e for e in range(len(data.evaluators)) if e != data.benchmark_index]
    values = data.values[:, raters, :]  # NaN: not answered or N/A
    n_i, _n_e, n_c = values.shape
    out = np.full((n_i, n_c), np.nan)
    for i in range(n_i):
        for c in range(n_c):
            given = values[i, :, c]
            given = given[~np.isnan(given)]
            k = given.size
            if k < 2:
                continue
            _v, counts = np.unique(given, return_counts=True)
            out[i, c] = float((counts * (counts - 1)).sum() / (k * (k - 1)))
    return out


def calibration_by_interaction(data: SessionData, e: int, ref_values: np.ndarray,
                               ref_na: np.ndarray) -> np.ndarray:
    """Evaluator ``e``'s calibration score on each interaction (NaN where nothing compares),
    as the session report computes it."""
    return _against_reference(data, e, ref_values, ref_na)[2]


def _point(data: SessionData, per_unit: np.ndarray, settings: ReportSettings,
           undefined: str | None = None) -> TrendPoint:
    cal = data.session
    counted = int((~np.isnan(per_unit)).any(axis=1).sum()) if per_unit.size else 0
    value = math.nan
    low = high = math.nan
    if counted and undefined is None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            value = float(np.nanmean(np.nanmean(per_unit, axis=0)))
        low, high = _bootstrap_mean(per_unit, settings)
    elif undefined is None:
        undefined = "nothing to compare"
    return TrendPoint(session=cal.name, session_id=int(cal.id or 0), state=cal.state,
                      when=cal.created_at, rubric=f"{data.rubric.name}@{data.rubric.version}",
                      value=value, ci_low=low, ci_high=high, n=counted, undefined=undefined)


def _sessions(session: Session, rubric: str | None) -> list[m.CalibrationSession]:
    query = (select(m.CalibrationSession)
             .where(col(m.CalibrationSession.state).in_(("revealed", "closed")))
             .order_by(col(m.CalibrationSession.created_at), col(m.CalibrationSession.id)))
    cals = list(session.exec(query).all())
    if rubric is None:
        return cals
    name, _, version = rubric.partition("@")
    rubrics = {r.id: r for r in session.exec(select(m.Rubric).where(m.Rubric.name == name))}
    if not rubrics:
        raise NotFound(f"no rubric named {name!r}")
    if version:
        if not version.isdigit() or int(version) not in {r.version for r in rubrics.values()}:
            raise NotFound(f"rubric {name!r} has no version {version}")
        rubrics = {k: r for k, r in rubrics.items() if r.version == int(version)}
    return [c for c in cals if c.rubric_id in rubrics]


def trend_view(
    store: Store,
    *,
    actor: str,
    rubric: str | None = None,
    evaluator: str | None = None,
    settings: ReportSettings | None = None,
) -> TrendView:
    """Agreement by session per rubric, and calibration score by session per evaluator (only
    ``evaluator`` when given), over revealed and closed sessions (``rubric``: NAME or
    NAME@VERSION). Leads and trainers (policy ``report.trend``); never an open session."""
    from .access import _require
    from .people import _find_evaluator

    settings = settings or ReportSettings()
    agreement: dict[str, list[TrendPoint]] = {}
    calibration: dict[str, list[TrendPoint]] = {}
    with store.read() as session:
        _require(session, actor, "report.trend")
        only = _find_evaluator(session, evaluator).name if evaluator else None
        cals = _sessions(session, rubric)
        for cal in cals:
            if cal.state == "open":  # the blind rule, whatever the query above says
                continue
            data = _load_session_data(session, cal.id or 0)
            agreement.setdefault(data.rubric.name, []).append(
                _point(data, unit_agreement(data), settings))
            _name, ref_values, ref_na = _reference_answers(data)
            for e, person in enumerate(data.evaluators):
                if e == data.benchmark_index or (only is not None and person.name != only):
                    continue
                if not data.answered[:, e, :].any():
                    continue
                if ref_values is None or ref_na is None:
                    calibration.setdefault(person.name, []).append(_point(
                        data, np.empty((0, 1)), settings,
                        "no reference (no benchmark answers and no consensus)"))
                    continue
                scores = calibration_by_interaction(data, e, ref_values, ref_na)
                calibration.setdefault(person.name, []).append(
                    _point(data, scores[:, None], settings))
    return TrendView(
        agreement=tuple(Trend("agreement", k, tuple(v)) for k, v in sorted(agreement.items())),
        calibration=tuple(Trend("calibration", k, tuple(v))
                          for k, v in sorted(calibration.items())),
        confidence=settings.confidence, sessions=len(cals),
    )

