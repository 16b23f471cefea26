"""PII redaction: applied to every free text before it is stored or printed.

What it runs on (the callers): turn text and the interaction fields (agent, team, site, queue,
language, external id) on import, the rejects file of ``--on-error skip``, evaluation-import
comments, ``score --comment``, consensus notes, coaching notes, file names written to the audit
log, every CLI error line, and the text cells of the coaching workbook. Agent and team names are
not redacted as names (QA needs them); an e-mail or phone number planted inside one is.

Matching runs on a copy of the text folded the way NFKC folds it, one character for one (so
positions stay those of the original): full-width and other compatibility forms become ASCII
(``０７７００`` → ``07700``), every Unicode decimal digit becomes 0-9, non-breaking and other
spaces a space, Unicode dashes and minus signs ``-``. Placeholders then replace the matched
spans of the original text. Built-in patterns, each match replaced by a typed placeholder
(applied in this order):

- ``[EMAIL]`` e-mail addresses;
- ``[IBAN]`` IBANs: country code, check digits and the national account number, spaced in
  groups of four or not, of the length the IBAN registry sets for that country and passing
  python-stdnum's IBAN check (ISO 13616 mod 97 and the country's format). An IBAN-shaped run
  whose check fails is left alone *and* shielded from the card and phone patterns, so it is not
  half-redacted;
- ``[CARD]`` payment-card numbers: 13–19 digits, optionally grouped by single spaces or dashes,
  that pass the Luhn check (python-stdnum). **A run that fails Luhn is left alone**, even a
  16-digit run grouped like a card: in contact-centre text such runs are tracking, order,
  account and reference numbers far more often than mistyped cards, and blanking them removes
  what an evaluator needs to judge accuracy ("did the agent quote the right reference?"). A team
  that wants every card-shaped run gone adds a pattern (see below), e.g.
  ``{name: CARD_LIKE, regex: '\\b(?:\\d{4}[ -]?){3}\\d{4}\\b'}``;
- ``[PHONE]`` phone numbers of 9–15 digits: international (+44 20 7946 0958, 0044 20 7946
  0958, +1 (555) 123-4567), national with a trunk 0 (07700 900123, 020 7946 0958) and North
  American (555-123-4567, (555) 123-4567, 555.123.4567), separated by spaces, dashes or dots;
  then whatever the ``phonenumbers`` library (libphonenumber's matcher, leniency VALID) finds as
  a valid UK or US number, such as a bare ``2125550123``.
  Dates, times, amounts (1,250.00, $1,234.56), version numbers and order numbers such as
  #A-10293 or ORD-12345678 are left alone: a match may not touch a letter, ``#``, ``/`` or a
  decimal point, and a bare digit run is a phone only when libphonenumber calls it a valid
  number (``1000234567`` is not).

Optional, off by default (store settings ``redact_names`` and ``redact_addresses``, or
``import transcripts --redact-names/--redact-addresses``):

- ``[NAME]`` the names of the store's people and agents, plus the ``names:`` list of
  ``redaction.yaml``, as whole words in any case;
- ``[ADDRESS]`` a house number, one to four street words and a street suffix (``221B Baker
  Street``, ``12 Acacia Ave``); ``[POSTCODE]`` UK postcodes (``LS1 4AP``) and US ZIP codes after a
  state abbreviation (``NY 10001``).

More patterns: a YAML file ``redaction.yaml`` in the user config directory
(``qa_calibrate.locations.config_directory()``) and/or a file given with ``--redact-patterns``::

    patterns:
      - name: TICKET
        regex: 'TCK-\\d{5}'
    names: [Jane Customer, John Caller]

Each match of a user pattern becomes ``[TICKET]``; user patterns run after the built-in ones,
in file order. A bad file or regular expression is a one-line error naming the file and the
pattern.

Speed: :meth:`Redactor.redact_many` joins a batch of texts and finds the few that can hold PII
with two C-level scans (an ``@``, or a run of at least 7 digits and separators — every phone,
card and IBAN contains one); only those texts go through the full patterns.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import accumulate
from pathlib import Path
from typing import Any

import yaml
from stdnum import iban as stdnum_iban
from stdnum import luhn as stdnum_luhn

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
PHONE_REGIONS = ("GB", "US")  # libphonenumber reads national numbers as these countries'

ADDRESS = re.compile(
    r"\b[0-9]{1,5}[A-Za-z]?,? (?:[A-Z][a-z']+ ){1,4}"
    r"(?:Street|St|Road|Rd|Avenue|Ave|Lane|Ln|Drive|Dr|Close|Way|Boulevard|Blvd|Court|Ct|"
    r"Place|Pl|Crescent|Cres|Terrace|Gardens|Square|Sq|Parkway|Pkwy|Highway|Hwy|Grove|Row|"
    r"Mews|Hill)\b\.?")
POSTCODE = re.compile(
    r"\b(?:[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][ABD-HJLNP-UW-Z]{2}"  # UK: LS1 4AP, SW1A 1AA
    r"|(?<=[A-Z]{2} )[0-9]{5}(?:-[0-9]{4})?)\b")  # US ZIP after a state: NY 10001

# Every phone, card and IBAN above contains a run of >= 7 digits and separators (checked against
# the IBAN registry's national formats); a text without one and without "@" cannot match.
# Digits are ASCII 0-9 throughout (the text is folded first): [0-9] scans faster than \d.
_CANDIDATE_RUN = re.compile(r"[0-9][0-9 .()\-]{5,}[0-9]")
_LONG_RUN = re.compile(r"[0-9](?:[ .()\-]{0,2}[0-9]){8,}")  # enough digits for libphonenumber
_GROUPS = re.compile(r"[0-9]+")
_UNICODE_DIGIT = re.compile(r"(?=[^0-9])\d")
MASK = "\ue000"  # stands in for a span already claimed: no word character, no digit
NAME_RE = re.compile(r"^[A-Z][A-Z0-9_]{0,31}$")
BATCH = 20_000  # texts joined for one prefilter scan

Span = tuple[int, int, str | None]  # (start, end, placeholder name, or None: leave as it is)


@lru_cache(maxsize=1)
def _fold_table() -> dict[int, str]:
    """One character for one: what NFKC makes of the compatibility forms that can spell PII
    (full-width letters, digits and punctuation, odd spaces), plus every Unicode dash."""
    table: dict[int, str] = {}
    blocks = (range(0x80, 0x100), range(0x2000, 0x2070), range(0x3000, 0x3001),
              range(0xFE50, 0xFE70), range(0xFF00, 0xFF66))
    for block in blocks:
        for cp in block:
            folded = unicodedata.normalize("NFKC", chr(cp))
            if len(folded) == 1 and folded.isascii() and folded.isprintable():
                table[cp] = folded
    for dash in "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d":
        table[ord(dash)] = "-"
    for space in "\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009" \
                 "\u200a\u202f\u205f\u3000":
        table[ord(space)] = " "
    return table


def fold(text: str) -> str:
    """``text`` with the characters that can hide PII folded to ASCII, one for one (so every
    position means the same character in both)."""
    if text.isascii():
        return text
    folded = text.translate(_fold_table())
    if _UNICODE_DIGIT.search(folded):
        folded = _UNICODE_DIGIT.sub(lambda m: str(unicodedata.digit(m.group(), 0)), folded)
    return folded


def luhn_ok(digits: str) -> bool:
    """The Luhn checksum of a string of digits (python-stdnum)."""
    return bool(digits) and digits.isdigit() and bool(stdnum_luhn.is_valid(digits))


def iban_ok(text: str) -> bool:
    """True when ``text`` (spaces allowed) is an IBAN of its country's registry length that
    python-stdnum accepts (mod 97 and, where it knows it, the country's format)."""
    compact = text.replace(" ", "").upper()
    if IBAN_LENGTHS.get(compact[:2]) != len(compact) or not (compact.isascii()
                                                              and compact.isalnum()):
        return False
    return bool(stdnum_iban.is_valid(compact))


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


def _windows(match: str) -> list[tuple[int, int, str]]:
    """Digit groups of a match: (start, end, digits)."""
    return [(g.start(), g.end(), g.group()) for g in _GROUPS.finditer(match)]


def _card_span(text: str) -> tuple[int, int] | None:
    """The longest run of whole digit groups of ``text`` with 13-19 digits that passes Luhn (a
    match may have picked up a neighbouring number)."""
    groups = _windows(text)
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
    return best


def _phone_end(text: str) -> int | None:
    """Where the phone number at the start of ``text`` ends, or None when its digits are too
    few or too many."""
    low, high = PHONE_DIGITS
    digits = sum(ch.isdigit() for ch in text)
    end = len(text)
    if digits > high:  # ran on into a following number: drop trailing groups
        groups = _windows(text)
        while groups and digits > high:
            digits -= len(groups.pop()[2])
        end = groups[-1][1] if groups else 0
    if not low <= digits <= high:
        return None
    return end


def _names_pattern(names: Iterable[str]) -> re.Pattern[str] | None:
    words = sorted({" ".join(n.split()) for n in names if n and len(n.strip()) > 1},
                   key=len, reverse=True)
    if not words:
        return None
    alternatives = "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in words)
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)


