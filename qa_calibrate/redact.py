"""PII redaction: applied to transcript text before anything is stored.

Built-in patterns, each match replaced by a typed placeholder (applied in this order):

- ``[EMAIL]`` e-mail addresses;
- ``[IBAN]`` IBANs: country code, check digits and the national account number, spaced in
  groups of four or not, of the length the IBAN registry sets for that country and passing the
  ISO 13616 mod-97 check. An IBAN-shaped run whose check fails is left alone *and* shielded
  from the card and phone patterns, so it is not half-redacted;
- ``[CARD]`` payment-card numbers: 13–19 digits, optionally grouped by single spaces or dashes,
  that pass the Luhn check. **A run that fails Luhn is left alone**, even a 16-digit run grouped
  like a card: in contact-centre text such runs are tracking, order, account and reference
  numbers far more often than mistyped cards, and blanking them removes what an evaluator needs
  to judge accuracy ("did the agent quote the right reference?"). A team that wants every
  card-shaped run gone adds a pattern (see below), e.g.
  ``{name: CARD_LIKE, regex: '\\b(?:\\d{4}[ -]?){3}\\d{4}\\b'}``;
- ``[PHONE]`` phone numbers of 9–15 digits: international (+44 20 7946 0958, 0044 20 7946
  0958, +1 (555) 123-4567), national with a trunk 0 (07700 900123, 020 7946 0958) and North
  American (555-123-4567, (555) 123-4567, 555.123.4567), separated by spaces, dashes or dots.
  Dates, times, amounts (1,250.00), version numbers and order numbers such as #A-10293 are
  left alone: a match may not touch a letter, ``#``, ``/`` or a decimal point.

More patterns: a YAML file ``redaction.yaml`` in the user config directory
(``qa_calibrate.locations.config_directory()``) and/or a file given with ``--redact-patterns``::

    patterns:
      - name: POSTCODE
        regex: '\\b[A-Z]{1,2}\\d[A-Z\\d]? ?\\d[A-Z]{2}\\b'

Each match of a user pattern becomes ``[POSTCODE]``; user patterns run after the built-in ones,
in file order. A bad file or regular expression is a one-line error naming the file and the
pattern.

Speed: :meth:`Redactor.redact_many` joins a batch of texts and finds the few that can hold PII
with two C-level scans (an ``@``, or a run of at least 7 digits and separators — every phone,
card and IBAN contains one); only those texts go through the full patterns.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import accumulate
from pathlib import Path

import yaml

from .errors import InputError

EMAIL = re.compile(
    r"(?<![\w.%+'\-])[\w.%+'\-]*\w@\w[\w\-]*(?:\.[\w\-]+)*\.[A-Za-z]{2,}(?![\w\-]|\.\w)"
)

# IBAN lengths by country, from the SWIFT IBAN registry.
IBAN_LENGTHS: dict[str, int] = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22,
    "BI": 27, "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DJ": 27,
    "DK": 18, "DO": 28, "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FK": 18, "FO": 18, "FR": 27,
    "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22,
    "IL": 23, "IQ": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32,
    "LI": 21, "LT": 20, "LU": 20, "LV": 21, "LY": 25, "MC": 27, "MD": 24, "ME": 22, "MK": 19,
    "MN": 20, "MR": 27, "MT": 31, "MU": 30, "NI": 28, "NL": 18, "NO": 15, "OM": 23, "PK": 24,
    "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "RU": 33, "SA": 24, "SC": 31,
    "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "SO": 23, "ST": 25, "SV": 28, "TL": 23,
    "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20, "YE": 30,
}
# Country code + check digits, then letters/digits in optional single-space groups. The run may
# overshoot into the next words; the registry length decides where the IBAN really ends.
IBAN = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]{2}[0-9]{2}(?: ?[A-Za-z0-9]){10,32}")

CARD = re.compile(r"(?<![\w\-#/])(?<![0-9][.,])[0-9](?:[ \-]?[0-9]){12,18}(?![\w\-]|[.,/][0-9])")

PHONE = re.compile(
    r"""
    (?<![\w#/@+\-])(?<![0-9][.,])     # not inside a word, number, path, order id or amount
    (?:
        (?:\+|00)[1-9][0-9]{0,2}       # country code: +44, 0044
        (?:[ .\-]?\(0\))?              # optional trunk (0)
        (?:[ .\-]?\([0-9]{1,4}\))?     # optional area code in brackets: +1 (555)
        (?:[ .\-]?[0-9]{1,4}){2,6}
      | \([0-9]{2,5}\)[ .\-]?[0-9]{3,4}(?:[ .\-]?[0-9]{2,4}){1,2}  # (555) 123-4567
      | 0[1-9][0-9]{1,4}(?:[ .\-]?[0-9]{2,4}){1,3}               # 07700 900123, 020 7946 0958
      | (?:1[ .\-])?[0-9]{3}[ .\-][0-9]{3}[ .\-][0-9]{4}         # 555-123-4567, 1-800-555-0199
    )
    (?![\w@]|[.,\-/:][0-9])           # not followed by more of a word or number
    """,
    re.VERBOSE,
)
PHONE_DIGITS = (9, 15)

# Every phone, card and IBAN above contains a run of >= 7 digits and separators (checked against
# the IBAN registry's national formats); a text without one and without "@" cannot match.
# Digits are ASCII 0-9 throughout: Luhn and mod-97 read them so, and [0-9] scans faster than \d.
_CANDIDATE_RUN = re.compile(r"[0-9][0-9 .()\-]{5,}[0-9]")
_GROUPS = re.compile(r"[0-9]+")
_SHIELD = re.compile("\x00([0-9]+)\x00")
NAME_RE = re.compile(r"^[A-Z][A-Z0-9_]{0,31}$")
BATCH = 20_000  # texts joined for one prefilter scan


def luhn_ok(digits: str) -> bool:
    """The Luhn checksum of a string of digits."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def iban_ok(text: str) -> bool:
    """True when ``text`` (spaces allowed) is an IBAN of its country's length whose mod-97
    check passes."""
    compact = text.replace(" ", "").upper()
    if IBAN_LENGTHS.get(compact[:2]) != len(compact) or not (compact.isascii()
                                                              and compact.isalnum()):
        return False
    if not compact[2:4].isdigit():
        return False
    moved = compact[4:] + compact[:4]
    return int("".join(str(int(c, 36)) for c in moved)) % 97 == 1


def _iban_span(candidate: str) -> int | None:
    """Length (in characters of ``candidate``) of the IBAN-shaped prefix: the registry length
    of alphanumerics, ending at a group boundary. None when the country is unknown or the
    candidate is too short."""
    length = IBAN_LENGTHS.get(candidate[:2].upper())
    if length is None:
        return None
    seen = 0
    for pos, ch in enumerate(candidate):
        if ch != " ":
            seen += 1
            if seen == length:
                end = pos + 1
                if end < len(candidate) and candidate[end] != " ":
                    return None  # the registry length ends inside a group: not an IBAN
                return end
    return None


def _count(counts: Counter[str], name: str) -> str:
    counts[name] += 1
    return f"[{name}]"


def _windows(match: str) -> list[tuple[int, int, str]]:
    """Digit groups of a match: (start, end, digits)."""
    return [(g.start(), g.end(), g.group()) for g in _GROUPS.finditer(match)]


@dataclass
class Redactor:
    """Applies the built-in patterns and any extra ``(name, pattern)`` pairs; counts the
    placeholders it wrote by type."""

    extra: list[tuple[str, re.Pattern[str]]] = field(default_factory=list)

    # -- the built-in passes -------------------------------------------------------------------
    @staticmethod
    def _card(match: re.Match[str], counts: Counter[str]) -> str:
        text = match.group(0)
        groups = _windows(text)
        # The longest run of whole groups with 13-19 digits that passes Luhn (the match may
        # have picked up a neighbouring number).
        best: tuple[int, int] | None = None
        for i in range(len(groups)):
            digits = ""
            for j in range(i, len(groups)):
                digits += groups[j][2]
                if len(digits) > 19:
                    break
                if len(digits) >= 13 and luhn_ok(digits):
                    span = (groups[i][0], groups[j][1])
                    if best is None or span[1] - span[0] > best[1] - best[0]:
                        best = span
        if best is None:
            return text
        counts["CARD"] += 1
        return f"{text[:best[0]]}[CARD]{text[best[1]:]}"

    @staticmethod
    def _phone(match: re.Match[str], counts: Counter[str]) -> str:
        text = match.group(0)
        low, high = PHONE_DIGITS
        digits = sum(ch.isdigit() for ch in text)
        end = len(text)
        if digits > high:  # ran on into a following number: drop trailing groups
            groups = _windows(text)
            while groups and digits > high:
                digits -= len(groups.pop()[2])
            end = groups[-1][1] if groups else 0
        if not low <= digits <= high:
            return text
        counts["PHONE"] += 1
        return f"[PHONE]{text[end:]}"

    @staticmethod
    def _ibans(text: str, counts: Counter[str], shielded: list[str]) -> str:
        """Replace valid IBANs; shield IBAN-shaped runs whose check fails (see module doc)."""
        out: list[str] = []
        last = pos = 0
        while (match := IBAN.search(text, pos)) is not None:
            candidate = match.group(0)
            end = _iban_span(candidate)
            if end is None:  # not IBAN-shaped here; a later word may start one
                pos = match.start() + 1
                continue
            out.append(text[last:match.start()])
            if iban_ok(candidate[:end]):
                counts["IBAN"] += 1
                out.append("[IBAN]")
            else:
                shielded.append(candidate[:end])
                out.append(f"\x00{len(shielded) - 1}\x00")
            last = pos = match.start() + end
        if not out:
            return text
        out.append(text[last:])
        return "".join(out)

    def _builtin(self, text: str, counts: Counter[str]) -> str:
        if "@" in text:
            text = EMAIL.sub(lambda m: _count(counts, "EMAIL"), text)
        if _CANDIDATE_RUN.search(text) is None:
            return text
        shielded: list[str] = []
        if "\x00" not in text:  # NUL marks shielded runs; texts never hold one (import refuses)
            text = self._ibans(text, counts, shielded)
        text = CARD.sub(lambda m: self._card(m, counts), text)
        text = PHONE.sub(lambda m: self._phone(m, counts), text)
        if shielded:
            text = _SHIELD.sub(lambda m: shielded[int(m.group(1))], text)
        return text

    def _extras(self, text: str, counts: Counter[str]) -> str:
        for name, pattern in self.extra:
            placeholder = f"[{name}]"

            def repl(_m: re.Match[str], name: str = name, placeholder: str = placeholder) -> str:
                counts[name] += 1
                return placeholder

            text = pattern.sub(repl, text)
        return text

    # -- public --------------------------------------------------------------------------------
    def redact(self, text: str) -> tuple[str, Counter[str]]:
        """(redacted text, Counter of the placeholders written, by type)."""
        counts: Counter[str] = Counter()
        if not text:
            return text, counts
        text = self._builtin(text, counts)
        if self.extra:
            text = self._extras(text, counts)
        return text, counts

    def redact_many(self, texts: Sequence[str]) -> tuple[dict[int, str], Counter[str]]:
        """Redact a list of texts: ({index: new text} for the texts that changed, counts).

        Same result as calling :meth:`redact` on each text, much faster on large batches."""
        counts: Counter[str] = Counter()
        changed: dict[int, str] = {}
        for lo in range(0, len(texts), BATCH):
            part = texts[lo:lo + BATCH]
            joined = "\x00".join(part)
            hits: set[int] = set()
            positions = [m.start() for m in _CANDIDATE_RUN.finditer(joined)]
            at = joined.find("@")
            while at != -1:
                positions.append(at)
                at = joined.find("@", at + 1)
            if positions:
                starts = list(accumulate((len(t) + 1 for t in part), initial=0))
                hits = {bisect_right(starts, pos) - 1 for pos in positions}
            for i in sorted(hits):
                new = self._builtin(part[i], counts)
                if new != part[i]:
                    changed[lo + i] = new
        if self.extra:
            for i, text in enumerate(texts):
                current = changed.get(i, text)
                new = self._extras(current, counts)
                if new != current:
                    changed[i] = new
        return changed, counts


def load_patterns(path: Path) -> list[tuple[str, re.Pattern[str]]]:
    """Extra patterns from a YAML file (format in the module docstring)."""
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise InputError(f"{path}: cannot read redaction patterns ({reason})") from None
    except yaml.YAMLError as exc:
        raise InputError(f"{path}: not valid YAML ({str(exc).splitlines()[0]})") from None
    items = data.get("patterns") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise InputError(f"{path}: field 'patterns': expected a list of {{name, regex}} entries")
    out: list[tuple[str, re.Pattern[str]]] = []
    for n, item in enumerate(items, start=1):
        if not isinstance(item, dict) or not item.get("name") or not item.get("regex"):
            raise InputError(f"{path}: pattern {n}: needs 'name' and 'regex'")
        name = str(item["name"]).strip().upper()
        if not NAME_RE.match(name):
            raise InputError(f"{path}: pattern {n}: field 'name': {item['name']!r} must be "
                             "letters, digits and _ (it becomes [NAME])")
        try:
            compiled = re.compile(str(item["regex"]))
        except re.error as exc:
            raise InputError(f"{path}: pattern {name}: field 'regex': {exc}") from None
        if compiled.search("") is not None:
            raise InputError(f"{path}: pattern {name}: field 'regex': matches empty text")
        out.append((name, compiled))
    return out


def default_redactor(extra_file: Path | None = None) -> Redactor:
    """The built-in patterns, plus ``redaction.yaml`` from the config directory when it exists,
    plus ``extra_file`` when given."""
    from .locations import config_directory

    extra: list[tuple[str, re.Pattern[str]]] = []
    user_file = config_directory() / "redaction.yaml"
    if user_file.exists():
        extra += load_patterns(user_file)
    if extra_file is not None:
        extra += load_patterns(extra_file)
    return Redactor(extra=extra)
