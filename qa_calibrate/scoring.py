"""The scoring rule, and reading answers typed by people or found in files.

Interaction score = 100 × Σ(weight × earned) / Σ(weight × possible) over the criteria answered,
N/A removed from both sums (possible is 1 per criterion, so the denominator is Σ weight).
Per criterion: binary earns value/1 (yes = 1); ordinal 1..N earns (value − 1)/(N − 1); points
earns value/max_points. A critical criterion that fails (value below its ``pass_at``) makes the
score 0 (auto-fail). Nothing answered, or only N/A, → no score (None).

Example: greeting (binary, weight 1) yes, empathy (ordinal 1–5, weight 2) 4, accuracy (points
0–10, weight 3) 5, hold (weight 1) N/A → 100 × (1·1 + 2·0.75 + 3·0.5) / (1 + 2 + 3) = 66.7.

Works on ``rubric.CriterionDef`` and ``models.Criterion`` alike: both carry ``key, scale,
min_value, max_value, pass_at, weight, critical, na_allowed, labels``.
"""

from __future__ import annotations

import json
import math
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

YES = {"yes", "y", "true", "pass", "passed", "1", "met"}
NO = {"no", "n", "false", "fail", "failed", "0", "not met"}
NA = {"n/a", "na", "not applicable", "n.a."}


class CriterionLike(Protocol):
    key: str
    scale: str
    min_value: float
    max_value: float
    pass_at: float
    weight: float
    critical: bool
    na_allowed: bool


@dataclass(frozen=True)
class ScoreResult:
    """One evaluation's score. ``answered`` counts answers including N/A; ``earned`` and
    ``possible`` are the weighted sums before the auto-fail rule."""

    score: float | None
    auto_failed: bool
    earned: float
    possible: float
    answered: int


def _labels(criterion: Any) -> dict[int, str]:
    raw = criterion.labels
    if isinstance(raw, str):
        raw = json.loads(raw or "{}")
    return {int(k): str(v) for k, v in (raw or {}).items()}


def scale_text(criterion: Any) -> str:
    """The scale for messages: ``yes/no``, ``1–5`` or ``0–10``."""
    if criterion.scale == "binary":
        return "yes/no"
    return f"{criterion.min_value:g}–{criterion.max_value:g}"


def answer_value(criterion: Any, value: float | None, na: bool = False) -> str:
    """A stored answer as ``parse_answer`` reads it back: ``yes``/``no``, a number, ``n/a``."""
    if na or value is None:
        return "n/a"
    if criterion.scale == "binary":
        return "yes" if value >= 1 else "no"
    return f"{value:g}"


def parse_answer(criterion: Any, raw: str | float | int | None) -> tuple[float | None, bool]:
    """(value, na) from a typed or imported answer; ValueError with a short reason if it is not
    on the criterion's scale."""
    if raw is None or (isinstance(raw, float) and math.isnan(raw)):
        raise ValueError("empty answer")
    if isinstance(raw, bool):
        raw = "yes" if raw else "no"
    elif isinstance(raw, numbers.Real):  # a spreadsheet cell or JSON number: 1.0 is "1"
        number = float(raw)
        raw = str(int(number)) if number.is_integer() else repr(number)
    text = str(raw).strip()
    if len(text) > 100:
        raise ValueError(f"{len(text):,} characters: not an answer")
    low = text.casefold()
    if low in NA:
        if not criterion.na_allowed:
            raise ValueError("N/A is not allowed on this criterion")
        return None, True
    if not text:
        raise ValueError("empty answer")
    if criterion.scale == "binary":
        if low in YES:
            return 1.0, False
        if low in NO:
            return 0.0, False
        raise ValueError(f"{text!r} is not yes or no")
    if criterion.scale == "ordinal":
        for step, label in _labels(criterion).items():
            if label.casefold() == low:
                return float(step), False
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{text!r} is not on the scale {scale_text(criterion)}") from None
    if not math.isfinite(value) or value < criterion.min_value or value > criterion.max_value:
        raise ValueError(f"{text!r} is not on the scale {scale_text(criterion)}")
    if criterion.scale == "ordinal" and not value.is_integer():
        raise ValueError(f"{text!r} is not a whole step of the scale {scale_text(criterion)}")
    return value, False


def is_fail(criterion: Any, value: float | None) -> bool:
    """A value below ``pass_at`` fails the criterion (N/A never fails)."""
    return value is not None and value < criterion.pass_at


