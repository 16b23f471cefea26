"""The offset between organisations (sites) that scored the same contacts.

The reference organisation is the session lead's site (the client, who sets the standard). For
every other organisation, per interaction: the mean score of its evaluators minus the reference's
mean on the same contact; the offset is the mean of those differences (+ lenient, − harsh) with a
percentile bootstrap interval over interactions. Beside it: where the organisations' majority
pass/fail differs per criterion, and how often two evaluators agree on an answer within an
organisation against across organisations. ``sites_report_since`` pools every revealed or closed
session of a period the same way (the differences of all their contacts).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from sqlmodel import col, select

from . import models as m
from .report import Figure, ReportSettings, SessionData, _load_session_data, _scores
from .sessions import _check_can_see_all, _find_session
from .store import Store
from .views import View

NO_SITE = "(no site)"
MIN_CONTACTS = 5  # fewer shared contacts than this: no direction is called


def _organisations(data: SessionData) -> tuple[list[int], list[str]]:
    """Raters (benchmark left out) and each one's organisation."""
    raters = [n for n in range(len(data.evaluators)) if n != data.benchmark_index]
    return raters, [data.evaluators[n].site or NO_SITE for n in raters]


def _reference(data: SessionData, sites: Sequence[str]) -> str:
    lead = next((p for p in data.evaluators if p.id == data.session.lead_id), None)
    if lead is not None and lead.site in sites:
        return str(lead.site)
    return sorted(set(sites))[0]


def _interval(diffs: np.ndarray, settings: ReportSettings) -> tuple[float, float]:
    """Percentile bootstrap of the mean over interactions (vectorised resamples)."""
    n = diffs.size
    if n < 2 or settings.n_resamples <= 0:
        return math.nan, math.nan
    rng = np.random.default_rng(settings.seed)
    means = diffs[rng.integers(0, n, size=(settings.n_resamples, n))].mean(axis=1)
    tail = (1 - settings.confidence) / 2 * 100
    low, high = np.percentile(means, [tail, 100 - tail])
    return float(low), float(high)


def _pass(data: SessionData, raters: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    """passed[i, r, c] and answered-with-a-value[i, r, c] for the raters."""
    pass_at = np.array([c.pass_at for c in data.criteria], dtype=float)
    values = data.values[:, raters, :]
    valued = ~np.isnan(values)
    return valued & (np.nan_to_num(values) >= pass_at), valued


def _codes(data: SessionData, raters: Sequence[int]) -> np.ndarray:
    """Answers as comparable numbers: the value, −1 for N/A, NaN where not answered."""
    values = np.where(data.na, -1.0, data.values)
    values = np.where(data.answered, values, np.nan)
    return values[:, raters, :]


def _row_means(x: np.ndarray) -> np.ndarray:
    """Mean of each row over its numbers (NaN where a row has none)."""
    count = (~np.isnan(x)).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, np.nansum(x, axis=1) / count, np.nan)


@dataclass(frozen=True)
class Offset(View):
    """A site's mean score minus the reference site's on the same contacts (+ lenient)."""

    value: float
    ci_low: float
    ci_high: float
    n: int
    direction: str

    def figure(self) -> Figure:
        return Figure(self.value, ci_low=self.ci_low, ci_high=self.ci_high)


@dataclass(frozen=True)
class OrganisationRow(View):
    organisation: str
    reference: bool
    evaluators: tuple[str, ...]
    sessions: int
    interactions: int
    mean_score: float
    offset: Offset | None = None  # None for the reference organisation

    def to_dict(self) -> dict[str, Any]:
        out = super().to_dict()
        if self.offset is None:
            del out["offset"]
        return out


@dataclass(frozen=True)
class CriterionDifference(View):
    """Contacts where a site's majority answer differs from the reference's on a criterion."""

    organisation: str
    criterion: str
    lenient: int
    harsh: int
    compared: int
    direction: str


