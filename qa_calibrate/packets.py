"""Calibration packets: one session calibrated by two organisations that share no store.

The client's lead exports a *session packet* (the rubric version as YAML with its hash, the
sample's redacted transcripts, the session's name, due date and blind rule — no scores). The
vendor's lead imports it: the same session, scored blind there as usual. The vendor's lead exports
a *results packet* (their submitted evaluations, who scored them and their site), bound to the
session packet it answers; imported back on the client's store, the vendor's evaluators become
external people of that organisation (they cannot act in this store) and their evaluations
count in reveal, the report, consensus and drift like anyone else's.

A packet is one JSON file: ``parts`` (each a JSON text), a ``manifest`` with the SHA-256 of each
part, and an HMAC-SHA256 of the manifest with a key the two organisations exchange once
(``qa-calibrate packet keygen``). Reading one checks, before anything is stored: the format, the
key, every part's hash, and the parts' fields; a results file must answer a session packet this
store exported; a file read before adds nothing. Every write is one transaction.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from . import models as m
from .errors import Conflict, InputError, NotFound, PermissionDenied
from .store import Store, _audit

FORMAT = "qa-calibrate/packet"
FORMAT_VERSION = 1
KEY_BYTES = 32
MAX_PACKET_BYTES = 256 * 1024 * 1024  # a sample of a few hundred transcripts is far smaller
BLIND_RULE = ("open until the lead reveals: each evaluator sees only their own answers; a "
              "submitted evaluation is read-only")
SESSION_PARTS = ("session", "rubric", "interactions")
RESULTS_PARTS = ("results",)


@dataclass(frozen=True)
class PacketResult:
    """What writing or reading a packet did."""

    kind: str  # session | results
    packet_id: str
    session: str
    added: bool  # False: this packet was read before, nothing was stored
    interactions: int = 0
    evaluations: int = 0
    people: int = 0
    path: str = ""


# ----------------------------------------------------------------------------- keys


def keygen(path: Path) -> str:
    """Write a new random key to ``path`` (readable by its owner only); returns its key id."""
    path = Path(path)
    if path.exists():
        raise InputError(f"{path}: already exists; a key is never overwritten")
    key = secrets.token_bytes(KEY_BYTES)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(key.hex() + "\n")
    return key_id(key)


def read_key(path: Path) -> bytes:
    """The key in ``path`` (hex, as ``keygen`` writes it)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="ascii").strip()
        key = bytes.fromhex(text)
    except FileNotFoundError:
        raise InputError(f"{path}: no such key file (make one with: qa-calibrate packet "
                         "keygen FILE)") from None
    except (UnicodeDecodeError, ValueError):
        raise InputError(f"{path}: not a packet key (expected {KEY_BYTES * 2} hex digits)") \
            from None
    if len(key) != KEY_BYTES:
        raise InputError(f"{path}: not a packet key (expected {KEY_BYTES * 2} hex digits)")
    return key


def key_id(key: bytes) -> str:
    """A short public name of a key: which key signed a packet, without revealing it."""
    return hashlib.sha256(b"qa-calibrate key id " + key).hexdigest()[:16]


# ----------------------------------------------------------------------------- the file


def _canonical(data: Any) -> bytes:
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _write(path: Path, kind: str, parts: dict[str, Any], key: bytes, extra: dict[str, Any]
           ) -> tuple[str, str]:
    """Sign and write a packet; returns (packet id, SHA-256 of the file)."""
    texts = {name: _canonical(value).decode() for name, value in parts.items()}
    packet_id = uuid.uuid4().hex
    manifest = {"format": FORMAT, "format_version": FORMAT_VERSION, "kind": kind,
                "packet_id": packet_id, "key_id": key_id(key),
                "created_at": datetime.now(timezone.utc).isoformat(),
                "parts": {name: _sha(text.encode()) for name, text in texts.items()}, **extra}
    signature = hmac.new(key, _canonical(manifest), hashlib.sha256).hexdigest()
    body = json.dumps({"manifest": manifest, "signature": signature, "parts": texts},
                      ensure_ascii=False, indent=1).encode()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_bytes(body)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return packet_id, _sha(body)


@dataclass(frozen=True)
class _Read:
    manifest: dict[str, Any]
    parts: dict[str, Any]
    sha256: str


