"""Reading the audit log (writing is ``store.audit``)."""

from __future__ import annotations

import json
from typing import Any

from sqlmodel import select

from . import models as m
from .store import Store


def list_audit(
    store: Store, *, entity: str | None = None, actor: str | None = None, limit: int | None = None
) -> list[dict[str, Any]]:
    with store.session() as session:
        q = select(m.AuditLog).order_by(m.AuditLog.id)
        if entity:
            q = q.where(m.AuditLog.entity == entity)
        if actor:
            q = q.where(m.AuditLog.actor == actor)
        if limit:
            q = q.limit(limit)
        return [
            {"id": a.id, "at": a.at, "actor": a.actor, "entity": a.entity,
             "entity_id": a.entity_id, "action": a.action,
             "before": json.loads(a.before) if a.before else None,
             "after": json.loads(a.after) if a.after else None}
            for a in session.exec(q).all()
        ]