@dataclass(frozen=True)
class SitesReport(View):
    """The offset between organisations; ``sessions`` names those pooled (None inside a
    session's own report)."""

    reference: str | None
    organisations: tuple[OrganisationRow, ...]
    criteria: tuple[CriterionDifference, ...]
    agreement: Mapping[str, float]
    pairs: Mapping[str, int]
    sessions: tuple[str, ...] | None = None

    def to_dict(self) -> dict[str, Any]:
        out = super().to_dict()
        sessions = out.pop("sessions")
        return out if sessions is None else {"sessions": sessions, **out}

    def organisation(self, name: str) -> OrganisationRow | None:
        return next((o for o in self.organisations if o.organisation == name), None)


def _figures(datas: Sequence[SessionData], settings: ReportSettings,
             sessions: tuple[str, ...] | None = None) -> SitesReport:
    orgs: dict[str, dict[str, Any]] = {}
    reference = _reference(datas[0], _organisations(datas[0])[1])
    diffs: dict[str, list[np.ndarray]] = {}
    crit_rows: dict[tuple[str, str], list[int]] = {}
    pairs = {"within": [0, 0], "across": [0, 0]}
    for data in datas:
        raters, sites = _organisations(data)
        site_arr = np.array(sites)
        scores = np.column_stack([_scores(data, data.values[:, r, :], data.na[:, r, :])
                                  for r in raters]) if raters else np.empty((0, 0))
        passed, valued = _pass(data, raters)
        means: dict[str, np.ndarray] = {}
        majority: dict[str, np.ndarray] = {}
        for site in sorted(set(sites)):
            cols = site_arr == site
            means[site] = _row_means(scores[:, cols])
            votes = valued[:, cols, :].sum(axis=1)
            twice_passes = passed[:, cols, :].sum(axis=1) * 2
            # 1 = most pass, 0 = most fail; a tie (or no answer) is no majority
            majority[site] = np.where(twice_passes > votes, 1.0,
                                      np.where(twice_passes < votes, 0.0, np.nan))
            org = orgs.setdefault(site, {"organisation": site, "evaluators": set(),
                                         "scores": [], "sessions": 0})
            org["evaluators"] |= {data.evaluators[r].name for r, s in zip(raters, sites,
                                                                          strict=True)
                                  if s == site}
            org["scores"].append(means[site])
            org["sessions"] += 1
        if reference not in means:
            continue
        for site, mean in means.items():
            if site == reference:
                continue
            both = ~np.isnan(mean) & ~np.isnan(means[reference])
            diffs.setdefault(site, []).append(mean[both] - means[reference][both])
            ref_major, their = majority[reference], majority[site]
            compared = ~np.isnan(ref_major) & ~np.isnan(their)
            lenient = compared & (their == 1) & (ref_major == 0)
            harsh = compared & (their == 0) & (ref_major == 1)
            for c, crit in enumerate(data.criteria):
                counts = crit_rows.setdefault((site, crit.key), [0, 0, 0])
                counts[0] += int(lenient[:, c].sum())
                counts[1] += int(harsh[:, c].sum())
                counts[2] += int(compared[:, c].sum())
        codes = _codes(data, raters)
        same = site_arr[:, None] == site_arr[None, :]
        upper = np.triu(np.ones((len(raters), len(raters)), dtype=bool), k=1)
        both = ~np.isnan(codes[:, :, None, :]) & ~np.isnan(codes[:, None, :, :])
        equal = codes[:, :, None, :] == codes[:, None, :, :]
        for name, mask in (("within", same), ("across", ~same)):
            pick = (mask & upper)[None, :, :, None] & both
            pairs[name][0] += int((equal & pick).sum())
            pairs[name][1] += int(pick.sum())
    out_orgs: list[OrganisationRow] = []
    for site in sorted(orgs, key=lambda s: (s != reference, s)):
        org = orgs[site]
        scores = np.concatenate(org["scores"]) if org["scores"] else np.empty(0)
        scores = scores[~np.isnan(scores)]
        offset = None
        if site != reference:
            d = np.concatenate(diffs.get(site, [np.empty(0)]))
            low, high = _interval(d, settings)
            value = float(d.mean()) if d.size else math.nan
            offset = Offset(value=value, ci_low=low, ci_high=high, n=int(d.size),
                            direction=_direction(value, low, high, int(d.size)))
        out_orgs.append(OrganisationRow(
            organisation=site, reference=site == reference,
            evaluators=tuple(sorted(org["evaluators"])), sessions=org["sessions"],
            interactions=int(scores.size),
            mean_score=float(scores.mean()) if scores.size else math.nan, offset=offset))
    criteria = sorted(
        (CriterionDifference(
            organisation=site, criterion=key, lenient=lenient, harsh=harsh, compared=compared,
            direction="lenient" if lenient > harsh else "harsh" if harsh > lenient else "even")
         for (site, key), (lenient, harsh, compared) in sorted(crit_rows.items())
         if lenient or harsh),
        key=lambda r: (-(r.lenient + r.harsh), r.organisation, r.criterion))
    return SitesReport(
        reference=reference, organisations=tuple(out_orgs), criteria=tuple(criteria),
        agreement={name: (agree / total if total else math.nan)
                   for name, (agree, total) in pairs.items()},
        pairs={name: total for name, (_agree, total) in pairs.items()},
        sessions=sessions,
    )


