"""Coaching plans: refresher modules for agents who fail criteria, recalibration for evaluators
who drift or match the reference poorly. Assignments are stored so trainers can track them.

Rules (also in the README):
- An agent gets a criterion's ``refresher_module`` when, over the period, they answered it at
  least ``min_answers`` times, their fail rate is at least ``fail_threshold``, above everyone
  else's rate on it by ``team_margin``, and significantly so (one-sided binomial z ≥ ``z_min``);
  the team's rate is shown beside it, so a team weak as a whole is coached too; a failed
  critical criterion always counts, whatever the rate. A criterion key pools the agent's
  answers across rubrics (it means the same in every channel). Criteria sharing a module make
  one assignment. Priority: high with a critical failure or a rate ≥ 2 × threshold; medium
  otherwise.
- An evaluator gets recalibration (module ``RECALIBRATION``) for the criteria of their drift
  flags, and when their calibration score across revealed/closed sessions is below
  ``min_calibration_score``. Drift → high priority; low calibration → medium.
- No duplicate: an assignment identical in kind, assignee, module and criteria to one that is
  not Done is not created again.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import and_, case, func
from sqlmodel import Session, select

from . import models as m
from .errors import InputError, NotFound
from .store import Store, audit

STATUSES = ("Not started", "In progress", "Done")
PRIORITIES = ("high", "medium", "low")
RECALIBRATION = "RECALIBRATION"
PLAN_KEYS = ("id", "assignee", "role", "team", "site", "module_id", "module_title", "reason",
             "evidence", "priority", "assigned_on", "due_on", "trainer", "status")


@dataclass(frozen=True)
class CoachingSettings:
    fail_threshold: float = 0.25
    team_margin: float = 0.10
    min_answers: int = 8
    z_min: float = 1.645  # one-sided 5% test of the agent's fails against the team rate
    min_calibration_score: float = 80.0
    due_days: int = 14
    high_due_days: int = 7


@dataclass
class CriterionStat:
    agent: str
    team: str | None
    site: str | None
    rubric: str
    criterion: str
    module: str | None
    critical: bool
    answers: int
    fails: int
    critical_fails: int
    team_answers: int = 0
    team_fails: int = 0
    all_answers: int = 0
    all_fails: int = 0

    @property
    def rate(self) -> float:
        return self.fails / self.answers if self.answers else math.nan

    @property
    def others_rate(self) -> float:
        """Everyone else's fail rate on the criterion (all teams, this agent left out)."""
        others = self.all_answers - self.answers
        return (self.all_fails - self.fails) / others if others > 0 else math.nan

    @property
    def team_rate(self) -> float:
        others = self.team_answers - self.answers
        return (self.team_fails - self.fails) / others if others > 0 else math.nan


def _fail_expr() -> Any:
    return case((and_(m.Answer.na.is_(False), m.Answer.value < m.Criterion.pass_at), 1),  # type: ignore[union-attr]
                else_=0)


