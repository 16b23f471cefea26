"""The canonical interaction record every importer produces, and the checks on its fields.

The checks have a fast path for the common case (a clean string, a plain number) because they
run for every turn of files with millions of turns; anything unusual goes the slow way, which
normalises what it can and raises :class:`RecordError` for what it cannot.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

CHANNELS = {
    "chat": "chat", "webchat": "chat", "web_chat": "chat", "messaging": "chat", "sms": "chat",
    "whatsapp": "chat", "voice": "voice", "phone": "voice", "call": "voice",
    "telephony": "voice", "email": "email", "e-mail": "email", "e_mail": "email",
    "mail": "email",
}
SPEAKERS = {
    "agent": "agent", "advisor": "agent", "adviser": "agent", "rep": "agent",
    "representative": "agent", "csr": "agent", "customer": "customer", "caller": "customer",
    "client": "customer", "user": "customer", "end_user": "customer", "contact": "customer",
    "system": "system", "bot": "system", "ivr": "system", "automated": "system",
}
# Exact spellings met in exports, looked up before any normalising.
SPEAKER_FAST = {v: s for k, s in SPEAKERS.items() for v in (k, k.upper(), k.capitalize())}
MAX_TEXT = 100_000  # characters in one turn; longer is a broken export, not a conversation
MAX_FIELD = 1_000  # characters in a metadata field
MAX_HANDLE = 7 * 24 * 3600
MAX_SEQ = 10_000_000  # a turn number; it only orders the turns
MAX_OFFSET = MAX_HANDLE  # seconds from the start of the contact to a turn
EARLIEST_YEAR = 1900  # a contact before this is a broken export (and spreadsheets cannot hold it)
FUTURE_SLACK = timedelta(days=1)  # clocks and zone-less local times may run a little ahead

Turn = tuple[int, str, float | None, str]
"""One turn: (seq, speaker, offset_seconds, text). A tuple because files hold millions."""


class RecordError(ValueError):
    """A problem with one record: ``field`` names the field, the message says what is wrong."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(message)
        self.field = field_name

    def within(self, prefix: str) -> RecordError:
        """The same error on a field nested under ``prefix`` (e.g. ``turns[3]``)."""
        return RecordError(f"{prefix}.{self.field}", str(self))


@dataclass
class InteractionRecord:
    """One validated interaction with its turns, ready to be redacted and written."""

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
    turns: list[Turn] = field(default_factory=list)

    def content_key(self) -> tuple[Any, ...]:
        """What makes two records with the same id the same record."""
        return (self.channel, self.agent, self.team, self.site, self.queue, self.started_at,
                self.handle_time_seconds, self.csat, self.language,
                tuple((t[1], t[2], t[3]) for t in self.turns))

    def canonical(self) -> dict[str, Any]:
        """The record as a canonical JSON object (used for the rejects file)."""
        return {
            "external_id": self.external_id, "source": self.source, "channel": self.channel,
            "agent": self.agent, "team": self.team, "site": self.site, "queue": self.queue,
            "started_at": self.started_at.isoformat() if self.started_at else None,
            "handle_time_seconds": self.handle_time_seconds, "csat": self.csat,
            "language": self.language,
            "turns": [{"seq": t[0], "speaker": t[1], "offset_seconds": t[2], "text": t[3]}
                      for t in self.turns],
        }


Item = tuple[str, InteractionRecord | RecordError, Any]
"""What a parser yields: (where in the file, the record or what is wrong with it, the raw input
for a rejects file — None for a good record, whose canonical form then stands in for it)."""


def text_field(raw: Any, name: str, required: bool = False) -> str | None:
    """A short text value, whitespace collapsed; None when empty (or RecordError if required)."""
    if (type(raw) is str and raw and len(raw) <= MAX_FIELD and raw.isprintable()
            and raw[0] != " " and raw[-1] != " " and "  " not in raw):
        return raw  # the common case: clean already
    if raw is None or (isinstance(raw, float) and math.isnan(raw)):
        value = ""
    elif isinstance(raw, bool) or not isinstance(raw, str | int):
        raise RecordError(name, f"expected text, got {type(raw).__name__}")
    else:
        value = str(raw)
        if "\x00" in value:
            raise RecordError(name, "contains a NUL byte")
        value = " ".join(value.split())
    if not value:
        if required:
            raise RecordError(name, "missing")
        return None
    if len(value) > MAX_FIELD:
        raise RecordError(name, f"{len(value):,} characters (at most {MAX_FIELD:,})")
    return value