def earned_fraction(criterion: Any, value: float) -> float:
    """Share of the criterion's points earned by ``value`` (0..1)."""
    span = criterion.max_value - criterion.min_value
    return (value - criterion.min_value) / span if span > 0 else 1.0


def score(
    criteria: Sequence[Any], answers: Mapping[str, tuple[float | None, bool]]
) -> ScoreResult:
    """The interaction score for one evaluation (see the module docstring)."""
    earned = possible = 0.0
    answered = 0
    auto_failed = False
    for c in criteria:
        if c.key not in answers:
            continue
        value, na = answers[c.key]
        if value is None and not na:  # not answered (yet)
            continue
        answered += 1
        if na or value is None:
            continue
        earned += c.weight * earned_fraction(c, value)
        possible += c.weight
        if c.critical and is_fail(c, value):
            auto_failed = True
    if possible == 0:
        return ScoreResult(None, False, earned, possible, answered)
    value = 0.0 if auto_failed else 100.0 * earned / possible
    return ScoreResult(value, auto_failed, earned, possible, answered)


def score_matrix(
    criteria: Sequence[Any], values: np.ndarray, na: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Scores of many evaluations at once: ``values`` is (evaluations × criteria) with NaN for
    unanswered or N/A cells. Returns (scores with NaN where nothing scorable, auto_failed)."""
    values = np.asarray(values, dtype=float)
    lo = np.array([c.min_value for c in criteria], dtype=float)
    hi = np.array([c.max_value for c in criteria], dtype=float)
    weight = np.array([c.weight for c in criteria], dtype=float)
    pass_at = np.array([c.pass_at for c in criteria], dtype=float)
    critical = np.array([bool(c.critical) for c in criteria])
    span = np.where(hi > lo, hi - lo, 1.0)
    present = ~np.isnan(values) & ~np.asarray(na, dtype=bool)
    frac = np.where(present, (np.nan_to_num(values) - lo) / span, 0.0)
    earned = (frac * weight).sum(axis=1)
    possible = (present * weight).sum(axis=1)
    failed = (present & (np.nan_to_num(values) < pass_at) & critical).any(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        scores = np.where(possible > 0, 100.0 * earned / possible, np.nan)
    scores = np.where(failed & (possible > 0), 0.0, scores)
    return scores, failed & (possible > 0)


@dataclass(frozen=True)
class CriterionView:
    """A criterion as the scoring screen and the CLI show it: its scale, what each key answers,
    how an answer reads, its guidance and its fail test — decoded once, here, not in a layer."""

    id: int
    key: str
    section: str
    position: int
    question: str
    scale: str
    min_value: float
    max_value: float
    pass_at: float
    weight: float
    critical: bool
    na_allowed: bool
    subjective: bool
    labels: Mapping[int, str]
    guidance: Mapping[str, str]
    root_causes: tuple[str, ...]

    @classmethod
    def of(cls, c: Any) -> CriterionView:
        """The view of a stored criterion (``models.Criterion``)."""
        guidance = json.loads(c.guidance or "{}") if isinstance(c.guidance, str) else c.guidance
        causes = json.loads(c.root_causes or "[]") if isinstance(c.root_causes, str) \
            else c.root_causes
        return cls(id=int(c.id or 0), key=c.key, section=c.section, position=c.position,
                   question=c.question, scale=c.scale, min_value=float(c.min_value),
                   max_value=float(c.max_value), pass_at=float(c.pass_at),
                   weight=float(c.weight), critical=bool(c.critical),
                   na_allowed=bool(c.na_allowed), subjective=bool(c.subjective),
                   labels=_labels(c), guidance={str(k): str(v) for k, v in guidance.items()},
                   root_causes=tuple(str(x) for x in causes or ()))

    def fails(self, value: float | None) -> bool:
        """A value below ``pass_at`` fails (N/A and no answer never do)."""
        return is_fail(self, value)

    def answer_text(self, value: float | None, na: bool = False) -> str:
        """How an answer reads: ``Yes``, ``4 Good``, ``7/10``, ``N/A``; ``·`` when unanswered."""
        if na:
            return "N/A"
        if value is None:
            return "·"
        if self.scale == "binary":
            return "Yes" if value >= 1 else "No"
        if self.scale == "ordinal":
            return f"{int(value)} {self.labels.get(int(value), '')}".strip()
        return f"{value:g}/{self.max_value:g}"

    def answer_for_key(self, digit: int) -> str | int | None:
        """What number key ``digit`` answers (None: that key answers nothing here)."""
        if self.scale == "binary":
            return {1: "yes", 2: "no"}.get(digit)
        if self.scale == "ordinal":
            return digit if self.min_value <= digit <= self.max_value else None
        return digit if self.min_value <= digit <= self.max_value else None

    def choices_text(self) -> str:
        """The keys that answer this criterion."""
        if self.scale == "binary":
            parts = ["1 Yes", "2 No"]
        elif self.scale == "ordinal":
            parts = [f"{v} {self.labels.get(v, '')}".strip()
                     for v in range(int(self.min_value), int(self.max_value) + 1)]
        else:  # points: a digit key answers up to 9, Enter types any value of the scale
            low, top = int(self.min_value), int(self.max_value)
            parts = [f"{low}–{top} points"]
            if top > 9:
                typed = "10" if top == 10 else f"10–{top}"
                parts = [f"{low}–{top} points (keys {low}–9, Enter to type {typed})"]
        if self.na_allowed:
            parts.append("n N/A")
        return "   ".join(parts)

    def guidance_for(self, value: float | None, na: bool = False) -> tuple[str, str] | None:
        """The behavioural anchor for an answer: (``yes``/``no`` or the step, its text)."""
        if na or value is None:
            return None
        key = ("yes" if value >= 1 else "no") if self.scale == "binary" else str(int(value))
        return (key, self.guidance[key]) if key in self.guidance else None


@dataclass(frozen=True)
class AnswerView:
    """One of the evaluator's own answers, as the scoring screen shows it."""

    value: float | None
    na: bool
    comment: str | None = None
    root_cause: str | None = None
    turn: int | None = None  # the transcript turn (its seq) the comment is tied to


@dataclass(frozen=True)
class TurnView:
    """One turn of a transcript (already redacted when it was imported)."""

    seq: int
    speaker: str
    offset_seconds: float | None
    text: str


@dataclass(frozen=True)
class InteractionHead:
    """What identifies a contact on a screen: its reference, channel, agent, team and site."""

    id: int
    ref: str
    external_id: str
    channel: str | None
    agent: str | None
    team: str | None
    site: str | None
    queue: str | None
    started_at: Any
    redacted: bool


@dataclass(frozen=True)
class ScoringItem:
    """The scoring screen's whole state for one sampled interaction: the contact, its transcript,
    the rubric's criteria and the evaluator's OWN answers — and the rules read off them (what
    reads how, which critical criterion fails, whether it may still change)."""

    session_id: int
    session: str
    state: str
    rubric: str
    position: int
    total: int
    statuses: tuple[str, ...]
    interaction: InteractionHead
    transcript: tuple[TurnView, ...]
    criteria: tuple[CriterionView, ...]
    answers: Mapping[str, AnswerView]
    status: str
    version: int
    score: float | None
    auto_failed: bool

    def answer(self, criterion: CriterionView) -> AnswerView | None:
        return self.answers.get(criterion.key)

    def answer_text(self, criterion: CriterionView) -> str:
        a = self.answer(criterion)
        return criterion.answer_text(a.value, a.na) if a else "·"

    def fails(self, criterion: CriterionView) -> bool:
        """The criterion's answer fails its pass test (N/A and no answer never do)."""
        a = self.answer(criterion)
        return a is not None and not a.na and criterion.fails(a.value)

    @property
    def failed_critical(self) -> tuple[str, ...]:
        """The critical criteria whose answer fails: any one sets the score to 0."""
        return tuple(c.key for c in self.criteria if c.critical and self.fails(c))

    @property
    def first_unanswered(self) -> int:
        return next((n for n, c in enumerate(self.criteria) if c.key not in self.answers), 0)

    @property
    def locked_reason(self) -> str | None:
        """Why these answers can no longer change (None: they can)."""
        if self.status == "submitted":
            return "Submitted evaluations are read-only."
        if self.state != "open":
            return f"The session is {self.state}: scoring is locked."
        return None

    @property
    def editable(self) -> bool:
        return self.locked_reason is None

    def next_todo(self) -> int | None:
        """The next sample after this one still to submit (wrapping), or None when done."""
        todo = [n for n, s in enumerate(self.statuses) if s != "submitted" and n != self.position]
        following = [n for n in todo if n > self.position]
        return following[0] if following else (todo[0] if todo else None)