def agent_criterion_stats(
    store: Store, *, since: datetime | None = None, until: datetime | None = None,
    team: str | None = None,
) -> list[CriterionStat]:
    """Per agent × criterion: answers, fails and critical fails over the period (SQL does the
    counting), with the team's totals alongside."""
    fail = _fail_expr()
    q = (
        select(m.Interaction.agent, m.Interaction.team, m.Interaction.site, m.Rubric.name,
               m.Criterion.key, m.Criterion.refresher_module, m.Criterion.critical,
               func.count(), func.sum(fail))
        .select_from(m.Answer)
        .join(m.Evaluation, m.Evaluation.id == m.Answer.evaluation_id)
        .join(m.Criterion, m.Criterion.id == m.Answer.criterion_id)
        .join(m.Rubric, m.Rubric.id == m.Evaluation.rubric_id)
        .join(m.Interaction, m.Interaction.id == m.Evaluation.interaction_id)
        .where(m.Evaluation.context == 0, m.Evaluation.status == "submitted",
               m.Answer.na.is_(False), m.Interaction.agent.is_not(None))  # type: ignore[union-attr]
        .group_by(m.Interaction.agent, m.Interaction.team, m.Interaction.site, m.Rubric.name,
                  m.Criterion.key, m.Criterion.refresher_module, m.Criterion.critical)
    )
    if since is not None:
        q = q.where(m.Evaluation.scored_at >= since)
    if until is not None:
        q = q.where(m.Evaluation.scored_at < until)
    with store.read_connection() as conn:
        rows = conn.execute(q).all()
    # Rows come per agent × team × site (an agent may have moved team); fold them per agent,
    # naming the team and site where the agent has most answers.
    merged: dict[tuple[str, str, str], CriterionStat] = {}
    where: dict[str, dict[tuple[Any, Any], int]] = {}
    team_totals: dict[tuple[Any, str], list[int]] = {}
    all_totals: dict[str, list[int]] = {}
    # A criterion key means the same in every rubric (and version), so an agent's answers on
    # it are pooled across channels; ``rubric`` names the rubrics involved.
    for agent, team_name, site, rubric, key, module, critical, n, fails in rows:
        n, fails = int(n), int(fails or 0)
        spot = where.setdefault(agent, {})
        spot[(team_name, site)] = spot.get((team_name, site), 0) + n
        t = team_totals.setdefault((team_name, key), [0, 0])
        t[0] += n
        t[1] += fails
        a = all_totals.setdefault(key, [0, 0])
        a[0] += n
        a[1] += fails
        s = merged.get((agent, "", key))
        if s is None:
            s = merged[(agent, "", key)] = CriterionStat(
                agent=agent, team=None, site=None, rubric=rubric, criterion=key, module=module,
                critical=bool(critical), answers=0, fails=0, critical_fails=0)
        elif rubric not in s.rubric.split(", "):
            s.rubric = ", ".join(sorted([*s.rubric.split(", "), rubric]))
        s.module = s.module or module
        s.critical = s.critical or bool(critical)
        s.answers += n
        s.fails += fails
        s.critical_fails += fails if critical else 0
    stats = list(merged.values())
    for s in stats:
        s.team, s.site = max(where[s.agent].items(), key=lambda kv: kv[1])[0]
        s.team_answers, s.team_fails = team_totals.get((s.team, s.criterion), [0, 0])
        s.all_answers, s.all_fails = all_totals.get(s.criterion, [0, 0])
    if team is not None:
        stats = [s for s in stats if s.team == team]
    return stats


def criterion_failure_rates(
    store: Store, *, since: datetime | None = None, until: datetime | None = None
) -> list[dict[str, Any]]:
    """Failure rate per rubric criterion over the period (for the workbook's chart)."""
    fail = _fail_expr()
    q = (
        select(m.Rubric.name, m.Criterion.key, func.count(), func.sum(fail))
        .select_from(m.Answer)
        .join(m.Evaluation, m.Evaluation.id == m.Answer.evaluation_id)
        .join(m.Criterion, m.Criterion.id == m.Answer.criterion_id)
        .join(m.Rubric, m.Rubric.id == m.Evaluation.rubric_id)
        .where(m.Evaluation.context == 0, m.Evaluation.status == "submitted",
               m.Answer.na.is_(False))  # type: ignore[union-attr]
        .group_by(m.Rubric.name, m.Criterion.key)
        .order_by(m.Rubric.name, m.Criterion.key)
    )
    if since is not None:
        q = q.where(m.Evaluation.scored_at >= since)
    if until is not None:
        q = q.where(m.Evaluation.scored_at < until)
    with store.read_connection() as conn:
        return [{"rubric": r[0], "criterion": r[1], "answers": int(r[2]),
                 "fails": int(r[3] or 0), "fail_rate": int(r[3] or 0) / int(r[2])}
                for r in conn.execute(q).all() if r[2]]


def _examples(
    session: Session, agent: str, criteria: Sequence[tuple[str, str]], since: datetime | None,
    limit: int = 5,
) -> list[str]:
    """Recent interactions where this agent failed one of these criteria."""
    fail = _fail_expr()
    conds = [and_(m.Rubric.name == r, m.Criterion.key == k) for r, k in criteria]
    from sqlalchemy import or_

    q = (
        select(m.Interaction.source, m.Interaction.external_id)
        .select_from(m.Answer)
        .join(m.Evaluation, m.Evaluation.id == m.Answer.evaluation_id)
        .join(m.Criterion, m.Criterion.id == m.Answer.criterion_id)
        .join(m.Rubric, m.Rubric.id == m.Evaluation.rubric_id)
        .join(m.Interaction, m.Interaction.id == m.Evaluation.interaction_id)
        .where(m.Interaction.agent == agent, m.Evaluation.context == 0, fail == 1, or_(*conds))
        .order_by(m.Evaluation.scored_at.desc())  # type: ignore[attr-defined]
        .limit(limit * 3)
    )
    if since is not None:
        q = q.where(m.Evaluation.scored_at >= since)
    refs = [f"{s}:{e}" for s, e in session.exec(q).all()]
    return list(dict.fromkeys(refs))[:limit]


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

    @property
    def dedupe_key(self) -> str:
        crits = sorted(c["criterion"] for c in self.evidence.get("criteria", []))
        return f"{self.kind}|{self.assignee}|{self.module_id}|{','.join(crits)}"


