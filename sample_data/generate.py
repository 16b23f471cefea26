"""Generate the bundled sample data: transcripts, people, six months of routine QA scores and one
calibration session, with known facts planted in them (listed in README.md, which this script
writes too).

    python sample_data/generate.py            # rewrite the files next to this script
    python sample_data/generate.py --out DIR  # write them somewhere else

Plain Python: stdlib ``random`` streams seeded by name (stable across Python versions) and
PyYAML to read ``rubrics/*.yaml`` at generation time, so a rubric edit followed by a re-run keeps
scores and rubrics consistent. Every run writes the same bytes.

How it works: each interaction first gets the agent's *true* behaviour on every criterion, drawn
from realistic fail rates (one team is weak on two criteria). The transcript is written from that
behaviour: an agent who skipped verification never asks for it, a call without a hold has no
hold, so N/A follows the conversation. Each evaluator then scores what happened, with a little
honest noise; the planted drifting evaluator, from the onset date, passes most verification
failures.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SEED = "qa-calibrate sample data, v2"
SOURCE = "crm"
LANGUAGE = "en-GB"
COMPANY = "Northwind"

# ----------------------------------------------------------------------------- people

SITES = {"leeds": "Leeds (in-house)", "manila": "Manila (Vendor: Northstar BPO)"}
TEAMS = ["Billing", "Tech Support", "Retention"]
# (name, team, site, how much of each channel they handle: chat, voice, email)
AGENTS: list[tuple[str, str, str, tuple[float, float, float]]] = [
    ("Maya Patel", "Billing", "leeds", (3, 1, 1)),
    ("Oliver Grant", "Billing", "leeds", (0, 3, 1)),
    ("Daniel Price", "Billing", "leeds", (1, 0, 3)),
    ("Rina Dela Cruz", "Billing", "manila", (3, 1, 0)),
    ("Carlo Mendoza", "Billing", "manila", (1, 3, 1)),
    ("Ben Hughes", "Tech Support", "leeds", (1, 3, 0)),
    ("Amira Haddad", "Tech Support", "leeds", (3, 0, 2)),
    ("Joy Villanueva", "Tech Support", "manila", (3, 1, 1)),
    ("Mark Bautista", "Tech Support", "manila", (0, 3, 1)),
    ("Chloe Evans", "Retention", "leeds", (3, 1, 0)),
    ("Samuel Okafor", "Retention", "leeds", (0, 3, 1)),
    ("Ana Santos", "Retention", "manila", (3, 0, 1)),
    ("Kevin Lim", "Retention", "manila", (1, 3, 0)),
    ("Grace Tan", "Retention", "manila", (1, 1, 3)),
]
# QA evaluators (name, site) and the channels they mostly score (chat, voice, email)
EVALUATORS: list[tuple[str, str]] = [
    ("Hannah Okoye", "leeds"), ("Marcus Reid", "leeds"), ("Sofia Marin", "leeds"),
    ("Jomar Santos", "manila"), ("Liza Reyes", "manila"), ("Paolo Cruz", "manila"),
]
EVALUATOR_CHANNELS = {
    "Hannah Okoye": (2, 3, 1), "Marcus Reid": (1, 2, 3), "Sofia Marin": (3, 1, 2),
    "Jomar Santos": (1, 1, 1), "Liza Reyes": (3, 2, 1), "Paolo Cruz": (1, 3, 2),
}
LEAD = ("Dana Whitfield", "leeds")
TRAINER_SITES = ["leeds", "manila"]  # trainers (module owners) alternate between the sites

# ----------------------------------------------------------------------------- ground truth

# (1) Drift: the senior vendor evaluator grows lenient on identity verification.
DRIFTER, DRIFT_KEY, DRIFT_ONSET = "Jomar Santos", "verify_identity", date(2026, 8, 1)
DRIFT_DIRECTION = "lenient"
DRIFT_PASSES_REAL_FAILS = 0.93  # after the onset he passes this share of real failures
SENIOR_SHARE = {"manila": 0.52, "leeds": 0.30}  # of routine scoring, by the contact's site
# (2) One team is weak on two criteria.
WEAK_TEAM, WEAK_KEYS, WEAK_FACTOR = "Retention", ("empathy", "resolution"), 3.4
# (3) The calibration session: five evaluators have scored blind, with the benchmark (the
# lead); the drifter is in the session but has not scored yet (the demo scores as him).
SESSION = "Oct 2026 chat calibration"
CAL_RUBRIC_CHANNEL = "chat"
CAL_SCORERS = ["Hannah Okoye", "Marcus Reid", "Sofia Marin", "Liza Reyes", "Paolo Cruz"]
CAL_LENIENT, CAL_HARSH = "Liza Reyes", "Paolo Cruz"
CAL_SPLIT_ORDINAL = "empathy"  # everyone reads it a little differently
CAL_HARSH_BINARY = "ownership"  # the harsh evaluator wants a time frame every time
CAL_LENIENT_BINARY = DRIFT_KEY  # the lenient evaluator passes the skipped verifications
CAL_CREATED = datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc)
CAL_DUE = date(2026, 11, 9)

START, END = date(2026, 5, 1), date(2026, 10, 31)
COUNTS = {"chat": 120, "voice": 100, "email": 70}  # routine; plus the calibration chats
CAL_COUNT = 10

# True fail rates of agents, per criterion where it applies; other criteria use the defaults.
FAIL_RATE = {
    "greeting": 0.04, "verify_identity": 0.30, "recording_disclosure": 0.05,
    "response_time": 0.06, "active_listening": 0.05, "empathy": 0.085, "accuracy": 0.05,
    "policy_compliance": 0.05, "ownership": 0.05, "resolution": 0.09, "case_notes": 0.07,
    "grammar": 0.04, "tone": 0.04, "data_protection": 0.02, "closing": 0.06,
    "disposition": 0.05, "hold_etiquette": 0.08, "transfer_etiquette": 0.08,
    "call_control": 0.05, "completeness": 0.06, "readability": 0.04,
}
DEFAULT_FAIL, DEFAULT_CRITICAL_FAIL = 0.05, 0.02
DEFAULT_NA = 0.10  # an N/A-allowed criterion the conversation says nothing about
# Routine evaluator noise: pass a real failure, fail a real pass, move a scale answer one step.
MISS, FALSE_FAIL, FALSE_FAIL_CRITICAL, STEP = 0.06, 0.015, 0.003, 0.08

# ----------------------------------------------------------------------------- rubrics


@dataclass(frozen=True)
class Crit:
    key: str
    scale: str
    lo: int
    hi: int
    pass_at: float
    na_allowed: bool
    critical: bool
    weight: float
    root_causes: tuple[str, ...]


@dataclass(frozen=True)
class Rubric:
    name: str
    channel: str
    criteria: tuple[Crit, ...]

    def get(self, key: str) -> Crit | None:
        return next((c for c in self.criteria if c.key == key), None)


def load_rubrics(directory: Path | None = None) -> dict[str, Rubric]:
    """The rubric of each channel, read from the YAML files (the module catalogue is skipped)."""
    directory = directory or ROOT / "rubrics"
    out: dict[str, Rubric] = {}
    for path in sorted(directory.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict) or "sections" not in data:
            continue
        crits = []
        for section in data["sections"]:
            for raw in section["criteria"]:
                scale = raw["scale"]
                if scale == "binary":
                    lo, hi, default_pass = 0, 1, 1.0
                elif scale == "ordinal":
                    n = len(raw["labels"])
                    lo, hi, default_pass = 1, n, float(n // 2 + 1)
                else:
                    lo, hi = 0, int(raw["max_points"])
                    default_pass = hi / 2
                crits.append(Crit(
                    key=raw["key"], scale=scale, lo=lo, hi=hi,
                    pass_at=float(raw.get("pass_at", default_pass)),
                    na_allowed=bool(raw.get("na_allowed", False)),
                    critical=bool(raw.get("critical", False)), weight=float(raw.get("weight", 1)),
                    root_causes=tuple(str(x) for x in raw.get("root_causes") or ()),
                ))
        channel = data.get("channel")
        if channel in out:
            raise SystemExit(f"{path}: a second rubric for channel {channel!r}")
        out[channel] = Rubric(name=data["name"], channel=channel, criteria=tuple(crits))
    for channel in ("chat", "voice", "email"):
        if channel not in out:
            raise SystemExit(f"{directory}: no rubric for channel {channel!r}")
        for key in (DRIFT_KEY, *WEAK_KEYS):
            if out[channel].get(key) is None:
                raise SystemExit(f"rubric {out[channel].name}: planted criterion {key!r} is "
                                 "missing; change the ground truth in generate.py")
    chat = out[CAL_RUBRIC_CHANNEL]
    for key, scale in ((DRIFT_KEY, "binary"), (CAL_HARSH_BINARY, "binary"),
                       (CAL_SPLIT_ORDINAL, "ordinal")):
        crit = chat.get(key)
        if crit is None or crit.scale != scale:
            raise SystemExit(f"rubric {chat.name}: {key!r} must be a {scale} criterion")
    return out


def load_trainers(directory: Path | None = None) -> list[str]:
    """Module owners in the catalogue, in file order."""
    path = (directory or ROOT / "rubrics") / "modules.yaml"
    owners: list[str] = []
    if path.exists():
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for module in data.get("modules") or []:
            owner = (module or {}).get("owner")
            if owner and str(owner) not in owners:
                owners.append(str(owner))
    return owners or ["Tom Becker", "Priya Natarajan"]


# ----------------------------------------------------------------------------- utilities


def rng_for(*parts: object) -> random.Random:
    """A random stream named by its purpose, so changing one thing does not reshuffle the rest."""
    return random.Random(SEED + "|" + "|".join(str(p) for p in parts))


def pick(rng: random.Random, items: Sequence[Any], weights: Sequence[float]) -> Any:
    """One item, drawn with the given weights."""
    x = rng.random() * sum(weights)
    for item, w in zip(items, weights, strict=True):
        x -= w
        if x < 0:
            return item
    return items[-1]


def _last_sunday(year: int, month: int) -> date:
    d = date(year, month + 1, 1) - timedelta(days=1)
    return d - timedelta(days=(d.weekday() + 1) % 7)


def uk_offset(utc: datetime) -> timedelta:
    """Europe/London without a tz database: BST from 01:00 UTC on the last Sunday of March to
    01:00 UTC on the last Sunday of October."""
    one = timedelta(hours=1)
    start = datetime.combine(_last_sunday(utc.year, 3), datetime.min.time(), timezone.utc) + one
    end = datetime.combine(_last_sunday(utc.year, 10), datetime.min.time(), timezone.utc) + one
    return one if start <= utc < end else timedelta(0)


def local_iso(utc: datetime, site: str) -> str:
    """ISO 8601 in the site's local time, with its offset."""
    offset = timedelta(hours=8) if site == "manila" else uk_offset(utc)
    return utc.astimezone(timezone(offset)).isoformat(timespec="seconds")


def uk_time(day: date, seconds: int) -> datetime:
    """A UK wall-clock time on ``day`` as an aware UTC datetime."""
    naive = datetime.combine(day, datetime.min.time()) + timedelta(seconds=seconds)
    return naive.replace(tzinfo=timezone.utc) - uk_offset(naive.replace(tzinfo=timezone.utc))


def ordinal_day(n: int) -> str:
    """1 → "1st", 22 → "22nd"."""
    return f"{n}{'th' if 11 <= n <= 13 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"


def money(value: float) -> str:
    """Pounds with pence."""
    return f"£{value:.2f}"


# ----------------------------------------------------------------------------- PII

# Published test card numbers (no real account behind them); the last ones are mistyped and
# fail the Luhn check, so the redactor leaves them (documented in qa_calibrate/redact.py).
CARDS_VALID = ["4111111111111111", "4242424242424242", "5555555555554444", "4012888888881881",
               "5105105105105100", "378282246310005", "6011111111111117", "2223003122003222"]
CARDS_MISTYPED = ["4111111111111112", "5555555555554445"]
# IBANs from the ISO 13616 and bank documentation examples; the last one has a wrong check digit.
IBANS = ["GB82 WEST 1234 5698 7654 32", "GB33BUKB20201555555555", "DE89 3704 0044 0532 0130 00",
         "IE29 AIBK 9311 5212 3456 78", "NL91ABNA0417164300"]
IBAN_MISTYPED = "GB82 WEST 1234 5698 7654 23"