def channel_field(raw: Any) -> str:
    """chat, voice or email, from any accepted spelling."""
    value = text_field(raw, "channel", required=True)
    assert value is not None
    key = value.lower().replace(" ", "_")
    if key not in CHANNELS:
        raise RecordError("channel", f"{value!r} is not chat, voice or email")
    return CHANNELS[key]


def speaker_field(raw: Any, name: str = "speaker") -> str:
    """agent, customer or system, from any accepted spelling."""
    fast = SPEAKER_FAST.get(raw) if type(raw) is str else None
    if fast is not None:
        return fast
    value = text_field(raw, name, required=True)
    assert value is not None
    key = value.lower().replace(" ", "_").replace("-", "_")
    if key not in SPEAKERS:
        raise RecordError(name, f"{value!r} is not agent, customer or system")
    return SPEAKERS[key]


def when_field(raw: Any, name: str, *, now: datetime) -> datetime | None:
    """ISO 8601 date or date-time as aware UTC; no zone means UTC; the future is refused."""
    text = text_field(raw, name)
    if text is None:
        return None
    try:
        when = datetime.fromisoformat(text.replace("z", "Z").replace(" UTC", "Z"))
    except ValueError:
        raise RecordError(name, f"{text[:40]!r} is not an ISO 8601 date-time") from None
    try:
        when = when.replace(tzinfo=timezone.utc) if when.tzinfo is None \
            else when.astimezone(timezone.utc)
    except OverflowError:  # 0001-01-01T00:00+05:00 is before the first UTC instant
        raise RecordError(name, f"{text} is outside the dates UTC can hold") from None
    if when.year < EARLIEST_YEAR:
        raise RecordError(name, f"{text} is before {EARLIEST_YEAR}")
    if when > now + FUTURE_SLACK:
        raise RecordError(name, f"{text} is in the future")
    return when


def number_field(raw: Any, name: str, *, maximum: float | None = None,
                 integer: bool = False) -> float | None:
    """A finite number >= 0 (and <= maximum); None when empty."""
    kind = type(raw)
    if kind is int or kind is float:
        try:
            value = float(raw)
        except OverflowError:  # an integer of hundreds of digits
            raise RecordError(name, "a number too large") from None
        text = str(raw) if kind is float or abs(raw) < 10 ** 30 else "a number too large"
    else:
        text_value = text_field(raw, name)
        if text_value is None:
            return None
        text = text_value
        try:
            value = float(text)
        except (ValueError, OverflowError):
            raise RecordError(name, f"{text[:40]!r} is not a number") from None
    if not math.isfinite(value):
        raise RecordError(name, f"{text!r} is not a finite number")
    if value < 0:
        raise RecordError(name, f"{text} is below 0")
    if maximum is not None and value > maximum:
        raise RecordError(name, f"{text} is above {maximum:g}")
    if integer and not value.is_integer():
        raise RecordError(name, f"{text} is not a whole number")
    return value


def turn_text(raw: Any, name: str = "text") -> str:
    """The words of a turn: not empty, no NUL, at most MAX_TEXT characters."""
    if type(raw) is str and raw and "\x00" not in raw and len(raw) <= MAX_TEXT:
        if not raw[0].isspace() and not raw[-1].isspace():
            return raw
        raw = raw.strip()
        if raw:
            return raw
    if raw is None or raw == "":
        raise RecordError(name, "empty")
    if isinstance(raw, bool) or not isinstance(raw, str | int | float):
        raise RecordError(name, f"expected text, got {type(raw).__name__}")
    text = str(raw)
    if "\x00" in text:
        raise RecordError(name, "contains a NUL byte")
    text = text.strip()
    if not text:
        raise RecordError(name, "empty")
    if len(text) > MAX_TEXT:
        raise RecordError(name, f"{len(text):,} characters in one turn (at most {MAX_TEXT:,})")
    return text