def propose(
    store: Store,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    team: str | None = None,
    settings: CoachingSettings | None = None,
    include_evaluators: bool = True,
) -> list[Proposed]:
    """What the findings call for, before de-duplication against stored assignments."""
    settings = settings or CoachingSettings()
    stats = agent_criterion_stats(store, since=since, until=until, team=team)
    by_agent_module: dict[tuple[str, str], list[CriterionStat]] = {}
    for s in stats:
        if not s.module:
            continue
        rate = s.rate
        # Compared with everyone else (not only the team, so a team that is weak as a whole is
        # still coached); a handful of answers is noise, so the excess must be significant.
        others = s.others_rate
        above = math.isnan(others) or rate >= others + settings.team_margin
        base = min(max(others if not math.isnan(others) else 0.0, 0.02), 0.98)
        z = (s.fails - s.answers * base) / math.sqrt(s.answers * base * (1 - base))
        weak = (s.answers >= settings.min_answers and rate >= settings.fail_threshold
                and above and z >= settings.z_min)
        if weak or s.critical_fails > 0:
            by_agent_module.setdefault((s.agent, s.module), []).append(s)
    out: list[Proposed] = []
    with store.read() as session:
        for (agent, module), items in sorted(by_agent_module.items()):
            critical = any(i.critical_fails for i in items)
            worst = max(i.rate for i in items)
            priority = "high" if critical or worst >= 2 * settings.fail_threshold else "medium"
            parts = []
            for i in items:
                if i.critical_fails and not (i.answers >= settings.min_answers
                                             and i.rate >= settings.fail_threshold):
                    parts.append(f"{i.criterion}: {i.critical_fails} critical fail(s)")
                else:
                    team_txt = "" if math.isnan(i.team_rate) else f", team {i.team_rate:.0%}"
                    if not math.isnan(i.others_rate):
                        team_txt += f", everyone else {i.others_rate:.0%}"
                    parts.append(f"{i.criterion}: failed {i.fails}/{i.answers} ({i.rate:.0%}"
                                 f"{team_txt})")
            examples = _examples(session, agent, [(i.rubric, i.criterion) for i in items], since)
            out.append(Proposed(
                kind="refresher", assignee=agent, role="agent", team=items[0].team,
                site=items[0].site, module_id=module, priority=priority,
                reason="Fails " + "; ".join(parts),
                evidence={"criteria": [
                    {"rubric": i.rubric, "criterion": i.criterion, "answers": i.answers,
                     "fails": i.fails, "rate": round(i.rate, 3),
                     "team_rate": None if math.isnan(i.team_rate) else round(i.team_rate, 3),
                     "others_rate": None if math.isnan(i.others_rate) else round(i.others_rate, 3),
                     "critical_fails": i.critical_fails} for i in items],
                    "examples": examples},
            ))
    if include_evaluators and team is None:
        out += _evaluator_proposals(store, since=since, settings=settings)
    return out


def _evaluator_proposals(
    store: Store, *, since: datetime | None, settings: CoachingSettings
) -> list[Proposed]:
    from .drift import _detect_drift
    from .report import ReportSettings, _evaluators_report

    sites = {}
    with store.read() as session:
        for e in session.exec(select(m.Evaluator)).all():
            sites[e.name] = e.site
    out = []
    by_evaluator: dict[str, list[Any]] = {}
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
        score = row["calibration_score"]
        if math.isnan(score) or score >= settings.min_calibration_score:
            continue
        out.append(Proposed(
            kind="recalibration", assignee=row["evaluator"], role="evaluator", team=None,
            site=sites.get(row["evaluator"]), module_id=RECALIBRATION, priority="medium",
            reason=(f"Calibration score {score:.0f} < {settings.min_calibration_score:.0f} "
                    f"over {row['sessions']} session(s), mean gap {row['mean_gap']:+.1f} pts"),
            evidence={"criteria": [], "calibration_score": round(score, 1),
                      "match_rate": row["match_rate"], "sessions": row["sessions"]},
        ))
    return out