@dataclass
class Redactor:
    """Applies the built-in patterns and any extra ``(name, pattern)`` pairs; counts the
    placeholders it wrote by type. ``names`` (whole words, any case) and ``addresses`` are the
    optional passes (module docstring)."""

    extra: list[tuple[str, re.Pattern[str]]] = field(default_factory=list)
    names: Sequence[str] = ()
    addresses: bool = False
    _names_re: re.Pattern[str] | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        self._names_re = _names_pattern(self.names)

    @property
    def _optional(self) -> bool:
        return self._names_re is not None or self.addresses

    # -- the built-in passes: spans on the folded text ------------------------------------------
    @staticmethod
    def _claim(work: list[str], spans: list[Span], start: int, end: int,
               name: str | None) -> None:
        spans.append((start, end, name))
        work[0] = work[0][:start] + MASK * (end - start) + work[0][end:]

    def _spans(self, folded: str) -> list[Span]:
        spans: list[Span] = []
        work = [folded]  # the folded text with claimed spans masked, so no pass matches twice
        if "@" in folded:
            for match in list(EMAIL.finditer(folded)):
                self._claim(work, spans, match.start(), match.end(), "EMAIL")
        if _CANDIDATE_RUN.search(folded) is not None:
            pos = 0
            while (found := IBAN.search(work[0], pos)) is not None:
                candidate = found.group(0)
                end = _iban_span(candidate)
                if end is None:  # not IBAN-shaped here; a later word may start one
                    pos = found.start() + 1
                    continue
                # a failing IBAN is claimed too (name None): shielded, left as it is
                self._claim(work, spans, found.start(), found.start() + end,
                            "IBAN" if iban_ok(candidate[:end]) else None)
                pos = found.start() + end
            for match in list(CARD.finditer(work[0])):
                best = _card_span(match.group(0))
                if best is not None:
                    self._claim(work, spans, match.start() + best[0], match.start() + best[1],
                                "CARD")
            for match in list(PHONE.finditer(work[0])):
                end = _phone_end(match.group(0))
                if end is not None:
                    self._claim(work, spans, match.start(), match.start() + end, "PHONE")
            if _LONG_RUN.search(work[0]) is not None:
                self._library_phones(work, spans)
        if self._names_re is not None:
            for match in list(self._names_re.finditer(work[0])):
                self._claim(work, spans, match.start(), match.end(), "NAME")
        if self.addresses:
            for pattern, name in ((ADDRESS, "ADDRESS"), (POSTCODE, "POSTCODE")):
                for match in list(pattern.finditer(work[0])):
                    self._claim(work, spans, match.start(), match.end(), name)
        return spans

    def _library_phones(self, work: list[str], spans: list[Span]) -> None:
        import phonenumbers

        for region in PHONE_REGIONS:
            found = [(m.start, m.end) for m in phonenumbers.PhoneNumberMatcher(
                work[0], region, leniency=phonenumbers.Leniency.VALID)]
            for start, end in found:
                if MASK not in work[0][start:end]:
                    self._claim(work, spans, start, end, "PHONE")

    def _builtin(self, text: str, counts: Counter[str]) -> str:
        spans = self._spans(fold(text))
        if not any(name for _s, _e, name in spans):
            return text
        out: list[str] = []
        last = 0
        for start, end, name in sorted(spans):
            if name is None:
                continue
            counts[name] += 1
            out.append(text[last:start])
            out.append(f"[{name}]")
            last = end
        out.append(text[last:])
        return "".join(out)

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

    def text(self, value: str) -> str:
        """Just the redacted text."""
        return self.redact(value)[0]

    def optional_text(self, value: str | None) -> str | None:
        """The redacted text; None stays None."""
        return None if value is None else self.redact(value)[0]

    def redact_many(self, texts: Sequence[str]) -> tuple[dict[int, str], Counter[str]]:
        """Redact a list of texts: ({index: new text} for the texts that changed, counts).

        Same result as calling :meth:`redact` on each text, much faster on large batches."""
        counts: Counter[str] = Counter()
        changed: dict[int, str] = {}
        for lo in range(0, len(texts), BATCH):
            part = texts[lo:lo + BATCH]
            if self._optional:  # names and addresses carry no digit or "@" to find them by
                hits: set[int] = set(range(len(part)))
            else:
                joined = "\x00".join(t if t.isascii() else fold(t) for t in part)
                hits = set()
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


