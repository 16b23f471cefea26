"""A corpus of hostile input files for the four importers (transcripts, evaluations, people,
rubrics), written into a folder by :func:`write_corpus` so no binary file is committed.

Every file must be refused by its importer with one stderr line naming the file and where in it
(row, line, item or field), with nothing stored. Each file that can carries a good record before
the bad one, so a partial write would show. ``python tests/hostile.py DIR`` writes the corpus to
DIR to look at."""

from __future__ import annotations

import csv
import io
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MB10 = 10 * 1024 * 1024


@dataclass(frozen=True)
class Case:
    kind: str  # transcripts | evaluations | people | rubric
    path: Path
    why: str


def _turns(*texts: str) -> list[dict[str, Any]]:
    return [{"speaker": "agent" if n % 2 == 0 else "customer", "text": t, "offset_seconds": n}
            for n, t in enumerate(texts)]


def good_interaction(ext: str = "H-1") -> dict[str, Any]:
    return {"external_id": ext, "channel": "chat", "agent": "Agent 1", "team": "Billing",
            "started_at": "2026-09-01T10:00:00Z", "turns": _turns("Hi", "Hello")}


def contact_lens(ext: str = "CL-1", **changes: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "Version": "1.1.0", "Channel": "VOICE", "LanguageCode": "en-GB",
        "CustomerMetadata": {"ContactId": ext},
        "Participants": [{"ParticipantId": "A", "ParticipantRole": "AGENT"},
                         {"ParticipantId": "C", "ParticipantRole": "CUSTOMER"}],
        "ConversationCharacteristics": {"TotalConversationDurationMillis": 60000},
        "Transcript": [{"ParticipantId": "A", "Content": "Hello", "BeginOffsetMillis": 100,
                        "EndOffsetMillis": 900, "AbsoluteTime": "2026-09-01T10:00:00.100Z"}],
    }
    for key, value in changes.items():
        if key.startswith("T_"):
            doc["Transcript"][0][key[2:]] = value
        elif key == "duration":
            doc["ConversationCharacteristics"]["TotalConversationDurationMillis"] = value
        else:
            doc[key] = value
    return doc


def _csv(rows: list[list[Any]], delimiter: str = ",") -> str:
    buf = io.StringIO()
    csv.writer(buf, delimiter=delimiter, lineterminator="\n").writerows(rows)
    return buf.getvalue()


TURN_HEADER = ["external_id", "channel", "agent", "started_at", "speaker", "text",
               "offset_seconds"]
GOOD_TURNS = [["T-1", "chat", "Agent 1", "2026-09-01T10:00:00Z", "agent", "Hi", "0"],
              ["T-1", "chat", "Agent 1", "2026-09-01T10:00:00Z", "customer", "Hello", "2"]]
EVAL_HEADER = ["interaction", "source", "evaluator", "rubric", "criterion", "value", "comment",
               "root_cause", "scored_at", "session"]
GOOD_EVAL = ["C-000", "crm", "Ann", "mini", "greeting", "yes", "", "", "2026-09-02T10:00:00Z", ""]
GOOD_RUBRIC = """name: hostile
title: Hostile test
channel: chat
sections:
  - name: Opening
    criteria:
      - key: greeting
        question: Greeted the customer?
        scale: binary
        weight: 1
"""


