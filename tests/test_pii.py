"""PII planted in every free-text field, through the CLI importers and commands, then searched
for in the SQLite store file, its WAL, a backup, the exports (CSV and JSON listings, the coaching
workbook unzipped) and everything printed: found nowhere."""

from __future__ import annotations

import csv
import json
import re
import zipfile
from pathlib import Path

from click.testing import CliRunner
from helpers import LEAD, seed_basics
from openpyxl import Workbook

from qa_calibrate import models as m
from qa_calibrate.cli import cli
from qa_calibrate.store import open_store

# (as planted, what else it may be found as: its digits run together, or folded)
PLANTED = [
    "jane.doe@example.com", "tom+qa@example.co.uk", "07700 900123", "+44 20 7946 0958",
    "2125550123", "4111 1111 1111 1111", "GB82 WEST 1234 5698 7654 32", "020.7946.0958",
    "07700\u00a0900\u00a0456",
    "\uff10\uff17\uff17\uff10\uff10 \uff19\uff10\uff10\uff17\uff18\uff19",
    "020\u20137946\u20130959", "5500-0000-0000-0004", "DE89370400440532013000",
    "ana@corp.example", "+1 (415) 555-0132",
]


def _needles(value: str) -> list[bytes]:
    import unicodedata

    folded = unicodedata.normalize("NFKC", value)
    digits = re.sub(r"[^0-9A-Za-z@.+]", "", folded)
    forms = {value, folded, digits, folded.replace("\u00a0", " ")}
    return [f.encode("utf-8") for f in forms if len(f) >= 8]


def _leaks(blob: bytes, where: str) -> list[str]:
    return [f"{where}: {n.decode()!r}" for value in PLANTED for n in _needles(value)
            if n in blob]


def test_planted_pii_is_found_nowhere(tmp_path):
    db = tmp_path / "store.db"
    store = open_store(f"sqlite:///{db}")
    seed_basics(store)
    with store.session() as s:
        s.add(m.Assignment(kind="refresher", assignee="Agent 0", role="agent",
                           module_id="MOD-EMP", module_title="Empathy", reason="r",
                           assigned_on=m.utcnow().date(), due_on=m.utcnow().date(),
                           trainer="Tess Trainer", dedupe_key="pii"))
    store.close()
    url = f"sqlite:///{db}"
    output: list[str] = []

    def run(*argv: str, ok: bool = True) -> str:
        result = CliRunner().invoke(cli, ["--db", url, "--as", LEAD, *argv])
        assert result.exception is None or isinstance(result.exception, SystemExit), \
            result.exception
        output.extend([result.stdout, result.stderr])
        if ok:
            assert result.exit_code == 0, (argv, result.stderr)
        else:
            assert result.exit_code != 0, argv
        return result.stdout

    p = iter(PLANTED)
    # transcripts: every interaction field and the turn text, in a file named with PII
    turns_csv = tmp_path / "export jane.doe@example.com 07700 900123.csv"
    with open(turns_csv, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["external_id", "channel", "agent", "team", "site", "queue", "language",
                    "speaker", "text"])
        meta = [f"P-{next(p)}", "chat", f"Agent 7 <{PLANTED[0]}>", f"Team {PLANTED[2]}",
                f"Site {PLANTED[3]}", f"Queue {PLANTED[4]}", f"en {PLANTED[5]}"]
        for n, value in enumerate(PLANTED):
            w.writerow([*meta, "customer" if n % 2 else "agent", f"my detail is {value} ok"])
    run("import", "transcripts", str(turns_csv))
    # JSON with a bad record and --on-error skip: the rejects file
    bad_json = tmp_path / "more.json"
    bad_json.write_text(json.dumps([
        {"external_id": "J-1", "channel": "chat", "agent": PLANTED[6],
         "turns": [{"speaker": "agent", "text": f"call {PLANTED[7]}"}]},
        {"external_id": f"J-2 {PLANTED[8]}", "channel": "chat", "agent": PLANTED[9],
         "started_at": f"not a date {PLANTED[10]}",
         "turns": [{"speaker": "agent", "text": f"card {PLANTED[11]}"}]},
    ], ensure_ascii=False), encoding="utf-8")
    run("import", "transcripts", "--on-error", "skip", str(bad_json))
    rejects = bad_json.with_name(bad_json.name + ".rejects")
    assert rejects.exists()
    # an error that would echo the bad value
    run("import", "transcripts", str(bad_json).replace("more", "more"), "--on-error", "fail",
        ok=False)
    # evaluation-import comments
    evals = tmp_path / "scores.csv"
    with open(evals, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["interaction", "source", "evaluator", "rubric", "criterion", "value",
                    "comment", "scored_at"])
        w.writerow(["C-000", "crm", "Ann", "mini", "greeting", "no",
                    f"customer gave {PLANTED[12]} and {PLANTED[13]}", "2026-09-02T10:00:00Z"])
    run("import", "evaluations", str(evals))
    # score --comment, consensus notes
    run("session", "create", "PII", "--rubric", "mini", "--lead", LEAD, "--evaluator", "Ann",
        "--evaluator", "Bob", "--interaction", "C-001")
    for who in ("Ann", "Bob"):
        result = CliRunner().invoke(cli, [
            "--db", url, "--as", who, "score", "PII", "--interaction", "C-001",
            "--answer", "greeting=no,verify_identity=yes,empathy=3,accuracy=4,"
                        "hold_etiquette=n/a",
            "--comment", f"greeting=reach me on {PLANTED[14]} or {PLANTED[0]}", "--submit"])
        assert result.exit_code == 0, result.stderr
        output.extend([result.stdout, result.stderr])
    run("session", "reveal", "PII")
    run("session", "consensus", "PII", "--interaction", "C-001", "--criterion", "greeting",
        "--value", "no", "--note", f"agreed; caller was {PLANTED[1]}, {PLANTED[2]}")
    # coaching notes from a returned workbook
    book = tmp_path / "returned.xlsx"
    wb = Workbook()
    ws = wb.active
    ws.title = "Assignments"
    ws.append(["ID", "Status", "Notes", "Version"])
    ws.append([1, "In progress", f"rang agent on {PLANTED[3]}, mail {PLANTED[0]}", 1])
    wb.save(book)
    run("coaching", "import-status", str(book))
    # a rubric file named with PII: its name goes to the rubric row and the audit log
    from hostile import GOOD_RUBRIC

    rubric = tmp_path / f"rubric {PLANTED[4]} {PLANTED[0]}.yaml"
    rubric.write_text(GOOD_RUBRIC, encoding="utf-8")
    run("rubric", "load", str(rubric))
    # outputs: listings, a backup, the workbook
    exports = {}
    for argv in (["interaction", "list"], ["session", "answers", "PII"],
                 ["coaching", "list"], ["audit", "list"], ["evaluator", "list"],
                 ["rubric", "list"]):
        for fmt in ("csv", "json", "table"):
            exports[f"{' '.join(argv)} {fmt}"] = run(*argv, "--format", fmt).encode()
    run("interaction", "show", "J-1")
    backup = tmp_path / "backup.db"
    run("backup", str(backup))
    workbook = tmp_path / "coaching.xlsx"
    run("coaching", "export", str(workbook))

    leaks: list[str] = []
    for path in (db, db.with_name(db.name + "-wal"), backup, rejects):
        if path.exists():
            leaks += _leaks(path.read_bytes(), path.name)
    with zipfile.ZipFile(workbook) as z:
        for name in z.namelist():
            leaks += _leaks(z.read(name), f"coaching.xlsx/{name}")
    for where, blob in exports.items():
        leaks += _leaks(blob, where)
    leaks += _leaks("\n".join(output).encode("utf-8"), "captured stdout/stderr")
    assert leaks == [], "\n".join(leaks)
    # what was planted is there, as placeholders
    assert b"[EMAIL]" in db.read_bytes() and b"[PHONE]" in db.read_bytes()
    assert "[CARD]" in rejects.read_text(encoding="utf-8")
    audit = exports["audit list json"].decode()
    assert "export [EMAIL] [PHONE].csv" in audit
    # non-PII in the same fields stays
    listing = exports["interaction list json"].decode()
    assert "Agent 7" in listing and "Team" in listing


