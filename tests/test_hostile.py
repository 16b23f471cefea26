"""The hostile-input corpus (tests/hostile.py) through the CLI importers, in-process: every file
is refused with exit code != 0, no traceback, exactly one line on stderr naming the file and
where in it, and the store exactly as it was (a dump of every table compared before and after).
Text with markup, ANSI escapes and control characters is stored and shown literally."""

from __future__ import annotations

import re
import sqlite3
import time

import pytest
from click.testing import CliRunner
from helpers import LEAD, seed_basics
from hostile import write_corpus

from qa_calibrate.cli import cli
from qa_calibrate.store import open_store

COMMANDS = {"transcripts": ["import", "transcripts"], "evaluations": ["import", "evaluations"],
            "people": ["evaluator", "import"], "rubric": ["rubric", "load"]}
# where in the file: a row, line, item or field; a workbook that is no workbook has no place
WHERE = re.compile(r"\b(row|line|item) \d+|field '|\.xlsx: not a readable Excel workbook")


def _dump(path) -> list[str]:
    with sqlite3.connect(path) as conn:
        return list(conn.iterdump())


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile")
    db = folder / "store.db"
    store = open_store(f"sqlite:///{db}")
    seed_basics(store)
    store.close()
    return db, write_corpus(folder / "corpus")


def test_the_corpus_is_big_enough(seeded):
    _db, cases = seeded
    kinds = {kind: sum(c.kind == kind for c in cases) for kind in COMMANDS}
    assert len(cases) >= 150 and min(kinds.values()) >= 20, kinds


def test_every_hostile_file_is_one_line_and_stores_nothing(seeded):
    db, cases = seeded
    before = _dump(db)
    runner = CliRunner()
    failures = []
    started = time.process_time()  # CPU time: the machine's other load does not count
    for case in cases:
        result = runner.invoke(cli, ["--db", f"sqlite:///{db}", "--as", LEAD,
                                     *COMMANDS[case.kind], str(case.path)])
        lines = result.stderr.strip().splitlines()
        problem = None
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            problem = f"traceback: {result.exception!r}"
        elif result.exit_code == 0:
            problem = "accepted (exit 0)"
        elif len(lines) != 1:
            problem = f"{len(lines)} stderr lines: {lines[:3]}"
        elif case.path.name not in lines[0] or not WHERE.search(lines[0]):
            problem = f"does not name file and place: {lines[0][:200]}"
        elif len(lines[0]) > 600:
            problem = f"a {len(lines[0]):,}-character line"
        after = _dump(db)
        if after != before:
            problem = problem or "the store changed"
            before = after
        if problem:
            failures.append(f"{case.kind}/{case.path.name} ({case.why}): {problem}")
    elapsed = time.process_time() - started
    assert failures == [], "\n".join(failures)
    assert elapsed < 30, f"the corpus took {elapsed:.1f} s of CPU"


def _run(db, *argv, ok=True):
    result = CliRunner().invoke(cli, ["--db", f"sqlite:///{db}", "--as", LEAD, *argv])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    if ok:
        assert result.exit_code == 0, result.stderr
    return result


MARKUP_NAMES = ["[/x] closes nothing", "[b]bold[/b] Bea", "Esc \x1b[31mred\x1b[0m Ed",
                "Bell\x07 Bo", "[link=http://x]Li[/link]", ":smile: Sam"]


def test_markup_ansi_and_control_characters_are_stored_and_shown_literally(tmp_path):
    db = tmp_path / "store.db"
    store = open_store(f"sqlite:///{db}")
    seed_basics(store)
    store.close()
    people = tmp_path / "people.csv"
    people.write_text("name,role\n" + "".join(f'"{n}",evaluator\n' for n in MARKUP_NAMES),
                      encoding="utf-8")
    _run(db, "evaluator", "import", str(people))
    with sqlite3.connect(db) as conn:
        stored = {r[0] for r in conn.execute("select name from evaluator")}
    assert set(MARKUP_NAMES) <= stored  # stored as given
    listing = _run(db, "evaluator", "list").stdout
    for name in MARKUP_NAMES:
        shown = name.replace("\x1b", "\\x1b").replace("\x07", "\\x07")
        assert shown in listing, (shown, listing)
    assert "\x1b" not in listing and "\x07" not in listing
    created = _run(db, "session", "create", "[/i] sess", "--rubric", "mini", "--lead", LEAD,
                   "--evaluator", MARKUP_NAMES[0], "--evaluator", MARKUP_NAMES[2],
                   "--interaction", "C-000", "--interaction", "C-001")
    assert "[/i] sess" in created.stdout
    for argv in (["session", "list"], ["session", "show", "[/i] sess"],
                 ["session", "answers", "[/i] sess"], ["interaction", "list"],
                 ["interaction", "show", "C-000"], ["report", "agreement", "[/i] sess"],
                 ["report", "evaluators"]):
        result = _run(db, *argv, ok=False)
        assert result.exit_code in (0, 4, 7), (argv, result.stderr)  # never a crash
        assert "\x1b" not in result.stdout, argv
    shown = _run(db, "session", "show", "[/i] sess").stdout
    assert "[/i] sess" in shown and "\\x1b[31mred" in shown


def test_csv_listings_escape_formula_cells_unless_raw(tmp_path):
    db = tmp_path / "store.db"
    store = open_store(f"sqlite:///{db}")
    seed_basics(store)
    store.close()
    people = tmp_path / "people.csv"
    people.write_text('name,role,site\n"=HYPERLINK(""http://x"")",evaluator,+1\n'
                      '"@SUM(A1)",evaluator,-2\n', encoding="utf-8")
    _run(db, "evaluator", "import", str(people))
    escaped = _run(db, "evaluator", "list", "--format", "csv").stdout
    raw = _run(db, "evaluator", "list", "--format", "csv", "--raw").stdout
    for line in escaped.splitlines()[1:]:
        for cell in line.split(","):
            assert not cell.lstrip('"').startswith(("=", "+", "-", "@")), line
    assert "'=HYPERLINK" in escaped and "'@SUM(A1)" in escaped and "'+1" in escaped
    assert '"=HYPERLINK(""http://x"")"' in raw and "@SUM(A1)" in raw and ",+1" in raw
    # JSON is data, not a spreadsheet: unchanged
    assert '"=HYPERLINK(\\"http://x\\")"' in _run(db, "evaluator", "list", "--format",
                                                  "json").stdout
