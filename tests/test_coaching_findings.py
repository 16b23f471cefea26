"""Who the coaching plan coaches: special causes (refreshers), common causes (systemic
findings) and critical slips (reviews), and the statistics behind them."""

from __future__ import annotations

import math
from datetime import date
from fractions import Fraction

import numpy as np
import pytest
from conftest import DATA
from helpers import FULL_PASS, LEAD, bulk_routine_scores, seed_basics, write_history_csv

from qa_calibrate import coaching, stats
from qa_calibrate.evaluations import import_evaluations
from qa_calibrate.people import add_evaluator
from qa_calibrate.rubric import load_rubric_paths

TODAY = date(2026, 11, 2)


def _exact_sf(n: int, p: float) -> list[float]:
    """P(X ≥ k) for k = 0..n+1 in exact rational arithmetic."""
    q = Fraction(p)
    pmf = [Fraction(math.comb(n, j)) * q**j * (1 - q) ** (n - j) for j in range(n + 1)]
    tails = [Fraction(0)] * (n + 2)
    for j in range(n, -1, -1):
        tails[j] = tails[j + 1] + pmf[j]
    return [float(t) for t in tails]


@pytest.mark.parametrize("n", [1, 7, 40, 113, 400])
@pytest.mark.parametrize("p", [0.003, 0.07, 0.3, 0.85])
def test_binomial_tail_matches_the_exact_sum(n, p):
    ks = np.arange(-1, n + 2)
    got = stats.binom_sf(ks, n, p)
    tails = _exact_sf(n, p)
    want = np.array([tails[max(int(k), 0)] for k in ks])
    big = want > 1e-280
    assert np.allclose(got[big], want[big], rtol=1e-9, atol=0)
    assert np.all(got[~big] < 1e-250)


def test_chi_square_tail_at_known_points():
    # the 5% critical values of the chi-square table
    crit = {1: 3.841459, 2: 5.991465, 5: 11.070498, 10: 18.307038, 30: 43.772972,
            50: 67.504807, 100: 124.342113}
    got = stats.chi2_sf(list(crit.values()), list(crit.keys()))
    assert np.allclose(got, 0.05, atol=2e-7)
    # two degrees of freedom: exp(-x/2); Q(k, λ) is the Poisson cdf below k
    assert np.allclose(stats.chi2_sf([0.5, 3.0, 40.0], 2), np.exp(-np.array([0.25, 1.5, 20])))
    lam, k = 7.3, 5
    poisson = sum(math.exp(-lam) * lam**j / math.factorial(j) for j in range(k))
    assert stats.gammaincc(k, lam)[()] == pytest.approx(poisson, rel=1e-12)
    assert stats.chi2_sf(0.0, 4)[()] == 1.0


def test_benjamini_hochberg_and_effect_size():
    p = np.array([0.01, 0.04, 0.03, 0.005, 0.5])
    # sorted 0.005 0.01 0.03 0.04 0.5 → ×5/rank 0.025 0.025 0.05 0.05 0.5
    assert np.allclose(stats.bh_qvalues(p), [0.025, 0.05, 0.05, 0.025, 0.5])
    assert stats.bh_qvalues([]).size == 0
    assert stats.cohens_h(0.5, 0.5)[()] == 0
    assert stats.cohens_h(0.12, 0.02)[()] == pytest.approx(0.4244, abs=1e-3)


def test_homogeneity_tells_alike_from_different_groups():
    _stat, df, p = stats.homogeneity([10, 11, 9, 10], [100, 100, 100, 100])
    assert df == 3 and p > 0.9
    stat, df, p = stats.homogeneity([5, 30, 10], [100, 100, 100])
    assert df == 2 and p < 1e-5
    assert stat == pytest.approx(27.45098, rel=1e-6)  # Pearson's X² by hand
    assert stats.homogeneity([0, 0], [10, 10])[2] == 1.0


PLANTED = {"Agent 07": "empathy", "Agent 23": "greeting", "Agent 41": "accuracy",
           "Agent 52": "verify_identity"}


@pytest.fixture
def planted(store):
    """60 agents in three teams, 60 contacts each. Everyone fails case_notes about 35% of the
    time (a floor-wide, common cause); four agents fail one criterion far more often than the
    floor; critical slips are rare and random: 15 agents, picked at random, slip once on data
    protection and 12 once on identity, on a random contact."""
    load_rubric_paths(store, [DATA / "planted_rubric.yaml", DATA / "planted_modules.yaml"],
                      actor="test")
    add_evaluator(store, "Lena Lead", role="lead", actor="test")  # setup: no lead yet
    add_evaluator(store, "Ann", role="evaluator", actor="Lena Lead")
    for name in ("Tess Trainer", "Tina Trainer"):
        add_evaluator(store, name, role="trainer", actor="Lena Lead")
    rng = np.random.default_rng(20261102)
    agents = {f"Agent {i:02d}": ("Billing", "Tech", "Retention")[i % 3] for i in range(60)}
    names, per = list(agents), 60
    base = {"greeting": 0.05, "empathy": 0.08, "accuracy": 0.06, "case_notes": 0.35}
    rates = {k: np.full((len(agents), 1), r) for k, r in base.items()}
    rates["verify_identity"] = np.zeros((len(agents), 1))
    for agent, key in PLANTED.items():
        rates[key][names.index(agent)] = 0.45
    fails = {k: rng.random((len(agents), per)) < r for k, r in rates.items()}
    fails["data_protection"] = np.zeros((len(agents), per), dtype=bool)
    for key, count in (("data_protection", 15), ("verify_identity", 12)):
        who = rng.choice(len(agents), size=count, replace=False)
        fails[key][who, rng.integers(0, per, size=count)] = True
    contacts = bulk_routine_scores(store, "planted", agents, fails, per)
    return store, contacts


