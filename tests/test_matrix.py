"""Every CLI command, and every TUI action through Pilot, as each role, against the policy table.

Each case names the policy action it needs (and the session state, taking part, owning the
record); ``access.allowed`` says whether the role may. A few cases state their expectation
outright where the rule is more than the table (scores in one's own name, the blind rule on a
listing). Allowed: the command runs (exit 0, or the stated code when a state rule refuses).
Refused: exit 3, one line on stderr, nothing on stdout, the store byte-for-byte as it was and
no file written. In the TUI, a refused action — even on a screen reached by going around the
menus — is reported by the core (the policy's words) and leaves the store as it was. Each case
runs on a fresh copy of one prepared store."""

from __future__ import annotations

import csv
import json
import sqlite3
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import DATA
from helpers import FULL_PASS, LEAD, seed_basics
from openpyxl import Workbook
from sqlmodel import select

from qa_calibrate import models as m
from qa_calibrate import packets, sessions
from qa_calibrate.access import POLICY, allowed
from qa_calibrate.cli import cli
from qa_calibrate.store import open_store
from qa_calibrate.tui.app import make_app
from qa_calibrate.tui.screens.coaching import CoachingScreen
from qa_calibrate.tui.screens.drift import DriftScreen
from qa_calibrate.tui.screens.meeting import MeetingScreen
from qa_calibrate.tui.screens.report import ReportScreen
from qa_calibrate.tui.screens.scoring import ScoringScreen
from qa_calibrate.tui.screens.trend import TrendScreen

ANN, CY, TRAINER, NOBODY = "Ann", "Cy", "Tess Trainer", "Zed"
ROLE = {LEAD: "lead", ANN: "evaluator", CY: "evaluator", TRAINER: "trainer", NOBODY: None}
IN_OPEN = {LEAD, ANN, "Bob"}  # who scores in the open session (the lead as benchmark)
SECRET = "ANN-OPEN-SECRET"  # Ann's comment in the open session: hers and the lead's to see


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Lead, Ann/Bob/Cy, a trainer; "Open" (Ann has a draft with a comment), "Shown" (revealed,
    no consensus yet); a standing drift flag of Ann's; two assignments (the trainer's and
    another trainer's); input files."""
    folder = tmp_path_factory.mktemp("matrix")
    store = open_store(f"sqlite:///{folder / 'template.db'}")
    try:
        ids = seed_basics(store)
        sessions.create_session(store, name="Open", rubric="mini", lead=LEAD, actor=LEAD,
                                evaluators=[ANN, "Bob"], benchmark=LEAD, interactions=ids[:3])
        sessions.score(store, "Open", evaluator=ANN, interaction=ids[0],
                       answers={"greeting": "no"}, comments={"greeting": SECRET})
        sessions.create_session(store, name="Shown", rubric="mini", lead=LEAD, actor=LEAD,
                                evaluators=[ANN, "Bob"], interactions=ids[3:5])
        for who in (ANN, "Bob"):
            for ext in ids[3:5]:
                sessions.score(store, "Shown", evaluator=who, interaction=ext,
                               answers=FULL_PASS, submit_now=True)
        sessions.reveal(store, "Shown", actor=LEAD)
        with store.session() as s:
            ann = s.exec(select(m.Evaluator).where(m.Evaluator.name == ANN)).one()
            s.add(m.DriftFlag(evaluator_id=ann.id, criterion="greeting", source="routine",
                              direction="lenient", onset_date=date(2026, 8, 1),
                              signal_date=date(2026, 8, 20), size=-20.0, evidence_count=30,
                              observed=29, expected=22.0, z=3.0, evaluator_fail_rate=0.03,
                              reference_fail_rate=0.25, raised_by=LEAD))
            for trainer in (TRAINER, "Other Trainer"):
                s.add(m.Assignment(kind="refresher", assignee="Agent 0", role="agent",
                                   module_id="MOD-EMP", module_title="Empathy", reason="r",
                                   assigned_on=m.utcnow().date(), due_on=m.utcnow().date(),
                                   trainer=trainer, dedupe_key=trainer))
    finally:
        store.close()
    (folder / "people.csv").write_text("name,role,site\nNew Person,evaluator,Leeds\n")
    (folder / "t.jsonl").write_text('{"external_id": "X-1", "channel": "chat", "turns": '
                                    '[{"speaker": "agent", "text": "hello"}]}\n')
    for name, who, session in (("own.csv", ANN, ""), ("open_bob.csv", "Bob", "Open")):
        with open(folder / name, "w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["interaction", "source", "evaluator", "rubric", "criterion", "value",
                        "scored_at", "session"])
            ext = "C-002" if session else "C-005"
            w.writerow([ext, "crm", who, "mini", "greeting", "yes", "2026-09-03T10:00:00",
                        session])
    for name, assignment_id in (("mine.xlsx", 1), ("theirs.xlsx", 2)):
        wb = Workbook()
        ws = wb.active
        ws.title = "Assignments"
        ws.append(["ID", "Status", "Version"])
        ws.append([assignment_id, "Done", 1])
        wb.save(folder / name)
    # a session packet from another organisation's store, signed with the key both hold
    packets.keygen(folder / "shared.key")
    other = open_store(f"sqlite:///{folder / 'other.db'}")
    try:
        other_ids = seed_basics(other)
        sessions.create_session(other, name="Elsewhere", rubric="mini", lead=LEAD, actor=LEAD,
                                evaluators=[ANN, "Bob"], interactions=other_ids[:1])
        packets.export_session(other, "Elsewhere", folder / "in.packet",
                               key=packets.read_key(folder / "shared.key"), actor=LEAD)
    finally:
        other.close()
    return folder


