"""Calibration reports built from the store: per criterion, per evaluator, per session.

Definitions (also in the README):
- Agreement among evaluators uses the session's evaluators without the benchmark. An N/A answer
  counts as a missing rating for the coefficients (it has no place on an ordinal or interval
  scale) but as an answer of its own for matching the reference.
- The reference is the benchmark evaluator's answers, or the consensus when there is no benchmark.
- Match rate: share of an evaluator's answers equal to the reference answer.
- Calibration score (per interaction): weighted share of answers matching the reference, x100;
  a mismatch on a critical criterion makes it 0. An evaluator's calibration score is the mean over
  the interactions both scored.
- Score gap: evaluator's interaction score minus the reference's, in points. Mean gap is bias
  (+ lenient, - harsh); mean |gap| is noise; an evaluator whose mean |gap| exceeds the tolerance
  (5 points by default) is out of the band.
- Bias on ordinal criteria: mean of (evaluator value - reference value) over ordinal answers, in
  scale steps; on binary criteria: evaluator pass rate minus reference pass rate.
- A criterion's status: flagged when its raw agreement's interval lies below the target, passes
  when above, can't tell yet when it straddles (with the interactions that would settle it).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from . import agreement as ag
from . import models as m
from .errors import NotFound
from .rubric import _rubric_criteria
from .scoring import CriterionView, TurnView, score_matrix
from .sessions import (
    _check_can_see_all,
    _consensus_rows,
    _find_session,
    _participants,
    _sample_interactions,
)
from .store import Store
from .views import View

if TYPE_CHECKING:
    from .sites import SitesReport

LEVEL_OF_SCALE = {"binary": "nominal", "ordinal": "ordinal", "points": "interval"}
CRITERION_COEFFICIENTS = ("percent_agreement", "gwet_ac1", "krippendorff_alpha", "fleiss_kappa")
# A criterion's status against its agreement target, from the interval of its raw agreement.
FLAGGED, PASSES, CANT_TELL = "flagged", "passes", "cant_tell"
STATUS_TEXT = {FLAGGED: "flagged", PASSES: "passes", CANT_TELL: "can't tell yet"}
# The percentile bootstrap is kept where it is sound: enough interactions, and enough of them
# with a split to resample. Elsewhere the chance-corrected coefficients get the Dirichlet
# interval (agreement.dirichlet_interval).
BOOTSTRAP_MIN_UNITS = 30
BOOTSTRAP_MIN_SPLIT = 5
NOT_ESTIMABLE = "not estimable: no two interactions have different majority answers"


@dataclass(frozen=True)
class ReportSettings:
    """Thresholds a QA team may change (CLI options map onto these)."""

    tolerance: float = 5.0
    objective_target: float = 0.90
    subjective_target: float = 0.80
    alpha_thresholds: tuple[float, float] = (0.667, 0.8)
    kappa_bands: tuple[tuple[float, str], ...] | None = None
    n_resamples: int = 1000  # bootstrap resamples or posterior draws (0: closed-form only)
    confidence: float = 0.95
    seed: int = 20240601
    # "auto": Wilson on effective pairs for agreement, Dirichlet or bootstrap for the others;
    # "bootstrap": the percentile bootstrap everywhere, as before issue 16 (for comparison)
    intervals: str = "auto"


@dataclass
class SessionData:
    """A session's answers as arrays: values[i, e, c] (NaN = no answer), na[i, e, c]."""

    session: m.CalibrationSession
    rubric: m.Rubric
    criteria: list[m.Criterion]
    interactions: list[m.Interaction]
    evaluators: list[m.Evaluator]  # everyone who scores, benchmark included
    benchmark_index: int | None
    values: np.ndarray
    na: np.ndarray
    answered: np.ndarray
    comments: dict[tuple[int, int, int], str] = field(default_factory=dict)
    turns: dict[tuple[int, int, int], int] = field(default_factory=dict)  # the comment's turn
    consensus_values: np.ndarray | None = None  # (i, c), NaN where none
    consensus_na: np.ndarray | None = None
    consensus_notes: dict[tuple[int, int], str] = field(default_factory=dict)
    consensus_versions: dict[tuple[int, int], int] = field(default_factory=dict)


