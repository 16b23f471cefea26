"""``session create|list|show|answers|reveal|consensus|close``, ``score`` and ``report``."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ..errors import InputError
from ..output import to_json
from ..vocabulary import STATES, STRATA

if TYPE_CHECKING:
    from ..report import Figure, SessionReport
    from ..sessions import SessionRow
from .main import (
    UTC_DATETIME,
    AppContext,
    cli,
    complete_person,
    complete_rubric,
    complete_session,
    console,
    emit,
    err_console,
    format_option,
    listing_options,
    pass_app,
    print_table,
    styled,
)


@cli.group()
def session() -> None:
    """Calibration sessions: blind scoring, reveal, consensus, close."""


@session.command("create")
@click.argument("name")
@click.option("--rubric", required=True, shell_complete=complete_rubric,
              help="Rubric NAME or NAME@VERSION (latest by default).")
@click.option("--lead", required=True, shell_complete=complete_person,
              help="The lead running the session (role lead).")
@click.option("--evaluator", "evaluators", multiple=True, required=True,
              shell_complete=complete_person,
              help="An evaluator taking part (repeat the option).")
@click.option("--benchmark", shell_complete=complete_person,
              help="The expert whose answers are the standard (often the lead).")
@click.option("--interaction", "interactions", multiple=True,
              help="Hand-pick an interaction (external id or SOURCE:ID; repeat).")
@click.option("--sample", "sample_size", type=click.IntRange(min=1),
              help="Draw this many interactions at random instead.")
@click.option("--stratify-by", type=click.Choice(STRATA),
              help="Spread the draw over agents, channels, sites, teams or queues.")
@click.option("--seed", type=int, help="Seed for the draw (same seed, same sample).")
@click.option("--channel", type=click.Choice(["chat", "voice", "email"]),
              help="Draw from this channel (default: the rubric's).")
@click.option("--source", help="Only interactions from this source.")
@click.option("--since", type=UTC_DATETIME, help="Draw from interactions started on/after.")
@click.option("--until", type=UTC_DATETIME, help="Draw from interactions started before.")
@click.option("--due", type=click.DateTime(formats=["%Y-%m-%d"]), help="Due date (YYYY-MM-DD).")
@format_option
@pass_app
def session_create(
    app: AppContext, name: str, rubric: str, lead: str, evaluators: tuple[str, ...],
    benchmark: str | None, interactions: tuple[str, ...], sample_size: int | None,
    stratify_by: str | None, seed: int | None, channel: str | None, source: str | None,
    since: datetime | None, until: datetime | None, due: datetime | None, fmt: str,
) -> None:
    """Create an open (blind) calibration session."""
    from .. import sessions

    if interactions and sample_size:
        raise InputError("give --interaction or --sample, not both")
    if not interactions and not sample_size:
        raise InputError("give the sample: --interaction ID (repeat) or --sample N")
    row = sessions.create_session(
        app.store, name=name, rubric=rubric, lead=lead, evaluators=list(evaluators),
        benchmark=benchmark, interactions=list(interactions) or None, sample_size=sample_size,
        stratify_by=stratify_by, seed=seed, channel=channel, source=source, since=since,
        until=until, due_on=due.date() if due else None, actor=app.actor,
    )
    _print_summary(row, fmt, "created")


def _print_summary(row: SessionRow, fmt: str, verb: str) -> None:
    if fmt == "table":
        console.print(styled(
            "session ", (row.name, "bold"),
            f" {verb}: {row.state}, rubric {row.rubric}, "
            f"{row.evaluators} people × {row.interactions} interactions "
            f"({row.submitted}/{row.expected} evaluations submitted)"
        ))
    else:
        emit([row], fmt)


@session.command("list")
@click.option("--state", type=click.Choice(STATES))
@listing_options
@pass_app
def session_list(app: AppContext, state: str | None, fmt: str, limit: int | None) -> None:
    """List calibration sessions, newest first."""
    from .. import sessions

    emit(sessions.list_sessions(app.store, state=state, actor=app.actor), fmt, limit=limit,
         title="Sessions",
         columns=["id", "name", "state", "rubric", "lead", "benchmark", "evaluators",
                  "interactions", "submitted", "expected", "due_on", "created_at"])


@session.command("show")
@click.argument("name", shell_complete=complete_session)
@format_option
@pass_app
def session_show(app: AppContext, name: str, fmt: str) -> None:
    """Show a session: who has scored what, and the sample."""
    from .. import sessions

    detail = sessions.session_detail(app.store, name, actor=app.actor)
    if fmt == "json":
        click.echo(to_json(detail))
        return
    if fmt == "csv":
        emit(detail.sample, "csv")
        return
    _print_summary(detail, "table", "is")
    emit(detail.people, "table", title="People")
    emit(detail.sample, "table", title="Sample")


@session.command("answers")
@click.argument("name", shell_complete=complete_session)
@click.option("--evaluator", shell_complete=complete_person,
              help="Only this evaluator's answers.")
@listing_options
@pass_app
def session_answers(app: AppContext, name: str, evaluator: str | None, fmt: str,
                    limit: int | None) -> None:
    """Answers you may see (blind: while open, an evaluator sees only their own)."""
    from .. import sessions

    if evaluator:
        rows = sessions.answers_of(app.store, name, viewer=app.actor, evaluator=evaluator)
    else:
        rows = sessions.list_answers(app.store, name, actor=app.actor)
    emit(rows, fmt, limit=limit, title="Answers",
         columns=["interaction_id", "evaluator", "criterion", "value", "na", "comment", "turn",
                  "status"])


@session.command("reveal")
@click.argument("name", shell_complete=complete_session)
@format_option
@pass_app
def session_reveal(app: AppContext, name: str, fmt: str) -> None:
    """Lock scoring and show everyone's answers (lead only: use --as LEAD)."""
    from .. import sessions

    _print_summary(sessions.reveal(app.store, name, actor=app.actor), fmt, "revealed")