def luhn_ok(digits: str) -> bool:
    """The Luhn checksum of a card number's digits."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def card_text(rng: random.Random, valid: bool = True) -> str:
    """A test card number, grouped by spaces or dashes or not at all."""
    number = rng.choice(CARDS_VALID if valid else CARDS_MISTYPED)
    if len(number) == 15:  # Amex is grouped 4-6-5
        groups = [number[:4], number[4:10], number[10:]]
    else:
        groups = [number[i:i + 4] for i in range(0, len(number), 4)]
    return [" ".join(groups), "-".join(groups), number][rng.randrange(3)]


def phone_text(rng: random.Random) -> str:
    """A number from the Ofcom drama ranges (never allocated), in one of several formats."""
    tail = f"{rng.randrange(1000):03d}"
    return [f"07700 900{tail}", f"07700900{tail}", f"+44 7700 900{tail}", f"0113 496 0{tail}",
            f"+44 (0)161 496 0{tail}", f"020-7946-0{tail}", f"(555) 010-0{tail[:3]}"][
        rng.randrange(7)]


def email_text(rng: random.Random, first: str, last: str) -> str:
    """An address at a reserved example domain."""
    f = re.sub(r"[^a-z]", "", first.lower())
    s = re.sub(r"[^a-z]", "", last.lower())
    local = [f"{f}.{s}", f"{f[0]}{s}{rng.randrange(10, 99)}", f"{f}{rng.randrange(70, 99)}",
             f"{s}.{f}"][rng.randrange(4)]
    domain = rng.choice(["example.com", "example.org", "example.net", "mail.example.com"])
    return f"{local}@{domain}"


# ----------------------------------------------------------------------------- conversations


@dataclass(frozen=True)
class Topic:
    """One storyline: what the customer wants and the agent's lines for each outcome."""

    key: str
    team: str
    queue: str
    account: bool  # needs account access, so identity verification applies
    escalate: float  # chance it genuinely needs another team (resolution N/A)
    subject: str
    issue: tuple[str, ...]
    clarify: tuple[tuple[str, str], ...]
    empathy: tuple[str, ...]
    findings: tuple[str, ...]
    fix: tuple[str, ...]
    fail: tuple[str, ...]
    escalation: tuple[str, ...]
    summary: str
    wrong: str  # what an inaccurate agent says


def _t(key: str, team: str, queue: str, account: bool, escalate: float, subject: str,
       **lines: Any) -> Topic:
    return Topic(key, team, queue, account, escalate, subject,
                 **{k: tuple(v) if isinstance(v, list) else v for k, v in lines.items()})