def _transcripts(out: Path) -> list[Case]:
    cases: list[Case] = []

    def add(name: str, content: str | bytes, why: str) -> None:
        path = out / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8", errors="surrogatepass")
        cases.append(Case("transcripts", path, why))

    def json_with(name: str, bad: Any, why: str) -> None:
        add(name, json.dumps([good_interaction(), bad], ensure_ascii=False), why)

    def jsonl_with(name: str, bad_line: str, why: str) -> None:
        add(name, json.dumps(good_interaction()) + "\n" + bad_line + "\n", why)

    # deep nesting
    add("deep_list.json", "[" * 100_000 + "]" * 100_000, "JSON nested 100,000 deep")
    add("deep_object.json", '{"a":' * 50_000 + "1" + "}" * 50_000, "object nested 50,000 deep")
    jsonl_with("deep_line.jsonl", '{"x":' * 20_000 + "1" + "}" * 20_000, "a JSONL line 20,000 deep")
    deep: Any = "x"
    for _ in range(60):
        deep = {"d": deep}
    json_with("deep_agent.json", {**good_interaction("H-2"), "agent": deep}, "agent nested")
    json_with("deep_text.json", {**good_interaction("H-2"), "turns": [
        {"speaker": "agent", "text": deep}]}, "turn text nested")
    # numbers
    big = "9" * 5000
    add("bigint_handle.json", json.dumps([good_interaction()])[:-1]
        + ', {"external_id": "H-2", "channel": "chat", "handle_time_seconds": ' + big
        + ', "turns": [{"speaker": "agent", "text": "x"}]}]', "5,000-digit integer")
    jsonl_with("bigint_line.jsonl", '{"external_id": "H-2", "channel": "chat", "csat": ' + big
               + ', "turns": [{"speaker": "agent", "text": "x"}]}', "5,000-digit csat")
    big4k = int("9" * 4000)
    json_with("int4000_csat.json", {**good_interaction("H-2"), "csat": big4k}, "4,000 digits")
    json_with("int4000_handle.json", {**good_interaction("H-2"),
                                      "handle_time_seconds": big4k}, "4,000-digit handle")
    json_with("int4000_offset.json", {**good_interaction("H-2"), "turns": [
        {"speaker": "agent", "text": "x", "offset_seconds": big4k}]}, "4,000-digit offset")
    json_with("int4000_seq.json", {**good_interaction("H-2"), "turns": [
        {"speaker": "agent", "text": "x", "seq": big4k}]}, "4,000-digit seq")
    for n, value in enumerate([1e20, 1e300, 10 ** 13, -1, 8 * 24 * 3600]):
        json_with(f"offset_{n}.json", {**good_interaction("H-2"), "turns": [
            {"speaker": "agent", "text": "x", "offset_seconds": value}]}, f"offset {value}")
    add("offset_1e400.json", json.dumps([good_interaction()])[:-1]
        + ', {"external_id": "H-2", "channel": "chat", "turns": [{"speaker": "agent", '
          '"text": "x", "offset_seconds": 1e400}]}]', "offset 1e400 (infinity)")
    json_with("seq_1e300.json", {**good_interaction("H-2"), "turns": [
        {"speaker": "agent", "text": "x", "seq": 1e300}]}, "seq 1e300")
    json_with("csat_nan.json", {**good_interaction("H-2"), "csat": float("nan")}, "NaN csat")
    json_with("handle_neg.json", {**good_interaction("H-2"), "handle_time_seconds": -5},
              "negative handle time")
    for n, value in enumerate([1e20, big4k, -100]):
        add(f"cl_offset_{n}.json", json.dumps([contact_lens("CL-0"), contact_lens(
            "CL-1", T_BeginOffsetMillis=value)]), "Contact Lens offset")
    for n, value in enumerate([1e20, big4k]):
        add(f"cl_duration_{n}.json", json.dumps([contact_lens("CL-0"), contact_lens(
            "CL-1", duration=value)]), "Contact Lens duration")
    add("cl_time_underflow.json", json.dumps([contact_lens("CL-0"), contact_lens(
        "CL-1", T_AbsoluteTime="0001-01-01T00:00:00+05:00")]), "Contact Lens time underflow")
    # surrogates and encodings
    surrogate = json.dumps([good_interaction()])[:-1] + \
        ', {"external_id": "H-2", "channel": "chat", "turns": [{"speaker": "agent", ' \
        '"text": "bad \\ud800 here"}]}]'
    add("surrogate_text.json", surrogate, "lone surrogate in text")
    add("surrogate_agent.json", surrogate.replace('"channel": "chat", "turns"',
                                                  '"channel": "chat", "agent": "\\udfff", '
                                                  '"turns"'), "lone surrogate in agent")
    add("surrogate_key.json", surrogate.replace('"bad \\ud800 here"', '"ok", "\\udc00": 1'),
        "lone surrogate in a key")
    jsonl_with("surrogate.jsonl", '{"external_id": "\\ud83d", "channel": "chat", "turns": '
               '[{"speaker": "agent", "text": "x"}]}', "half a surrogate pair as the id")
    add("utf16_nobom.json", json.dumps([good_interaction()]).encode("utf-16-le"),
        "UTF-16 without BOM")
    add("utf16_bom.csv", _csv([TURN_HEADER, *GOOD_TURNS]).encode("utf-16"), "UTF-16 with BOM")
    add("bad_bytes.csv", _csv([TURN_HEADER, *GOOD_TURNS]).encode() + b"T-2,chat,\x81\x8d,,"
        b"agent,x\x90,0\n", "bytes neither UTF-8 nor cp1252")
    add("bad_bytes.json", json.dumps([good_interaction()]).encode()[:-1] + b', {"x": "\x81"}]',
        "bytes neither UTF-8 nor cp1252 (JSON)")
    add("nul.csv", _csv([TURN_HEADER, *GOOD_TURNS]) + "T-2,chat,A\x00,,agent,x,0\n", "NUL byte")
    add("empty.csv", "", "empty file")
    add("blank.json", "\n\n  \n", "blank file")
    # dates
    for n, when in enumerate(["0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00",
                              "1899-12-31T00:00:00Z", "0000-01-01", "2026-13-01",
                              "2099-01-01T00:00:00Z", "9" * 3000]):
        json_with(f"date_{n}.json", {**good_interaction("H-2"), "started_at": when},
                  f"started_at {when[:30]}")
        rows = [TURN_HEADER, *GOOD_TURNS,
                ["T-2", "chat", "A", when, "agent", "x", "0"]]
        add(f"date_{n}.csv", _csv(rows), f"CSV started_at {when[:30]}")
    json_with("stamp_underflow.json", {**good_interaction("H-2"), "turns": [
        {"speaker": "agent", "text": "x", "timestamp": "0001-01-01T00:00:00+01:00"}]},
        "turn timestamp underflow")
    json_with("stamp_far.json", {**good_interaction("H-2"), "turns": [
        {"speaker": "agent", "text": "x", "timestamp": "2026-09-20T10:00:00Z"}]},
        "turn timestamp weeks after the start")
    # CSV structure
    add("short_row.csv", _csv([TURN_HEADER, *GOOD_TURNS, ["T-2", "chat", "A"]]), "short row")
    add("long_row.csv", _csv([TURN_HEADER, *GOOD_TURNS, ["T-2", "chat", "A", "", "agent", "x",
                                                           "0", "extra", "more"]]), "long row")
    add("huge_text.csv", _csv([TURN_HEADER, *GOOD_TURNS,
                               ["T-2", "chat", "A", "", "agent", "x" * MB10, "0"]]),
        "10 MB text field")
    add("huge_id.csv", _csv([TURN_HEADER, *GOOD_TURNS,
                             ["y" * MB10, "chat", "A", "", "agent", "x", "0"]]),
        "10 MB external_id")
    add("huge_cell.csv", _csv([TURN_HEADER, *GOOD_TURNS])
        + 'T-2,chat,A,,agent,"' + "z" * 25_000_000 + '",0\n', "25 MB cell, over the CSV limit")
    good_csv = _csv([TURN_HEADER, *GOOD_TURNS])
    add("unterminated_last.csv", good_csv.replace('Hello,2', '"Hello,2')
        + "T-2,chat,A,,agent,Bye,5\nT-3,chat,A,,agent,Bye,6\n", "quote open to end of file")
    add("unterminated_agent.csv", good_csv.replace(",Agent 1,2026", ',"Agent 1,2026', 1)
        + 'T-2,chat,"A",,agent,Bye,5\n', "quote in agent ran into the next row")
    add("swallowed_row.csv",
        good_csv + 'T-2,chat,A,,agent,"Hi\nT-3,chat,A,,agent,Bye",5\n',
        "text swallowed a whole row")
    inter_header = ["external_id", "channel", "agent", "transcript"]
    add("inter_swallowed.csv", _csv([inter_header, ["I-1", "chat", "A", "Agent: Hi"]])
        + 'I-2,chat,A,"Agent: Hi\nI-3,chat,A,Customer: Bye"\n', "transcript swallowed a row")
    add("inter_bad_line.csv", _csv([inter_header, ["I-1", "chat", "A", "Agent: Hi"],
                                    ["I-2", "chat", "A", "[00:10] Robot: beep"]]),
        "unknown speaker with a time")
    add("inter_no_speaker.csv", _csv([inter_header, ["I-1", "chat", "A", "Agent: Hi"],
                                      ["I-2", "chat", "A", "just words"]]), "no speaker")
    add("no_columns.csv", "a,b,c\n1,2,3\n", "no transcript columns")
    add("dup_column.csv", _csv([[*TURN_HEADER, "agent"], [*GOOD_TURNS[0], "B"]]),
        "a column twice")
    add("no_channel.csv", _csv([["external_id", "speaker", "text"], ["X", "agent", "hi"]]),
        "no channel column")
    add("csv_conflict.csv", _csv([TURN_HEADER, *GOOD_TURNS,
                                  ["T-1", "chat", "Agent 2", "", "agent", "x", "9"]]),
        "a later row says another agent")
    # canonical fields
    for n, bad in enumerate([
        {"channel": "chat", "turns": _turns("x")},  # no id
        {"external_id": "H-2", "channel": "fax", "turns": _turns("x")},
        {"external_id": "H-2", "channel": "chat", "turns": "not a list"},
        {"external_id": "H-2", "channel": "chat", "turns": []},
        {"external_id": "H-2", "channel": "chat", "turns": [{"speaker": "robot", "text": "x"}]},
        {"external_id": "H-2", "channel": "chat", "turns": [{"speaker": "agent", "text": ""}]},
        {"external_id": "H-2", "channel": "chat", "turns": [{"speaker": "agent", "text": [1]}]},
        {"external_id": "H-2", "channel": "chat", "turns": [{"speaker": {"a": 1}, "text": "x"}]},
        {"external_id": "H-2", "channel": "chat", "turns": ["x"]},
        {"external_id": ["H"], "channel": "chat", "turns": _turns("x")},
        {"external_id": "H-2", "channel": "chat", "agent": "a" * 2000, "turns": _turns("x")},
        {"external_id": "H-2", "channel": "chat", "turns": [
            {"speaker": "agent", "text": "x", "seq": 1}, {"speaker": "agent", "text": "y",
                                                          "seq": 1}]},
        {"external_id": "H-2", "channel": "chat", "turns": [
            {"speaker": "agent", "text": "x" * 100_001}]},
        {"external_id": "H-2", "channel": "chat", "turns": [
            {"speaker": "agent", "text": "x", "timestamp": "2026-09-01T10:00:00Z"}]},
        {"external_id": "H-2", "channel": "chat", "csat": 101, "turns": _turns("x")},
        {"external_id": "H-2", "channel": "chat", "csat": "lots", "turns": _turns("x")},
        {"external_id": "H-2", "channel": "chat", "handle_time_seconds": 1.5,
         "turns": _turns("x")},
        {**good_interaction("H-1"), "agent": "Someone else"},  # same id, other content
        "a string, not an object",
    ]):
        json_with(f"field_{n}.json", bad, f"canonical field case {n}")
    jsonl_with("bad_line.jsonl", "{not json", "a JSONL line that is not JSON")
    jsonl_with("array_line.jsonl", "[1, 2]", "a JSONL line that is no object")
    add("truncated.json", json.dumps([good_interaction()])[:-5], "truncated JSON")
    add("interactions_not_list.json", '{"interactions": {"a": 1}}', "interactions not a list")
    return cases


