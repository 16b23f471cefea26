"""Transcript import: detect the shape, parse, validate, redact, write — one transaction a file.

Canonical schema
================

Every input shape is mapped onto these fields.

Interaction
    ``external_id``      required; text. Unique within its source.
    ``source``           optional; default: the ``--source`` option, else ``default``
                         (Contact Lens documents: the ``--source`` option, else
                         ``amazon_connect``). (source, external_id) identifies an interaction:
                         importing it again is skipped, not duplicated.
    ``channel``          required: ``chat`` | ``voice`` | ``email``, any case; also ``phone`` /
                         ``call`` → voice, ``mail`` / ``e-mail`` → email, ``webchat`` /
                         ``messaging`` / ``sms`` → chat.
    ``agent``, ``team``, ``site``, ``queue``, ``language``   optional text.
    ``started_at``       optional ISO 8601 date-time; without a zone it is UTC; stored as aware
                         UTC. More than a day in the future is refused.
    ``handle_time_seconds``  optional whole number >= 0 (at most a week).
    ``csat``             optional number 0–100, kept as given (a 1–5 score stays 1–5).
Turn
    ``seq``              optional whole number giving the order; file order otherwise. Stored
                         renumbered 0, 1, 2... in that order.
    ``speaker``          required: ``agent`` | ``customer`` | ``system``, any case; also
                         advisor / rep / representative → agent, caller / client / user →
                         customer, bot / ivr / automated → system.
    ``offset_seconds``   optional number >= 0: seconds from the start of the interaction; or
    ``timestamp``        ISO 8601, turned into seconds after ``started_at`` (which it then
                         needs, and may not precede).
    ``text``             required, not empty, at most 100,000 characters, no NUL.

Shapes (told apart by content, not by extension)
    1. JSON: one interaction object, a list of them, or ``{"interactions": [...]}``; each with
       ``"turns": [{"speaker": ..., "text": ..., ...}]``.
    2. JSONL: one interaction object per line.
    3. CSV, one row per turn: interaction columns + ``speaker``, ``text`` (+ ``seq``,
       ``offset_seconds`` / ``timestamp``). Rows are grouped by (source, external_id) and need
       not be adjacent; the interaction fields come from the first row, and a different
       non-empty value in a later row is an error naming that row and field.
    4. CSV, one row per interaction: interaction columns + ``transcript``, whose lines read
       ``Speaker: text``, optionally prefixed ``[mm:ss]`` or ``[hh:mm:ss]``.
    5. Amazon Connect Contact Lens analysis output (JSON), one document or a list; see
       :mod:`.contact_lens` for the mapping. Agent, team, site, queue and CSAT are not in
       that file and stay empty.
    CSV column names are case-insensitive (``External ID`` = ``external_id``); the delimiter
    (comma, semicolon or tab) is read from the header row; unknown columns are ignored.

Files are UTF-8, with or without BOM, else cp1252. Each file is one transaction: it is read
and checked whole, then written. A bad record stops the file with one error line naming the
file, row / line / item and field, and nothing of that file is stored (files imported before
it stay). With ``on_error='skip'`` bad records are left out and written to ``<file>.rejects``
next to the input (CSV rows with an ``error`` column; JSON and JSONL records as JSONL with an
``error`` key); in a per-turn CSV one bad row rejects its whole interaction. PII is redacted
before anything is stored, unless ``redact=False`` (see :mod:`qa_calibrate.redact`); whether it
was is kept in ``Interaction.redacted``.
"""

from __future__ import annotations

from .pipeline import ImportResult, expand, import_file, import_transcripts, parse_file
from .records import InteractionRecord, RecordError

__all__ = ["ImportResult", "InteractionRecord", "RecordError", "expand", "import_file",
           "import_transcripts", "parse_file"]