def _load_session_data(session: Session, ref: str | int) -> SessionData:
    """Read every submitted answer of a session into arrays (one query)."""
    cal = _find_session(session, ref)
    rubric = session.get(m.Rubric, cal.rubric_id)
    if rubric is None:
        raise NotFound(f"rubric of session {cal.name!r} is missing")
    criteria = _rubric_criteria(session, cal.rubric_id)
    items = _sample_interactions(session, cal)
    people = _participants(session, cal)
    if cal.benchmark_id is not None:
        people = [p for p in people if p.id != cal.benchmark_id] + [
            p for p in people if p.id == cal.benchmark_id
        ]
    i_idx = {it.id: n for n, it in enumerate(items)}
    e_idx = {p.id: n for n, p in enumerate(people)}
    c_idx = {c.id: n for n, c in enumerate(criteria)}
    shape = (len(items), len(people), len(criteria))
    values = np.full(shape, np.nan)
    na = np.zeros(shape, dtype=bool)
    answered = np.zeros(shape, dtype=bool)
    comments: dict[tuple[int, int, int], str] = {}
    turns: dict[tuple[int, int, int], int] = {}
    rows = session.execute(  # seven columns: more than sqlmodel's select has overloads for
        sa_select(col(m.Evaluation.interaction_id), col(m.Evaluation.evaluator_id),
                  col(m.Answer.criterion_id), col(m.Answer.value), col(m.Answer.na),
                  col(m.Answer.comment), col(m.Answer.turn_seq))
        .join(m.Answer, col(m.Answer.evaluation_id) == m.Evaluation.id)
        .where(col(m.Evaluation.session_id) == cal.id, col(m.Evaluation.status) == "submitted")
    ).all()
    if rows:
        ii = np.array([i_idx.get(r[0], -1) for r in rows])
        ee = np.array([e_idx.get(r[1], -1) for r in rows])
        cc = np.array([c_idx.get(r[2], -1) for r in rows])
        vv = np.array([np.nan if r[3] is None else r[3] for r in rows], dtype=float)
        nn = np.array([bool(r[4]) for r in rows])
        ok = (ii >= 0) & (ee >= 0) & (cc >= 0)
        values[ii[ok], ee[ok], cc[ok]] = np.where(nn[ok], np.nan, vv[ok])
        na[ii[ok], ee[ok], cc[ok]] = nn[ok]
        answered[ii[ok], ee[ok], cc[ok]] = True
        for r, i, e, c in zip(rows, ii, ee, cc, strict=True):
            if r[5] and i >= 0 and e >= 0 and c >= 0:
                comments[(int(i), int(e), int(c))] = r[5]
            if r[6] is not None and i >= 0 and e >= 0 and c >= 0:
                turns[(int(i), int(e), int(c))] = int(r[6])
    cons_v = np.full((len(items), len(criteria)), np.nan)
    cons_na = np.zeros((len(items), len(criteria)), dtype=bool)
    cons_notes: dict[tuple[int, int], str] = {}
    cons_versions: dict[tuple[int, int], int] = {}
    for row in _consensus_rows(session, cal):
        i, c = i_idx.get(row.interaction_id), c_idx.get(row.criterion_id)
        if i is None or c is None:
            continue
        cons_v[i, c] = np.nan if row.value is None else row.value
        cons_na[i, c] = row.na
        cons_versions[(i, c)] = row.version
        if row.note:
            cons_notes[(i, c)] = row.note
    has_consensus = ~np.isnan(cons_v) | cons_na
    return SessionData(
        session=cal, rubric=rubric, criteria=criteria, interactions=items, evaluators=people,
        benchmark_index=e_idx.get(cal.benchmark_id) if cal.benchmark_id else None,
        values=values, na=na, answered=answered, comments=comments, turns=turns,
        consensus_values=cons_v if has_consensus.any() else None,
        consensus_na=cons_na if has_consensus.any() else None,
        consensus_notes=cons_notes, consensus_versions=cons_versions,
    )


def _categories(criterion: m.Criterion) -> list[float]:
    if criterion.scale == "points" and float(criterion.max_value).is_integer():
        return [float(v) for v in range(int(criterion.min_value), int(criterion.max_value) + 1)]
    if criterion.scale in ("binary", "ordinal"):
        return [float(v) for v in range(int(criterion.min_value), int(criterion.max_value) + 1)]
    return []


@dataclass(frozen=True)
class Figure(View):
    """One coefficient as the layers show it: the value, its interval, and why it is undefined.

    ``text()`` is the one way it is written, in the CLI's tables and the TUI's panels alike."""

    value: float
    ci_low: float = math.nan
    ci_high: float = math.nan
    se: float = math.nan
    undefined: str | None = None
    label: str | None = None
    method: str | None = None  # how the interval was made: bootstrap, wilson-effective-n, …

    @classmethod
    def of(cls, fig: Figure | Mapping[str, Any]) -> Figure:
        """The view of a figure given as a JSON-ready mapping (the SLA and sites reports)."""
        if isinstance(fig, Figure):
            return fig

        def number(key: str) -> float:
            raw = fig.get(key)
            return math.nan if raw is None else float(raw)

        return cls(value=number("value"), ci_low=number("ci_low"), ci_high=number("ci_high"),
                   se=number("se"), undefined=fig.get("undefined"), label=fig.get("label"),
                   method=fig.get("method"))

    @property
    def defined(self) -> bool:
        return not math.isnan(self.value)

    def text(self, *, pct: bool = False, label: bool = True) -> str:
        """``0.72 [0.61, 0.80] substantial``, ``88% [80%–95%]``, or ``undefined (why)``."""
        if not self.defined:
            return f"undefined ({self.undefined})" if self.undefined else "undefined"
        has_ci = not (math.isnan(self.ci_low) or math.isnan(self.ci_high))
        if pct:
            return f"{self.value:.0%}" + (f" [{self.ci_low:.0%}–{self.ci_high:.0%}]"
                                           if has_ci else "")
        out = f"{self.value:.2f}" + (f" [{self.ci_low:.2f}, {self.ci_high:.2f}]"
                                     if has_ci else "")
        return out + (f" {self.label}" if label and self.label else "")

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"value": self.value, "ci_low": self.ci_low,
                               "ci_high": self.ci_high, "se": self.se,
                               "undefined": self.undefined, "method": self.method}
        if self.label is not None:
            out["label"] = self.label
        return out