def _dump(db: Path) -> dict[str, list[tuple[Any, ...]]]:
    conn = sqlite3.connect(db)
    try:
        tables = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        return {t: sorted(conn.execute(f"SELECT * FROM {t}").fetchall(), key=repr)
                for t in tables}
    finally:
        conn.close()


def _copy(template: Path, target: Path) -> Path:
    src, dst = sqlite3.connect(template / "template.db"), sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()
    return target


@dataclass
class Case:
    name: str
    args: list[str]
    may: Callable[[str], bool]  # whether this person may, from the policy table
    exit_ok: int = 0  # the exit code when allowed (4: a state rule refuses after the check)
    writes: list[str] = field(default_factory=list)  # files an allowed run writes
    check: Callable[[str, str], None] | None = None  # (who, stdout) of an allowed run
    env: dict[str, str] = field(default_factory=dict)  # more environment for the run


def rule(action: str, **context: Any) -> Callable[[str], bool]:
    def may(who: str) -> bool:
        ctx = {k: (v(who) if callable(v) else v) for k, v in context.items()}
        return allowed(action, ROLE[who], **ctx)
    return may


def anyone(_who: str) -> bool:
    return True


def _no_secret_unless_entitled(who: str, out: str) -> None:
    assert who in (LEAD, ANN) or SECRET not in out, (who, out[:400])


def _audit_blind(who: str, out: str) -> None:
    rows = json.loads(out)
    ann_open = [r for r in rows if r["entity"] == "evaluation" and r["entity_id"] == "1"]
    assert bool(ann_open) == (who in (LEAD, ANN)), who  # evaluation 1: Ann's open draft


def _answers_blind(who: str, out: str) -> None:
    names = {r["evaluator"] for r in json.loads(out)}
    assert names == ({ANN} if who in (LEAD, ANN) else set()), (who, names)


