"""Hostile input: random bytes, random JSON and CSV, random rubric documents. Every case ends in
a clear one-line error or a clean import — never another exception, never a partial write."""

from __future__ import annotations

import json

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import func, select

from qa_calibrate import models as m
from qa_calibrate.errors import InputError
from qa_calibrate.importers import import_transcripts
from qa_calibrate.rubric import parse_rubric

FUZZ = settings(max_examples=60, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])

texts = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40)
scalars = st.one_of(st.none(), st.booleans(), st.integers(-10, 10 ** 6),
                    st.floats(allow_nan=True, allow_infinity=True), texts)
json_values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(texts, inner, max_size=4)), max_leaves=12)
turn = st.fixed_dictionaries({"speaker": st.one_of(st.sampled_from(["agent", "customer"]), texts),
                              "text": st.one_of(texts, scalars)},
                             optional={"offset_seconds": scalars, "seq": scalars})
interaction = st.fixed_dictionaries(
    {"external_id": st.one_of(texts, scalars), "channel": st.one_of(
        st.sampled_from(["chat", "voice", "email"]), texts),
     "turns": st.one_of(st.lists(turn, max_size=3), scalars)},
    optional={"started_at": st.one_of(texts, st.sampled_from(
        ["2026-01-01T00:00:00Z", "2099-01-01", "not a date"])),
              "handle_time_seconds": scalars, "csat": scalars, "agent": scalars})


def _counts(store):
    with store.session() as s:
        return (s.exec(select(func.count()).select_from(m.Interaction)).one(),
                s.exec(select(func.count()).select_from(m.Turn)).one())


def _try(store, path):
    before = _counts(store)
    try:
        import_transcripts(store, [path], actor="fuzz", redact=True)
    except InputError as exc:
        assert "\n" not in str(exc) and path.name in str(exc)
        assert _counts(store) == before  # nothing half-written


@pytest.fixture
def fuzz_store(sqlite_store, tmp_path):
    return sqlite_store, tmp_path


@FUZZ
@given(st.binary(max_size=300))
def test_random_bytes(fuzz_store, data):
    store, tmp = fuzz_store
    path = tmp / "fuzz.csv"
    path.write_bytes(data)
    _try(store, path)


@FUZZ
@given(json_values)
def test_random_json(fuzz_store, value):
    store, tmp = fuzz_store
    path = tmp / "fuzz.json"
    path.write_text(json.dumps(value), encoding="utf-8")
    _try(store, path)


@FUZZ
@given(st.lists(interaction, min_size=1, max_size=4))
def test_interaction_shaped_json_lines(fuzz_store, items):
    store, tmp = fuzz_store
    path = tmp / "fuzz.jsonl"
    path.write_text("\n".join(json.dumps(i, default=str) for i in items), encoding="utf-8")
    _try(store, path)


@FUZZ
@given(st.lists(st.lists(texts, min_size=1, max_size=5), max_size=5),
       st.sampled_from([",", ";", "\t", "|"]))
def test_random_csv(fuzz_store, rows, delimiter):
    store, tmp = fuzz_store
    header = delimiter.join(["external_id", "channel", "speaker", "text"])
    body = "\n".join(delimiter.join(r) for r in rows)
    path = tmp / "fuzz.csv"
    path.write_text(header + "\n" + body, encoding="utf-8")
    _try(store, path)


def test_ten_megabyte_field_is_a_clear_error(fuzz_store):
    store, tmp = fuzz_store
    path = tmp / "huge.csv"
    path.write_text("external_id,channel,speaker,text\nH-1,chat,agent," + "x" * 10_000_000 + "\n")
    with pytest.raises(InputError, match="huge.csv"):
        import_transcripts(store, [path], actor="fuzz")
    assert _counts(store) == (0, 0)


criterion = st.fixed_dictionaries(
    {"key": st.one_of(st.sampled_from(["greeting", "empathy", "bad key"]), texts),
     "question": st.one_of(texts, scalars),
     "scale": st.one_of(st.sampled_from(["binary", "ordinal", "points", "stars"]), scalars)},
    optional={"weight": scalars, "critical": scalars, "labels": st.one_of(
        st.lists(texts, max_size=6), scalars), "max_points": scalars, "pass_at": scalars,
              "na_allowed": scalars, "guidance": st.one_of(
        st.dictionaries(st.one_of(texts, st.integers(0, 6)), texts, max_size=3), scalars),
              "root_causes": st.one_of(st.lists(texts, max_size=3), scalars)})


@settings(max_examples=150, deadline=None)
@given(st.one_of(
    json_values,
    st.fixed_dictionaries({"name": st.one_of(st.just("fuzz"), texts), "sections": st.lists(
        st.fixed_dictionaries({"name": texts, "criteria": st.lists(criterion, max_size=4)}),
        max_size=3)}),
))
def test_rubric_loader_never_crashes(doc):
    text = yaml.safe_dump(doc, allow_unicode=True)
    try:
        parsed = parse_rubric(text, "fuzz.yaml")
    except InputError as exc:
        assert "\n" not in str(exc) and str(exc).startswith("fuzz.yaml")
    else:
        assert parsed.criteria and parsed.content_hash


@settings(max_examples=80, deadline=None)
@given(st.text(max_size=200))
def test_rubric_loader_on_random_text(text):
    try:
        parse_rubric(text, "fuzz.yaml")
    except InputError as exc:
        assert "\n" not in str(exc)
