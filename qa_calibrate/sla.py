"""Quality SLAs per site: what a contract promises, against what the scores and contacts show.

Per site (the interactions' site: where the agents work) and period (month or quarter of the
contact): the mean QA score of routine evaluations with its 95% interval, the critical-fail rate
(share of evaluations auto-failed, Wilson interval), mean CSAT and median handle time of the
contacts (the median is judged as it is, without an interval). Each figure is judged against its
target: **met** when the whole interval is on the
right side, **missed** when it is wholly on the wrong side, **too close to tell** when it
straddles the target, **too few** below ``min_evaluations`` (or ``min_contacts``).

*Calibrated attainment*: the scores a vendor's own evaluators give can be lenient. Where revealed
calibration sessions measured an offset for an evaluator's organisation (against the lead's
site, over at least ``sites.MIN_CONTACTS`` shared contacts: ``sites.sites_report_since``), each
evaluation is taken minus its scorer's offset; the
quality figure is shown corrected, its interval widened by the offsets' (a conservative sum),
and judged again.

Whether the scorecard tracks what customers feel: Spearman's rank correlation between the
interaction's QA score and its CSAT, with a Fisher-z interval (SE 1.06/√(n−3), Fieller, Hartley
& Pearson 1957) and the count it rests on.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy as np
from sqlalchemy import select as sa_select
from sqlmodel import col, select

from . import models as m
from .errors import InputError

if TYPE_CHECKING:
    from .sites import Offset
from .store import Store, _audit

Z95 = 1.959963984540054
PERIODS = ("month", "quarter")
TARGETS = ("quality_min", "critical_fail_max", "csat_min", "aht_max_seconds")


@dataclass(frozen=True)
class SlaSettings:
    period: str = "month"
    min_evaluations: int = 10
    min_contacts: int = 10


def set_target(store: Store, site: str, *, actor: str, **targets: float | None) -> dict[str, Any]:
    """Set (or change) a site's targets; a target not given keeps its stored value. Lead only."""
    from .access import _require

    site = " ".join(site.split())
    if not site:
        raise InputError("site: empty")
    for name, value in targets.items():
        if name not in TARGETS:
            raise InputError(f"unknown target {name!r}")
        if value is None:
            continue
        if not math.isfinite(value) or value < 0:
            raise InputError(f"target {name!r}: {value!r} is not a number ≥ 0")
        if name == "quality_min" and value > 100:
            raise InputError(f"target {name!r}: {value:g} is above the 0–100 score scale")
        if name == "critical_fail_max" and value > 1:
            raise InputError(f"target {name!r}: {value:g} is a share (0–1), e.g. 0.02 for 2%")
    with store.session() as session:
        person = _require(session, actor, "sla.set")
        row = session.get(m.SlaTarget, site) or m.SlaTarget(site=site)
        before = {n: getattr(row, n) for n in TARGETS}
        for name, value in targets.items():
            if value is not None:
                setattr(row, name, float(value))
        row.updated_at = m.utcnow()
        session.add(row)
        after = {n: getattr(row, n) for n in TARGETS}
        _audit(session, actor=person.name, entity="sla_target", entity_id=site, action="set",
              before=before, after=after)
        return {"site": site, **after}


def list_targets(store: Store, *, actor: str) -> list[dict[str, Any]]:
    from .access import _require

    with store.read() as session:
        _require(session, actor, "sla.list")
        rows = session.exec(select(m.SlaTarget).order_by(m.SlaTarget.site)).all()
        return [{"site": r.site, **{n: getattr(r, n) for n in TARGETS}} for r in rows]


def _period(when: datetime | None, period: str) -> str:
    if when is None:
        return "undated"
    if period == "quarter":
        return f"{when.year}-Q{(when.month - 1) // 3 + 1}"
    return f"{when.year}-{when.month:02d}"


def _judge(low: float, high: float, target: float | None, *, at_least: bool, enough: bool
           ) -> str | None:
    if target is None:
        return None
    if not enough or math.isnan(low):
        return "too few"
    if at_least:
        return "met" if low >= target else "missed" if high < target else "too close to tell"
    return "met" if high <= target else "missed" if low > target else "too close to tell"