def _read_config(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise InputError(f"{path}: cannot read redaction patterns ({reason})") from None
    except yaml.YAMLError as exc:
        raise InputError(f"{path}: not valid YAML ({str(exc).splitlines()[0]})") from None
    return data if isinstance(data, dict) else {}


def load_patterns(path: Path) -> list[tuple[str, re.Pattern[str]]]:
    """Extra patterns from a YAML file (format in the module docstring)."""
    data = _read_config(path)
    items = data.get("patterns")
    if items is None and isinstance(data.get("names"), list):
        return []  # a file of names only
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


def load_names(path: Path) -> list[str]:
    """The ``names:`` list of a redaction YAML file (empty when it has none)."""
    names = _read_config(path).get("names")
    if names is None:
        return []
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise InputError(f"{path}: field 'names': expected a list of names")
    return [n for n in names if n.strip()]


def _config_files(extra_file: Path | None) -> list[Path]:
    from .locations import config_directory

    files = []
    user_file = config_directory() / "redaction.yaml"
    if user_file.exists():
        files.append(user_file)
    if extra_file is not None:
        files.append(extra_file)
    return files


def default_redactor(extra_file: Path | None = None, *, names: Iterable[str] | None = None,
                     addresses: bool = False) -> Redactor:
    """The built-in patterns, plus ``redaction.yaml`` from the config directory when it exists,
    plus ``extra_file`` when given. With ``names`` (the store's people and agents, say), name
    redaction is on: those names and the files' ``names:`` lists."""
    extra: list[tuple[str, re.Pattern[str]]] = []
    listed: list[str] = []
    for path in _config_files(extra_file):
        extra += load_patterns(path)
        listed += load_names(path)
    return Redactor(extra=extra, names=[*listed, *names] if names is not None else (),
                    addresses=addresses)


_PLAIN: list[Redactor] = []


def scrub(text: str) -> str:
    """``text`` through the built-in patterns only: for text on its way out (error lines, file
    names), where a user's pattern file may itself be what is broken."""
    if not _PLAIN:
        _PLAIN.append(Redactor())
    return _PLAIN[0].redact(text)[0] if text else text


def redactor_for(store: Any, extra_file: Path | None = None, *,
                 names: bool | None = None, addresses: bool | None = None) -> Redactor:
    """``_store_redactor`` in a read transaction of its own (for the layers: an import's
    redactor, built once before its files)."""
    with store.read() as session:
        return _store_redactor(session, extra_file, names=names, addresses=addresses)


def _store_redactor(session: Any, extra_file: Path | None = None, *,
                   names: bool | None = None, addresses: bool | None = None) -> Redactor:
    """The redactor for text entering the store through ``session``: the default patterns, and
    names / addresses when asked (``None``: the store settings ``redact_names`` and
    ``redact_addresses``). The names are the store's people and agents plus the config files'
    ``names:`` lists."""
    from sqlmodel import select

    from . import models as m
    from .access import _get_setting

    if names is None:
        names = _get_setting(session, "redact_names") == "on"
    if addresses is None:
        addresses = _get_setting(session, "redact_addresses") == "on"
    known: list[str] | None = None
    if names:
        known = [n for n in session.exec(select(m.Evaluator.name)).all() if n]
        known += [a for a in session.exec(select(m.Interaction.agent).distinct()).all() if a]
    return default_redactor(extra_file, names=known, addresses=addresses)
