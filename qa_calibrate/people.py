"""Evaluators, leads and trainers: who they are and what their role lets them do."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlmodel import Session, select

from . import models as m
from .access import Actor, _require, external_refusal
from .errors import InputError, PermissionDenied, UnknownPerson
from .names import did_you_mean, name_key
from .store import Store, _audit
from .views import View
from .vocabulary import ROLES


def _check(name: str, role: str | None, where: str) -> tuple[str, str | None]:
    name = " ".join((name or "").split())
    if not name:
        raise InputError(f"{where}: field 'name': empty")
    if len(name) > MAX_NAME:
        raise InputError(f"{where}: field 'name': {len(name):,} characters (at most {MAX_NAME})")
    role = (role or "").strip().lower() or None
    if role is not None and role not in ROLES:
        raise InputError(f"{where}: field 'role': {role[:40]!r} is not one of {', '.join(ROLES)}")
    return name, role


def _find_evaluator(session: Session, name: str) -> m.Evaluator:
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


def person_name(store: Store, name: str) -> str:
    """The stored name of the person acting as ``name``: UnknownPerson, or PermissionDenied for
    an evaluator of another organisation (who may do nothing in this store)."""
    with store.read() as session:
        person = _find_evaluator(session, name)
        if person.external:
            raise external_refusal(person.name, "act")
        return person.name


def _upsert(session: Session, name: str, role: str | None, site: str | None,
            actor: Actor) -> bool:
    """Add a person or change their role/site; ``None`` keeps what is stored (a new person is an
    evaluator with no site). Nobody changes their own role."""
    try:  # "ana reyes" names the stored "Ana Reyes": one person, whatever the spelling
        existing: m.Evaluator | None = _find_evaluator(session, name)
    except UnknownPerson:
        existing = None
    if existing is not None:
        new_role = role or existing.role
        new_site = existing.site if site is None else site
        if (existing.role, existing.site) == (new_role, new_site):
            return False
        if new_role != existing.role and actor.is_named(existing.name):
            raise PermissionDenied(f"{actor.name} cannot change their own role")
        before = {"role": existing.role, "site": existing.site}
        existing.role, existing.site = new_role, new_site
        session.add(existing)
        if existing.db_role and new_role != before["role"]:
            from .dbroles import _resync  # its login role joins the new role's group

            _resync(session, existing)
        _audit(session, actor=actor.name, entity="evaluator", entity_id=existing.id,
              action="update", before=before, after={"role": new_role, "site": new_site})
        return True
    row = m.Evaluator(name=name, role=role or "evaluator", site=site)
    session.add(row)
    session.flush()
    _audit(session, actor=actor.name, entity="evaluator", entity_id=row.id, action="create",
          after={"name": name, "role": row.role, "site": site})
    return True


def add_evaluator(
    store: Store, name: str, *, role: str | None = None, site: str | None = None, actor: str
) -> bool:
    """Add a person, or change the role/site of one (an omitted role or site keeps the stored
    one). A lead only, or anyone while the store has no lead. Returns True when it changed."""
    name, role = _check(name, role, "evaluator")
    with store.session() as session:
        who = _require(session, actor, "people.change")
        return _upsert(session, name, role, (site or "").strip() or None, who)


MAX_NAME = 200  # characters in a person's name
MAX_CELL_PEOPLE = 10_000  # characters in any cell of a people file


def _read_people(path: Path) -> list[tuple[str, str | None, str | None]]:
    """(name, role, site) rows of a people CSV, checked: one InputError naming file, row and
    field for the first problem."""
    from .importers.reading import small_csv

    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror or exc})") from None
    header, table = small_csv(path, raw, max_cell=MAX_CELL_PEOPLE)
    if "name" not in header:
        raise InputError(f"{path}: row 1: field 'name': missing column")
    rows = []
    for number, values in table:
        where = f"{path}: row {number}"
        rec = dict(zip(header, (v.strip() for v in values), strict=True))
        for field_name in ("name", "site"):
            if len(rec.get(field_name, "")) > MAX_NAME:
                raise InputError(f"{where}: field {field_name!r}: {len(rec[field_name]):,} "
                                 f"characters (at most {MAX_NAME})")
        name, role = _check(rec.get("name", ""), rec.get("role", ""), where)
        rows.append((name, role, rec.get("site") or None))
    return rows


def import_evaluators(store: Store, path: Path, *, actor: str) -> int:
    """Add people from a CSV with columns name, role, site — all rows or none. An empty role or
    site keeps the stored one."""
    rows = _read_people(path)
    changed = 0
    with store.session() as session:
        who = _require(session, actor, "people.change")
        for name, role, site in rows:
            changed += _upsert(session, name, role, site, who)
    return changed


@dataclass(frozen=True)
class PersonRow(View):
    id: int
    name: str
    role: str
    site: str | None
    active: bool


def list_evaluators(store: Store, *, role: str | None = None,
                    actor: str | None = None) -> list[PersonRow]:
    """People in the store (open to anyone: how a user finds the name to act as)."""
    with store.read() as session:
        _require(session, actor, "people.list")
        query = select(m.Evaluator).order_by(m.Evaluator.name)
        if role:
            query = query.where(m.Evaluator.role == role)
        return [PersonRow(id=e.id or 0, name=e.name, role=e.role, site=e.site, active=e.active)
                for e in session.exec(query).all()]