def _mean_interval(x: np.ndarray) -> tuple[float, float, float]:
    n = x.size
    if n == 0:
        return math.nan, math.nan, math.nan
    mean = float(x.mean())
    if n < 2:
        return mean, math.nan, math.nan
    half = Z95 * float(x.std(ddof=1)) / math.sqrt(n)
    return mean, mean - half, mean + half


def _wilson(k: int, n: int) -> tuple[float, float, float]:
    if n == 0:
        return math.nan, math.nan, math.nan
    p = k / n
    centre = (p + Z95 ** 2 / (2 * n)) / (1 + Z95 ** 2 / n)
    half = Z95 * math.sqrt(p * (1 - p) / n + Z95 ** 2 / (4 * n * n)) / (1 + Z95 ** 2 / n)
    return p, max(0.0, centre - half), min(1.0, centre + half)


def _ranks(x: np.ndarray) -> np.ndarray:
    """Average ranks (ties share their mean rank)."""
    order = np.argsort(x, kind="mergesort")
    sorted_x = x[order]
    ranks = np.empty(x.size)
    ranks[order] = np.arange(1, x.size + 1)
    _uniq, first, counts = np.unique(sorted_x, return_index=True, return_counts=True)
    mean_rank = first + (counts + 1) / 2
    ranks[order] = np.repeat(mean_rank, counts)
    return ranks


def spearman(x: np.ndarray, y: np.ndarray) -> dict[str, Any]:
    """Spearman's rho with a 95% Fisher-z interval (SE 1.06/√(n−3))."""
    n = int(x.size)
    out: dict[str, Any] = {"value": math.nan, "ci_low": math.nan, "ci_high": math.nan, "n": n}
    if n < 4:
        return out
    rx, ry = _ranks(x), _ranks(y)
    if rx.std() == 0 or ry.std() == 0:
        return out
    rho = float(np.corrcoef(rx, ry)[0, 1])
    out["value"] = rho
    z, se = math.atanh(max(min(rho, 0.999999), -0.999999)), 1.06 / math.sqrt(n - 3)
    out["ci_low"], out["ci_high"] = math.tanh(z - Z95 * se), math.tanh(z + Z95 * se)
    return out


def _offsets(store: Store, since: datetime | None, until: datetime | None, actor: str
             ) -> dict[str, Offset]:
    from .sites import MIN_CONTACTS, sites_report_since

    pooled = sites_report_since(store, since, until=until, viewer=actor)
    return {o.organisation: o.offset for o in pooled.organisations
            if o.offset is not None and o.offset.n >= MIN_CONTACTS}


def _correction(scored_by: list[str | None], offsets: Mapping[str, Offset]
                ) -> tuple[float, float] | None:
    """(mean offset of the evaluations' scorers, its half-interval) when some of them belong to
    an organisation with a measured offset; each evaluation counts with its scorer's offset (0
    for the reference organisation and for sites never calibrated against it)."""
    n = len(scored_by)
    shares: dict[str, int] = {}
    for site in scored_by:
        if site is not None and site in offsets and not math.isnan(offsets[site].value):
            shares[site] = shares.get(site, 0) + 1
    if not n or not shares:
        return None
    shift = sum(k / n * offsets[s].value for s, k in shares.items())
    half = sum(k / n * (offsets[s].ci_high - offsets[s].ci_low) / 2
               for s, k in shares.items())
    return shift, half


