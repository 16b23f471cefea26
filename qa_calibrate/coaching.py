"""Coaching plans: findings of three kinds for agents, recalibration for evaluators. Findings
are stored as assignments so trainers can track them.

Deming's distinction decides who is coached (the README has the numbers):

- ``refresher`` (special cause): an agent whose fail rate on a criterion is significantly above
  the rest of the floor *and* the rest of their own team (one-sided exact binomial tests; the
  larger of the two p-values counts), with Benjamini–Hochberg false-discovery control across
  every agent × criterion test of the plan (``fdr``), a practical effect size (Cohen's h against
  the higher of the two reference rates ≥ ``min_effect``), at least ``min_answers`` answers and
  ``min_fails`` fails. The reference rates add half a fail in one more answer, so one fail where
  nobody else failed is not a pattern.
  Priority from the effect size: h ≥ 0.8 high, ≥ 0.5 medium, else low. A criterion key pools
  the agent's answers across rubrics; criteria sharing a module make one assignment.
- ``systemic`` (common cause): a criterion the floor, or else a team, fails broadly — the
  pooled rate of its agents (leaving out those with a refresher on it) is at least
  ``fail_threshold`` (``critical_fail_threshold`` for a critical criterion), over at least
  ``min_group_agents`` agents with ``min_answers`` each, of whom at least ``min_group_agents``
  failed it — while a chi-square homogeneity test
  does not find the agents different (p ≥ ``homogeneity_alpha``). One finding for the QA lead
  and the module's trainer, not an assignment per agent.
- ``critical_review``: every contact with a failed critical criterion, for the lead to review
  with the agent within ``review_due_days``, unless a refresher or systemic finding on that
  criterion already covers the agent (then the contact is that finding's evidence).
- ``recalibration``: evaluators who drift (high) or whose calibration score is below
  ``min_calibration_score`` (medium).

No duplicate: a refresher, systemic finding or recalibration identical in kind, assignee, module
and criteria to one that is not Done is not created again; a contact is reviewed once.

The plan reads the store in three set-based queries (counts per agent × criterion, the critical
failures, the recent failing contacts of the flagged agents) plus drift and the evaluator report,
and saves the new assignments with one bulk insert.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import date, datetime, timedelta, timezone
from typing import Any, TypeVar

import numpy as np
from sqlalchemy import ColumnElement, Select, Table, and_, case, func, insert
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from . import models as m
from .errors import InputError, NotFound
from .store import Store, _audit, _audit_many

STATUSES = ("Not started", "In progress", "Done")
PRIORITIES = ("high", "medium", "low")
KINDS = ("refresher", "systemic", "critical_review", "recalibration")
RECALIBRATION = "RECALIBRATION"
CRITICAL_REVIEW = "CRITICAL-REVIEW"
PROCESS_REVIEW = "PROCESS-REVIEW"
FLOOR = "Whole floor"
PLAN_KEYS = ("id", "kind", "assignee", "role", "team", "site", "module_id", "module_title",
             "reason", "evidence", "priority", "assigned_on", "due_on", "trainer", "status",
             "completed_on", "acknowledged", "notes", "version")
# What a trainer may change (in the workbook), with the workbook's column names.
EDITABLE = {"status": "Status", "completed_on": "Completed on", "acknowledged": "Acknowledged",
            "notes": "Notes"}
NOTES_LIMIT = 2000

Progress = Callable[[str, int, int], None]
"""progress(stage, done, total): the plan reports each stage as it finishes."""

# The Core tables of the plan's bulk insert (SQLModel does not type __table__).
_ASSIGNMENT: Table = m.Assignment.__table__  # type: ignore[attr-defined]

PLAN_STAGES = ("counting answers", "testing agents", "critical failures", "example contacts",
               "evaluators", "saving")


@dataclass(frozen=True)
class CoachingSettings:
    fail_threshold: float = 0.25  # a group failing an ordinary criterion this often: systemic
    critical_fail_threshold: float = 0.05  # ... a critical (auto-fail) criterion
    min_answers: int = 8
    min_fails: int = 2  # one fail is a slip, not a pattern
    fdr: float = 0.05  # Benjamini–Hochberg false-discovery rate over the plan's tests
    min_effect: float = 0.3  # Cohen's h of the agent's rate against the reference rate
    medium_effect: float = 0.5
    high_effect: float = 0.8
    homogeneity_alpha: float = 0.05
    min_group_agents: int = 3
    examples: int = 5
    min_calibration_score: float = 80.0
    due_days: int = 14
    high_due_days: int = 7
    review_due_days: int = 3


def _fail_expr() -> ColumnElement[int]:
    """1 for an answered criterion below its pass mark, else 0."""
    return case((and_(col(m.Answer.na).is_(False),
                      col(m.Answer.value) < col(m.Criterion.pass_at)), 1), else_=0)


_Q = TypeVar("_Q", bound=Select[Any])


def _routine(q: _Q, since: datetime | None, until: datetime | None) -> _Q:
    """Only submitted routine scoring (no calibration session) in the period."""
    q = q.where(col(m.Evaluation.context) == 0, col(m.Evaluation.status) == "submitted")
    if since is not None:
        q = q.where(col(m.Evaluation.scored_at) >= since)
    if until is not None:
        q = q.where(col(m.Evaluation.scored_at) < until)
    return q


def _answers_joined(*columns: Any) -> Select[Any]:
    """``columns`` over every answer, with its evaluation and criterion joined."""
    return (sa_select(*columns).select_from(m.Answer)
            .join(m.Evaluation, col(m.Evaluation.id) == col(m.Answer.evaluation_id))
            .join(m.Criterion, col(m.Criterion.id) == col(m.Answer.criterion_id)))


@dataclass
class FloorCounts:
    """Answers and fails per agent × criterion key (dense arrays), with the agent's team."""

    agents: list[str]
    keys: list[str]
    teams: list[str | None]  # the team names; ``agent_team`` indexes into it
    agent_team: np.ndarray  # (A,) the team where the agent has most answers
    agent_site: list[str | None]
    answers: np.ndarray  # (A, K)
    fails: np.ndarray  # (A, K)
    module: list[str | None]  # (K,)
    critical: np.ndarray  # (K,) bool
    rubrics: list[list[list[str]]]  # [a][k] rubric names involved


