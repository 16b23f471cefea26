"""The calibration flow end to end through the CLI, as a QA lead would type it."""

from __future__ import annotations

import json

from click.testing import CliRunner
from helpers import EVALUATORS, LEAD, seed_basics
from openpyxl import Workbook
from sqlmodel import select

from qa_calibrate.cli import cli


def run(url, *args, actor=None):
    argv = ["--db", url] + (["--as", actor] if actor else []) + list(args)
    result = CliRunner().invoke(cli, argv)
    return result


def test_create_score_reveal_consensus_close_from_the_cli(store, tmp_path):
    ids = seed_basics(store)
    url = store.url
    r = run(url, "session", "create", "Nov chat", "--rubric", "mini", "--lead", LEAD,
            *[x for e in EVALUATORS for x in ("--evaluator", e)], "--benchmark", LEAD,
            "--interaction", ids[0], "--interaction", ids[1], actor=LEAD)
    assert r.exit_code == 0, r.output
    # three evaluators score blind: one by the CLI, two from an XLSX file (historical import)
    answers = ["greeting=yes", "verify_identity=yes", "empathy=4", "accuracy=3",
               "hold_etiquette=n/a"]
    for ext in ids[:2]:
        r = run(url, "score", "Nov chat", "--interaction", ext,
                *[x for a in answers for x in ("--answer", a)], "--submit", actor="Ann")
        assert r.exit_code == 0 and "submitted" in r.output, r.output
    wb = Workbook()
    ws = wb.active
    ws.append(["interaction", "source", "evaluator", "rubric", "criterion", "value", "comment",
               "root_cause", "scored_at", "session"])
    for who, empathy in (("Bob", 4), ("Cy", 2), (LEAD, 3)):
        for ext in ids[:2]:
            for key, value in (("greeting", "yes"), ("verify_identity", "yes"),
                               ("empathy", empathy), ("accuracy", 3), ("hold_etiquette", "n/a")):
                ws.append([ext, "crm", who, "mini", key, value, "", "", "2026-11-03T10:00:00",
                           "Nov chat"])
    xlsx = tmp_path / "scores.xlsx"
    wb.save(xlsx)
    r = run(url, "import", "evaluations", str(xlsx), actor=LEAD)
    assert r.exit_code == 0, r.output
    # blind: Ann cannot read Bob's answers, and cannot reveal
    r = run(url, "session", "answers", "Nov chat", "--evaluator", "Bob", actor="Ann")
    assert r.exit_code != 0 and "blind" in r.output and "Traceback" not in r.output
    assert run(url, "session", "reveal", "Nov chat", actor="Ann").exit_code != 0
    assert run(url, "session", "reveal", "Nov chat", actor=LEAD).exit_code == 0
    r = run(url, "report", "agreement", "Nov chat", "--format", "json", "--resamples", "200",
            actor="Ann")
    report = json.loads(r.output)
    assert report["criteria"][0]["criterion"] == "empathy"
    assert {"ci_low", "ci_high", "se", "value"} <= set(report["criteria"][0]["gwet_ac1"])
    assert {e["evaluator"] for e in report["evaluators"]} == set(EVALUATORS)
    r = run(url, "session", "consensus", "Nov chat", "--interaction", ids[0], "--criterion",
            "empathy", "--value", "3", "--note", "acknowledged, not personalised", actor=LEAD)
    assert r.exit_code == 0, r.output
    assert run(url, "session", "close", "Nov chat", actor=LEAD).exit_code != 0  # incomplete
    assert run(url, "session", "consensus", "Nov chat", "--fill", "benchmark",
               actor=LEAD).exit_code == 0
    r = run(url, "session", "close", "Nov chat", actor=LEAD)
    assert r.exit_code == 0 and "closed" in r.output, r.output
    listed = json.loads(run(url, "session", "list", "--format", "json", actor="Cy").output)
    assert listed[0]["state"] == "closed" and listed[0]["submitted"] == 8
    r = run(url, "report", "evaluators", "--format", "csv", actor=LEAD)
    assert r.output.splitlines()[0].startswith("evaluator,sessions,interactions,match_rate")