def sla_report(store: Store, *, actor: str, settings: SlaSettings | None = None,
               site: str | None = None, since: datetime | None = None,
               until: datetime | None = None) -> list[dict[str, Any]]:
    """One row per site and period (see the module docstring). Leads and trainers."""
    from .access import check

    actor = check(store, actor, "report.sla").name
    settings = settings or SlaSettings()
    if settings.period not in PERIODS:
        raise InputError(f"period {settings.period!r}: use month or quarter")
    with store.read() as session:
        started = col(m.Interaction.started_at)
        q = (sa_select(col(m.Interaction.site), started, col(m.Evaluation.score),
                    col(m.Evaluation.auto_failed), col(m.Interaction.csat),
                    col(m.Evaluator.site))
             .join(m.Evaluation, col(m.Evaluation.interaction_id) == col(m.Interaction.id))
             .join(m.Evaluator, col(m.Evaluator.id) == col(m.Evaluation.evaluator_id))
             .where(col(m.Evaluation.context) == 0, col(m.Evaluation.status) == "submitted",
                    col(m.Evaluation.score).is_not(None)))
        c = select(col(m.Interaction.site), started, col(m.Interaction.csat),
                   col(m.Interaction.handle_time_seconds))
        if site is not None:
            q = q.where(col(m.Interaction.site) == site)
            c = c.where(col(m.Interaction.site) == site)
        if since is not None:
            q, c = q.where(started >= since), c.where(started >= since)
        if until is not None:
            q, c = q.where(started < until), c.where(started < until)
        evaluations = session.execute(q).all()
        contacts = session.exec(c).all()
        targets = {t.site: t for t in session.exec(select(m.SlaTarget)).all()}
    offsets = _offsets(store, since, until, actor)
    groups: dict[tuple[str, str], dict[str, list[Any]]] = {}

    def group(site_name: str | None, when: datetime | None) -> dict[str, list[Any]]:
        """The lists of one site and period (evaluations and contacts alike)."""
        return groups.setdefault(
            (site_name or "(no site)", _period(when, settings.period)),
            {"score": [], "failed": [], "pair": [], "csat": [], "aht": [], "by": []})

    for s_, when, score, failed, csat, scored_by in evaluations:
        g = group(s_, when)
        g["score"].append(score)
        g["by"].append(scored_by)
        g["failed"].append(bool(failed))
        if csat is not None:
            g["pair"].append((score, csat))
    for s_, when, csat, aht in contacts:
        g = group(s_, when)
        if csat is not None:
            g["csat"].append(csat)
        if aht is not None:
            g["aht"].append(aht)
    rows = []
    for (s_, period), g in sorted(groups.items()):
        target = targets.get(s_)
        scores = np.array(g["score"], dtype=float)
        n = int(scores.size)
        enough = n >= settings.min_evaluations
        mean, low, high = _mean_interval(scores)
        fail, f_low, f_high = _wilson(int(sum(g["failed"])), n)
        csat = np.array(g["csat"], dtype=float)
        c_mean, c_low, c_high = _mean_interval(csat)
        handle_times = np.array(g["aht"], dtype=float)
        median = float(np.median(handle_times)) if handle_times.size else math.nan
        row: dict[str, Any] = {
            "site": s_, "period": period, "evaluations": n, "contacts_with_csat": int(csat.size),
            "quality": {"value": mean, "ci_low": low, "ci_high": high,
                        "target": target.quality_min if target else None,
                        "status": _judge(low, high, target.quality_min if target else None,
                                         at_least=True, enough=enough)},
            "critical_fail_rate": {
                "value": fail, "ci_low": f_low, "ci_high": f_high,
                "target": target.critical_fail_max if target else None,
                "status": _judge(f_low, f_high, target.critical_fail_max if target else None,
                                 at_least=False, enough=enough)},
            "csat": {"value": c_mean, "ci_low": c_low, "ci_high": c_high,
                     "target": target.csat_min if target else None,
                     "status": _judge(c_low, c_high, target.csat_min if target else None,
                                      at_least=True,
                                      enough=csat.size >= settings.min_contacts)},
            "median_handle_time": {
                "value": median, "target": target.aht_max_seconds if target else None,
                "status": _judge(median, median, target.aht_max_seconds if target else None,
                                 at_least=False,
                                 enough=handle_times.size >= settings.min_contacts)},
            "qa_csat_correlation": spearman(*(np.array(v, dtype=float) for v in zip(*g["pair"],
                                                                                  strict=True)))
            if len(g["pair"]) >= 4 else {"value": math.nan, "ci_low": math.nan,
                                         "ci_high": math.nan, "n": len(g["pair"])},
        }
        correction = _correction(g["by"], offsets)
        if correction is not None and n:
            shift, o_half = correction
            half = (high - low) / 2 if not math.isnan(low) else math.nan
            spread = math.sqrt(half ** 2 + o_half ** 2)
            value = mean - shift
            row["calibrated_quality"] = {
                "value": value, "offset": shift, "ci_low": value - spread,
                "ci_high": value + spread, "target": target.quality_min if target else None,
                "status": _judge(value - spread, value + spread,
                                 target.quality_min if target else None, at_least=True,
                                 enough=enough and not math.isnan(spread))}
        rows.append(row)
    return rows

