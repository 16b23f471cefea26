"""The bundled sample data: the script makes the committed files byte for byte, the files hold
the planted facts (checked by plain counts on the files), and the tool finds them once the
sample is loaded into a store (the way a QA lead meets them)."""

from __future__ import annotations

import csv
import json
import re
import shutil
import sys
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from qa_calibrate import coaching
from qa_calibrate.demo import load_sample_data
from qa_calibrate.drift import detect_drift
from qa_calibrate.redact import CARD, Redactor, luhn_ok
from qa_calibrate.report import session_report
from qa_calibrate.rubric import load_rubric_file
from qa_calibrate.scoring import parse_answer

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_data"
FILES = ["transcripts_chat.jsonl", "transcripts_voice.csv", "transcripts_email.json",
         "evaluators.csv", "evaluations_history.csv", "evaluations_calibration.csv",
         "calibration_sessions.json", "README.md"]
sys.path.insert(0, str(SAMPLE))
import generate  # noqa: E402

# phrases the agent uses when (and only when) they verify the customer
VERIFY_PHRASES = ("security details", "For security", "to verify you first", "through security",
                  "email address we hold", "email address on your account",
                  "confirm the email address")


def _when(text: str) -> datetime:
    when = datetime.fromisoformat(text)
    assert when.tzinfo is not None, text
    return when.astimezone(timezone.utc)


def _interactions() -> dict[str, dict[str, Any]]:
    chat = [json.loads(x) for x in (SAMPLE / "transcripts_chat.jsonl").read_text(
        encoding="utf-8").splitlines()]
    email = json.loads((SAMPLE / "transcripts_email.json").read_text(encoding="utf-8"))
    voice: dict[str, dict[str, Any]] = {}
    with (SAMPLE / "transcripts_voice.csv").open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            rec = voice.setdefault(row["external_id"], {
                k: row[k] for k in ("external_id", "source", "channel", "agent", "team", "site",
                                    "queue", "started_at", "handle_time_seconds", "csat",
                                    "language")} | {"turns": []})
            rec["turns"].append({"seq": int(row["seq"]), "speaker": row["speaker"],
                                 "offset_seconds": float(row["offset_seconds"]),
                                 "text": row["text"]})
    out = {}
    for rec in [*chat, *email, *voice.values()]:
        assert rec["external_id"] not in out, rec["external_id"]
        out[rec["external_id"]] = rec
    return out


def _rows(name: str) -> list[dict[str, str]]:
    with (SAMPLE / name).open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        assert reader.fieldnames == generate.HEADER
        return list(reader)


def _rubrics() -> dict[str, Any]:
    """Rubric name → validated definition, read by the tool's own loader."""
    return {r.name: r for r in (load_rubric_file(p) for p in sorted(
        (ROOT / "rubrics").glob("*_support.yaml")))}


def _fails(rows: list[dict[str, str]], rubrics: dict[str, Any]) -> list[tuple[dict, bool]]:
    """(row, failed) for every answered (not N/A) row."""
    crit = {(r, c.key): c for r, d in rubrics.items() for c in d.criteria}
    out = []
    for row in rows:
        c = crit[(row["rubric"], row["criterion"])]
        value, na = parse_answer(c, row["value"])
        if not na:
            out.append((row, value < c.pass_at))
    return out


def _rate(pairs: list[bool]) -> float:
    return sum(pairs) / len(pairs)


