"""Calibration sessions: sampling, blind scoring rules, reveal, consensus, close.

States: ``open`` (evaluators score blind: each sees only their own answers; only a lead may read
everyone's) → ``revealed`` (scoring is locked; everyone sees everything; the lead records
consensus) → ``closed`` (read-only). Every change is written to the audit log.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from typing import Any

import numpy as np
from sqlalchemy import func
from sqlmodel import Session, col, select

from . import models as m
from .access import Actor, _require
from .errors import Conflict, InputError, NotFound, PermissionDenied
from .evaluations import AnswerIn, _find_evaluation, _save_answers, _submit
from .interactions import _find_interaction
from .names import did_you_mean, name_key
from .people import _find_evaluator
from .rubric import _get_rubric, _rubric_criteria
from .scoring import (
    AnswerView,
    CriterionView,
    InteractionHead,
    ScoringItem,
    TurnView,
    parse_answer,
)
from .store import Store, _audit
from .views import View
from .vocabulary import STRATA

# ----------------------------------------------------------------------------- sampling


def draw_sample(
    candidates: Sequence[Mapping[str, Any]],
    n: int,
    *,
    stratify_by: str | None = None,
    seed: int | None = None,
) -> list[int]:
    """Pick ``n`` interaction ids at random, optionally stratified; the same seed gives the same
    draw. Strata get seats in proportion to their size (largest remainder), and every stratum gets
    at least one seat when ``n`` is at least the number of strata, so rare cases come up too."""
    if n <= 0:
        raise InputError("sample size must be at least 1")
    ordered = sorted(candidates, key=lambda r: r["id"])
    if n > len(ordered):
        raise InputError(f"sample size {n} is larger than the {len(ordered)} matching interactions")
    rng = np.random.default_rng(seed)
    ids = np.array([r["id"] for r in ordered])
    if not stratify_by:
        return sorted(int(i) for i in rng.choice(ids, size=n, replace=False))
    if stratify_by not in STRATA:
        raise InputError(f"cannot stratify by {stratify_by!r}; use one of {', '.join(STRATA)}")
    labels = np.array([str(r.get(stratify_by) or "") for r in ordered])
    strata, inverse, sizes = np.unique(labels, return_inverse=True, return_counts=True)
    quota = n * sizes / sizes.sum()
    seats = np.floor(quota).astype(int)
    if n >= len(strata):
        seats = np.maximum(seats, 1)
    # Hand out (or take back) the remaining seats by largest remainder, ties broken at random.
    order = np.lexsort((rng.random(len(strata)), -(quota - np.floor(quota))))
    while seats.sum() < n:
        for s in order:
            if seats.sum() < n and seats[s] < sizes[s]:
                seats[s] += 1
    while seats.sum() > n:
        for s in order[::-1]:
            if seats.sum() > n and seats[s] > 1:
                seats[s] -= 1
    picked: list[int] = []
    for s in range(len(strata)):
        members = ids[inverse == s]
        picked.extend(int(i) for i in rng.choice(members, size=int(seats[s]), replace=False))
    return sorted(picked)


# ----------------------------------------------------------------------------- lookups


def _find_session(session: Session, ref: str | int) -> m.CalibrationSession:
    """A calibration session by name or id."""
    row = None
    if isinstance(ref, int) or str(ref).lstrip("#").isdigit():
        row = session.get(m.CalibrationSession, int(str(ref).lstrip("#")))
    if row is None:
        row = session.exec(
            select(m.CalibrationSession).where(m.CalibrationSession.name == str(ref))
        ).first()
    if row is None:
        everything = session.exec(select(m.CalibrationSession)).all()
        key = name_key(str(ref))
        row = next((c for c in everything if name_key(c.name) == key), None)
        if row is None:
            hint = did_you_mean(str(ref), (c.name for c in everything))
            raise NotFound(f"no calibration session {ref!r}{hint}")
    return row


def session_id(store: Store, ref: str | int) -> int:
    """The id of the session named ``ref`` (NotFound with the closest name if none)."""
    with store.read() as session:
        return int(_find_session(session, ref).id or 0)


def _participants(session: Session, cal: m.CalibrationSession) -> list[m.Evaluator]:
    """Everyone scoring in the session (benchmark included), by name."""
    return list(
        session.exec(
            select(m.Evaluator)
            .join(m.SessionEvaluator, col(m.SessionEvaluator.evaluator_id) == m.Evaluator.id)
            .where(m.SessionEvaluator.session_id == cal.id)
            .order_by(m.Evaluator.name)
        ).all()
    )


def _sample_interactions(session: Session, cal: m.CalibrationSession) -> list[m.Interaction]:
    """The session's interactions in scoring order."""
    return list(
        session.exec(
            select(m.Interaction)
            .join(m.SessionInteraction,
                  col(m.SessionInteraction.interaction_id) == m.Interaction.id)
            .where(m.SessionInteraction.session_id == cal.id)
            .order_by(col(m.SessionInteraction.position))
        ).all()
    )


def _require_state(cal: m.CalibrationSession, allowed: Sequence[str], what: str) -> None:
    if cal.state not in allowed:
        raise Conflict(f"session {cal.name!r} is {cal.state}: cannot {what}")