def _read(path: Path, key: bytes) -> _Read:
    """Check format, key, signature and hashes; the parts parsed, their fields not yet."""
    path = Path(path)
    where = str(path)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise InputError(f"{where}: no such file") from None
    if size > MAX_PACKET_BYTES:
        raise InputError(f"{where}: {size:,} bytes is larger than a packet can be")
    raw = path.read_bytes()
    try:
        doc = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise InputError(f"{where}: not a calibration packet (not UTF-8 JSON)") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("manifest"), dict) \
            or doc["manifest"].get("format") != FORMAT:
        raise InputError(f"{where}: not a calibration packet (no {FORMAT} manifest)")
    manifest, parts, signature = doc["manifest"], doc.get("parts"), doc.get("signature")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise InputError(f"{where}: field 'format_version': {manifest.get('format_version')!r} "
                         f"is not {FORMAT_VERSION} (made by another version of qa-calibrate)")
    if manifest.get("key_id") != key_id(key):
        raise PermissionDenied(f"{where}: signed with another key (key id "
                               f"{str(manifest.get('key_id'))[:16]!r}, yours {key_id(key)!r})")
    expected = hmac.new(key, _canonical(manifest), hashlib.sha256).hexdigest()
    if not isinstance(signature, str) or not hmac.compare_digest(signature, expected):
        raise PermissionDenied(f"{where}: the signature does not match: the file was changed "
                               "after it was signed, or forged")
    kind = manifest.get("kind")
    names = SESSION_PARTS if kind == "session" else RESULTS_PARTS if kind == "results" else ()
    hashes = manifest.get("parts")
    if not names or not isinstance(parts, dict) or not isinstance(hashes, dict) \
            or set(hashes) != set(names) or set(parts) != set(names):
        raise InputError(f"{where}: field 'parts': not the parts of a {kind!r} packet")
    parsed: dict[str, Any] = {}
    for name in names:
        text = parts[name]
        if not isinstance(text, str) or _sha(text.encode()) != hashes[name]:
            raise PermissionDenied(f"{where}: part {name!r} does not match its SHA-256 in the "
                                   "manifest: the file was changed")
        parsed[name] = json.loads(text)
    return _Read(manifest, parsed, _sha(raw))


# ----------------------------------------------------------------------------- field checks


def _field(data: Any, name: str, kind: type | tuple[type, ...], where: str, *,
           optional: bool = False, limit: int = 100_000) -> Any:
    value = data.get(name) if isinstance(data, dict) else None
    if value is None and optional:
        return None
    if not isinstance(value, kind) or isinstance(value, bool) and bool not in (
            kind if isinstance(kind, tuple) else (kind,)):
        raise InputError(f"{where}: field {name!r}: missing or of the wrong type")
    if isinstance(value, str) and len(value) > limit:
        raise InputError(f"{where}: field {name!r}: longer than {limit:,} characters")
    return value


def _list(data: Any, name: str, where: str, limit: int = 100_000) -> list[Any]:
    value = _field(data, name, list, where)
    if len(value) > limit:
        raise InputError(f"{where}: field {name!r}: more than {limit:,} items")
    return value


# ----------------------------------------------------------------------------- session packet