def _direction(value: float, low: float, high: float, n: int) -> str:
    """Lenient or harsh only when the interval excludes 0 over at least ``MIN_CONTACTS`` shared
    contacts; else too close (or too few) to tell."""
    if math.isnan(value):
        return "no shared contacts"
    if math.isnan(low) or n < MIN_CONTACTS:
        return "too few contacts to tell"
    if low > 0:
        return "lenient"
    if high < 0:
        return "harsh"
    return "too close to tell"


def _organisation_figures(data: SessionData, settings: ReportSettings) -> SitesReport | None:
    """The figures of one session's organisations, or None when everyone is of one site."""
    if len(set(_organisations(data)[1])) < 2:
        return None
    return _figures([data], settings)


def sites_report(store: Store, ref: str | int, settings: ReportSettings | None = None, *,
                 viewer: str | None = None) -> SitesReport:
    """The offset between the organisations of one session (a lead while it is open)."""
    settings = settings or ReportSettings()
    with store.read() as session:
        cal = _find_session(session, ref)
        _check_can_see_all(session, cal, viewer)
        data = _load_session_data(session, ref)
    return _figures([data], settings, sessions=(data.session.name,))


def sites_report_since(store: Store, since: datetime | None, settings: ReportSettings | None
                       = None, *, until: datetime | None = None, viewer: str) -> SitesReport:
    """The same over every revealed or closed session created in the period whose evaluators
    come from more than one organisation (figures across sessions: leads and trainers)."""
    from .access import _require

    settings = settings or ReportSettings()
    with store.read() as session:
        _require(session, viewer, "report.evaluators")
        created = col(m.CalibrationSession.created_at)
        q = select(m.CalibrationSession).where(
            col(m.CalibrationSession.state).in_(("revealed", "closed")))
        if since is not None:
            q = q.where(created >= since)
        if until is not None:
            q = q.where(created < until)
        datas = [_load_session_data(session, cal.id or 0)
                 for cal in session.exec(q.order_by(created)).all()]
    datas = [d for d in datas if len(set(_organisations(d)[1])) > 1]
    if not datas:
        return SitesReport(reference=None, organisations=(), criteria=(),
                           agreement={"within": math.nan, "across": math.nan},
                           pairs={"within": 0, "across": 0}, sessions=())
    return _figures(datas, settings, sessions=tuple(d.session.name for d in datas))