TOPICS = [
    _t("double_charge", "Billing", "Billing", True, 0.04, "Charged twice for my {month} bill",
       issue=["I've been charged twice for my {month} bill. {amount} went out on the {dd} and "
              "the same again two days later.",
              "Why have you taken {amount} from my account twice this month? I've checked my "
              "bank app and it's definitely two payments."],
       clarify=[("Were both payments taken by direct debit, or did you pay one of them online?",
                 "I paid online because I got a reminder text, then the direct debit went out "
                 "as well."),
                ("Did both payments come from the same bank account?",
                 "Yes, same account, my current account."),
                ("Have you had any other reminders or letters from us this month?",
                 "Just the one text saying the bill was overdue, which it wasn't.")],
       empathy=["Having the same bill taken twice is the last thing you need, and I'm sorry it's "
                "happened — let's get that money back to you.",
                "I completely understand why you're annoyed; nobody wants {amount} missing from "
                "their account for no reason."],
       findings=["I can see it now: the reminder went out by mistake after a delay at the bank, "
                 "so you paid online on the {dd} and the direct debit was collected as well.",
                 "I can see both payments of {amount}. The second one is a duplicate, because "
                 "the direct debit had already been requested when you paid online."],
       fix=["I've refunded the duplicate {amount} to your bank account. It takes 3 to 5 working "
            "days to show, and you'll get an email confirming it today.",
            "I've raised the refund of {amount} for the duplicate payment; it'll be back in 3 to "
            "5 working days, and I've marked the reminder as sent in error."],
       fail=["I can see the two payments but I can't refund from here, so it'll probably sort "
             "itself out on your next bill.",
             "It looks like a bank issue, so you'd need to speak to your bank about getting one "
             "of them back."],
       escalation=["The refund needs our payments team to recall the direct debit, so I've "
                   "passed it to them under reference {ref}; you'll have it back within 5 "
                   "working days and they'll email you when it's done."],
       summary="the duplicate payment of {amount} is being refunded and will show in 3 to 5 "
               "working days",
       wrong="The refund will be back in your account within the hour."),
    _t("unknown_addon", "Billing", "Billing", True, 0.03, "Charge I don't recognise",
       issue=["There's a charge of {small} on my latest bill for 'Premium Tech Support'. I never "
              "asked for that.",
              "My bill has gone up by {small} because of something called Premium Tech Support. "
              "I don't know what it is and I don't want it."],
       clarify=[("Did you speak to our tech team recently, maybe about the wifi?",
                 "I did call about the wifi a few weeks ago, but nobody mentioned paying for "
                 "anything."),
                ("Is it just this month's bill with the charge on it?",
                 "It was on last month's as well, now that I look."),
                ("Have you used the Premium Tech Support line at all?",
                 "No, I've never even heard of it.")],
       empathy=["I'm sorry — finding a charge you didn't agree to is really frustrating, and you "
                "shouldn't have to chase it.",
                "That's not what you expected to see on your bill, and I'd want it explained "
                "too, so let's look at it together."],
       findings=["I can see Premium Tech Support was added on the {dd} of {month} during the call "
                 "about your wifi, with a free first month, and it's been {small} a month since.",
                 "The add-on was set up on the {dd} of {month} after your wifi call; the notes "
                 "don't show that the monthly cost was explained to you."],
       fix=["I've removed Premium Tech Support and refunded both months, so {small2} will show "
            "as a credit on your next bill.",
            "That's removed with immediate effect, and I've credited {small2} back for the two "
            "months you were charged."],
       fail=["I can remove it from next month, but I can't refund what's already been billed.",
             "It was added on a recorded call, so I'm afraid the charges stand."],
       escalation=["Because it was added on a call, a refund has to be approved by our "
                   "complaints team; I've logged it under {ref} and they'll reply within 2 "
                   "working days."],
       summary="the add-on is removed and {small2} is credited to your next bill",
       wrong="Add-ons can only be cancelled with 30 days' notice, so you'll pay one more month."),
    _t("discount_ended", "Billing", "Billing", True, 0.02, "Why has my bill gone up?",
       issue=["My bill has gone from {old_price} to {new_price} this month. I haven't changed "
              "anything on my package.",
              "Why is my broadband bill {new_price} now? It's always been {old_price}."],
       clarify=[("When did you first take out the {plan} package?",
                 "About eighteen months ago, I think."),
                ("Has anything changed — calls, a new add-on, anything like that?",
                 "Nothing at all, same as always."),
                ("Is it the broadband bill or the mobile one that went up?",
                 "The broadband one.")],
       empathy=["I understand — a jump like that with no warning would worry anyone, so let me "
                "explain exactly what's happened.",
                "Sorry, that's a big change to see on your bill, especially when you haven't "
                "changed anything."],
       findings=["I can see your 18-month introductory discount ended on the {dd} of {month}, "
                 "which is why the price went up to {new_price}.",
                 "The difference is the end of your new-customer discount: it finished on the "
                 "{dd}, and we should have reminded you beforehand."],
       fix=["As you're past the discount period I can move you to the current {plan} price of "
            "{deal_price} a month, no new contract needed, starting from this bill.",
            "I've applied our loyalty rate, so from this bill you'll pay {deal_price} a month, "
            "and I've turned on end-of-discount reminders for you."],
       fail=["That's the standard price now, so there's nothing I can change.",
             "The discount has ended, so the bill is correct, I'm afraid."],
       escalation=["Our pricing team has to approve that rate for your account type, so I've "
                   "sent it to them under {ref}; you'll have an answer by email within 2 "
                   "working days."],
       summary="your new price is {deal_price} a month from this bill",
       wrong="The price will go back down automatically next month."),
    _t("refund_missing", "Billing", "Billing", True, 0.05, "Router deposit refund",
       issue=["I sent my old router back {weeks} weeks ago and I'm still waiting for the "
              "{amount} refund.",
              "Where's my refund? I returned the router on the {dd} of {month} and was told I'd "
              "get {amount} back."],
       clarify=[("Did you use the returns label we sent, or post it yourself?",
                 "I used the prepaid label you sent."),
                ("Do you still have the proof of postage?",
                 "Yes, I've got the receipt with the tracking number."),
                ("Was the refund meant to go to your card or your bank account?",
                 "Back to my card, I think.")],
       empathy=["I'm sorry you've been waiting {weeks} weeks — you've done everything right, so "
                "let's find out where it's got to.",
                "That's far too long to wait for your own money back; I'm sorry about that."],
       findings=["The router reached our warehouse on the {dd} of {month}, but the refund wasn't "
                 "triggered because it was booked in against the wrong order.",
                 "I can see the return was received on the {dd}; the refund has been sitting in "
                 "a queue waiting for a check that should have happened automatically."],
       fix=["I've released the {amount} refund now. It goes back to your card and takes 3 to 5 "
            "working days to appear.",
            "The refund of {amount} is processed today; you'll get an email confirmation and it "
            "reaches your card in 3 to 5 working days."],
       fail=["I can't see it on our system, so please wait another week and contact us again if "
             "it hasn't arrived.",
             "Refunds can take up to 30 days, so just give it a bit longer."],
       escalation=["The return isn't showing at the warehouse yet, so I've opened a trace with "
                   "them under {ref}; they'll confirm within 3 working days and the refund is "
                   "released as soon as it's found."],
       summary="{amount} is on its way back to your card within 3 to 5 working days",
       wrong="You'll see the refund on your card by tomorrow."),
    _t("payment_failed", "Billing", "Payments", True, 0.02, "Direct debit failed",
       issue=["I've had a letter saying my direct debit failed and I owe {amount}. My bank card "
              "was replaced and I need to update my details.",
              "My payment bounced this month because I've got a new card. I want to pay the "
              "{amount} and change the card on the account."],
       clarify=[("Do you want to keep paying by card, or switch to direct debit?",
                 "Card is fine, it's easier for me."),
                ("Has a late payment fee been added?", "The letter mentioned a fee, yes."),
                ("Is the new card in the same name as the account?", "Yes, it's my own card.")],
       empathy=["Getting a letter like that is stressful, especially when it's only because your "
                "card changed — let's get it sorted now.",
                "That's an easy one to fix, and I'm sorry the letter gave you a fright."],
       findings=["I can see the payment of {amount} failed on the {dd} because the card on file "
                 "had expired.",
                 "The last payment was declined on the {dd} as the old card had been cancelled "
                 "by your bank."],
       fix=["I've sent a secure payment link to your email. Once you add the new card there, "
            "the {amount} will be taken and the reminders stop — and I've removed the late fee.",
            "You'll get a text with our secure payment link now; adding the card there clears "
            "the {amount} and saves it for future bills. I've also taken the late fee off."],
       fail=["You'll have to call the payments line to update the card, I can't do it here.",
             "I can't take payments here, so just wait for the next reminder and pay then."],
       escalation=["As the account has reached our collections stage, I've asked the "
                   "collections team to pause it under {ref}; they'll contact you within 24 "
                   "hours to take the payment."],
       summary="the secure link is on its way, and once you've added the card the {amount} is "
               "cleared",
       wrong="Once you've added the new card, we'll take the payment in about 14 days."),
    _t("address_change", "Billing", "Account Changes", True, 0.0, "Change of billing address",
       issue=["I need to change the billing address on my account — I've moved in with my "
              "sister.",
              "Can you update my address please? My bills are still going to my old flat."],
       clarify=[("Is this just for the bills, or has the broadband moved as well?",
                 "Just the bills, the broadband is at my mum's house."),
                ("What's the new address, please?", "It's {new_address}."),
                ("Would you like paper bills at the new address, or email bills?",
                 "Email is fine actually.")],
       empathy=["Thanks for letting us know — moving is busy enough without chasing post, so "
                "I'll sort this now.",
                "No problem at all, I know how annoying it is when post keeps going to the old "
                "place."],
       findings=["I can see the account is still registered to your old address, and the last "
                 "two bills were posted there.",
                 "I've got the account up; the billing address is still the old one."],
       fix=["I've updated your billing address to {new_address} and switched you to email "
            "bills, so the next one comes to your inbox.",
            "That's done: your billing address is now {new_address}, and you'll get an email "
            "confirming the change."],
       fail=["I've made a note of the new address, and someone will update it later.",
             "You'll need to change that yourself in the app, I can't do it from here."],
       escalation=["Changing the address on this type of account needs a signed form, so I've "
                   "sent one to your email under {ref}."],
       summary="your billing address is updated and bills will come by email",
       wrong="Address changes take up to four weeks to go through."),
    _t("paper_bills", "Billing", "Billing", False, 0.0, "Question about paper bills",
       issue=["Do you charge for paper bills? I'm thinking about switching to email bills.",
              "Quick question — how much is it to get a paper bill each month?"],
       clarify=[("Are you asking about broadband, mobile, or both?", "Just broadband."),
                ("Do you use the My Northwind app at all?", "Sometimes, yes.")],
       empathy=["Good question — it's worth knowing, so here are the details.",
                "Happy to help with that."],
       findings=["Paper bills are £1.50 a month; email bills are free.",
                 "We charge £1.50 for each paper bill, and email bills are free."],
       fix=["You can switch to email bills any time in the app under Account > Billing "
            "preferences, and the charge stops from your next bill.",
            "If you switch in the app under Account > Billing preferences, the paper bill "
            "charge stops from the next bill."],
       fail=["I'm not sure of the exact cost, it's somewhere on the website.",
             "It depends, you'd need to check the price guide."],
       escalation=["I'll ask the billing team to email you the full price guide; the reference "
                   "is {ref}."],
       summary="paper bills are £1.50 a month and email bills are free",
       wrong="Paper bills are free for all customers."),
    _t("locked_out", "Tech Support", "Tech Support", True, 0.05, "Locked out of My Northwind",
       issue=["I'm locked out of the My Northwind app. It says my password is wrong and the "
              "reset email never arrives.",
              "I can't log in to my account online — too many attempts and now it's locked."],
       clarify=[("Is it the app or the website you're trying to log in to?",
                 "The app, on my phone."),
                ("Have you checked your spam or junk folder for the reset email?",
                 "Yes, nothing there."),
                ("Is the email you're using the one you signed up with?",
                 "I think so, it's the only one I use.")],
       empathy=["That's really frustrating, especially when the reset email doesn't even turn "
                "up — let's get you back in.",
                "I'm sorry, being locked out of your own account is annoying; this is one I can "
                "fix."],
       findings=["I can see the account locked after five failed attempts, and the reset emails "
                 "have been going to an old address on the account.",
                 "The account is locked, and the reset links went to an email address we have "
                 "on file that you may not use any more."],
       fix=["I've unlocked the account and sent a new reset link to your current email. It's "
            "valid for 30 minutes, so use it as soon as it arrives.",
            "You're unlocked now; I've updated the email and sent a fresh reset link that lasts "
            "30 minutes."],
       fail=["The lock clears by itself after 24 hours, so just try again tomorrow.",
             "There's nothing I can do with the lock, it's automatic."],
       escalation=["The reset is failing on our side, so I've raised it with the digital team "
                   "under {ref}; they'll email you within 24 hours when it's fixed."],
       summary="you're unlocked and the reset link is in your inbox for the next 30 minutes",
       wrong="The reset link works for 7 days, so there's no rush."),
    _t("broadband_down", "Tech Support", "Outages", True, 0.45, "No internet since {weekday}",
       issue=["My internet has been down since {weekday} evening. I work from home and I've "
              "been using my phone's data.",
              "No broadband at all since {weekday}. The light on the hub is flashing red."],
       clarify=[("What colour is the light on the front of the hub right now?",
                 "Flashing red, it's been like that since {weekday}."),
                ("Have you restarted the hub, and is it plugged into the main socket?",
                 "Yes, twice, and it's in the main socket."),
                ("Is it every device, or just one or two?", "Nothing works at all.")],
       empathy=["I'm really sorry — being without internet since {weekday} when you work from "
                "home is a nightmare, and I'll get this moving now.",
                "That sounds really stressful, and it's a long time to be without a "
                "connection; let's find out what's going on."],
       findings=["I've run a line test and it's showing a fault between the exchange and your "
                 "home.",
                 "The line test is showing a fault on the line outside your property."],
       fix=["I've reset the line from our side and the test is now clean. The hub should go "
            "white within two minutes... there it is, I can see it connected.",
            "I've pushed a reset to the line and re-synced your hub; it's showing connected at "
            "full speed now."],
       fail=["I can't see anything wrong from here, so keep restarting the hub and see if it "
             "comes back.",
             "It might just be temporary, so give it a day and get back to us if it's still "
             "down."],
       escalation=["I've booked an engineer for {eng_day} between 8am and 1pm, reference {ref}, "
                   "and added {small} compensation for the days without service. You'll get a "
                   "text the evening before.",
                   "An engineer needs to fix the line outside, so I've booked the first slot, "
                   "{eng_day} between 1pm and 6pm, reference {ref}; the automatic compensation "
                   "of {small} is on the account."],
       summary="the line is fixed and your hub is back online",
       wrong="The engineer will fix it remotely, so you don't need to be in."),
    _t("slow_wifi", "Tech Support", "Tech Support", True, 0.1, "Wifi really slow upstairs",
       issue=["My wifi is really slow upstairs. I'm paying for {plan} and getting about 10 meg "
              "in the bedroom.",
              "The wifi keeps dropping in the evenings and it's really slow upstairs."],
       clarify=[("Where's the hub at the moment — in a cupboard, near the TV?",
                 "It's behind the TV in the front room."),
                ("What speed do you get standing next to the hub?",
                 "Near the hub it's fine, about what I pay for."),
                ("How many devices are connected in the evening, roughly?",
                 "Probably ten, with the kids' tablets and the TV.")],
       empathy=["I know how frustrating it is when the speed you pay for doesn't reach the rooms "
                "you use — let's improve that.",
                "Slow wifi in the evening is really annoying, especially with the whole family "
                "online."],
       findings=["The line itself is fine — you're getting full speed to the hub — so it's the "
                 "wifi signal that isn't reaching upstairs.",
                 "The speed to the hub is good, so the problem is wifi coverage upstairs, not "
                 "the line."],
       fix=["I've moved your hub to a less busy wifi channel, and as you're on {plan} you're "
            "entitled to a free wifi booster; it arrives in 2 working days.",
            "I've optimised the wifi settings from here and ordered a free booster for "
            "upstairs; it'll be with you in 2 working days with set-up instructions."],
       fail=["Wifi speeds aren't guaranteed, so there's not much I can do.",
             "Try moving the hub and see if it helps."],
       escalation=["I'd like an engineer to check the wiring inside, so I've booked a visit for "
                   "{eng_day} morning under {ref}."],
       summary="the wifi channel is changed and your booster arrives in 2 working days",
       wrong="The booster will double your line speed."),
    _t("hub_not_delivered", "Tech Support", "Orders & Deliveries", True, 0.15,
       "Replacement hub not delivered",
       issue=["I was told a replacement hub would arrive on {weekday} but it hasn't turned up. "
              "The order number is {order}.",
              "The tracking for my new hub says delivered but I haven't got it. Order {order}."],
       clarify=[("Could the courier have left it somewhere — a porch, a neighbour, a safe place?",
                 "I've checked with both neighbours and there's nothing."),
                ("Did the tracking email have a delivery photo?",
                 "No photo, it just says delivered."),
                ("Is the delivery address the one in {town}?", "Yes, that's right.")],
       empathy=["I'm sorry — you're already without a working hub, and now the replacement has "
                "gone missing. Let's sort it out.",
                "That's really frustrating, especially when the tracking says it's been "
                "delivered."],
       findings=["The courier marked it as delivered to a safe place on {weekday} afternoon, but "
                 "there's no photo or signature.",
                 "I can see the parcel was scanned as delivered on {weekday}, with no "
                 "signature."],
       fix=["I've cancelled that delivery and sent another hub by next-day tracked delivery "
            "with a signature, so it'll be with you tomorrow before 1pm.",
            "A new hub is on its way today on a signed-for, next-day service, arriving tomorrow "
            "before 1pm, and I've reported the missing parcel to the courier myself."],
       fail=["You'll need to contact the courier about it, it's out of our hands once it's "
             "dispatched.",
             "If it says delivered then it has been delivered, so have another look around."],
       escalation=["I've opened an investigation with the courier under {ref}; if they can't "
                   "find it within 48 hours we send a new hub automatically, and I'll email you "
                   "either way."],
       summary="a new hub arrives tomorrow before 1pm, signed for",
       wrong="It'll definitely turn up by the end of today."),
    _t("area_outage", "Tech Support", "Outages", False, 0.0, "Is there an outage in my area?",
       issue=["Is there a known outage around {area}? My neighbour's internet is down too.",
              "Just checking if there's a problem in the {area} area — the whole street seems "
              "to be off."],
       clarify=[("Is it broadband, TV or mobile signal that's down?", "Broadband."),
                ("Roughly when did it start?", "About nine this morning.")],
       empathy=["Thanks for checking with us first — I'll tell you exactly what we know.",
                "Sorry for the disruption, let me check the service status for you."],
       findings=["Yes, there's a known fault affecting {area} since 9am; a cable was damaged "
                 "during roadworks.",
                 "There is a known issue in {area}: engineers are repairing a damaged cable."],
       fix=["Engineers expect it to be fixed by 6pm today. You can follow live updates on our "
            "service status page, and affected customers are credited automatically.",
            "The estimated fix time is 6pm today, and anyone affected gets compensation "
            "automatically, with no need to claim."],
       fail=["I can't see anything on the status page, so I'm not sure.",
             "I don't have any information on outages, sorry."],
       escalation=["I've added your street to the fault report, reference {ref}, so you'll get "
                   "a text when it's fixed."],
       summary="it's a known fault, expected to be fixed by 6pm, and compensation is automatic",
       wrong="It should be back within the hour."),
    _t("cancel_moving", "Retention", "Retention", True, 0.02, "Cancel my broadband",
       issue=["I want to cancel my broadband. I'm moving in with my partner and they already "
              "have internet.",
              "Can I cancel my contract please? I won't need it after the end of next month."],
       clarify=[("When's your moving date?", "The {move_date}."),
                ("Is the broadband at the new place with us, or another provider?",
                 "Another provider, I think."),
                ("Do you have a mobile or TV with us as well, or just broadband?",
                 "Just the broadband.")],
       empathy=["Congratulations on the move! I'll make the cancellation as easy as possible for "
                "you.",
                "That makes sense — there's no point paying for two connections. Let me take "
                "care of it."],
       findings=["You've been out of contract since {month}, so there's no early termination "
                 "fee, and the notice period is 30 days.",
                 "I can see your minimum term ended in {month}, so you can leave without a fee "
                 "with 30 days' notice."],
       fix=["I've booked the cancellation for the {move_date}. Your final bill comes 10 days "
            "after that, and you'll get a prepaid bag to return the hub.",
            "That's all set: your service ends on the {move_date}, the final bill follows within "
            "10 days, and a returns bag for the hub is on its way."],
       fail=["I can't process the cancellation myself, you'll need to put it in writing.",
             "You'll need to put it in writing, so send us an email."],
       escalation=["Because there's a phone line on the account too, our cancellations team "
                   "has to close both together; I've passed it to them under {ref} and they'll "
                   "confirm by email within 24 hours."],
       summary="your broadband ends on the {move_date} with no fee, and the final bill follows "
               "10 days later",
       wrong="There's a £60 fee for leaving, even out of contract."),
    _t("cheaper_deal", "Retention", "Retention", True, 0.02, "Leaving for a cheaper deal",
       issue=["Please cancel my contract, I've found a cheaper deal with another provider.",
              "I'm paying {new_price} a month and I can get the same speed for much less "
              "elsewhere, so I'd like to leave."],
       clarify=[("What are they offering you, out of interest?",
                 "{deal_price} a month for the same speed."),
                ("Is the speed important to you, or would a smaller package do?",
                 "Speed is fine as it is, it's just the price."),
                ("Do you know when your current contract ended?",
                 "I think it ended in the spring.")],
       empathy=["I completely understand — if you can get the same for less, it makes sense to "
                "ask, and I'd like to see what I can do.",
                "I hear you, {new_price} is a lot, and I'd rather you told us than just left."],
       findings=["You've been with us six years and you're out of contract, so you're eligible "
                 "for our loyalty offers.",
                 "I can see you're out of contract and eligible for a loyalty price."],
       fix=["I can match it: {plan} at {deal_price} a month on a new 18-month contract, starting "
            "from your next bill. I've applied it, and the contract summary is on its way by "
            "email.",
            "I can offer you {plan} at {deal_price} a month, fixed for 18 months. That's done, "
            "and the new price starts from your next bill."],
       fail=["Those are just the prices, I can't change them.",
             "I can't match that, so I'll just put the cancellation through."],
       escalation=["That price needs approval from our loyalty team; I've requested it under "
                   "{ref} and they'll call you tomorrow, before you decide."],
       summary="you're staying on {plan} at {deal_price} a month for 18 months",
       wrong="There's no minimum term on the new price, so you can leave whenever you like."),
    _t("price_rise", "Retention", "Retention", True, 0.02, "Price increase complaint",
       issue=["My bill has gone up from {old_price} to {new_price} a month. I've been with you "
              "nine years and this is how you treat loyal customers?",
              "Another price rise! Why am I paying {new_price} when new customers pay less?"],
       clarify=[("Are you still using the landline, or mainly the broadband?",
                 "Mostly broadband, I barely use the phone."),
                ("Would a faster package for a similar price interest you, or is it purely the "
                 "cost?", "It's purely the cost."),
                ("Did you get our letter about the April price change?",
                 "I got something, but I didn't read it properly.")],
       empathy=["Nine years is a long time, and I can hear how disappointing this is — let me "
                "see what I can do for you.",
                "I understand, nobody likes seeing their bill go up, especially after being "
                "with us for so long."],
       findings=["The rise is the annual price change in your contract terms, but as you're out "
                 "of contract you can move to a better rate.",
                 "I can see the annual price change was applied in April, and you're out of "
                 "contract now."],
       fix=["I can move you to {plan} at {deal_price} a month on an 18-month contract, and as "
            "you barely use the landline I've taken off the line rental. Confirmation is on its "
            "way.",
            "I've found you a better deal: {plan} for {deal_price} a month, fixed for 18 months, "
            "applied from your next bill."],
       fail=["The price rise is in the terms, so there's nothing I can do.",
             "Everyone's bill went up, it's not just you."],
       escalation=["I've logged this as a complaint under {ref}, as you asked, and our "
                   "complaints team will respond within 5 working days."],
       summary="your new price is {deal_price} a month from your next bill",
       wrong="Your price is fixed for life on the new package."),
    _t("home_move", "Retention", "Home Moves", True, 0.2, "Moving house",
       issue=["I'm moving house on the {move_date} and want to take my broadband with me.",
              "We're moving to {town} next month. Can I keep my broadband and move it to the "
              "new place?"],
       clarify=[("What's the new address?", "{new_address}."),
                ("Would you like to keep the same package at the new address?",
                 "Yes, the same if possible."),
                ("Will someone be at the new place on moving day, in case we need an engineer?",
                 "Yes, I'll be there all day.")],
       empathy=["Exciting! Moving is busy enough, so let me make the broadband side easy.",
                "Congratulations on the new place — I'll make sure you're not left without "
                "internet."],
       findings=["Good news: {plan} is available at the new address and the line there is "
                 "already active.",
                 "I've checked the new address and your package is available there."],
       fix=["I've booked the move for the {move_date}: the service switches over that day and "
            "your hub just needs plugging in at the new place. No charge, and your contract "
            "stays the same.",
            "That's booked for the {move_date}, with no engineer needed and no fee; you'll get a "
            "confirmation email with the details."],
       fail=["You'll need to cancel and sign up again at the new address.",
             "Get back to us once you've moved and we'll sort it then."],
       escalation=["The new address needs a new line installed, so I've booked an engineer for "
                   "the {move_date} under {ref}; we'll text you the time slot two days before."],
       summary="the move is booked for the {move_date} with no charge",
       wrong="Home moves always need an engineer visit, and there's a £50 fee."),
    _t("notice_period", "Retention", "Retention", False, 0.0, "Notice period question",
       issue=["What's the notice period if I want to leave once my contract ends?",
              "If I'm out of contract, do I have to pay anything to leave?"],
       clarify=[("Is that for broadband or mobile?", "Broadband."),
                ("Are you asking about your own account?", "Yes, just mine.")],
       empathy=["Good to check before deciding — here's how it works.",
                "Happy to explain that."],
       findings=["Once you're out of contract, the notice period is 30 days and there's no fee "
                 "to leave.",
                 "Out of contract there's no exit fee, just 30 days' notice."],
       fix=["If you're thinking of leaving, it's worth checking your loyalty offers first; you "
            "can see them in the app under Offers.",
            "You can give notice by chat, phone or in the app, and the final bill comes within "
            "10 days of the end date."],
       fail=["I think it's about a month, but it depends.",
             "It's all in the terms and conditions on the website."],
       escalation=["I'll have the retention team email you the full terms; the reference is "
                   "{ref}."],
       summary="it's 30 days' notice and no fee once you're out of contract",
       wrong="There's always a £60 fee for leaving."),
]
TOPICS_BY_TEAM = {team: [t for t in TOPICS if t.team == team] for team in TEAMS}

