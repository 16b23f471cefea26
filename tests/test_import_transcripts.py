"""Transcript import: every shape, encodings, idempotence, bad input leaving the store as it
was, the rejects file, and the CLI."""

from __future__ import annotations

import json
import shutil

import pytest
from click.testing import CliRunner
from sqlmodel import func, select

from qa_calibrate import models as m
from qa_calibrate.cli import cli
from qa_calibrate.errors import InputError
from qa_calibrate.importers import import_transcripts
from qa_calibrate.interactions import show_interaction

from conftest import DATA

T = DATA / "transcripts"
GOOD = ["chat_turns.csv", "email_interactions.csv", "voice.jsonl", "list.json",
        "contact_lens_analysis_2026-09-14T10_15_02Z.json", "bom.csv", "cp1252.csv"]
BAD = {
    "bad_speaker.csv": "row 2 (external_id 'B-1'): field 'speaker': 'robot'",
    "bad_channel.csv": "field 'channel': 'fax'",
    "truncated.json": "line 2: not valid JSON",
    "negative_handle.jsonl": "line 1: field 'handle_time_seconds': -5 is below 0",
    "future.jsonl": "field 'started_at': 2099-01-01T00:00:00Z is in the future",
    "nul.csv": "NUL bytes",
    "wrong_delimiter.csv": "row 1: field 'speaker'/'text' or 'transcript': missing column",
    "duplicate_ids.jsonl": "line 2: field 'external_id': 'D-1' appears again",
    "conflicting_rows.csv": "field 'team': row 3 says 'Tech' but row 2 says 'Billing'",
}


def counts(store):
    with store.session() as s:
        return (s.exec(select(func.count()).select_from(m.Interaction)).one(),
                s.exec(select(func.count()).select_from(m.Turn)).one())


def test_every_good_shape_imports_and_twice_adds_nothing(store):
    res = import_transcripts(store, [T / f for f in GOOD], actor="t")
    assert [r.shape for r in res] == ["csv-turns", "csv-interactions", "jsonl", "json", "json",
                                      "csv-turns", "csv-turns"]
    assert sum(r.interactions_added for r in res) == 11
    before = counts(store)
    again = import_transcripts(store, [T / f for f in GOOD], actor="t")
    assert sum(r.interactions_added for r in again) == 0
    assert sum(r.interactions_already_stored for r in again) == 11
    assert counts(store) == before


def test_fields_mapped_and_redacted(store):
    import_transcripts(store, [T / f for f in GOOD], actor="t")
    t1 = show_interaction(store, "T-1")
    assert t1["agent"] == "Maya Patel" and t1["handle_time_seconds"] == 420
    assert t1["started_at"].isoformat().startswith("2026-09-01T08:00:00")  # +01:00 → UTC
    assert [t["speaker"] for t in t1["transcript"]] == ["system", "agent", "customer"]
    assert "[EMAIL]" in t1["transcript"][2]["text"] and "@" not in t1["transcript"][2]["text"]
    e1 = show_interaction(store, "E-1")["transcript"]
    assert e1[0]["offset_seconds"] == 0 and e1[1]["offset_seconds"] == 310
    assert "[CARD]" in e1[0]["text"] and "#A-10293" in e1[0]["text"]
    v1 = show_interaction(store, "V-1")["transcript"]
    assert v1[1]["speaker"] == "customer" and "[IBAN]" in v1[1]["text"]
    assert show_interaction(store, "V-2")["transcript"][0]["offset_seconds"] == 3
    cl = show_interaction(store, "amazon_connect:4f3b7c2e-8a61-4d2b-9b7e-1c2d3e4f5a6b")
    assert cl["channel"] == "voice" and cl["handle_time_seconds"] == 48
    assert cl["started_at"].isoformat().startswith("2026-09-14T10:15:02")
    assert [t["offset_seconds"] for t in cl["transcript"]] == [0, 3.5, 9.4]
    assert show_interaction(store, "zendesk:J-1")["source"] == "zendesk"
    assert "Café crème" in show_interaction(store, "U-1")["transcript"][0]["text"]
    assert "€5" in show_interaction(store, "W-1")["transcript"][0]["text"]


def test_no_redact_keeps_the_text(store):
    import_transcripts(store, [T / "chat_turns.csv"], actor="t", redact=False)
    t1 = show_interaction(store, "T-1")
    assert "jo.bloggs@example.com" in t1["transcript"][2]["text"] and not t1["redacted"]


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_file_is_one_clear_error_and_stores_nothing(store, name):
    import_transcripts(store, [T / "chat_turns.csv"], actor="t")
    before = counts(store)
    with pytest.raises(InputError) as exc:
        import_transcripts(store, [T / name], actor="t")
    message = str(exc.value)
    assert "\n" not in message and name in message and BAD[name] in message
    assert counts(store) == before


def test_skip_writes_rejects_and_keeps_the_good(store, tmp_path):
    src = tmp_path / "mixed.jsonl"
    good = {"external_id": "G-1", "channel": "chat", "turns": [{"speaker": "agent", "text": "hi"}]}
    bad = {"external_id": "G-2", "channel": "fax", "turns": [{"speaker": "agent", "text": "hi"}]}
    src.write_text(json.dumps(good) + "\n" + json.dumps(bad) + "\n")
    res = import_transcripts(store, [src], actor="t", on_error="skip")[0]
    assert res.interactions_added == 1 and res.rejected == 1
    rejects = (tmp_path / "mixed.jsonl.rejects").read_text().splitlines()
    assert len(rejects) == 1 and "'fax'" in json.loads(rejects[0])["error"]
    csv_src = tmp_path / "turns.csv"
    shutil.copy(T / "bad_speaker.csv", csv_src)
    res = import_transcripts(store, [csv_src], actor="t", on_error="skip")[0]
    assert res.rejected == 1
    lines = (tmp_path / "turns.csv.rejects").read_text().splitlines()
    assert lines[0].endswith(",error") and "robot" in lines[1]


def test_cli_import_and_listing(store, tmp_path):
    runner = CliRunner()
    ok = runner.invoke(cli, ["--db", store.url, "import", "transcripts", str(T / "voice.jsonl"),
                             str(T / "list.json")])
    assert ok.exit_code == 0, ok.output
    listed = runner.invoke(cli, ["--db", store.url, "interaction", "list", "--format", "json"])
    rows = json.loads(listed.output)
    assert {r["external_id"] for r in rows} == {"V-1", "V-2", "J-1", "J-2"}
    assert set(rows[0]) >= {"id", "source", "external_id", "channel", "agent", "turns"}
    bad = runner.invoke(cli, ["--db", store.url, "import", "transcripts",
                              str(T / "bad_speaker.csv")])
    assert bad.exit_code != 0
    assert "Traceback" not in bad.output and "bad_speaker.csv: row 2" in bad.output