def _module_info(session: Session, module_id: str) -> tuple[str, str | None]:
    mod = session.get(m.Module, module_id)
    if mod is not None:
        return mod.title, mod.owner
    if module_id == RECALIBRATION:
        lead = session.exec(select(m.Evaluator).where(m.Evaluator.role == "lead")
                            .order_by(m.Evaluator.name)).first()
        return "Recalibration with the QA lead", lead.name if lead else None
    return module_id, None


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
) -> list[dict[str, Any]]:
    """Create the assignments the findings call for (skipping any identical one still open)
    and return the open plan (filtered by team when given). Leads and trainers."""
    from .access import check

    actor = check(store, actor, "coaching.plan").name
    settings = settings or CoachingSettings()
    today = today or datetime.now(timezone.utc).date()
    proposals = propose(store, since=since, until=until, team=team, settings=settings)
    with store.session() as session:
        open_keys = set(session.exec(
            select(m.Assignment.dedupe_key).where(m.Assignment.status != "Done")).all())
        created = []
        for p in proposals:
            if p.dedupe_key in open_keys:
                continue
            title, trainer = _module_info(session, p.module_id)
            due = today + timedelta(days=settings.high_due_days if p.priority == "high"
                                    else settings.due_days)
            row = m.Assignment(
                kind=p.kind, assignee=p.assignee, role=p.role, team=p.team, site=p.site,
                module_id=p.module_id, module_title=title, reason=p.reason,
                evidence=json.dumps(p.evidence), priority=p.priority, assigned_on=today,
                due_on=due, trainer=trainer, status="Not started", dedupe_key=p.dedupe_key,
            )
            open_keys.add(p.dedupe_key)
            created.append(row)
        if save:
            for row in created:
                session.add(row)
            session.flush()
            for row in created:
                audit(session, actor=actor, entity="assignment", entity_id=row.id,
                      action="create", after=as_row(row))
            q = select(m.Assignment).where(m.Assignment.status != "Done")
            if team is not None:
                q = q.where(m.Assignment.team == team)
            return [as_row(a) for a in session.exec(q.order_by(m.Assignment.id)).all()]
        return [as_row(a) for a in created]


def as_row(a: m.Assignment) -> dict[str, Any]:
    return {"id": a.id, "assignee": a.assignee, "role": a.role, "team": a.team, "site": a.site,
            "module_id": a.module_id, "module_title": a.module_title, "reason": a.reason,
            "evidence": json.loads(a.evidence or "{}"), "priority": a.priority,
            "assigned_on": a.assigned_on, "due_on": a.due_on, "trainer": a.trainer,
            "status": a.status}


def iter_assignments(
    store: Store, *, status: str | None = None, team: str | None = None,
    trainer: str | None = None, open_only: bool = False, actor: str,
) -> Iterator[dict[str, Any]]:
    """Stored assignments one at a time (streamed in batches, for large exports)."""
    from .access import require

    with store.read() as session:
        require(session, actor, "coaching.list")
        q = select(m.Assignment).order_by(m.Assignment.id)
        if status:
            q = q.where(m.Assignment.status == status)
        if open_only:
            q = q.where(m.Assignment.status != "Done")
        if team:
            q = q.where(m.Assignment.team == team)
        if trainer:
            q = q.where(m.Assignment.trainer == trainer)
        for a in session.exec(q.execution_options(yield_per=1000)):
            yield as_row(a)


def list_assignments(
    store: Store, *, status: str | None = None, team: str | None = None,
    trainer: str | None = None, open_only: bool = False, actor: str,
) -> list[dict[str, Any]]:
    return list(iter_assignments(store, status=status, team=team, trainer=trainer,
                                 open_only=open_only, actor=actor))


def normalise_status(raw: Any, where: str) -> str:
    text = " ".join(str(raw or "").split()).casefold()
    for status in STATUSES:
        if text == status.casefold():
            return status
    raise InputError(f"{where}: field 'Status': {raw!r} is not one of {', '.join(STATUSES)}")


def set_statuses(store: Store, changes: dict[int, tuple[str, str]], *, actor: str) -> int:
    """Apply status changes {assignment id: (status, where)} in one transaction; unknown ids
    raise InputError naming the row. Returns how many changed. A lead changes any; a trainer
    only the assignments they own (all rows or none)."""
    from .access import require

    with store.session() as session:
        actor = require(session, actor, "coaching.status").name
        changed = 0
        for assignment_id, (status, where) in changes.items():
            row = session.get(m.Assignment, assignment_id)
            if row is None:
                raise InputError(f"{where}: field 'ID': no assignment {assignment_id} in the store")
            require(session, actor, "coaching.status", owner=row.trainer)
            if row.status == status:
                continue
            before = row.status
            row.status, row.updated_at = status, m.utcnow()
            session.add(row)
            audit(session, actor=actor, entity="assignment", entity_id=row.id,
                  action="status", before={"status": before}, after={"status": status})
            changed += 1
        return changed


def get_assignment(store: Store, assignment_id: int, *, actor: str) -> dict[str, Any]:
    from .access import require

    with store.read() as session:
        require(session, actor, "coaching.list")
        row = session.get(m.Assignment, assignment_id)
        if row is None:
            raise NotFound(f"no assignment {assignment_id}")
        return as_row(row)
