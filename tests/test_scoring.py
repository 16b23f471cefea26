"""The scoring rule, reading answers, and the vectorised scorer against the plain one."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qa_calibrate import models as m
from qa_calibrate.rubric import CriterionDef, parse_rubric
from qa_calibrate.scoring import is_fail, parse_answer, score, score_matrix

RUBRIC = parse_rubric("""
name: s
title: Scoring test
sections:
  - name: All
    criteria:
      - {key: greeting, question: "Greeted?", scale: binary, weight: 1}
      - {key: verify, question: "Verified?", scale: binary, weight: 2, critical: true,
         na_allowed: true}
      - key: empathy
        question: Empathy?
        scale: ordinal
        labels: [Dismissive, Flat, Adequate, Warm, Exceptional]
        weight: 2
      - {key: accuracy, question: "Accurate?", scale: points, max_points: 10, weight: 3,
         pass_at: 6}
      - {key: hold, question: "Hold etiquette?", scale: binary, weight: 1, na_allowed: true}
""", "scoring.yaml")
C = {c.key: c for c in RUBRIC.criteria}


def answers(**given: object) -> dict[str, tuple[float | None, bool]]:
    return {k: parse_answer(C[k], v) for k, v in given.items()}  # type: ignore[arg-type]


# --- the rule, by hand -----------------------------------------------------------------

def test_weighted_score_by_hand() -> None:
    # greeting yes 1·1, verify yes 2·1, empathy 4 → 2·3/4, accuracy 5 → 3·5/10, hold no 1·0
    r = score(RUBRIC.criteria, answers(greeting="yes", verify="y", empathy=4, accuracy=5,
                                       hold="no"))
    assert r.earned == pytest.approx(1 + 2 + 1.5 + 1.5)
    assert r.possible == 9 and r.answered == 5 and not r.auto_failed
    assert r.score == pytest.approx(100 * 6 / 9)


def test_na_is_removed_from_both_sums() -> None:
    with_na = score(RUBRIC.criteria, answers(greeting="yes", verify="n/a", empathy="Warm",
                                             accuracy=10, hold="N/A"))
    # earned 1 + 1.5 + 3 over possible 1 + 2 + 3
    assert (with_na.earned, with_na.possible, with_na.answered) == (5.5, 6, 5)
    assert with_na.score == pytest.approx(100 * 5.5 / 6)
    without = score(RUBRIC.criteria, answers(greeting="yes", empathy="Warm", accuracy=10))
    assert without.score == pytest.approx(with_na.score)
    assert without.answered == 3


def test_weights_change_the_score() -> None:
    a = answers(greeting="no", accuracy=10)  # 0·1 + 1·3 over 4 → 75
    assert score(RUBRIC.criteria, a).score == pytest.approx(75)
    heavier = [CriterionDef(**{**vars(c), "weight": 3.0}) if c.key == "greeting" else c
               for c in RUBRIC.criteria]
    assert score(heavier, a).score == pytest.approx(50)  # 3 over 6


def test_failed_critical_sets_the_score_to_zero() -> None:
    r = score(RUBRIC.criteria, answers(greeting="yes", verify="no", empathy=5, accuracy=10))
    assert r.auto_failed and r.score == 0
    assert (r.earned, r.possible) == (6, 8)  # the sums are still reported
    # a failed non-critical criterion below pass_at does not auto-fail
    r = score(RUBRIC.criteria, answers(greeting="yes", accuracy=2))
    assert not r.auto_failed and r.score == pytest.approx(100 * 1.6 / 4)
    # a critical criterion answered N/A is not a fail
    assert not score(RUBRIC.criteria, answers(verify="n/a", greeting="yes")).auto_failed


def test_ordinal_and_points_fractions() -> None:
    for value, expected in [(1, 0), (2, 25), (3, 50), (5, 100)]:
        assert score(RUBRIC.criteria, answers(empathy=value)).score == pytest.approx(expected)
    assert score(RUBRIC.criteria, answers(accuracy=7.5)).score == pytest.approx(75)


def test_nothing_answered_has_no_score() -> None:
    assert score(RUBRIC.criteria, {}).score is None
    only_na = score(RUBRIC.criteria, answers(hold="n/a", verify="na"))
    assert only_na.score is None and only_na.answered == 2 and not only_na.auto_failed
    # (None, False) means not answered; keys outside the rubric are ignored
    r = score(RUBRIC.criteria, {"greeting": (None, False), "other": (1.0, False)})
    assert r.score is None and r.answered == 0


def test_stored_criteria_score_like_definitions() -> None:
    stored = [m.Criterion(rubric_id=1, key=c.key, section=c.section, position=c.position,
                          question=c.question, scale=c.scale, max_value=c.max_value,
                          min_value=c.min_value, pass_at=c.pass_at, weight=c.weight,
                          critical=c.critical, na_allowed=c.na_allowed,
                          labels=json.dumps({str(k): v for k, v in c.labels.items()}))
              for c in RUBRIC.criteria]
    a = answers(greeting="yes", verify="yes", empathy=2, accuracy=9, hold="n/a")
    assert score(stored, a) == score(RUBRIC.criteria, a)
    assert parse_answer(stored[2], "exceptional") == (5.0, False)  # labels read from JSON


# --- reading answers ---------------------------------------------------------------------

@pytest.mark.parametrize(("key", "raw", "expected"), [
    ("greeting", "yes", (1.0, False)), ("greeting", "Y", (1.0, False)),
    ("greeting", "TRUE", (1.0, False)), ("greeting", "pass", (1.0, False)),
    ("greeting", "1", (1.0, False)), ("greeting", 1, (1.0, False)),
    ("greeting", 1.0, (1.0, False)), ("greeting", True, (1.0, False)),
    ("greeting", "No", (0.0, False)), ("greeting", "n", (0.0, False)),
    ("greeting", "false", (0.0, False)), ("greeting", "FAIL", (0.0, False)),
    ("greeting", "0", (0.0, False)), ("greeting", 0, (0.0, False)),
    ("greeting", False, (0.0, False)),
    ("hold", "n/a", (None, True)), ("hold", "NA", (None, True)), ("hold", " N/A ", (None, True)),
    ("empathy", "3", (3.0, False)), ("empathy", 5, (5.0, False)), ("empathy", 2.0, (2.0, False)),
    ("empathy", "warm", (4.0, False)), ("empathy", "DISMISSIVE", (1.0, False)),
    ("accuracy", "0", (0.0, False)), ("accuracy", 10, (10.0, False)),
    ("accuracy", "7.5", (7.5, False)), ("accuracy", np.float64(4), (4.0, False)),
])
def test_parse_answer_accepts(key: str, raw: object, expected: tuple) -> None:
    assert parse_answer(C[key], raw) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(("key", "raw", "reason"), [
    ("empathy", "7", "'7' is not on the scale 1–5"),
    ("empathy", 0, "'0' is not on the scale 1–5"),
    ("empathy", "3.5", "'3.5' is not a whole step of the scale 1–5"),
    ("empathy", "great", "'great' is not on the scale 1–5"),
    ("accuracy", "11", "'11' is not on the scale 0–10"),
    ("accuracy", -1, "'-1' is not on the scale 0–10"),
    ("accuracy", "inf", "'inf' is not on the scale 0–10"),
    ("greeting", "maybe", "'maybe' is not yes or no"),
    ("greeting", 2, "'2' is not yes or no"),
    ("greeting", "n/a", "N/A is not allowed on this criterion"),
    ("empathy", "N/A", "N/A is not allowed on this criterion"),
    ("greeting", "", "empty answer"), ("greeting", None, "empty answer"),
    ("accuracy", float("nan"), "empty answer"),
])
def test_parse_answer_refuses(key: str, raw: object, reason: str) -> None:
    with pytest.raises(ValueError) as err:
        parse_answer(C[key], raw)  # type: ignore[arg-type]
    assert str(err.value) == reason


def test_is_fail_uses_pass_at() -> None:
    assert is_fail(C["greeting"], 0) and not is_fail(C["greeting"], 1)
    assert is_fail(C["empathy"], 2) and not is_fail(C["empathy"], 3)  # default pass_at 3
    assert is_fail(C["accuracy"], 5.5) and not is_fail(C["accuracy"], 6)  # pass_at 6
    assert not is_fail(C["hold"], None)


# --- the vectorised scorer equals the plain one ------------------------------------------

@st.composite
def criteria_and_answers(draw: st.DrawFn) -> tuple[list[CriterionDef], list[dict]]:
    n = draw(st.integers(1, 6))
    criteria = []
    for j in range(n):
        scale = draw(st.sampled_from(["binary", "ordinal", "points"]))
        top = {"binary": 1.0, "ordinal": float(draw(st.integers(2, 7))),
               "points": float(draw(st.integers(1, 20)))}[scale]
        low = 1.0 if scale == "ordinal" else 0.0
        pass_at = 1.0 if scale == "binary" else float(draw(st.integers(int(low) + 1, int(top))))
        criteria.append(CriterionDef(
            key=f"c{j}", section="S", position=j, question="?", scale=scale, max_value=top,
            min_value=low, pass_at=pass_at, weight=draw(st.sampled_from([0.5, 1.0, 2.0, 3.0])),
            critical=draw(st.booleans()), na_allowed=True, subjective=False,
            refresher_module=None))
    rows = []
    for _ in range(draw(st.integers(1, 8))):
        row: dict[str, tuple[float | None, bool]] = {}
        for c in criteria:
            kind = draw(st.sampled_from(["missing", "na", "value", "value"]))
            if kind == "na":
                row[c.key] = (None, True)
            elif kind == "value":
                row[c.key] = (float(draw(st.integers(int(c.min_value), int(c.max_value)))),
                              False)
        rows.append(row)
    return criteria, rows


@settings(max_examples=200, deadline=None)
@given(criteria_and_answers())
def test_score_matrix_equals_score(case: tuple[list[CriterionDef], list[dict]]) -> None:
    criteria, rows = case
    values = np.full((len(rows), len(criteria)), np.nan)
    na = np.zeros(values.shape, dtype=bool)
    for i, row in enumerate(rows):
        for j, c in enumerate(criteria):
            if c.key in row:
                value, is_na = row[c.key]
                na[i, j] = is_na
                values[i, j] = np.nan if value is None else value
    scores, failed = score_matrix(criteria, values, na)
    for i, row in enumerate(rows):
        expected = score(criteria, row)
        assert bool(failed[i]) == expected.auto_failed
        if expected.score is None:
            assert math.isnan(scores[i])
        else:
            assert scores[i] == pytest.approx(expected.score, abs=1e-9)