@session.command("consensus")
@click.argument("name", shell_complete=complete_session)
@click.option("--interaction", help="Interaction (external id or SOURCE:ID).")
@click.option("--criterion", help="Criterion key.")
@click.option("--value", help="Agreed answer: yes/no, 1..N, points or n/a.")
@click.option("--note", help="Why: so the decision is not argued again next month.")
@click.option("--fill", type=click.Choice(["unanimous", "benchmark"]),
              help="Fill every cell still without consensus from unanimous answers or the "
                   "benchmark.")
@click.option("--if-version", type=click.IntRange(min=1),
              help="Change the consensus only if it is still at this version (the one printed "
                   "when it was recorded); if another lead changed it since, exit code 4.")
@pass_app
def session_consensus(app: AppContext, name: str, interaction: str | None, criterion: str | None,
                      value: str | None, note: str | None, fill: str | None,
                      if_version: int | None) -> None:
    """Record the agreed answer for one criterion of one interaction (lead only)."""
    from .. import sessions

    if fill and if_version is not None:
        raise InputError("--if-version names one cell's version: not with --fill")
    if fill:
        n = sessions.fill_consensus(app.store, name, method=fill, actor=app.actor)
        console.print(f"{n} consensus cells filled ({fill})")
        return
    if not (interaction and criterion and value is not None):
        raise InputError("give --interaction, --criterion and --value (or --fill)")
    row = sessions.set_consensus(app.store, name, interaction=interaction, criterion=criterion,
                                 value=value, note=note, actor=app.actor,
                                 expected_version=if_version)
    console.print(f"consensus {row.criterion} = {'n/a' if row.na else row.value} "
                  f"(version {row.version})")


@session.command("close")
@click.argument("name", shell_complete=complete_session)
@format_option
@pass_app
def session_close(app: AppContext, name: str, fmt: str) -> None:
    """Close a revealed session once consensus is complete (lead only); it becomes read-only."""
    from .. import sessions

    _print_summary(sessions.close(app.store, name, actor=app.actor), fmt, "closed")


@cli.command("score")
@click.argument("session_name", shell_complete=complete_session)
@click.option("--interaction", help="Score this interaction without the TUI.")
@click.option("--answer", "answers", multiple=True, metavar="KEY=VALUE[,KEY=VALUE...]",
              help="Answers (repeat, or separate with commas; a later one for the same key "
                   "wins); with --interaction, saves without opening the TUI.")
