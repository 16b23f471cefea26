"""Amazon Connect Contact Lens conversational-analytics output (one JSON document per contact).

The fields used, as Contact Lens writes them: ``CustomerMetadata.ContactId`` (→ external_id),
``Channel`` (VOICE/CHAT), ``LanguageCode``, ``Participants[].ParticipantId`` /
``ParticipantRole`` (AGENT, CUSTOMER, SYSTEM), ``Transcript[]`` with ``ParticipantId``,
``Content`` and ``BeginOffsetMillis`` (voice) or ``AbsoluteTime`` (chat), and
``ConversationCharacteristics.TotalConversationDurationMillis`` (→ handle time). The start time
comes from the ``_analysis_<ISO time>`` part of the output file's name when it is there. Agent,
team, site and queue are not in this document (they live in the contact record): they stay
empty. Source is ``amazon_connect``.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from .records import InteractionRecord, RecordError, TurnRecord, number_field, speaker_field, \
    text_field, turn_text, when_field

SOURCE = "amazon_connect"
STAMP = re.compile(r"_analysis_(\d{4}-\d{2}-\d{2}T\d{2}[:_-]?\d{2}[:_-]?\d{2}(?:\.\d+)?Z?)")


def looks_like(obj: Any) -> bool:
    return isinstance(obj, dict) and "Transcript" in obj and "Participants" in obj


def to_record(doc: dict[str, Any], *, name: str, now: datetime) -> InteractionRecord:
    meta = doc.get("CustomerMetadata") or {}
    if not isinstance(meta, dict):
        raise RecordError("CustomerMetadata", "expected an object")
    contact_id = text_field(meta.get("ContactId"), "CustomerMetadata.ContactId", required=True)
    channel = {"VOICE": "voice", "CHAT": "chat", "EMAIL": "email"}.get(
        str(doc.get("Channel") or "VOICE").upper())
    if channel is None:
        raise RecordError("Channel", f"{doc.get('Channel')!r} is not VOICE, CHAT or EMAIL")
    roles = {}
    for p in doc.get("Participants") or []:
        if isinstance(p, dict) and p.get("ParticipantId"):
            roles[p["ParticipantId"]] = speaker_field(p.get("ParticipantRole") or p["ParticipantId"])
    started = None
    match = STAMP.search(name)
    if match:
        stamp = re.sub(r"T(\d{2})[_-](\d{2})[_-](\d{2})", r"T\1:\2:\3", match.group(1))
        started = when_field(stamp, "file name", now=now)
    items = doc.get("Transcript")
    if not isinstance(items, list) or not items:
        raise RecordError("Transcript", "expected a non-empty list")
    turns = []
    first_abs: datetime | None = None
    for n, t in enumerate(items, start=1):
        if not isinstance(t, dict):
            raise RecordError(f"Transcript[{n}]", "expected an object")
        pid = t.get("ParticipantId")
        if pid not in roles:
            raise RecordError(f"Transcript[{n}].ParticipantId", f"{pid!r} is not a participant")
        try:
            text = turn_text(t.get("Content"))
            offset = None
            if t.get("BeginOffsetMillis") is not None:
                ms = number_field(t.get("BeginOffsetMillis"), "BeginOffsetMillis")
                offset = ms / 1000.0 if ms is not None else None
            elif t.get("AbsoluteTime"):
                when = when_field(t.get("AbsoluteTime"), "AbsoluteTime", now=now)
                if when is not None:
                    first_abs = first_abs or when
                    started = started or when
                    offset = (when - first_abs).total_seconds()
        except RecordError as err:
            raise RecordError(f"Transcript[{n}].{err.field}", str(err)) from None
        turns.append(TurnRecord(seq=n - 1, speaker=roles[pid], offset_seconds=offset, text=text))
    chars = doc.get("ConversationCharacteristics") or {}
    duration = number_field(chars.get("TotalConversationDurationMillis"),
                            "ConversationCharacteristics.TotalConversationDurationMillis")
    if duration is None and turns and turns[-1].offset_seconds is not None:
        duration = turns[-1].offset_seconds * 1000
    if started is not None and duration is not None:
        if started + timedelta(milliseconds=duration) > now + timedelta(days=1):
            raise RecordError("file name", "the contact would end in the future")
    return InteractionRecord(
        external_id=contact_id or "", source=SOURCE, channel=channel,
        started_at=started, language=text_field(doc.get("LanguageCode"), "LanguageCode"),
        handle_time_seconds=int(round(duration / 1000)) if duration is not None else None,
        turns=turns,
    )