CUSTOMERS = [
    ("Jordan", "Blake"), ("Priyanka", "Rao"), ("Tomasz", "Nowak"), ("Emily", "Carter"),
    ("Luis", "Ortega"), ("Hiroko", "Sato"), ("Aisling", "Byrne"), ("Kwame", "Mensah"),
    ("Fatima", "Zahra"), ("Noah", "Fischer"), ("Isabel", "Costa"), ("Wei", "Chen"),
    ("Olga", "Petrova"), ("Ravi", "Kumar"), ("Megan", "O'Neill"), ("George", "Hall"),
    ("Zainab", "Bello"), ("Rhys", "Morgan"), ("Sofia", "Rossi"), ("Callum", "Fraser"),
    ("Yusuf", "Khan"), ("Hannah", "Price"), ("Dariusz", "Lewandowski"), ("Grace", "Adeyemi"),
    ("Liam", "Walsh"), ("Amelia", "Hughes"), ("Mohammed", "Ali"), ("Chloe", "Dubois"),
    ("Ewan", "Campbell"), ("Nia", "Roberts"), ("Siddharth", "Iyer"), ("Lucy", "Turner"),
    ("Ahmed", "Hassan"), ("Eilidh", "MacLeod"), ("Bartek", "Zielinski"), ("Ruth", "Goldberg"),
]
TOWNS = [("Leeds", "LS6"), ("Bradford", "BD7"), ("Manchester", "M14"), ("Sheffield", "S10"),
         ("Halifax", "HX1"), ("York", "YO31"), ("Wakefield", "WF1"), ("Harrogate", "HG1")]
STREETS = ["Moorland Avenue", "Victoria Road", "Chapel Street", "Park View", "Mill Lane",
           "Ashfield Close", "Queens Drive", "Station Road", "Church Walk", "Oakwood Grove"]
PLANS = ["Fibre 150", "Fibre 500", "Full Fibre 900", "Essentials 36"]
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December"]
RAISED_BILL = {"discount_ended", "cheaper_deal", "price_rise"}
# Where a customer would type a card number or bank details unprompted.
CARD_TOPICS = {"payment_failed", "double_charge", "refund_missing", "unknown_addon",
               "cancel_moving"}
IBAN_TOPICS = {"double_charge", "refund_missing", "unknown_addon", "cancel_moving",
               "discount_ended"}
PII_WEIGHTS = {"email": 3.0, "phone": 3.0, "card": 4.0, "iban": 2.0}
OTHER_TEAM = {"Billing": ("Retention", "Retention", "upgrading my package"),
              "Tech Support": ("Billing", "Billing", "a charge on my last bill"),
              "Retention": ("Tech Support", "Tech Support", "my wifi dropping out")}
POLICY_SLIPS = {
    "Billing": ["I've also added a {big_credit} goodwill credit for the trouble.",
                "I'll waive any late fees on the account from now on as well."],
    "Tech Support": ["I've put a {big_credit} credit on the account for the hassle too.",
                     "I'll skip the line test and just book the engineer, it's quicker."],
    "Retention": ["I can also knock {big_credit} off every month for the rest of the contract.",
                  "I'll cancel it today and waive the notice period, don't worry about that."],
}
SECOND_QUESTIONS = [
    ("whether this changes my contract end date",
     "On your other question: this doesn't change your contract end date."),
    ("if I'll get this confirmed in writing",
     "You asked about written confirmation: you'll get an email confirming all of this today."),
    ("how to stop this happening again",
     "To stop it happening again, keep your contact details up to date in the app, and we'll "
     "always warn you by email first."),
]


@dataclass
class Interaction:
    ext: str
    channel: str
    agent: str
    team: str
    site: str  # key of SITES
    start: datetime  # UTC
    calibration: bool = False
    plan: dict[str, Any] = field(default_factory=dict)  # calibration overrides
    topic: Topic = TOPICS[0]
    customer: tuple[str, str] = ("", "")
    slots: dict[str, str] = field(default_factory=dict)
    escalated: bool = False
    hold: bool = False
    transfer: bool = False
    callback: bool = False
    pii: list[str] = field(default_factory=list)
    truth: dict[str, float | None] = field(default_factory=dict)
    turns: list[dict[str, Any]] = field(default_factory=list)
    handle: int = 0
    csat: int | None = None


class Truth:
    """The agent's real behaviour, as the transcript builder asks about it."""

    def __init__(self, rubric: Rubric, values: dict[str, float | None]) -> None:
        self.crit = {c.key: c for c in rubric.criteria}
        self.values = values

    def ok(self, key: str) -> bool:
        """Passed, not applicable, or not in this rubric."""
        c, v = self.crit.get(key), self.values.get(key)
        return c is None or v is None or v >= c.pass_at

    def band(self, key: str) -> int:
        """The answer on a 1..5 band (4 when the rubric does not score it)."""
        c, v = self.crit.get(key), self.values.get(key)
        if c is None or v is None:
            return 4
        if c.scale == "binary":
            return 4 if v >= 1 else 1
        return 1 + round(4 * (v - c.lo) / (c.hi - c.lo))


def applies(key: str, ix: Interaction) -> bool | None:
    """Whether the conversation makes a criterion applicable (None: it does not say)."""
    rules = {
        "verify_identity": ix.topic.account, "resolution": not ix.escalated,
        "hold_etiquette": ix.hold, "transfer_etiquette": ix.transfer,
        "recording_disclosure": ix.callback,
    }
    return rules.get(key)


def _ceil(x: float) -> int:
    return int(x) if float(x).is_integer() else int(x) + 1


def pass_value(c: Crit, r: random.Random) -> int:
    """A passing answer: mostly the middle-to-top of the pass band."""
    if c.scale == "binary":
        return 1
    values = list(range(_ceil(c.pass_at), c.hi + 1))
    if c.scale == "ordinal":
        weights = [0.30, 0.45, 0.25] if len(values) == 3 else [1.0] * len(values)
    else:
        weights = [float(n + 1) for n in range(len(values))]
    return int(pick(r, values, weights))


def fail_value(c: Crit, r: random.Random) -> int:
    """A failing answer, usually just below the pass mark."""
    if c.scale == "binary":
        return 0
    values = list(range(max(c.lo, _ceil(c.pass_at) - 4), _ceil(c.pass_at)))
    return int(pick(r, values, [float(n + 1) ** 2 for n in range(len(values))]))


def draw_truth(ix: Interaction, rubric: Rubric) -> dict[str, float | None]:
    """What the agent really did on every criterion (None: not applicable)."""
    out: dict[str, float | None] = {}
    for c in rubric.criteria:
        r = rng_for("truth", ix.ext, c.key)
        applicable = applies(c.key, ix)
        if applicable is False or (applicable is None and c.na_allowed and not ix.calibration
                                   and r.random() < DEFAULT_NA):
            out[c.key] = None if c.na_allowed else c.hi
            continue
        if ix.calibration:
            planned = ix.plan.get(c.key)
            if planned == "fail":
                out[c.key] = fail_value(c, r)
            elif isinstance(planned, int):
                out[c.key] = float(max(c.lo, min(c.hi, planned)))
            else:
                out[c.key] = pass_value(c, r)
            continue
        rate = FAIL_RATE.get(c.key, DEFAULT_CRITICAL_FAIL if c.critical else DEFAULT_FAIL)
        if ix.team == WEAK_TEAM and c.key in WEAK_KEYS:
            rate *= WEAK_FACTOR
        out[c.key] = fail_value(c, r) if r.random() < rate else pass_value(c, r)
    return out


# ----------------------------------------------------------------------------- turn builders

THANKS = ["Brilliant, thank you.", "Great, thanks for sorting that.",
          "Perfect, that's all I wanted.", "Oh good, thank you so much.",
          "That's a relief, thanks."]
UNHAPPY = ["That's not really good enough, to be honest.", "So I have to chase this again? Great.",
           "Fine, I suppose.", "I was hoping you'd actually fix it."]
ESCALATED_OK = ["Okay, thanks for arranging that.", "Right, as long as someone actually comes back "
                "to me.", "Okay, that's helpful, thanks."]
FLAT = ["Ok.", "Right.", "Ok, noted."]
DISMISSIVE = ["That's just how it works, I'm afraid.", "Well, that's our policy.",
              "I can't help how the system works."]
GENERIC_SORRY = ["Sorry for the inconvenience.", "I apologise for any inconvenience caused.",
                 "Sorry to hear that."]
EXTRA_WARMTH = ["And thank you for being so patient while we sorted this out — I know it's been a "
                "hassle.", "Thanks for bearing with me, {cust}; I know this isn't how you wanted "
                "to spend your {part}."]
OWNERSHIP_SLIPS = ["If it's still not sorted, you'll have to contact us again.",
                   "I can't really say when, so just keep an eye on it.",
                   "If there's a problem after that, you'll need to speak to another team."]
CURT = ["As I've already said, that's the process.", "Like I said, there's nothing else to add.",
        "I've explained that already."]
RELISTEN = [("Sorry, what was it you needed help with?",
             "I've just explained — it's all in my first message."),
            ("Can you tell me what the problem is?", "I literally just told you.")]
ACKNOWLEDGEMENTS = {"Okay.", "Right.", "Lovely.", "Mm-hm.", "I see."}
MAX_TURNS = 30
TYPOS = [("you're", "your"), ("You're", "Your"), ("I'll", "Ill"), ("I'm", "im"), ("I've", "ive"),
         ("received", "recieved"),
         ("definitely", "definately"), ("it's", "its"), ("That's", "thats"),
         ("There's", "theres"), (" the ", " teh "), ("Thanks", "thx"), ("please", "pls"),
         ("apologise", "appologise"), ("separate", "seperate")]


def typo(text: str, r: random.Random) -> str:
    """The message as a careless writer sends it."""
    for a, b in TYPOS:
        if a in text and r.random() < 0.7:
            text = text.replace(a, b, 1)
    if r.random() < 0.6:
        text = text[:1].lower() + text[1:]
    return text.rstrip(".")


class Turns:
    """Accumulates (speaker, text, timing hint) and turns them into canonical turns."""

    def __init__(self, slots: dict[str, str]) -> None:
        self.slots = slots
        self.items: list[tuple[str, str, float | None]] = []
        self.pairs: list[int] = []  # where each clarifying question (and its answer) starts

    def add(self, speaker: str, text: str, hint: float | None = None) -> None:
        self.items.append((speaker, text.format_map(self.slots), hint))

    def pair(self, question: str, answer: str) -> None:
        """A clarifying question and its answer, which ``trim`` may drop."""
        self.pairs.append(len(self.items))
        self.agent(question)
        self.cust(answer)

    def agent(self, text: str, hint: float | None = None) -> None:
        self.add("agent", text, hint)

    def cust(self, text: str, hint: float | None = None) -> None:
        self.add("customer", text, hint)

    def sys(self, text: str, hint: float | None = None) -> None:
        self.add("system", text, hint)

    def trim(self, limit: int) -> None:
        """At most ``limit`` turns: drop short acknowledgements ("Okay.") first, then
        clarifying questions (keeping one)."""
        while len(self.items) > limit:
            acks = [n for n, item in enumerate(self.items) if item[1] in ACKNOWLEDGEMENTS]
            if acks:
                del self.items[acks[-1]]
                self.pairs = [p - (p > acks[-1]) for p in self.pairs]
            elif len(self.pairs) > 1:
                start = self.pairs.pop()
                del self.items[start:start + 2]
            else:
                return

    def chat_times(self, r: random.Random) -> list[dict[str, Any]]:
        out, clock = [], 0
        for n, (speaker, text, hint) in enumerate(self.items):
            if n:
                if speaker == "system":
                    clock += r.randint(1, 5)
                elif speaker == "agent":
                    clock += int(8 + r.random() * 30 + len(text) / 9)
                else:
                    clock += int(6 + r.random() * 35 + len(text) / 5)
                clock += int(hint or 0)
            out.append({"seq": n, "speaker": speaker, "offset_seconds": clock, "text": text})
        return out

    def voice_times(self, r: random.Random) -> tuple[list[dict[str, Any]], int]:
        out, clock = [], 0.0
        for n, (speaker, text, hint) in enumerate(self.items):
            out.append({"seq": n, "speaker": speaker, "offset_seconds": int(clock), "text": text})
            if hint is not None:  # system events carry their own duration
                clock += hint
            else:
                clock += len(text.split()) / 2.6 + 0.4 + r.random() * 1.6
        return out, int(clock)