def _evaluations(out: Path) -> list[Case]:
    cases: list[Case] = []

    def add(name: str, content: str | bytes, why: str) -> None:
        path = out / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        cases.append(Case("evaluations", path, why))

    def with_row(name: str, changes: dict[str, str], why: str) -> None:
        bad = list(GOOD_EVAL)
        for key, value in changes.items():
            bad[EVAL_HEADER.index(key)] = value
        add(name, _csv([EVAL_HEADER, GOOD_EVAL, bad]), why)

    with_row("root_unknown.csv", {"criterion": "empathy", "value": "2",
                                  "root_cause": "gremlins"}, "root cause not in the rubric")
    with_row("root_none.csv", {"criterion": "accuracy", "value": "2",
                               "root_cause": "rushed"}, "root cause on a criterion with none")
    for n, when in enumerate(["0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00",
                              "1899-01-01", "2099-01-01", "yesterday", "9" * 3000]):
        with_row(f"scored_at_{n}.csv", {"scored_at": when}, f"scored_at {when[:30]}")
    for n, value in enumerate(["9" * 5000, "1e400", "-1e400", "nan", "maybe", "7", "x" * 300,
                               "2.5"]):
        with_row(f"value_{n}.csv", {"criterion": "empathy", "value": value}, "bad value")
    with_row("na_not_allowed.csv", {"criterion": "greeting", "value": "n/a"}, "N/A refused")
    with_row("criterion_unknown.csv", {"criterion": "teleport"}, "unknown criterion")
    with_row("evaluator_unknown.csv", {"evaluator": "Nobody [b]"}, "unknown evaluator")
    with_row("rubric_unknown.csv", {"rubric": "nope@9"}, "unknown rubric")
    with_row("interaction_unknown.csv", {"interaction": "ZZZ-404"}, "unknown interaction")
    with_row("session_unknown.csv", {"session": "no such session"}, "unknown session")
    with_row("twice.csv", {}, "the same criterion answered twice")
    add("short_row.csv", _csv([EVAL_HEADER, GOOD_EVAL, GOOD_EVAL[:4]]), "short row")
    add("long_row.csv", _csv([EVAL_HEADER, GOOD_EVAL, [*GOOD_EVAL, "x", "y"]]), "long row")
    add("missing_column.csv", _csv([EVAL_HEADER[:4], GOOD_EVAL[:4]]), "missing column")
    add("huge_comment.csv", _csv([EVAL_HEADER, GOOD_EVAL, [*GOOD_EVAL[:6], "c" * MB10,
                                                           *GOOD_EVAL[7:]]]),
        "10 MB comment")
    add("big_comment.csv", _csv([EVAL_HEADER, GOOD_EVAL, [*GOOD_EVAL[:6], "c" * 50_000,
                                                          *GOOD_EVAL[7:]]]),
        "50,000-character comment")
    good = _csv([EVAL_HEADER, GOOD_EVAL])
    second = ",".join(["C-001", "crm", "Ann", "mini", "greeting", "no", "", "",
                       "2026-09-02T10:00:00Z", ""])
    add("unterminated_value.csv", good.replace(",yes,", ',"yes,', 1) + second + "\n",
        "quote in value ran into the next row")
    add("swallowed_row.csv", good + ",".join(GOOD_EVAL[:6]).replace("greeting", "empathy")
        .replace(",yes", ",3") + ',"fine\n' + second + '",,2026-09-02T10:00:00Z,\n',
        "comment swallowed a whole row")
    add("open_to_eof.csv", good + ",".join(GOOD_EVAL[:6]) + ',"open\n' + second + "\n"
        + second + "\n", "quote open to end of file")
    add("nul.csv", good + "C-001,crm,Ann\x00,mini,greeting,yes,,,,\n", "NUL byte")
    add("utf16.csv", good.encode("utf-16"), "UTF-16 with BOM")
    add("utf16_nobom.csv", good.encode("utf-16-le"), "UTF-16 without BOM")
    add("bad_bytes.csv", good.encode() + b"C-001,crm,Ann,mini,greeting,\x81\x8d,,,,\n",
        "bytes neither UTF-8 nor cp1252")
    add("empty.csv", "", "empty file")
    add("header_only_wrong.csv", "a;b;c\n", "no known columns")
    add("broken.xlsx", b"PK\x03\x04 not really a workbook", "a broken workbook")
    return cases


