"""Evaluations: saving drafts, submitting, and importing historical scores.

An evaluation is bound to the rubric version it was scored with. ``context`` is 0 for routine
scoring and the calibration session's id for calibration scoring. ``version`` is an optimistic
lock: a writer that read version N may only write if the row is still at version N.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import Table, insert, update
from sqlmodel import Session, select

from . import models as m
from .errors import Conflict, InputError, NotFound, PermissionDenied
from .importers.reading import small_csv
from .interactions import _find_interaction
from .people import _find_evaluator
from .rubric import _get_rubric, _rubric_criteria
from .scoring import parse_answer, score, score_matrix
from .store import Store, _audit

# The Core tables, for bulk and compare-and-set statements (SQLModel does not type __table__).
_EVALUATION: Table = m.Evaluation.__table__  # type: ignore[attr-defined]
_ANSWER: Table = m.Answer.__table__  # type: ignore[attr-defined]

EVALUATION_COLUMNS = (
    "interaction", "source", "evaluator", "rubric", "criterion", "value", "comment",
    "root_cause", "scored_at", "session", "turn",
)
REQUIRED_COLUMNS = ("interaction", "evaluator", "rubric", "criterion", "value")
MAX_CELL = 20_000  # characters in one cell of a scores file (a long comment fits)


@dataclass
class AnswerIn:
    """An answer as given by a person or a file: value (None with na=True for N/A).

    ``comment``/``root_cause``: None keeps the stored one, an empty string clears it.
    ``turn``: the transcript turn (its ``seq``) the comment is about, written only when
    ``set_turn`` is true (None then unties it)."""

    value: float | None
    na: bool = False
    comment: str | None = None
    root_cause: str | None = None
    turn: int | None = None
    set_turn: bool = False


def parse_when(raw: str, where: str) -> datetime:
    """ISO 8601 date or date-time; naive means UTC."""
    text = (raw or "").strip()
    if not text:
        raise InputError(f"{where}: empty")
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InputError(f"{where}: {text[:40]!r} is not an ISO 8601 date-time") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    try:
        when = when.astimezone(timezone.utc)
    except OverflowError:  # 0001-01-01T00:00+05:00 is before the first UTC instant
        raise InputError(f"{where}: {text} is outside the dates UTC can hold") from None
    if when.year < 1900:
        raise InputError(f"{where}: {text} is before 1900")
    return when


def _answers_of(session: Session, evaluation_id: int) -> dict[int, m.Answer]:
    rows = session.exec(select(m.Answer).where(m.Answer.evaluation_id == evaluation_id)).all()
    return {a.criterion_id: a for a in rows}


def _answer_snapshot(answers: Mapping[int, m.Answer], keys: Mapping[int, str]) -> dict[str, Any]:
    return {
        keys[cid]: ("n/a" if a.na else a.value) for cid, a in sorted(answers.items())
        if cid in keys
    }


def _turn_seqs(session: Session, interaction_id: int) -> set[int]:
    """The ``seq`` of every turn of an interaction's transcript (what an answer may be tied to)."""
    return set(session.exec(select(m.Turn.seq).where(m.Turn.interaction_id == interaction_id)))


def check_turn(seq: int | None, seqs: set[int], where: str) -> None:
    """A turn an answer is tied to must be a turn of the interaction."""
    if seq is not None and seq not in seqs:
        known = f"{min(seqs)}..{max(seqs)}" if seqs else "none: it has no transcript"
        raise InputError(f"{where}: turn {seq} is not a turn of this interaction ({known})")


def _find_evaluation(
    session: Session, *, evaluator_id: int, interaction_id: int, rubric_id: int, context: int = 0
) -> m.Evaluation | None:
    return session.exec(
        select(m.Evaluation).where(
            m.Evaluation.evaluator_id == evaluator_id,
            m.Evaluation.interaction_id == interaction_id,
            m.Evaluation.rubric_id == rubric_id,
            m.Evaluation.context == context,
        )
    ).first()