def floor_counts(store: Store, *, since: datetime | None = None,
                 until: datetime | None = None) -> FloorCounts:
    """One grouped query over the routine answers of the period (grouped by agent, team, site
    and criterion id, so no rubric join and no string key in the grouping), folded into arrays
    by criterion key with the criteria table alongside."""
    fail = _fail_expr()
    agent, team, site = (col(m.Interaction.agent), col(m.Interaction.team),
                         col(m.Interaction.site))
    q = (
        _answers_joined(agent, team, site, col(m.Answer.criterion_id), func.count(),
                        func.sum(fail))
        .join(m.Interaction, col(m.Interaction.id) == col(m.Evaluation.interaction_id))
        .where(col(m.Answer.na).is_(False), agent.is_not(None))
        .group_by(agent, team, site, col(m.Answer.criterion_id))
    )
    crit_q = (sa_select(col(m.Criterion.id), col(m.Rubric.name), col(m.Criterion.key),
                        col(m.Criterion.refresher_module), col(m.Criterion.critical))
              .join(m.Rubric, col(m.Rubric.id) == col(m.Criterion.rubric_id)))
    with store.read_connection() as conn:
        rows = conn.execute(_routine(q, since, until)).all()
        criteria = {r[0]: tuple(r[1:]) for r in conn.execute(crit_q)}
    used = {r[3] for r in rows}
    keys = sorted({criteria[cid][1] for cid in used})
    k_of = {k: i for i, k in enumerate(keys)}
    K = len(keys)
    module: list[str | None] = [None] * K
    critical = np.zeros(K, dtype=bool)
    for cid in sorted(used):  # a key means the same in every rubric: pool module and critical
        _rubric, key, mod, crit = criteria[cid]
        module[k_of[key]] = module[k_of[key]] or mod
        critical[k_of[key]] |= bool(crit)
    agents = sorted({r[0] for r in rows})
    places = sorted({(r[1], r[2]) for r in rows}, key=lambda p: (str(p[0]), str(p[1])))
    a_of = {a: i for i, a in enumerate(agents)}
    p_of = {p: i for i, p in enumerate(places)}
    ai = np.array([a_of[r[0]] for r in rows], dtype=np.int64)
    ki = np.array([k_of[criteria[r[3]][1]] for r in rows], dtype=np.int64)
    pi = np.array([p_of[(r[1], r[2])] for r in rows], dtype=np.int64)
    n = np.array([int(r[4]) for r in rows], dtype=np.int64)
    x = np.array([int(r[5] or 0) for r in rows], dtype=np.int64)
    A, P = len(agents), len(places)
    answers = np.zeros((A, K), dtype=np.int64)
    fails = np.zeros((A, K), dtype=np.int64)
    np.add.at(answers, (ai, ki), n)
    np.add.at(fails, (ai, ki), x)
    by_place = np.zeros((A, max(P, 1)), dtype=np.int64)
    np.add.at(by_place, (ai, pi), n)
    main_place = by_place.argmax(axis=1) if A else np.zeros(0, dtype=np.int64)
    teams = sorted({p[0] for p in places}, key=str)
    t_of = {t: i for i, t in enumerate(teams)}
    agent_team = np.array([t_of[places[p][0]] for p in main_place], dtype=np.int64)
    agent_site = [places[p][1] for p in main_place]
    rubrics: list[list[list[str]]] = [[[] for _ in range(K)] for _ in range(A)]
    for r in rows:  # one pass over the grouped rows (agent × place × criterion), not answers
        names = rubrics[a_of[r[0]]][k_of[criteria[r[3]][1]]]
        if criteria[r[3]][0] not in names:
            names.append(criteria[r[3]][0])
    return FloorCounts(agents=agents, keys=keys, teams=teams, agent_team=agent_team,
                       agent_site=agent_site, answers=answers, fails=fails, module=module,
                       critical=critical, rubrics=rubrics)


def criterion_failure_rates(
    store: Store, *, since: datetime | None = None, until: datetime | None = None,
    actor: str,
) -> list[dict[str, Any]]:
    """Failure rate per rubric criterion over the period (for the workbook's chart). Leads
    and trainers."""
    from .access import _require

    fail = _fail_expr()
    rubric, key = col(m.Rubric.name), col(m.Criterion.key)
    q = (
        _answers_joined(rubric, key, func.count(), func.sum(fail))
        .join(m.Rubric, col(m.Rubric.id) == col(m.Evaluation.rubric_id))
        .where(col(m.Answer.na).is_(False))
        .group_by(rubric, key)
        .order_by(rubric, key)
    )
    with store.read() as session:
        _require(session, actor, "coaching.list")
        rows = session.connection().execute(_routine(q, since, until)).all()
    return [{"rubric": r[0], "criterion": r[1], "answers": int(r[2]),
             "fails": int(r[3] or 0), "fail_rate": int(r[3] or 0) / int(r[2])}
            for r in rows if r[2]]


@dataclass
class Tests:
    """The agent × criterion tests of a plan, as arrays over (A, K)."""

    eligible: np.ndarray
    rate: np.ndarray
    floor_rate: np.ndarray  # everyone else's rate on the criterion
    team_rate: np.ndarray  # the rest of the agent's team (NaN alone in the team)
    p_value: np.ndarray
    q_value: np.ndarray
    effect: np.ndarray
    refresher: np.ndarray