CASES = [
    Case("evaluator list", ["evaluator", "list"], rule("people.list")),
    Case("evaluator add", ["evaluator", "add", "New Person"], rule("people.change")),
    Case("evaluator import", ["evaluator", "import", "{dir}/people.csv"], rule("people.change")),
    Case("person link", ["person", "link", ANN, "--db-role", "ann_login"], rule("people.link")),
    Case("db provision (PostgreSQL only: exit 2 on SQLite once allowed)", ["db", "provision"],
         rule("db.provision"), exit_ok=2),
    Case("setting show", ["setting", "trainers_see_transcripts"], rule("setting.show")),
    Case("setting change", ["setting", "trainers_see_transcripts", "on"],
         rule("setting.change")),
    Case("rubric list", ["rubric", "list"], rule("rubric.list")),
    Case("rubric show", ["rubric", "show", "mini"], rule("rubric.list")),
    Case("rubric modules", ["rubric", "modules"], rule("rubric.list")),
    Case("rubric load", ["rubric", "load", str(DATA / "mini_rubric.yaml")], rule("rubric.load")),
    Case("import transcripts", ["import", "transcripts", "{dir}/t.jsonl"],
         rule("import.transcripts")),
    Case("import own scores", ["import", "evaluations", "{dir}/own.csv"],
         lambda who: rule("import.evaluations")(who)
         and (who == ANN or rule("import.evaluations.others")(who))),
    Case("import scores in Bob's name into the open session",
         ["import", "evaluations", "{dir}/open_bob.csv"],
         lambda who: rule("import.evaluations")(who)
         and rule("import.evaluations.others")(who)),
    Case("interaction list", ["interaction", "list"], rule("interaction.list")),
    Case("interaction show", ["interaction", "show", "C-000"], rule("interaction.show")),
    Case("session create", ["session", "create", "New", "--rubric", "mini", "--lead", LEAD,
                            "--evaluator", ANN, "--evaluator", "Bob", "--interaction", "C-005"],
         rule("session.create")),
    Case("session list", ["session", "list"], rule("session.list")),
    Case("session show", ["session", "show", "Open"], rule("session.show")),
    Case("session answers", ["session", "answers", "Open", "--format", "json"],
         rule("session.answers"), check=_answers_blind),
    Case("session answers of Ann", ["session", "answers", "Open", "--evaluator", ANN,
                                    "--format", "json"],
         lambda who: rule("session.answers")(who) and who in (LEAD, ANN),
         check=_answers_blind),
    Case("session reveal", ["session", "reveal", "Open"], rule("session.reveal")),
    Case("session consensus", ["session", "consensus", "Shown", "--interaction", "C-003",
                               "--criterion", "greeting", "--value", "yes"],
         rule("session.consensus")),
    Case("session consensus fill", ["session", "consensus", "Shown", "--fill", "unanimous"],
         rule("session.consensus")),
    Case("session close", ["session", "close", "Shown"], rule("session.close"), exit_ok=4),
    Case("score", ["score", "Open", "--interaction", "C-001", "--answer", "greeting=yes"],
         rule("score", participant=lambda who: who in IN_OPEN)),
    Case("report agreement, open", ["report", "agreement", "Open", "--resamples", "0"],
         rule("report.session", state="open")),
    Case("report agreement, revealed", ["report", "agreement", "Shown", "--resamples", "0"],
         rule("report.session", state="revealed")),
    Case("report evaluators", ["report", "evaluators"], rule("report.evaluators")),
    Case("report trend", ["report", "trend", "--resamples", "0"], rule("report.trend")),
    Case("audit list", ["audit", "list", "--format", "json"], rule("audit.list"),
         check=_audit_blind),
    Case("drift", ["drift"], rule("drift")),
    Case("drift, cleared too", ["drift", "--all", "--format", "json"], rule("drift")),
    Case("drift clear", ["drift", "clear", "1", "--note", "recalibrated"], rule("drift.clear")),
    Case("coaching plan dry run", ["coaching", "plan", "--dry-run"], rule("coaching.plan")),
    Case("coaching plan", ["coaching", "plan"], rule("coaching.plan")),
    Case("coaching list", ["coaching", "list"], rule("coaching.list")),
    Case("coaching export", ["coaching", "export", "{dir}/out.xlsx"], rule("coaching.export"),
         writes=["out.xlsx"]),
    Case("coaching status, own", ["coaching", "import-status", "{dir}/mine.xlsx"],
         rule("coaching.status", owns=lambda who: who == TRAINER)),
    Case("coaching status, another's", ["coaching", "import-status", "{dir}/theirs.xlsx"],
         rule("coaching.status", owns=False)),
    Case("check", ["check"], rule("check")),
    Case("backup", ["backup", "{dir}/backup.db"], rule("backup"), writes=["backup.db"]),
    Case("encrypt", ["encrypt", "{dir}/enc.db"], rule("store.encrypt"), writes=["enc.db"],
         env={"QA_CALIBRATE_KEY": "matrix key"}),
    Case("decrypt (of a plain store: exit 2 once allowed)", ["decrypt", "{dir}/plain.db"],
         rule("store.decrypt"), exit_ok=2),
    Case("init", ["init"], anyone),
    Case("sample-data", ["sample-data", "{dir}/samples"], anyone, writes=["samples"]),
    # calibrating with another organisation; SLAs
    Case("packet keygen", ["packet", "keygen", "{dir}/new.key"], anyone, writes=["new.key"]),
    Case("packet export", ["packet", "export", "Open", "-o", "{dir}/out.packet", "--key",
                           "{dir}/shared.key"], rule("packet.export"), writes=["out.packet"]),
    Case("packet import", ["packet", "import", "{dir}/in.packet", "--key", "{dir}/shared.key",
                           "--lead", LEAD, "--evaluator", ANN, "--evaluator", "Bob"],
         rule("packet.import")),
    Case("packet results of a session that came in no packet",
         ["packet", "results", "Open", "-o", "{dir}/r.packet", "--key", "{dir}/shared.key"],
         rule("packet.results"), exit_ok=7),
    Case("sla set", ["sla", "set", "Leeds", "--quality-target", "80"], rule("sla.set")),
    Case("sla list", ["sla", "list"], rule("sla.list")),
    Case("report sites, open", ["report", "sites", "Open", "--resamples", "0"],
         rule("report.session", state="open")),
    Case("report sites, revealed", ["report", "sites", "Shown", "--resamples", "0"],
         rule("report.session", state="revealed")),
    Case("report sites since", ["report", "sites", "--since", "2020-01-01"],
         rule("report.evaluators")),
    Case("report sla", ["report", "sla", "--xlsx", "{dir}/sla.xlsx"], rule("report.sla"),
         writes=["sla.xlsx"]),
    # browsers (the server itself runs in tests/test_serve.py; --check stops before serving)
    Case("serve", ["serve", "--invite", ANN, "--invite", LEAD, "--port", "0", "--check"],
         rule("serve")),
]