def export_session(store: Store, ref: str | int, out: Path, *, key: bytes, actor: str
                   ) -> PacketResult:
    """Write the session packet of an open session (its lead only): rubric, sample, rules."""
    from .rubric import rubric_yaml
    from .sessions import _sample_interactions

    with store.session() as session:
        cal, person, site = _its_lead(session, ref, actor, "packet.export", "exports it")
        if cal.state != "open":
            raise Conflict(f"session {cal.name} is {cal.state}: only an open session is sent "
                           "to be scored blind")
        rub = session.get(m.Rubric, cal.rubric_id)
        assert rub is not None
        items = _sample_interactions(session, cal)
        unredacted = [f"{i.source}:{i.external_id}" for i in items if not i.redacted]
        if unredacted:
            raise PermissionDenied(f"session {cal.name}: {unredacted[0]} was imported with "
                                   "--no-redact; a packet holds no unredacted text")
        turns = _turns(session, [i.id or 0 for i in items])
        parts = {
            "session": {"name": cal.name, "due_on": cal.due_on.isoformat() if cal.due_on
                        else None, "blind_rule": BLIND_RULE,
                        "sample": [[i.source, i.external_id] for i in items],
                        "lead_site": site},
            "rubric": {"name": rub.name, "version": rub.version,
                       "content_hash": rub.content_hash,
                       "yaml": rubric_yaml(json.loads(rub.definition))},
            "interactions": [_interaction_out(i, turns.get(i.id or 0, [])) for i in items],
        }
        packet_id, digest = _write(out, "session", parts, key,
                                   {"organisation": site, "session": cal.name})
        session.add(m.PacketLog(packet_id=packet_id, kind="session", direction="out",
                                session_id=cal.id or 0, organisation=site,
                                sha256=digest, actor=person.name))
        _audit(session, actor=person.name, entity="packet", entity_id=packet_id,
              action="export", after={"kind": "session", "session": cal.name,
                                      "interactions": len(items)})
        return PacketResult("session", packet_id, cal.name, True, interactions=len(items),
                            path=str(out))


def _its_lead(session: Session, ref: str | int, actor: str, action: str, what: str
              ) -> tuple[m.CalibrationSession, Any, str | None]:
    """The session, and the acting person if the policy allows ``action`` and they lead it
    (with their site: the organisation a packet comes from)."""
    from .access import _require
    from .sessions import _find_session

    cal = _find_session(session, ref)
    person = _require(session, actor, action)
    if person.id != cal.lead_id:
        raise PermissionDenied(f"{person.name} is not the lead of session {cal.name}: only its "
                               f"lead {what}")
    row = session.get(m.Evaluator, person.id)
    return cal, person, row.site if row else None


def _turns(session: Session, ids: Sequence[int]) -> dict[int, list[m.Turn]]:
    out: dict[int, list[m.Turn]] = {}
    if ids:
        q = select(m.Turn).where(col(m.Turn.interaction_id).in_(ids)).order_by(
            col(m.Turn.interaction_id), col(m.Turn.seq))
        for t in session.exec(q).all():
            out.setdefault(t.interaction_id, []).append(t)
    return out


def _interaction_out(i: m.Interaction, turns: Sequence[m.Turn]) -> dict[str, Any]:
    return {"source": i.source, "external_id": i.external_id, "channel": i.channel,
            "agent": i.agent, "team": i.team, "site": i.site, "queue": i.queue,
            "started_at": i.started_at.isoformat() if i.started_at else None,
            "handle_time_seconds": i.handle_time_seconds, "csat": i.csat,
            "language": i.language,
            "turns": [{"seq": t.seq, "speaker": t.speaker, "offset_seconds": t.offset_seconds,
                       "text": t.text} for t in turns]}


def import_packet(store: Store, path: Path, *, key: bytes, actor: str, lead: str | None = None,
                  evaluators: Sequence[str] = ()) -> PacketResult:
    """Read a session packet (with ``lead`` and ``evaluators`` of this store) or a results
    packet (for a session this store exported)."""
    from .access import check

    actor = check(store, actor, "packet.import").name
    read = _read(path, key)
    if read.manifest["kind"] == "session":
        if not lead or len(evaluators) < 2:
            raise InputError(f"{path}: a session packet needs --lead NAME and at least two "
                             "--evaluator NAME of this store")
        return _import_session(store, path, read, actor=actor, lead=lead, evaluators=evaluators)
    if lead or evaluators:
        raise InputError(f"{path}: a results packet takes no --lead or --evaluator (the people "
                         "are in it)")
    return _import_results(store, path, read, actor=actor)


