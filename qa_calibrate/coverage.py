"""How often the session report's intervals hold the truth, by simulation with known truth.

The model (issue 16): each interaction's true answer to a yes/no criterion is yes with
probability q; each of r raters reports it correctly with probability p, independently. The
truth for coverage is each coefficient's population value under that model, computed
analytically (``population_values``; a 400,000-interaction simulation agrees to 3 decimals).
Simulated sessions go through ``report._report_from_data``, the builder ``session_report``
uses, so the figures are the report's own. ``bench/coverage.py`` prints the table;
``tests/test_coverage.py`` checks a small seeded run.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import models as m
from .report import ReportSettings, SessionData, SessionSummary, _report_from_data

COVERED = ("percent_agreement", "gwet_ac1", "krippendorff_alpha")


def population_values(p: float, q: float) -> dict[str, float]:
    """Percent agreement, Gwet's AC1 and Krippendorff's alpha (nominal) of the population.

    A pair of raters agrees with probability PA = p² + (1 − p)² whatever the truth; a rating is
    yes with probability π = qp + (1 − q)(1 − p). AC1 = (PA − Pe)/(1 − Pe) with
    Pe = 2π(1 − π); alpha's expected disagreement between ratings of different interactions is
    2π(1 − π), so alpha = 1 − (1 − PA)/(2π(1 − π)) (Scott's π and Fleiss' κ in the limit)."""
    pa = p * p + (1.0 - p) ** 2
    pi = q * p + (1.0 - q) * (1.0 - p)
    pe = 2.0 * pi * (1.0 - pi)
    return {"percent_agreement": pa, "gwet_ac1": (pa - pe) / (1.0 - pe),
            "krippendorff_alpha": 1.0 - (1.0 - pa) / pe}


def _session_data(ratings: np.ndarray) -> SessionData:
    """A revealed session of one binary criterion with ``ratings`` (interactions × raters)."""
    n, r = ratings.shape
    crit = m.Criterion(id=1, rubric_id=1, key="resolved", section="Outcome", position=0,
                       question="Resolved?", scale="binary", max_value=1, min_value=0,
                       pass_at=1)
    values = ratings.astype(float).reshape(n, r, 1)
    return SessionData(
        session=m.CalibrationSession(id=1, name="simulated", rubric_id=1, lead_id=1,
                                     state="revealed"),
        rubric=m.Rubric(id=1, name="sim", version=1, title="sim", content_hash="",
                        definition="{}"),
        criteria=[crit],
        interactions=[m.Interaction(id=i + 1, source="sim", external_id=f"S-{i}",
                                    channel="chat") for i in range(n)],
        evaluators=[m.Evaluator(id=e + 1, name=f"Rater {e + 1}", role="evaluator")
                    for e in range(r)],
        benchmark_index=None, values=values, na=np.zeros(values.shape, dtype=bool),
        answered=np.ones(values.shape, dtype=bool))


def simulate_ratings(rng: np.random.Generator, n: int, r: int, p: float, q: float) -> np.ndarray:
    """(n × r) yes/no ratings (1/0) under the model."""
    truth = rng.random(n) < q
    correct = rng.random((n, r)) < p
    return np.where(correct, truth[:, None], ~truth[:, None]).astype(float)


@dataclass
class Tally:
    """Coverage of one coefficient over simulated sessions."""

    sessions: int = 0
    defined: int = 0  # sessions with a value and an interval
    covered: int = 0
    zero_width: int = 0
    below: int = 0  # intervals wholly below the truth
    width: float = 0.0
    reasons: dict[str, int] = field(default_factory=dict)

    def add(self, fig: Any, truth: float) -> None:
        self.sessions += 1
        if not fig.defined or math.isnan(fig.ci_low) or math.isnan(fig.ci_high):
            key = fig.undefined or "no interval"
            self.reasons[key] = self.reasons.get(key, 0) + 1
            return
        self.defined += 1
        self.covered += fig.ci_low <= truth <= fig.ci_high
        self.below += fig.ci_high < truth
        self.zero_width += fig.ci_high - fig.ci_low <= 1e-12
        self.width += fig.ci_high - fig.ci_low

    def summary(self) -> dict[str, float]:
        d = max(self.defined, 1)
        return {"coverage": self.covered / d, "zero_width": self.zero_width / d,
                "mean_width": self.width / d, "below_truth": self.below / d,
                "defined": self.defined / max(self.sessions, 1), "n": self.defined}


def measure_coverage(conditions: Iterable[tuple[int, int, float, float]], sessions: int, *,
                     seed: int = 2026, settings: ReportSettings | None = None,
                     names: Sequence[str] = COVERED) -> dict[str, Tally]:
    """Coverage pooled over ``conditions`` (interactions, raters, p, q), ``sessions`` each."""
    settings = settings or ReportSettings()
    rng = np.random.default_rng(seed)
    tallies = {name: Tally() for name in names}
    for n, r, p, q in conditions:
        truth = population_values(p, q)
        for _ in range(sessions):
            data = _session_data(simulate_ratings(rng, n, r, p, q))
            summary = SessionSummary(id=1, name="simulated", state="revealed", rubric="sim@1",
                                     interactions=n, evaluators=(), benchmark=None)
            crit = _report_from_data(data, summary, settings).criteria[0]
            for name in names:
                tallies[name].add(crit.figure(name), truth[name])
    return tallies


def status_shares(n: int, r: int, p: float, q: float, sessions: int, *, seed: int = 2026,
                  settings: ReportSettings | None = None) -> dict[str, float]:
    """Share of simulated sessions in which the criterion is flagged, passes or can't tell,
    against the objective target (the flag's error rates at a true agreement near it)."""
    settings = settings or ReportSettings()
    rng = np.random.default_rng(seed)
    seen = {"flagged": 0, "passes": 0, "cant_tell": 0}
    for _ in range(sessions):
        data = _session_data(simulate_ratings(rng, n, r, p, q))
        summary = SessionSummary(id=1, name="simulated", state="revealed", rubric="sim@1",
                                 interactions=n, evaluators=(), benchmark=None)
        seen[_report_from_data(data, summary, settings).criteria[0].status] += 1
    return {k: v / sessions for k, v in seen.items()}


def attainable_pa_coverage(n: int, r: int, p: float) -> tuple[float, float]:
    """The coverages of percent agreement's interval on either side of 95% that an interval
    can reach at all at ``n`` interactions × ``r`` raters with raters right with probability
    ``p``. A session's agreement depends only on the multiset of dissent counts (raters giving
    the other answer) of its interactions, so its interval is a function of that multiset.
    Enumerated with their probabilities, and taking an interval that holds a multiset to hold
    every one whose agreement lies nearer the truth (wider intervals nearer it, as Wilson's
    are), the coverages it can have are the cumulative probabilities in that order. At 10 × 6
    and p = 0.99 they jump from 0.89 to 0.98: no such interval covers between."""
    from itertools import combinations_with_replacement

    truth = population_values(p, 0.5)["percent_agreement"]
    d = np.arange(r + 1)
    p_d = np.array([math.comb(r, int(k)) * (1 - p) ** k * p ** (r - k) for k in d])
    a_d = 1.0 - 2.0 * d * (r - d) / (r * (r - 1.0))
    states = []
    for combo in combinations_with_replacement(range(r + 1), n):
        counts_ = np.bincount(combo, minlength=r + 1)
        ways = math.factorial(n)
        for c in counts_:
            ways //= math.factorial(int(c))
        prob = ways * float(np.prod(p_d ** counts_))
        states.append((abs(float(a_d[list(combo)].mean()) - truth), prob))
    states.sort()
    cum = np.cumsum([prob for _dist, prob in states])
    below = float(cum[cum <= 0.95].max(initial=0.0))
    above = float(cum[cum >= 0.95].min(initial=1.0))
    return below, above