# ----------------------------------------------------------------------------- create


def create_session(
    store: Store,
    *,
    name: str,
    rubric: str,
    lead: str,
    evaluators: Sequence[str],
    benchmark: str | None = None,
    interactions: Sequence[str] | None = None,
    sample_size: int | None = None,
    stratify_by: str | None = None,
    seed: int | None = None,
    channel: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    source: str | None = None,
    due_on: date | None = None,
    created_at: datetime | None = None,
    actor: str,
) -> SessionRow:
    """Create an open session from a rubric version, evaluators, an optional benchmark and a
    sample chosen by hand (``interactions``) or drawn (``sample_size``, ``stratify_by``, ``seed``).
    The acting person must be a lead, and so must the session's ``lead``."""
    if (interactions is None) == (sample_size is None):
        raise InputError("give either the interactions or a sample size, not both or neither")
    if not " ".join(name.split()):
        raise InputError("session name is empty")
    with store.session() as session:
        who = _require(session, actor, "session.create")
        rub = _get_rubric(session, rubric)
        if interactions is not None:
            chosen = [_find_interaction(session, ref, source=source) for ref in interactions]
            ids = list(dict.fromkeys(int(i.id or 0) for i in chosen))
            sampling: dict[str, Any] = {"method": "hand-picked"}
        else:
            query = select(m.Interaction)
            wanted_channel = channel or rub.channel
            if wanted_channel:
                query = query.where(m.Interaction.channel == wanted_channel)
            if source:
                query = query.where(m.Interaction.source == source)
            if since:
                query = query.where(col(m.Interaction.started_at) >= since)
            if until:
                query = query.where(col(m.Interaction.started_at) < until)
            candidates = [
                {"id": i.id, "agent": i.agent, "channel": i.channel, "site": i.site,
                 "team": i.team, "queue": i.queue}
                for i in session.exec(query).all()
            ]
            ids = draw_sample(candidates, int(sample_size or 0), stratify_by=stratify_by, seed=seed)
            sampling = {
                "method": "stratified" if stratify_by else "random", "stratify_by": stratify_by,
                "seed": seed, "size": sample_size, "channel": wanted_channel,
                "since": since, "until": until, "candidates": len(candidates),
            }
        cal = _create_session_in(session, name=name, rubric_id=rub.id or 0, lead=lead,
                                evaluators=evaluators, benchmark=benchmark, interaction_ids=ids,
                                sampling=sampling, due_on=due_on, created_at=created_at,
                                actor=who.name)
        return _summary(session, cal)


def _create_session_in(
    session: Session, *, name: str, rubric_id: int, lead: str, evaluators: Sequence[str],
    interaction_ids: Sequence[int], sampling: Mapping[str, Any], benchmark: str | None = None,
    actor: str, due_on: date | None = None, created_at: datetime | None = None,
) -> m.CalibrationSession:
    """Create an open session in the caller's transaction (``create_session``, and a session
    that came in a calibration packet); the caller checked that ``actor`` may. The audit row
    names ``actor``."""
    name = " ".join(name.split())
    if not name:
        raise InputError("session name is empty")
    taken = next((c.name for c in session.exec(select(m.CalibrationSession)).all()
                  if name_key(c.name) == name_key(name)), None)
    if taken is not None:
        raise Conflict(f"a session named {taken!r} exists already")
    rub = session.get(m.Rubric, rubric_id)
    assert rub is not None
    lead_row = _find_evaluator(session, lead)
    if lead_row.role != "lead":
        raise InputError(f"--lead: {lead_row.name} is {lead_row.role}, not a lead")
    people = [_find_evaluator(session, e) for e in dict.fromkeys(evaluators)]
    if len(people) < 2:
        raise InputError("a calibration session needs at least two evaluators")
    bench_row = _find_evaluator(session, benchmark) if benchmark else None
    ids = list(interaction_ids)
    cal = m.CalibrationSession(
        name=name, rubric_id=rubric_id, lead_id=lead_row.id or 0,
        benchmark_id=bench_row.id if bench_row else None, state="open",
        sampling=json.dumps(dict(sampling), default=str), due_on=due_on,
        created_at=created_at or m.utcnow(),
    )
    session.add(cal)
    session.flush()
    members = {p.id: p for p in people}
    if bench_row is not None:
        members[bench_row.id] = bench_row
    for person_id in members:
        session.add(m.SessionEvaluator(session_id=cal.id or 0, evaluator_id=person_id or 0))
    for position, interaction_id in enumerate(ids):
        session.add(m.SessionInteraction(
            session_id=cal.id or 0, interaction_id=interaction_id, position=position
        ))
    _audit(session, actor=actor, entity="calibration_session",
          entity_id=cal.id, action="create", after={
              "lead": lead_row.name, "name": name, "rubric": f"{rub.name}@{rub.version}",
              "evaluators": sorted(p.name for p in people),
              "benchmark": bench_row.name if bench_row else None,
              "interactions": ids, "sampling": dict(sampling),
          })
    session.flush()
    return cal


# ----------------------------------------------------------------------------- read


