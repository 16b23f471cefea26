"""The typed views the core gives the CLI and the TUI."""

from __future__ import annotations


def test_a_figure_is_written_one_way():
    from qa_calibrate.report import Figure

    fig = Figure.of({"value": 0.7234, "ci_low": 0.61, "ci_high": 0.8, "se": 0.05,
                     "undefined": None, "label": "substantial"})
    assert fig.text() == "0.72 [0.61, 0.80] substantial"
    assert fig.text(label=False) == "0.72 [0.61, 0.80]"
    assert Figure.of({"value": 0.88, "ci_low": 0.8, "ci_high": 0.95}).text(pct=True) == \
        "88% [80%–95%]"
    assert Figure.of({"value": 0.5, "ci_low": float("nan")}).text() == "0.50"
    nan = Figure.of({"value": float("nan"), "undefined": "every rating is the same"})
    assert not nan.defined and nan.text() == "undefined (every rating is the same)"
    assert Figure.of({"value": None}).text(pct=True) == "undefined"


def test_the_scoring_item_gives_criterion_views_that_know_their_scale(sqlite_store):
    from helpers import LEAD, seed_basics

    from qa_calibrate import sessions
    from qa_calibrate.scoring import CriterionView

    ids = seed_basics(sqlite_store)
    sessions.create_session(sqlite_store, name="S", rubric="mini", lead=LEAD, actor=LEAD,
                            evaluators=["Ann", "Bob"], interactions=ids[:1])
    item = sessions.scoring_item(sqlite_store, "S", evaluator="Ann", position=0)
    views = {c.key: c for c in item.criteria}
    assert all(isinstance(c, CriterionView) for c in views.values())
    greeting, empathy = views["greeting"], views["empathy"]
    accuracy, hold = views["accuracy"], views["hold_etiquette"]
    assert (greeting.answer_for_key(1), greeting.answer_for_key(2),
            greeting.answer_for_key(3)) == ("yes", "no", None)
    assert greeting.answer_text(1.0) == "Yes" and greeting.answer_text(0.0) == "No"
    assert greeting.fails(0.0) and not greeting.fails(1.0) and not greeting.fails(None)
    assert empathy.answer_text(4.0) == "4 Warm" and empathy.answer_for_key(6) is None
    assert empathy.choices_text().startswith("1 Dismissive   2 Flat")
    assert empathy.root_causes == ("rushed", "script_gap")
    assert accuracy.answer_text(3.0) == "3/4" and accuracy.answer_for_key(5) is None
    assert accuracy.choices_text() == "0–4 points"  # the hint is the scale's, keys and all
    assert hold.answer_text(None, na=True) == "N/A" and hold.choices_text().endswith("n N/A")
    assert greeting.answer_text(None) == "·" and greeting.guidance_for(None) is None
    # frozen: a screen cannot change what the core said
    import dataclasses

    import pytest

    with pytest.raises(dataclasses.FrozenInstanceError):
        greeting.key = "other"  # type: ignore[misc]


def test_saving_an_answer_returns_the_updated_scoring_item(sqlite_store):
    import pytest
    from helpers import LEAD, seed_basics

    from qa_calibrate import sessions
    from qa_calibrate.errors import Conflict, PermissionDenied

    ids = seed_basics(sqlite_store)
    sessions.create_session(sqlite_store, name="S", rubric="mini", lead=LEAD, actor=LEAD,
                            evaluators=["Ann", "Bob"], interactions=ids[:2])
    item = sessions.save_answer(sqlite_store, "S", evaluator="Ann", interaction=ids[1],
                                answers={"greeting": "no"}, expected_version=0, position=1)
    assert item.position == 1 and item.version == 1 and item.status == "draft"
    assert item.answers["greeting"].value == 0.0
    assert item == sessions.scoring_item(sqlite_store, "S", evaluator="Ann", position=1)
    with pytest.raises(Conflict):  # the version it was read at is checked, as by score
        sessions.save_answer(sqlite_store, "S", evaluator="Ann", interaction=ids[1],
                             answers={"greeting": "yes"}, expected_version=0, position=1)
    with pytest.raises(PermissionDenied):
        sessions.save_answer(sqlite_store, "S", evaluator="Cy", interaction=ids[1],
                             answers={"greeting": "yes"}, position=1)


def _revealed_session(store):
    from helpers import LEAD, seed_basics

    from qa_calibrate import sessions

    ids = seed_basics(store)
    sessions.create_session(store, name="S", rubric="mini", lead=LEAD, actor=LEAD,
                            evaluators=["Ann", "Bob"], interactions=ids[:3])
    for who, empathy in (("Ann", 4), ("Bob", 2)):
        for ext in ids[:3]:
            sessions.score(store, "S", evaluator=who, interaction=ext, submit_now=True,
                           answers={"greeting": "yes", "verify_identity": "yes",
                                    "empathy": empathy, "accuracy": 3,
                                    "hold_etiquette": "n/a"},
                           comments={"empathy": f"{who} on {ext}"})
    sessions.reveal(store, "S", actor=LEAD)
    return ids