# The CLI commands whose every form is in CASES (tests/test_packaging checks the command table).
COVERED = {c.args[0] for c in CASES} | {"tui", "demo"}


def test_every_top_level_command_is_in_the_matrix() -> None:
    from qa_calibrate.cli.commands import COMMAND_MODULES

    assert set(COMMAND_MODULES) == COVERED


@pytest.mark.parametrize("who", list(ROLE))
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_cli_command_as_each_role(template: Path, tmp_path: Path, case: Case, who: str) -> None:
    db = _copy(template, tmp_path / "store.db")
    for name in ("people.csv", "t.jsonl", "own.csv", "open_bob.csv", "mine.xlsx", "theirs.xlsx",
                 "shared.key", "in.packet"):
        (tmp_path / name).write_bytes((template / name).read_bytes())
    before = _dump(db)
    files = set(tmp_path.iterdir())
    args = [a.replace("{dir}", str(tmp_path)) for a in case.args]
    result = CliRunner().invoke(cli, ["--db", f"sqlite:///{db}", "--as", who, *args],
                                env={"QA_CALIBRATE_USER": None, "QA_CALIBRATE_DB": None,
                                     "QA_CALIBRATE_KEY": None, **case.env})
    assert "Traceback" not in result.output
    if case.may(who):
        assert result.exit_code == case.exit_ok, (who, result.output)
        if case.check is not None:
            case.check(who, result.stdout)
        elif result.exit_code == 0:
            _no_secret_unless_entitled(who, result.stdout)
        return
    assert result.exit_code == 3, (who, result.output)
    assert result.stdout == ""  # nothing of what is protected
    assert len(result.stderr.strip().splitlines()) == 1 and result.stderr.startswith("error:")
    assert _dump(db) == before  # refused: nothing changed
    assert set(tmp_path.iterdir()) == files  # and no file written