def make_turn(position: int, speaker: Any, text: Any, offset: Any, timestamp: Any, seq: Any,
              started_at: datetime | None, now: datetime) -> tuple[int | None, str, float | None,
                                                                   str]:
    """One turn from raw values: (seq or None, speaker, offset_seconds, text).

    ``offset`` wins over ``timestamp``; a timestamp becomes seconds after ``started_at``."""
    speaker_value = speaker_field(speaker)
    text_value = turn_text(text)
    kind = type(offset)
    if (kind is float or kind is int) and 0 <= offset <= MAX_OFFSET:
        offset_value: float | None = float(offset)
    elif offset is None or offset == "":
        offset_value = None
        if timestamp is not None and timestamp != "":
            stamp = when_field(timestamp, "timestamp", now=now)
            if stamp is not None:
                if started_at is None:
                    raise RecordError("timestamp", "needs the interaction's started_at")
                seconds = (stamp - started_at).total_seconds()
                if seconds < 0:
                    raise RecordError("timestamp", f"{timestamp} is before started_at")
                if seconds > MAX_OFFSET:
                    raise RecordError("timestamp", f"{timestamp} is more than {MAX_OFFSET:,} s "
                                                   "after started_at")
                offset_value = seconds
    else:
        offset_value = number_field(offset, "offset_seconds", maximum=MAX_OFFSET)
    if seq is None or seq == "":
        seq_value = None
    elif type(seq) is int and 0 <= seq <= MAX_SEQ:
        seq_value = seq
    else:
        number = number_field(seq, "seq", integer=True, maximum=MAX_SEQ)
        seq_value = None if number is None else int(number)
    return (seq_value, speaker_value, offset_value, text_value)


def order_turns(raw_turns: list[tuple[int | None, str, float | None, str]]) -> list[Turn]:
    """Turns in ``seq`` order (file order where seq is missing), renumbered 0..n-1."""
    if not raw_turns:
        raise RecordError("turns", "an interaction needs at least one turn")
    if all(t[0] == n for n, t in enumerate(raw_turns)):  # seq 0..n-1 in order already
        return raw_turns  # type: ignore[return-value]
    if all(t[0] is None for t in raw_turns):
        return [(n, t[1], t[2], t[3]) for n, t in enumerate(raw_turns)]
    keyed = [(n if t[0] is None else t[0], t) for n, t in enumerate(raw_turns)]
    keyed.sort(key=lambda pair: pair[0])
    for (a, _), (b, _) in zip(keyed, keyed[1:], strict=False):
        if a == b:
            raise RecordError("seq", f"two turns have seq {a}")
    return [(n, t[1], t[2], t[3]) for n, (_, t) in enumerate(keyed)]


def build_record(fields: dict[str, Any], turns: list[Turn], *, default_source: str,
                 now: datetime, started_at: datetime | None = None) -> InteractionRecord:
    """Validate the interaction fields of a canonical record (turns already validated)."""
    get = fields.get
    external_id = text_field(get("external_id"), "external_id", required=True)
    assert external_id is not None
    if started_at is None:
        started_at = when_field(get("started_at"), "started_at", now=now)
    handle = number_field(get("handle_time_seconds"), "handle_time_seconds", integer=True,
                          maximum=MAX_HANDLE)
    return InteractionRecord(
        external_id=external_id,
        source=text_field(get("source"), "source") or default_source,
        channel=channel_field(get("channel")),
        agent=text_field(get("agent"), "agent"),
        team=text_field(get("team"), "team"),
        site=text_field(get("site"), "site"),
        queue=text_field(get("queue"), "queue"),
        started_at=started_at,
        handle_time_seconds=None if handle is None else int(handle),
        csat=number_field(get("csat"), "csat", maximum=100),
        language=text_field(get("language"), "language"),
        turns=turns,
    )