def test_the_session_report_is_a_frozen_view_whose_json_is_its_to_dict(sqlite_store):
    import dataclasses
    import json

    import pytest
    from helpers import LEAD

    from qa_calibrate.output import to_json
    from qa_calibrate.report import (
        CriterionAgreement,
        EvaluatorAgreement,
        Figure,
        IccFigure,
        ReportSettings,
        SessionReport,
        evaluators_report,
        session_report,
    )

    _revealed_session(sqlite_store)
    rep = session_report(sqlite_store, "S", ReportSettings(n_resamples=50), viewer=LEAD)
    assert isinstance(rep, SessionReport) and isinstance(rep.overall_score_icc, IccFigure)
    assert all(isinstance(c, CriterionAgreement) for c in rep.criteria)
    assert all(isinstance(e, EvaluatorAgreement) for e in rep.evaluators)
    empathy = rep.criterion("empathy")
    assert empathy is not None and isinstance(empathy.percent_agreement, Figure)
    assert empathy.figure("percent_agreement") is empathy.percent_agreement
    with pytest.raises(KeyError):
        empathy.figure("spread")  # a figure by name is one of the coefficients only
    assert "empathy" in rep.flagged_criteria  # 4 against 2 on every contact: no agreement
    with pytest.raises(dataclasses.FrozenInstanceError):
        rep.reference = "other"  # type: ignore[misc]
    data = json.loads(to_json(rep.to_dict()))
    assert data["session"] == {"id": rep.session.id, "name": "S", "state": "revealed",
                               "rubric": rep.session.rubric, "interactions": 3,
                               "evaluators": ["Ann", "Bob"], "benchmark": None}
    crit = next(c for c in data["criteria"] if c["criterion"] == "empathy")
    assert crit["percent_agreement"]["value"] == 0.0 and crit["flagged"] is True
    assert "label" not in crit["percent_agreement"]  # percent agreement has no band
    assert crit["gwet_ac1"]["label"]  # the kappa-type figures do
    assert data["overall_score_icc"]["form"] == "2,1"
    assert data["settings"]["n_resamples"] == 50
    no_ref = next(e for e in data["evaluators"] if e["evaluator"] == "Ann")
    assert no_ref["direction"] == "no reference" and "critical_mismatches" not in no_ref
    summary = evaluators_report(sqlite_store, actor=LEAD)
    assert [s.evaluator for s in summary] == ["Ann", "Bob"]
    assert summary[0].sessions == 1 and summary[0].to_dict()["last_session"] == "S"


def test_the_meeting_view_carries_cells_comments_and_consensus(sqlite_store):
    from helpers import LEAD

    from qa_calibrate import sessions
    from qa_calibrate.report import MeetingCell, MeetingView, meeting_view

    ids = _revealed_session(sqlite_store)
    sessions.set_consensus(sqlite_store, "S", interaction=ids[0], criterion="empathy",
                           value="3", note="between the two", actor=LEAD)
    view = meeting_view(sqlite_store, "S", viewer=LEAD, position=0)
    assert isinstance(view, MeetingView) and view.evaluators == ("Ann", "Bob")
    top = view.rows[0]  # the widest split first
    assert top.criterion.key == "empathy" and top.agreement == 0.0
    assert all(isinstance(c, MeetingCell) and c.answered for c in top.cells)
    assert [c.answer for c in top.cells] == [4.0, 2.0]
    assert [c.comment for c in top.cells] == [f"Ann on {ids[0]}", f"Bob on {ids[0]}"]
    assert top.consensus is not None and top.consensus.answer == 3.0
    assert top.consensus.note == "between the two"
    hold = next(r for r in view.rows if r.criterion.key == "hold_etiquette")
    assert all(c.na and c.answered and c.answer is None for c in hold.cells)


def test_the_hint_of_a_points_scale_above_9_says_how_to_give_10():
    from qa_calibrate.scoring import CriterionView

    accuracy = CriterionView(id=1, key="accuracy", section="S", position=0, question="?",
                             scale="points",
                             min_value=0, max_value=10, pass_at=6, weight=1, critical=False,
                             na_allowed=False, subjective=False, labels={}, guidance={},
                             root_causes=())
    assert accuracy.choices_text() == "0–10 points (keys 0–9, Enter to type 10)"
    assert accuracy.answer_for_key(9) == 9 and accuracy.answer_for_key(0) == 0
