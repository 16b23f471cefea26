"""Reading the audit log (writing is ``store.audit``), under the blind rule."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from . import models as m
from .access import Actor, _require
from .names import name_key
from .store import Store
from .views import View


def _hidden(session: Session, viewer: Actor) -> tuple[set[str], set[str]]:
    """Entity ids (evaluations, sessions) of open sessions that ``viewer`` may not see in the
    log: while a session is open, everyone but a lead sees only their own entries of it."""
    if viewer.is_lead:
        return set(), set()
    open_ids = set(session.exec(
        select(m.CalibrationSession.id).where(m.CalibrationSession.state == "open")).all())
    if not open_ids:
        return set(), set()
    evaluations = {
        str(ev_id) for ev_id, who in session.exec(
            select(m.Evaluation.id, m.Evaluation.evaluator_id)
            .where(m.Evaluation.session_id.in_(open_ids))  # type: ignore[union-attr]
        ).all() if who != viewer.id
    }
    return evaluations, {str(i) for i in open_ids}


@dataclass(frozen=True)
class AuditRow(View):
    """One audit entry, its before and after decoded."""

    id: int
    at: datetime
    actor: str
    entity: str
    entity_id: str | None
    action: str
    before: Any
    after: Any


def list_audit(
    store: Store, *, entity: str | None = None, by: str | None = None,
    limit: int | None = None, actor: str,
) -> list[AuditRow]:
    """Audit rows, oldest first (``by``: only changes by that person, matched by name). What the
    acting person may see: while a session is open, an evaluator or trainer sees only their own
    entries of it."""
    with store.read() as session:
        viewer = _require(session, actor, "audit.list")
        hidden_evaluations, hidden_sessions = _hidden(session, viewer)
        q = select(m.AuditLog).order_by(m.AuditLog.id)  # type: ignore[arg-type]
        if entity:
            q = q.where(m.AuditLog.entity == entity)
        out: list[AuditRow] = []
        for a in session.exec(q).all():
            if by and name_key(a.actor) != name_key(by):
                continue
            if a.entity == "evaluation" and a.entity_id in hidden_evaluations:
                continue
            if a.entity == "calibration_session" and a.entity_id in hidden_sessions \
                    and not viewer.is_named(a.actor):
                continue
            out.append(AuditRow(id=a.id or 0, at=a.at, actor=a.actor, entity=a.entity,
                                entity_id=a.entity_id, action=a.action,
                                before=json.loads(a.before) if a.before else None,
                                after=json.loads(a.after) if a.after else None))
            if limit and len(out) >= limit:
                break
        return out
