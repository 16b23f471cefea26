"""Evaluators, leads and trainers: who they are and what their role lets them do."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from sqlmodel import Session, select

from . import models as m
from .errors import InputError, PermissionDenied, UnknownPerson
from .names import did_you_mean, name_key
from .store import Store, audit
from .vocabulary import ROLES


def _check(name: str, role: str, where: str) -> tuple[str, str]:
    name = " ".join((name or "").split())
    if not name:
        raise InputError(f"{where}: field 'name': empty")
    role = (role or "evaluator").strip().lower()
    if role not in ROLES:
        raise InputError(f"{where}: field 'role': {role!r} is not one of {', '.join(ROLES)}")
    return name, role


def find_evaluator(session: Session, name: str) -> m.Evaluator:
    """The person called ``name`` (matched by ``names.name_key``), or UnknownPerson."""
    row = session.exec(select(m.Evaluator).where(m.Evaluator.name == name)).first()
    if row is not None:
        return row
    everyone = session.exec(select(m.Evaluator)).all()
    key = name_key(name)
    for candidate in everyone:
        if name_key(candidate.name) == key:
            return candidate
    raise UnknownPerson(name, did_you_mean(name, (p.name for p in everyone)))


def acting_person(session: Session, name: str) -> m.Evaluator:
    """The person acting under ``name``: a person of this store (an evaluator of another
    organisation, known from a results packet, cannot act here)."""
    person = find_evaluator(session, name)
    if person.external:
        raise PermissionDenied(f"{person.name} is an evaluator of "
                               f"{person.site or 'another organisation'} whose answers came in "
                               "a results packet: they cannot act in this store")
    return person


def _upsert(session: Session, name: str, role: str, site: str | None, actor: str) -> bool:
    try:  # "ana reyes" names the stored "Ana Reyes": one person, whatever the spelling
        existing: m.Evaluator | None = find_evaluator(session, name)
    except UnknownPerson:
        existing = None
    if existing is not None:
        if (existing.role, existing.site) == (role, site):
            return False
        before = {"role": existing.role, "site": existing.site}
        existing.role, existing.site = role, site
        session.add(existing)
        audit(session, actor=actor, entity="evaluator", entity_id=existing.id, action="update",
              before=before, after={"role": role, "site": site})
        return True
    row = m.Evaluator(name=name, role=role, site=site)
    session.add(row)
    session.flush()
    audit(session, actor=actor, entity="evaluator", entity_id=row.id, action="create",
          after={"name": name, "role": role, "site": site})
    return True


def add_evaluator(
    store: Store, name: str, *, role: str = "evaluator", site: str | None = None, actor: str
) -> bool:
    """Add (or update the role/site of) one person. Returns True when something changed."""
    name, role = _check(name, role, "evaluator")
    with store.session() as session:
        return _upsert(session, name, role, site or None, actor)


def import_evaluators(store: Store, path: Path, *, actor: str) -> int:
    """Add people from a CSV with columns name, role, site — all rows or none."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        text = path.read_text(encoding="cp1252")
    reader = csv.DictReader(text.splitlines())
    if not reader.fieldnames or "name" not in [f.strip().lower() for f in reader.fieldnames]:
        raise InputError(f"{path}: row 1: field 'name': missing column")
    rows = []
    for lineno, raw in enumerate(reader, start=2):
        rec = {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items()}
        name, role = _check(rec.get("name", ""), rec.get("role", ""), f"{path}: row {lineno}")
        rows.append((name, role, rec.get("site") or None))
    changed = 0
    with store.session() as session:
        for name, role, site in rows:
            changed += _upsert(session, name, role, site, actor)
    return changed


def list_evaluators(store: Store, *, role: str | None = None) -> list[dict[str, Any]]:
    with store.session() as session:
        query = select(m.Evaluator).order_by(m.Evaluator.name)
        if role:
            query = query.where(m.Evaluator.role == role)
        return [
            {"id": e.id, "name": e.name, "role": e.role, "site": e.site, "active": e.active}
            for e in session.exec(query).all()
        ]