@click.option("--comment", "comments", multiple=True, metavar="KEY=TEXT")
@click.option("--turn", "turns", multiple=True, metavar="KEY=SEQ",
              help="Tie the comment on KEY to transcript turn SEQ (KEY= unties it).")
@click.option("--submit", is_flag=True,
              help="Submit after saving (every criterion must be answered).")
@pass_app
def score_cmd(app: AppContext, session_name: str, interaction: str | None,
              answers: tuple[str, ...], comments: tuple[str, ...], turns: tuple[str, ...],
              submit: bool) -> None:
    """Score a session's sample as --as NAME: opens the scoring queue in the TUI, or saves the
    given --answer values for one --interaction."""
    from .. import sessions

    if interaction is None:
        from .cmd_tui import open_scoring

        open_scoring(app, session_name)
        return

    def pairs(items: list[str], what: str) -> dict[str, str]:
        out = {}
        for item in items:  # a later KEY=VALUE for the same key wins
            if "=" not in item:
                raise InputError(f"{what} {item!r}: write KEY=VALUE")
            key, val = item.split("=", 1)
            out[key.strip()] = val.strip()
        return out

    answer_items = [part for item in answers for part in item.split(",") if part.strip()]
    tied: dict[str, int | None] = {}
    for key, seq in pairs(list(turns), "--turn").items():
        if seq and not seq.isdigit():
            raise InputError(f"--turn {key}={seq}: SEQ is the number of a transcript turn")
        tied[key] = int(seq) if seq else None
    result = sessions.score(
        app.store, session_name, evaluator=app.actor, interaction=interaction,
        answers=pairs(answer_items, "--answer"), comments=pairs(list(comments), "--comment"),
        turns=tied, submit_now=submit,
    )
    score = result["score"]
    console.print(
        f"evaluation {result['evaluation_id']} {result['status']}: score "
        f"{'–' if score is None else f'{score:.1f}'}"
        f"{' (auto-fail)' if result['auto_failed'] else ''}"
    )


# ----------------------------------------------------------------------------- reports


@cli.group("report")
def report_group() -> None:
    """Calibration reports."""


def _settings_options(func: Any) -> Any:
    for option in reversed([
        click.option("--tolerance", type=float, default=5.0, show_default=True,
                     help="Score-gap band in points."),
        click.option("--objective-target", type=float, default=0.90, show_default=True,
                     help="Agreement target on objective criteria."),
        click.option("--subjective-target", type=float, default=0.80, show_default=True,
                     help="Agreement target on subjective criteria."),
        click.option("--resamples", type=click.IntRange(min=0), default=1000, show_default=True,
                     help="Bootstrap resamples or posterior draws for the intervals of AC1, α "
                          "and κ (0: none; agreement's interval is closed-form)."),
        click.option("--seed", type=int, default=20240601, show_default=True),
    ]):
        func = option(func)
    return func


def _settings(**kw: Any) -> Any:
    from ..report import ReportSettings

    return ReportSettings(
        tolerance=kw["tolerance"], objective_target=kw["objective_target"],
        subjective_target=kw["subjective_target"], n_resamples=kw["resamples"], seed=kw["seed"],
    )


def _fmt(fig: Figure | Mapping[str, Any], pct: bool = False, label: bool = False) -> str:
    from ..report import Figure

    return Figure.of(fig).text(pct=pct, label=label)


def _long_rows(report: SessionReport) -> list[dict[str, Any]]:
    from ..report import CRITERION_COEFFICIENTS

    out: list[dict[str, Any]] = []
    for c in report.criteria:
        for name in CRITERION_COEFFICIENTS:
            f = c.figure(name)
            out.append({"section": "criterion", "subject": c.criterion, "figure": name,
                        "value": f.value, "ci_low": f.ci_low, "ci_high": f.ci_high,
                        "se": f.se, "label": f.label or f.undefined or "",
                        "method": f.method or ""})
        out.append({"section": "criterion", "subject": c.criterion, "figure": "flagged",
                    "value": c.flagged})
        out.append({"section": "criterion", "subject": c.criterion, "figure": "status",
                    "value": c.interactions_to_settle, "label": c.status})
    for e in report.evaluators:
        for name in ("match_rate", "calibration_score", "ordinal_bias", "binary_bias",
                     "mean_gap", "mean_abs_gap", "interactions_outside_band", "out_of_band"):
            out.append({"section": "evaluator", "subject": e.evaluator, "figure": name,
                        "value": getattr(e, name), "label": e.direction})
    icc = report.overall_score_icc
    out.append({"section": "session", "subject": report.session.name, "figure": "icc_2_1",
                "value": icc.value, "ci_low": icc.ci_low, "ci_high": icc.ci_high,
                "label": icc.undefined or ""})
    return out