@dataclass(frozen=True)
class SessionRow(View):
    """A session as listings show it: its state, rubric, people and how far scoring is."""

    id: int
    name: str
    state: str
    rubric: str | None
    lead: str | None
    benchmark: str | None
    evaluators: int
    interactions: int
    submitted: int
    expected: int
    created_at: datetime | None
    due_on: date | None
    revealed_at: datetime | None
    closed_at: datetime | None


@dataclass(frozen=True)
class PersonProgress(View):
    name: str
    role: str
    submitted: int
    drafts: int


@dataclass(frozen=True)
class SampleRow(View):
    position: int
    interaction: str
    agent: str | None
    channel: str | None
    site: str | None
    team: str | None


@dataclass(frozen=True)
class SessionDetail(SessionRow):
    """A session with who has submitted what and the sample it was drawn as."""

    sampling: Mapping[str, Any] = field(default_factory=dict)
    people: tuple[PersonProgress, ...] = ()
    sample: tuple[SampleRow, ...] = ()


@dataclass(frozen=True)
class QueueRow(View):
    """One open session in an evaluator's queue."""

    session_id: int
    session: str
    due_on: date | None
    to_score: int
    total: int
    drafts: int
    next_interaction_id: int | None


@dataclass(frozen=True)
class Submitted(View):
    """What submitting an evaluation gave."""

    evaluation_id: int
    status: str
    score: float | None
    version: int


@dataclass(frozen=True)
class ConsensusRecorded(View):
    """What recording one consensus cell gave: the agreed answer as stored and its version
    (the compare-and-set token for the next change)."""

    interaction_id: int
    criterion: str
    value: float | None
    na: bool
    note: str | None
    version: int


def _summary(session: Session, cal: m.CalibrationSession) -> SessionRow:
    rub = session.get(m.Rubric, cal.rubric_id)
    lead = session.get(m.Evaluator, cal.lead_id)
    bench = session.get(m.Evaluator, cal.benchmark_id) if cal.benchmark_id else None
    n_people = session.exec(
        select(func.count()).select_from(m.SessionEvaluator)
        .where(m.SessionEvaluator.session_id == cal.id)
    ).one()
    n_items = session.exec(
        select(func.count()).select_from(m.SessionInteraction)
        .where(m.SessionInteraction.session_id == cal.id)
    ).one()
    submitted = session.exec(
        select(func.count()).select_from(m.Evaluation)
        .where(m.Evaluation.session_id == cal.id, m.Evaluation.status == "submitted")
    ).one()
    return SessionRow(
        id=cal.id or 0, name=cal.name, state=cal.state,
        rubric=f"{rub.name}@{rub.version}" if rub else None,
        lead=lead.name if lead else None, benchmark=bench.name if bench else None,
        evaluators=int(n_people), interactions=int(n_items),
        submitted=int(submitted), expected=int(n_people) * int(n_items),
        created_at=cal.created_at, due_on=cal.due_on,
        revealed_at=cal.revealed_at, closed_at=cal.closed_at,
    )


def list_sessions(store: Store, *, state: str | None = None,
                  actor: str) -> list[SessionRow]:
    with store.read() as session:
        _require(session, actor, "session.list")
        query = select(m.CalibrationSession).order_by(
            col(m.CalibrationSession.created_at).desc(), col(m.CalibrationSession.id).desc()
        )
        if state:
            query = query.where(m.CalibrationSession.state == state)
        return [_summary(session, cal) for cal in session.exec(query).all()]


def session_detail(store: Store, ref: str | int, *, actor: str) -> SessionDetail:
    """Summary plus who has submitted what, and the sampling used."""
    with store.read() as session:
        _require(session, actor, "session.show")
        cal = _find_session(session, ref)
        row = _summary(session, cal)
        people = _participants(session, cal)
        items = _sample_interactions(session, cal)
        done = {
            (e.evaluator_id, e.interaction_id): e.status
            for e in session.exec(select(m.Evaluation).where(m.Evaluation.session_id == cal.id))
        }
        return SessionDetail(
            **{f.name: getattr(row, f.name) for f in fields(SessionRow)},
            sampling=json.loads(cal.sampling or "{}"),
            people=tuple(
                PersonProgress(
                    name=p.name, role="benchmark" if p.id == cal.benchmark_id else p.role,
                    submitted=sum(done.get((p.id or 0, i.id or 0)) == "submitted"
                                  for i in items),
                    drafts=sum(done.get((p.id or 0, i.id or 0)) == "draft" for i in items))
                for p in people),
            sample=tuple(
                SampleRow(position=n + 1, interaction=f"{i.source}:{i.external_id}",
                          agent=i.agent, channel=i.channel, site=i.site, team=i.team)
                for n, i in enumerate(items)),
        )