def test_agents(c: FloorCounts, s: CoachingSettings) -> Tests:
    """One-sided exact binomial tests of every agent × criterion against the rest of the floor
    and the rest of the team, BH-adjusted across the plan, with Cohen's h."""
    from .stats import bh_qvalues, binom_sf, cohens_h

    n, x = c.answers.astype(float), c.fails.astype(float)
    has_module = np.array([mod is not None for mod in c.module], dtype=bool)
    eligible = ((c.answers >= s.min_answers) & (c.fails >= s.min_fails)
                & has_module[None, :])
    N, X = n.sum(axis=0), x.sum(axis=0)
    T = len(c.teams)
    tn = np.zeros((T, n.shape[1]))
    tx = np.zeros((T, n.shape[1]))
    np.add.at(tn, c.agent_team, n)
    np.add.at(tx, c.agent_team, x)
    # The reference rates carry half a fail in one more answer, so a group where nobody else
    # failed does not make a single fail infinitely significant.
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = x / n
        rest_n, rest_x = N[None, :] - n, X[None, :] - x
        floor_rate = np.where(rest_n > 0, (rest_x + 0.5) / (rest_n + 1.0), np.nan)
        team_n, team_x = tn[c.agent_team] - n, tx[c.agent_team] - x
        team_rate = np.where(team_n > 0, (team_x + 0.5) / (team_n + 1.0), np.nan)
    p = np.ones_like(n)
    test = eligible & ~np.isnan(floor_rate)
    if test.any():
        p_floor = binom_sf(x[test], n[test], floor_rate[test])
        tr = team_rate[test]
        p_team = np.where(np.isnan(tr), 0.0, binom_sf(x[test], n[test], np.nan_to_num(tr)))
        p[test] = np.maximum(p_floor, p_team)  # above both: the larger p-value counts
    q = np.ones_like(n)
    q[test] = bh_qvalues(p[test])
    reference = np.fmax(floor_rate, team_rate)
    effect = np.where(test, cohens_h(np.nan_to_num(rate), np.nan_to_num(reference)), 0.0)
    refresher = test & (q <= s.fdr) & (effect >= s.min_effect)
    return Tests(eligible=test, rate=rate, floor_rate=floor_rate, team_rate=team_rate,
                 p_value=p, q_value=q, effect=effect, refresher=refresher)


@dataclass
class Systemic:
    key: int
    team: int | None  # None: the whole floor
    agents: int
    answers: int
    fails: int
    chi2: float
    df: int
    p_value: float

    @property
    def rate(self) -> float:
        return self.fails / self.answers if self.answers else math.nan


def find_systemic(c: FloorCounts, t: Tests, s: CoachingSettings) -> list[Systemic]:
    """Criteria the floor (or else a team) fails broadly with agents alike."""
    from .stats import homogeneity

    out: list[Systemic] = []
    enough = c.answers >= s.min_answers
    for k in range(len(c.keys)):
        threshold = s.critical_fail_threshold if c.critical[k] else s.fail_threshold
        members = enough[:, k] & ~t.refresher[:, k]

        def group(mask: np.ndarray, team: int | None, k: int = k,
                  threshold: float = threshold) -> Systemic | None:
            if mask.sum() < s.min_group_agents:
                return None
            n, x = c.answers[mask, k], c.fails[mask, k]
            if x.sum() < threshold * n.sum() or (x > 0).sum() < s.min_group_agents:
                return None
            chi2, df, p = homogeneity(x, n)
            if p < s.homogeneity_alpha:
                return None
            return Systemic(key=k, team=team, agents=int(mask.sum()), answers=int(n.sum()),
                            fails=int(x.sum()), chi2=chi2, df=df, p_value=p)

        floor = group(members, None)
        if floor is not None:
            out.append(floor)
            continue
        for team in range(len(c.teams)):
            found = group(members & (c.agent_team == team), team)
            if found is not None:
                out.append(found)
    return out


@dataclass
class Proposed:
    kind: str
    assignee: str
    role: str
    team: str | None
    site: str | None
    module_id: str
    reason: str
    evidence: dict[str, Any]
    priority: str
    trainer: str | None = None
    due_days: int | None = None
    key: str = field(default="")

    @property
    def dedupe_key(self) -> str:
        if self.key:
            return self.key
        crits = sorted(c["criterion"] for c in self.evidence.get("criteria", []))
        return f"{self.kind}|{self.assignee}|{self.module_id}|{','.join(crits)}"


def _r(v: float, digits: int = 3) -> float | None:
    return None if v is None or math.isnan(v) else round(float(v), digits)


def _critical_failures(store: Store, since: datetime | None, until: datetime | None,
                       skip_keys: Sequence[str] = ()) -> list[tuple[Any, ...]]:
    """(agent, team, site, contact, rubric, key, scored_at, evaluator) of every failed critical
    answer in routine scoring, newest first, leaving out the criteria ``skip_keys`` (covered by
    a floor-wide finding)."""
    fail = _fail_expr()
    q = (
        _answers_joined(col(m.Interaction.agent), col(m.Interaction.team),
                        col(m.Interaction.site), col(m.Interaction.source),
                        col(m.Interaction.external_id), col(m.Rubric.name), col(m.Criterion.key),
                        col(m.Evaluation.scored_at), col(m.Evaluator.name))
        .join(m.Rubric, col(m.Rubric.id) == col(m.Evaluation.rubric_id))
        .join(m.Interaction, col(m.Interaction.id) == col(m.Evaluation.interaction_id))
        .join(m.Evaluator, col(m.Evaluator.id) == col(m.Evaluation.evaluator_id))
        .where(col(m.Criterion.critical).is_(True), fail == 1,
               col(m.Interaction.agent).is_not(None))
        .order_by(col(m.Evaluation.scored_at).desc(), col(m.Interaction.id))
    )
    with store.read_connection() as conn:
        # the critical criteria by id, so the answer index narrows the scan to their answers
        ids = [cid for cid, key in conn.execute(
            sa_select(col(m.Criterion.id), col(m.Criterion.key)).where(
                col(m.Criterion.critical).is_(True)))
            if key not in set(skip_keys)]
        if not ids:
            return []
        q = q.where(col(m.Answer.criterion_id).in_(ids))
        return [tuple(r) for r in conn.execute(_routine(q, since, until)).all()]


