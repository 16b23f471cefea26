"""PII redaction on real-looking text: what must go, and what must stay."""

from __future__ import annotations

import pytest

from qa_calibrate.errors import InputError
from qa_calibrate.redact import Redactor, iban_ok, load_patterns, luhn_ok

R = Redactor()


@pytest.mark.parametrize("text, expected, kind", [
    ("write to jane.doe+billing@example.co.uk today", "write to [EMAIL] today", "EMAIL"),
    ("My email is J.Smith@mail.example.com.", "My email is [EMAIL].", "EMAIL"),
    ("card 4111 1111 1111 1111 expires 09/28", "card [CARD] expires 09/28", "CARD"),
    ("card 4111-1111-1111-1111", "card [CARD]", "CARD"),
    ("amex 378282246310005 please", "amex [CARD] please", "CARD"),
    ("IBAN GB82 WEST 1234 5698 7654 32 for the refund", "IBAN [IBAN] for the refund", "IBAN"),
    ("DE89370400440532013000", "[IBAN]", "IBAN"),
    ("call me on +44 20 7946 0958", "call me on [PHONE]", "PHONE"),
    ("mobile 07700 900123", "mobile [PHONE]", "PHONE"),
    ("US (555) 123-4567 or 555.123.4567", "US [PHONE] or [PHONE]", "PHONE"),
    ("dial 0044 20 7946 0958", "dial [PHONE]", "PHONE"),
])
def test_pii_is_replaced_by_a_typed_placeholder(text, expected, kind):
    out, counts = R.redact(text)
    assert out == expected
    assert counts[kind] >= 1


@pytest.mark.parametrize("text", [
    "card 4111 1111 1111 1112 fails Luhn",  # not a card number
    "IBAN GB83 WEST 1234 5698 7654 32 has a wrong check digit",
    "order #A-10293 placed on 2026-05-01 at 10:30",
    "refund of 1,250.00 GBP, reference 12345678",
    "ticket 2026/05/01-7781 and version 4.12.3",
    "no PII here at all",
])
def test_lookalikes_are_left_alone(text):
    out, counts = R.redact(text)
    assert out == text and not counts


def test_checks():
    assert luhn_ok("4111111111111111") and not luhn_ok("4111111111111112")
    assert iban_ok("GB82 WEST 1234 5698 7654 32") and not iban_ok("GB83WEST12345698765432")


def test_extra_patterns_from_yaml(tmp_path):
    f = tmp_path / "redaction.yaml"
    f.write_text("patterns:\n  - name: postcode\n    regex: '\\b[A-Z]{1,2}\\d[A-Z\\d]? ?\\d[A-Z]{2}\\b'\n")
    r = Redactor(extra=load_patterns(f))
    assert r.redact("deliver to LS1 4AP please")[0] == "deliver to [POSTCODE] please"
    f.write_text("patterns:\n  - name: BAD\n    regex: '([a-z'\n")
    with pytest.raises(InputError, match="pattern BAD: field 'regex'"):
        load_patterns(f)
