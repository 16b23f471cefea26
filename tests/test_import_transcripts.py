"""Transcript import: every shape, encodings, idempotence, bad input leaving the store exactly as
it was, the rejects file, bulk writing, and the CLI."""

from __future__ import annotations

import csv
import json
import shutil

import pytest
from click.testing import CliRunner
from conftest import DATA
from sqlalchemy import event
from sqlmodel import func, select

from qa_calibrate import interactions
from qa_calibrate import models as m
from qa_calibrate.cli import cli
from qa_calibrate.errors import InputError
from qa_calibrate.importers import import_transcripts
from qa_calibrate.people import add_evaluator

T = DATA / "transcripts"
GOOD = {  # file: (shape, interactions)
    "chat_turns.csv": ("csv-turns", 2),
    "email_interactions.csv": ("csv-interactions", 2),
    "hhmmss_interactions.csv": ("csv-interactions", 1),
    "tabs.csv": ("csv-turns", 1),
    "voice.jsonl": ("jsonl", 2),
    "list.json": ("json", 2),
    "single.json": ("json", 1),
    "contact_lens_analysis_2026-09-14T10_15_02Z.json": ("contact-lens", 1),
    "contact_lens_list.json": ("contact-lens", 2),
    "bom.csv": ("csv-turns", 1),
    "cp1252.csv": ("csv-turns", 1),
}
BAD = {  # file: what the one error line must say after the file name
    "bad_speaker.csv": "row 2 (external_id 'B-1'): field 'speaker': 'robot' is not agent, "
                       "customer or system",
    "bad_later_row.csv": "row 4 (external_id 'L-1'): field 'speaker': 'robot'",
    "bad_channel.csv": "row 2 (external_id 'B-2'): field 'channel': 'fax' is not chat, voice or "
                       "email",
    "bad_csat.csv": "row 2 (external_id 'Q-1'): field 'csat': 'great' is not a number",
    "bad_date.csv": "field 'started_at': '31/02/2026 10:00' is not an ISO 8601 date-time",
    "bad_transcript_line.csv": "field 'transcript': line 2: 'Robot' is not agent",
    "conflicting_rows.csv": "row 3 (external_id 'M-1'): field 'team': 'Tech' here but "
                            "'Billing' in row 2",
    "ragged.csv": "row 2 (external_id 'R-1'): 5 fields but the header has 4",
    "wrong_delimiter.csv": "row 1: field 'speaker'/'text' or 'transcript': missing column",
    "nul.csv": "line 2: contains a NUL byte",
    "undecodable.csv": "line 2: neither UTF-8 nor cp1252 text",
    "utf16.csv": "line 1: the file is UTF-16",
    "truncated.json": "line 2: not valid JSON (Unterminated string",
    "truncated_last_line.jsonl": "line 2: not valid JSON",
    "empty_text.json": "item 2 (external_id 'C-19'): field 'turns[2].text': empty",
    "missing_external_id.jsonl": "line 1: field 'external_id': missing",
    "negative_handle.jsonl": "line 1 (external_id 'B-5'): field 'handle_time_seconds': -5 is "
                             "below 0",
    "negative_offset.jsonl": "field 'turns[1].offset_seconds': -3 is below 0",
    "future.jsonl": "field 'started_at': 2099-01-01T00:00:00Z is in the future",
    "duplicate_ids.jsonl": "line 2 (external_id 'D-1'): field 'external_id': 'D-1' appears "
                           "again with different content (first at line 1)",
}


def _reader(store) -> str:
    """An evaluator to read as; adding one keeps the store without a lead, so setup (the
    imports these tests run as "t") stays open."""
    add_evaluator(store, "tester", actor="setup")
    return "tester"


def show_interaction(store, ref):
    return interactions.show_interaction(store, ref, viewer=_reader(store))


def counts(store) -> tuple[int, int, int]:
    """(interactions, turns, audit rows)."""
    with store.session() as s:
        return tuple(s.exec(select(func.count()).select_from(table)).one()
                     for table in (m.Interaction, m.Turn, m.AuditLog))


