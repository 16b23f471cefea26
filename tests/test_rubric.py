"""Rubric files → validated definitions → store rows; versions; broken files; ``rubric`` CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from conftest import DATA, ROOT
from sqlmodel import select

from qa_calibrate import models as m
from qa_calibrate.cli.main import cli
from qa_calibrate.errors import InputError, NotFound
from qa_calibrate.rubric import (
    _get_rubric,
    _rubric_criteria,
    list_modules,
    list_rubrics,
    load_modules_file,
    load_rubric_file,
    load_rubric_paths,
    parse_rubric,
    read_paths,
)
from qa_calibrate.store import Store

RUBRICS = ROOT / "rubrics"
BROKEN = DATA / "rubrics"
SHIPPED = ["chat_support", "voice_support", "email_support"]
SHARED_KEYS = {"greeting", "verify_identity", "empathy", "accuracy", "policy_compliance",
               "resolution", "ownership", "case_notes", "tone", "data_protection", "closing",
               "disposition"}


def snapshot(store: Store) -> dict[str, list[tuple]]:
    """Every row of the tables a rubric load may touch, to prove a failed load wrote nothing."""
    out = {}
    with store.session() as s:
        for table in (m.Rubric, m.Criterion, m.Module, m.AuditLog):
            rows = s.exec(select(table)).all()
            out[table.__name__] = sorted(tuple(sorted(r.model_dump().items(), key=str))
                                         for r in rows)
    return out


def minimal(body: str) -> str:
    """A one-criterion rubric around ``body`` (the criterion's extra YAML lines)."""
    return ("name: t\ntitle: T\nsections:\n  - name: S\n    criteria:\n"
            "      - key: c\n        question: Q?\n" + body)


# --- the shipped rubrics -------------------------------------------------------------------

@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_rubric_is_a_realistic_scorecard(name: str) -> None:
    r = load_rubric_file(RUBRICS / f"{name}.yaml")
    modules = {mod.id for mod in load_modules_file(RUBRICS / "modules.yaml")}
    assert r.name == name and r.channel == name.split("_")[0]
    assert 10 <= len(r.criteria) <= 20
    assert sum(c.critical for c in r.criteria) >= 2
    assert {"verify_identity", "data_protection"} <= {c.key for c in r.criteria if c.critical}
    assert {c.scale for c in r.criteria} == {"binary", "ordinal", "points"}
    assert len({c.weight for c in r.criteria}) > 1
    assert any(c.na_allowed for c in r.criteria)
    assert SHARED_KEYS <= {c.key for c in r.criteria}
    assert [c.position for c in r.criteria] == list(range(len(r.criteria)))
    for c in r.criteria:
        assert c.refresher_module in modules, c.key
        if c.scale == "binary":
            assert {"yes", "no"} <= set(c.guidance), c.key
        if c.scale == "ordinal":
            assert {"1", "3", "5"} <= set(c.guidance), c.key
        if c.na_allowed:
            assert "n/a" in c.guidance, c.key


def test_module_catalogue_matches_the_rubrics() -> None:
    modules = load_modules_file(RUBRICS / "modules.yaml")
    used = {c.refresher_module for n in SHIPPED
            for c in load_rubric_file(RUBRICS / f"{n}.yaml").criteria}
    assert {mod.id for mod in modules} == used
    assert 8 <= len(modules) <= 15
    assert 2 <= len({mod.owner for mod in modules}) <= 3
    assert all(mod.title and mod.duration_minutes for mod in modules)


def test_shared_keys_mean_the_same_across_channels() -> None:
    defs = {n: {c.key: c for c in load_rubric_file(RUBRICS / f"{n}.yaml").criteria}
            for n in SHIPPED}
    for key in SHARED_KEYS:
        # the refresher may differ (voice tone is trained with call control, not writing)
        variants = {(d[key].scale, d[key].max_value, d[key].critical) for d in defs.values()}
        assert len(variants) == 1, key


# --- parsing -------------------------------------------------------------------------------

def test_scale_mapping_and_defaults() -> None:
    r = parse_rubric("""
name: scales
title: Scales
channel: voice
sections:
  - name: All
    criteria:
      - {key: yes_no, question: Q1, scale: binary, guidance: {yes: good, no: bad}}
      - {key: five, question: Q2, scale: ordinal, labels: [a, b, c, d, e], weight: 2.5}
      - {key: four, question: Q3, scale: ordinal, labels: [a, b, c, d]}
      - {key: pts, question: Q4, scale: points, max_points: 10, na_allowed: true}
      - {key: pts2, question: Q5, scale: points, max_points: 8, pass_at: 7, critical: true}
""", "inline.yaml")
    c = {x.key: x for x in r.criteria}
    assert (c["yes_no"].min_value, c["yes_no"].max_value, c["yes_no"].pass_at) == (0, 1, 1)
    assert c["yes_no"].guidance == {"yes": "good", "no": "bad"}  # YAML booleans → yes/no
    assert (c["five"].min_value, c["five"].max_value, c["five"].pass_at) == (1, 5, 3)
    assert c["five"].labels == {1: "a", 2: "b", 3: "c", 4: "d", 5: "e"}
    assert c["five"].weight == 2.5 and c["yes_no"].weight == 1
    assert c["four"].pass_at == 3  # floor(4/2) + 1
    assert (c["pts"].min_value, c["pts"].max_value, c["pts"].pass_at) == (0, 10, 5)
    assert c["pts"].na_allowed and not c["pts"].critical
    assert c["pts2"].pass_at == 7 and c["pts2"].critical
    assert [x.section for x in r.criteria] == ["All"] * 5
    assert len(r.content_hash) == 64 and r.source_path == "inline.yaml"


def test_formatting_and_comments_do_not_change_the_hash() -> None:
    text = (RUBRICS / "chat_support.yaml").read_text(encoding="utf-8")
    original = parse_rubric(text, "a.yaml")
    reformatted = "# a comment\n" + yaml.safe_dump(yaml.safe_load(text), sort_keys=True,
                                                   default_flow_style=True, width=60)
    assert parse_rubric(reformatted, "b.yaml").content_hash == original.content_hash
    changed = text.replace("weight: 3\n        critical: true", "weight: 4\n        critical: true",
                           1)
    assert changed != text
    assert parse_rubric(changed, "a.yaml").content_hash != original.content_hash


EXPECTED_ERRORS = {
    "unknown_scale.yaml": "criterion 'greeting' (section 'Opening'): field 'scale': unknown "
                          "scale 'stars'",
    "weight_not_number.yaml": "criterion 'greeting' (section 'Opening'): field 'weight': not a "
                              "number: 'heavy'",
    "duplicate_key.yaml": "criterion 'empathy' (section 'Handling'): field 'key': duplicate key",
    "bad_yaml.yaml": "line 10: not valid YAML",
    "unknown_field.yaml": "criterion 'verify_identity' (section 'Verification'): field "
                          "'critcal': unknown field (did you mean 'critical'?)",
    "pass_at_off_scale.yaml": "criterion 'empathy' (section 'Handling'): field 'pass_at': 6 is "
                              "outside the scale 1–5",
    "unknown_module.yaml": "criterion 'greeting' (section 'Opening'): field 'refresher_module': "
                           "'MOD-NOPE' is not in the module catalogue",
    "repeated_yaml_key.yaml": "line 11: field 'weight' appears twice",
    "missing_question.yaml": "criterion 'greeting' (section 'Opening'): field 'question': "
                             "missing",
    "bad_labels.yaml": "criterion 'empathy' (section 'Handling'): field 'labels':",
    "bad_modules.yaml": "module 'MOD-X': field 'title': missing",
}


def test_every_broken_file_has_an_expected_error() -> None:
    assert sorted(p.name for p in BROKEN.glob("*.yaml")) == sorted(EXPECTED_ERRORS)


@pytest.mark.parametrize("name", sorted(set(EXPECTED_ERRORS) - {"unknown_module.yaml"}))
def test_broken_file_gives_one_line_naming_file_and_field(name: str) -> None:
    with pytest.raises(InputError) as err:
        read_paths([BROKEN / name])
    message = str(err.value)
    assert "\n" not in message
    assert message.startswith(f"{BROKEN / name}: ")
    assert EXPECTED_ERRORS[name] in message


@pytest.mark.parametrize(("body", "expected"), [
    ("        scale: binary\n        weight: 0\n", "field 'weight': must be greater than 0"),
    ("        scale: binary\n        weight: -2\n", "field 'weight': must be greater than 0"),
    ("        scale: binary\n        weight: .nan\n", "field 'weight': not a finite number"),
    ("        weight: 1\n", "field 'scale': missing"),
    ("        scale: ordinal\n        labels: [a, b, A]\n", "field 'labels': labels repeat"),
    ("        scale: ordinal\n", "field 'labels': an ordinal criterion needs a list"),
    ("        scale: ordinal\n        labels: [a, b, c]\n        pass_at: 1\n",
     "field 'pass_at': 1 is outside the scale 1–3"),
    ("        scale: ordinal\n        labels: [a, b, c, d]\n        pass_at: 2.5\n",
     "field 'pass_at': 2.5 is not a step of the scale 1–4"),
    ("        scale: points\n", "field 'max_points': missing for a points criterion"),
    ("        scale: points\n        max_points: 10\n        pass_at: 11\n",
     "field 'pass_at': 11 is outside the scale 0–10"),
    ("        scale: binary\n        pass_at: 0.5\n", "field 'pass_at': a binary criterion"),
    ("        scale: binary\n        labels: [No, Yes]\n", "field 'labels': not used by a binary"),
    ("        scale: binary\n        critical: maybe\n", "field 'critical': must be true or false"),
    ("        scale: binary\n        guidance: {maybe: x}\n", "field 'guidance': 'maybe' is not"),
    ("        scale: binary\n        guidance: {n/a: x}\n",
     "field 'guidance': guidance for n/a, but na_allowed is false"),
    ("        scale: binary\n        guidance: {yes: }\n",
     "field 'guidance': the text for True is missing"),
    ("        scale: ordinal\n        labels: [a, b, c]\n        guidance: {4: x}\n",
     "field 'guidance': 4 is outside the scale"),
    ("        scale: binary\n        root_causes: [Bad Tag]\n", "field 'root_causes'"),
])
def test_criterion_validation(body: str, expected: str) -> None:
    with pytest.raises(InputError) as err:
        parse_rubric(minimal(body), "x.yaml")
    assert str(err.value).startswith("x.yaml: criterion 'c' (section 'S'): ")
    assert expected in str(err.value)


@pytest.mark.parametrize(("text", "expected"), [
    ("", "x.yaml: line 1: a rubric file is a mapping"),
    ("name: t\nsections: []\n", "x.yaml: field 'sections'"),
    ("name: Bad Name\nsections: [{name: S, criteria: [{key: c, question: q, scale: binary}]}]\n",
     "x.yaml: field 'name': use lower-case"),
    ("name: t\nchanel: chat\n", "x.yaml: field 'chanel': unknown field (did you mean 'channel'?)"),
    ("name: t\nchannel: fax\nsections: [{name: S, criteria: [{key: c, question: q, "
     "scale: binary}]}]\n", "x.yaml: field 'channel': 'fax' is not chat, voice or email"),
    ("name: t\nsections: [{name: S}]\n", "x.yaml: section 'S': field 'criteria'"),
    ("name: t\nsections: [{name: S, criteria: [{question: q, scale: binary}]}]\n",
     "x.yaml: criterion 1 (section 'S'): field 'key': missing"),
])
def test_rubric_validation(text: str, expected: str) -> None:
    with pytest.raises(InputError) as err:
        parse_rubric(text, "x.yaml")
    assert expected in str(err.value)


def test_two_files_defining_one_rubric_are_refused(tmp_path: Path) -> None:
    text = (RUBRICS / "chat_support.yaml").read_text(encoding="utf-8")
    (tmp_path / "a.yaml").write_text(text, encoding="utf-8")
    (tmp_path / "b.yml").write_text(text.replace("Chat support", "Chat"), encoding="utf-8")
    with pytest.raises(InputError, match=r"b\.yml: field 'name': rubric 'chat_support' is also"):
        read_paths([tmp_path])
    # the same file named twice (alone and through its folder) is read once
    rubrics, catalogues = read_paths([RUBRICS / "chat_support.yaml", RUBRICS,
                                      RUBRICS / "chat_support.yaml"])
    assert len(rubrics) == 3 and len(catalogues) == 1


def test_one_module_defined_differently_twice_is_refused(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("modules: [{id: MOD-A, title: One}]\n", encoding="utf-8")
    (tmp_path / "b.yaml").write_text("modules: [{id: MOD-A, title: Two}]\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"b\.yaml: module 'MOD-A': field 'id': also defined"):
        read_paths([tmp_path])
    (tmp_path / "b.yaml").write_text("modules: [{id: MOD-A, title: One}]\n", encoding="utf-8")
    assert len(read_paths([tmp_path])[1]) == 2  # the same definition twice is harmless


def test_missing_path_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="nope.yaml: no such file or directory"):
        read_paths([tmp_path / "nope.yaml"])


# --- the store -----------------------------------------------------------------------------

def test_load_shipped_rubrics_then_again_changes_nothing(store: Store) -> None:
    results = load_rubric_paths(store, [RUBRICS], actor="qa")
    by_name = {r.name: r for r in results}
    assert by_name["modules.yaml"].kind == "modules" and by_name["modules.yaml"].count == 15
    for name in SHIPPED:
        assert (by_name[name].status, by_name[name].version) == ("loaded", 1)
    listed = list_rubrics(store)
    assert [(r.name, r.version, r.latest) for r in listed] == [
        ("chat_support", 1, True), ("email_support", 1, True), ("voice_support", 1, True)]
    assert {r.name: r.criteria for r in listed} == {
        "chat_support": 15, "email_support": 16, "voice_support": 17}
    assert len(list_modules(store)) == 15
    with store.session() as s:
        rub = _get_rubric(s, "voice_support")
        crit = _rubric_criteria(s, rub.id)
        assert [c.position for c in crit] == list(range(17))
        empathy = next(c for c in crit if c.key == "empathy")
        assert json.loads(empathy.labels)["3"] == "Adequate"
        assert set(json.loads(empathy.guidance)) == {"1", "3", "5"}
        assert json.loads(empathy.root_causes) == ["rushed", "scripted_apology",
                                                   "difficult_customer"]
        assert json.loads(rub.definition)["name"] == "voice_support"
        audits = s.exec(select(m.AuditLog).where(m.AuditLog.actor == "qa")).all()
        assert sorted((a.entity, a.action) for a in audits).count(("rubric", "load")) == 3
        assert [a.entity for a in audits].count("module") == 15
    before = snapshot(store)
    again = load_rubric_paths(store, [RUBRICS], actor="qa")
    assert {r.status for r in again} == {"unchanged"}
    assert snapshot(store) == before


def test_changed_file_creates_version_2_and_keeps_version_1(store: Store, tmp_path: Path) -> None:
    load_rubric_paths(store, [RUBRICS], actor="qa")
    original = (RUBRICS / "chat_support.yaml").read_text(encoding="utf-8")
    changed = original.replace("        weight: 2\n        subjective: true\n"
                               "        refresher_module: MOD-EMPATHY",
                               "        weight: 4\n        subjective: true\n"
                               "        refresher_module: MOD-EMPATHY")
    assert changed != original
    path = tmp_path / "chat_support.yaml"
    path.write_text(changed, encoding="utf-8")
    [result] = load_rubric_paths(store, [path], actor="qa")
    assert (result.status, result.version, result.count) == ("loaded", 2, 15)
    with store.session() as s:
        v1, v2, latest = (_get_rubric(s, "chat_support@1"), _get_rubric(s, "chat_support", 2),
                          _get_rubric(s, "chat_support"))
        assert latest.id == v2.id != v1.id and v2.source_path == str(path)
        weights = {v: {c.key: c.weight for c in _rubric_criteria(s, r.id)}
                   for v, r in ((1, v1), (2, v2))}
        assert (weights[1]["empathy"], weights[2]["empathy"]) == (2, 4)
        assert len(weights[1]) == len(weights[2]) == 15
    assert [(r.version, r.latest) for r in list_rubrics(store)
            if r.name == "chat_support"] == [(1, False), (2, True)]
    # going back to the first content stores nothing and says which version it matches
    before = snapshot(store)
    path.write_text(original, encoding="utf-8")
    [back] = load_rubric_paths(store, [path], actor="qa")
    assert (back.status, back.version, back.latest) == ("older", 1, 2)
    assert snapshot(store) == before


def test_broken_file_in_a_set_leaves_the_store_as_it_was(store: Store, tmp_path: Path) -> None:
    load_rubric_paths(store, [DATA / "mini_rubric.yaml", DATA / "mini_modules.yaml"], actor="qa")
    before = snapshot(store)
    changed_modules = (RUBRICS / "modules.yaml").read_text(encoding="utf-8").replace(
        "Openings that set the tone", "Openings, revised")
    (tmp_path / "modules.yaml").write_text(changed_modules, encoding="utf-8")
    for bad in sorted(BROKEN.glob("*.yaml")):
        with pytest.raises(InputError) as err:
            load_rubric_paths(store, [RUBRICS / "voice_support.yaml", tmp_path / "modules.yaml",
                                      bad], actor="qa")
        assert str(err.value).startswith(f"{bad}: ") and EXPECTED_ERRORS[bad.name] in str(err.value)
        assert snapshot(store) == before, bad.name


def test_refresher_module_may_come_from_the_store(store: Store) -> None:
    with pytest.raises(InputError, match="field 'refresher_module': 'MOD-VER' is not in"):
        load_rubric_paths(store, [DATA / "mini_rubric.yaml"], actor="qa")
    load_rubric_paths(store, [DATA / "mini_modules.yaml"], actor="qa")
    [r] = load_rubric_paths(store, [DATA / "mini_rubric.yaml"], actor="qa")
    assert (r.name, r.version, r.status) == ("mini", 1, "loaded")


def test_changed_module_is_updated_and_audited(store: Store, tmp_path: Path) -> None:
    load_rubric_paths(store, [DATA / "mini_modules.yaml"], actor="qa")
    path = tmp_path / "catalogue.yaml"
    path.write_text((DATA / "mini_modules.yaml").read_text().replace("duration_minutes: 30",
                                                                     "duration_minutes: 35"))
    [r] = load_rubric_paths(store, [path], actor="trainer")
    assert (r.kind, r.status, r.count) == ("modules", "loaded", 2)
    assert {x["id"]: x["duration_minutes"] for x in list_modules(store)} == {
        "MOD-EMP": 45, "MOD-VER": 35}
    with store.session() as s:
        [a] = s.exec(select(m.AuditLog).where(m.AuditLog.actor == "trainer")).all()
        assert (a.entity, a.entity_id, a.action) == ("module", "MOD-VER", "update")
        assert json.loads(a.before)["duration_minutes"] == 30
        assert json.loads(a.after)["duration_minutes"] == 35


def test_get_rubric_not_found(store: Store) -> None:
    load_rubric_paths(store, [DATA / "mini_rubric.yaml", DATA / "mini_modules.yaml"], actor="qa")
    with store.session() as s:
        assert _get_rubric(s, "mini@1").version == 1
        for ref, version in [("nope", None), ("mini@2", None), ("mini", 3), ("mini@x", None)]:
            with pytest.raises(NotFound):
                _get_rubric(s, ref, version)


# --- CLI -----------------------------------------------------------------------------------

def run(db_url: str, *args: str) -> object:
    return CliRunner().invoke(cli, ["--db", db_url, "--as", "cli-user", *map(str, args)])


def test_cli_load_list_show_modules(db_url: str) -> None:
    res = run(db_url, "rubric", "load", RUBRICS)
    assert res.exit_code == 0, res.output
    assert f"{RUBRICS / 'chat_support.yaml'}: chat_support loaded as version 1 (15 criteria)" \
        in res.stdout
    assert "module catalogue, 15 modules (loaded)" in res.stdout
    res = run(db_url, "rubric", "load", RUBRICS / "voice_support.yaml", "--format", "json")
    assert json.loads(res.stdout) == [{
        "path": str(RUBRICS / "voice_support.yaml"), "kind": "rubric", "name": "voice_support",
        "version": 1, "status": "unchanged", "count": 17, "latest": 1}]

    res = run(db_url, "rubric", "list", "--format", "json")
    rows = json.loads(res.stdout)
    assert [r["name"] for r in rows] == ["chat_support", "email_support", "voice_support"]
    assert set(rows[0]) == {"name", "version", "title", "channel", "criteria", "content_hash",
                            "loaded_at", "latest"}
    assert len(rows[0]["content_hash"]) == 12
    assert len(json.loads(run(db_url, "rubric", "list", "--format", "json", "--limit", "2")
                          .stdout)) == 2

    res = run(db_url, "rubric", "show", "email_support@1", "--format", "json")
    crit = json.loads(res.stdout)
    assert len(crit) == 16 and crit[0]["rubric"] == "email_support" and crit[0]["version"] == 1
    assert {"key", "section", "question", "scale", "weight", "critical", "na_allowed",
            "refresher_module"} <= set(crit[0])
    assert [c["key"] for c in crit if c["critical"]] == ["verify_identity", "data_protection"]

    res = run(db_url, "rubric", "show", "voice_support")
    assert res.exit_code == 0
    for heading in ("Voice support scorecard", "Opening & verification", "Discovery",
                    "Handling", "Resolution & compliance", "Closing", "hold_etiquette"):
        assert heading in res.stdout

    res = run(db_url, "rubric", "show", "chat_support", "--format", "csv")
    assert res.stdout.splitlines()[0].startswith("rubric,version,key,section,")
    assert len(res.stdout.splitlines()) == 16

    mods = json.loads(run(db_url, "rubric", "modules", "--format", "json").stdout)
    assert len(mods) == 15 and set(mods[0]) == {"id", "title", "duration_minutes", "owner",
                                                "description"}


def test_cli_errors_are_one_line(db_url: str) -> None:
    assert run(db_url, "rubric", "load", DATA / "mini_modules.yaml").exit_code == 0
    res = run(db_url, "rubric", "load", RUBRICS / "chat_support.yaml",
              BROKEN / "weight_not_number.yaml")
    assert res.exit_code != 0
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in res.output
    assert lines[0].startswith("error: ") and "weight_not_number.yaml" in lines[0]
    assert "field 'weight'" in lines[0]
    assert json.loads(run(db_url, "rubric", "list", "--format", "json").stdout) == []

    res = run(db_url, "rubric", "show", "nope")
    assert res.exit_code != 0 and res.stderr.strip() == \
        "error: no rubric 'nope' (see: rubric list)"