def _import_session(store: Store, path: Path, read: _Read, *, actor: str, lead: str,
                    evaluators: Sequence[str]) -> PacketResult:
    from .rubric import _save_rubric, parse_rubric
    from .sessions import _create_session_in

    where = str(path)
    info, rub_part = read.parts["session"], read.parts["rubric"]
    name = _field(info, "name", str, f"{where}: session", limit=255)
    due = _field(info, "due_on", str, f"{where}: session", optional=True, limit=10)
    sample = _list(info, "sample", f"{where}: session", limit=10_000)
    yaml_text = _field(rub_part, "yaml", str, f"{where}: rubric", limit=1_000_000)
    rub_def = parse_rubric(yaml_text, f"{where}: rubric")
    if rub_def.content_hash != _field(rub_part, "content_hash", str, f"{where}: rubric"):
        raise InputError(f"{where}: rubric: field 'content_hash': does not match its YAML")
    records = _interactions(_list(read.parts, "interactions", where, 10_000), where)
    keys = [(r.source, r.external_id) for r in records]
    if [tuple(s) if isinstance(s, list) else s for s in sample] != keys:
        raise InputError(f"{where}: session: field 'sample': does not list the packet's "
                         "interactions")
    try:
        due_on = date.fromisoformat(due) if due else None
    except ValueError:
        raise InputError(f"{where}: session: field 'due_on': {due!r} is not a date") from None
    with store.session() as session:
        seen = session.exec(select(m.PacketLog).where(
            m.PacketLog.packet_id == read.manifest["packet_id"],
            m.PacketLog.direction == "in")).first()
        if seen is not None:
            cal = session.get(m.CalibrationSession, seen.session_id)
            return PacketResult("session", seen.packet_id, cal.name if cal else "", False,
                                path=where)
        rub, _created = _save_rubric(session, rub_def, actor=actor)
        added = 0
        ids = []
        for rec in records:
            row = session.exec(select(m.Interaction).where(
                m.Interaction.source == rec.source,
                m.Interaction.external_id == rec.external_id)).first()
            if row is None:
                row = _store_interaction(session, rec)
                added += 1
            ids.append(row.id or 0)
        cal = _create_session_in(session, name=name, rubric_id=rub.id or 0, lead=lead,
                                evaluators=list(evaluators), interaction_ids=ids,
                                due_on=due_on, actor=actor,
                                sampling={"packet": read.manifest["packet_id"],
                                          "from": read.manifest.get("organisation")})
        session.add(m.PacketLog(packet_id=read.manifest["packet_id"], kind="session",
                                direction="in", session_id=cal.id or 0,
                                organisation=read.manifest.get("organisation"),
                                sha256=read.sha256, actor=actor))
        _audit(session, actor=actor, entity="packet", entity_id=read.manifest["packet_id"],
              action="import", after={"kind": "session", "session": name,
                                      "interactions_added": added})
        return PacketResult("session", read.manifest["packet_id"], name, True,
                            interactions=added, path=where)


def _interactions(raw: list[Any], where: str) -> list[Any]:
    """The packet's interactions, validated as an import validates a canonical JSON file, and
    redacted again by this store's patterns (a packet should hold no personal data; this store
    does not take the other side's word for it)."""
    from .importers.canonical import record_from_object
    from .importers.pipeline import redact_records
    from .importers.records import RecordError
    from .redact import default_redactor

    now = datetime.now(timezone.utc)
    redactor = default_redactor()
    records = []
    for n, obj in enumerate(raw, start=1):
        at = f"{where}: interaction {n}"
        try:
            rec = record_from_object(obj, default_source="packet", contact_lens_source="packet",
                                     now=now, name=at)
        except RecordError as err:
            raise InputError(f"{at}: field {err.field!r}: {err}") from None
        redact_records([rec], redactor)  # the turns and the interaction fields
        records.append(rec)
    return records


def _store_interaction(session: Session, rec: Any) -> m.Interaction:
    row = m.Interaction(source=rec.source, external_id=rec.external_id, channel=rec.channel,
                        agent=rec.agent, team=rec.team, site=rec.site, queue=rec.queue,
                        started_at=rec.started_at, handle_time_seconds=rec.handle_time_seconds,
                        csat=rec.csat, language=rec.language, redacted=True)
    session.add(row)
    session.flush()
    for seq, (_given, speaker, offset, text) in enumerate(rec.turns):
        session.add(m.Turn(interaction_id=row.id or 0, seq=seq, speaker=speaker,
                           offset_seconds=offset, text=text))
    return row


# ----------------------------------------------------------------------------- results packet