def test_every_shape_imports_and_a_second_import_adds_nothing(store):
    results = import_transcripts(store, [T / f for f in GOOD], actor="t")
    assert {r.path.split("/")[-1]: (r.shape, r.interactions_added) for r in results} == GOOD
    assert all(r.interactions_already_stored == 0 and r.rejected == 0 for r in results)
    total = sum(n for _, n in GOOD.values())
    before = counts(store)
    assert before[:2] == (total, sum(r.turns_added for r in results))
    assert before[2] == len(GOOD)  # one audit row per file
    again = import_transcripts(store, [T / f for f in GOOD], actor="t")
    assert sum(r.interactions_added for r in again) == 0
    assert sum(r.interactions_already_stored for r in again) == total
    assert counts(store)[:2] == before[:2]


def test_fields_are_mapped_and_pii_redacted(store):
    results = import_transcripts(store, [T / f for f in GOOD], actor="t")
    by_file = {r.path.split("/")[-1]: r for r in results}
    t1 = show_interaction(store, "T-1")
    assert (t1["agent"], t1["team"], t1["site"], t1["queue"]) == ("Maya Patel", "Billing",
                                                                  "Leeds", "Billing")
    assert (t1["handle_time_seconds"], t1["csat"], t1["channel"]) == (420, 5, "chat")
    assert t1["started_at"].isoformat().startswith("2026-09-01T08:00:00")  # +01:00 → UTC
    assert [t["speaker"] for t in t1["transcript"]] == ["system", "agent", "customer"]
    assert [t["offset_seconds"] for t in t1["transcript"]] == [0, 5, 20]
    assert t1["transcript"][2]["text"] == "I was charged twice, my email is [EMAIL]"
    assert t1["redacted"] is True
    assert by_file["chat_turns.csv"].redactions == {"EMAIL": 1}
    e1 = show_interaction(store, "E-1")["transcript"]
    assert [(t["speaker"], t["offset_seconds"]) for t in e1] == [("customer", 0), ("agent", 310)]
    assert e1[0]["text"] == "Please refund order #A-10293, card [CARD]"
    e2 = show_interaction(store, "E-2")["transcript"]
    assert e2[0]["text"] == "Call me on [PHONE]" and e2[0]["offset_seconds"] is None
    h1 = show_interaction(store, "H-1")
    assert h1["channel"] == "voice" and h1["handle_time_seconds"] == 3725
    assert [(t["speaker"], t["offset_seconds"]) for t in h1["transcript"]] == [
        ("system", 1), ("customer", 9), ("agent", 3723)]
    tab = show_interaction(store, "TAB-1")
    assert tab["channel"] == "chat" and [t["speaker"] for t in tab["transcript"]] == [
        "customer", "agent"]
    v1 = show_interaction(store, "V-1")["transcript"]
    assert v1[1]["speaker"] == "customer" and v1[1]["text"] == "I want to cancel, IBAN [IBAN]"
    assert show_interaction(store, "V-2")["channel"] == "voice"  # "phone"
    assert show_interaction(store, "V-2")["transcript"][0]["offset_seconds"] == 3  # timestamp
    s1 = show_interaction(store, "S-1")
    assert s1["channel"] == "email" and s1["csat"] == 4
    assert s1["started_at"].isoformat().startswith("2026-08-10T09:30:00")  # naive = UTC
    assert [t["speaker"] for t in s1["transcript"]] == ["customer", "agent"]  # by seq
    assert s1["transcript"][0]["text"].endswith("call me on [PHONE]")
    assert show_interaction(store, "zendesk:J-1")["source"] == "zendesk"
    assert show_interaction(store, "J-2")["agent"] == "Lee"
    assert show_interaction(store, "U-1")["transcript"][0]["text"] == "Café crème"  # BOM file
    assert show_interaction(store, "W-1")["transcript"][0]["text"] == "Naïve résumé – €5"