def _session_answers(
    session: Session, cal: m.CalibrationSession, viewer: Actor | m.Evaluator
) -> list[dict[str, Any]]:
    """Every answer given in the session that ``viewer`` may see.

    While the session is open the rule is blind: an evaluator sees only their own answers; a lead
    sees everyone's. Asking for others' answers is refused by ``answers_of``; this listing simply
    leaves them out for non-leads.
    """
    query = (
        select(m.Evaluation, m.Answer, m.Criterion, m.Evaluator)
        .join(m.Answer, col(m.Answer.evaluation_id) == m.Evaluation.id)
        .join(m.Criterion, col(m.Criterion.id) == m.Answer.criterion_id)
        .join(m.Evaluator, col(m.Evaluator.id) == m.Evaluation.evaluator_id)
        .where(m.Evaluation.session_id == cal.id)
    )
    if cal.state == "open" and viewer.role != "lead":
        query = query.where(m.Evaluation.evaluator_id == viewer.id)
    return [
        {"interaction_id": ev.interaction_id, "evaluator": person.name,
         "evaluator_id": person.id, "criterion": crit.key, "criterion_id": crit.id,
         "value": ans.value, "na": ans.na, "comment": ans.comment,
         "root_cause": ans.root_cause, "turn": ans.turn_seq, "status": ev.status}
        for ev, ans, crit, person in session.exec(query).all()
    ]


def _check_can_see_all(session: Session, cal: m.CalibrationSession, viewer: str | None) -> Actor:
    """Everyone's answers (and figures built from them) are for a lead while a session is open;
    once revealed or closed, anyone in the store may look."""
    return _require(session, viewer, "report.session", cal=cal)


def can_score(store: Store, ref: str | int, *, evaluator: str) -> int:
    """The id of session ``ref`` if ``evaluator`` may score in it; PermissionDenied if not."""
    with store.read() as session:
        cal = _find_session(session, ref)
        _require(session, evaluator, "score", cal=cal)
        return int(cal.id or 0)


def can_open_meeting(store: Store, ref: str | int, *, viewer: str | None) -> None:
    """Whether ``viewer`` may open the meeting screen of session ``ref`` (lead and evaluators;
    only a lead while it is open); PermissionDenied if not."""
    with store.read() as session:
        _require(session, viewer, "meeting", cal=_find_session(session, ref))


def list_answers(store: Store, ref: str | int, *, actor: str) -> list[dict[str, Any]]:
    """Every answer in the session the acting person may see (blind: while it is open, an
    evaluator sees only their own)."""
    with store.read() as session:
        who = _require(session, actor, "session.answers")
        return _session_answers(session, _find_session(session, ref), who)


def answers_of(
    store: Store, ref: str | int, *, viewer: str, evaluator: str
) -> list[dict[str, Any]]:
    """One evaluator's answers in a session, as ``viewer`` asks for them.

    Refused (PermissionDenied) while the session is open unless the viewer is that evaluator or a
    lead: this is the blind rule, enforced here so no screen or command can get around it."""
    with store.read() as session:
        who = _require(session, viewer, "session.answers")
        cal = _find_session(session, ref)
        target = _find_evaluator(session, evaluator)
        if cal.state == "open" and who.id != target.id and who.role != "lead":
            raise PermissionDenied(
                f"session {cal.name!r} is open (blind): {who.name} cannot see "
                f"{target.name}'s answers"
            )
        return [r for r in _session_answers(session, cal, who) if r["evaluator_id"] == target.id]


# ----------------------------------------------------------------------------- scoring


def _check_can_import(
    session: Session,
    cal: m.CalibrationSession,
    evaluator: m.Evaluator,
    interaction: m.Interaction,
    rubric: m.Rubric,
    *,
    where: str,
) -> None:
    """The rules for a row of imported calibration scores (see ``score``)."""
    if cal.state != "open":
        raise InputError(f"{where}: field 'session': session {cal.name!r} is {cal.state}")
    if rubric.id != cal.rubric_id:
        raise InputError(
            f"{where}: field 'rubric': session {cal.name!r} uses another rubric version")
    if not session.get(m.SessionEvaluator, (cal.id, evaluator.id)):
        raise InputError(
            f"{where}: field 'evaluator': {evaluator.name} is not in session {cal.name!r}")
    if not session.get(m.SessionInteraction, (cal.id, interaction.id)):
        raise InputError(
            f"{where}: field 'interaction': {interaction.external_id} is not in session "
            f"{cal.name!r}"
        )


def score(
    store: Store,
    ref: str | int,
    *,
    evaluator: str,
    interaction: str | int,
    answers: Mapping[str, Any],
    comments: Mapping[str, str] | None = None,
    root_causes: Mapping[str, str] | None = None,
    turns: Mapping[str, int | None] | None = None,
    submit_now: bool = False,
    expected_version: int | None = None,
) -> dict[str, Any]:
    """Save (and optionally submit) one evaluator's answers for one sampled interaction.

    ``answers`` maps criterion keys to raw answers ("yes", 3, "n/a", or None to clear); a key
    present only in ``comments``/``root_causes``/``turns`` changes just that note of a given
    answer. ``turns`` ties an answer's comment to a transcript turn (its ``seq``; None unties)."""
    with store.session() as session:
        return _score(session, ref, evaluator=evaluator, interaction=interaction,
                      answers=answers, comments=comments, root_causes=root_causes, turns=turns,
                      submit_now=submit_now, expected_version=expected_version)