def _examples(
    store: Store, pairs: set[tuple[str, str]], since: datetime | None, until: datetime | None,
    limit: int = 5,
) -> dict[tuple[str, str], list[str]]:
    """The most recent failing contacts of each (agent, criterion key), in one query. The key
    is pooled across rubrics, as in the counts."""
    if not pairs:
        return {}
    fail = _fail_expr()
    agent, key = col(m.Interaction.agent), col(m.Criterion.key)
    rank = func.row_number().over(
        partition_by=(agent, key),
        order_by=(col(m.Evaluation.scored_at).desc(), col(m.Interaction.id).desc()),
    ).label("rank")
    inner = (
        _answers_joined(agent, key, col(m.Interaction.source), col(m.Interaction.external_id),
                        rank)
        .join(m.Interaction, col(m.Interaction.id) == col(m.Evaluation.interaction_id))
        .where(fail == 1, agent.in_(sorted({a for a, _k in pairs})),
               key.in_(sorted({k for _a, k in pairs})))
    )
    sub = _routine(inner, since, until).subquery()
    q = sa_select(sub.c.agent, sub.c.key, sub.c.source, sub.c.external_id).where(
        sub.c.rank <= limit * 2).order_by(sub.c.agent, sub.c.key, sub.c.rank)
    out: dict[tuple[str, str], list[str]] = {}
    with store.read_connection() as conn:
        for agent, key, source, ext in conn.execute(q):
            if (agent, key) in pairs:
                refs = out.setdefault((agent, key), [])
                ref = f"{source}:{ext}"
                if ref not in refs and len(refs) < limit:
                    refs.append(ref)
    return out


def _priority(effect: float, s: CoachingSettings) -> str:
    if effect >= s.high_effect:
        return "high"
    return "medium" if effect >= s.medium_effect else "low"


def propose(
    store: Store,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    team: str | None = None,
    settings: CoachingSettings | None = None,
    include_evaluators: bool = True,
    progress: Progress | None = None,
) -> list[Proposed]:
    """What the findings call for, before de-duplication against stored assignments. Tests run
    over the whole floor; ``team`` only narrows what is returned."""
    s = settings or CoachingSettings()
    step = _stepper(progress)
    c = floor_counts(store, since=since, until=until)
    step("counting answers")
    t = test_agents(c, s)
    systemic = find_systemic(c, t, s)
    step("testing agents")
    floor_systemic = {g.key for g in systemic if g.team is None}
    crit_rows = _critical_failures(store, since, until, [c.keys[k] for k in floor_systemic])
    step("critical failures")
    a_of = {a: i for i, a in enumerate(c.agents)}
    k_of = {k: i for i, k in enumerate(c.keys)}
    team_systemic = {(g.team, g.key) for g in systemic if g.team is not None}

    def covered(agent: str, key: str) -> bool:
        a, k = a_of.get(agent), k_of.get(key)
        if a is None or k is None:
            return False
        return bool(t.refresher[a, k]) or k in floor_systemic or (
            int(c.agent_team[a]), k) in team_systemic

    pairs = {(c.agents[a], c.keys[k]) for a, k in zip(*np.nonzero(t.refresher), strict=True)}
    examples = _examples(store, pairs, since, until, limit=s.examples)
    step("example contacts")
    out: list[Proposed] = []
    out += _refreshers(c, t, s, examples)
    out += _systemic_findings(c, systemic, s)
    out += _critical_reviews(crit_rows, covered, s)
    if team is not None:
        out = [p for p in out if p.team == team or p.role == "floor"]
    if include_evaluators and team is None:
        out += _evaluator_proposals(store, since=since, settings=s)
    step("evaluators")
    return out


def _stepper(progress: Progress | None) -> Callable[[str], None]:
    done = [0]

    def step(stage: str) -> None:
        done[0] += 1
        if progress is not None:
            progress(stage, done[0], len(PLAN_STAGES))

    return step


def _refreshers(c: FloorCounts, t: Tests, s: CoachingSettings,
                examples: dict[tuple[str, str], list[str]]) -> list[Proposed]:
    by_agent_module: dict[tuple[int, str], list[int]] = {}
    for a, k in zip(*np.nonzero(t.refresher), strict=True):
        by_agent_module.setdefault((int(a), str(c.module[k])), []).append(int(k))
    out = []
    for (a, module), ks in sorted(by_agent_module.items(), key=lambda kv: (c.agents[kv[0][0]],
                                                                           kv[0][1])):
        agent = c.agents[a]
        effect = max(float(t.effect[a, k]) for k in ks)
        parts, criteria, refs = [], [], []
        for k in ks:
            rest = t.team_rate[a, k]
            team_txt = "" if math.isnan(rest) else f", rest of team {rest:.0%}"
            parts.append(f"{c.keys[k]}: failed {c.fails[a, k]}/{c.answers[a, k]} "
                         f"({t.rate[a, k]:.0%}; rest of floor {t.floor_rate[a, k]:.0%}"
                         f"{team_txt})")
            criteria.append({
                "rubric": ", ".join(sorted(c.rubrics[a][k])), "criterion": c.keys[k],
                "answers": int(c.answers[a, k]), "fails": int(c.fails[a, k]),
                "rate": _r(t.rate[a, k]), "team_rate": _r(t.team_rate[a, k]),
                "others_rate": _r(t.floor_rate[a, k]),
                "critical_fails": int(c.fails[a, k]) if c.critical[k] else 0,
                "p_value": float(f"{t.p_value[a, k]:.3g}"),
                "q_value": float(f"{t.q_value[a, k]:.3g}"), "effect_h": _r(t.effect[a, k], 2)})
            refs += examples.get((agent, c.keys[k]), [])
        team = c.teams[int(c.agent_team[a])]
        out.append(Proposed(
            kind="refresher", assignee=agent, role="agent", team=team, site=c.agent_site[a],
            module_id=module, priority=_priority(effect, s),
            reason="Above the floor on " + "; ".join(parts),
            evidence={"criteria": criteria,
                      "examples": list(dict.fromkeys(refs))[: s.examples]}))
    return out


