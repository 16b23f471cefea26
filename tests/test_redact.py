"""PII redaction on real-looking contact-centre text: what must go, and what must stay."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qa_calibrate.errors import InputError
from qa_calibrate.redact import Redactor, default_redactor, iban_ok, load_patterns, luhn_ok

R = Redactor()


@pytest.mark.parametrize("text, expected", [
    # e-mail addresses, inside sentences
    ("You can write to jane.doe+billing@example.co.uk today.",
     "You can write to [EMAIL] today."),
    ("My email is J.Smith@mail.example.com.", "My email is [EMAIL]."),
    ("email: anna_k@sub-domain.example.org, thanks", "email: [EMAIL], thanks"),
    ("(reply to o'brien@example.ie)", "(reply to [EMAIL])"),
    # phone numbers in several formats
    ("call me on +44 20 7946 0958 after six", "call me on [PHONE] after six"),
    ("call me on +44 (0)20 7946 0958.", "call me on [PHONE]."),
    ("mobile 07700 900123 or 07700900123", "mobile [PHONE] or [PHONE]"),
    ("landline 020 7946 0958, or 0161 496 0000", "landline [PHONE], or [PHONE]"),
    ("US (555) 123-4567 or 555.123.4567", "US [PHONE] or [PHONE]"),
    ("toll free 1-800-555-0199", "toll free [PHONE]"),
    ("dial 0044 20 7946 0958", "dial [PHONE]"),
    ("+1 (555) 123-4567 / +33 1 23 45 67 89", "[PHONE] / [PHONE]"),
    ("tel.07700 900123", "tel.[PHONE]"),
    # payment cards that pass Luhn
    ("card 4111 1111 1111 1111 expires 09/28", "card [CARD] expires 09/28"),
    ("card 4111-1111-1111-1111", "card [CARD]"),
    ("it's 4111111111111111.", "it's [CARD]."),
    ("amex 3782 822463 10005 please", "amex [CARD] please"),
    ("ref 12 4111 1111 1111 1111 ok", "ref 12 [CARD] ok"),  # a number in front stays
    # IBANs, spaced or not, any case
    ("IBAN GB82 WEST 1234 5698 7654 32 for the refund", "IBAN [IBAN] for the refund"),
    ("IBAN GB82WEST12345698765432.", "IBAN [IBAN]."),
    ("iban gb82 west 1234 5698 7654 32", "iban [IBAN]"),
    ("DE89370400440532013000", "[IBAN]"),
    ("to FR14 2004 1010 0505 0001 3M02 606 and NL91 ABNA 0417 1643 00",
     "to [IBAN] and [IBAN]"),
    ("ab12 GB82 WEST 1234 5698 7654 32", "ab12 [IBAN]"),
])
def test_pii_becomes_a_typed_placeholder(text, expected):
    out, counts = R.redact(text)
    assert out == expected
    assert sum(counts.values()) == expected.count("[")


@pytest.mark.parametrize("text", [
    "card 4111 1111 1111 1112 fails Luhn, so it is not a card",
    "tracking 4111 1111 1111 1112 and account 12345678",
    "IBAN GB83 WEST 1234 5698 7654 32 has a wrong check digit",
    "order #A-10293 placed on 2026-05-01 at 10:30",
    "refund of 1,250.00 GBP, reference 12345678",
    "£1,250,000.00 or 1 250 000 EUR, it costs 12.99 and 1234.56",
    "ticket 2026/05/01-7781 and version 4.12.3",
    "on 15/03/2024 at 09:30-17:30, 15.03.2024 and 2024-03-15T10:30:00Z",
    "we are open 0930-1730, duration 00:05:10, time 10:30:15",
    "IP 192.168.100.200, between 2019 2020 2021 and 2022",
    "order 1000234567 and tracking 1Z999AA10123456784",
    "no PII here at all, just a router that keeps dropping",
    "write to us at support (at) example dot com",
])
def test_lookalikes_are_left_alone(text):
    out, counts = R.redact(text)
    assert out == text and not counts


def test_a_failed_iban_is_not_half_redacted_as_a_card():
    # the digit run of this IBAN-shaped text passes Luhn on its own ...
    assert R.redact("card 1234 5698 7654 06 ok")[0] == "card [CARD] ok"
    # ... but inside an IBAN whose mod-97 check fails it is left whole
    text = "pay to GB82 WEST 1234 5698 7654 06 please"
    assert not iban_ok("GB82 WEST 1234 5698 7654 06")
    assert R.redact(text) == (text, Counter())


def test_counts_by_type_in_one_turn():
    text = ("I'm jo@example.com, card 4111 1111 1111 1111, call 07700 900123 or "
            "+44 20 7946 0958, IBAN GB82 WEST 1234 5698 7654 32")
    out, counts = R.redact(text)
    assert counts == Counter(EMAIL=1, CARD=1, PHONE=2, IBAN=1)
    assert out == "I'm [EMAIL], card [CARD], call [PHONE] or [PHONE], IBAN [IBAN]"


def test_checksums():
    assert luhn_ok("4111111111111111") and not luhn_ok("4111111111111112")
    assert luhn_ok("378282246310005")
    assert iban_ok("GB82 WEST 1234 5698 7654 32") and not iban_ok("GB83WEST12345698765432")
    assert not iban_ok("GB82 WEST 1234 5698 7654")  # too short for GB
    assert not iban_ok("ZZ82 WEST 1234 5698 7654 32")  # no such country


FRAGMENTS = [
    "thanks for waiting", "jane.doe@example.com", "4111 1111 1111 1111",
    "4111 1111 1111 1112", "07700 900123", "+44 20 7946 0958", "GB82 WEST 1234 5698 7654 32",
    "GB83 WEST 1234 5698 7654 32", "order #A-10293", "1,250.00", "2026-05-01 10:30", "café",
    "(555) 123-4567", "12345678", "@", "-", ".", "\n",
]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.sampled_from(FRAGMENTS), max_size=6).map(" ".join), max_size=40))
def test_batch_redaction_equals_one_by_one(texts):
    changed, counts = R.redact_many(texts)
    expected = Counter()
    for i, text in enumerate(texts):
        out, c = R.redact(text)
        expected += c
        assert changed.get(i, text) == out
        assert (i in changed) == (out != text)
    assert counts == expected


def test_extra_patterns_from_yaml(tmp_path):
    f = tmp_path / "redaction.yaml"
    f.write_text("patterns:\n  - name: postcode\n"
                 "    regex: '\\b[A-Z]{1,2}\\d[A-Z\\d]? ?\\d[A-Z]{2}\\b'\n")
    r = Redactor(extra=load_patterns(f))
    assert r.redact("deliver to LS1 4AP please") == ("deliver to [POSTCODE] please",
                                                     Counter(POSTCODE=1))
    changed, counts = r.redact_many(["LS1 4AP", "nothing", "jo@example.com in M1 1AE"])
    assert changed == {0: "[POSTCODE]", 2: "[EMAIL] in [POSTCODE]"}
    assert counts == Counter(POSTCODE=2, EMAIL=1)


@pytest.mark.parametrize("content, message", [
    ("patterns:\n  - name: BAD\n    regex: '([a-z'\n", "pattern BAD: field 'regex':"),
    ("patterns:\n  - name: EMPTY\n    regex: 'x*'\n", "pattern EMPTY: field 'regex': matches"),
    ("patterns:\n  - name: 'no spaces'\n    regex: 'x'\n", "pattern 1: field 'name'"),
    ("patterns:\n  - regex: 'x'\n", "pattern 1: needs 'name' and 'regex'"),
    ("pattern: []\n", "field 'patterns': expected a list"),
    ("patterns: [\n", "not valid YAML"),
])
def test_bad_pattern_file_is_one_line_naming_file_and_pattern(tmp_path, content, message):
    f = tmp_path / "extra.yaml"
    f.write_text(content)
    with pytest.raises(InputError) as exc:
        load_patterns(f)
    assert message in str(exc.value) and str(f) in str(exc.value)
    assert "\n" not in str(exc.value)


def test_default_redactor_reads_the_config_directory(tmp_path):
    from qa_calibrate.locations import config_directory

    (config_directory() / "redaction.yaml").write_text(
        "patterns:\n  - name: TICKET\n    regex: 'TCK-\\d{5}'\n")
    extra = tmp_path / "more.yaml"
    extra.write_text("patterns:\n  - name: PIN\n    regex: '(?<=PIN )\\d{4}'\n")
    r = default_redactor(extra)
    assert [name for name, _ in r.extra] == ["TICKET", "PIN"]
    assert r.redact("TCK-12345, PIN 1234")[0] == "[TICKET], PIN [PIN]"


# -- shapes outside the first set: folded (NFKC, one character for one) before matching ----------
@pytest.mark.parametrize("text, expected", [
    ("call 07700\u00a0900\u00a0123 now", "call [PHONE] now"),  # non-breaking spaces
    ("tel 0113\u00a0496\u00a00000", "tel [PHONE]"),
    ("020 7946\u202f0958", "[PHONE]"),  # narrow no-break space
    ("call 020.7946.0958 or +44.20.7946.0958", "call [PHONE] or [PHONE]"),  # dots
    ("ring \uff10\uff17\uff17\uff10\uff10 \uff19\uff10\uff10\uff11\uff12\uff13 please",
     "ring [PHONE] please"),  # full-width digits
    ("phone 020\u20137946\u20130958", "phone [PHONE]"),  # en dashes
    ("phone 07700\u2011900123", "phone [PHONE]"),  # non-breaking hyphen
    ("call 2125550123 today", "call [PHONE] today"),  # bare 10-digit US number
    ("ref 4155550132.", "ref [PHONE]."),
    ("card \uff14\uff11\uff11\uff11 \uff11\uff11\uff11\uff11 \uff11\uff11\uff11\uff11 "
     "\uff11\uff11\uff11\uff11", "card [CARD]"),
    ("mail \uff4a\uff41\uff4e\uff45\uff20\uff45\uff58\uff41\uff4d\uff50\uff4c\uff45\uff0e"
     "\uff43\uff4f\uff4d", "mail [EMAIL]"),
    ("\u0660\u0667\u0667\u0660\u0660 \u0669\u0660\u0660\u0661\u0662\u0663", "[PHONE]"),
    ("caf\u00e9 jo@example.com, 07700 900123", "caf\u00e9 [EMAIL], [PHONE]"),
])
def test_folded_shapes_are_redacted(text, expected):
    out, counts = R.redact(text)
    assert out == expected
    assert sum(counts.values()) == expected.count("[")


@pytest.mark.parametrize("text", [
    "it costs $1,234.56 on 2026-09-01 at 10:30",
    "order ORD-12345678 and ORD-1234567890",
    "ref 1000234567",  # ten digits, but no valid UK or US number
    "2026-11-03T10:20:30Z, 03/11/2026, 10:20:30",
    "\uff12\uff10\uff12\uff16-\uff10\uff19-\uff10\uff11 at 10\uff1a30",  # a full-width date
    "total \u20ac1\u00a0234,56 and 12\u00a0345 points",
    "221B Baker Street, London NW1 6XE",  # addresses only with the switch
    "Ana Reyes helped",  # names only with the switch
])
def test_non_pii_stays(text):
    assert R.redact(text) == (text, Counter())


def test_names_and_addresses_behind_the_switch():
    r = Redactor(names=["Ana Reyes", "Bob"], addresses=True)
    out, counts = r.redact("Hi, ana  REYES here, at 221B Baker Street, London NW1 6XE; "
                           "Bob said so, Bobby did not")
    assert out == ("Hi, [NAME] here, at [ADDRESS], London [POSTCODE]; [NAME] said so, Bobby "
                   "did not")
    assert counts == Counter(NAME=2, ADDRESS=1, POSTCODE=1)
    assert r.redact("Ship to 12 Acacia Ave, Springfield, IL 62704")[0] == \
        "Ship to [ADDRESS], Springfield, IL [POSTCODE]"
    # amounts, dates and order numbers stay with the switch on too
    text = "paid $1,234.56 on 2026-09-01 for ORD-12345678, 3 items"
    assert r.redact(text) == (text, Counter())
    changed, counts = r.redact_many(["Bob", "nothing", "12 Acacia Ave"])
    assert changed == {0: "[NAME]", 2: "[ADDRESS]"}


def test_names_from_the_config_file(tmp_path):
    from qa_calibrate.locations import config_directory

    (config_directory() / "redaction.yaml").write_text("names: [Jane Customer]\n")
    assert default_redactor().redact("Jane Customer")[0] == "Jane Customer"  # switch off
    assert default_redactor(names=[]).redact("jane customer called")[0] == "[NAME] called"