def save_answer(
    store: Store,
    ref: str | int,
    *,
    evaluator: str,
    interaction: str | int,
    answers: Mapping[str, Any],
    comments: Mapping[str, str] | None = None,
    root_causes: Mapping[str, str] | None = None,
    turns: Mapping[str, int | None] | None = None,
    expected_version: int | None = None,
    position: int,
) -> ScoringItem:
    """Save a draft as ``score`` does and return the updated scoring item (``scoring_item``
    at ``position``) from the same transaction, so a screen need not load it again."""
    with store.session() as session:
        _score(session, ref, evaluator=evaluator, interaction=interaction, answers=answers,
               comments=comments, root_causes=root_causes, turns=turns,
               expected_version=expected_version)
        session.flush()
        return _scoring_item(session, ref, evaluator=evaluator, position=position)


def _score(
    session: Session,
    ref: str | int,
    *,
    evaluator: str,
    interaction: str | int,
    answers: Mapping[str, Any],
    comments: Mapping[str, str] | None = None,
    root_causes: Mapping[str, str] | None = None,
    turns: Mapping[str, int | None] | None = None,
    submit_now: bool = False,
    expected_version: int | None = None,
) -> dict[str, Any]:
    cal = _find_session(session, ref)
    who = _require(session, evaluator, "score", cal=cal)
    _require_state(cal, ("open",), "score (scoring is locked once revealed)")
    person = _find_evaluator(session, who.name)
    item = _find_interaction(session, interaction)
    rub = session.get(m.Rubric, cal.rubric_id)
    assert rub is not None
    _check_can_import(session, cal, person, item, rub, where=f"session {cal.name}")
    criteria = {c.key: c for c in _rubric_criteria(session, cal.rubric_id)}
    comments, root_causes, turns = comments or {}, root_causes or {}, turns or {}
    parsed: dict[str, AnswerIn | None] = {}
    current: dict[str, m.Answer] = {}
    evaluation = _evaluation_for(session, cal, person, item.id or 0)
    if evaluation is not None:
        by_id = {c.id: c.key for c in criteria.values()}
        current = {by_id[a.criterion_id]: a for a in session.exec(
            select(m.Answer).where(m.Answer.evaluation_id == evaluation.id))}
    for key in dict.fromkeys([*answers, *comments, *root_causes, *turns]):
        if key not in criteria:
            raise InputError(f"criterion {key!r} is not in rubric {rub.name}@{rub.version}")
        if key in answers:
            raw = answers[key]
            if raw is None:
                parsed[key] = None
                continue
            try:
                value, na = parse_answer(criteria[key], raw)
            except ValueError as exc:
                raise InputError(f"criterion {key!r}: {exc}") from None
        elif key in current:
            value, na = current[key].value, current[key].na
        else:
            raise InputError(f"criterion {key!r}: answer it before adding a comment")
        cause = root_causes.get(key)
        allowed = json.loads(criteria[key].root_causes or "[]")
        if cause and cause not in allowed:
            raise InputError(f"criterion {key!r}: root cause {cause!r} is not one of {allowed}")
        parsed[key] = AnswerIn(value=value, na=na, comment=comments.get(key), root_cause=cause,
                               turn=turns.get(key), set_turn=key in turns)
    if parsed or evaluation is None:
        evaluation = _save_answers(
            session, evaluator=person, interaction_id=item.id or 0, rubric_id=cal.rubric_id,
            answers=parsed, actor=person.name, calibration_session_id=cal.id,
            expected_version=expected_version,
        )
    elif expected_version is not None and evaluation.version != expected_version:
        raise Conflict(f"evaluation {evaluation.id} was changed elsewhere; reload it")
    if submit_now:
        _submit(session, evaluation, actor=person.name)
    return {"evaluation_id": evaluation.id, "status": evaluation.status,
            "score": evaluation.score, "auto_failed": evaluation.auto_failed,
            "version": evaluation.version}


def queue_for(store: Store, evaluator: str) -> list[QueueRow]:
    """Open sessions this person scores in, with how many sampled interactions are still to do."""
    with store.read() as session:
        person = _find_evaluator(session, _require(session, evaluator, "session.list").name)
        cals = session.exec(
            select(m.CalibrationSession)
            .join(m.SessionEvaluator, col(m.SessionEvaluator.session_id) == m.CalibrationSession.id)
            .where(m.SessionEvaluator.evaluator_id == person.id,
                   m.CalibrationSession.state == "open")
            .order_by(col(m.CalibrationSession.due_on), col(m.CalibrationSession.id))
        ).all()
        out = []
        for cal in cals:
            items = _sample_interactions(session, cal)
            status = {
                e.interaction_id: e.status
                for e in session.exec(select(m.Evaluation).where(
                    m.Evaluation.session_id == cal.id, m.Evaluation.evaluator_id == person.id))
            }
            todo = [i for i in items if status.get(i.id or 0) != "submitted"]
            out.append(QueueRow(
                session_id=cal.id or 0, session=cal.name, due_on=cal.due_on,
                to_score=len(todo), total=len(items),
                drafts=sum(1 for i in items if status.get(i.id or 0) == "draft"),
                next_interaction_id=todo[0].id if todo else None))
        return out


# ----------------------------------------------------------------------------- lead actions