def test_coaching_plan_json_has_kinds_and_a_conflicting_import_exits_4(store, tmp_path):
    from helpers import FULL_PASS, write_history_csv
    from openpyxl import load_workbook

    from qa_calibrate.evaluations import import_evaluations

    ids = seed_basics(store)
    history = tmp_path / "history.csv"
    write_history_csv(history, [
        (ext, "Ann", key, "no" if key == "verify_identity" and n < 2 else value,
         f"2026-10-0{n + 1}T10:00:00+00:00")
        for n, ext in enumerate(ids) for key, value in FULL_PASS.items()])
    import_evaluations(store, [history], actor=LEAD)
    r = run(store.url, "coaching", "plan", "--format", "json", actor=LEAD)
    assert r.exit_code == 0, r.output
    plan = json.loads(r.output)
    assert [(p["kind"], p["assignee"], p["version"]) for p in plan] == [
        ("critical_review", "Agent 0", 1), ("critical_review", "Agent 1", 1)]
    out = tmp_path / "plan.xlsx"
    assert run(store.url, "coaching", "export", str(out), actor=LEAD).exit_code == 0
    stale = tmp_path / "stale.xlsx"
    stale.write_bytes(out.read_bytes())
    for path, status in ((out, "Done"), (stale, "In progress")):
        wb = load_workbook(path)
        ws = wb["Assignments"]
        ws.cell(2, [c.value for c in ws[1]].index("Status") + 1).value = status
        wb.save(path)
    r = run(store.url, "coaching", "import-status", str(out), actor=LEAD)
    assert r.exit_code == 0 and "1 assignments changed" in r.output, r.output
    r = run(store.url, "coaching", "import-status", str(stale), actor=LEAD)
    assert r.exit_code == 4, r.output
    assert "0 assignments changed" in r.output and "conflict:" in r.output
    assert "row 2: assignment" in r.output and "Traceback" not in r.output
    r = run(store.url, "coaching", "import-status", str(out), actor="Ann")
    assert r.exit_code == 3 and "Ann is evaluator: cannot change assignment statuses" in r.output


def test_consensus_if_version_refuses_a_change_made_since_with_exit_4(store):
    """``session consensus`` prints the version it recorded; ``--if-version`` names it, so a
    lead changing a cell another lead changed meanwhile is refused (one line, exit code 4)."""
    from helpers import FULL_PASS

    from qa_calibrate import sessions

    ids = seed_basics(store)
    sessions.create_session(store, name="Nov", rubric="mini", lead=LEAD, actor=LEAD,
                            evaluators=EVALUATORS, interactions=ids[:1])
    sessions.score(store, "Nov", evaluator="Ann", interaction=ids[0], answers=FULL_PASS,
                   submit_now=True)
    sessions.reveal(store, "Nov", actor=LEAD)
    cell = ["session", "consensus", "Nov", "--interaction", ids[0], "--criterion", "empathy"]
    r = run(store.url, *cell, "--value", "4", actor=LEAD)
    assert r.exit_code == 0 and "consensus empathy = 4.0 (version 1)" in r.stdout, r.output
    r = run(store.url, *cell, "--value", "3", "--if-version", "1", actor=LEAD)
    assert r.exit_code == 0 and "consensus empathy = 3.0 (version 2)" in r.stdout, r.output
    r = run(store.url, *cell, "--value", "5", "--if-version", "1", actor=LEAD)
    assert r.exit_code == 4
    assert r.stderr == "error: this consensus was changed by someone else; reload it\n"
    from qa_calibrate import models as m

    with store.read() as s:
        assert s.exec(select(m.Consensus)).one().value == 3.0
    r = run(store.url, "session", "consensus", "Nov", "--fill", "unanimous", "--if-version", "2",
            actor=LEAD)
    assert r.exit_code != 0 and "not with --fill" in r.stderr