@report_group.command("agreement")
@click.argument("session_name", shell_complete=complete_session)
@_settings_options
@format_option
@pass_app
def report_agreement(app: AppContext, session_name: str, fmt: str, **kw: Any) -> None:
    """Agreement report for a session: per criterion, per evaluator, overall-score ICC."""
    from rich.table import Table

    from ..report import session_report

    report = session_report(app.store, session_name, _settings(**kw), viewer=app.actor)
    if fmt == "json":
        click.echo(to_json(report.to_dict()))
        return
    if fmt == "csv":
        emit(_long_rows(report), "csv",
             columns=["section", "subject", "figure", "value", "ci_low", "ci_high", "se", "label",
                      "method"])
        return
    s = report.session
    console.print(styled((s.name, "bold"),
                         f" ({s.state}, {s.rubric}): "
                         f"{s.interactions} interactions, {len(s.evaluators)} evaluators, "
                         f"reference: {report.reference}"))
    table = Table(title="Criteria, widest split first", header_style="bold")
    for col in ("criterion", "scale", "agreement", "Gwet AC1", "Krippendorff α", "status"):
        table.add_column(col, overflow="fold")
    for c in report.criteria:
        table.add_row(
            styled(c.criterion + (" ⚠critical" if c.critical else "")), c.scale,
            c.percent_agreement.text(pct=True), c.gwet_ac1.text(label=False),
            c.krippendorff_alpha.text(), _status_text(c),
        )
    print_table(table)
    console.print(_methods_line(report), markup=False)
    table = Table(title=styled(f"Evaluators vs {report.reference}"), header_style="bold")
    for col in ("evaluator", "match", "calibration score", "mean gap", "mean |gap|",
                "ordinal bias", "outside ±band", "direction"):
        table.add_column(col)
    for e in report.evaluators:
        table.add_row(
            styled(e.evaluator), _num(e.match_rate, pct=True),
            _num(e.calibration_score),
            _num(e.mean_gap, signed=True), _num(e.mean_abs_gap),
            _num(e.ordinal_bias, signed=True),
            f"{e.interactions_outside_band}/{e.interactions_scored}",
            styled((e.direction, "red")) if e.out_of_band else e.direction,
        )
    print_table(table)
    icc = report.overall_score_icc
    console.print(f"Overall-score ICC(2,1): {icc.text(label=False)} over {icc.interactions} "
                  "interactions")


def _status_text(c: Any) -> Any:
    """flagged (below the target), passes, or can't tell yet with what would settle it."""
    if c.status == "flagged":
        return styled((f"flagged: below {c.target:.0%}", "red"))
    if c.status == "passes":
        return styled((f"passes {c.target:.0%}", "green"))
    if not c.percent_agreement.defined:
        return styled(("can't tell: no agreement figure", "dim"))
    settle = (f", ~{c.interactions_to_settle} interactions would settle it"
              if c.interactions_to_settle else "")
    return styled((f"can't tell yet vs {c.target:.0%}{settle}", "yellow"))


def _methods_line(report: SessionReport) -> str:
    """Which method each interval used, per coefficient, with how many criteria used it."""
    parts = []
    for name, title in (("percent_agreement", "agreement"), ("gwet_ac1", "AC1"),
                        ("krippendorff_alpha", "α")):
        used: dict[str, int] = {}
        for c in report.criteria:
            method = c.figure(name).method
            if method:
                used[method] = used.get(method, 0) + 1
        if used:
            parts.append(f"{title}: " + ", ".join(f"{k} ({v})" for k, v in sorted(used.items())))
    return (f"{report.settings.confidence:.0%} intervals — "
            + ("; ".join(parts) if parts else "none"))