def _systemic_findings(c: FloorCounts, groups: Sequence[Systemic],
                       s: CoachingSettings) -> list[Proposed]:
    by_scope_module: dict[tuple[int | None, str], list[Systemic]] = {}
    for g in groups:
        module = c.module[g.key] or PROCESS_REVIEW
        by_scope_module.setdefault((g.team, module), []).append(g)
    out = []
    for (team_i, module), items in sorted(by_scope_module.items(),
                                          key=lambda kv: (kv[0][0] is not None,
                                                          str(kv[0][0]), kv[0][1])):
        team = None if team_i is None else c.teams[team_i]
        scope = FLOOR if team_i is None else f"team {team}"
        parts = [f"{c.keys[g.key]}: {g.rate:.0%} of {g.answers} answers across {g.agents} "
                 f"agents, who do not differ (chi-square {g.chi2:.1f} on {g.df} df, "
                 f"p = {g.p_value:.2f})" for g in items]
        worst = max(g.rate / (s.critical_fail_threshold if c.critical[g.key]
                              else s.fail_threshold) for g in items)
        out.append(Proposed(
            kind="systemic", assignee=FLOOR if team is None else str(team),
            role="floor" if team is None else "team", team=team, site=None, module_id=module,
            priority="high" if worst >= 2 else "medium",
            reason=(f"Common cause for {scope}: " + "; ".join(parts)
                    + ". One group session or a process, knowledge-base or rubric review, "
                    "not a refresher per agent."),
            evidence={"scope": scope, "criteria": [
                {"rubric": ", ".join(sorted({r for a in range(len(c.agents))
                                             for r in c.rubrics[a][g.key]})),
                 "criterion": c.keys[g.key], "answers": g.answers, "fails": g.fails,
                 "rate": _r(g.rate), "agents": g.agents, "chi2": round(g.chi2, 2),
                 "df": g.df, "p_homogeneity": _r(g.p_value),
                 "critical_fails": g.fails if c.critical[g.key] else 0} for g in items],
                "examples": []}))
    return out


def _critical_reviews(rows: Sequence[tuple[Any, ...]], covered: Callable[[str, str], bool],
                      s: CoachingSettings) -> list[Proposed]:
    """One review per agent × contact with a failed critical criterion not already covered."""
    by_contact: dict[tuple[str, str], dict[str, Any]] = {}
    for agent, team, site, source, ext, rubric, key, scored_at, evaluator in rows:
        if covered(agent, key):
            continue
        ref = f"{source}:{ext}"
        item = by_contact.setdefault((agent, ref), {
            "team": team, "site": site, "criteria": {}, "scored_at": scored_at,
            "evaluators": []})
        item["criteria"].setdefault(key, rubric)
        if evaluator not in item["evaluators"]:
            item["evaluators"].append(evaluator)
    out = []
    for (agent, ref), item in sorted(by_contact.items()):
        keys = sorted(item["criteria"])
        when = item["scored_at"]
        day = when.date().isoformat() if isinstance(when, datetime) else str(when)[:10]
        out.append(Proposed(
            kind="critical_review", assignee=agent, role="agent", team=item["team"],
            site=item["site"], module_id=CRITICAL_REVIEW, priority="high",
            due_days=s.review_due_days,
            reason=(f"Critical fail on {ref} ({', '.join(keys)}; scored {day} by "
                    f"{', '.join(item['evaluators'])}): review the contact with the agent"),
            key=f"critical_review|{agent}|{ref}|{','.join(keys)}",
            evidence={"contact": ref, "criteria": [
                {"rubric": item["criteria"][k], "criterion": k, "critical_fails": 1}
                for k in keys], "examples": [ref]}))
    return out


def _evaluator_proposals(
    store: Store, *, since: datetime | None, settings: CoachingSettings
) -> list[Proposed]:
    from .drift import Flag, _detect_drift
    from .report import ReportSettings, _evaluators_report

    sites = {}
    with store.read() as session:
        for e in session.exec(select(m.Evaluator)).all():
            sites[e.name] = e.site
    out = []
    by_evaluator: dict[str, list[Flag]] = {}
    for flag in _detect_drift(store, since=since):
        by_evaluator.setdefault(flag.evaluator, []).append(flag)
    for name, flags in sorted(by_evaluator.items()):
        out.append(Proposed(
            kind="recalibration", assignee=name, role="evaluator", team=None,
            site=sites.get(name), module_id=RECALIBRATION, priority="high",
            reason="Drift: " + "; ".join(
                f"{f.direction} on {f.criterion} since {f.onset_date} ({f.size:+.0f} pts)"
                for f in flags),
            evidence={"criteria": [
                {"rubric": f.rubric, "criterion": f.criterion, "direction": f.direction,
                 "size": f.size, "first_date": f.first_date, "answers": f.evidence_count,
                 "source": f.source} for f in flags],
                "examples": [x for f in flags for x in f.examples][:5]},
        ))
    for row in _evaluators_report(store, ReportSettings(n_resamples=0)):
        score = row.calibration_score
        if math.isnan(score) or score >= settings.min_calibration_score:
            continue
        out.append(Proposed(
            kind="recalibration", assignee=row.evaluator, role="evaluator", team=None,
            site=sites.get(row.evaluator), module_id=RECALIBRATION, priority="medium",
            reason=(f"Calibration score {score:.0f} < {settings.min_calibration_score:.0f} "
                    f"over {row.sessions} session(s), mean gap {row.mean_gap:+.1f} pts"),
            evidence={"criteria": [], "calibration_score": round(score, 1),
                      "match_rate": row.match_rate, "sessions": row.sessions},
        ))
    return out