def export_results(store: Store, ref: str | int, out: Path, *, key: bytes, actor: str
                   ) -> PacketResult:
    """Write the submitted evaluations of a session that came in a packet (its lead only)."""
    with store.session() as session:
        cal, person, site = _its_lead(session, ref, actor, "packet.results",
                                      "sends its results")
        origin = session.exec(select(m.PacketLog).where(
            m.PacketLog.session_id == cal.id, m.PacketLog.kind == "session",
            m.PacketLog.direction == "in")).first()
        if origin is None:
            raise NotFound(f"session {cal.name} did not come in a packet: there is nothing to "
                           "answer (export its own packet with packet export)")
        evaluations = _submitted(session, cal)
        if not evaluations:
            raise Conflict(f"session {cal.name}: no submitted evaluation to send yet")
        parts = {"results": {"session": cal.name, "evaluations": evaluations}}
        packet_id, digest = _write(out, "results", parts, key,
                                   {"organisation": site, "session": cal.name,
                                    "answers": origin.packet_id})
        session.add(m.PacketLog(packet_id=packet_id, kind="results", direction="out",
                                session_id=cal.id or 0, answers=origin.packet_id,
                                organisation=origin.organisation, sha256=digest,
                                actor=person.name))
        _audit(session, actor=person.name, entity="packet", entity_id=packet_id,
              action="export", after={"kind": "results", "session": cal.name,
                                      "evaluations": len(evaluations)})
        return PacketResult("results", packet_id, cal.name, True,
                            evaluations=len(evaluations), path=str(out))


def _submitted(session: Session, cal: m.CalibrationSession) -> list[dict[str, Any]]:
    from .scoring import answer_value

    criteria = {c.id: c for c in session.exec(
        select(m.Criterion).where(m.Criterion.rubric_id == cal.rubric_id)).all()}
    q = (select(m.Evaluation, m.Evaluator, m.Interaction)
         .join(m.Evaluator, col(m.Evaluator.id) == col(m.Evaluation.evaluator_id))
         .join(m.Interaction, col(m.Interaction.id) == col(m.Evaluation.interaction_id))
         .where(col(m.Evaluation.context) == cal.id, col(m.Evaluation.status) == "submitted",
                col(m.Evaluator.external).is_(False))
         .order_by(col(m.Evaluator.name), col(m.Interaction.source),
                   col(m.Interaction.external_id)))
    out = []
    for ev, person, item in session.exec(q).all():
        answers = {}
        for a in session.exec(select(m.Answer).where(m.Answer.evaluation_id == ev.id)).all():
            c = criteria[a.criterion_id]
            answers[c.key] = {"answer": answer_value(c, a.value, a.na),
                              "comment": a.comment, "root_cause": a.root_cause,
                              "turn": a.turn_seq}
        out.append({"evaluator": person.name, "site": person.site,
                    "interaction": [item.source, item.external_id],
                    "scored_at": (ev.submitted_at or ev.updated_at).isoformat(),
                    "answers": answers})
    return out


