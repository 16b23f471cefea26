"""The trend view: agreement by session per rubric and calibration score by session per
evaluator, with intervals; leads and trainers only; an open session never counts."""

from __future__ import annotations

import csv
import io
import json
import math

import pytest
from click.testing import CliRunner
from helpers import LEAD, TREND_SESSIONS, plant_trend, seed_basics

from qa_calibrate import sessions
from qa_calibrate.cli import cli
from qa_calibrate.errors import NotFound, PermissionDenied
from qa_calibrate.report import ReportSettings, headline, session_report
from qa_calibrate.trend import trend_view

FAST = ReportSettings(n_resamples=200)


@pytest.fixture
def planted(store):
    seed_basics(store)
    plant_trend(store)
    return store


def test_agreement_and_calibration_by_session_in_order(planted):
    view = trend_view(planted, actor=LEAD, settings=FAST)
    assert view.sessions == 3  # the open "Oct chat" is not among them
    (agreement,) = view.agreement
    assert agreement.subject == "mini"
    assert [p.session for p in agreement.points] == list(TREND_SESSIONS)
    # the same figure as the home screen's headline of each session
    for p in agreement.points:
        assert p.value == pytest.approx(headline(planted, p.session, viewer=LEAD).agreement)
        assert p.ci_low <= p.value <= p.ci_high and p.n == 4
    values = [p.value for p in agreement.points]
    assert values == sorted(values) and values[0] < values[-1]  # Cy comes into line
    by_name = {t.subject: t for t in view.calibration}
    assert set(by_name) == {"Ann", "Bob", "Cy"}  # not the benchmark
    cy = [p.value for p in by_name["Cy"].points]
    assert cy[0] < cy[1] < cy[2]
    assert [p.value for p in by_name["Ann"].points] == [100.0, 100.0, 100.0]
    # each point is the session report's calibration score of that evaluator
    for t in view.calibration:
        for p in t.points:
            rep = session_report(planted, p.session, ReportSettings(n_resamples=0), viewer=LEAD)
            row = next(r for r in rep.evaluators if r.evaluator == t.subject)
            assert p.value == pytest.approx(row.calibration_score)
            assert p.ci_low <= p.value <= p.ci_high


def test_filters_and_refusals(planted):
    only = trend_view(planted, actor="Tess Trainer", evaluator="cy", settings=FAST)
    assert [t.subject for t in only.calibration] == ["Cy"] and len(only.agreement) == 1
    assert trend_view(planted, actor=LEAD, rubric="mini@1", settings=FAST).sessions == 3
    with pytest.raises(NotFound):
        trend_view(planted, actor=LEAD, rubric="nope")
    with pytest.raises(NotFound):
        trend_view(planted, actor=LEAD, rubric="mini@9")
    for who in ("Ann", "Zed"):
        with pytest.raises(PermissionDenied, match="cannot see agreement and calibration"):
            trend_view(planted, actor=who)


def test_an_open_session_counts_once_revealed(planted):
    before = trend_view(planted, actor=LEAD, settings=ReportSettings(n_resamples=0))
    sessions.reveal(planted, "Oct chat", actor=LEAD)
    after = trend_view(planted, actor=LEAD, settings=ReportSettings(n_resamples=0))
    assert [p.session for p in after.agreement[0].points][-1] == "Oct chat"
    assert len(after.agreement[0].points) == len(before.agreement[0].points) + 1
    assert after.agreement[0].points[-1].value < before.agreement[0].points[-1].value
    assert math.isnan(after.agreement[0].points[-1].ci_low)  # no resamples: no interval


def test_the_cli_lists_the_trend_in_every_format(planted, db_url):
    env = {"QA_CALIBRATE_USER": None, "QA_CALIBRATE_DB": None}
    base = ["--db", db_url, "--as", LEAD, "report", "trend", "--resamples", "100"]
    out = CliRunner().invoke(cli, [*base, "--format", "json"], env=env)
    assert out.exit_code == 0, out.output
    rows = json.loads(out.stdout)
    assert {r["kind"] for r in rows} == {"agreement", "calibration"}
    assert [r["session"] for r in rows if r["kind"] == "agreement"] == list(TREND_SESSIONS)
    out = CliRunner().invoke(cli, [*base, "--evaluator", "Cy", "--format", "csv"], env=env)
    table = list(csv.DictReader(io.StringIO(out.stdout)))
    assert [r["subject"] for r in table if r["kind"] == "calibration"] == ["Cy"] * 3
    assert all(float(r["ci_low"]) <= float(r["value"]) <= float(r["ci_high"]) for r in table)
    out = CliRunner().invoke(cli, base, env=env)
    assert out.exit_code == 0 and "Agreement by session" in out.stdout and "Cy" in out.stdout
    out = CliRunner().invoke(cli, ["--db", db_url, "--as", "Ann", "report", "trend"], env=env)
    assert out.exit_code == 3 and out.stdout == ""
    assert len(out.stderr.strip().splitlines()) == 1
