"""Reading interactions and transcripts back out of the store."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from . import models as m
from .errors import InputError, NotFound
from .store import Store

INTERACTION_COLUMNS = (
    "id", "source", "external_id", "channel", "agent", "team", "site", "queue",
    "started_at", "handle_time_seconds", "csat", "turns",
)


def _find_interaction(
    session: Session, ref: str | int, *, source: str | None = None
) -> m.Interaction:
    """An interaction by store id (``#12`` or an int), ``source:external_id`` or external id."""
    if isinstance(ref, int) or (isinstance(ref, str) and ref.startswith("#") and ref[1:].isdigit()):
        row = session.get(m.Interaction, int(str(ref).lstrip("#")))
        if row is None:
            raise NotFound(f"no interaction with id {ref}")
        return row
    ref = str(ref)
    if source is None and ":" in ref:
        maybe_source, ext = ref.split(":", 1)
        row = session.exec(
            select(m.Interaction).where(
                m.Interaction.source == maybe_source, m.Interaction.external_id == ext
            )
        ).first()
        if row is not None:
            return row
    query = select(m.Interaction).where(m.Interaction.external_id == ref)
    if source is not None:
        query = query.where(m.Interaction.source == source)
    rows = session.exec(query.limit(2)).all()
    if not rows:
        raise NotFound(f"no interaction {ref!r}" + (f" from source {source!r}" if source else ""))
    if len(rows) > 1:
        raise InputError(f"interaction {ref!r} exists in several sources; write SOURCE:{ref}")
    return rows[0]


def _as_row(i: m.Interaction, turns: int | None = None) -> dict[str, Any]:
    return {
        "id": i.id, "source": i.source, "external_id": i.external_id, "channel": i.channel,
        "agent": i.agent, "team": i.team, "site": i.site, "queue": i.queue,
        "started_at": i.started_at, "handle_time_seconds": i.handle_time_seconds,
        "csat": i.csat, "turns": turns,
    }


def list_interactions(
    store: Store,
    *,
    channel: str | None = None,
    agent: str | None = None,
    team: str | None = None,
    site: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int | None = None,
    actor: str,
) -> list[dict[str, Any]]:
    """Interactions with their turn counts, oldest first; every row unless ``limit`` is given."""
    from .access import _require

    with store.read() as session:
        _require(session, actor, "interaction.list")
        turn_counts = (
            select(m.Turn.interaction_id, func.count().label("n"))
            .group_by(col(m.Turn.interaction_id))
            .subquery()
        )
        query = select(m.Interaction, turn_counts.c.n).outerjoin(
            turn_counts, turn_counts.c.interaction_id == m.Interaction.id
        )
        for column, value in (
            (m.Interaction.channel, channel), (m.Interaction.agent, agent),
            (m.Interaction.team, team), (m.Interaction.site, site),
        ):
            if value is not None:
                query = query.where(column == value)
        if since is not None:
            query = query.where(col(m.Interaction.started_at) >= since)
        if until is not None:
            query = query.where(col(m.Interaction.started_at) < until)
        query = query.order_by(col(m.Interaction.started_at), col(m.Interaction.id))
        if limit is not None:
            query = query.limit(limit)
        return [_as_row(i, n or 0) for i, n in session.exec(query).all()]


def _get_transcript(session: Session, interaction_id: int) -> list[m.Turn]:
    return list(
        session.exec(
            select(m.Turn).where(m.Turn.interaction_id == interaction_id)
            .order_by(col(m.Turn.seq))
        ).all()
    )


def show_interaction(store: Store, ref: str, *, viewer: str) -> dict[str, Any]:
    """One interaction with its transcript: ``{... , "transcript": [{seq, speaker, ...}]}``.
    A trainer is refused the transcript text unless the store allows it (``access``)."""
    from .access import _check_transcript_access

    with store.read() as session:
        _check_transcript_access(session, viewer)
        interaction = _find_interaction(session, ref)
        turns = _get_transcript(session, interaction.id or 0)
        row = _as_row(interaction, len(turns))
        row["redacted"] = interaction.redacted
        row["transcript"] = [
            {"seq": t.seq, "speaker": t.speaker, "offset_seconds": t.offset_seconds, "text": t.text}
            for t in turns
        ]
        return row


def count_interactions(store: Store) -> int:
    """How many interactions the store holds (a number only: ``init`` says it to anyone)."""
    with store.read() as session:
        return int(session.exec(select(func.count()).select_from(m.Interaction)).one())