def _import_results(store: Store, path: Path, read: _Read, *, actor: str) -> PacketResult:
    from .evaluations import AnswerIn, _save_answers, _submit
    from .scoring import parse_answer
    from .sessions import _sample_interactions

    where = str(path)
    body = read.parts["results"]
    rows = _list(body, "evaluations", f"{where}: results", limit=100_000)
    answers_packet = read.manifest.get("answers")
    with store.session() as session:
        sent = session.exec(select(m.PacketLog).where(
            m.PacketLog.packet_id == str(answers_packet), m.PacketLog.direction == "out",
            m.PacketLog.kind == "session")).first()
        if sent is None:
            raise PermissionDenied(f"{where}: answers packet {str(answers_packet)[:32]!r}, "
                                   "which this store did not export: a results file for "
                                   "another session or another store")
        cal = session.get(m.CalibrationSession, sent.session_id)
        assert cal is not None
        seen = session.exec(select(m.PacketLog).where(
            m.PacketLog.packet_id == read.manifest["packet_id"],
            m.PacketLog.direction == "in")).first()
        if seen is not None:
            return PacketResult("results", seen.packet_id, cal.name, False, path=where)
        if cal.state != "open":
            raise Conflict(f"session {cal.name} is {cal.state}: results are added while it is "
                           "open (scoring is locked once revealed)")
        sample = {(i.source, i.external_id): i for i in _sample_interactions(session, cal)}
        criteria = {c.key: c for c in session.exec(
            select(m.Criterion).where(m.Criterion.rubric_id == cal.rubric_id)).all()}
        organisation = read.manifest.get("organisation")
        people: dict[str, m.Evaluator] = {}
        added_people = evaluations = 0
        for n, row in enumerate(rows, start=1):
            at = f"{where}: evaluation {n}"
            name = " ".join(str(_field(row, "evaluator", str, at, limit=255)).split())
            site = _field(row, "site", str, at, optional=True, limit=128)
            ref = _field(row, "interaction", list, at)
            item = sample.get(tuple(ref)) if len(ref) == 2 else None
            if item is None:
                raise InputError(f"{at}: field 'interaction': {ref!r} is not in session "
                                 f"{cal.name}'s sample")
            if name not in people:
                person, created = _external_person(session, name, site or organisation,
                                                   cal, actor=actor, where=at)
                people[name] = person
                added_people += created
            given = _field(row, "answers", dict, at)
            unknown = sorted(set(given) - set(criteria))
            if unknown:
                raise InputError(f"{at}: criterion {unknown[0]!r} is not in the session's rubric")
            parsed = {}
            for key, a in given.items():
                try:
                    value, na = parse_answer(criteria[key], _field(a, "answer", (str, int, float),
                                                                   f"{at}: criterion {key!r}"))
                except ValueError as exc:
                    raise InputError(f"{at}: criterion {key!r}: field 'answer': {exc}") from None
                parsed[key] = AnswerIn(
                    value=value, na=na,
                    comment=_field(a, "comment", str, f"{at}: criterion {key!r}", optional=True,
                                   limit=10_000),
                    root_cause=_field(a, "root_cause", str, f"{at}: criterion {key!r}",
                                      optional=True, limit=128),
                    # the turn the comment is about (a packet of before schema 5 has none)
                    turn=_field(a, "turn", int, f"{at}: criterion {key!r}", optional=True),
                    set_turn=True)
            try:
                scored_at = datetime.fromisoformat(_field(row, "scored_at", str, at, limit=40))
            except ValueError:
                raise InputError(f"{at}: field 'scored_at': not an ISO 8601 date-time") from None
            evaluation = _save_answers(session, evaluator=people[name], interaction_id=item.id or 0,
                                      rubric_id=cal.rubric_id, answers=parsed, actor=actor,
                                      calibration_session_id=cal.id, scored_at=scored_at)
            if evaluation.status == "submitted":
                raise Conflict(f"{at}: {name} has already submitted {item.external_id}")
            _submit(session, evaluation, actor=actor)
            evaluations += 1
        session.add(m.PacketLog(packet_id=read.manifest["packet_id"], kind="results",
                                direction="in", session_id=cal.id or 0,
                                answers=str(answers_packet), organisation=organisation,
                                sha256=read.sha256, actor=actor))
        _audit(session, actor=actor, entity="packet", entity_id=read.manifest["packet_id"],
              action="import", after={"kind": "results", "session": cal.name,
                                      "evaluations": evaluations, "people": added_people})
        return PacketResult("results", read.manifest["packet_id"], cal.name, True,
                            evaluations=evaluations, people=added_people, path=where)


def _external_person(session: Session, name: str, site: str | None,
                     cal: m.CalibrationSession, *, actor: str, where: str
                     ) -> tuple[m.Evaluator, bool]:
    """The other organisation's evaluator, added to the store (external) and to the session."""
    from .errors import UnknownPerson
    from .people import _find_evaluator

    try:
        person = _find_evaluator(session, name)
    except UnknownPerson:
        person = None
    created = person is None
    if person is None:
        person = m.Evaluator(name=name, role="evaluator", site=site, external=True)
        session.add(person)
        session.flush()
        _audit(session, actor=actor, entity="evaluator", entity_id=person.id, action="create",
              after={"name": name, "role": "evaluator", "site": site, "external": True})
    elif not person.external:
        raise Conflict(f"{where}: field 'evaluator': {person.name} is a person of this store, "
                       "not of the organisation that sent the results")
    linked = session.get(m.SessionEvaluator, (cal.id, person.id))
    if linked is None:
        session.add(m.SessionEvaluator(session_id=cal.id or 0, evaluator_id=person.id or 0))
        session.flush()
    return person, created
