"""PII redaction: applied to transcript text before anything is stored.

Built-in patterns, each replaced by a typed placeholder:
- ``[EMAIL]`` e-mail addresses;
- ``[CARD]`` payment-card numbers: 13–19 digits, optionally grouped by spaces or dashes, that
  pass the Luhn check. A digit run that fails Luhn is left alone: it is an order or reference
  number far more often than a mistyped card, and blanking it would hide the evidence an
  evaluator needs (documented choice);
- ``[IBAN]`` IBANs (country code, check digits, 11–30 letters/digits, spaced or not) whose
  mod-97 check passes;
- ``[PHONE]`` phone numbers with 10–15 digits: international (+44 20 7946 0958), national
  (07700 900123), US style ((555) 123-4567, 555.123.4567). Shorter runs, dates, times, amounts
  and order numbers such as #A-10293 are left alone.

More patterns: a YAML file ``redaction.yaml`` in the user config directory (or
``--redact-patterns FILE``)::

    patterns:
      - name: POSTCODE
        regex: '\\b[A-Z]{1,2}\\d[A-Z\\d]? ?\\d[A-Z]{2}\\b'

Each match becomes ``[POSTCODE]``. A bad regular expression is a one-line error naming the file
and the pattern.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .errors import InputError

EMAIL = re.compile(r"(?<![\w.+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
CARD = re.compile(r"(?<![\w-])\d(?:[ -]?\d){12,18}(?![\w-])")
IBAN = re.compile(r"(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}(?![A-Za-z0-9])")
PHONE = re.compile(
    r"(?<![\w#/-])(?:\+\d{1,3}[ .-]?)?(?:\(\d{1,5}\)[ .-]?)?\d{2,5}(?:[ .-]?\d{2,5}){1,5}(?![\w-])"
)
NAME_RE = re.compile(r"^[A-Z][A-Z0-9_]{1,30}$")


def luhn_ok(digits: str) -> bool:
    """The Luhn checksum of a digit string."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def iban_ok(text: str) -> bool:
    """The ISO 13616 mod-97 check of an IBAN (spaces allowed)."""
    compact = text.replace(" ", "").upper()
    if not 15 <= len(compact) <= 34:
        return False
    moved = compact[4:] + compact[:4]
    number = "".join(str(int(c, 36)) for c in moved)
    return int(number) % 97 == 1


@dataclass
class Redactor:
    """Applies the built-in and any extra patterns; counts what it replaced by type."""

    extra: list[tuple[str, re.Pattern[str]]] = field(default_factory=list)

    def _sub(self, pattern: re.Pattern[str], text: str, name: str, counts: Counter[str],
             accept: Callable[[str], bool] | None = None) -> str:
        def repl(match: re.Match[str]) -> str:
            if accept is not None and not accept(match.group(0)):
                return match.group(0)
            counts[name] += 1
            return f"[{name}]"

        return pattern.sub(repl, text)

    def redact(self, text: str) -> tuple[str, Counter[str]]:
        """(redacted text, Counter of placeholders used)."""
        counts: Counter[str] = Counter()
        if not text:
            return text, counts
        digits = sum(ch.isdigit() for ch in text)
        kept: list[str] = []  # IBAN-shaped runs that failed their check

        def keep(match: re.Match[str]) -> str:
            kept.append(match.group(0))
            return f"\x00{len(kept) - 1}\x00"

        if digits >= 13:
            text = self._sub(IBAN, text, "IBAN", counts, iban_ok)
            text = self._sub(CARD, text, "CARD", counts,
                             lambda s: luhn_ok(re.sub(r"\D", "", s)))
            # a failed IBAN stays as written, and no later pattern eats part of it
            text = IBAN.sub(keep, text)
        if "@" in text:
            text = self._sub(EMAIL, text, "EMAIL", counts)
        if digits >= 10:
            text = self._sub(PHONE, text, "PHONE", counts,
                             lambda s: 10 <= sum(c.isdigit() for c in s) <= 15)
        if kept:
            text = re.sub("\x00(\\d+)\x00", lambda m: kept[int(m.group(1))], text)
        for name, pattern in self.extra:
            text = self._sub(pattern, text, name, counts)
        return text, counts


def load_patterns(path: Path) -> list[tuple[str, re.Pattern[str]]]:
    """Extra patterns from a YAML file (see the module docstring)."""
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read redaction patterns ({exc})") from None
    except yaml.YAMLError as exc:
        raise InputError(f"{path}: not valid YAML ({str(exc).splitlines()[0]})") from None
    items = (data or {}).get("patterns") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise InputError(f"{path}: expected 'patterns:' with a list of name/regex entries")
    out = []
    for n, item in enumerate(items, start=1):
        if not isinstance(item, dict) or "name" not in item or "regex" not in item:
            raise InputError(f"{path}: pattern {n}: needs 'name' and 'regex'")
        name = str(item["name"]).strip().upper()
        if not NAME_RE.match(name):
            raise InputError(f"{path}: pattern {n}: field 'name': {item['name']!r} must be "
                             "letters, digits and _ (it becomes [NAME])")
        try:
            out.append((name, re.compile(str(item["regex"]))))
        except re.error as exc:
            raise InputError(f"{path}: pattern {name}: field 'regex': {exc}") from None
    return out


def default_redactor(extra_file: Path | None = None) -> Redactor:
    """The built-in patterns plus ``redaction.yaml`` from the config directory (if present)
    and ``extra_file`` (if given)."""
    from .locations import config_directory

    extra: list[tuple[str, re.Pattern[str]]] = []
    user_file = config_directory() / "redaction.yaml"
    if user_file.exists():
        extra += load_patterns(user_file)
    if extra_file is not None:
        extra += load_patterns(extra_file)
    return Redactor(extra=extra)