def _part_of_day(ix: Interaction) -> str:
    hour = (ix.start + uk_offset(ix.start)).hour
    return "morning" if hour < 12 else "afternoon" if hour < 17 else "evening"


def make_slots(ix: Interaction, r: random.Random) -> dict[str, str]:
    """The details one conversation fills its templates with."""
    first, last = ix.customer
    town, area = r.choice(TOWNS)
    local = ix.start + uk_offset(ix.start)
    prev_month = MONTHS[(local.month - 2) % 12]
    next_month = MONTHS[local.month % 12]
    old = r.randint(2600, 4500) / 100
    new = old + r.randint(300, 800) / 100
    small = r.randint(300, 1200) / 100
    house = f"{r.randint(2, 140)} {r.choice(STREETS)}"
    return {
        "cust": first, "full": f"{first} {last}", "agent": ix.agent.split()[0],
        "agent_full": ix.agent, "team": ix.team, "part": _part_of_day(ix),
        "amount": money(r.randint(1800, 9500) / 100), "small": money(small),
        "small2": money(2 * small), "old_price": money(old), "new_price": money(new),
        "deal_price": money(new - r.randint(500, 900) / 100),
        "big_credit": money(r.choice([40, 50, 60, 75])), "plan": r.choice(PLANS),
        "month": prev_month, "dd": ordinal_day(r.randint(2, 27)),
        "weeks": r.choice(["three", "four", "five"]),
        "weekday": r.choice(WEEKDAYS[:5]), "eng_day": r.choice(WEEKDAYS[:6]),
        "order": f"#A-{r.randint(10000, 99999)}", "ref": f"INC-{r.randint(100000, 999999)}",
        "town": town, "area": area,
        "new_address": f"{r.randint(2, 140)} {r.choice(STREETS)}, {town} {area} "
                       f"{r.randint(1, 9)}{r.choice('ABDEFGHJLNPQRSTUWXYZ')}"
                       f"{r.choice('ABDEFGHJLNPQRSTUWXYZ')}",
        "move_date": f"{ordinal_day(r.randint(3, 28))} of {next_month}",
        "house_line": house, "postcode": f"{area} {r.randint(1, 9)}"
                                          f"{r.choice('ABDEFGHJLNPQRSTUWXYZ')}"
                                          f"{r.choice('ABDEFGHJLNPQRSTUWXYZ')}",
        "dob": f"{r.randint(1, 28):02d}/{r.randint(1, 12):02d}/{r.randint(1950, 2001)}",
        "dob_spoken": f"the {ordinal_day(r.randint(1, 28))} of {r.choice(MONTHS)} "
                      f"{r.randint(1950, 2001)}",
        "last_bill": money(new) if ix.topic.key in RAISED_BILL else money(old),
        "last4": f"{r.randint(0, 9999):04d}", "account": f"NW-{r.randint(1000000, 9999999)}",
        "email": email_text(r, first, last), "phone": phone_text(r),
        "card": card_text(r, valid=r.random() < 0.8),
        "expiry": f"{r.randint(1, 12):02d}/{r.randint(27, 31)}", "cvv": f"{r.randint(100, 999)}",
        "iban": IBANS[r.randrange(len(IBANS))] if r.random() < 0.85 else IBAN_MISTYPED,
        "to_team": OTHER_TEAM[ix.team][0], "to_queue": OTHER_TEAM[ix.team][1],
        "extra": OTHER_TEAM[ix.team][2],
    }


def _outcome(ix: Interaction, t: Truth) -> str:
    if ix.escalated:
        return "escalated"
    return "fixed" if t.ok("resolution") else "failed"


def _empathy_line(t: Truth, ix: Interaction, r: random.Random) -> str:
    band = t.band("empathy")
    if band <= 1:
        return r.choice(DISMISSIVE)
    if band == 2:
        return r.choice(FLAT)
    if band == 3:
        return r.choice(GENERIC_SORRY)
    return r.choice(ix.topic.empathy)


def _recap(ix: Interaction, t: Truth) -> str:
    outcome = _outcome(ix, t)
    if outcome == "fixed":
        return ix.topic.summary
    if outcome == "escalated":
        return "the team I've passed this to will be in touch, and your reference is {ref}"
    return "I've added notes to your account about today"


def _policy_outcome_ownership(b: Any, ix: Interaction, t: Truth, topic: Any,
                              r: random.Random) -> str:
    """The middle of a chat or a call: a policy slip if any, the outcome and the customer's
    reaction to it, and a lack of ownership if any."""
    if not t.ok("policy_compliance"):
        b.agent(r.choice(POLICY_SLIPS[ix.team]))
    outcome = _outcome(ix, t)
    if outcome == "fixed":
        b.agent(r.choice(topic.fix))
        b.cust(r.choice(THANKS))
    elif outcome == "escalated":
        b.agent(r.choice(topic.escalation))
        b.cust(r.choice(ESCALATED_OK))
    else:
        b.agent(r.choice(topic.fail))
        b.cust(r.choice(UNHAPPY))
    if not t.ok("ownership"):
        b.agent(r.choice(OWNERSHIP_SLIPS))
    return outcome


def build_chat(ix: Interaction, t: Truth, r: random.Random) -> None:
    """A chat whose turns show what the agent really did."""
    topic, b = ix.topic, Turns(ix.slots)
    b.sys(r.choice(["Customer joined the chat",
                    f"Chat started from the Help Centre ({topic.queue})",
                    "Customer joined the chat from the My Northwind app"]))
    if t.ok("greeting"):
        b.agent(r.choice(["Hi, you're chatting with {agent} at Northwind — how can I help today?",
                          "Hello {cust}, thanks for contacting Northwind. My name's {agent}, how "
                          "can I help?",
                          "Good {part}! You're through to {agent} at Northwind. What can I do for "
                          "you today?"]))
    else:
        b.agent(r.choice(["hi", "Hello, what's the issue?", "How can I help?"]))
    b.cust(r.choice(topic.issue))
    if not t.ok("active_listening"):
        q, a = r.choice(RELISTEN)
        b.agent(q)
        b.cust(a)
    b.agent(_empathy_line(t, ix, r))
    pii = list(ix.pii)
    if topic.account:
        if t.ok("verify_identity"):
            if "email" in pii:
                pii.remove("email")
                b.agent("Before I look at the account, please can you confirm the email address "
                        "on it and the last four digits of the card you pay with?")
                b.cust("It's {email}, and the card ends {last4}.")
            else:
                q, a = r.choice([
                    ("Before I look at the account, can I confirm a couple of security details? "
                     "Your postcode and date of birth, please.", "{postcode}, {dob}."),
                    ("For security, please confirm the first line of your address and the last "
                     "four digits of the card you pay with.", "{house_line}, and it ends {last4}."),
                    ("Could I take your account number and the full name on the account, to "
                     "verify you first?", "{account}, {full}."),
                ])
                b.agent(q)
                b.cust(a)
            b.agent(r.choice(["Thanks {cust}, that's all matched.", "Perfect, you're verified.",
                              "Thank you, that all checks out."]))
        elif r.random() < 0.5:
            b.cust("Do you need my account number or anything?")
            b.agent("No need, I've already got you up on screen.")
        else:
            b.agent("I've found the account from your name, {cust}.")
    if "email" in pii:
        b.cust("Can you send any confirmation to {email}? I don't use the old address any more.")
    if "phone" in pii:
        b.cust("If we get cut off, my number is {phone}.")
    for q, a in r.sample(topic.clarify, r.randint(1, min(3, len(topic.clarify)))):
        b.pair(q, a)
    if t.ok("response_time"):
        b.agent(r.choice(["I'm just checking that for you now, it'll take a minute or two.",
                          "Bear with me a moment while I look into this.",
                          "Thanks, one moment while I check."]))
    else:
        b.agent("Let me check.")
        b.cust("Hello? Are you still there?", hint=150 + r.randint(0, 140))
        b.agent("Sorry, still looking.", hint=r.randint(20, 60))
    b.agent(r.choice(topic.findings))
    if not t.ok("accuracy"):
        b.agent(topic.wrong)
    if "iban" in pii:
        b.cust("Can any money go straight to my bank instead? My IBAN is {iban}.")
        b.agent("Refunds can only go back to the original payment method, so it'll go to your "
                "card — and please don't share bank details in chat.")
    if not t.ok("data_protection"):
        b.agent("While I've got you, there's {amount} outstanding — if you type the long card "
                "number, expiry and the three digits on the back here, I can clear it now.")
        b.cust("{card}, expiry {expiry}, {cvv}.")
        b.agent("Thanks, that's gone through.")
    elif "card" in pii:
        b.cust("My card is {card}, expiry {expiry}, if you need it.")
        b.agent("Please don't share card details in chat — I've masked that message for your "
                "security. I'll send you our secure payment link instead.")
    _policy_outcome_ownership(b, ix, t, topic, r)
    if not t.ok("tone"):
        b.agent(r.choice(CURT))
    if t.band("empathy") >= 5:
        b.agent(r.choice(EXTRA_WARMTH))
    if t.ok("closing"):
        b.agent("Just to recap: " + _recap(ix, t) + ". Is there anything else I can help with "
                "today?")
        b.cust(r.choice(["No, that's everything, thanks.", "No, that's all. Thanks.",
                         "Nope, all good."] if _outcome(ix, t) != "failed" else
                        ["No, that's it.", "No."]))
        b.agent("Thanks for chatting with Northwind, {cust}. Have a lovely {part}!")
        b.sys(r.choice(["Customer left the chat", "Chat ended by customer"]))
    else:
        b.agent(r.choice(["Ok, that's done.", "Done."]))
        b.sys("Chat ended by agent")
    b.trim(MAX_TURNS)
    if not t.ok("grammar"):
        b.items = [(s, typo(x, r) if s == "agent" and r.random() < 0.7 else x, h)
                   for s, x, h in b.items]
    ix.turns = b.chat_times(r)
    ix.handle = ix.turns[-1]["offset_seconds"] + r.randint(30, 150)