def _save_answers(
    session: Session,
    *,
    evaluator: m.Evaluator,
    interaction_id: int,
    rubric_id: int,
    answers: Mapping[str, AnswerIn | None],
    actor: str,
    calibration_session_id: int | None = None,
    expected_version: int | None = None,
    scored_at: datetime | None = None,
) -> m.Evaluation:
    """Create or update a draft evaluation with these answers (None clears an answer).

    Refuses to touch a submitted evaluation, and raises Conflict when ``expected_version`` is
    given and someone else saved the evaluation since it was read.
    """
    criteria = {c.key: c for c in _rubric_criteria(session, rubric_id)}
    for key in answers:
        if key not in criteria:
            raise InputError(f"criterion {key!r} is not in this rubric")
    context = calibration_session_id or 0
    evaluation = _find_evaluation(
        session, evaluator_id=evaluator.id or 0, interaction_id=interaction_id,
        rubric_id=rubric_id, context=context,
    )
    now = m.utcnow()
    before: dict[str, Any] = {}
    if evaluation is None:
        if expected_version not in (None, 0):
            raise Conflict("this evaluation was deleted or never saved; reload it")
        evaluation = _insert_draft(session, m.Evaluation(
            evaluator_id=evaluator.id or 0, interaction_id=interaction_id, rubric_id=rubric_id,
            session_id=calibration_session_id, context=context, status="draft",
            scored_at=scored_at or now, created_at=now, updated_at=now, version=1,
        ))
        if evaluation is None:  # another writer saved the first draft meanwhile
            evaluation = _find_evaluation(
                session, evaluator_id=evaluator.id or 0, interaction_id=interaction_id,
                rubric_id=rubric_id, context=context,
            )
            if evaluation is None:
                raise Conflict("this evaluation was changed elsewhere; reload it")
            fresh = False  # on as SQLite would be: a save that named version 0 is refused
        else:
            fresh = True
    else:
        fresh = False
    if not fresh:
        if evaluation.status == "submitted":
            raise PermissionDenied("this evaluation is submitted and read-only")
        if expected_version is not None and evaluation.version != expected_version:
            raise Conflict(
                f"evaluation {evaluation.id} was changed elsewhere (version {evaluation.version},"
                f" you had {expected_version}); reload it before saving"
            )
        # Compare-and-set on the version column so two writers cannot both win.
        result = session.execute(
            update(_EVALUATION)
            .where(_EVALUATION.c.id == evaluation.id)
            .where(_EVALUATION.c.version == evaluation.version)
            .values(version=evaluation.version + 1, updated_at=now)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise Conflict(f"evaluation {evaluation.id} was changed elsewhere; reload it")
        session.refresh(evaluation)
        before = _answer_snapshot(_answers_of(session, evaluation.id or 0),
                                  {c.id: c.key for c in criteria.values() if c.id})
    existing = _answers_of(session, evaluation.id or 0)
    redactor = None
    seqs = _turn_seqs(session, interaction_id) if any(
        a is not None and a.set_turn and a.turn is not None for a in answers.values()) else set()
    for key, given in answers.items():
        criterion = criteria[key]
        row = existing.get(criterion.id or 0)
        if given is None:
            if row is not None:
                session.delete(row)
                existing.pop(criterion.id or 0)
            continue
        if given.na and not criterion.na_allowed:
            raise InputError(f"criterion {key!r}: N/A is not allowed")
        if row is None:
            row = m.Answer(evaluation_id=evaluation.id or 0, criterion_id=criterion.id or 0)
            existing[criterion.id or 0] = row
        row.value = None if given.na else given.value
        row.na = given.na
        # None keeps what is there (answering again keeps the comment); "" clears it.
        if given.comment is not None:
            if given.comment and redactor is None:
                from .redact import _store_redactor

                redactor = _store_redactor(session)
            row.comment = redactor.text(given.comment) if given.comment and redactor else None
        if given.root_cause is not None:
            row.root_cause = given.root_cause or None
        if given.set_turn:
            check_turn(given.turn, seqs, f"criterion {key!r}")
            row.turn_seq = given.turn
        session.add(row)
    session.flush()
    _rescore(evaluation, criteria.values(), existing)
    session.add(evaluation)
    after = _answer_snapshot(existing, {c.id: c.key for c in criteria.values() if c.id})
    _audit(session, actor=actor, entity="evaluation", entity_id=evaluation.id,
          action="save_draft", before=before or None, after=after)
    session.flush()
    return evaluation


def _insert_draft(session: Session, evaluation: m.Evaluation) -> m.Evaluation | None:
    """Insert a first draft, or None when another writer inserted the same one first.

    SQLite runs writers one at a time (BEGIN IMMEDIATE), so the second finds the first's draft.
    PostgreSQL runs them at once: the second's insert hits the unique constraint when the first
    commits. A savepoint keeps this transaction usable, so the caller can go on as SQLite does
    (reload the draft; a save that named the version it read is a Conflict)."""
    from sqlalchemy.exc import IntegrityError

    try:
        with session.begin_nested():
            session.add(evaluation)
            session.flush()
    except IntegrityError:
        return None
    return evaluation


def _rescore(
    evaluation: m.Evaluation, criteria: Iterable[m.Criterion], answers: Mapping[int, m.Answer]
) -> None:
    by_id = {c.id: c for c in criteria}
    given = {by_id[cid].key: (a.value, a.na) for cid, a in answers.items() if cid in by_id}
    result = score(list(by_id.values()), given)
    evaluation.score = result.score
    evaluation.auto_failed = result.auto_failed


def _missing_criteria(session: Session, evaluation: m.Evaluation) -> list[str]:
    """Keys of criteria not yet answered (N/A counts as answered)."""
    answered = set(_answers_of(session, evaluation.id or 0))
    return [c.key for c in _rubric_criteria(session, evaluation.rubric_id) if c.id not in answered]


def _submit(session: Session, evaluation: m.Evaluation, *, actor: str) -> m.Evaluation:
    """Submit a draft: every criterion must be answered; afterwards it is read-only."""
    if evaluation.status == "submitted":
        raise Conflict(f"evaluation {evaluation.id} is already submitted")
    missing = _missing_criteria(session, evaluation)
    if missing:
        raise InputError(f"cannot submit: {len(missing)} criteria unanswered: {', '.join(missing)}")
    now = m.utcnow()
    result = session.execute(
        update(_EVALUATION)
        .where(_EVALUATION.c.id == evaluation.id)
        .where(_EVALUATION.c.version == evaluation.version)
        .where(_EVALUATION.c.status == "draft")
        .values(status="submitted", submitted_at=now, updated_at=now,
                version=evaluation.version + 1)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict(f"evaluation {evaluation.id} was changed or submitted elsewhere; reload it")
    session.refresh(evaluation)
    _audit(session, actor=actor, entity="evaluation", entity_id=evaluation.id, action="submit",
          before={"status": "draft"}, after={"status": "submitted", "score": evaluation.score})
    return evaluation


# ----------------------------------------------------------------------------- import


@dataclass
class EvaluationImportResult:
    path: str
    evaluations_added: int = 0
    evaluations_already_stored: int = 0
    answers_added: int = 0
    sessions: list[str] = field(default_factory=list)


def _read_rows(path: Path) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """Header and (row number, record) pairs from a CSV or XLSX file."""
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        from openpyxl import load_workbook

        try:
            wb = load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many types for a broken file
            raise InputError(f"{path}: not a readable Excel workbook ({exc})") from None
        ws = wb.active
        rows_iter = ws.iter_rows(values_only=True)
        header_row = next(rows_iter, None) or ()
        header = [str(h or "").strip().lower() for h in header_row]
        records = []
        for number, values in enumerate(rows_iter, start=2):
            if values is None or all(v is None or str(v).strip() == "" for v in values):
                continue
            rec = {}
            for h, v in zip(header, values, strict=False):
                if isinstance(v, datetime):
                    v = v.isoformat()
                rec[h] = "" if v is None else str(v).strip()
            records.append((number, rec))
        wb.close()
        return header, records
    header, rows = small_csv(path, path.read_bytes(), max_cell=MAX_CELL, sniff=True,
                             multiline=frozenset({"comment"}))
    records = [(number, {h: v.strip() for h, v in zip(header, values, strict=True)})
               for number, values in rows]
    return header, records


@dataclass
class _Group:
    interaction_id: int
    evaluator_id: int
    rubric_id: int
    session_id: int | None
    scored_at: datetime
    first_row: int
    answers: dict[int, tuple[float | None, bool, str | None, str | None, int | None]] = field(
        default_factory=dict
    )


def import_evaluations(
    store: Store,
    paths: Sequence[Path],
    *,
    actor: str,
    progress: Callable[[int, int], None] | None = None,
) -> list[EvaluationImportResult]:
    """Import historical scores (long format CSV/XLSX), each file in one transaction.

    Columns: interaction, source (optional), evaluator, rubric (NAME or NAME@VERSION), criterion,
    value, comment, root_cause, scored_at, session (optional calibration session name), turn
    (optional: the ``seq`` of the transcript turn the comment is about). Rows of
    the same interaction × evaluator × rubric × session form one submitted evaluation. An
    evaluation already in the store is left as it is, so importing a file twice adds nothing.
    """
    from .access import check

    check(store, actor, "import.evaluations")
    results = []
    for path in paths:
        results.append(_import_one(store, Path(path), actor=actor, progress=progress))
    return results


def _interaction_from(session: Session, ref: str, source: str | None) -> m.Interaction:
    return _find_interaction(session, ref, source=source)


def _criteria_by_key(session: Session, rubric_id: int) -> dict[str, m.Criterion]:
    return {c.key: c for c in _rubric_criteria(session, rubric_id)}


def _import_one(
    store: Store, path: Path, *, actor: str, progress: Callable[[int, int], None] | None
) -> EvaluationImportResult:
    from . import sessions as sess  # sessions imports this module

    header, records = _read_rows(path)
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise InputError(f"{path}: row 1: field {missing[0]!r}: missing column")
    result = EvaluationImportResult(path=str(path))
    from .access import _require

    with store.session() as session:
        who = _require(session, actor, "import.evaluations")
        actor = who.name
        from .redact import _store_redactor

        redactor = _store_redactor(session)
        caches: dict[str, dict[Any, Any]] = {
            "interaction": {}, "evaluator": {}, "rubric": {}, "criteria": {}, "session": {},
            "others": {}, "turns": {},
        }

        def lookup(kind: str, key: Any, make: Callable[..., Any], *args: Any) -> Any:
            cache = caches[kind]
            if key not in cache:
                cache[key] = make(session, *args)
            return cache[key]

        groups: dict[tuple[int, int, int, int], _Group] = {}
        total = len(records)
        for done, (number, rec) in enumerate(records, start=1):
            where = f"{path}: row {number}"
            try:
                source = rec.get("source") or None
                interaction = lookup("interaction", (source, rec["interaction"]),
                                     _interaction_from, rec["interaction"], source)
            except (NotFound, InputError) as exc:
                raise InputError(f"{where}: field 'interaction': {exc}") from None
            try:
                evaluator = lookup("evaluator", rec["evaluator"], _find_evaluator,
                                   rec["evaluator"])
            except NotFound as exc:
                raise InputError(
                    f"{where}: field 'evaluator': {exc} (add people first: evaluator add/import)"
                ) from None
            if not who.is_named(evaluator.name) and evaluator.id not in caches["others"]:
                _require(session, who.name, "import.evaluations.others")  # scores in X's name
                caches["others"][evaluator.id] = True
            try:
                rubric = lookup("rubric", rec["rubric"], _get_rubric, rec["rubric"])
            except NotFound as exc:
                raise InputError(f"{where}: field 'rubric': {exc}") from None
            criteria = lookup("criteria", rubric.id, _criteria_by_key, rubric.id)
            criterion = criteria.get(rec["criterion"])
            if criterion is None:
                raise InputError(
                    f"{where}: field 'criterion': {rec['criterion']!r} is not in rubric "
                    f"{rubric.name}@{rubric.version}"
                )
            try:
                value, na = parse_answer(criterion, rec["value"])
            except ValueError as exc:
                raise InputError(f"{where}: field 'value': {exc}") from None
            scored_at = (
                parse_when(rec["scored_at"], f"{where}: field 'scored_at'")
                if rec.get("scored_at") else m.utcnow()
            )
            if scored_at > m.utcnow():
                raise InputError(f"{where}: field 'scored_at': {rec['scored_at']} is in the future")
            session_id = None
            if rec.get("session"):
                try:
                    cal = lookup("session", rec["session"], sess._find_session, rec["session"])
                except NotFound as exc:
                    raise InputError(f"{where}: field 'session': {exc}") from None
                sess._check_can_import(session, cal, evaluator, interaction, rubric, where=where)
                session_id = cal.id
                if cal.name not in result.sessions:
                    result.sessions.append(cal.name)
            key = (interaction.id, evaluator.id, rubric.id, session_id or 0)
            group = groups.get(key)
            if group is None:
                group = groups[key] = _Group(
                    interaction_id=interaction.id, evaluator_id=evaluator.id,
                    rubric_id=rubric.id, session_id=session_id, scored_at=scored_at,
                    first_row=number,
                )
            if criterion.id in group.answers:
                raise InputError(
                    f"{where}: field 'criterion': {criterion.key!r} answered twice for this "
                    f"evaluation (first at row {group.first_row})"
                )
            turn: int | None = None
            if rec.get("turn"):
                try:
                    turn = int(rec["turn"])
                except ValueError:
                    raise InputError(f"{where}: field 'turn': {rec['turn']!r} is not a whole "
                                     "number (the seq of a transcript turn)") from None
                check_turn(turn, lookup("turns", interaction.id, _turn_seqs, interaction.id),
                           f"{where}: field 'turn'")
            group.scored_at = max(group.scored_at, scored_at)
            cause = rec.get("root_cause") or None
            allowed = json.loads(criterion.root_causes or "[]")
            if cause is not None and cause not in allowed:
                raise InputError(
                    f"{where}: field 'root_cause': {redactor.text(cause)!r} is not one of "
                    f"{criterion.key!r}'s root causes ({', '.join(allowed) or 'none'})")
            comment = rec.get("comment") or None
            group.answers[criterion.id] = (
                value, na, redactor.text(comment) if comment else None, cause, turn
            )
            if progress is not None and (done % 1000 == 0 or done == total):
                progress(done, total)
        _write_groups(session, groups, caches["criteria"], result)
        _audit(session, actor=actor, entity="import", entity_id=redactor.text(str(path)),
              action="import_evaluations",
              after={"evaluations_added": result.evaluations_added,
                     "already_stored": result.evaluations_already_stored,
                     "answers_added": result.answers_added})
    return result


def _write_groups(
    session: Session,
    groups: Mapping[tuple[int, int, int, int], _Group],
    criteria_by_rubric: Mapping[int, Mapping[str, m.Criterion]],
    result: EvaluationImportResult,
) -> None:
    if not groups:
        return
    table = _EVALUATION
    existing: set[tuple[int, int, int, int]] = set()
    keys = list(groups)
    interaction_ids = sorted({k[0] for k in keys})
    for start in range(0, len(interaction_ids), 1000):
        chunk = interaction_ids[start : start + 1000]
        rows = session.execute(
            select(table.c.interaction_id, table.c.evaluator_id, table.c.rubric_id,
                   table.c.context).where(table.c.interaction_id.in_(chunk))
        ).all()
        existing.update((r[0], r[1], r[2], r[3]) for r in rows)
    new_keys = [k for k in keys if k not in existing]
    result.evaluations_already_stored = len(keys) - len(new_keys)
    if not new_keys:
        return
    # Score every new evaluation at once, rubric by rubric.
    scores: dict[tuple[int, int, int, int], tuple[float | None, bool]] = {}
    by_rubric: dict[int, list[tuple[int, int, int, int]]] = {}
    for k in new_keys:
        by_rubric.setdefault(k[2], []).append(k)
    for rubric_id, rkeys in by_rubric.items():
        crit = list(criteria_by_rubric[rubric_id].values())
        col = {c.id: j for j, c in enumerate(crit)}
        values = np.full((len(rkeys), len(crit)), np.nan)
        na = np.zeros((len(rkeys), len(crit)), dtype=bool)
        for i, k in enumerate(rkeys):
            for cid, (value, is_na, _c, _r, _t) in groups[k].answers.items():
                j = col[cid]
                na[i, j] = is_na
                values[i, j] = np.nan if is_na or value is None else value
        s, failed = score_matrix(crit, values, na)
        for i, k in enumerate(rkeys):
            scores[k] = (None if np.isnan(s[i]) else float(s[i]), bool(failed[i]))
    now = m.utcnow()
    eval_rows = []
    for k in new_keys:
        g = groups[k]
        eval_rows.append({
            "evaluator_id": g.evaluator_id, "interaction_id": g.interaction_id,
            "rubric_id": g.rubric_id, "session_id": g.session_id, "context": g.session_id or 0,
            "status": "submitted", "score": scores[k][0], "auto_failed": scores[k][1],
            "created_at": now, "updated_at": now, "submitted_at": g.scored_at,
            "scored_at": g.scored_at, "version": 1,
        })
    inserted = session.execute(
        insert(table).returning(
            table.c.id, table.c.interaction_id, table.c.evaluator_id, table.c.rubric_id,
            table.c.context,
        ),
        eval_rows,
    ).all()
    ids = {(r[1], r[2], r[3], r[4]): r[0] for r in inserted}
    answer_rows = []
    for k in new_keys:
        eid = ids[k]
        for cid, (value, is_na, comment, root_cause, turn) in groups[k].answers.items():
            answer_rows.append({
                "evaluation_id": eid, "criterion_id": cid, "value": value, "na": is_na,
                "comment": comment, "root_cause": root_cause, "turn_seq": turn,
            })
    for start in range(0, len(answer_rows), 20000):
        session.execute(insert(_ANSWER), answer_rows[start : start + 20000])
    result.evaluations_added = len(new_keys)
    result.answers_added = len(answer_rows)