@dataclass(frozen=True)
class IccFigure(Figure):
    """The overall-score ICC: a figure, its form and how many interactions it used."""

    form: str = "2,1"
    interactions: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "form": self.form, "interactions": self.interactions}


@dataclass(frozen=True)
class CriterionAgreement(View):
    """One criterion's agreement among the session's evaluators (benchmark left out)."""

    criterion: str
    section: str
    question: str
    scale: str
    level: str
    critical: bool
    subjective: bool
    weight: float
    units_rated: int
    ratings: int
    na_answers: int
    percent_agreement_with_na: float
    percent_agreement: Figure
    gwet_ac1: Figure
    krippendorff_alpha: Figure
    fleiss_kappa: Figure
    target: float
    flagged: bool  # status == "flagged" (kept for compatibility)
    spread: float
    status: str = CANT_TELL  # flagged, passes or cant_tell (the interval straddles the target)
    interactions_to_settle: int | None = None  # with cant_tell: how many would settle it

    def figure(self, name: str) -> Figure:
        """One of ``CRITERION_COEFFICIENTS`` by name."""
        if name not in CRITERION_COEFFICIENTS:
            raise KeyError(name)
        fig: Figure = getattr(self, name)
        return fig


@dataclass(frozen=True)
class CriterionBias(View):
    """An evaluator's bias on one criterion, as a share of its scale (+ lenient, − harsh)."""

    criterion: str
    bias: float
    answers: int
    mismatches: int


@dataclass(frozen=True)
class ScoreGap(View):
    """An evaluator's interaction score against the reference's (None where either is missing)."""

    interaction: str
    score: float | None
    reference_score: float | None
    gap: float | None


