"""What a new user hits at once: names, dates, exit codes, piped tables, the bundled data."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import EVALUATORS, LEAD, seed_basics
from sqlmodel import select

from qa_calibrate import models as m
from qa_calibrate.cli import cli

SCRIPT = Path(sys.executable).with_name("qa-calibrate")


def run(url, *args, actor=None, env=None):
    argv = ["--db", url] + (["--as", actor] if actor else []) + list(args)
    return CliRunner().invoke(cli, argv, env=env)


def _session(store) -> list[str]:
    ids = seed_basics(store)
    r = run(store.url, "session", "create", "Nov chat", "--rubric", "mini", "--lead", LEAD,
            *[x for e in EVALUATORS for x in ("--evaluator", e)], "--interaction", ids[0],
            actor=LEAD)
    assert r.exit_code == 0, r.output
    return ids


def test_session_names_match_like_person_names_and_a_typo_suggests_one(store) -> None:
    _session(store)
    shown = run(store.url, "session", "show", "  NOV   chat ", "--format", "json", actor="Ann")
    assert shown.exit_code == 0 and json.loads(shown.stdout)["name"] == "Nov chat"
    typo = run(store.url, "session", "show", "Nov caht", actor="Ann")
    assert typo.exit_code == 7
    assert typo.stderr.strip() == \
        "error: no calibration session 'Nov caht' (did you mean 'Nov chat'?)"
    person = run(store.url, "session", "answers", "nov chat", actor="  ann ")
    assert person.exit_code == 0, person.output
    unknown = run(store.url, "session", "answers", "Nov chat", actor="Anne")
    assert unknown.exit_code == 3 and "did you mean 'Ann'?" in unknown.stderr
    assert "--as NAME" not in unknown.stderr  # the name was given with --as: no advice needed


def test_without_as_the_unknown_person_error_says_how_to_pick_who_you_are(store) -> None:
    _session(store)
    r = run(store.url, "session", "answers", "Nov chat", env={"QA_CALIBRATE_USER": None})
    assert r.exit_code == 3  # permission: a name not in the store sees nothing protected
    assert len(r.stderr.strip().splitlines()) == 1
    assert "say who you are with --as NAME or QA_CALIBRATE_USER" in r.stderr
    r = run(store.url, "session", "answers", "Nov chat", env={"QA_CALIBRATE_USER": "Zed"})
    assert "you are acting as QA_CALIBRATE_USER='Zed'" in r.stderr


@pytest.mark.parametrize("command", [["tui"], ["score", "Nov chat"], ["demo"]])
def test_the_tui_refuses_an_unknown_person_and_a_missing_terminal(store, command) -> None:
    _session(store)
    unknown = run(store.url, *command, actor="Nobody")
    assert unknown.exit_code == 7 and "no evaluator named 'Nobody'" in unknown.stderr
    known = run(store.url, *command, actor="Ann")  # CliRunner gives no terminal
    assert known.exit_code == 2 and "the TUI needs a terminal" in known.stderr
    assert "Traceback" not in known.output


def test_since_and_until_take_dates_without_a_zone_as_utc(store) -> None:
    ids = seed_basics(store)  # chats from 2026-09-01 09:00 UTC, one an hour
    rows = json.loads(run(store.url, "interaction", "list", "--since", "2026-09-01T11:00",
                          "--format", "json", actor="Ann").stdout)
    assert [r["external_id"] for r in rows] == ids[2:]
    rows = json.loads(run(store.url, "interaction", "list", "--until", "2026-09-01T10:00+00:00",
                          "--format", "json", actor="Ann").stdout)
    assert [r["external_id"] for r in rows] == ids[:1]
    assert json.loads(run(store.url, "interaction", "list", "--since", "2026-09-02",
                          "--format", "json", actor="Ann").stdout) == []
    made = run(store.url, "session", "create", "Drawn", "--rubric", "mini", "--lead", LEAD,
               "--evaluator", "Ann", "--evaluator", "Bob", "--sample", "2", "--seed", "1",
               "--since", "2026-09-01",
               "--until", "2026-09-01T12:00", actor=LEAD)
    assert made.exit_code == 0, made.output
    plan = run(store.url, "coaching", "plan", "--since", "2026-01-01", "--until", "2027-01-01",
               "--dry-run", "--format", "json", actor=LEAD)
    assert plan.exit_code == 0, plan.output
    bad = run(store.url, "interaction", "list", "--since", "1st of May")
    assert bad.exit_code == 2 and "is not a date" in bad.stderr


def test_drift_help_states_the_default_the_code_uses() -> None:
    from qa_calibrate.drift import DriftSettings

    out = CliRunner().invoke(cli, ["drift", "--help"]).output
    assert f"default: {DriftSettings().years_per_false_alarm:g}" in " ".join(out.split())


def test_a_piped_table_keeps_every_column_whole(store) -> None:
    seed_basics(store)
    site = "Manila (Vendor: Northstar BPO) — night shift, queue overflow from Leeds"
    agent = "[bold]Agent[/bold] :smile:"
    with store.session() as s:
        for row in s.exec(select(m.Interaction)).all():
            row.site, row.agent = site, agent
    r = run(store.url, "interaction", "list", actor=LEAD)
    assert r.exit_code == 0
    lines = r.stdout.splitlines()
    assert sum(site in line for line in lines) == 6  # one line per row, nothing folded
    assert sum(agent in line for line in lines) == 6  # stored text shown as it is
    assert max(len(line) for line in lines) > 160


def test_init_loads_the_bundled_rubrics_once_and_rubric_load_reloads_them(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'new.db'}"
    first = run(url, "init")
    assert first.exit_code == 0
    assert "loaded the bundled rubrics (chat_support, email_support, voice_support) and the " \
           "module catalogue (15 modules)" in first.stdout
    assert "loaded the bundled" not in run(url, "init").stdout
    names = {r["name"] for r in json.loads(run(url, "rubric", "list", "--format", "json").stdout)}
    assert names == {"chat_support", "email_support", "voice_support"}
    again = json.loads(run(url, "rubric", "load", "--format", "json").stdout)
    assert {r["status"] for r in again} == {"unchanged"} and len(again) == 4


def test_sample_data_copies_the_bundled_files_and_never_overwrites(tmp_path) -> None:
    r = CliRunner().invoke(cli, ["sample-data", str(tmp_path / "s")])
    assert r.exit_code == 0, r.output
    names = {p.name for p in (tmp_path / "s").iterdir()}
    assert {"evaluators.csv", "transcripts_chat.jsonl", "calibration_sessions.json"} <= names
    assert not any(n.endswith(".py") for n in names)
    (tmp_path / "s" / "evaluators.csv").write_text("mine", encoding="utf-8")
    again = CliRunner().invoke(cli, ["sample-data", str(tmp_path / "s")])
    assert again.exit_code == 2 and "already exists; give an empty or new folder" in again.stderr
    assert (tmp_path / "s" / "evaluators.csv").read_text(encoding="utf-8") == "mine"


def test_demo_loads_the_bundled_sample_data_from_any_folder(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    r = CliRunner().invoke(cli, ["--db", str(tmp_path / "demo.db"), "demo", "--no-tui"])
    assert r.exit_code == 0, r.output
    assert "300 interactions, 3 rubric versions, 2 calibration sessions" in r.stdout
    missing = CliRunner().invoke(cli, ["--db", str(tmp_path / "d2.db"), "demo", "--no-tui",
                                       "--sample-dir", str(tmp_path)])
    assert missing.exit_code == 2
    assert f"no transcripts_*.csv, *.json or *.jsonl in {tmp_path}" in missing.stderr


def test_a_postgresql_url_without_the_extra_names_the_extra(monkeypatch) -> None:
    from qa_calibrate import store as store_module
    from qa_calibrate.errors import StoreError

    monkeypatch.setattr(store_module, "find_spec", lambda name: None)
    with pytest.raises(StoreError) as err:
        store_module.open_store("postgresql://someone@127.0.0.1:5432/test")
    assert "pip install 'qa-calibrate[postgres]'" in str(err.value)
    r = CliRunner().invoke(cli, ["--db", "postgresql://someone@127.0.0.1/x", "rubric", "list"])
    assert r.exit_code == 5 and "qa-calibrate[postgres]" in r.stderr


def test_shell_completion_offers_the_names_in_the_store(tmp_path) -> None:
    from qa_calibrate.store import open_store

    store = open_store(f"sqlite:///{tmp_path / 'complete.db'}")
    _session(store)
    store.close()

    def complete(words: str) -> list[str]:
        env = {**os.environ, "_QA_CALIBRATE_COMPLETE": "bash_complete", "COMP_WORDS": words,
               "COMP_CWORD": str(len(words.split()) - (0 if words.endswith(" ") else 1))}
        out = subprocess.run([str(SCRIPT)], env=env, capture_output=True, text=True, check=True)
        return [line.split(",", 1)[1] for line in out.stdout.splitlines() if line]

    db = f"--db {store.url}"
    assert complete(f"qa-calibrate {db} session show no") == ["Nov chat"]
    assert complete(f"qa-calibrate {db} rubric show m") == ["mini"]
    assert complete(f"qa-calibrate {db} --as le") == [LEAD]
    assert "session" in complete("qa-calibrate ses")
    assert complete(f"qa-calibrate --db sqlite:///{tmp_path}/none.db session show n") == []
    assert not (tmp_path / "none.db").exists()


def test_a_name_that_differs_only_in_case_or_spacing_is_the_same_session_or_person(store) -> None:
    _session(store)
    clash = run(store.url, "session", "create", "nov  CHAT", "--rubric", "mini", "--lead", LEAD,
                "--evaluator", "Ann", "--evaluator", "Bob", "--interaction", "C-001", actor=LEAD)
    assert clash.exit_code == 4 and "a session named 'Nov chat' exists already" in clash.stderr
    assert run(store.url, "evaluator", "add", "  ann ", "--site", "Manila",
               actor=LEAD).exit_code == 0
    people = json.loads(run(store.url, "evaluator", "list", "--format", "json").stdout)
    assert [p["site"] for p in people if p["name"].casefold() == "ann"] == ["Manila"]