def build_voice(ix: Interaction, t: Truth, r: random.Random) -> None:
    """A call (speech-to-text style) whose turns show what the agent really did."""
    topic, b = ix.topic, Turns(ix.slots)
    if ix.callback:
        b.sys("Outbound call: callback requested through the web form", hint=14)
        b.agent("Hi, is that {cust}? It's {agent} from Northwind, returning your call from "
                "earlier." if t.ok("greeting") else "Hi, is that {cust}? It's about your call "
                "earlier.")
        b.cust("Yes, speaking.")
        if t.ok("recording_disclosure"):
            b.agent("Just so you know, this call is recorded for training and quality purposes.")
            b.cust("That's fine.")
        b.agent("So, what's been happening?")
    else:
        b.sys("IVR: Welcome to Northwind. Calls are recorded for training and quality purposes.",
              hint=9)
        b.sys(f"Call routed to queue {topic.queue}", hint=r.randint(20, 240))
        if t.ok("greeting"):
            b.agent(r.choice(["Thank you for calling Northwind, you're speaking with {agent}. How "
                              "can I help?",
                              "Good {part}, Northwind {team}, {agent} speaking. How can I help "
                              "you today?"]))
        else:
            b.agent(r.choice(["Hello, {team}.", "Yeah, hi, what's the problem?"]))
    issue = r.choice(topic.issue)
    opener = r.choice(["Yeah, hi. ", "Hiya, um, ", "Hello. ", "Hi there. ", "Oh hi, yeah, "])
    b.cust(opener + (issue if opener.endswith(". ") else issue[:1].lower() + issue[1:]))
    if not t.ok("active_listening"):
        b.agent("Sorry, so what is it you're ringing about?")
        b.cust("I've just said — " + issue[:1].lower() + issue[1:])
    b.agent(_empathy_line(t, ix, r))
    if topic.account:
        if t.ok("verify_identity"):
            b.agent("Before I go into the account, can I take your full name, the first line of "
                    "the address and your date of birth, please?")
            b.cust("Yeah, it's {full}, {house_line}, and {dob_spoken}.")
            b.agent("Thank you. And roughly how much was your last bill?")
            b.cust("About {last_bill}, I think.")
            b.agent("That's you through security, thanks {cust}.")
        elif r.random() < 0.5:
            b.agent("What's the name on the account?")
            b.cust("{full}.")
            b.agent("Right, got you up.")
        else:
            b.agent("Is that the account at {house_line}?")
            b.cust("Yes, that's me.")
    if "phone" in ix.pii:
        b.cust("And if we get cut off, my mobile's {phone}.")
    if "email" in ix.pii:
        b.cust("Oh, and my email's changed, it's {email} now.")
        b.agent("Thanks, I've updated that.")
    for q, a in r.sample(topic.clarify, r.randint(1, min(3, len(topic.clarify)))):
        lead_in = r.choice(["", "Um, ", "Yeah, "])
        b.pair(q, lead_in + (a[:1].lower() + a[1:] if lead_in and not a.startswith("I") else a))
        if r.random() < 0.3:
            b.agent(r.choice(["Okay.", "Right.", "Lovely."]))
    if ix.hold:
        if t.ok("hold_etiquette"):
            b.agent("Would you mind if I pop you on hold for a minute or two while I check that "
                    "with the team?")
            b.cust("Yeah, that's fine.")
            secs = r.randint(40, 115)
            b.sys(f"Call on hold ({secs // 60}:{secs % 60:02d})", hint=secs)
            b.agent("Thanks for holding, {cust}.")
        else:
            b.agent("Hang on.")
            secs = r.randint(250, 450)
            b.sys(f"Call on hold ({secs // 60}:{secs % 60:02d})", hint=secs)
            b.cust("Hello? I've been waiting ages.")
            b.agent("Yeah, sorry, I was checking something.")
    if not t.ok("call_control"):
        secs = r.randint(35, 70)
        b.sys(f"Silence on the line (0:{secs:02d})", hint=secs)
        b.agent("Sorry, erm, the system's really slow today... bear with me... no, that's the "
                "wrong screen, hang on.")
    b.agent(r.choice(topic.findings))
    b.cust(r.choice(["Okay.", "Right.", "Mm-hm.", "I see."]))
    if not t.ok("accuracy"):
        b.agent(topic.wrong)
    if "iban" in ix.pii:
        b.cust("Can you just pay it into my bank? The IBAN's {iban}.")
        b.agent("I'm afraid refunds only go back to the card you paid with, so it'll go there.")
    if not t.ok("data_protection"):
        b.agent("There's also {amount} outstanding. Can you read me the long number on your "
                "card?")
        b.cust("Yeah, it's {card}.")
        b.agent("So that's {card}... and the three digits on the back?")
        b.cust("{cvv}.")
        b.agent("Lovely, that's paid.")
    elif "card" in ix.pii:
        b.cust("Do you want my card number? It's {card}...")
        b.agent("Sorry to stop you — please don't read card numbers out on this line. I'm "
                "putting you through to our secure payment line, where you key it in and the "
                "recording is paused.")
        b.sys("Secure payment IVR: card details captured, recording paused",
              hint=r.randint(60, 120))
        b.agent("That's all gone through, thank you.")
    outcome = _policy_outcome_ownership(b, ix, t, topic, r)
    if not t.ok("tone"):
        curt = r.choice(CURT)
        b.agent("Look, " + curt[:1].lower() + curt[1:])
    if t.band("empathy") >= 5:
        b.agent(r.choice(EXTRA_WARMTH))
    if t.ok("closing"):
        b.agent("So just to recap, " + _recap(ix, t) + ". Is there anything else I can help "
                "with today?")
    else:
        b.agent("Right, that's done.")
    if ix.transfer:
        b.cust("Actually, yes, while I've got you — I wanted to ask about {extra}."
               if t.ok("closing") else "Wait, before you go — I wanted to ask about {extra}.")
        if t.ok("transfer_etiquette"):
            b.agent("That's our {to_team} team, so I'll transfer you. I'll stay on the line and "
                    "explain everything, so you won't have to repeat yourself.")
            b.cust("Okay, thanks.")
            b.sys("Warm transfer: {agent_full} briefed {to_team}", hint=r.randint(30, 90))
        else:
            b.agent("That's a different department, I'll put you through.")
        b.sys("Call transferred to queue {to_queue}", hint=2)
    elif t.ok("closing"):
        b.cust(r.choice(["No, that's everything, thanks.", "No, that's great, thank you.",
                         "No, that's it. Cheers."] if outcome != "failed" else
                        ["No, that's it.", "No. Bye."]))
        b.agent("Thanks for calling Northwind, {cust}. Take care, bye now.")
        b.sys("Call ended by customer", hint=0)
    else:
        b.agent("Bye.")
        b.sys("Call ended by agent", hint=0)
    b.trim(MAX_TURNS)
    ix.turns, end = b.voice_times(r)
    ix.handle = end + r.randint(30, 150)  # after-call work


def build_email(ix: Interaction, t: Truth, r: random.Random) -> None:
    """An e-mail ticket: the customer's message, the replies and the ticket events."""
    topic, s = ix.topic, ix.slots
    q2, answer2 = r.choice(SECOND_QUESTIONS)
    items: list[tuple[float, str, str]] = []  # (hours after the first message, speaker, text)

    def fmt(text: str) -> str:
        return text.format_map(s)

    body = [f"Subject: {fmt(topic.subject)}", "", "Hi,", "", fmt(r.choice(topic.issue))]
    if topic.account and not t.ok("verify_identity") and r.random() < 0.6:
        body[-1] += " I'm writing from my work email as I can't get into my personal one."
    body += ["", f"Also, could you tell me {q2}?"]
    extra = []
    if "card" in ix.pii:
        extra.append(fmt("My new card is {card}, expiry {expiry}, if you need it."))
    if "iban" in ix.pii:
        extra.append(fmt("If there's any refund, please pay it to my bank account, IBAN {iban}."))
    if "phone" in ix.pii:
        extra.append(fmt("You can call me on {phone} if that's easier."))
    if extra:
        body += ["", " ".join(extra)]
    body += ["", "Thanks,", fmt("{full}")]
    if "email" in ix.pii:
        body.append(fmt("Please reply to {email} — I'm closing my old email account."))
    items.append((0.0, "system", f"Ticket created from the web form ({topic.queue})"))
    items.append((0.001, "customer", "\n".join(body)))
    items.append((0.01, "system", "Auto-reply sent: we aim to reply within 24 hours"))
    first = r.uniform(1.5, 20) if t.ok("response_time") else r.uniform(30, 62)
    if not t.ok("response_time"):
        items.append((r.uniform(25, first - 2), "customer",
                      "I'm still waiting for a reply to this. It's been over a day now."))
    items.append((first - r.uniform(0.2, 1), "system", fmt("Ticket assigned to {agent_full}")))

    paragraphs = [fmt("Hi {cust},") if t.ok("greeting") else "Dear Customer,"]
    paragraphs.append(fmt("Thanks for getting in touch, this is {agent} from the Northwind "
                          "{team} team.") if t.ok("greeting") else "Thank you for your email.")
    band = t.band("empathy")
    if band >= 3:
        paragraphs.append(fmt(r.choice(topic.empathy) if band >= 4 else r.choice(GENERIC_SORRY)))
    elif band == 1:
        paragraphs.append(r.choice(DISMISSIVE))
    if topic.account and t.ok("verify_identity"):
        paragraphs.append(r.choice([
            "I can see you've written from the email address we hold for your account, so I can "
            "go ahead and look into this.",
            "As your message came from the email address on your account, I've been able to "
            "check the details for you."]))
    text = fmt(r.choice(topic.findings))
    if not t.ok("accuracy"):
        text += " " + fmt(topic.wrong)
    paragraphs.append(text)
    if "card" in ix.pii and t.ok("data_protection"):
        paragraphs.append("For your security, please don't send card details by email — I've "
                          "deleted them from the ticket. You can add the card safely through "
                          "the secure link I've sent you by text.")
    if not t.ok("data_protection"):
        paragraphs.append(fmt("There's also {amount} outstanding, so please reply with your full "
                              "card number, expiry date and security code and I'll update the "
                              "account."))
    if not t.ok("policy_compliance"):
        paragraphs.append(fmt(r.choice(POLICY_SLIPS[ix.team])))
    outcome = _outcome(ix, t)
    pool = {"fixed": topic.fix, "escalated": topic.escalation, "failed": topic.fail}[outcome]
    paragraphs.append(fmt(r.choice(pool)))
    if "iban" in ix.pii:
        paragraphs.append("Refunds can only go back to the original payment method, so we won't "
                          "use the bank details you sent.")
    if not t.ok("ownership"):
        paragraphs.append(r.choice(OWNERSHIP_SLIPS))
    if t.ok("completeness"):
        paragraphs.append(answer2)
    if not t.ok("tone"):
        paragraphs.append(r.choice(CURT))
    if t.ok("closing"):
        paragraphs.append("If there's anything else, just reply to this email and it'll come "
                          "straight back to me.")
        paragraphs.append(fmt("Kind regards,\n{agent}\nNorthwind Customer Care"))
    else:
        paragraphs.append("Regards,\nNorthwind")
    if not t.ok("grammar"):
        paragraphs = [typo(p, r) if r.random() < 0.7 else p for p in paragraphs]
    reply = " ".join(p.replace("\n", " ") for p in paragraphs) if not t.ok("readability") \
        else "\n\n".join(paragraphs)
    items.append((first, "agent", reply))
    later = first + r.uniform(2, 30)
    if not t.ok("data_protection"):
        items.append((later, "customer", fmt("Here you go: {card}, expiry {expiry}, security code "
                                             "{cvv}.")))
        follow = fmt("Thanks {cust}, I've updated the card and taken the payment of {amount}.")
    elif not t.ok("completeness"):
        items.append((later, "customer", f"Thanks, but you haven't answered my other question — "
                                         f"{q2}?"))
        follow = fmt("Sorry {cust}, I missed that. ") + answer2
    elif outcome == "failed":
        items.append((later, "customer", r.choice(UNHAPPY) + " Can someone actually look at "
                                                              "this properly?"))
        follow = fmt("Hi {cust}, I've added your comments to the ticket.")
    else:
        items.append((later, "customer", r.choice(THANKS)))
        follow = fmt("You're welcome, {cust}. I'll close this ticket now.")
    items.append((later + r.uniform(1, 8), "agent",
                  follow + ("\n\n" + fmt("Kind regards,\n{agent}") if t.ok("closing") else "")))
    if r.random() < 0.4:
        items.append((later + r.uniform(9, 20), "customer", r.choice(["Thanks!", "Cheers.",
                                                                      "Appreciated, thank you."])))
    items.append((items[-1][0] + r.uniform(24, 72), "system", "Ticket status changed to Solved"))
    ix.turns = [{"seq": n, "speaker": sp, "offset_seconds": int(round(h * 3600)), "text": tx}
                for n, (h, sp, tx) in enumerate(items)]
    agent_replies = sum(1 for _h, sp, _t in items if sp == "agent")
    ix.handle = sum(r.randint(240, 900) for _ in range(agent_replies))


def csat_for(ix: Interaction, t: Truth, r: random.Random) -> int | None:
    """A survey answer for about 40% of contacts, following the outcome."""
    if r.random() >= 0.4:
        return None
    outcome = _outcome(ix, t)
    score = {"fixed": 5 if t.band("empathy") >= 4 else 4, "escalated": 3, "failed": 2}[outcome]
    if t.band("empathy") <= 2:
        score -= 1
    score += r.choice([-1, 0, 0, 0, 0, 1]) if outcome != "failed" else r.choice([-1, 0, 0])
    return max(1, min(5, score))


# ----------------------------------------------------------------------------- the population

CHANNEL_INDEX = {"chat": 0, "voice": 1, "email": 2}
PREFIX = {"chat": "C", "voice": "V", "email": "E"}
# The calibration sample: hand-picked hard cases (what a lead stratifies for). Each entry: the
# team, and what the agent really did where it differs from a clean pass.
CAL_PLAN: list[tuple[str, dict[str, Any]]] = [
    ("Billing", {"verify_identity": "fail", "empathy": 2}),
    ("Tech Support", {"empathy": 4}),
    ("Retention", {"resolution": "fail", "empathy": 3}),
    ("Billing", {"verify_identity": "fail", "empathy": 4}),
    ("Tech Support", {"general": True, "empathy": 4}),
    ("Retention", {"empathy": 2, "closing": "fail"}),
    ("Retention", {"verify_identity": "fail", "accuracy": "fail", "empathy": 3}),
    ("Tech Support", {"escalated": True, "empathy": 5}),
    ("Billing", {"empathy": 3}),
    ("Retention", {"response_time": "fail", "empathy": 4}),
]


def _business_second(r: random.Random, channel: str, weekend: bool) -> int:
    if channel == "email":
        return r.randint(6 * 3600, 23 * 3600)
    lo, hi = (9, 17) if weekend else (8, 20)
    return r.randint(lo * 3600, hi * 3600 - 1200)


def population() -> list[Interaction]:
    """Every interaction's who, when and channel, numbered in time order per channel."""
    out: list[Interaction] = []
    days = (END - START).days
    for channel, count in COUNTS.items():
        r = rng_for("population", channel)
        idx = CHANNEL_INDEX[channel]
        people = [a for a in AGENTS if a[3][idx] > 0]
        items = []
        for _ in range(count):
            name, team, site, _w = pick(r, people, [a[3][idx] for a in people])
            day = START + timedelta(days=r.randint(0, days))
            start = uk_time(day, _business_second(r, channel, day.weekday() >= 5))
            items.append(Interaction(ext="", channel=channel, agent=name, team=team, site=site,
                                     start=start))
        if channel == CAL_RUBRIC_CHANNEL:
            rc = rng_for("population", "calibration")
            for n, (team, plan) in enumerate(CAL_PLAN):
                people_t = [a for a in people if a[1] == team]
                name, _team, site, _w = people_t[n % len(people_t)]
                day = date(2026, 10, 1) + timedelta(days=2 * n + rc.randint(0, 1))
                start = uk_time(day, _business_second(rc, channel, day.weekday() >= 5))
                items.append(Interaction(ext="", channel=channel, agent=name, team=team,
                                         site=site, start=start, calibration=True, plan=plan))
        items.sort(key=lambda i: i.start)
        for n, ix in enumerate(items, start=1):
            ix.ext = f"{PREFIX[channel]}-{n:04d}"
        out += items
    return out