@dataclass(frozen=True)
class EvaluatorAgreement(View):
    """One evaluator against the session's reference (benchmark or consensus)."""

    evaluator: str
    interactions_scored: int
    answers: int
    match_rate: float = math.nan
    calibration_score: float = math.nan
    critical_mismatches: int | None = None
    ordinal_bias: float = math.nan
    binary_bias: float = math.nan
    mean_gap: float = math.nan
    mean_abs_gap: float = math.nan
    interactions_outside_band: int = 0
    criterion_bias: tuple[CriterionBias, ...] = ()
    out_of_band: bool = False
    direction: str = "no reference"
    gaps: tuple[ScoreGap, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        out = super().to_dict()
        if self.critical_mismatches is None:  # no reference: nothing to mismatch
            del out["critical_mismatches"]
        return out


@dataclass(frozen=True)
class SessionSummary(View):
    id: int
    name: str
    state: str
    rubric: str
    interactions: int
    evaluators: tuple[str, ...]
    benchmark: str | None


@dataclass(frozen=True)
class SessionReport(View):
    """Everything the calibration meeting needs: per criterion, per evaluator, the overall ICC,
    and the offset between organisations when the session has several (``sites``)."""

    session: SessionSummary
    reference: str
    settings: ReportSettings
    overall_score_icc: IccFigure
    criteria: tuple[CriterionAgreement, ...]
    evaluators: tuple[EvaluatorAgreement, ...]
    flagged_criteria: tuple[str, ...]
    out_of_band: tuple[str, ...]
    sites: SitesReport | None

    def to_dict(self) -> dict[str, Any]:
        out = super().to_dict()
        out["settings"] = asdict(self.settings)
        return out

    def criterion(self, key: str) -> CriterionAgreement | None:
        return next((c for c in self.criteria if c.criterion == key), None)


@dataclass(frozen=True)
class EvaluatorSummary(View):
    """One evaluator across every revealed or closed session (weighted by interactions)."""

    evaluator: str
    sessions: int
    interactions: int
    last_session: str | None
    match_rate: float
    calibration_score: float
    ordinal_bias: float
    mean_gap: float
    mean_abs_gap: float
    out_of_band: bool
    criterion_bias: tuple[CriterionBias, ...]


@dataclass(frozen=True)
class Headline(View):
    """The home screen's summary of a session: mean raw agreement, flagged, out of band."""

    agreement: float
    flagged: int
    out_of_band: int


@dataclass(frozen=True)
class MeetingCell(View):
    """One evaluator's answer on one criterion of the interaction under discussion."""

    answer: float | None
    na: bool
    comment: str | None
    agrees: bool | None
    turn: int | None = None  # the transcript turn (seq) the comment is tied to

    @property
    def answered(self) -> bool:
        return self.answer is not None or self.na


@dataclass(frozen=True)
class MeetingConsensus(View):
    answer: float | None
    na: bool
    note: str | None
    version: int  # what a change names, so two leads at once cannot overwrite each other


@dataclass(frozen=True)
class MeetingRow(View):
    criterion: CriterionView
    agreement: float  # share of agreeing pairs on this interaction (NaN under two answers)
    distinct: int
    cells: tuple[MeetingCell, ...]
    consensus: MeetingConsensus | None


@dataclass(frozen=True)
class MeetingInteraction(View):
    id: int
    ref: str
    agent: str | None
    channel: str | None
    team: str | None


@dataclass(frozen=True)
class MeetingView(View):
    """The meeting matrix for one sampled interaction: criteria × evaluators (+ benchmark and
    consensus), the widest split first."""

    session_id: int
    session: str
    state: str
    position: int
    total: int
    interaction: MeetingInteraction
    evaluators: tuple[str, ...]
    benchmark_index: int | None
    rows: tuple[MeetingRow, ...]
    transcript: tuple[TurnView, ...] | None = None  # None: the viewer may not read it
    transcript_refused: str | None = None  # why not


def _figure(
    name: str, ratings: np.ndarray, settings: ReportSettings, **kwargs: Any
) -> Figure:
    """A coefficient with its interval, closed-form SE where one exists, and a label.

    The interval: percent agreement, Wilson's on an effective number of pairs (closed form,
    also with ``n_resamples=0``); the kappa family and alpha, the percentile bootstrap over
    interactions when there are at least ``BOOTSTRAP_MIN_UNITS`` of them and
    ``BOOTSTRAP_MIN_SPLIT`` with a split, else the Dirichlet posterior interval; the ICC, the
    bootstrap. Alpha and kappa are not estimable when no two interactions have different
    majority answers. ``settings.intervals == "bootstrap"``: the bootstrap everywhere, as
    before."""
    if settings.intervals == "bootstrap":
        return _bootstrap_figure(name, ratings, settings, **kwargs)
    value = ag.COEFFICIENTS[name](ratings, **kwargs)
    if math.isnan(value):
        return Figure(value, undefined=ag.undefined_reason(name, ratings, **kwargs)
                      or "not defined here")
    cats = kwargs.get("categories")
    if name in ("krippendorff_alpha", "fleiss_kappa") and ag.same_majority(ratings,
                                                                           categories=cats):
        return Figure(math.nan, undefined=NOT_ESTIMABLE)
    low = high = math.nan
    method: str | None = None
    if name == "percent_agreement":
        pairs = ag.wilson_effective_n(ratings, categories=cats, confidence=settings.confidence)
        low, high, method = pairs.low, pairs.high, "wilson-effective-n"
    elif settings.n_resamples > 0:
        rated_twice = int(((~np.isnan(ratings)).sum(axis=1) >= 2).sum())
        sound = name == "icc" or (
            rated_twice >= BOOTSTRAP_MIN_UNITS
            and ag.disagreeing_units(ratings, categories=cats) >= BOOTSTRAP_MIN_SPLIT)
        if sound:
            low, high = ag.bootstrap_ci(
                name, ratings, n_resamples=settings.n_resamples, confidence=settings.confidence,
                seed=settings.seed, **kwargs)
            method = "bootstrap"
        else:
            low, high = ag.dirichlet_interval(
                name, ratings, n_draws=settings.n_resamples, confidence=settings.confidence,
                seed=settings.seed, **kwargs)
            if not math.isnan(low):  # when nobody disagreed the draws stop just short of 1
                low, high = min(low, value), max(high, value)
            method = "bayesian-dirichlet"
    return Figure(value, ci_low=low, ci_high=high, se=_se(name, ratings, **kwargs),
                  label=_label(name, value, settings),
                  method=method if not math.isnan(low) else None)


def _bootstrap_figure(
    name: str, ratings: np.ndarray, settings: ReportSettings, **kwargs: Any
) -> Figure:
    """A coefficient with its percentile bootstrap CI: the method before issue 16, kept so that
    ``bench/coverage.py`` can compare it (``ReportSettings(intervals="bootstrap")``)."""
    value = ag.COEFFICIENTS[name](ratings, **kwargs)
    if math.isnan(value):
        return Figure(value, undefined=ag.undefined_reason(name, ratings, **kwargs)
                      or "not defined here")
    low = high = math.nan
    if settings.n_resamples > 0:
        low, high = ag.bootstrap_ci(
            name, ratings, n_resamples=settings.n_resamples, confidence=settings.confidence,
            seed=settings.seed, **kwargs,
        )
    return Figure(value, ci_low=low, ci_high=high, se=_se(name, ratings, **kwargs),
                  label=_label(name, value, settings),
                  method="bootstrap" if not math.isnan(low) else None)


def _se(name: str, ratings: np.ndarray, **kwargs: Any) -> float:
    if name == "krippendorff_alpha" or name == "icc":
        return math.nan
    try:
        return ag.standard_error(name, ratings, **kwargs)
    except (KeyError, ValueError):
        return math.nan


def _label(name: str, value: float, settings: ReportSettings) -> str | None:
    if name == "krippendorff_alpha":
        return ag.krippendorff_label(value, thresholds=settings.alpha_thresholds)
    if name in ("fleiss_kappa", "gwet_ac1", "cohen_kappa", "conger_kappa"):
        return ag.landis_koch(value, bands=settings.kappa_bands)
    return None


def _status(pa: Figure, ratings: np.ndarray, target: float, settings: ReportSettings,
            categories: list[float] | None) -> tuple[str, int | None]:
    """Flagged when agreement's interval lies wholly below the target, passes when wholly
    above, else can't tell yet, with the number of interactions that would settle it for this
    session's raters (``agreement.units_to_settle`` on its effective pairs). Under the old
    bootstrap (``intervals="bootstrap"``) the point value decides, as it did then."""
    if not pa.defined:
        return CANT_TELL, None
    if settings.intervals == "bootstrap" or math.isnan(pa.ci_low) or math.isnan(pa.ci_high):
        return (FLAGGED if pa.value < target else PASSES), None
    if pa.ci_high < target:
        return FLAGGED, None
    if pa.ci_low > target:
        return PASSES, None
    pairs = ag.wilson_effective_n(ratings, categories=categories or None,
                                  confidence=settings.confidence)
    return CANT_TELL, ag.units_to_settle(
        pa.value, target, deff=pairs.deff, pairs_per_unit=pairs.n_pairs / pairs.n_units,
        confidence=settings.confidence)


def _scores(data: SessionData, values: np.ndarray, na: np.ndarray) -> np.ndarray:
    """Interaction scores (0-100, NaN where nothing answered) for a (n, criteria) answer array."""
    if values.size == 0:
        return np.full(values.shape[0], np.nan)
    s, _failed = score_matrix(data.criteria, values, na)
    return np.asarray(s, dtype=float)


def _reference_answers(data: SessionData) -> tuple[str, np.ndarray | None, np.ndarray | None]:
    if data.benchmark_index is not None:
        b = data.benchmark_index
        answered = data.answered[:, b, :]
        values = np.where(answered, data.values[:, b, :], np.nan)
        na = data.na[:, b, :]
        if answered.any():
            return f"benchmark: {data.evaluators[b].name}", values, na
    if data.consensus_values is not None:
        return "consensus", data.consensus_values, data.consensus_na
    return "none", None, None


def session_report(
    store: Store,
    ref: str | int,
    settings: ReportSettings | None = None,
    *,
    viewer: str,
) -> SessionReport:
    """Everything the calibration meeting needs (``to_dict()`` is the JSON the CLI prints).

    While the session is open only a lead (``viewer``) may see it: the blind rule."""
    with store.read() as session:
        _check_can_see_all(session, _find_session(session, ref), viewer)
    return _build_report(store, ref, settings or ReportSettings())


def _build_report(store: Store, ref: str | int, settings: ReportSettings) -> SessionReport:
    """The session report, for callers that have checked who may see it."""
    with store.read() as session:
        data = _load_session_data(session, ref)
        summary = SessionSummary(
            id=data.session.id or 0, name=data.session.name, state=data.session.state,
            rubric=f"{data.rubric.name}@{data.rubric.version}",
            interactions=len(data.interactions),
            evaluators=tuple(p.name for n, p in enumerate(data.evaluators)
                             if n != data.benchmark_index),
            benchmark=(data.evaluators[data.benchmark_index].name
                       if data.benchmark_index is not None else None),
        )
    return _report_from_data(data, summary, settings)


def _report_from_data(data: SessionData, summary: SessionSummary,
                      settings: ReportSettings) -> SessionReport:
    """The session report from a session's answers as arrays (the one path every report and
    the coverage test take)."""
    raters = [n for n in range(len(data.evaluators)) if n != data.benchmark_index]
    ref_name, ref_values, ref_na = _reference_answers(data)
    criteria_rows = _criteria_rows(data, raters, settings)
    evaluator_rows, overall_icc = _evaluator_rows(data, raters, ref_values, ref_na, settings)
    from .sites import _organisation_figures  # the offset between organisations, if several

    return SessionReport(
        session=summary, reference=ref_name, settings=settings, overall_score_icc=overall_icc,
        criteria=tuple(criteria_rows), evaluators=tuple(evaluator_rows),
        flagged_criteria=tuple(r.criterion for r in criteria_rows if r.flagged),
        out_of_band=tuple(r.evaluator for r in evaluator_rows if r.out_of_band),
        sites=_organisation_figures(data, settings),
    )


def _criteria_rows(
    data: SessionData, raters: Sequence[int], settings: ReportSettings
) -> list[CriterionAgreement]:
    rows: list[CriterionAgreement] = []
    for c, crit in enumerate(data.criteria):
        ratings = data.values[:, raters, c]  # N/A and missing are NaN
        answered = data.answered[:, raters, c]
        na = data.na[:, raters, c]
        cats = _categories(crit)
        level = LEVEL_OF_SCALE.get(crit.scale, "interval")
        kw_cat: dict[str, Any] = {"categories": cats} if cats else {}
        figures = {
            "percent_agreement": _figure("percent_agreement", ratings, settings, **kw_cat),
            "gwet_ac1": _figure("gwet_ac1", ratings, settings, **kw_cat),
            "krippendorff_alpha": _figure(
                "krippendorff_alpha", ratings, settings, level=level, **kw_cat
            ),
            "fleiss_kappa": _figure("fleiss_kappa", ratings, settings, **kw_cat),
        }
        # Raw share of pairs giving the same answer, N/A included as an answer of its own.
        coded = np.where(na, -1.0, ratings)
        pa_with_na = ag.percent_agreement(np.where(answered, coded, np.nan))
        target = settings.subjective_target if crit.subjective else settings.objective_target
        status, settle = _status(figures["percent_agreement"], ratings, target, settings, cats)
        split_values = ratings[~np.isnan(ratings)]
        rows.append(CriterionAgreement(
            criterion=crit.key, section=crit.section, question=crit.question,
            scale=crit.scale, level=level, critical=crit.critical,
            subjective=crit.subjective, weight=crit.weight,
            units_rated=int((answered.sum(axis=1) >= 2).sum()),
            ratings=int(answered.sum()), na_answers=int(na.sum()),
            percent_agreement_with_na=pa_with_na,
            **figures,
            target=target,
            flagged=status == FLAGGED,
            spread=float(np.std(split_values)) if split_values.size else math.nan,
            status=status, interactions_to_settle=settle,
        ))
    rows.sort(key=lambda r: (
        math.inf if math.isnan(r.percent_agreement.value) else r.percent_agreement.value,
        -(r.spread if not math.isnan(r.spread) else 0.0),
    ))
    return rows


def _evaluator_rows(
    data: SessionData,
    raters: Sequence[int],
    ref_values: np.ndarray | None,
    ref_na: np.ndarray | None,
    settings: ReportSettings,
) -> tuple[list[EvaluatorAgreement], IccFigure]:
    critical = np.array([c.critical for c in data.criteria], dtype=bool)
    ordinal = np.array([c.scale == "ordinal" for c in data.criteria], dtype=bool)
    binary = np.array([c.scale == "binary" for c in data.criteria], dtype=bool)
    # Interaction scores for every evaluator: (interactions, evaluators)
    n_i, n_e, n_c = data.values.shape
    flat_v = np.where(data.na, np.nan, data.values).transpose(1, 0, 2).reshape(n_e * n_i, n_c)
    flat_na = data.na.transpose(1, 0, 2).reshape(n_e * n_i, n_c)
    has_eval = data.answered.any(axis=2).T.reshape(-1)
    scores = np.where(has_eval, _scores(data, flat_v, flat_na), np.nan).reshape(n_e, n_i).T
    ref_scores = (
        _scores(data, ref_values, ref_na) if ref_values is not None and ref_na is not None
        else np.full(n_i, np.nan)
    )
    if ref_values is not None and ref_na is not None:
        ref_answered = ~np.isnan(ref_values) | ref_na
        ref_scores = np.where(ref_answered.any(axis=1), ref_scores, np.nan)
    rows: list[EvaluatorAgreement] = []
    for e in raters:
        answered = data.answered[:, e, :]
        name, n_scored = data.evaluators[e].name, int(answered.any(axis=1).sum())
        if ref_values is None or ref_na is None:
            rows.append(EvaluatorAgreement(name, n_scored, int(answered.sum())))
            continue
        both, same, cal_score = _against_reference(data, e, ref_values, ref_na)
        numeric = both & ~data.na[:, e, :] & ~ref_na
        diff = np.where(numeric, data.values[:, e, :] - np.nan_to_num(ref_values), np.nan)
        gaps = scores[:, e] - ref_scores
        valid_gaps = gaps[~np.isnan(gaps)]
        mean_gap = float(valid_gaps.mean()) if valid_gaps.size else math.nan
        mean_abs = float(np.abs(valid_gaps).mean()) if valid_gaps.size else math.nan
        out = int((np.abs(valid_gaps) > settings.tolerance).sum())
        # bias per criterion, as a share of the criterion's range (+ lenient, − harsh)
        span = np.array([max(c.max_value - c.min_value, 1e-9) for c in data.criteria])
        counted = (~np.isnan(diff)).sum(axis=0)
        with np.errstate(invalid="ignore"):
            per_crit = np.nansum(diff, axis=0) / np.maximum(counted, 1) / span
        criterion_bias = sorted(
            (CriterionBias(criterion=c.key, bias=float(per_crit[j]), answers=int(counted[j]),
                           mismatches=int((both[:, j] & ~same[:, j]).sum()))
             for j, c in enumerate(data.criteria) if counted[j]),
            key=lambda b: -abs(b.bias))
        ord_diff = diff[:, ordinal][~np.isnan(diff[:, ordinal])]
        bin_diff = diff[:, binary][~np.isnan(diff[:, binary])]
        rows.append(EvaluatorAgreement(
            name, n_scored, int(answered.sum()),
            match_rate=float(same.sum() / both.sum()) if both.sum() else math.nan,
            calibration_score=float(np.nanmean(cal_score)) if (~np.isnan(cal_score)).any()
            else math.nan,
            critical_mismatches=int((both & ~same & critical).sum()),
            ordinal_bias=float(ord_diff.mean()) if ord_diff.size else math.nan,
            binary_bias=float(bin_diff.mean()) if bin_diff.size else math.nan,
            mean_gap=mean_gap, mean_abs_gap=mean_abs,
            interactions_outside_band=out,
            criterion_bias=tuple(criterion_bias),
            out_of_band=bool(not math.isnan(mean_abs) and mean_abs > settings.tolerance),
            direction=(
                "no data" if math.isnan(mean_gap)
                else "lenient" if mean_gap > settings.tolerance / 2
                else "harsh" if mean_gap < -settings.tolerance / 2 else "in line"
            ),
            gaps=tuple(
                ScoreGap(interaction=f"{data.interactions[i].source}:"
                                     f"{data.interactions[i].external_id}",
                         score=_none_if_nan(scores[i, e]),
                         reference_score=_none_if_nan(ref_scores[i]),
                         gap=_none_if_nan(gaps[i]))
                for i in range(n_i)
            ),
        ))
    rows.sort(key=lambda r: -(r.mean_abs_gap if not math.isnan(r.mean_abs_gap) else -1))
    # ICC needs a complete matrix: keep either every evaluator who scored the whole sample
    # (an evaluator still scoring is left out) or every fully scored interaction, whichever
    # keeps more scores
    full_raters = [e for e in raters if not np.isnan(scores[:, e]).any()]
    scored_any = [e for e in raters if data.answered[:, e, :].any()]
    by_rows = scores[:, scored_any]
    rows_ok: np.ndarray = np.asarray(~np.isnan(by_rows).any(axis=1))
    complete: np.ndarray
    if len(full_raters) >= 2 and len(full_raters) * n_i >= rows_ok.sum() * len(scored_any):
        icc_matrix, complete = scores[:, full_raters], np.ones(n_i, dtype=bool)
    else:
        icc_matrix, complete = by_rows, rows_ok
    fig = _figure("icc", icc_matrix[complete], settings, form="2,1") \
        if complete.sum() >= 2 else \
        Figure(math.nan, undefined="fewer than two interactions scored by every evaluator")
    icc_fig = IccFigure(value=fig.value, ci_low=fig.ci_low, ci_high=fig.ci_high, se=fig.se,
                        undefined=fig.undefined, label=fig.label, method=fig.method, form="2,1",
                        interactions=int(complete.sum()))
    return rows, icc_fig


def _against_reference(data: SessionData, e: int, ref_values: np.ndarray, ref_na: np.ndarray
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Evaluator ``e`` against the reference, per (interaction, criterion): both answered, the
    same answer (N/A matching N/A); and per interaction the calibration score (weighted share
    the same ×100, 0 after a critical mismatch, NaN where nothing compares)."""
    weights = np.array([c.weight for c in data.criteria], dtype=float)
    critical = np.array([c.critical for c in data.criteria], dtype=bool)
    both = data.answered[:, e, :] & (~np.isnan(ref_values) | ref_na)
    same = np.where(data.na[:, e, :] | ref_na, data.na[:, e, :] & ref_na,
                    data.values[:, e, :] == ref_values) & both
    w = np.broadcast_to(weights, both.shape)
    per_item_w = (w * both).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        score = 100.0 * (w * same).sum(axis=1) / per_item_w
    score = np.where((both & ~same & critical).any(axis=1), 0.0, score)
    return both, same, np.where(per_item_w > 0, score, np.nan)


def _none_if_nan(v: float) -> float | None:
    return None if math.isnan(v) else float(v)


def evaluators_report(
    store: Store, settings: ReportSettings | None = None, *, actor: str,
    states: Sequence[str] = ("revealed", "closed"),
) -> list[EvaluatorSummary]:
    """Each evaluator across every revealed or closed session: match, calibration score, gaps.
    Leads and trainers; an open session never counts (the blind rule)."""
    from .access import check

    check(store, actor, "report.evaluators")
    return _evaluators_report(store, settings, states=states)


def _evaluators_report(
    store: Store, settings: ReportSettings | None = None, *,
    states: Sequence[str] = ("revealed", "closed"),
) -> list[EvaluatorSummary]:
    """``evaluators_report`` for core callers that have checked the acting person."""
    settings = settings or ReportSettings(n_resamples=0)
    states = [s for s in states if s != "open"]
    with store.read() as session:
        cals = session.exec(
            select(m.CalibrationSession).where(m.CalibrationSession.state.in_(states))  # type: ignore[attr-defined]
            .order_by(col(m.CalibrationSession.created_at))
        ).all()
        refs = [c.id for c in cals]
    totals: dict[str, _Totals] = {}
    for ref in refs:
        report = _build_report(store, ref or 0, settings)
        for r in report.evaluators:
            t = totals.setdefault(r.evaluator, _Totals())
            for b in r.criterion_bias:
                acc = t.crit.setdefault(b.criterion, [0.0, 0, 0])
                acc[0] += b.bias * b.answers
                acc[1] += b.answers
                acc[2] += b.mismatches
            t.sessions += 1
            n = r.interactions_scored
            t.interactions += n
            for key in _Totals.MEANS:
                value = getattr(r, key)
                if not math.isnan(value):
                    t.means.setdefault(key, []).append((value, n))
            t.last_session = report.session.name
    out = []
    for name, t in totals.items():
        criterion_bias = sorted(
            (CriterionBias(criterion=k, bias=v[0] / v[1], answers=int(v[1]),
                           mismatches=int(v[2]))
             for k, v in t.crit.items() if v[1]), key=lambda b: -abs(b.bias))
        mean_abs = t.mean("mean_abs_gap")
        out.append(EvaluatorSummary(
            evaluator=name, sessions=t.sessions, interactions=t.interactions,
            last_session=t.last_session, match_rate=t.mean("match_rate"),
            calibration_score=t.mean("calibration_score"), ordinal_bias=t.mean("ordinal_bias"),
            mean_gap=t.mean("mean_gap"), mean_abs_gap=mean_abs,
            out_of_band=bool(not math.isnan(mean_abs) and mean_abs > settings.tolerance),
            criterion_bias=tuple(criterion_bias),
        ))
    out.sort(key=lambda r: r.evaluator)
    return out


@dataclass
class _Totals:
    """An evaluator's running totals across sessions (means weighted by interactions)."""

    MEANS = ("match_rate", "calibration_score", "mean_gap", "mean_abs_gap", "ordinal_bias")
    sessions: int = 0
    interactions: int = 0
    last_session: str | None = None
    means: dict[str, list[tuple[float, int]]] = field(default_factory=dict)
    crit: dict[str, list[float]] = field(default_factory=dict)

    def mean(self, key: str) -> float:
        pairs = self.means.get(key, [])
        total = sum(n for _v, n in pairs)
        return sum(v * n for v, n in pairs) / total if total else math.nan


def report_json(report: SessionReport) -> str:
    return json.dumps(report.to_dict(), default=str)


def headline(store: Store, ref: str | int, *, viewer: str) -> Headline:
    """The one-line summary the home screen shows: mean raw agreement over criteria, how many
    criteria are flagged and how many evaluators are out of the band (no bootstrap)."""
    rep = session_report(store, ref, ReportSettings(n_resamples=0), viewer=viewer)
    pas = [c.percent_agreement.value for c in rep.criteria]
    pas = [v for v in pas if not math.isnan(v)]
    return Headline(agreement=sum(pas) / len(pas) if pas else math.nan,
                    flagged=len(rep.flagged_criteria), out_of_band=len(rep.out_of_band))


def meeting_view(store: Store, ref: str | int, *, viewer: str, position: int) -> MeetingView:
    """The meeting matrix for one sampled interaction: criteria × evaluators (+ benchmark and
    consensus), the widest split first, with the interaction's transcript and, per cell, the
    turn its comment is tied to. Blind rule: only a lead while the session is open (and only
    submitted answers); the transcript only for those ``access.check_transcript_access`` lets
    read it (``transcript`` is None and ``transcript_refused`` says why for anyone else)."""
    from .access import _check_transcript_access, _require
    from .errors import PermissionDenied
    from .interactions import _get_transcript

    transcript: tuple[TurnView, ...] | None = None
    refused: str | None = None
    with store.read() as session:
        _require(session, viewer, "meeting", cal=_find_session(session, ref))
        data = _load_session_data(session, ref)
        n_items = len(data.interactions)
        if n_items == 0:
            raise NotFound(f"session {data.session.name!r} has no interactions")
        i = max(0, min(position, n_items - 1))
        try:
            _check_transcript_access(session, viewer)
        except PermissionDenied as exc:
            refused = str(exc)
        else:
            transcript = tuple(
                TurnView(seq=t.seq, speaker=t.speaker, offset_seconds=t.offset_seconds,
                         text=t.text)
                for t in _get_transcript(session, data.interactions[i].id or 0))
    raters = [e for e in range(len(data.evaluators)) if e != data.benchmark_index]
    rows: list[MeetingRow] = []
    for c, crit in enumerate(data.criteria):
        answered = data.answered[i, raters, c]
        coded = np.where(data.na[i, raters, c], -1.0, data.values[i, raters, c])[answered]
        if coded.size >= 2:
            _vals, counts = np.unique(coded, return_counts=True)
            pairs = coded.size * (coded.size - 1)
            agree = float((counts * (counts - 1)).sum() / pairs)
            modal = float(_vals[np.argmax(counts)])
        else:
            agree, modal = math.nan, math.nan
        cells: list[MeetingCell] = []
        for e in range(len(data.evaluators)):
            if not data.answered[i, e, c]:
                cells.append(MeetingCell(answer=None, na=False, comment=None, agrees=None,
                                         turn=None))
                continue
            is_na = bool(data.na[i, e, c])
            value = None if is_na else float(data.values[i, e, c])
            code = -1.0 if is_na else value
            cells.append(MeetingCell(answer=value, na=is_na,
                                     comment=data.comments.get((i, e, c)),
                                     agrees=None if math.isnan(modal) else code == modal,
                                     turn=data.turns.get((i, e, c))))
        consensus: MeetingConsensus | None = None
        if data.consensus_values is not None and data.consensus_na is not None:
            cv, cn = data.consensus_values[i, c], bool(data.consensus_na[i, c])
            if cn or not math.isnan(cv):
                consensus = MeetingConsensus(answer=None if cn else float(cv), na=cn,
                                             note=data.consensus_notes.get((i, c)),
                                             version=data.consensus_versions.get((i, c), 1))
        rows.append(MeetingRow(criterion=CriterionView.of(crit), agreement=agree,
                               distinct=int(np.unique(coded).size), cells=tuple(cells),
                               consensus=consensus))
    rows.sort(key=lambda r: (math.inf if math.isnan(r.agreement) else r.agreement,
                             -r.distinct, r.criterion.position))
    item = data.interactions[i]
    return MeetingView(
        session_id=data.session.id or 0, session=data.session.name, state=data.session.state,
        position=i, total=n_items,
        interaction=MeetingInteraction(id=item.id or 0, ref=f"{item.source}:{item.external_id}",
                                       agent=item.agent, channel=item.channel, team=item.team),
        evaluators=tuple(p.name for p in data.evaluators),
        benchmark_index=data.benchmark_index,
        rows=tuple(rows),
        transcript=transcript,
        transcript_refused=refused,
    )