def _lead_name(session: Session) -> str | None:
    lead = session.exec(select(m.Evaluator).where(m.Evaluator.role == "lead")
                        .order_by(col(m.Evaluator.name))).first()
    return lead.name if lead else None


_LEAD_ITEMS = {
    RECALIBRATION: "Recalibration with the QA lead",
    CRITICAL_REVIEW: "Review of a critical failure with the QA lead",
    PROCESS_REVIEW: "Process, knowledge-base or rubric review",
}


def _module_info(session: Session, module_id: str,
                 lead: str | None) -> tuple[str, str | None]:
    mod = session.get(m.Module, module_id)
    if mod is not None:
        return mod.title, mod.owner
    if module_id in _LEAD_ITEMS:
        return _LEAD_ITEMS[module_id], lead
    return module_id, None


# ----------------------------------------------------------------------------- views


@dataclass(frozen=True)
class CriterionEvidence:
    """One criterion behind an assignment, with the figures its finding states: a refresher's
    rates and tests, a systemic finding's homogeneity test, a critical review's fail, an
    evaluator's drift. Figures a finding does not state are None."""

    criterion: str | None
    rubric: str | None = None
    answers: int | None = None
    fails: int | None = None
    rate: float | None = None
    team_rate: float | None = None
    others_rate: float | None = None
    critical_fails: int | None = None
    p_value: float | None = None
    q_value: float | None = None
    effect_h: float | None = None
    agents: int | None = None
    chi2: float | None = None
    df: int | None = None
    p_homogeneity: float | None = None
    direction: str | None = None
    size: float | None = None
    first_date: str | None = None
    source: str | None = None
    stated: tuple[str, ...] = field(default=(), repr=False)  # the figures stated, in order

    @classmethod
    def of(cls, data: Mapping[str, Any]) -> CriterionEvidence:
        stated = tuple(k for k in data if k in _CRITERION_FIELDS)
        return cls(**{k: data[k] for k in stated}, stated=stated)

    def to_dict(self) -> dict[str, Any]:
        """The stated figures, as the plan stored them."""
        return {k: getattr(self, k) for k in self.stated}


@dataclass(frozen=True)
class Evidence:
    """Why an assignment was made: the criteria, example contacts, and per kind the scope and
    lead (systemic), the contact (critical review) or the calibration figures (an evaluator
    below the calibration score)."""

    criteria: tuple[CriterionEvidence, ...] = ()
    examples: tuple[str, ...] = ()
    scope: str | None = None
    lead: str | None = None
    contact: str | None = None
    calibration_score: float | None = None
    match_rate: float | None = None
    sessions: int | None = None
    stated: tuple[str, ...] = field(default=(), repr=False)  # the keys stored, in order

    @classmethod
    def of(cls, data: Mapping[str, Any]) -> Evidence:
        stated = tuple(k for k in data if k in _EVIDENCE_FIELDS)
        values: dict[str, Any] = {k: data[k] for k in stated}
        values["criteria"] = tuple(CriterionEvidence.of(c) for c in data.get("criteria") or ())
        values["examples"] = tuple(data.get("examples") or ())
        return cls(**values, stated=stated)

    @classmethod
    def parse(cls, text: str | None) -> Evidence:
        """The evidence as stored (JSON text)."""
        return cls.of(json.loads(text or "{}"))

    def to_dict(self) -> dict[str, Any]:
        """The evidence as the plan stored it (the CLI's JSON prints this)."""
        out: dict[str, Any] = {}
        for k in self.stated:
            if k == "criteria":
                out[k] = [c.to_dict() for c in self.criteria]
            elif k == "examples":
                out[k] = list(self.examples)
            else:
                out[k] = getattr(self, k)
        return out


_CRITERION_FIELDS = frozenset(f.name for f in fields(CriterionEvidence)) - {"stated"}
_EVIDENCE_FIELDS = frozenset(f.name for f in fields(Evidence)) - {"stated"}


@dataclass(frozen=True)
class AssignmentView:
    """One coaching assignment as the layers show it (``id`` None: not saved, a dry run)."""

    id: int | None
    kind: str
    assignee: str
    role: str
    team: str | None
    site: str | None
    module_id: str
    module_title: str
    reason: str
    evidence: Evidence
    priority: str
    assigned_on: date
    due_on: date
    trainer: str | None
    status: str
    completed_on: date | None
    acknowledged: bool
    notes: str | None
    version: int

    @classmethod
    def of(cls, a: m.Assignment) -> AssignmentView:
        return cls(id=a.id, kind=a.kind, assignee=a.assignee, role=a.role, team=a.team,
                   site=a.site, module_id=a.module_id, module_title=a.module_title,
                   reason=a.reason, evidence=Evidence.parse(a.evidence), priority=a.priority,
                   assigned_on=a.assigned_on, due_on=a.due_on, trainer=a.trainer,
                   status=a.status, completed_on=a.completed_on, acknowledged=a.acknowledged,
                   notes=a.notes, version=a.version)

    @classmethod
    def _of_row(cls, row: Mapping[str, Any], assignment_id: int | None) -> AssignmentView:
        """A row of ``plan``'s bulk insert (evidence as JSON text)."""
        values = {k: row[k] for k in PLAN_KEYS if k not in ("id", "evidence")}
        return cls(id=assignment_id, evidence=Evidence.parse(row["evidence"]), **values)

    def to_dict(self) -> dict[str, Any]:
        """The keys of ``PLAN_KEYS`` in that order: the CLI's JSON and CSV rows."""
        out: dict[str, Any] = {k: getattr(self, k) for k in PLAN_KEYS}
        out["evidence"] = self.evidence.to_dict()
        return out