def _people(out: Path) -> list[Case]:
    cases: list[Case] = []

    def add(name: str, content: str | bytes, why: str) -> None:
        path = out / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        cases.append(Case("people", path, why))

    header = ["name", "role", "site"]
    good = ["Pat Person", "evaluator", "Leeds"]

    def with_row(name: str, row: list[str], why: str) -> None:
        add(name, _csv([header, good, row]), why)

    with_row("role_unknown.csv", ["Ray", "god", ""], "unknown role")
    with_row("role_markup.csv", ["Ray", "[b]lead[/b]", ""], "role with markup")
    with_row("name_empty.csv", ["  ", "evaluator", ""], "empty name")
    with_row("name_long.csv", ["n" * 300, "evaluator", ""], "300-character name")
    with_row("site_long.csv", ["Ray", "evaluator", "s" * 300], "300-character site")
    with_row("name_10mb.csv", ["n" * MB10, "evaluator", ""], "10 MB name")
    with_row("short_row.csv", ["Ray"], "short row")
    with_row("long_row.csv", ["Ray", "evaluator", "Leeds", "extra"], "long row")
    base = _csv([header, good])
    add("unterminated.csv", base + '"Ray,evaluator,Leeds\nSue,evaluator,Leeds\n',
        "quote open to end of file")
    add("swallowed.csv", base + 'Ray,evaluator,"Leeds\nSue,evaluator,York"\n',
        "site swallowed the next row")
    add("name_newline.csv", base + '"Ray\nRay",evaluator,Leeds\n', "line break in a name")
    add("nul.csv", base + "Ray\x00,evaluator,\n", "NUL byte")
    add("utf16.csv", base.encode("utf-16"), "UTF-16 with BOM")
    add("utf16_nobom.csv", base.encode("utf-16-le"), "UTF-16 without BOM")
    add("bad_bytes.csv", base.encode() + b"R\x81\x8d,evaluator,\n", "undecodable bytes")
    add("no_name.csv", "who,role\nRay,evaluator\n", "no name column")
    add("empty.csv", "", "empty file")
    add("huge_cell.csv", base + '"' + "x" * 200_000 + '",evaluator,\n',
        "a cell over the CSV field limit")
    for n, role in enumerate(["root", "admin", "LEAD!", "evaluator\x1b[31m", "tr ainer"]):
        with_row(f"role_{n}.csv", ["Ray", role, ""], f"role {role!r}")
    return cases