def _lead_action(
    session: Session, ref: str | int, actor: str, states: Sequence[str], what: str, action: str
) -> tuple[m.CalibrationSession, m.Evaluator]:
    """The session and the acting lead, after checking the policy and the session's state."""
    cal = _find_session(session, ref)
    lead = _find_evaluator(session, _require(session, actor, action, cal=cal).name)
    _require_state(cal, states, what)
    return cal, lead


def reveal(store: Store, ref: str | int, *, actor: str) -> SessionRow:
    """Lock scoring and show everyone's answers. Lead only."""
    with store.session() as session:
        cal, lead = _lead_action(session, ref, actor, ("open",), "reveal a session",
                                 "session.reveal")
        cal.state, cal.revealed_at = "revealed", m.utcnow()
        session.add(cal)
        _audit(session, actor=lead.name, entity="calibration_session", entity_id=cal.id,
              action="reveal", before={"state": "open"}, after={"state": "revealed"})
        session.flush()
        return _summary(session, cal)


def set_consensus(
    store: Store,
    ref: str | int,
    *,
    interaction: str | int,
    criterion: str,
    value: Any,
    note: str | None = None,
    actor: str,
    expected_version: int | None = None,
) -> ConsensusRecorded:
    """Record (or change) the agreed answer for one criterion of one interaction. Lead only,
    after reveal, before close."""
    with store.session() as session:
        cal, lead = _lead_action(session, ref, actor, ("revealed",),
                                 "record consensus (reveal it first; closed is final)",
                                 "session.consensus")
        item = _find_interaction(session, interaction)
        if not session.get(m.SessionInteraction, (cal.id, item.id)):
            raise InputError(f"interaction {item.external_id} is not in session {cal.name!r}")
        crit = {c.key: c for c in _rubric_criteria(session, cal.rubric_id)}.get(criterion)
        if crit is None:
            raise InputError(f"criterion {criterion!r} is not in the session's rubric")
        try:
            parsed, na = parse_answer(crit, value)
        except ValueError as exc:
            raise InputError(f"criterion {criterion!r}: {exc}") from None
        return _write_consensus(session, cal, item.id or 0, crit, parsed, na, note, lead,
                                expected_version)


def _write_consensus(
    session: Session,
    cal: m.CalibrationSession,
    interaction_id: int,
    crit: m.Criterion,
    value: float | None,
    na: bool,
    note: str | None,
    lead: m.Evaluator,
    expected_version: int | None = None,
) -> ConsensusRecorded:
    from sqlalchemy import Table, update
    from sqlalchemy.exc import IntegrityError

    table: Table = m.Consensus.__table__  # type: ignore[attr-defined]

    def stored() -> m.Consensus | None:
        # FOR UPDATE (PostgreSQL; SQLite ignores it, its writers queue already): a second lead
        # waits for the first's change and then reads it, as on SQLite
        return session.exec(select(m.Consensus).where(
            m.Consensus.session_id == cal.id, m.Consensus.interaction_id == interaction_id,
            m.Consensus.criterion_id == crit.id,
        ).with_for_update()).first()

    if note:
        from .redact import _store_redactor

        note = _store_redactor(session).text(note)
    row = stored()
    before = None
    inserted = False
    if row is None:
        fresh = m.Consensus(session_id=cal.id or 0, interaction_id=interaction_id,
                            criterion_id=crit.id or 0, decided_by=lead.id or 0,
                            value=value, na=na, note=note)
        try:  # another lead may record the same cell at once (PostgreSQL runs both)
            with session.begin_nested():
                session.add(fresh)
                session.flush()
            row, inserted = fresh, True
        except IntegrityError:  # theirs landed first: go on as SQLite would, on their row
            row = stored()
            if row is None:
                raise Conflict("this consensus was changed by someone else; reload it") from None
    if not inserted:
        if expected_version is not None and row.version != expected_version:
            raise Conflict("this consensus was changed by someone else; reload it")
        before = {"value": "n/a" if row.na else row.value, "note": row.note}
        # compare-and-set on the version read: of two leads changing the cell at once, one wins
        changed = session.execute(update(table).where(
            table.c.id == row.id, table.c.version == row.version).values(version=row.version + 1))
        if changed.rowcount != 1:  # type: ignore[attr-defined]
            raise Conflict("this consensus was changed by someone else; reload it")
        session.refresh(row)
    row.value, row.na, row.note = value, na, note or row.note
    row.decided_by, row.decided_at = lead.id or 0, m.utcnow()
    session.add(row)
    session.flush()
    _audit(session, actor=lead.name, entity="consensus", entity_id=row.id, action="set",
          before=before, after={"session": cal.name, "interaction_id": interaction_id,
                                "criterion": crit.key, "value": "n/a" if na else value,
                                "note": row.note})
    return ConsensusRecorded(interaction_id=interaction_id, criterion=crit.key, value=value,
                             na=na, note=row.note, version=row.version)


def _consensus_rows(session: Session, cal: m.CalibrationSession) -> list[m.Consensus]:
    return list(session.exec(select(m.Consensus).where(m.Consensus.session_id == cal.id)).all())


