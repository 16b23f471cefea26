"""Generate the bundled sample data (fixed seed: the same files every run).

``python sample_data/generate.py [--out DIR]`` writes, into ``sample_data/`` by default:

- ``transcripts_chat.jsonl`` (canonical JSONL), ``transcripts_voice.csv`` (CSV, a row per turn),
  ``transcripts_email.json`` (canonical JSON): 300 synthetic interactions;
- ``evaluators.csv``: 6 evaluators, a lead and the trainers named in ``rubrics/modules.yaml``;
- ``evaluations_history.csv``: six months of routine scores (one evaluation per interaction);
- ``evaluations_calibration.csv`` and ``calibration_sessions.json``: one calibration session
  scored blind by five evaluators and the benchmark.

The planted facts are listed in ``sample_data/README.md`` (and checked by
``tests/test_sample_data.py``). Criteria come from ``rubrics/*.yaml`` at generation time.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np
import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SEED = 20261101
SOURCE = "crm"
COMPANY = "Northwind"

SITES = {"leeds": "Leeds (in-house)", "manila": "Manila (Vendor: Northstar BPO)"}
TEAMS = ["Billing", "Tech Support", "Retention"]
AGENTS = [  # (name, team, site)
    ("Maya Patel", "Billing", "leeds"), ("Oliver Grant", "Billing", "leeds"),
    ("Rina Dela Cruz", "Billing", "manila"), ("Carlo Mendoza", "Billing", "manila"),
    ("Ben Hughes", "Tech Support", "leeds"), ("Amira Haddad", "Tech Support", "leeds"),
    ("Joy Villanueva", "Tech Support", "manila"), ("Mark Bautista", "Tech Support", "manila"),
    ("Chloe Evans", "Retention", "leeds"), ("Samuel Okafor", "Retention", "leeds"),
    ("Ana Santos", "Retention", "manila"), ("Kevin Lim", "Retention", "manila"),
    ("Grace Tan", "Retention", "manila"), ("Daniel Price", "Billing", "leeds"),
]
EVALUATORS = [  # (name, site)
    ("Hannah Okoye", "leeds"), ("Marcus Reid", "leeds"), ("Sofia Marin", "leeds"),
    ("Jomar Santos", "manila"), ("Liza Reyes", "manila"), ("Paolo Cruz", "manila"),
]
LEAD = ("Dana Whitfield", "leeds")
DRIFTER, DRIFT_KEY, DRIFT_ONSET = "Jomar Santos", "verify_identity", date(2026, 8, 1)
WEAK_TEAM, WEAK_KEYS = "Retention", ("empathy", "resolution")
SESSION = "Oct 2026 chat calibration"
CAL_SCORERS = ["Hannah Okoye", "Marcus Reid", "Sofia Marin", "Liza Reyes", "Paolo Cruz"]
CAL_LENIENT, CAL_HARSH = "Liza Reyes", "Paolo Cruz"
START, END = date(2026, 5, 1), date(2026, 10, 31)
COUNTS = {"chat": 130, "voice": 100, "email": 70}
CUSTOMERS = ["Jordan Blake", "Priyanka Rao", "Tomasz Nowak", "Emily Carter", "Luis Ortega",
             "Hiroko Sato", "Aisling Byrne", "Kwame Mensah", "Fatima Zahra", "Noah Fischer",
             "Isabel Costa", "Chen Wei", "Olga Petrova", "Ravi Kumar", "Megan O'Neill"]
CARDS = ["4111 1111 1111 1111", "5555 5555 5555 4444", "4012 8888 8888 1881",
         "4111 1111 1111 1112"]  # the last fails Luhn: it stays in the text
IBANS = ["GB82 WEST 1234 5698 7654 32", "DE89 3704 0044 0532 0130 00"]
PHONES = ["07700 900123", "+44 20 7946 0958", "(555) 123-4567", "0161 496 0753"]

TOPICS = {
    "double charge": (
        "I've been charged twice for my {month} bill, {amount} taken two times.",
        ["Let me look at the payments on the account.",
         "I can see two payments of {amount} on the {day}th; the second one is a duplicate."],
        "I've refunded the duplicate payment of {amount}; it will be back on your card in "
        "3–5 working days.",
        "I've raised this with the billing team and they will contact you about it."),
    "refund": (
        "I returned my order #A-{order} two weeks ago and still have no refund.",
        ["Thanks, I'm checking the returns log now.",
         "The parcel reached our warehouse on the {day}th, so the refund is due."],
        "The refund for order #A-{order} is processed today; you'll get a confirmation e-mail.",
        "I can't see the return yet, please wait another week and contact us again."),
    "password reset": (
        "I'm locked out of my online account after too many password attempts.",
        ["I can unlock that for you.", "I've sent a reset link to the e-mail on the account."],
        "The account is unlocked and the reset link is on its way; it's valid for 30 minutes.",
        "You'll need to wait 24 hours for the lock to clear by itself."),
    "router outage": (
        "My broadband keeps dropping every evening since {weekday}.",
        ["Let me run a line test.", "The test shows errors on the line between 6 and 10 pm.",
         "Can you restart the router while I watch the connection?"],
        "I've booked an engineer for {weekday} morning and added a credit for the lost days.",
        "It looks fine from here now; call back if it drops again."),
    "address change": (
        "I've moved house and need to update my billing address.",
        ["No problem, what's the new address?", "Thanks, I've updated it on the account."],
        "Your address is updated and your next bill will go to the new address.",
        "I've noted the new address; someone will confirm it later."),
    "cancellation": (
        "I want to cancel my contract, it's too expensive now.",
        ["I'm sorry you're thinking of leaving.",
         "Before you go, I can move you to the Essentials plan at {amount} a month."],
        "I've switched you to Essentials from today and removed the early exit fee.",
        "I've put the cancellation request in; it takes 30 days."),
    "delivery delay": (
        "My order #A-{order} was due on {weekday} and it still hasn't arrived.",
        ["Let me track it for you.", "The courier scanned it at the depot yesterday."],
        "It's out for delivery tomorrow; I've upgraded it to tracked and refunded the delivery "
        "fee.",
        "The courier will update you; there is nothing else I can do from here."),
}
COMMENTS = {
    "greeting": "No branded greeting or name at the start.",
    "verify_identity": "Account details discussed before any verification.",
    "empathy": "Frustration not acknowledged; went straight to process.",
    "resolution": "Issue handed off with no follow-up or ownership.",
    "closing": "No check for further questions before ending.",
    "data_protection": "Card number read back in full.",
    "accuracy": "Refund timescale given was wrong.",
    "tone": "Curt replies.",
    "active_listening": "Asked for details the customer had already given.",
    "policy_compliance": "Fee waived without approval.",
    "case_notes": "Case notes missing the outcome.",
}


def load_rubrics() -> dict[str, list[dict[str, Any]]]:
    out = {}
    for channel in ("chat", "voice", "email"):
        data = yaml.safe_load((ROOT / "rubrics" / f"{channel}_support.yaml").read_text())
        crit = []
        for section in data["sections"]:
            for c in section["criteria"]:
                c = dict(c)
                if c["scale"] == "binary":
                    c["lo"], c["hi"], c["pass"] = 0, 1, 1
                elif c["scale"] == "ordinal":
                    c["lo"], c["hi"] = 1, len(c["labels"])
                    c["pass"] = c.get("pass_at", len(c["labels"]) // 2 + 1)
                else:
                    c["lo"], c["hi"] = 0, c["max_points"]
                    c["pass"] = c.get("pass_at", c["max_points"] / 2)
                crit.append(c)
        out[channel] = crit
    return out


def base_fail(key: str, critical: bool, team: str) -> float:
    if key == DRIFT_KEY:
        return 0.28
    if team == WEAK_TEAM and key in WEAK_KEYS:
        return 0.30
    if key in WEAK_KEYS:
        return 0.09
    if critical:
        return 0.02
    return 0.05


def true_value(c: dict[str, Any], fails: bool, rng: np.random.Generator) -> int:
    """The value a careful evaluator gives: mostly the top of the pass band, or a fail."""
    if c["scale"] == "binary":
        return 0 if fails else 1
    lo, hi, pass_at = c["lo"], c["hi"], int(np.ceil(c["pass"]))
    if fails:
        return int(rng.integers(lo, pass_at))
    return int(hi if rng.random() < 0.6 else rng.integers(pass_at, hi + 1))


def value_for(c: dict[str, Any], true: int, fails: bool, rng: np.random.Generator,
              wobble: float = 0.0) -> str:
    """What an evaluator writes: the true value, unless their verdict differs from it (then a
    value on the other side of the pass mark), with a little disagreement on ordinal/points."""
    if c["scale"] == "binary":
        return "no" if fails else "yes"
    lo, hi, pass_at = c["lo"], c["hi"], int(np.ceil(c["pass"]))
    true_fails = true < pass_at
    if fails != true_fails:
        value = pass_at - 1 if fails else pass_at
    else:
        value = true
        if wobble and rng.random() < wobble:
            value = int(np.clip(value + rng.choice([-1, 1]), pass_at if not fails else lo,
                                hi if not fails else pass_at - 1))
    return str(int(value))


def fmt(template: str, ctx: dict[str, Any]) -> str:
    return template.format(**ctx)


def conversation(channel: str, truth: dict[str, bool], ctx: dict[str, Any],
                 rng: np.random.Generator) -> list[dict[str, Any]]:
    """Turns whose behaviour matches the truth (True = the agent did it right)."""
    opening, steps, good_end, bad_end = TOPICS[ctx["topic"]]
    agent, customer = ctx["agent_first"], ctx["customer"]
    turns: list[tuple[str, str]] = []
    if channel == "chat":
        turns.append(("system", f"{customer} joined the chat from the help centre"))
    elif channel == "voice":
        turns.append(("system", f"Call connected from queue {ctx['team']}"))
    if truth["greeting"]:
        turns.append(("agent", {
            "chat": f"Hi, you're chatting with {agent} at {COMPANY}. How can I help today?",
            "voice": f"Thank you for calling {COMPANY}, this is {agent}. This call is recorded "
                     "for quality. How can I help?",
            "email": f"Hello {customer.split()[0]},\nThank you for contacting {COMPANY} "
                     f"support. My name is {agent} and I'll be looking after your request."}[
            channel]))
    else:
        turns.append(("agent", {"chat": "Yes?", "voice": "Support.",
                                "email": "Regarding your message:"}[channel]))
    issue = fmt(opening, ctx)
    pii = ctx.get("pii")
    if pii:
        issue += " " + pii
    turns.append(("customer", issue))
    if truth["empathy"]:
        turns.append(("agent", "I'm really sorry about this, I can see why you're frustrated — "
                               "let's get it sorted."))
    if truth["verify_identity"]:
        turns.append(("agent", "Before I open the account, can you confirm your full name and "
                               "the postcode on the account?"))
        turns.append(("customer", f"{customer}, {ctx['postcode']}."))
        turns.append(("agent", "Thank you, you're verified."))
    else:
        turns.append(("agent", f"I've opened the account for {customer} now."))
    for step in steps:
        turns.append(("agent", fmt(step, ctx)))
        if rng.random() < 0.5:
            turns.append(("customer", rng.choice(["Ok.", "Right, thanks.", "Go on.",
                                                  "That's what I thought."])))
    turns.append(("agent", fmt(good_end if truth["resolution"] else bad_end, ctx)))
    if truth["closing"]:
        turns.append(("agent", "Is there anything else I can help you with today?"))
        turns.append(("customer", "No, that's everything, thank you."))
        turns.append(("agent", f"Thanks for contacting {COMPANY}, have a lovely day."))
    else:
        turns.append(("customer", "Ok then."))
    out, clock = [], 0.0
    for n, (speaker, text) in enumerate(turns):
        out.append({"seq": n, "speaker": speaker, "offset_seconds": round(clock, 1), "text": text})
        clock += float(rng.integers(6, 40 if channel != "email" else 900))
    return out


def make(out_dir: Path) -> None:
    rng = np.random.default_rng(SEED)
    rubrics = load_rubrics()
    modules = yaml.safe_load((ROOT / "rubrics" / "modules.yaml").read_text())["modules"]
    trainers = sorted({m["owner"] for m in modules if m.get("owner")})
    days = (END - START).days
    interactions: list[dict[str, Any]] = []
    truths: dict[str, dict[str, bool]] = {}
    values: dict[str, dict[str, int]] = {}
    ext_n = 0
    for channel, n in COUNTS.items():
        for _ in range(n):
            ext_n += 1
            name, team, site = AGENTS[int(rng.integers(0, len(AGENTS)))]
            day = START + timedelta(days=int(rng.integers(0, days + 1)))
            started = datetime(day.year, day.month, day.day, int(rng.integers(8, 19)),
                               int(rng.integers(0, 60)), tzinfo=timezone.utc)
            ctx = {
                "topic": list(TOPICS)[int(rng.integers(0, len(TOPICS)))],
                "agent_first": name.split()[0], "customer": CUSTOMERS[ext_n % len(CUSTOMERS)],
                "team": team, "month": started.strftime("%B"),
                "amount": f"£{int(rng.integers(12, 90))}.{int(rng.integers(0, 100)):02d}",
                "day": int(rng.integers(2, 28)), "order": int(rng.integers(10000, 99999)),
                "weekday": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"][ext_n % 5],
                "postcode": ["LS1 4AP", "M1 2WD", "EC1A 1BB", "B3 2HJ"][ext_n % 4],
            }
            roll = rng.random()
            if roll < 0.08:
                ctx["pii"] = f"You can email me at {ctx['customer'].split()[0].lower()}." \
                             f"{ctx['customer'].split()[-1].lower().replace(chr(39), '')}" \
                             "@example.com."
            elif roll < 0.16:
                ctx["pii"] = f"Call me back on {PHONES[ext_n % len(PHONES)]}."
            elif roll < 0.24:
                ctx["pii"] = f"The card was {CARDS[ext_n % len(CARDS)]}."
            elif roll < 0.30:
                ctx["pii"] = f"Refund it to my account {IBANS[ext_n % len(IBANS)]} please."
            crit = rubrics[channel]
            truth = {c["key"]: bool(rng.random() >= base_fail(c["key"], c.get("critical", False),
                                                             team)) for c in crit}
            ext = f"{channel[0].upper()}-{ext_n:04d}"
            values[ext] = {c["key"]: true_value(c, not truth[c["key"]], rng) for c in crit}
            for key in ("greeting", "empathy", "verify_identity", "resolution", "closing"):
                truth.setdefault(key, True)
            truths[ext] = truth
            turns = conversation(channel, truth, ctx, rng)
            handle = int(turns[-1]["offset_seconds"]) + int(rng.integers(30, 200))
            interactions.append({
                "external_id": ext, "source": SOURCE, "channel": channel, "agent": name,
                "team": team, "site": SITES[site], "queue": team,
                "started_at": started.isoformat(), "handle_time_seconds": handle,
                "csat": int(rng.integers(1, 6)) if rng.random() < 0.4 else None,
                "language": "en", "turns": turns,
            })
    interactions.sort(key=lambda r: r["started_at"])
    # the calibration sample: ten chat interactions from late October
    chats = [i for i in interactions if i["channel"] == "chat" and i["started_at"] >= "2026-10-"]
    calibration = [i["external_id"] for i in chats[-10:]]
    _write_transcripts(out_dir, interactions)
    _write_people(out_dir, trainers)
    _write_history(out_dir, interactions, set(calibration), rubrics, truths, values, rng)
    _write_calibration(out_dir, interactions, calibration, rubrics, truths, values, rng)


def _write_transcripts(out_dir: Path, interactions: list[dict[str, Any]]) -> None:
    with (out_dir / "transcripts_chat.jsonl").open("w", encoding="utf-8", newline="\n") as fh:
        for i in interactions:
            if i["channel"] == "chat":
                fh.write(json.dumps(i, ensure_ascii=False) + "\n")
    email = [i for i in interactions if i["channel"] == "email"]
    (out_dir / "transcripts_email.json").write_text(
        json.dumps(email, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    cols = ["external_id", "source", "channel", "agent", "team", "site", "queue", "started_at",
            "handle_time_seconds", "csat", "language"]
    w.writerow([*cols, "seq", "speaker", "offset_seconds", "text"])
    for i in interactions:
        if i["channel"] != "voice":
            continue
        for t in i["turns"]:
            w.writerow([*("" if i[c] is None else i[c] for c in cols), t["seq"], t["speaker"],
                        t["offset_seconds"], t["text"]])
    (out_dir / "transcripts_voice.csv").write_text(buf.getvalue(), encoding="utf-8")


def _write_people(out_dir: Path, trainers: list[str]) -> None:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["name", "role", "site"])
    for name, site in EVALUATORS:
        w.writerow([name, "evaluator", SITES[site]])
    w.writerow([LEAD[0], "lead", SITES[LEAD[1]]])
    for t in trainers:
        w.writerow([t, "trainer", SITES["leeds"]])
    (out_dir / "evaluators.csv").write_text(buf.getvalue(), encoding="utf-8")


HEADER = ["interaction", "source", "evaluator", "rubric", "criterion", "value", "comment",
          "root_cause", "scored_at", "session"]


def _rows_for(i: dict[str, Any], who: str, crit: list[dict[str, Any]], verdict: dict[str, bool],
              true: dict[str, int], scored_at: datetime, rng: np.random.Generator,
              session: str = "", wobble: float = 0.0) -> list[list]:
    rows = []
    for c in crit:
        ok = verdict[c["key"]]
        if c.get("na_allowed") and c["key"] != DRIFT_KEY and rng.random() < 0.08:
            value, comment, cause = "n/a", "", ""
        else:
            value = value_for(c, true[c["key"]], not ok, rng, wobble)
            comment = COMMENTS.get(c["key"], "Below the standard.") if not ok else ""
            causes = c.get("root_causes") or []
            cause = causes[int(rng.integers(0, len(causes)))] if (not ok and causes and
                                                                   rng.random() < 0.6) else ""
        rows.append([i["external_id"], SOURCE, who, f"{i['channel']}_support", c["key"], value,
                     comment, cause, scored_at.isoformat(), session])
    return rows


def _write_history(out_dir: Path, interactions: list[dict[str, Any]], skip: set[str],
                   rubrics: dict[str, list[dict[str, Any]]], truths: dict[str, dict[str, bool]],
                   values: dict[str, dict[str, int]], rng: np.random.Generator) -> None:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(HEADER)
    others = [e for e, _s in EVALUATORS if e != DRIFTER]
    for i in interactions:
        if i["external_id"] in skip:
            continue
        # the drifting (senior) evaluator scores a third of the work, the others share the rest
        who = DRIFTER if rng.random() < 0.45 else others[int(rng.integers(0, len(others)))]
        started = datetime.fromisoformat(i["started_at"])
        scored = started + timedelta(days=int(rng.integers(1, 4)), hours=int(rng.integers(0, 6)))
        verdict = {}
        for c in rubrics[i["channel"]]:
            truth = truths[i["external_id"]][c["key"]]
            seen = truth if rng.random() > 0.03 else not truth  # honest noise
            if who == DRIFTER and c["key"] == DRIFT_KEY and scored.date() >= DRIFT_ONSET:
                seen = rng.random() < 0.97  # grows lenient: passes nearly everything
            verdict[c["key"]] = seen
        w.writerows(_rows_for(i, who, rubrics[i["channel"]], verdict, values[i["external_id"]],
                              scored, rng, wobble=0.1))
    (out_dir / "evaluations_history.csv").write_text(buf.getvalue(), encoding="utf-8")


def _write_calibration(out_dir: Path, interactions: list[dict[str, Any]], sample: list[str],
                       rubrics: dict[str, list[dict[str, Any]]],
                       truths: dict[str, dict[str, bool]], values: dict[str, dict[str, int]],
                       rng: np.random.Generator) -> None:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(HEADER)
    by_id = {i["external_id"]: i for i in interactions}
    crit = rubrics["chat"]
    scored_at = datetime(2026, 11, 3, 15, 0, tzinfo=timezone.utc)
    for who in [*CAL_SCORERS, LEAD[0]]:
        for ext in sample:
            truth = truths[ext]
            verdict = {}
            for c in crit:
                seen = truth[c["key"]]
                if who == CAL_LENIENT and c["key"] in ("verify_identity", "empathy", "closing"):
                    seen = True  # passes what the benchmark fails
                if who == CAL_HARSH and c["key"] in ("closing", "tone", "active_listening"):
                    seen = rng.random() < 0.35  # fails what the others pass
                verdict[c["key"]] = seen
            rows = _rows_for(by_id[ext], who, crit, verdict, values[ext],
                             scored_at + timedelta(minutes=int(rng.integers(0, 600))), rng,
                             session=SESSION, wobble=0.12)
            for r in rows:  # empathy is the subjective split: spread around the truth
                if r[4] == "empathy" and r[5] != "n/a":
                    base = int(r[5]) + (1 if who == CAL_LENIENT else 0)
                    r[5] = str(int(np.clip(base + rng.integers(-1, 2), 1, 5)))
                    r[6] = "" if int(r[5]) >= 3 else COMMENTS["empathy"]
            w.writerows(rows)
    (out_dir / "evaluations_calibration.csv").write_text(buf.getvalue(), encoding="utf-8")
    sessions = [{
        "name": SESSION, "rubric": "chat_support", "lead": LEAD[0], "benchmark": LEAD[0],
        # Jomar Santos takes part but has not scored yet (the demo's evaluator scores as him)
        "evaluators": [*CAL_SCORERS, DRIFTER], "source": SOURCE, "interactions": sample,
        "created_at": "2026-11-02T09:00:00+00:00", "due_on": "2026-11-09",
    }]
    (out_dir / "calibration_sessions.json").write_text(json.dumps(sessions, indent=2) + "\n",
                                                       encoding="utf-8")


def main(out_dir: Path | None = None) -> None:
    out = Path(out_dir or HERE)
    out.mkdir(parents=True, exist_ok=True)
    make(out)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=HERE)
    main(parser.parse_args().out)