def test_contact_lens_mapping(store):
    import_transcripts(store, [T / "contact_lens_analysis_2026-09-14T10_15_02Z.json",
                               T / "contact_lens_list.json"], actor="t")
    voice = show_interaction(store, "amazon_connect:4f3b7c2e-8a61-4d2b-9b7e-1c2d3e4f5a6b")
    assert voice["channel"] == "voice" and voice["handle_time_seconds"] == 48
    assert voice["agent"] is None and voice["team"] is None and voice["site"] is None
    # started: the analysis file's time stamp less the 48.21 s conversation
    assert voice["started_at"].isoformat().startswith("2026-09-14T10:14:13")
    assert [t["offset_seconds"] for t in voice["transcript"]] == [0, 3.5, 9.4]
    chat = show_interaction(store, "c0ffee00-1111-2222-3333-444455556666")
    assert chat["channel"] == "chat" and chat["handle_time_seconds"] == 95
    assert chat["started_at"].isoformat().startswith("2026-09-20T14:00:00")  # AbsoluteTime
    assert [(t["speaker"], t["offset_seconds"]) for t in chat["transcript"]] == [
        ("system", 2), ("agent", 10.5), ("customer", 30)]
    assert chat["transcript"][2]["text"] == "Card [CARD] was declined"
    assert show_interaction(store, "c0ffee00-7777-8888-9999-000011112222")["started_at"] is None


def test_source_option(store):
    import_transcripts(store, [T / "voice.jsonl", T / "contact_lens_list.json"], actor="t",
                       source="genesys")
    with store.session() as s:
        sources = set(s.exec(select(m.Interaction.source)).all())
    assert sources == {"genesys"}
    import_transcripts(store, [T / "voice.jsonl"], actor="t")
    assert show_interaction(store, "default:V-1")["source"] == "default"


def test_no_redact_keeps_the_text_and_says_so(store):
    result = import_transcripts(store, [T / "chat_turns.csv"], actor="t", redact=False)[0]
    t1 = show_interaction(store, "T-1")
    assert t1["transcript"][2]["text"].endswith("jo.bloggs@example.com")
    assert t1["redacted"] is False and result.redactions == {}


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_file_is_one_error_line_and_leaves_the_store_as_it_was(store, name):
    import_transcripts(store, [T / "chat_turns.csv"], actor="t")
    before = counts(store)
    with pytest.raises(InputError) as exc:
        import_transcripts(store, [T / name], actor="t")
    message = str(exc.value)
    assert message.startswith(f"{T / name}: ") and BAD[name] in message
    assert "\n" not in message
    assert counts(store) == before


def test_each_file_is_its_own_transaction(store):
    with pytest.raises(InputError, match="bad_later_row.csv: row 4"):
        import_transcripts(store, [T / "voice.jsonl", T / "bad_later_row.csv",
                                   T / "list.json"], actor="t")
    assert counts(store) == (2, 3, 1)  # voice.jsonl stays; nothing of the bad file or after