def test_generator_reproduces_the_committed_files(tmp_path: Path) -> None:
    generate.main(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(FILES)
    for name in FILES:
        assert (tmp_path / name).read_bytes() == (SAMPLE / name).read_bytes(), name


def test_a_rubric_edit_and_a_rerun_stay_consistent(tmp_path: Path) -> None:
    rubrics = tmp_path / "rubrics"
    shutil.copytree(ROOT / "rubrics", rubrics)
    chat = rubrics / "chat_support.yaml"
    chat.write_text(chat.read_text(encoding="utf-8").replace(
        "  - name: Closing\n    criteria:\n",
        "  - name: Closing\n    criteria:\n"
        "      - key: survey_offer\n        question: Did the agent offer the survey?\n"
        "        scale: ordinal\n        labels: [Not offered, Offered late, Offered]\n"
        "        weight: 1\n", 1),
        encoding="utf-8")
    files = generate.render(rubrics)
    rows = list(csv.DictReader(files["evaluations_history.csv"].splitlines()))
    added = [r for r in rows if r["criterion"] == "survey_offer"]
    assert added and all(r["rubric"] == "chat_support" for r in added)
    assert {r["value"] for r in added} <= {"1", "2", "3"}
    per_evaluation = Counter((r["interaction"], r["evaluator"]) for r in rows
                             if r["rubric"] == "chat_support")
    assert set(per_evaluation.values()) == {len(load_rubric_file(chat).criteria)}


def test_shape_of_the_sample() -> None:
    items = _interactions()
    assert 280 <= len(items) <= 360
    by_channel = Counter(i["channel"] for i in items.values())
    assert set(by_channel) == {"chat", "voice", "email"} and min(by_channel.values()) >= 60
    assert len({i["agent"] for i in items.values()}) >= 12
    assert len({i["team"] for i in items.values()}) == 3
    assert {i["site"] for i in items.values()} == {"Leeds (in-house)",
                                                   "Manila (Vendor: Northstar BPO)"}
    assert {i["source"] for i in items.values()} == {"crm"}
    assert len({i["queue"] for i in items.values()}) >= 5
    starts = [_when(i["started_at"]) for i in items.values()]
    assert min(starts).date() >= date(2026, 4, 30) and max(starts).date() <= date(2026, 10, 31)
    assert (max(starts) - min(starts)).days >= 170
    csat = [i["csat"] for i in items.values() if i["csat"] not in (None, "")]
    assert 0.25 * len(items) <= len(csat) <= 0.55 * len(items)
    assert {int(c) for c in csat} <= {1, 2, 3, 4, 5}
    handle = defaultdict(list)
    for i in items.values():
        turns = i["turns"]
        assert 6 <= len(turns) <= 30, i["external_id"]
        assert [t["seq"] for t in turns] == list(range(len(turns)))
        offsets = [float(t["offset_seconds"]) for t in turns]
        assert offsets == sorted(offsets), i["external_id"]
        assert {t["speaker"] for t in turns} == {"agent", "customer", "system"}
        assert all(t["text"].strip() for t in turns)
        handle[i["channel"]].append(int(i["handle_time_seconds"]))
    mean_minutes = {c: sum(v) / len(v) / 60 for c, v in handle.items()}
    assert 3 <= mean_minutes["voice"] <= 12  # a call
    assert 5 <= mean_minutes["chat"] <= 20  # a chat, with concurrency and waits
    assert 5 <= mean_minutes["email"] <= 40  # agent time on a ticket's replies
    assert all(min(v) > 0 for v in handle.values())
    system = Counter(t["text"].split(" (")[0] for i in items.values() for t in i["turns"]
                     if t["speaker"] == "system")
    for event in ("Customer joined the chat", "Call transferred to queue Billing",
                  "Ticket created from the web form"):
        assert any(e.startswith(event) for e in system), event
    with (SAMPLE / "evaluators.csv").open(encoding="utf-8") as fh:
        people = list(csv.DictReader(fh))
    roles = Counter(p["role"] for p in people)
    assert roles["evaluator"] == 6 and roles["lead"] == 1 and roles["trainer"] >= 2
    sites = Counter(p["site"] for p in people if p["role"] == "evaluator")
    assert sorted(sites.values()) == [3, 3]


def test_every_answer_fits_its_rubric_and_every_evaluation_is_complete() -> None:
    items = _interactions()
    rubrics = _rubrics()
    by_channel = {r.channel: name for name, r in rubrics.items()}
    with (SAMPLE / "evaluators.csv").open(encoding="utf-8") as fh:
        roles = {p["name"]: p["role"] for p in csv.DictReader(fh)}
    for name in ("evaluations_history.csv", "evaluations_calibration.csv"):
        answers: dict[tuple[str, str], list[str]] = defaultdict(list)
        for row in _rows(name):
            i = items[row["interaction"]]
            assert row["source"] == i["source"] == "crm"
            assert row["rubric"] == by_channel[i["channel"]], row
            assert roles[row["evaluator"]] in ("evaluator", "lead")
            c = next(c for c in rubrics[row["rubric"]].criteria if c.key == row["criterion"])
            value, na = parse_answer(c, row["value"])  # raises if not on the scale
            assert not na or c.na_allowed
            if not na and value < c.pass_at:
                assert row["comment"], row
                assert not row["root_cause"] or row["root_cause"] in c.root_causes
            else:
                assert not row["comment"] and not row["root_cause"]
            lag = _when(row["scored_at"]) - _when(i["started_at"])
            assert timedelta(hours=1) < lag < timedelta(days=40), row
            answers[(row["interaction"], row["evaluator"])].append(row["criterion"])
        for (ext, _who), keys in answers.items():
            assert sorted(keys) == sorted(c.key for c in rubrics[by_channel[
                items[ext]["channel"]]].criteria)
    history = _rows("evaluations_history.csv")
    assert {r["session"] for r in history} == {""}
    scored = Counter(r["interaction"] for r in history if r["criterion"] == "greeting")
    assert set(scored.values()) == {1}  # each interaction scored once
    session = json.loads((SAMPLE / "calibration_sessions.json").read_text(encoding="utf-8"))[0]
    assert len(scored) == len(items) - len(session["interactions"])


def test_evaluators_mostly_score_their_own_site() -> None:
    items = _interactions()
    with (SAMPLE / "evaluators.csv").open(encoding="utf-8") as fh:
        site = {p["name"]: p["site"] for p in csv.DictReader(fh)}
    pairs = [(site[r["evaluator"]], items[r["interaction"]]["site"])
             for r in _rows("evaluations_history.csv") if r["criterion"] == "greeting"]
    same = sum(a == b for a, b in pairs) / len(pairs)
    assert 0.6 <= same <= 0.9  # mostly their site, some cross-site auditing


def test_pii_is_planted_for_the_redactor() -> None:
    items = _interactions()
    redactor = Redactor()
    found: Counter[str] = Counter()
    with_pii = 0
    mistyped_cards = 0
    for i in items.values():
        kinds: Counter[str] = Counter()
        for t in i["turns"]:
            if t["speaker"] == "customer":
                _text, counts = redactor.redact(t["text"])
                kinds.update(counts)
                for match in CARD.finditer(t["text"]):
                    digits = re.sub(r"\D", "", match.group(0))
                    # Visa/Mastercard prefixes: a mistyped card, not a run inside an IBAN
                    mistyped_cards += len(digits) == 16 and not luhn_ok(digits) and \
                        digits.startswith(("4", "5"))
        with_pii += bool(kinds)
        found.update(kinds)
    assert 0.25 <= with_pii / len(items) <= 0.40
    assert set(found) == {"EMAIL", "PHONE", "CARD", "IBAN"}
    assert found["EMAIL"] >= 10 and found["PHONE"] >= 10 and found["CARD"] >= 5
    assert mistyped_cards >= 1  # a few card numbers fail Luhn and stay in the text


def test_transcripts_show_what_was_scored() -> None:
    """The text agrees with an honest evaluator's answers on greeting, verification and
    closing; the drifter's passes after the onset are contacts where nobody verified."""
    items = _interactions()
    checks: dict[tuple[str, ...], list[bool]] = defaultdict(list)
    drifter_passed_unverified: list[bool] = []
    for row in _rows("evaluations_history.csv"):
        i = items[row["interaction"]]
        agent_text = [t["text"] for t in i["turns"] if t["speaker"] == "agent"]
        after = _when(row["scored_at"]).date() >= generate.DRIFT_ONSET
        if row["criterion"] == "verify_identity":
            asked = any(p in text for text in agent_text for p in VERIFY_PHRASES)
            if row["value"] == "n/a":
                checks[("n/a verification",)].append(not asked)
            elif row["evaluator"] == generate.DRIFTER and after:
                if not asked:
                    drifter_passed_unverified.append(row["value"] == "yes")
            else:  # every honest evaluator, before and after the onset
                checks[("verification", row["evaluator"], str(after))].append(
                    asked == (row["value"] == "yes"))
        elif row["criterion"] == "greeting":
            first = agent_text[0]
            branded = "Northwind" in first and i["agent"].split()[0] in first
            checks[("greeting",)].append(branded == (row["value"] == "yes"))
        elif row["criterion"] == "closing" and i["channel"] == "chat":
            asked = any("anything else" in text for text in agent_text)
            checks[("closing",)].append(asked == (row["value"] == "yes"))
    for name, agree in checks.items():
        assert len(agree) >= (30 if len(name) == 1 and name[0] != "n/a verification" else 8), \
            name
        assert _rate(agree) >= (0.9 if len(name) == 1 else 0.8), (name, _rate(agree))
    assert len(drifter_passed_unverified) >= 10
    assert _rate(drifter_passed_unverified) >= 0.8


def test_the_drifting_evaluator_goes_lenient_after_the_onset() -> None:
    fails = [(r, f) for r, f in _fails(_rows("evaluations_history.csv"), _rubrics())
             if r["criterion"] == generate.DRIFT_KEY]
    series: dict[tuple[str, bool], list[bool]] = defaultdict(list)
    for row, failed in fails:
        after = _when(row["scored_at"]).date() >= generate.DRIFT_ONSET
        series[(row["evaluator"], after)].append(failed)
    before, after = series[(generate.DRIFTER, False)], series[(generate.DRIFTER, True)]
    assert len(before) >= 30 and len(after) >= 30
    peers_after = [f for (who, aft), v in series.items() if who != generate.DRIFTER and aft
                   for f in v]
    assert _rate(before) >= 0.18 and _rate(peers_after) >= 0.18
    assert _rate(after) <= 0.08
    # nobody else moves: before and after differ by no more than noise (two-proportion z)
    for who in sorted({w for w, _a in series} - {generate.DRIFTER}):
        a, b = series[(who, False)], series[(who, True)]
        pooled = (sum(a) + sum(b)) / (len(a) + len(b))
        se = (pooled * (1 - pooled) * (1 / len(a) + 1 / len(b))) ** 0.5
        assert abs(_rate(a) - _rate(b)) / se < 2.58, who


def test_one_team_is_weak_on_two_criteria_and_the_rest_is_routine() -> None:
    items = _interactions()
    rubrics = _rubrics()
    fails = _fails(_rows("evaluations_history.csv"), rubrics)
    for key in generate.WEAK_KEYS:
        weak = [f for r, f in fails if r["criterion"] == key
                and items[r["interaction"]]["team"] == generate.WEAK_TEAM]
        strong = [f for r, f in fails if r["criterion"] == key
                  and items[r["interaction"]]["team"] != generate.WEAK_TEAM]
        assert _rate(weak) >= 0.2 and _rate(strong) <= 0.15, key
        assert _rate(weak) >= 2 * _rate(strong), key
    critical = {c.key for r in rubrics.values() for c in r.criteria if c.critical}
    per_key: dict[str, list[bool]] = defaultdict(list)
    for row, failed in fails:
        per_key[row["criterion"]].append(failed)
    scored = Counter(r["criterion"] for r in _rows("evaluations_history.csv"))  # N/A too
    for key, pairs in per_key.items():
        if key in critical and key != generate.DRIFT_KEY:
            assert sum(pairs) / scored[key] <= 0.03, key  # share of contacts it auto-fails
        elif key not in (generate.DRIFT_KEY, *generate.WEAK_KEYS):
            assert 0.85 <= 1 - _rate(pairs) <= 0.99, key


def test_the_calibration_session_files() -> None:
    items = _interactions()
    (spec,) = json.loads((SAMPLE / "calibration_sessions.json").read_text(encoding="utf-8"))
    assert spec["name"] == generate.SESSION and spec["rubric"] == "chat_support"
    assert spec["lead"] == spec["benchmark"] == generate.LEAD[0]
    assert len(spec["interactions"]) == 10
    assert all(items[e]["channel"] == "chat" for e in spec["interactions"])
    history = {r["interaction"] for r in _rows("evaluations_history.csv")}
    assert not history & set(spec["interactions"])
    rows = _rows("evaluations_calibration.csv")
    assert {r["session"] for r in rows} == {generate.SESSION}
    scorers = {r["evaluator"] for r in rows}
    assert scorers == {*generate.CAL_SCORERS, generate.LEAD[0]}
    assert set(spec["evaluators"]) == {*generate.CAL_SCORERS, generate.DRIFTER}
    created = _when(spec["created_at"])
    assert all(created < _when(r["scored_at"]) < created + timedelta(days=7) for r in rows)
    answer = {(r["evaluator"], r["interaction"], r["criterion"]): r["value"] for r in rows}
    bench = generate.LEAD[0]

    def differs(who: str, key: str, bench_value: str, value: str) -> int:
        return sum(answer[(bench, e, key)] == bench_value and answer[(who, e, key)] == value
                   for e in spec["interactions"])

    assert differs(generate.CAL_LENIENT, "verify_identity", "no", "yes") >= 2
    assert differs(generate.CAL_HARSH, "ownership", "yes", "no") >= 4
    for who in set(generate.CAL_SCORERS) - {generate.CAL_LENIENT}:
        assert differs(who, "verify_identity", "no", "yes") == 0


@pytest.fixture
def sample_store(store: Any) -> Any:
    result = load_sample_data(store, sample_dir=SAMPLE, rubrics_dir=ROOT / "rubrics",
                              actor="test")
    assert result.loaded
    steps = " | ".join(result.steps)
    assert "transcripts: 130 interactions" in steps and "evaluations: 290" in steps, steps
    return store


def test_the_tool_finds_the_planted_facts(sample_store: Any) -> None:
    flags = detect_drift(sample_store, actor=generate.LEAD[0])
    assert [(f.evaluator, f.criterion, f.direction) for f in flags] == [
        (generate.DRIFTER, generate.DRIFT_KEY, "lenient")]
    onset = date.fromisoformat(flags[0].onset_date)
    assert abs((onset - generate.DRIFT_ONSET).days) <= 21

    rows = coaching.plan(sample_store, actor=generate.LEAD[0], save=False, today=date(2026, 11, 5))
    # the weak team is one common-cause finding per criterion, not a refresher per agent; the
    # identity checks everyone skips (30% of contacts) are one floor-wide finding
    systemic = {(r.assignee, r.module_id) for r in rows if r.kind == "systemic"}
    assert systemic == {(coaching.FLOOR, "MOD-VERIFY"), (generate.WEAK_TEAM, "MOD-EMPATHY"),
                        (generate.WEAK_TEAM, "MOD-RESOLVE")}
    assert not any(r.module_id in ("MOD-EMPATHY", "MOD-RESOLVE", "MOD-VERIFY") for r in rows
                   if r.kind != "systemic")
    reviews = [r for r in rows if r.kind == "critical_review"]
    assert reviews and all(list(r.evidence.examples) == [r.evidence.contact]
                           for r in reviews)
    assert all(r.evidence.examples for r in rows if r.kind == "refresher")
    assert [r.assignee for r in rows if r.role == "evaluator"] == [generate.DRIFTER]

    rep = session_report(sample_store, generate.SESSION, viewer=generate.LEAD[0])
    by = {e.evaluator: e for e in rep.evaluators}
    assert by[generate.CAL_LENIENT].direction == "lenient"
    assert by[generate.CAL_LENIENT].out_of_band
    assert by[generate.CAL_HARSH].direction == "harsh"
    others = set(generate.CAL_SCORERS) - {generate.CAL_LENIENT, generate.CAL_HARSH}
    assert all(by[who].direction == "in line" for who in others)
    # the widest split comes first and is flagged; the planted binary splits are below their
    # targets, but ten contacts cannot show it yet (their intervals straddle the target)
    assert rep.criteria[0].criterion == generate.CAL_SPLIT_ORDINAL
    assert rep.flagged_criteria == (generate.CAL_SPLIT_ORDINAL,)
    for key in (generate.CAL_HARSH_BINARY, generate.CAL_LENIENT_BINARY):
        crit = rep.criterion(key)
        assert crit is not None and crit.percent_agreement.value < crit.target
        assert crit.status == "cant_tell" and crit.interactions_to_settle > 10