def test_the_plan_finds_the_planted_agents_one_systemic_finding_and_reviews_slips(planted):
    store, contacts = planted
    rows = coaching.plan(store, actor="Lena Lead", today=TODAY)
    refreshers = {(r.assignee, r.evidence.criteria[0].criterion)
                  for r in rows if r.kind == "refresher"}
    assert refreshers == set(PLANTED.items())
    for r in rows:
        if r.kind == "refresher":
            assert r.priority in ("high", "medium")
            c = r.evidence.criteria[0]
            assert c.q_value <= 0.05 and c.effect_h >= 0.3 and c.answers >= 8
            failing = contacts[c.criterion]
            assert r.evidence.examples and set(r.evidence.examples) <= set(failing)
    systemic = [r for r in rows if r.kind == "systemic"]
    assert len(systemic) == 1
    assert systemic[0].role == "floor" and systemic[0].module_id == "MOD-NOTES"
    assert systemic[0].trainer == "Tess Trainer"
    assert systemic[0].evidence.lead == "Lena Lead"
    assert systemic[0].evidence.criteria[0].agents == 60
    assert not any(r.module_id == "MOD-NOTES" for r in rows if r.kind != "systemic")
    # every data-protection slip is a review of that contact, none a refresher
    reviews = [r for r in rows if r.kind == "critical_review"]
    slips = set(contacts["data_protection"])
    reviewed = {r.evidence.contact for r in reviews
                if "data_protection" in {c.criterion for c in r.evidence.criteria}}
    assert slips and reviewed == slips
    assert not any(r.module_id == "MOD-PCI" for r in rows)
    assert all(r.priority == "high" and r.due_on == date(2026, 11, 5)
               and r.trainer == "Lena Lead" and list(r.evidence.examples)
               == [r.evidence.contact] for r in reviews)
    # the planted identity pattern is a refresher, so that agent's identity fails are its
    # evidence rather than reviews; other agents' identity slips are reviewed one by one
    ver_reviews = {(r.assignee, r.evidence.contact) for r in reviews
                   if "verify_identity" in {c.criterion for c in r.evidence.criteria}}
    assert ver_reviews and not any(a == "Agent 52" for a, _c in ver_reviews)
    # a contact is reviewed once, even when the review is Done
    first = reviews[0].id
    coaching.set_statuses(store, {first: ("Done", "test")}, actor="Lena Lead")
    again = coaching.plan(store, actor="Lena Lead", today=TODAY)
    assert not any(r.kind == "critical_review" and r.id != first
                   and r.evidence.contact == reviews[0].evidence.contact
                   for r in again)
    assert len(again) == len(rows) - 1


def test_a_weak_team_is_one_team_finding_not_a_refresher_each(store):
    """One team fails empathy at the same high rate; the others do not."""
    load_rubric_paths(store, [DATA / "planted_rubric.yaml", DATA / "planted_modules.yaml"],
                      actor="test")
    add_evaluator(store, "Lena Lead", role="lead", actor="test")  # setup: no lead yet
    add_evaluator(store, "Ann", role="evaluator", actor="Lena Lead")
    rng = np.random.default_rng(7)
    agents = {f"Agent {i:02d}": ("Billing", "Tech", "Retention")[i % 3] for i in range(30)}
    weak = np.array([team == "Retention" for team in agents.values()])[:, None]
    fails = {"empathy": rng.random((30, 40)) < np.where(weak, 0.4, 0.06)}
    bulk_routine_scores(store, "planted", agents, fails, 40)
    rows = coaching.plan(store, actor="Lena Lead", today=TODAY, save=False)
    assert [(r.kind, r.assignee, r.role, r.module_id) for r in rows] == [
        ("systemic", "Retention", "team", "MOD-EMP")]


def test_examples_are_found_for_criteria_pooled_across_rubrics(store, tmp_path):
    """An agent fails empathy in two rubrics: the pooled finding still lists the contacts
    (the rubric named in the evidence is "mini, mini_email", which is no rubric's name)."""
    ids = seed_basics(store, n_interactions=36)
    email = tmp_path / "mini_email.yaml"
    email.write_text((DATA / "mini_rubric.yaml").read_text().replace(
        "name: mini", "name: mini_email").replace("channel: chat", "channel: email"))
    load_rubric_paths(store, [email], actor=LEAD)
    rows = []
    for n, ext in enumerate(ids):
        answers = dict(FULL_PASS)
        if n % 3 == 0:
            answers["empathy"] = 1
        for key, value in answers.items():
            rows.append((ext, "Ann", key, value, f"2026-10-{n % 28 + 1:02d}T10:00:00+00:00"))
    path = tmp_path / "history.csv"
    write_history_csv(path, rows)
    text = path.read_text().splitlines()
    # the second half of Agent 0's contacts were scored on the e-mail rubric
    half = [line.replace(",mini,", ",mini_email,") if i > len(text) // 2 else line
            for i, line in enumerate(text)]
    path.write_text("\n".join(half) + "\n")
    import_evaluations(store, [path], actor=LEAD)
    plan = coaching.plan(store, actor=LEAD, today=TODAY, save=False,
                         settings=coaching.CoachingSettings(min_group_agents=4))
    found = [r for r in plan if r.kind == "refresher"]
    assert [(r.assignee, r.module_id) for r in found] == [("Agent 0", "MOD-EMP")]
    assert found[0].evidence.criteria[0].rubric == "mini, mini_email"
    examples = found[0].evidence.examples
    assert len(examples) == 5 and all(e.startswith("crm:C-") for e in examples)
    assert all(int(e.split("-")[1]) % 3 == 0 for e in examples)
