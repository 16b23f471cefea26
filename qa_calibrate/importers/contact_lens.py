"""Amazon Connect Contact Lens conversational-analytics output: one JSON document per contact.

The shape, as AWS documents it (Amazon Connect Administrator Guide, "Example Contact Lens
output files for a call" — docs.aws.amazon.com/connect/latest/adminguide/
contact-lens-example-output-files.html — and "... for a chat", contact-lens-example-output-
files-chat.html; the ``Transcript`` item in the API reference, API_connect-contact-lens_
Transcript.html; file names in example-contact-lens-output-locations.html)::

    {"Version": "1.1.0", "Channel": "VOICE", "LanguageCode": "en-US",
     "Participants": [{"ParticipantId": "...", "ParticipantRole": "CUSTOMER"}, ...],
     "ConversationCharacteristics": {"TotalConversationDurationMillis": 32110, ...},
     "CustomerMetadata": {"InputS3Uri": "...", "ContactId": "...", "InstanceId": "..."},
     "Transcript": [{"ParticipantId": "...", "Id": "...", "Content": "...",
                     "BeginOffsetMillis": 3630, "EndOffsetMillis": 5790, ...}, ...]}

Mapping: ``CustomerMetadata.ContactId`` → external_id; ``Channel`` VOICE/CHAT/EMAIL → channel;
``LanguageCode`` → language; each ``Transcript`` item → a turn, its speaker from the
``ParticipantRole`` of its ``ParticipantId`` (AGENT → agent, CUSTOMER → customer, SYSTEM →
system), its offset from ``BeginOffsetMillis``; ``TotalConversationDurationMillis`` → handle
time. Source is ``amazon_connect`` unless ``--source`` names another.

Not in this file, so left empty: agent, team, site and queue (they live in Connect's contact
record, not in the analysis output) and CSAT. The start time is the ``AbsoluteTime`` of the first
turn less its offset when the document has one (chat); otherwise it is estimated from the
``_analysis_<ISO time>`` stamp in the file name (written when the analysis ran, just after the
contact ended) less the conversation's duration; otherwise it stays empty.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from .records import (
    MAX_HANDLE,
    MAX_OFFSET,
    SPEAKERS,
    InteractionRecord,
    RecordError,
    make_turn,
    number_field,
    order_turns,
    text_field,
    when_field,
)

SOURCE = "amazon_connect"
CHANNELS = {"VOICE": "voice", "CHAT": "chat", "EMAIL": "email"}
ROLES = {**{k.upper(): v for k, v in SPEAKERS.items()}, "SUPERVISOR": "agent"}  # barge-in
STAMP = re.compile(r"_analysis_(?:redacted_)?(\d{4}-\d{2}-\d{2})T(\d{2})[:_-]?(\d{2})[:_-]?"
                   r"(\d{2}(?:\.\d+)?)Z?", re.IGNORECASE)


def looks_like(obj: Any) -> bool:
    """A Contact Lens document has a Transcript list and CustomerMetadata or Participants."""
    return (isinstance(obj, dict) and "Transcript" in obj
            and ("CustomerMetadata" in obj or "Participants" in obj))


def _role(raw: Any, field_name: str) -> str:
    role = ROLES.get(str(raw).strip().upper()) if isinstance(raw, str) else None
    if role is None:
        raise RecordError(field_name, f"{raw!r} is not AGENT, CUSTOMER or SYSTEM")
    return role


def _file_time(name: str, now: datetime) -> datetime | None:
    match = STAMP.search(name)
    if match is None:
        return None
    date, hh, mm, ss = match.groups()
    try:
        return when_field(f"{date}T{hh}:{mm}:{ss}+00:00", "file name", now=now)
    except RecordError:
        return None


def to_record(doc: dict[str, Any], *, source: str, now: datetime, name: str) -> InteractionRecord:
    """One Contact Lens document → a validated record (see the module docstring)."""
    meta = doc.get("CustomerMetadata")
    if not isinstance(meta, dict):
        raise RecordError("CustomerMetadata.ContactId", "missing")
    contact_id = text_field(meta.get("ContactId"), "CustomerMetadata.ContactId", required=True)
    assert contact_id is not None
    channel = CHANNELS.get(str(doc.get("Channel") or "").strip().upper())
    if channel is None:
        raise RecordError("Channel", f"{doc.get('Channel')!r} is not VOICE, CHAT or EMAIL")
    participants = doc.get("Participants") or []
    if not isinstance(participants, list):
        raise RecordError("Participants", "expected a list")
    roles: dict[str, str] = {}
    for n, p in enumerate(participants, start=1):
        if isinstance(p, dict) and p.get("ParticipantId") is not None:
            roles[str(p["ParticipantId"])] = _role(
                p.get("ParticipantRole") or p["ParticipantId"],
                f"Participants[{n}].ParticipantRole")
    items = doc.get("Transcript")
    if not isinstance(items, list) or not items:
        raise RecordError("Transcript", "expected a non-empty list")
    turns = []
    started: datetime | None = None
    for n, t in enumerate(items, start=1):
        where = f"Transcript[{n}]"
        if not isinstance(t, dict):
            raise RecordError(where, "expected an object")
        pid = t.get("ParticipantId")
        if t.get("ParticipantRole"):
            speaker = _role(t["ParticipantRole"], f"{where}.ParticipantRole")
        elif pid is not None and str(pid) in roles:
            speaker = roles[str(pid)]
        else:
            speaker = _role(pid, f"{where}.ParticipantId")  # "AGENT" / "CUSTOMER" as the id
        try:
            millis = number_field(t.get("BeginOffsetMillis"), "BeginOffsetMillis",
                                  maximum=MAX_OFFSET * 1000)
            absolute = when_field(t.get("AbsoluteTime"), "AbsoluteTime", now=now)
            if started is None and absolute is not None:
                started = absolute - timedelta(milliseconds=millis or 0)
            offset = millis / 1000.0 if millis is not None else None
            if offset is None and absolute is not None and started is not None:
                offset = (absolute - started).total_seconds()
            turns.append(make_turn(n - 1, speaker, t.get("Content"), offset, None, None,
                                   None, now))
        except RecordError as err:
            field_name = "Content" if err.field == "text" else err.field
            raise RecordError(f"{where}.{field_name}", str(err)) from None
    chars = doc.get("ConversationCharacteristics")
    duration = number_field(chars.get("TotalConversationDurationMillis") if isinstance(
        chars, dict) else None, "ConversationCharacteristics.TotalConversationDurationMillis",
        maximum=MAX_HANDLE * 1000)
    if started is None:
        ended = _file_time(name, now)
        if ended is not None:
            started = ended - timedelta(milliseconds=duration or 0)
    return InteractionRecord(
        external_id=contact_id, source=source, channel=channel, started_at=started,
        language=text_field(doc.get("LanguageCode"), "LanguageCode"),
        handle_time_seconds=int(round(duration / 1000)) if duration is not None else None,
        turns=order_turns(turns),
    )