@pytest.mark.parametrize("who", list(ROLE))
def test_the_tui_commands_need_a_person(template: Path, tmp_path: Path, who: str) -> None:
    db = _copy(template, tmp_path / "store.db")
    scorer = rule("score", participant=who in IN_OPEN)(who)
    expected = {  # 2: got as far as the terminal check (CliRunner has none); 7: no such person
        ("tui",): 2 if ROLE[who] else 7,
        ("score", "Open"): 2 if scorer else 3 if ROLE[who] else 7,
        ("demo", "--no-tui"): 0 if ROLE[who] else 7,
    }
    for args, code in expected.items():
        result = CliRunner().invoke(cli, ["--db", f"sqlite:///{db}", "--as", who, *args],
                                    env={"QA_CALIBRATE_USER": None, "QA_CALIBRATE_DB": None})
        assert result.exit_code == code, (who, args, result.output)
        assert "Traceback" not in result.output
        if code:
            assert len(result.stderr.strip().splitlines()) == 1
            assert "session" not in result.stdout  # demo says which store, nothing in it


# ----------------------------------------------------------------------------- the TUI

TUI_SIZE = (160, 40)
OPEN_ID, SHOWN_ID = 1, 2


async def _settle(app: Any, pilot: Any) -> None:
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()


def _errors(app: Any) -> list[str]:
    return [n.message for n in app._notifications if n.severity == "error"]


async def score(app: Any, pilot: Any) -> bool:
    """Open the scoring queue of the open session and answer the first criterion."""
    app.action_open_scoring(OPEN_ID)
    await _settle(app, pilot)
    if not isinstance(app.screen, ScoringScreen):
        app.push_screen(ScoringScreen(OPEN_ID, None))  # around the home screen: the core refuses
        await _settle(app, pilot)
        return False
    await pilot.press("1")
    await _settle(app, pilot)
    return True


async def tie_turn(app: Any, pilot: Any) -> bool:
    """Answer the first criterion of the open session, pick the transcript's first turn and tie
    the answer's comment to it (the scoring screen's j and l)."""
    if not await score(app, pilot):
        return False
    await pilot.press("up", "j", "l")
    await _settle(app, pilot)
    screen = app.screen
    answered = screen.criterion.key  # the one "1" answered, highlighted again by "up"
    return screen.item.answers[answered].turn == 0  # as saved by the core


async def meeting_transcript(app: Any, pilot: Any) -> bool:
    """The revealed session's meeting, its transcript toggled twice: the turns are shown only
    to whom the core gave them."""
    if not await meeting_revealed(app, pilot):
        return False
    await pilot.press("t", "t")
    await _settle(app, pilot)
    return bool(app.screen.view.transcript)


async def meeting_open(app: Any, pilot: Any) -> bool:
    app.action_open_meeting(OPEN_ID)
    await _settle(app, pilot)
    return isinstance(app.screen, MeetingScreen)


async def meeting_revealed(app: Any, pilot: Any) -> bool:
    app.action_open_meeting(SHOWN_ID)
    await _settle(app, pilot)
    return isinstance(app.screen, MeetingScreen)


async def _on_meeting(app: Any, pilot: Any, ref: int, action: str) -> None:
    screen = MeetingScreen(ref)
    app.push_screen(screen)  # pushed directly: a non-lead's load is refused and the screen pops
    await _settle(app, pilot)
    getattr(screen, f"action_{action}")()
    await _settle(app, pilot)
    if app.screen.__class__.__name__ == "ConfirmScreen":
        app.screen.dismiss("yes")
        await _settle(app, pilot)


async def reveal(app: Any, pilot: Any) -> None:
    await _on_meeting(app, pilot, OPEN_ID, "reveal")


async def fill(app: Any, pilot: Any) -> None:
    await _on_meeting(app, pilot, SHOWN_ID, "fill")


async def close_session(app: Any, pilot: Any) -> None:
    """Close the revealed session, answering its dialogs: fill what is missing, then Yes."""
    await _on_meeting(app, pilot, SHOWN_ID, "close_session")
    for _ in range(4):
        dialog = app.screen
        if dialog.__class__.__name__ not in ("ChoiceScreen", "ConfirmScreen"):
            break
        options = [key for key, _label in dialog.options]
        dialog.dismiss("yes" if "yes" in options else options[0])
        await _settle(app, pilot)