def _choose_topic(ix: Interaction, r: random.Random) -> Topic:
    topics = TOPICS_BY_TEAM[ix.team]
    if ix.calibration:
        if ix.plan.get("general"):
            return next(t for t in topics if not t.account)
        if ix.plan.get("escalated"):
            return max(topics, key=lambda t: t.escalate)
        accounts = [t for t in topics if t.account]
        return accounts[int(ix.ext[2:]) % len(accounts)]
    return pick(r, topics, [1.0 if t.account else 0.5 for t in topics])


def flesh_out(ix: Interaction, rubric: Rubric) -> None:
    """Topic, situation, true answers, transcript, handle time and CSAT of one interaction."""
    r = rng_for("interaction", ix.ext)
    ix.topic = _choose_topic(ix, r)
    ix.customer = CUSTOMERS[r.randrange(len(CUSTOMERS))]
    if ix.calibration:
        ix.escalated = bool(ix.plan.get("escalated"))
    else:
        ix.escalated = r.random() < ix.topic.escalate
    if ix.channel == "voice":
        ix.hold = r.random() < 0.4
        ix.transfer = r.random() < 0.12
        ix.callback = r.random() < 0.15
    rp = rng_for("pii", ix.ext)
    kinds = ["email", "phone"] + ["card"] * (ix.topic.key in CARD_TOPICS) + \
        ["iban"] * (ix.topic.key in IBAN_TOPICS)
    weights = [PII_WEIGHTS[k] for k in kinds]
    if rp.random() < 0.27:
        ix.pii.append(pick(rp, kinds, weights))
        if rp.random() < 0.2:
            second = pick(rp, kinds, weights)
            if second not in ix.pii:
                ix.pii.append(second)
    elif ix.topic.key == "payment_failed" and rp.random() < 0.5:
        ix.pii.append("card")  # customers paying by card often type the number
    ix.slots = make_slots(ix, rng_for("slots", ix.ext))
    ix.truth = draw_truth(ix, rubric)
    truth = Truth(rubric, ix.truth)
    rt = rng_for("turns", ix.ext)
    {"chat": build_chat, "voice": build_voice, "email": build_email}[ix.channel](ix, truth, rt)
    ix.csat = csat_for(ix, truth, rng_for("csat", ix.ext))


# ----------------------------------------------------------------------------- scoring

COMMENTS = {
    "greeting": ["No brand or agent name in the opening.", "Opened with 'hi' only — no branded "
                 "greeting.", "Greeting missing the agent's name."],
    "verify_identity": ["Discussed the account before any security check.",
                        "Verification skipped; account details shared with an unverified "
                        "customer.", "Only the name was checked before account details were "
                        "given.", "Gave the caller the address instead of asking for it."],
    "recording_disclosure": ["Outbound call: no recording disclosure given.",
                             "Recording disclosure missing on the callback."],
    "response_time": ["Customer waited over 2 minutes with no holding message.",
                      "Customer had to ask if the agent was still there.",
                      "Reply outside the service level."],
    "active_listening": ["Asked the customer to repeat the issue they had already explained.",
                         "Missed the customer's question and answered a different one."],
    "empathy": ["No acknowledgement of the customer's frustration; went straight to process.",
                "Dismissive ('that's just how it works').",
                "Flat, one-word responses to an upset customer."],
    "accuracy": ["Wrong timescale given to the customer.",
                 "Incorrect information that will cause a repeat contact.",
                 "Told the customer something that contradicts the knowledge base."],
    "policy_compliance": ["Goodwill credit above the agent's limit without approval.",
                          "Process step skipped; no approval noted.",
                          "Promised a concession outside policy."],
    "ownership": ["Told the customer to contact us again instead of owning the issue.",
                  "No time frame or next step given.",
                  "Pushed the customer to a third party without need."],
    "resolution": ["Could have been fixed in this contact but wasn't.",
                   "Customer left without a fix or a clear next step.",
                   "Resolvable here; the customer will have to come back."],
    "case_notes": ["Case notes missing the outcome.", "Notes just say 'cust called re bill'.",
                   "No case notes on the account."],
    "grammar": ["Several spelling mistakes ('your' for 'you're').",
                "Careless typos and missing capitals throughout."],
    "tone": ["Curt replies ('as I said').", "Tone came across as impatient.",
             "Canned responses pasted without adapting them."],
    "data_protection": ["Asked for the full card number and CVV in the conversation.",
                        "Card number read back in full.",
                        "Card details taken outside the secure payment route."],
    "closing": ["Ended without checking if anything else was needed.",
                "No summary or next steps before closing.", "Closed abruptly."],
    "disposition": ["Wrong contact reason code.", "Complaint not tagged.",
                    "Default disposition left in place."],
    "hold_etiquette": ["Put on hold without asking; over 4 minutes with no update.",
                       "Long hold with no check-back."],
    "transfer_etiquette": ["Cold transfer with no briefing.",
                           "Transferred without explaining why or where."],
    "call_control": ["Long silences without explanation.",
                     "Call drifted; long dead air while searching."],
    "completeness": ["Second question in the customer's email not answered.",
                     "Reply answered only part of the email."],
    "readability": ["Reply is one long block of text.", "Hard to follow: no paragraphs or steps."],
}
HEADER = ["interaction", "source", "evaluator", "rubric", "criterion", "value", "comment",
          "root_cause", "scored_at", "session"]


def value_text(c: Crit, value: float | None) -> str:
    """An answer as the evaluations file writes it."""
    if value is None:
        return "n/a"
    if c.scale == "binary":
        return "yes" if value >= 1 else "no"
    return str(int(value))


def _step(c: Crit, value: float, r: random.Random, down: float, up: float) -> float:
    u = r.random()
    moved = value - 1 if u < down else value + 1 if u < down + up else value
    return float(max(c.lo, min(c.hi, moved)))


def observe(c: Crit, true: float | None, r: random.Random, *, miss: float = MISS,
            false_fail: float | None = None, down: float = STEP, up: float = STEP) -> float | None:
    """What an evaluator records for what really happened."""
    if true is None:
        return None
    if c.scale == "binary":
        if true < 1:
            return 1.0 if r.random() < miss else 0.0
        if false_fail is None:
            false_fail = FALSE_FAIL_CRITICAL if c.critical else FALSE_FAIL
        return 0.0 if r.random() < false_fail else 1.0
    return _step(c, true, r, down, up)


def answer_rows(ix: Interaction, who: str, rubric: Rubric, values: dict[str, float | None],
                scored_at: str, session: str, r: random.Random) -> list[list[str]]:
    """One row per criterion, with a comment and a root cause on failed answers."""
    rows = []
    for c in rubric.criteria:
        v = values[c.key]
        comment = cause = ""
        if v is not None and v < c.pass_at:
            comment = r.choice(COMMENTS.get(c.key, ["Below the standard for this criterion."]))
            if c.root_causes and r.random() < 0.8:
                cause = r.choice(c.root_causes)
        rows.append([ix.ext, SOURCE, who, rubric.name, c.key, value_text(c, v), comment, cause,
                     scored_at, session])
    return rows


def _scored_time(day: date, site: str, r: random.Random) -> datetime:
    while day.weekday() >= 5:
        day += timedelta(days=1)
    seconds = r.randint(9 * 3600, 17 * 3600 + 1800)
    if site == "manila":
        return datetime.combine(day, datetime.min.time(), timezone.utc) + timedelta(
            seconds=seconds - 8 * 3600)
    return uk_time(day, seconds)


def routine_scores(ixs: list[Interaction], rubrics: dict[str, Rubric]) -> list[list[str]]:
    """One evaluation per contact (outside the calibration sample), in time order."""
    site_of = dict(EVALUATORS)
    others = [name for name, _s in EVALUATORS if name != DRIFTER]
    rows: list[tuple[datetime, str, list[list[str]]]] = []
    for ix in ixs:
        if ix.calibration:
            continue
        r = rng_for("assign", ix.ext)
        if r.random() < SENIOR_SHARE[ix.site]:
            who = DRIFTER
        else:
            idx = CHANNEL_INDEX[ix.channel]
            who = pick(r, others, [(4.0 if site_of[o] == ix.site else 1.0)
                                   * EVALUATOR_CHANNELS[o][idx] for o in others])
        local_day = (ix.start + uk_offset(ix.start)).date()
        when = _scored_time(local_day + timedelta(days=r.randint(1, 5)), site_of[who], r)
        lenient = who == DRIFTER and when.date() >= DRIFT_ONSET
        rubric = rubrics[ix.channel]
        values = {}
        for c in rubric.criteria:
            ro = rng_for("observe", ix.ext, who, c.key)
            drifting = lenient and c.key == DRIFT_KEY
            values[c.key] = observe(c, ix.truth[c.key], ro,
                                    miss=DRIFT_PASSES_REAL_FAILS if drifting else MISS)
        stamp = local_iso(when, site_of[who])
        rows.append((when, ix.ext, answer_rows(ix, who, rubric, values, stamp, "",
                                               rng_for("comments", ix.ext, who))))
    rows.sort(key=lambda x: (x[0], x[1]))
    return [row for _w, _e, block in rows for row in block]


def calibration_scores(ixs: list[Interaction], rubric: Rubric) -> list[list[str]]:
    """The blind scores of the calibration session, the benchmark's last."""
    site_of = {**dict(EVALUATORS), LEAD[0]: LEAD[1]}
    sample = [ix for ix in ixs if ix.calibration]
    out = []
    for n, who in enumerate([*CAL_SCORERS, LEAD[0]]):
        r = rng_for("calibration sitting", who)
        start = CAL_CREATED + timedelta(days=1 + n % 4, hours=r.randint(0, 4))
        for k, ix in enumerate(sample):
            values: dict[str, float | None] = {}
            for c in rubric.criteria:
                ro = rng_for("calibration", ix.ext, who, c.key)
                true = ix.truth[c.key]
                if who == LEAD[0]:
                    values[c.key] = true  # the benchmark: the standard
                elif c.key == CAL_SPLIT_ORDINAL:  # subjective: everyone reads it differently
                    down = 0.5 if who == CAL_HARSH else 0.2
                    up = 0.45 if who == CAL_LENIENT else 0.0 if who == CAL_HARSH else 0.2
                    values[c.key] = observe(c, true, ro, down=down, up=up)
                elif who == CAL_LENIENT and c.key == CAL_LENIENT_BINARY:
                    values[c.key] = observe(c, true, ro, miss=1.0)
                elif who == CAL_HARSH and c.key == CAL_HARSH_BINARY:
                    values[c.key] = observe(c, true, ro, false_fail=0.85)
                elif who == CAL_LENIENT:  # also lets the odd other failure through
                    values[c.key] = observe(c, true, ro, miss=0.0 if c.critical else 0.4,
                                            false_fail=0.0, down=0.0, up=0.03)
                else:
                    values[c.key] = observe(c, true, ro, miss=0.0 if c.critical else 0.03,
                                            false_fail=0.0, down=0.03, up=0.03)
            when = start + timedelta(minutes=9 * k + r.randint(0, 5))
            out += answer_rows(ix, who, rubric, values, local_iso(when, site_of[who]), SESSION,
                               rng_for("calibration comments", ix.ext, who))
    return out


# ----------------------------------------------------------------------------- writing