def _num(v: Any, pct: bool = False, signed: bool = False) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "–"
    if pct:
        return f"{v:.0%}"
    return f"{v:+.1f}" if signed else f"{v:.1f}"


@report_group.command("evaluators")
@_settings_options
@listing_options
@pass_app
def report_evaluators(app: AppContext, fmt: str, limit: int | None, **kw: Any) -> None:
    """Each evaluator across every revealed or closed session."""
    settings = _settings(**{**kw, "resamples": 0})
    from ..report import evaluators_report

    rows = evaluators_report(app.store, settings, actor=app.actor)
    columns = ["evaluator", "sessions", "interactions", "match_rate", "calibration_score",
               "mean_gap", "mean_abs_gap", "ordinal_bias", "out_of_band", "last_session"]
    if fmt == "json":  # the per-criterion bias list is structured: JSON only
        columns.append("criterion_bias")
    emit([r.to_dict() for r in rows], fmt, limit=limit, title="Evaluators across sessions",
         columns=columns)


@report_group.command("trend")
@click.option("--rubric", shell_complete=complete_rubric,
              help="Only sessions of this rubric (NAME or NAME@VERSION).")
@click.option("--evaluator", shell_complete=complete_person,
              help="Only this evaluator's calibration score.")
@click.option("--resamples", type=click.IntRange(min=0), default=1000, show_default=True,
              help="Bootstrap resamples for the intervals (0: none).")
@click.option("--seed", type=int, default=20240601, show_default=True)
@listing_options
@pass_app
def report_trend(app: AppContext, rubric: str | None, evaluator: str | None, resamples: int,
                 seed: int, fmt: str, limit: int | None) -> None:
    """How agreement (per rubric) and each evaluator's calibration score moved session by
    session, with intervals; revealed and closed sessions only, oldest first."""
    from ..report import ReportSettings
    from ..trend import trend_view

    view = trend_view(app.store, actor=app.actor, rubric=rubric, evaluator=evaluator,
                      settings=ReportSettings(n_resamples=resamples, seed=seed))
    rows = view.rows()
    columns = ["kind", "subject", "session", "state", "when", "rubric", "value", "ci_low",
               "ci_high", "interactions", "undefined"]
    if fmt != "table":
        emit(rows, fmt, limit=limit, columns=columns)
        return

    def shown(r: dict[str, Any]) -> dict[str, Any]:
        pct = r["kind"] == "agreement"
        value = _num(r["value"], pct=pct) if r["undefined"] is None else "undefined"
        ci = "" if math.isnan(r["ci_low"]) else (
            f"[{r['ci_low']:.0%}–{r['ci_high']:.0%}]" if pct
            else f"[{r['ci_low']:.1f}–{r['ci_high']:.1f}]")
        return {"subject": r["subject"], "session": r["session"], "when": r["when"],
                "rubric": r["rubric"], "value": value, "interval": ci,
                "interactions": r["interactions"], "note": r["undefined"] or ""}

    table_rows = [shown(r) for r in rows[:limit] if r["kind"] == "agreement"]
    emit(table_rows, "table", title=f"Agreement by session (mean percent agreement, "
                                    f"{view.confidence:.0%} interval)")
    left = max(0, (limit or len(rows)) - len(table_rows))
    emit([shown(r) for r in rows if r["kind"] == "calibration"][:left], "table",
         title="Calibration score by session (vs the reference, 0–100)")


@report_group.command("sites")
@click.argument("session_name", required=False, shell_complete=complete_session)
@click.option("--since", type=UTC_DATETIME,
              help="Instead of one session: every revealed or closed session since this date.")