async def report(app: Any, pilot: Any) -> bool:
    app.action_open_report(None)
    await _settle(app, pilot)
    screen = app.screen
    return isinstance(screen, ReportScreen) and bool(screen.rows)


async def trend(app: Any, pilot: Any) -> bool:
    app.action_open_trend()
    await _settle(app, pilot)
    screen = app.screen
    return isinstance(screen, TrendScreen) and screen.view is not None \
        and bool(screen.view.agreement)


async def drift(app: Any, pilot: Any) -> None:
    app.push_screen(DriftScreen())
    await _settle(app, pilot)


async def drift_clear(app: Any, pilot: Any) -> None:
    """Clear flag 1 with a note: from the highlighted row for a lead, and directly for the
    others (the screen's binding is hidden from them; the core refuses)."""
    screen = DriftScreen()
    app.push_screen(screen)
    await _settle(app, pilot)
    if screen.flags and app.may_on(screen, "clear"):
        screen.action_clear()
        await _settle(app, pilot)
        await pilot.press(*"recalibrated", "enter")
    else:
        screen.clear(1, "recalibrated")
    await _settle(app, pilot)


async def plan(app: Any, pilot: Any) -> None:
    screen = CoachingScreen()
    app.push_screen(screen)
    await _settle(app, pilot)
    screen.action_plan()
    await _settle(app, pilot)


@dataclass
class Action:
    name: str
    run: Callable[[Any, Any], Awaitable[Any]]
    may: Callable[[str], bool]
    writes: bool  # an allowed run changes the store
    policy: str  # the policy action whose refusal a refused run reports
    shows: bool = False  # run() returns whether the screen showed its content


ACTIONS = [
    Action("score", score, rule("score", participant=lambda who: who in IN_OPEN), True,
           "score", True),
    Action("tie a comment to a turn", tie_turn,
           rule("score", participant=lambda who: who in IN_OPEN), True, "score", True),
    Action("meeting, open session", meeting_open, rule("meeting", state="open"), False,
           "meeting", True),
    Action("meeting transcript", meeting_transcript, rule("meeting", state="revealed"), False,
           "meeting", True),
    Action("meeting, revealed", meeting_revealed, rule("meeting", state="revealed"), False,
           "meeting", True),
    Action("reveal", reveal, rule("session.reveal"), True, "session.reveal"),
    Action("fill consensus", fill, rule("session.consensus"), True, "session.consensus"),
    Action("close session", close_session, rule("session.close"), True, "session.close"),
    Action("evaluator report", report, rule("report.evaluators"), False, "report.evaluators",
           True),
    Action("trends", trend, rule("report.trend"), False, "report.trend", True),
    Action("drift", drift, rule("drift"), False, "drift"),
    Action("drift clear", drift_clear, rule("drift.clear"), True, "drift.clear"),
    Action("coaching plan", plan, rule("coaching.plan"), False, "coaching.plan"),
]


@pytest.mark.parametrize("who", list(ROLE))
@pytest.mark.parametrize("action", ACTIONS, ids=[a.name for a in ACTIONS])
async def test_tui_action_as_each_role(template: Path, tmp_path: Path, action: Action,
                                       who: str) -> None:
    db = _copy(template, tmp_path / "store.db")
    before = _dump(db)
    store = open_store(f"sqlite:///{db}")
    try:
        app = make_app(store, who)
        async with app.run_test(size=TUI_SIZE) as pilot:
            await pilot.pause()
            shown = await action.run(app, pilot)
            errors = _errors(app)
    finally:
        store.close()
    may = action.may(who)
    if action.shows:
        assert bool(shown) == may, (who, errors)
    if may:
        assert not [e for e in errors if "cannot" in e], (who, errors)
        if action.writes:
            assert _dump(db) != before, who
    else:
        refusal = f"cannot {POLICY[action.policy].what}"
        assert any(refusal in e for e in errors), (who, errors)  # told why, by the core
        assert _dump(db) == before, (who, errors)