@dataclass(frozen=True)
class CoachingPlan:
    """What ``plan`` returns: ``assignments``, the open plan after it (a dry run: what it would
    create), and ``created``, the assignments it made (a dry run: would make)."""

    assignments: tuple[AssignmentView, ...]
    created: tuple[AssignmentView, ...]
    saved: bool

    def __iter__(self) -> Iterator[AssignmentView]:
        return iter(self.assignments)

    def __len__(self) -> int:
        return len(self.assignments)

    def to_dicts(self) -> list[dict[str, Any]]:
        return [a.to_dict() for a in self.assignments]


def plan(
    store: Store,
    *,
    actor: str,
    since: datetime | None = None,
    until: datetime | None = None,
    team: str | None = None,
    settings: CoachingSettings | None = None,
    today: date | None = None,
    save: bool = True,
    progress: Progress | None = None,
) -> CoachingPlan:
    """Create the assignments the findings call for (skipping any identical one still open,
    and any contact already reviewed) and return the open plan (filtered by team when given);
    with ``save=False`` store nothing and return only what would be created. Leads and
    trainers."""
    from .access import check

    actor = check(store, actor, "coaching.plan").name
    settings = settings or CoachingSettings()
    today = today or datetime.now(timezone.utc).date()
    proposals = propose(store, since=since, until=until, team=team, settings=settings,
                        progress=progress)
    with store.session() as session:
        open_keys = set(session.exec(
            select(m.Assignment.dedupe_key).where(m.Assignment.status != "Done")).all())
        open_keys |= set(session.exec(select(m.Assignment.dedupe_key).where(
            m.Assignment.kind == "critical_review")).all())
        lead = _lead_name(session)
        modules: dict[str, tuple[str, str | None]] = {}
        created: list[dict[str, Any]] = []
        for p in proposals:
            if p.dedupe_key in open_keys:
                continue
            if p.module_id not in modules:
                modules[p.module_id] = _module_info(session, p.module_id, lead)
            title, trainer = modules[p.module_id]
            if p.kind == "systemic":
                p.evidence["lead"] = lead
            days = p.due_days if p.due_days is not None else (
                settings.high_due_days if p.priority == "high" else settings.due_days)
            now = m.utcnow()
            created.append({
                "kind": p.kind, "assignee": p.assignee, "role": p.role, "team": p.team,
                "site": p.site, "module_id": p.module_id, "module_title": title,
                "reason": p.reason, "evidence": json.dumps(p.evidence), "priority": p.priority,
                "assigned_on": today, "due_on": today + timedelta(days=days),
                "trainer": trainer, "status": "Not started", "dedupe_key": p.dedupe_key,
                "created_at": now, "updated_at": now, "version": 1, "completed_on": None,
                "notes": None, "acknowledged": False})
            open_keys.add(p.dedupe_key)
        if not save:
            proposed = tuple(AssignmentView._of_row(row, None) for row in created)
            return CoachingPlan(assignments=proposed, created=proposed, saved=False)
        ids: Sequence[int] = []
        if created:
            ids = session.execute(insert(_ASSIGNMENT).returning(_ASSIGNMENT.c.id,
                                                                sort_by_parameter_order=True),
                                  created).scalars().all()
            _audit_many(session, [
                {"actor": actor, "entity": "assignment", "entity_id": str(i),
                 "action": "create", "before": None,
                 "after": json.dumps(AssignmentView._of_row(row, i).to_dict(), default=str,
                                     sort_keys=True)}
                for i, row in zip(ids, created, strict=True)])
        if progress is not None:
            progress("saving", len(PLAN_STAGES), len(PLAN_STAGES))
        q = select(m.Assignment).where(col(m.Assignment.status) != "Done")
        if team is not None:
            q = q.where(col(m.Assignment.team) == team)
        return CoachingPlan(
            assignments=tuple(AssignmentView.of(a) for a in
                              session.exec(q.order_by(col(m.Assignment.id))).all()),
            created=tuple(AssignmentView._of_row(row, i)
                          for i, row in zip(ids, created, strict=True)),
            saved=True)


def _assignment_query(q: _Q, *, status: str | None, team: str | None, trainer: str | None,
                      open_only: bool) -> _Q:
    """``q`` narrowed to the assignments the listing filters name."""
    if status:
        q = q.where(col(m.Assignment.status) == status)
    if open_only:
        q = q.where(col(m.Assignment.status) != "Done")
    if team:
        q = q.where(col(m.Assignment.team) == team)
    if trainer:
        q = q.where(col(m.Assignment.trainer) == trainer)
    return q


def iter_assignments(
    store: Store, *, status: str | None = None, team: str | None = None,
    trainer: str | None = None, open_only: bool = False, actor: str,
) -> Iterator[AssignmentView]:
    """Stored assignments one at a time (streamed in batches, for large exports)."""
    from .access import _require

    with store.read() as session:
        _require(session, actor, "coaching.list")
        q = _assignment_query(select(m.Assignment).order_by(col(m.Assignment.id)),
                              status=status, team=team, trainer=trainer, open_only=open_only)
        for a in session.exec(q.execution_options(yield_per=1000)):
            yield AssignmentView.of(a)


def count_assignments(
    store: Store, *, status: str | None = None, team: str | None = None,
    trainer: str | None = None, open_only: bool = False, actor: str,
) -> int:
    """How many assignments ``iter_assignments`` would give (for a progress bar)."""
    from .access import _require

    with store.read() as session:
        _require(session, actor, "coaching.list")
        q = _assignment_query(select(func.count()).select_from(m.Assignment), status=status,
                              team=team, trainer=trainer, open_only=open_only)
        return int(session.exec(q).one())


