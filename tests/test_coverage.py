"""Intervals that cover at the size of a real session (issue 16), and the three states."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from qa_calibrate import agreement as ag
from qa_calibrate.coverage import measure_coverage, population_values, simulate_ratings
from qa_calibrate.report import ReportSettings

# 10 interactions × 4–6 raters, high agreement: p (rater right) and q (true yes) as in the issue
CONDITIONS = [(10, r, p, q) for r in (4, 5, 6) for p in (0.95, 0.99) for q in (0.8, 0.9)]


def test_population_values_match_a_very_large_simulation():
    x = simulate_ratings(np.random.default_rng(1), 200_000, 4, 0.95, 0.9)
    truth = population_values(0.95, 0.9)
    assert ag.percent_agreement(x) == pytest.approx(truth["percent_agreement"], abs=2e-3)
    assert ag.gwet_ac1(x, categories=[0, 1]) == pytest.approx(truth["gwet_ac1"], abs=3e-3)
    assert ag.krippendorff_alpha(x) == pytest.approx(truth["krippendorff_alpha"], abs=6e-3)


def test_intervals_cover_at_ten_interactions_and_are_never_zero_width():
    """360 simulated sessions through the report's own builder: coverage of percent agreement,
    AC1 and alpha within 0.93–0.97, no zero-width interval; the old bootstrap misses badly."""
    after = measure_coverage(CONDITIONS, 30, seed=2026, settings=ReportSettings())
    for name, tally in after.items():
        s = tally.summary()
        assert 0.93 <= s["coverage"] <= 0.97, (name, s)
        assert tally.zero_width == 0, name
    assert after["percent_agreement"].defined == after["gwet_ac1"].defined == 360
    # alpha is left out only where it is not estimable or undefined, with the reason
    assert set(after["krippendorff_alpha"].reasons) <= {
        "not estimable: no two interactions have different majority answers",
        "every rating is in one category"}
    assert after["krippendorff_alpha"].defined >= 250
    before = measure_coverage(CONDITIONS, 30, seed=2026,
                              settings=ReportSettings(intervals="bootstrap"))
    for name, tally in before.items():
        assert tally.summary()["coverage"] < 0.8, name
        assert tally.zero_width > 50, name


def test_wilson_on_effective_pairs_when_nobody_disagreed():
    # ten unanimous interactions of five raters: deff = r − 1 = 4, 25 effective pairs
    pairs = ag.wilson_effective_n(np.ones((10, 5)), categories=[0, 1])
    assert pairs.value == 1.0 and pairs.deff == pytest.approx(4.0)
    assert pairs.n_eff == pytest.approx(25.0)
    assert pairs.low == pytest.approx(25 / (25 + 1.959964**2), abs=1e-6)  # ≈ 0.867
    assert pairs.high == 1.0
    # two raters: every unit is one pair, no dependence
    assert ag.wilson_effective_n(np.ones((10, 2)), categories=[0, 1]).deff == 1.0


def test_units_to_settle_is_where_the_wilson_interval_stops_holding_the_target():
    # 100% over units of 5 raters (deff 4, 10 pairs each) against 90%: n_eff > 34.57
    n = ag.units_to_settle(1.0, 0.9, deff=4.0, pairs_per_unit=10.0)
    assert n == 14
    for units, excludes in ((n - 1, False), (n, True)):
        x = np.ones((units, 5))
        assert (ag.wilson_effective_n(x, categories=[0, 1]).low > 0.9) is excludes
    assert ag.units_to_settle(0.9, 0.9, deff=1.0, pairs_per_unit=1.0) is None
    assert ag.units_to_settle(math.nan, 0.9, deff=1.0, pairs_per_unit=1.0) is None


def test_alpha_and_kappa_are_not_estimable_when_every_majority_is_the_same():
    from qa_calibrate.report import NOT_ESTIMABLE, ReportSettings, _figure

    x = np.ones((10, 4))
    x[0, 0] = x[3, 2] = 0  # two dissents, every majority "yes"
    assert ag.same_majority(x) and not math.isnan(ag.krippendorff_alpha(x))
    settings = ReportSettings(n_resamples=200)
    for name in ("krippendorff_alpha", "fleiss_kappa"):
        fig = _figure(name, x, settings, categories=[0.0, 1.0])
        assert not fig.defined and fig.undefined == NOT_ESTIMABLE
    ac1 = _figure("gwet_ac1", x, settings, categories=[0.0, 1.0])
    assert ac1.defined and ac1.method == "bayesian-dirichlet" and ac1.ci_low < ac1.ci_high
    x[5] = 0  # one interaction with a "no" majority: estimable again
    assert not ag.same_majority(x)
    assert _figure("krippendorff_alpha", x, settings, categories=[0.0, 1.0]).defined


def test_the_bootstrap_is_kept_with_enough_interactions_and_splits():
    from qa_calibrate.report import ReportSettings, _figure

    x = simulate_ratings(np.random.default_rng(4), 40, 5, 0.9, 0.7)
    assert ag.disagreeing_units(x) >= 5
    settings = ReportSettings(n_resamples=200)
    assert _figure("gwet_ac1", x, settings, categories=[0.0, 1.0]).method == "bootstrap"
    assert _figure("gwet_ac1", x[:29], settings, categories=[0.0, 1.0]).method == \
        "bayesian-dirichlet"
    assert _figure("percent_agreement", x, settings,
                   categories=[0.0, 1.0]).method == "wilson-effective-n"


def _unanimous_session(store, n=10):
    from helpers import EVALUATORS, LEAD, seed_basics

    from qa_calibrate import sessions

    ids = seed_basics(store, n_interactions=n)
    sessions.create_session(store, name="U", rubric="mini", lead=LEAD, actor=LEAD,
                            evaluators=EVALUATORS, interactions=ids)
    for k, who in enumerate(EVALUATORS):
        for ext in ids:
            sessions.score(store, "U", evaluator=who, interaction=ext, submit_now=True,
                           answers={"greeting": "yes", "verify_identity": "yes",
                                    "empathy": 2 + k, "accuracy": 3,
                                    "hold_etiquette": "n/a"})
    sessions.reveal(store, "U", actor=LEAD)
    return ids


def test_the_session_report_carries_methods_and_the_three_states(sqlite_store):
    from helpers import LEAD

    from qa_calibrate.report import session_report

    _unanimous_session(sqlite_store)
    rep = session_report(sqlite_store, "U", ReportSettings(n_resamples=300), viewer=LEAD)
    greeting = rep.criterion("greeting")
    assert greeting is not None
    pa = greeting.percent_agreement
    # nobody disagreed: 100%, but the interval is not [100%, 100%]
    assert pa.value == 1.0 and pa.ci_low < 0.85 and pa.ci_high == 1.0
    assert pa.method == "wilson-effective-n"
    assert greeting.gwet_ac1.ci_low < greeting.gwet_ac1.ci_high
    # ten interactions of three raters cannot show 90%: 24 would (deff 2, 3 pairs each)
    assert greeting.status == "cant_tell" and not greeting.flagged
    assert greeting.interactions_to_settle == 24
    empathy = rep.criterion("empathy")  # 2, 3, 4 on every contact: no pair agrees
    assert empathy is not None and empathy.status == "flagged" and empathy.flagged
    assert empathy.interactions_to_settle is None
    assert rep.flagged_criteria == ("empathy",)
    data = json.loads(json.dumps(rep.to_dict()))
    crit = next(c for c in data["criteria"] if c["criterion"] == "greeting")
    assert crit["status"] == "cant_tell" and crit["flagged"] is False
    assert crit["interactions_to_settle"] == 24
    assert crit["percent_agreement"]["method"] == "wilson-effective-n"
    assert crit["gwet_ac1"]["method"] == "bayesian-dirichlet"
    lenient = session_report(sqlite_store, "U", ReportSettings(n_resamples=0,
                                                               objective_target=0.5),
                             viewer=LEAD).criterion("greeting")
    assert lenient is not None and lenient.status == "passes"
    assert lenient.gwet_ac1.method is None  # no draws: only agreement's closed form


def test_report_agreement_shows_the_states_and_the_methods(sqlite_store):
    from click.testing import CliRunner
    from helpers import LEAD

    from qa_calibrate.cli import cli

    _unanimous_session(sqlite_store)
    r = CliRunner().invoke(cli, ["--db", sqlite_store.url, "--as", LEAD, "report", "agreement",
                                 "U", "--resamples", "200"], env={"COLUMNS": "200"})
    assert r.exit_code == 0, r.output
    assert "can't tell yet vs 90%, ~24 interactions would settle it" in r.output
    assert "flagged: below 80%" in r.output
    assert "agreement: wilson-effective-n (4)" in r.output  # hold_etiquette: all N/A
    assert "can't tell: no agreement figure" in r.output
    assert "bayesian-dirichlet" in r.output
    r = CliRunner().invoke(cli, ["--db", sqlite_store.url, "--as", LEAD, "report", "agreement",
                                 "U", "--resamples", "0", "--format", "csv"])
    assert r.exit_code == 0, r.output
    lines = r.output.splitlines()
    assert lines[0].endswith(",label,method")
    assert any(line.startswith("criterion,greeting,status,24,") and "cant_tell" in line
               for line in lines)


def test_the_meeting_side_panel_writes_the_three_states(sqlite_store):
    from helpers import LEAD

    from qa_calibrate.report import session_report
    from qa_calibrate.tui.screens.meeting import _status_line

    _unanimous_session(sqlite_store)
    rep = session_report(sqlite_store, "U", ReportSettings(n_resamples=0), viewer=LEAD)
    greeting, empathy = rep.criterion("greeting"), rep.criterion("empathy")
    assert greeting is not None and empathy is not None
    assert _status_line(greeting) == ("[yellow]can't tell yet[/yellow] vs 90%; ~24 interactions "
                                      "would settle it")
    assert _status_line(empathy) == "[red]flagged[/red]: below the 80% target"
    easy = session_report(sqlite_store, "U", ReportSettings(n_resamples=0, objective_target=0.5),
                          viewer=LEAD).criterion("greeting")
    assert easy is not None and _status_line(easy) == "[green]passes[/green] the 50% target"


def test_t_quantile_matches_the_tables():
    from qa_calibrate.stats import t_quantile

    assert t_quantile(0.975, 9) == pytest.approx(2.262157, abs=1e-5)
    assert t_quantile(0.975, 29) == pytest.approx(2.045230, abs=1e-5)
    assert t_quantile(0.025, 1) == pytest.approx(-12.706205, abs=1e-4)
    assert t_quantile(0.975, 1e6) == pytest.approx(1.959966, abs=1e-5)


def test_no_interval_covers_between_the_attainable_coverages():
    """At 10 × 6 raters right 99% of the time, percent agreement's sampling distribution has
    few states: an interval that holds the states nearest the truth first covers either ≈ 0.89
    or ≈ 0.98 (the per-condition band 0.93–0.97 cannot be met there, only pooled), and the
    report's covers ≈ 0.98; the enumeration's probabilities are those of a simulation."""
    from qa_calibrate.coverage import attainable_pa_coverage

    lo, hi = attainable_pa_coverage(10, 6, 0.99)
    assert lo == pytest.approx(0.887, abs=0.002) and hi == pytest.approx(0.978, abs=0.002)
    lo5, hi5 = attainable_pa_coverage(10, 5, 0.99)
    assert lo5 < 0.93 and hi5 > 0.97
    # P(no interaction with a dissent) at 10 × 6: simulated, and (p⁶ + (1 − p)⁶)¹⁰
    x = simulate_ratings(np.random.default_rng(3), 10 * 20_000, 6, 0.99, 0.9).reshape(
        20_000, 10, 6)
    unanimous = (x.min(axis=2) == x.max(axis=2)).all(axis=1).mean()
    assert unanimous == pytest.approx((0.99**6 + 0.01**6) ** 10, abs=0.01)
    got = measure_coverage([(10, 6, 0.99, 0.9)], 300, seed=1, names=("percent_agreement",))
    assert abs(got["percent_agreement"].summary()["coverage"] - hi) < 0.03