@click.option("--until", type=UTC_DATETIME, help="With --since: sessions created before.")
@_settings_options
@format_option
@pass_app
def report_sites(app: AppContext, session_name: str | None, since: datetime | None,
                 until: datetime | None, fmt: str, **kw: Any) -> None:
    """The offset between organisations on the same contacts: per site the mean score, the
    offset from the lead's site (+ lenient) with its interval, the criteria where their majority
    answers differ, agreement within and across organisations."""
    from ..sites import sites_report, sites_report_since

    if (session_name is None) == (since is None):
        raise InputError("give a SESSION, or --since DATE for every revealed session since")
    settings = _settings(**kw)
    report = sites_report(app.store, session_name, settings, viewer=app.actor) \
        if session_name else sites_report_since(app.store, since, settings, until=until,
                                                viewer=app.actor)
    if fmt == "json":
        click.echo(to_json(report))
        return
    rows = [{"organisation": o.organisation + (" (reference)" if o.reference else ""),
             "evaluators": len(o.evaluators), "interactions": o.interactions,
             "mean_score": o.mean_score,
             "offset": o.offset.figure().text() if o.offset else "",
             "direction": o.offset.direction if o.offset else ""}
            for o in report.organisations]
    if fmt == "csv":
        emit(rows, "csv")
        return
    console.print(f"sessions: {', '.join(report.sessions or ()) or 'none'}", markup=False,
                  highlight=False)
    emit(rows, "table", title="Organisations (offset = site − reference, points)")
    emit(report.criteria, "table", title="Criteria where the majority answers differ",
         columns=["organisation", "criterion", "lenient", "harsh", "compared", "direction"])
    agree = report.agreement
    console.print(f"agreement on an answer: within organisations {_num(agree['within'], True)}"
                  f", across them {_num(agree['across'], True)}", markup=False, highlight=False)


@report_group.command("sla")
@click.option("--period", type=click.Choice(["month", "quarter"]), default="month",
              show_default=True)
@click.option("--site", help="Only this site.")
@click.option("--since", type=UTC_DATETIME, help="Contacts started on/after.")
@click.option("--until", type=UTC_DATETIME, help="Contacts started before.")
@click.option("--min-evaluations", type=click.IntRange(min=1), default=10, show_default=True,
              help="Fewer evaluations in a period are 'too few' to judge.")
@click.option("--xlsx", "xlsx_out", type=click.Path(dir_okay=False, path_type=Path),
              metavar="OUT.xlsx", help="Also write the report as a workbook.")
@listing_options
@pass_app
def report_sla(app: AppContext, period: str, site: str | None, since: datetime | None,
               until: datetime | None, min_evaluations: int, xlsx_out: Path | None, fmt: str,
               limit: int | None) -> None:
    """Per site and period: mean QA score, critical-fail rate, CSAT and median handle time
    against the site's targets (met, missed, too close to tell, too few), the quality corrected
    by the site's measured calibration offset, and how QA scores track CSAT."""
    from ..sla import SlaSettings, sla_report

    rows = sla_report(app.store, actor=app.actor, settings=SlaSettings(period=period,
                                                      min_evaluations=min_evaluations),
                      site=site, since=since, until=until)
    if xlsx_out is not None:
        from ..export_xlsx import write_sla_workbook

        n = write_sla_workbook(xlsx_out, rows)
        err_console.print(f"{xlsx_out}: {n} site-periods", markup=False, highlight=False)
    if fmt == "json":
        click.echo(to_json(rows[:limit] if limit else rows))
        return
    flat = []
    for r in rows:
        cal = r.get("calibrated_quality")
        flat.append({
            "site": r["site"], "period": r["period"], "evaluations": r["evaluations"],
            "quality": _fmt(r["quality"]), "quality_status": r["quality"]["status"] or "",
            "calibrated": _fmt(cal) if cal else "", "calibrated_status":
                (cal["status"] or "") if cal else "",
            "critical_fail": _fmt(r["critical_fail_rate"], pct=True),
            "critical_status": r["critical_fail_rate"]["status"] or "",
            "csat": _fmt(r["csat"]), "csat_status": r["csat"]["status"] or "",
            "median_aht": r["median_handle_time"]["value"],
            "aht_status": r["median_handle_time"]["status"] or "",
            "qa_csat_rho": _fmt(r["qa_csat_correlation"]),
            "rho_n": r["qa_csat_correlation"]["n"]})
    emit(flat, fmt, limit=limit, title="Quality SLAs per site and period")