def test_redaction_keeps_order_numbers_amounts_and_dates_in_imports(tmp_path):
    db = tmp_path / "store.db"
    store = open_store(f"sqlite:///{db}")
    seed_basics(store)
    store.close()
    text = "order ORD-12345678 of $1,234.56 on 2026-09-01 at 10:30, ref 1000234567"
    path = tmp_path / "t.jsonl"
    path.write_text(json.dumps({"external_id": "ORD-12345678", "channel": "chat",
                                "agent": "Ana Reyes", "team": "Billing",
                                "turns": [{"speaker": "agent", "text": text}]}) + "\n")
    result = CliRunner().invoke(cli, ["--db", f"sqlite:///{db}", "--as", LEAD, "import",
                                      "transcripts", str(path)])
    assert result.exit_code == 0, result.stderr
    shown = CliRunner().invoke(cli, ["--db", f"sqlite:///{db}", "--as", LEAD, "interaction",
                                     "show", "ORD-12345678", "--format", "json"]).stdout
    row = json.loads(shown)
    assert row["agent"] == "Ana Reyes" and row["transcript"][0]["text"] == text


def test_name_and_address_redaction_behind_the_setting(tmp_path):
    db = tmp_path / "store.db"
    store = open_store(f"sqlite:///{db}")
    seed_basics(store)
    store.close()
    url = f"sqlite:///{db}"
    path = tmp_path / "t.jsonl"
    text = "Hi, Agent 1 here; ann said you live at 221B Baker Street, London NW1 6XE"
    path.write_text(json.dumps({"external_id": "N-1", "channel": "chat", "agent": "Agent 1",
                                "turns": [{"speaker": "agent", "text": text}]}) + "\n")
    runner = CliRunner()
    assert runner.invoke(cli, ["--db", url, "--as", LEAD, "setting", "redact_names",
                               "on"]).exit_code == 0
    assert runner.invoke(cli, ["--db", url, "--as", LEAD, "import", "transcripts",
                               "--redact-addresses", str(path)]).exit_code == 0
    row = json.loads(runner.invoke(cli, ["--db", url, "--as", LEAD, "interaction", "show",
                                         "N-1", "--format", "json"]).stdout)
    assert row["agent"] == "Agent 1"  # the agent field is kept; in the text it is a name
    assert row["transcript"][0]["text"] == ("Hi, [NAME] here; [NAME] said you live at "
                                            "[ADDRESS], London [POSTCODE]")
    assert not Path(db).read_bytes().count(b"Baker Street")