def _csv(rows: list[list[Any]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerows(rows)
    return buf.getvalue()


def _record(ix: Interaction) -> dict[str, Any]:
    return {
        "external_id": ix.ext, "source": SOURCE, "channel": ix.channel, "agent": ix.agent,
        "team": ix.team, "site": SITES[ix.site], "queue": ix.topic.queue,
        "started_at": local_iso(ix.start, ix.site), "handle_time_seconds": ix.handle,
        "csat": ix.csat, "language": LANGUAGE,
    }


def render(rubric_dir: Path | None = None) -> dict[str, str]:
    """Every file of the sample, by name, as text."""
    rubrics = load_rubrics(rubric_dir)
    trainers = load_trainers(rubric_dir)
    ixs = population()
    for ix in ixs:
        flesh_out(ix, rubrics[ix.channel])
    files: dict[str, str] = {}
    chat = [ix for ix in ixs if ix.channel == "chat"]
    files["transcripts_chat.jsonl"] = "".join(
        json.dumps({**_record(ix), "turns": ix.turns}, ensure_ascii=False) + "\n" for ix in chat)
    email = [{**_record(ix), "turns": ix.turns} for ix in ixs if ix.channel == "email"]
    files["transcripts_email.json"] = json.dumps(email, ensure_ascii=False, indent=1) + "\n"
    columns = list(_record(ixs[0]))
    voice_rows: list[list[Any]] = [[*columns, "seq", "speaker", "offset_seconds", "text"]]
    for ix in ixs:
        if ix.channel == "voice":
            rec = _record(ix)
            for t in ix.turns:
                voice_rows.append([*("" if rec[c] is None else rec[c] for c in columns),
                                   t["seq"], t["speaker"], t["offset_seconds"], t["text"]])
    files["transcripts_voice.csv"] = _csv(voice_rows)
    people: list[list[Any]] = [["name", "role", "site"]]
    people += [[name, "evaluator", SITES[site]] for name, site in EVALUATORS]
    people.append([LEAD[0], "lead", SITES[LEAD[1]]])
    people += [[name, "trainer", SITES[TRAINER_SITES[n % len(TRAINER_SITES)]]]
               for n, name in enumerate(trainers)]
    files["evaluators.csv"] = _csv(people)
    history = routine_scores(ixs, rubrics)
    files["evaluations_history.csv"] = _csv([HEADER, *history])
    calibration = calibration_scores(ixs, rubrics[CAL_RUBRIC_CHANNEL])
    files["evaluations_calibration.csv"] = _csv([HEADER, *calibration])
    sessions = [{
        "name": SESSION, "rubric": rubrics[CAL_RUBRIC_CHANNEL].name, "lead": LEAD[0],
        "benchmark": LEAD[0], "evaluators": [*CAL_SCORERS, DRIFTER], "source": SOURCE,
        "interactions": [ix.ext for ix in ixs if ix.calibration],
        "created_at": CAL_CREATED.isoformat(), "due_on": CAL_DUE.isoformat(),
    }]
    files["calibration_sessions.json"] = json.dumps(sessions, indent=2, ensure_ascii=False) + "\n"
    files["README.md"] = readme(ixs, rubrics, trainers, history, calibration)
    return files


# ----------------------------------------------------------------------------- README


def _is_fail(c: Crit, text: str) -> bool | None:
    if text == "n/a":
        return None
    value = 1.0 if text == "yes" else 0.0 if text == "no" else float(text)
    return value < c.pass_at


def _rate(pairs: list[bool]) -> str:
    return f"{100 * sum(pairs) / len(pairs):.0f}% ({sum(pairs)}/{len(pairs)})" if pairs else "–"


def _score(rubric: Rubric, answers: dict[str, str]) -> float:
    earned = possible = 0.0
    for c in rubric.criteria:
        text = answers[c.key]
        if text == "n/a":
            continue
        value = 1.0 if text == "yes" else 0.0 if text == "no" else float(text)
        if c.critical and value < c.pass_at:
            return 0.0
        earned += c.weight * (value - c.lo) / (c.hi - c.lo)
        possible += c.weight
    return 100 * earned / possible if possible else float("nan")


def readme(ixs: list[Interaction], rubrics: dict[str, Rubric], trainers: list[str],
           history: list[list[str]], calibration: list[list[str]]) -> str:
    """README.md, with every count and rate taken from the files just made."""
    crit = {(r.name, c.key): c for r in rubrics.values() for c in r.criteria}
    by_ext = {ix.ext: ix for ix in ixs}
    counts = {ch: sum(ix.channel == ch for ix in ixs) for ch in COUNTS}
    turns = [len(ix.turns) for ix in ixs]
    dp_fail = [ix for ix in ixs if ix.truth.get("data_protection") is not None
               and ix.truth["data_protection"] < 1]
    evaluations = {(row[0], row[2]) for row in history}
    drift_before: list[bool] = []
    drift_after: list[bool] = []
    peers_before: list[bool] = []
    peers_after: list[bool] = []
    weak: dict[str, list[bool]] = {k: [] for k in WEAK_KEYS}
    strong: dict[str, list[bool]] = {k: [] for k in WEAK_KEYS}
    per_key: dict[str, list[bool]] = {}
    scored: dict[str, int] = {}  # rows per criterion, N/A included
    for row in history:
        ext, who, rubric, key, value, stamp = row[0], row[2], row[3], row[4], row[5], row[8]
        failed = _is_fail(crit[(rubric, key)], value)
        scored[key] = scored.get(key, 0) + 1
        if failed is None:
            continue
        per_key.setdefault(key, []).append(failed)
        if key == DRIFT_KEY:
            after = datetime.fromisoformat(stamp).astimezone(timezone.utc).date() >= DRIFT_ONSET
            if who == DRIFTER:
                (drift_after if after else drift_before).append(failed)
            else:
                (peers_after if after else peers_before).append(failed)
        if key in WEAK_KEYS:
            (weak if by_ext[ext].team == WEAK_TEAM else strong)[key].append(failed)
    critical_keys = sorted({c.key for c in crit.values() if c.critical})
    others = [k for k in per_key if k not in (DRIFT_KEY, *WEAK_KEYS, *critical_keys)]
    pass_rates = [1 - sum(per_key[k]) / len(per_key[k]) for k in others]
    cal_rubric = rubrics[CAL_RUBRIC_CHANNEL]
    answers: dict[tuple[str, str], dict[str, str]] = {}
    for row in calibration:
        answers.setdefault((row[2], row[0]), {})[row[4]] = row[5]
    sample = [ix.ext for ix in ixs if ix.calibration]
    gaps = {}
    for who in CAL_SCORERS:
        diffs = [_score(cal_rubric, answers[(who, e)]) - _score(cal_rubric, answers[(LEAD[0], e)])
                 for e in sample]
        gaps[who] = sum(diffs) / len(diffs)
    split = []
    for c in cal_rubric.criteria:
        disagree = sum(len({answers[(w, e)][c.key] for w in CAL_SCORERS}) > 1 for e in sample)
        split.append((disagree, c.key))
    split.sort(key=lambda x: (-x[0], x[1]))
    widest = ", ".join(f"`{k}` ({n}/10)" for n, k in split[:3])
    unanimous = sum(n <= 1 for n, _k in split)
    teams = ", ".join(TEAMS)
    pii_kinds = {k: sum(k in ix.pii for ix in ixs) for k in ("email", "phone", "card", "iban")}
    with_pii = [ix for ix in ixs if ix.pii or ix in dp_fail]
    cards = [ix.slots["card"] for ix in ixs if "card" in ix.pii or ix in dp_fail]
    mistyped = sum(not luhn_ok(re.sub(r"\D", "", c)) for c in cards)
    bad_ibans = sum(ix.slots["iban"] == IBAN_MISTYPED for ix in ixs if "iban" in ix.pii)
    lines = [
        "# Sample data",
        "",
        "<!-- Written by generate.py: edit the script, not this file. -->",
        "",
        f"Synthetic but realistic: {len(ixs)} contacts of a fictional broadband provider "
        f"(\"{COMPANY}\") handled by {len(AGENTS)} agents in three teams ({teams}) at two sites "
        f"— `{SITES['leeds']}` and `{SITES['manila']}` — between {START} and {END}, six "
        "months of QA scores for them, and one calibration session. Regenerate every file, "
        "byte for byte, with:",
        "",
        "```bash",
        "python sample_data/generate.py            # or --out DIR",
        "```",
        "",
        "Criteria are read from `rubrics/*.yaml` when the script runs, so after a rubric edit "
        "a re-run keeps the scores consistent with the rubrics "
        "(`tests/test_sample_data.py` checks the committed files are what the script makes).",
        "",
        "| file | what |",
        "|---|---|",
        f"| `transcripts_chat.jsonl` | {counts['chat']} chats, canonical JSONL (one interaction "
        "a line) |",
        f"| `transcripts_voice.csv` | {counts['voice']} calls, CSV with one row per turn |",
        f"| `transcripts_email.json` | {counts['email']} e-mail tickets, canonical JSON list |",
        f"| `evaluators.csv` | {len(EVALUATORS)} evaluators (3 per site), the QA lead and "
        f"{len(trainers)} trainers (the module owners in `rubrics/modules.yaml`) |",
        f"| `evaluations_history.csv` | routine scores: {len(evaluations)} evaluations (one per "
        f"contact outside the calibration sample), {len(history)} answers, long format |",
        f"| `evaluations_calibration.csv` | the session's blind scores: {len(CAL_SCORERS)} "
        f"evaluators + the benchmark × {CAL_COUNT} chats |",
        "| `calibration_sessions.json` | that session: rubric, lead, benchmark, evaluators, the "
        "chats |",
        "",
        "## What is in the conversations",
        "",
        f"Seventeen storylines (double charges, unknown add-ons, refunds, failed payments, "
        "address changes, lock-outs, broadband faults, slow wifi, lost deliveries, "
        "cancellations, price rises, home moves and general questions), each with paraphrases, "
        f"{min(turns)}–{max(turns)} turns with offsets in seconds, and system turns (the IVR, "
        "queue routing, holds, transfers, chat joins and ends, ticket events). Times carry the "
        "site's UTC offset (Manila agents work UK hours, so their contacts start in the "
        "Manila evening). CSAT is filled for about 40% of contacts.",
        "",
        "Every transcript is written from what the agent really did, so the text agrees with "
        "the scores: an agent who failed verification never asks for it (or only checks a "
        "name); a failed greeting has no brand or name; a dismissive agent says \"that's just "
        "how it works\"; an unresolved contact ends with the customer unhappy; a failed "
        "closing ends abruptly; a failed response time shows a gap and \"are you still "
        "there?\"; holds, transfers and call-backs appear only where the voice criteria about "
        "them apply, so N/A follows the conversation (no verification for general questions, "
        "no resolution for contacts correctly escalated to an engineer).",
        "",
        f"PII for the importer to redact sits in {len(with_pii)} contacts "
        f"({100 * len(with_pii) / len(ixs):.0f}%): e-mail addresses "
        f"({pii_kinds['email']}), phone numbers in seven formats ({pii_kinds['phone']}, from "
        f"the Ofcom drama ranges), card numbers ({len(cards)}, published test numbers; "
        f"{mistyped} of them mistyped so that they fail the Luhn check, which the redactor "
        f"leaves alone by design) and IBANs ({pii_kinds['iban']}, published examples; "
        f"{bad_ibans} with a wrong check digit). Cards include the {len(dp_fail)} contacts "
        "where the agent asked for the card number (the data-protection failures).",
        "",
        "## Planted facts (ground truth, checked by `tests/test_sample_data.py`)",
        "",
        f"1. **Drift** — **{DRIFTER}** (Manila, the senior evaluator who scores about "
        f"{100 * sum(row[2] == DRIFTER for row in history) / len(history):.0f}% of the routine "
        f"work) grows **{DRIFT_DIRECTION} on `{DRIFT_KEY}`** from **{DRIFT_ONSET}**: before it "
        f"he fails it about as often as agents really skip it ({_rate(drift_before)} of his "
        f"answers; peers {_rate(peers_before)}); afterwards he passes nearly every contact "
        f"where the agent skipped verification ({_rate(drift_after)} fails; peers "
        f"{_rate(peers_after)}). `qa-calibrate drift` flags him on `{DRIFT_KEY}`, and nobody "
        "else: every other evaluator is plain noise around the truth.",
        f"2. **Weak team** — **{WEAK_TEAM}** fails **`{WEAK_KEYS[0]}`** and "
        f"**`{WEAK_KEYS[1]}`** about three times as often as the other teams (" + "; ".join(
            f"`{k}` {_rate(weak[k])} against {_rate(strong[k])}" for k in WEAK_KEYS) + "), so "
        f"`qa-calibrate coaching plan` reports each as one systemic finding for {WEAK_TEAM} (its "
        "agents fail alike: a common cause for the lead and the module's trainer, not a "
        "refresher per agent).",
        f"3. **Calibration session** \"{SESSION}\" (lead and benchmark {LEAD[0]}; "
        f"{CAL_COUNT} hard-case chats from October, not in the routine history): "
        f"**{CAL_LENIENT} is lenient** — she passes the skipped verifications the benchmark "
        f"fails and scores high on `{CAL_SPLIT_ORDINAL}`; her interaction scores run "
        f"{gaps[CAL_LENIENT]:+.1f} points from the benchmark on average. **{CAL_HARSH} is "
        f"harsh** — he fails `{CAL_HARSH_BINARY}` where the agent gave no time frame he liked "
        f"and marks `{CAL_SPLIT_ORDINAL}` down: {gaps[CAL_HARSH]:+.1f} points. The other "
        "three evaluators are in line. Chats the five scorers do not answer alike, per "
        f"criterion: {widest}; {unanimous} of the {len(split)} criteria are unanimous or split "
        "on one chat at most. The meeting screen opens on "
        f"`{CAL_SPLIT_ORDINAL}`, and the report flags `{CAL_SPLIT_ORDINAL}`, "
        f"`{CAL_HARSH_BINARY}` and `{CAL_LENIENT_BINARY}`. {DRIFTER} is in the session but "
        "has not scored yet: the demo lets you score as him.",
        "",
        "Everything else is plain noise: criteria other than these pass "
        f"{100 * min(pass_rates):.0f}–{100 * max(pass_rates):.0f}% of the time; the critical "
        "criteria fail rarely (" + ", ".join(
            f"`{k}` in {sum(per_key.get(k, []))} of {scored.get(k, 0)} contacts"
            for k in critical_keys if k != DRIFT_KEY) +
        f") — except `{DRIFT_KEY}`, which agents really skip in about 30% of the contacts where "
        "it applies, so that the drift has something to hide.",
        "",
    ]
    return "\n".join(lines)


def main(out_dir: Path | str | None = None) -> list[Path]:
    """Write every sample file into ``out_dir`` (default: this directory); returns the paths."""
    out = Path(out_dir) if out_dir is not None else HERE
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in render().items():
        path = out / name
        path.write_bytes(text.encode("utf-8"))
        written.append(path)
    return written


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Generate the bundled sample data.")
    parser.add_argument("--out", type=Path, default=HERE, help="directory to write (default: "
                        "sample_data/)")
    for path in main(parser.parse_args().out):
        print(path)
