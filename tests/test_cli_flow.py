"""The calibration flow end to end through the CLI, as a QA lead would type it."""

from __future__ import annotations

import json

from click.testing import CliRunner
from helpers import EVALUATORS, LEAD, seed_basics
from openpyxl import Workbook

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
