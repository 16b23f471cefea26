"""The canonical interaction record every importer produces, and its validation."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from ..errors import InputError

CHANNELS = {
    "chat": "chat", "webchat": "chat", "messaging": "chat", "sms": "chat", "whatsapp": "chat",
    "voice": "voice", "phone": "voice", "call": "voice", "telephony": "voice",
    "email": "email", "e-mail": "email", "mail": "email",
}
SPEAKERS = {
    "agent": "agent", "advisor": "agent", "adviser": "agent", "rep": "agent",
    "representative": "agent", "csr": "agent",
    "customer": "customer", "caller": "customer", "client": "customer", "user": "customer",
    "end_user": "customer", "enduser": "customer", "contact": "customer",
    "system": "system", "bot": "system", "ivr": "system", "automated": "system",
}
MAX_TEXT = 100_000  # characters in one turn; longer is a broken export, not a conversation
MAX_FIELD = 1_000  # characters in a metadata field


class RecordError(ValueError):
    """A problem with one record: ``field`` names the field, the message says what is wrong."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(message)
        self.field = field_name


@dataclass
class TurnRecord:
    seq: int
    speaker: str
    offset_seconds: float | None
    text: str


@dataclass
class InteractionRecord:
    external_id: str
    source: str
    channel: str
    agent: str | None = None
    team: str | None = None
    site: str | None = None
    queue: str | None = None
    started_at: datetime | None = None
    handle_time_seconds: int | None = None
    csat: float | None = None
    language: str | None = None
    turns: list[TurnRecord] = field(default_factory=list)

    def content_key(self) -> tuple[Any, ...]:
        """What makes two records with the same id the same record."""
        return (self.channel, self.agent, self.team, self.site, self.queue, self.started_at,
                self.handle_time_seconds, self.csat,
                tuple((t.speaker, t.offset_seconds, t.text) for t in self.turns))


def text_field(raw: Any, name: str, required: bool = False) -> str | None:
    if raw is None or (isinstance(raw, float) and math.isnan(raw)):
        value = ""
    elif isinstance(raw, str | int | float):
        value = " ".join(str(raw).split())
    else:
        raise RecordError(name, f"expected text, got {type(raw).__name__}")
    if "\x00" in value:
        raise RecordError(name, "contains a NUL byte")
    if not value:
        if required:
            raise RecordError(name, "missing")
        return None
    if len(value) > MAX_FIELD:
        raise RecordError(name, f"{len(value):,} characters (at most {MAX_FIELD:,})")
    return value


def channel_field(raw: Any) -> str:
    value = text_field(raw, "channel", required=True)
    assert value is not None
    key = value.lower().replace(" ", "")
    if key not in CHANNELS:
        raise RecordError("channel", f"{value!r} is not chat, voice or email")
    return CHANNELS[key]


def speaker_field(raw: Any) -> str:
    value = text_field(raw, "speaker", required=True)
    assert value is not None
    key = value.lower().replace(" ", "_")
    if key not in SPEAKERS:
        raise RecordError("speaker", f"{value!r} is not agent, customer or system")
    return SPEAKERS[key]


def when_field(raw: Any, name: str, *, now: datetime) -> datetime | None:
    """ISO 8601 date or date-time; naive is UTC; a date in the future is refused."""
    text = text_field(raw, name)
    if text is None:
        return None
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise RecordError(name, f"{text!r} is not an ISO 8601 date-time") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    when = when.astimezone(timezone.utc)
    if when > now:
        raise RecordError(name, f"{text} is in the future")
    return when


def number_field(raw: Any, name: str, *, minimum: float = 0.0, maximum: float | None = None,
                 integer: bool = False) -> float | None:
    text = text_field(raw, name)
    if text is None:
        return None
    try:
        value = float(text)
    except ValueError:
        raise RecordError(name, f"{text!r} is not a number") from None
    if not math.isfinite(value):
        raise RecordError(name, f"{text!r} is not a finite number")
    if value < minimum:
        raise RecordError(name, f"{text} is below {minimum:g}")
    if maximum is not None and value > maximum:
        raise RecordError(name, f"{text} is above {maximum:g}")
    if integer and not value.is_integer():
        raise RecordError(name, f"{text} is not a whole number")
    return value


def turn_text(raw: Any) -> str:
    if raw is None or not isinstance(raw, str | int | float):
        raise RecordError("text", "missing")
    text = str(raw)
    if "\x00" in text:
        raise RecordError("text", "contains a NUL byte")
    text = text.strip()
    if not text:
        raise RecordError("text", "empty")
    if len(text) > MAX_TEXT:
        raise RecordError("text", f"{len(text):,} characters in one turn (at most {MAX_TEXT:,})")
    return text


def build_record(fields: dict[str, Any], turns: list[TurnRecord], *, default_source: str,
                 now: datetime) -> InteractionRecord:
    """Validate the interaction fields of a canonical record (turns already validated)."""
    external_id = text_field(fields.get("external_id"), "external_id", required=True)
    assert external_id is not None
    record = InteractionRecord(
        external_id=external_id,
        source=text_field(fields.get("source"), "source") or default_source,
        channel=channel_field(fields.get("channel")),
        agent=text_field(fields.get("agent"), "agent"),
        team=text_field(fields.get("team"), "team"),
        site=text_field(fields.get("site"), "site"),
        queue=text_field(fields.get("queue"), "queue"),
        started_at=when_field(fields.get("started_at"), "started_at", now=now),
        language=text_field(fields.get("language"), "language"),
    )
    handle = number_field(fields.get("handle_time_seconds"), "handle_time_seconds",
                          integer=True, maximum=7 * 24 * 3600)
    record.handle_time_seconds = int(handle) if handle is not None else None
    record.csat = number_field(fields.get("csat"), "csat", maximum=100)
    if not turns:
        raise RecordError("turns", "an interaction needs at least one turn")
    record.turns = turns
    return record


def fail(where: str, err: RecordError) -> InputError:
    return InputError(f"{where}: field {err.field!r}: {err}")