def fill_consensus(store: Store, ref: str | int, *, method: str, actor: str) -> int:
    """Fill the cells that have no consensus yet: ``unanimous`` (where every submitted evaluator
    gave the same answer) or ``benchmark`` (the benchmark's answer). Returns cells filled."""
    if method not in ("unanimous", "benchmark"):
        raise InputError("fill method must be 'unanimous' or 'benchmark'")
    with store.session() as session:
        cal, lead = _lead_action(session, ref, actor, ("revealed",), "record consensus",
                                 "session.consensus")
        if method == "benchmark" and cal.benchmark_id is None:
            raise InputError(f"session {cal.name!r} has no benchmark evaluator")
        done = {(c.interaction_id, c.criterion_id) for c in _consensus_rows(session, cal)}
        criteria = {c.id: c for c in _rubric_criteria(session, cal.rubric_id)}
        cells: dict[tuple[int, int], list[tuple[int, float | None, bool]]] = {}
        for r in _session_answers(session, cal, lead):
            if r["status"] == "submitted":
                cells.setdefault((r["interaction_id"], r["criterion_id"]), []).append(
                    (r["evaluator_id"], r["value"], r["na"])
                )
        filled = 0
        for (iid, cid), given in sorted(cells.items()):
            if (iid, cid) in done:
                continue
            if method == "benchmark":
                bench = [(v, na) for who, v, na in given if who == cal.benchmark_id]
                if not bench:
                    continue
                value, na = bench[0]
                note = "from benchmark"
            else:
                distinct = {(v, na) for _who, v, na in given}
                if len(distinct) != 1 or len(given) < 2:
                    continue
                value, na = distinct.pop()
                note = "unanimous"
            _write_consensus(session, cal, iid, criteria[cid], value, na, note, lead)
            filled += 1
        return filled


def close(store: Store, ref: str | int, *, actor: str) -> SessionRow:
    """Close a revealed session once every criterion of every interaction has a consensus."""
    with store.session() as session:
        cal, lead = _lead_action(session, ref, actor, ("revealed",),
                                 "close (reveal it and record consensus first)", "session.close")
        n_cells = len(_sample_interactions(session, cal)) * len(
            _rubric_criteria(session, cal.rubric_id))
        n_done = len(_consensus_rows(session, cal))
        if n_done < n_cells:
            raise Conflict(
                f"session {cal.name!r} has consensus on {n_done} of {n_cells} cells; record the "
                "rest"
                " (or fill them: session consensus --fill unanimous|benchmark) before closing"
            )
        cal.state, cal.closed_at = "closed", m.utcnow()
        session.add(cal)
        _audit(session, actor=lead.name, entity="calibration_session", entity_id=cal.id,
              action="close", before={"state": "revealed"}, after={"state": "closed"})
        session.flush()
        return _summary(session, cal)


def _evaluation_for(
    session: Session, cal: m.CalibrationSession, evaluator: m.Evaluator, interaction_id: int
) -> m.Evaluation | None:
    return _find_evaluation(
        session, evaluator_id=evaluator.id or 0, interaction_id=interaction_id,
        rubric_id=cal.rubric_id, context=cal.id or 0,
    )


# ----------------------------------------------------------------------------- scoring view


def scoring_item(
    store: Store, ref: str | int, *, evaluator: str, position: int | None
) -> ScoringItem:
    """What the scoring screen shows for the ``position``-th sampled interaction (0-based; None:
    the first one the evaluator has not submitted, as a queue resumes): the interaction, its
    transcript, the rubric's criteria and the evaluator's OWN answers only."""
    with store.read() as session:
        return _scoring_item(session, ref, evaluator=evaluator, position=position)


def _scoring_item(
    session: Session, ref: str | int, *, evaluator: str, position: int | None
) -> ScoringItem:
    from .access import _check_transcript_access
    from .interactions import _get_transcript

    cal = _find_session(session, ref)
    person = _find_evaluator(session, _require(session, evaluator, "score", cal=cal).name)
    _check_transcript_access(session, person.name)
    items = _sample_interactions(session, cal)
    if not items:
        raise NotFound(f"session {cal.name!r} has no interactions")
    statuses = {
        e.interaction_id: e.status
        for e in session.exec(select(m.Evaluation).where(
            m.Evaluation.session_id == cal.id, m.Evaluation.evaluator_id == person.id))
    }
    if position is None:
        todo = [n for n, i in enumerate(items) if statuses.get(i.id or 0) != "submitted"]
        position = todo[0] if todo else 0
    position = max(0, min(position, len(items) - 1))
    item = items[position]
    criteria = _rubric_criteria(session, cal.rubric_id)
    evaluation = _evaluation_for(session, cal, person, item.id or 0)
    answers: dict[str, AnswerView] = {}
    if evaluation is not None:
        by_id = {c.id: c.key for c in criteria}
        for a in session.exec(select(m.Answer).where(m.Answer.evaluation_id == evaluation.id)):
            answers[by_id[a.criterion_id]] = AnswerView(value=a.value, na=a.na,
                                                        comment=a.comment,
                                                        root_cause=a.root_cause,
                                                        turn=a.turn_seq)
    rubric = session.get(m.Rubric, cal.rubric_id)
    return ScoringItem(
        session_id=cal.id or 0, session=cal.name, state=cal.state,
        rubric=f"{rubric.name}@{rubric.version}" if rubric else "",
        position=position, total=len(items),
        statuses=tuple(statuses.get(i.id or 0, "todo") for i in items),
        interaction=InteractionHead(
            id=item.id or 0, ref=f"{item.source}:{item.external_id}",
            external_id=item.external_id, channel=item.channel, agent=item.agent,
            team=item.team, site=item.site, queue=item.queue,
            started_at=item.started_at, redacted=item.redacted,
        ),
        transcript=tuple(
            TurnView(seq=t.seq, speaker=t.speaker, offset_seconds=t.offset_seconds, text=t.text)
            for t in _get_transcript(session, item.id or 0)
        ),
        criteria=tuple(CriterionView.of(c) for c in criteria),
        answers=answers,
        status=evaluation.status if evaluation else "todo",
        version=evaluation.version if evaluation else 0,
        score=evaluation.score if evaluation else None,
        auto_failed=evaluation.auto_failed if evaluation else False,
    )