def _rubrics(out: Path) -> list[Case]:
    cases: list[Case] = []

    def add(name: str, content: str | bytes, why: str) -> None:
        path = out / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        cases.append(Case("rubric", path, why))

    laughs = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for n, letter in enumerate("bcdefghi"):
        prev = "abcdefghi"[n]
        laughs.append(f"{letter}: &{letter} [" + ",".join([f"*{prev}"] * 9) + "]")
    add("billion_laughs.yaml", "\n".join(laughs) + "\n", "nested aliases (billion laughs)")
    add("laughs_in_rubric.yaml", "x: &x [1, 2]\n" + GOOD_RUBRIC + "extra: *x\n",
        "an alias inside a rubric")
    add("anchor_only.yaml", GOOD_RUBRIC.replace("title: Hostile test", "title: &t Hostile"),
        "an anchor")
    add("merge_key.yaml", "base: &b {scale: binary}\n" + GOOD_RUBRIC.replace(
        "        scale: binary\n", "        <<: *b\n"), "a merge key")
    for n, tag in enumerate(["!!python/object/apply:os.system ['echo hi']", "!!str 5",
                             "!custom thing", "!!binary aGVsbG8=", "!!set {a, b}",
                             "!!python/name:os.system", "!<tag:yaml.org,2002:str> x",
                             "! plain"]):
        add(f"tag_{n}.yaml", GOOD_RUBRIC.replace("title: Hostile test", f"title: {tag}"),
            f"a tag {tag[:20]}")
    add("tag_mapping.yaml", "!!map\n" + GOOD_RUBRIC, "a tag on the root")
    add("deep_flow.yaml", "x: " + "[" * 10_000 + "]" * 10_000 + "\n", "flow nested 10,000 deep")
    add("deep_block.yaml", "".join("  " * n + f"k{n}:\n" for n in range(200)) + "  " * 200
        + "v: 1\n", "block nested 200 deep")
    add("deep_40.yaml", "x: " + "[" * 40 + "]" * 40 + "\n" + GOOD_RUBRIC,
        "nested 40 deep (over the bound)")
    add("bigint_weight.yaml", GOOD_RUBRIC.replace("weight: 1", "weight: " + "9" * 5000),
        "5,000-digit weight")
    add("int400_weight.yaml", GOOD_RUBRIC.replace("weight: 1", "weight: " + "9" * 400),
        "400-digit weight")
    add("inf_weight.yaml", GOOD_RUBRIC.replace("weight: 1", "weight: .inf"), "infinite weight")
    add("neg_weight.yaml", GOOD_RUBRIC.replace("weight: 1", "weight: -2"), "negative weight")
    add("surrogate.yaml", GOOD_RUBRIC.replace("title: Hostile test", 'title: "bad \\ud800"'),
        "lone surrogate")
    add("surrogate_key.yaml", GOOD_RUBRIC + '"\\udc00": 1\n', "lone surrogate in a key")
    add("duplicate_key.yaml", GOOD_RUBRIC.replace("title: Hostile test",
                                                  "title: A\ntitle: B"), "a key twice")
    add("syntax.yaml", "name: [unclosed\n", "not YAML")
    add("tab_indent.yaml", "name: x\n\tsections: []\n", "a tab as indentation")
    add("control_char.yaml", GOOD_RUBRIC.replace("Hostile test", "Hostile\x1b[31m test"),
        "an ESC character in the stream")
    add("nul.yaml", GOOD_RUBRIC + "\x00\n", "NUL byte")
    add("not_utf8.yaml", GOOD_RUBRIC.encode() + b"x: \xff\xfe\n", "not UTF-8")
    add("huge.yaml", GOOD_RUBRIC + "description: |\n" + ("  " + "w" * 1000 + "\n") * 3000,
        "a 3 MB rubric")
    add("list_root.yaml", "- 1\n- 2\n", "a list, not a rubric")
    add("empty.yaml", "", "empty")
    add("unknown_field.yaml", GOOD_RUBRIC + "colour: blue\n", "unknown field")
    add("bad_scale.yaml", GOOD_RUBRIC.replace("scale: binary", "scale: vibes"), "bad scale")
    add("dup_criterion.yaml", GOOD_RUBRIC + GOOD_RUBRIC.split("    criteria:\n")[1],
        "a criterion key twice")
    add("root_causes_bad.yaml", GOOD_RUBRIC + "        root_causes: rushed\n",
        "root causes not a list")
    add("no_sections.yaml", "name: x\ntitle: y\n", "no sections")
    add("modules_alias.yaml", "m: &m {id: M1, title: T}\nmodules:\n  - *m\n",
        "an alias in a module catalogue")
    add("modules_tag.yaml", "modules:\n  - !!python/object:os.system {id: M1}\n",
        "a tag in a module catalogue")
    add("modules_bigint.yaml", "modules:\n  - {id: M1, title: T, duration_minutes: "
        + "9" * 5000 + "}\n", "a 5,000-digit duration")
    return cases


def write_corpus(out: Path) -> list[Case]:
    """Write every hostile file under ``out`` (one folder per importer); the cases."""
    cases: list[Case] = []
    for kind, make in (("transcripts", _transcripts), ("evaluations", _evaluations),
                       ("people", _people), ("rubric", _rubrics)):
        folder = out / kind
        folder.mkdir(parents=True, exist_ok=True)
        cases += make(folder)
    return cases


if __name__ == "__main__":
    written = write_corpus(Path(sys.argv[1]))
    print(f"{len(written)} files under {sys.argv[1]}")