def list_assignments(
    store: Store, *, status: str | None = None, team: str | None = None,
    trainer: str | None = None, open_only: bool = False, actor: str,
) -> list[AssignmentView]:
    """Stored assignments, oldest first. Leads and trainers."""
    return list(iter_assignments(store, status=status, team=team, trainer=trainer,
                                 open_only=open_only, actor=actor))


def normalise_status(raw: Any, where: str) -> str:
    text = " ".join(str(raw or "").split()).casefold()
    for status in STATUSES:
        if text == status.casefold():
            return status
    raise InputError(f"{where}: field 'Status': {raw!r} is not one of {', '.join(STATUSES)}")


@dataclass
class RowEdit:
    """One workbook row: the editable fields as read (only the columns present), the version
    the row was exported at (None: no check), and where it came from ("file: row N")."""

    assignment_id: int
    values: dict[str, Any]
    where: str
    version: int | None = None


@dataclass
class UpdateResult:
    changed: int = 0
    refused: list[str] = field(default_factory=list)  # one line per row left unchanged
    not_theirs: int = 0  # of those, rows the acting trainer does not own


def _show(value: Any) -> str:
    if value is None or value == "":
        return "(blank)"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    return repr(value) if isinstance(value, str) else str(value)


def update_assignments(store: Store, edits: Sequence[RowEdit], *, actor: str,
                       all_or_nothing: bool = False) -> UpdateResult:
    """Apply trainers' edits in one transaction. Rules, checked here so no screen or command
    can get around them:

    - the access policy's ``coaching.status``: a trainer changes only the assignments they own
      (``trainer``), a lead any, an evaluator or a name the store does not know none;
    - a row exported at an older version than the store's, whose values differ from the
      store's, is a conflict: the row is reported and nothing of it changes (a row whose values
      equal the store's is no change, whatever its version);
    - an unknown id, a version newer than the store's or a completion date before the
      assignment raises InputError naming the row, and nothing at all is changed.

    Every applied row bumps ``version`` and is audited with its before and after values. With
    ``all_or_nothing`` the first refused row raises (PermissionDenied or Conflict) and nothing
    is changed."""
    from .access import _require
    from .errors import Conflict, PermissionDenied

    result = UpdateResult()
    with store.session() as session:
        who = _require(session, actor, "coaching.status")
        ids = sorted({e.assignment_id for e in edits})
        rows: dict[int, m.Assignment] = {}
        for lo in range(0, len(ids), 500):
            q = select(m.Assignment).where(col(m.Assignment.id).in_(ids[lo:lo + 500]))
            if store.dialect == "postgresql":
                q = q.with_for_update()
            rows.update({a.id: a for a in session.exec(q).all() if a.id is not None})
        from .redact import _store_redactor

        redactor = _store_redactor(session) if any(e.values.get("notes") for e in edits) \
            else None
        for e in edits:
            if redactor is not None and e.values.get("notes"):
                e = replace(e, values={**e.values, "notes": redactor.text(e.values["notes"])})
            row = rows.get(e.assignment_id)
            if row is None:
                raise InputError(f"{e.where}: field 'ID': no assignment {e.assignment_id} in "
                                 "the store")
            if e.version is not None and e.version > row.version:
                raise InputError(
                    f"{e.where}: field 'Version': {e.version} is newer than the store's "
                    f"{row.version} for assignment {row.id} (a workbook from another store?)")
            done_on = e.values.get("completed_on")
            if done_on is not None and done_on < row.assigned_on:
                raise InputError(f"{e.where}: field 'Completed on': {done_on} is before the "
                                 f"assignment was made ({row.assigned_on})")
            diff = {k: v for k, v in e.values.items() if getattr(row, k) != v}
            if not diff:
                continue
            if who.role == "trainer" and not who.is_named(row.trainer):
                owner = row.trainer or "no trainer"
                result.refused.append(
                    f"{e.where}: assignment {row.id} belongs to {owner}; {who.name} changes only "
                    "their own assignments; not changed")
                result.not_theirs += 1
                if all_or_nothing:
                    raise PermissionDenied(result.refused[-1])
                continue
            if e.version is not None and e.version < row.version:
                changes = "; ".join(f"{EDITABLE[k]} {_show(v)} in the file, "
                                    f"{_show(getattr(row, k))} in the store"
                                    for k, v in diff.items())
                result.refused.append(
                    f"{e.where}: assignment {row.id} changed since this workbook was exported "
                    f"(version {e.version} in the file, {row.version} in the store): {changes}; "
                    "not changed")
                if all_or_nothing:
                    raise Conflict(result.refused[-1])
                continue
            before = {k: getattr(row, k) for k in diff}
            for k, v in diff.items():
                setattr(row, k, v)
            row.version += 1
            row.updated_at = m.utcnow()
            session.add(row)
            _audit(session, actor=actor, entity="assignment", entity_id=row.id,
                  action="status" if set(diff) == {"status"} else "update",
                  before={**before, "version": row.version - 1},
                  after={**diff, "version": row.version})
            result.changed += 1
        if not result.changed and result.refused and result.not_theirs == len(result.refused):
            # nothing in the file is the trainer's to change: a refusal, not a partial import
            raise PermissionDenied(result.refused[0])
    return result


def set_statuses(store: Store, changes: dict[int, tuple[str, str]], *, actor: str) -> int:
    """Apply status changes {assignment id: (status, where)} in one transaction (the ownership
    rule of ``update_assignments`` applies; no version check). Returns how many changed."""
    return update_assignments(
        store, [RowEdit(i, {"status": status}, where) for i, (status, where) in changes.items()],
        actor=actor, all_or_nothing=True).changed


def get_assignment(store: Store, assignment_id: int, *, actor: str) -> AssignmentView:
    """One stored assignment. Leads and trainers."""
    from .access import _require

    with store.read() as session:
        _require(session, actor, "coaching.list")
        row = session.get(m.Assignment, assignment_id)
        if row is None:
            raise NotFound(f"no assignment {assignment_id}")
        return AssignmentView.of(row)
