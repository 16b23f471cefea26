"""Who may see what, decided in the core so no screen or command can get around it.

- An evaluator never sees another evaluator's answers while a session is open (``sessions``).
- A submitted evaluation is read-only; only a lead records consensus, reveals and closes.
- A trainer sees coaching data but not transcript text, unless the store's setting
  ``trainers_see_transcripts`` is on (``qa-calibrate setting trainers_see_transcripts on``).
- A name that is not a person in the store is the local operator (single-user use): the
  roles above apply to the people the store knows.
"""

from __future__ import annotations

from sqlmodel import Session, select

from . import models as m
from .errors import InputError, PermissionDenied
from .store import Store, audit

SETTINGS = {"trainers_see_transcripts": ("off", ("on", "off"))}


def get_setting(session: Session, key: str) -> str:
    if key not in SETTINGS:
        raise InputError(f"unknown setting {key!r}; known: {', '.join(SETTINGS)}")
    default, _choices = SETTINGS[key]
    row = session.get(m.Meta, f"setting.{key}")
    return row.value if row else default


def set_setting(store: Store, key: str, value: str, *, actor: str) -> None:
    if key not in SETTINGS:
        raise InputError(f"unknown setting {key!r}; known: {', '.join(SETTINGS)}")
    _default, choices = SETTINGS[key]
    if value not in choices:
        raise InputError(f"setting {key!r}: {value!r} is not one of {', '.join(choices)}")
    with store.session() as session:
        before = get_setting(session, key)
        row = session.get(m.Meta, f"setting.{key}") or m.Meta(key=f"setting.{key}", value=value)
        row.value = value
        session.add(row)
        audit(session, actor=actor, entity="setting", entity_id=key, action="set",
              before={"value": before}, after={"value": value})


def check_transcript_access(session: Session, viewer: str | None) -> None:
    """Refuse transcript text to a trainer unless the store allows it."""
    if not viewer:
        return
    person = session.exec(select(m.Evaluator).where(m.Evaluator.name == viewer)).first()
    if person is None or person.role != "trainer":
        return
    if get_setting(session, "trainers_see_transcripts") != "on":
        raise PermissionDenied(
            f"{person.name} is a trainer: transcript text is not shown to trainers "
            "(a lead can allow it: setting trainers_see_transcripts on)"
        )