def test_skip_writes_rejects_next_to_the_input(store, tmp_path):
    # per-turn CSV: one bad row rejects its whole interaction, the other one goes in
    src = tmp_path / "turns.csv"
    shutil.copy(T / "bad_later_row.csv", src)
    result = import_transcripts(store, [src], actor="t", on_error="skip")[0]
    assert (result.interactions_added, result.rejected) == (1, 1)
    assert result.rejects_file == str(tmp_path / "turns.csv.rejects")
    with open(result.rejects_file, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["external_id", "channel", "speaker", "text", "error"]
    assert [r[:4] for r in rows[1:]] == [["L-1", "chat", "agent", "Hello"],
                                         ["L-1", "chat", "customer", "hi"],
                                         ["L-1", "chat", "robot", "beep"]]
    assert all("row 4 (external_id 'L-1'): field 'speaker'" in r[4] for r in rows[1:])
    assert show_interaction(store, "L-2")["turns"] == 1
    # JSONL: bad lines (and a duplicate id) become JSONL records with an error key
    mixed = tmp_path / "mixed.jsonl"
    good = {"external_id": "G-1", "channel": "chat", "turns": [{"speaker": "agent",
                                                                "text": "hi"}]}
    bad = {**good, "external_id": "G-2", "channel": "fax"}
    clash = {**good, "turns": [{"speaker": "agent", "text": "something else"}]}
    mixed.write_text("\n".join(json.dumps(x) for x in (good, bad, good, clash))
                     + '\n{"external_id": "G-3", "chan\n', encoding="utf-8")
    result = import_transcripts(store, [mixed], actor="t", on_error="skip")[0]
    assert (result.interactions_added, result.rejected) == (1, 3)
    rejects = [json.loads(x) for x in
               (tmp_path / "mixed.jsonl.rejects").read_text(encoding="utf-8").splitlines()]
    assert [r.get("external_id") for r in rejects] == ["G-2", "G-1", None]
    assert rejects[0]["error"] == ("line 2 (external_id 'G-2'): field 'channel': 'fax' is not "
                                   "chat, voice or email")
    assert "appears again with different content" in rejects[1]["error"]
    assert rejects[2]["record"] == '{"external_id": "G-3", "chan'
    # JSON list: the bad item goes to the rejects as it was written
    items = tmp_path / "items.json"
    shutil.copy(T / "empty_text.json", items)
    result = import_transcripts(store, [items], actor="t", on_error="skip")[0]
    assert (result.interactions_added, result.rejected) == (1, 1)
    (reject,) = [json.loads(x) for x in
                 (tmp_path / "items.json.rejects").read_text(encoding="utf-8").splitlines()]
    assert reject["external_id"] == "C-19" and "turns[2].text" in reject["error"]


def test_skip_does_not_hide_a_broken_file(store, tmp_path):
    src = tmp_path / "t.json"
    shutil.copy(T / "truncated.json", src)
    with pytest.raises(InputError, match="line 2: not valid JSON"):
        import_transcripts(store, [src], actor="t", on_error="skip")
    assert not (tmp_path / "t.json.rejects").exists()


def test_directories_are_walked(store, tmp_path):
    (tmp_path / "2026" / "09").mkdir(parents=True)
    (tmp_path / ".hidden").mkdir()
    shutil.copy(T / "voice.jsonl", tmp_path / "2026" / "09" / "voice.jsonl")
    shutil.copy(T / "chat_turns.csv", tmp_path / "chat.csv")
    shutil.copy(T / "bad_speaker.csv", tmp_path / ".hidden" / "bad.csv")
    (tmp_path / "chat.csv.rejects").write_text("not imported")
    (tmp_path / "notes.txt").write_text("not imported")
    (tmp_path / "empty").mkdir()
    results = import_transcripts(store, [tmp_path], actor="t")
    assert [r.path.split("/")[-1] for r in results] == ["voice.jsonl", "chat.csv"]
    with pytest.raises(InputError, match="empty: no .csv, .json or .jsonl files"):
        import_transcripts(store, [tmp_path / "empty"], actor="t")


def test_audit_row_per_file_with_counts(store):
    import_transcripts(store, [T / "chat_turns.csv", T / "voice.jsonl"], actor="auditor")
    with store.session() as s:
        rows = s.exec(select(m.AuditLog).order_by(m.AuditLog.id)).all()
    assert [(r.actor, r.entity, r.action) for r in rows] == [
        ("auditor", "import", "import_transcripts")] * 2
    assert rows[0].entity_id.endswith("chat_turns.csv")
    after = json.loads(rows[1].after)
    assert after["added"] == 2 and after["turns"] == 3 and after["redactions"] == {"IBAN": 1}


def test_bulk_write_uses_few_statements_and_reports_progress(store, tmp_path):
    n = 2_500
    src = tmp_path / "many.jsonl"
    with src.open("w", encoding="utf-8") as fh:
        for i in range(n):
            fh.write(json.dumps({
                "external_id": f"B-{i:05d}", "channel": "chat", "agent": f"Agent {i % 7}",
                "started_at": "2026-09-01T10:00:00Z", "handle_time_seconds": 300,
                "turns": [{"seq": k, "speaker": "agent" if k % 2 else "customer",
                           "offset_seconds": 10.0 * k,
                           "text": f"turn {k} call me on 07700 900{i % 1000:03d}" if k == 1
                           else f"turn {k}"} for k in range(6)]}) + "\n")
    statements = []
    event.listen(store.engine, "before_cursor_execute",
                 lambda *args: statements.append(args[2]))
    seen: list[tuple[int, int]] = []
    result = import_transcripts(store, [src], actor="t",
                                progress=lambda done, total: seen.append((done, total)))[0]
    assert (result.interactions_added, result.turns_added) == (n, 6 * n)
    assert result.redactions == {"PHONE": n}
    assert len(statements) < 30  # bulk: a few statements a thousand interactions, not per row
    assert seen[0] == (0, n) and seen[-1] == (n, n)
    assert counts(store)[:2] == (n, 6 * n)
    first = show_interaction(store, "B-00000")
    assert first["started_at"].isoformat().startswith("2026-09-01T10:00:00")
    assert first["transcript"][1]["text"] == "turn 1 call me on [PHONE]"
    assert set(result.timings) == {"parse", "redact", "write"}


def _cli(store, *args):
    _reader(store)
    return CliRunner().invoke(cli, ["--db", store.url, "--as", "tester", *map(str, args)])


def test_cli_import_summary_and_interaction_counts(store):
    ok = _cli(store, "import", "transcripts", T / "voice.jsonl", T / "list.json")
    assert ok.exit_code == 0, ok.output
    assert "voice.jsonl" in ok.output and "list.json" in ok.output and "IBAN 1" in ok.output
    listed = _cli(store, "interaction", "list", "--format", "json")
    rows = json.loads(listed.output)
    assert {r["external_id"]: r["turns"] for r in rows} == {"V-1": 2, "V-2": 1, "J-1": 2,
                                                            "J-2": 1}
    again = _cli(store, "import", "transcripts", T / "voice.jsonl", "--format", "json")
    assert json.loads(again.output) == [{
        "file": "voice.jsonl", "shape": "jsonl", "added": 0, "already_stored": 2, "turns": 0,
        "rejected": 0, "redactions": "IBAN 1"}]


def test_cli_error_is_one_line_and_the_files_before_stay(store):
    bad = _cli(store, "import", "transcripts", T / "voice.jsonl", T / "bad_speaker.csv")
    assert bad.exit_code != 0 and "Traceback" not in bad.output
    errors = [line for line in bad.output.splitlines() if line.startswith("error:")]
    assert errors == [f"error: {T / 'bad_speaker.csv'}: {BAD['bad_speaker.csv']}"]
    assert "Imported before the error" in bad.output and "voice.jsonl" in bad.output
    assert counts(store)[0] == 2
    listed = json.loads(_cli(store, "interaction", "list", "--format", "json").output)
    assert {r["external_id"] for r in listed} == {"V-1", "V-2"}


def test_cli_options(store, tmp_path):
    patterns = tmp_path / "p.yaml"
    patterns.write_text("patterns:\n  - name: ROUTER\n    regex: 'router'\n")
    ok = _cli(store, "import", "transcripts", T / "chat_turns.csv", "--redact-patterns",
              patterns, "--source", "crm")
    assert ok.exit_code == 0, ok.output
    assert show_interaction(store, "crm:T-2")["transcript"][0]["text"] == (
        "My [ROUTER] keeps dropping")
    clash = _cli(store, "import", "transcripts", T / "voice.jsonl", "--no-redact",
                 "--redact-patterns", patterns)
    assert clash.exit_code == 2 and "no effect with --no-redact" in clash.output
    src = tmp_path / "turns.csv"
    shutil.copy(T / "bad_later_row.csv", src)
    skipped = _cli(store, "import", "transcripts", src, "--on-error", "skip")
    assert skipped.exit_code == 0, skipped.output
    assert "1 rejected, written to" in skipped.output and (tmp_path / "turns.csv.rejects").exists()
    bad_regex = tmp_path / "bad.yaml"
    bad_regex.write_text("patterns:\n  - name: OOPS\n    regex: '(['\n")
    failed = _cli(store, "import", "transcripts", T / "voice.jsonl", "--redact-patterns",
                  bad_regex)
    assert failed.exit_code != 0
    assert f"error: {bad_regex}: pattern OOPS: field 'regex'" in failed.output
    missing = _cli(store, "import", "transcripts", tmp_path / "nope.csv")
    assert missing.exit_code != 0 and "nope.csv: no such file or directory" in missing.output