def submit_item(store: Store, ref: str | int, *, evaluator: str, interaction_id: int,
                expected_version: int | None = None) -> Submitted:
    """Submit the evaluator's draft for one sampled interaction."""
    with store.session() as session:
        cal = _find_session(session, ref)
        person = _find_evaluator(session, _require(session, evaluator, "score", cal=cal).name)
        _require_state(cal, ("open",), "submit (scoring is locked once revealed)")
        evaluation = _evaluation_for(session, cal, person, interaction_id)
        if evaluation is None:
            raise InputError("nothing to submit: no answers yet")
        if expected_version is not None and evaluation.version != expected_version:
            raise Conflict("this evaluation was changed elsewhere; reload it")
        _submit(session, evaluation, actor=person.name)
        return Submitted(evaluation_id=evaluation.id or 0, status=evaluation.status,
                         score=evaluation.score, version=evaluation.version)


# ----------------------------------------------------------------------------- the lead's dialogs


@dataclass(frozen=True)
class ParticipantProgress(View):
    """How far one participant is with the session's sample."""

    name: str
    benchmark: bool
    submitted: int
    drafts: int
    total: int

    @property
    def left(self) -> int:
        return self.total - self.submitted


@dataclass(frozen=True)
class SessionProgress(View):
    """What the lead needs before revealing or closing: submissions per person, and how much
    consensus is recorded, missing, and could be filled (from unanimous answers or the
    benchmark's) — the fill figures only once the session is revealed."""

    session: str
    state: str
    submitted: int
    expected: int
    people: tuple[ParticipantProgress, ...]
    consensus_cells: int
    consensus_done: int
    fill_unanimous: int
    fill_benchmark: int | None  # None: the session has no benchmark

    @property
    def with_work_left(self) -> tuple[ParticipantProgress, ...]:
        return tuple(p for p in self.people if p.left)

    @property
    def consensus_missing(self) -> int:
        return self.consensus_cells - self.consensus_done


def session_progress(store: Store, ref: str | int, *, actor: str | None) -> SessionProgress:
    """Submitted / expected per participant and the consensus still missing, for whoever may
    open the session's meeting (a lead while it is open: the blind rule)."""
    with store.read() as session:
        cal = _find_session(session, ref)
        who = _require(session, actor, "meeting", cal=cal)
        people = _participants(session, cal)
        items = _sample_interactions(session, cal)
        item_ids = {i.id for i in items}
        status = {
            (e.evaluator_id, e.interaction_id): e.status
            for e in session.exec(select(m.Evaluation).where(m.Evaluation.session_id == cal.id))
            if e.interaction_id in item_ids
        }
        progress = tuple(
            ParticipantProgress(
                name=p.name, benchmark=p.id == cal.benchmark_id,
                submitted=sum(status.get((p.id or 0, i.id or 0)) == "submitted" for i in items),
                drafts=sum(status.get((p.id or 0, i.id or 0)) == "draft" for i in items),
                total=len(items))
            for p in people)
        criteria = _rubric_criteria(session, cal.rubric_id)
        done = {(c.interaction_id, c.criterion_id) for c in _consensus_rows(session, cal)}
        unanimous, benchmark = 0, 0
        if cal.state == "revealed":  # what fill_consensus would fill, cell by cell
            cells: dict[tuple[int, int], list[tuple[int, float | None, bool]]] = {}
            for r in _session_answers(session, cal, who):
                if r["status"] == "submitted":
                    cells.setdefault((r["interaction_id"], r["criterion_id"]), []).append(
                        (r["evaluator_id"], r["value"], r["na"]))
            for key, given in cells.items():
                if key in done:
                    continue
                unanimous += len(given) >= 2 and len({(v, na) for _w, v, na in given}) == 1
                benchmark += any(w == cal.benchmark_id for w, _v, _na in given)
        return SessionProgress(
            session=cal.name, state=cal.state,
            submitted=sum(p.submitted for p in progress),
            expected=len(items) * len(people), people=progress,
            consensus_cells=len(items) * len(criteria), consensus_done=len(done),
            fill_unanimous=unanimous,
            fill_benchmark=benchmark if cal.benchmark_id is not None else None)
