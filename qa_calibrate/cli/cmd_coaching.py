"""``drift``, ``coaching plan|list|export|import-status`` and ``audit list``."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from ..vocabulary import DRIFT_ANSWERS_PER_YEAR, DRIFT_YEARS_PER_FALSE_ALARM
from .main import (
    UTC_DATETIME,
    AppContext,
    cli,
    complete_person,
    console,
    emit,
    err_console,
    listing_options,
    pass_app,
    progress_bar,
)


@contextmanager
def _progress_bar(what: str) -> Iterator[Callable[[str, int, int], None]]:
    """A progress bar on stderr (nothing when stderr is not a terminal), fed by the core's
    progress(stage, done, total) callback."""
    with progress_bar() as bar:
        task = bar.add_task(what, total=None)

        def update(stage: str, done: int, total: int) -> None:
            bar.update(task, description=f"{what}: {stage}", completed=done, total=total)

        yield update


@cli.group("drift", invoke_without_command=True)
@click.option("--since", type=UTC_DATETIME, help="Only flags signalled on/after this date.")
@click.option("--evaluator", shell_complete=complete_person,
              help="Only this evaluator's flags.")
@click.option("--source", type=click.Choice(["routine", "calibration", "both"]), default="both",
              show_default=True, help="Evidence: routine scoring, calibration sessions, or both.")
@click.option("--all", "include_cleared", is_flag=True,
              help="Cleared flags too (who cleared them, when and why).")
@click.option("--years-per-false-alarm", type=click.FloatRange(min=0.01),
              default=DRIFT_YEARS_PER_FALSE_ALARM, show_default=True,
              help=f"The charts' false-alarm rate: one per chart (evaluator × criterion × "
                   f"direction) in this many years at {DRIFT_ANSWERS_PER_YEAR:,.0f} answers a "
                   "year. Another value shows what it would flag and keeps nothing.")
@click.option("--threshold", type=float, default=None,
              help="One fixed CUSUM limit h for every base rate instead (before issue 16); "
                   "shows what it would flag and keeps nothing.")
@listing_options
@click.pass_context
def drift_cmd(ctx: click.Context, since: datetime | None, evaluator: str | None, source: str,
              include_cleared: bool, years_per_false_alarm: float, threshold: float | None,
              fmt: str, limit: int | None) -> None:
    """Evaluators drifting lenient or harsh on a criterion (risk-adjusted CUSUM): the standing
    flags, kept from the day they were raised until a lead clears them (`drift clear`)."""
    if ctx.invoked_subcommand is not None:
        return
    from ..drift import FLAG_KEYS, DriftSettings, detect_drift

    app: AppContext = ctx.find_object(AppContext)  # type: ignore[assignment]
    settings = DriftSettings(years_per_false_alarm=years_per_false_alarm, threshold=threshold)
    sources = ("routine", "calibration") if source == "both" else (source,)
    flags = detect_drift(app.store, since=since, evaluator=evaluator, settings=settings,
                         sources=sources, include_cleared=include_cleared, actor=app.actor)
    rows = [f.as_row() for f in flags]
    if fmt == "table":
        columns = ["id", "evaluator", "criterion", "direction", "size", "onset_date",
                   "first_date", "evidence_count", "z", "source", "examples"]
        if include_cleared:
            columns += ["cleared_at", "cleared_by", "clear_note"]
        emit(rows, fmt, limit=limit, title="Drift flags", columns=columns)
        if not settings.default_rate:
            err_console.print("not the stated false-alarm rate: these flags are not kept")
        return
    cols = list(FLAG_KEYS) + [k for k in rows[0] if k not in FLAG_KEYS and k != "trend"] \
        if rows else list(FLAG_KEYS)
    emit(rows, fmt, limit=limit, columns=cols)


@drift_cmd.command("clear")
@click.argument("flag_id", type=int)
@click.option("--note", required=True, help="Why it is cleared (recalibrated, reviewed…).")
@pass_app
def drift_clear(app: AppContext, flag_id: int, note: str) -> None:
    """Clear a standing drift flag (leads): a later signal of that chart raises a new one."""
    from ..drift import clear_flag

    flag = clear_flag(app.store, flag_id, note=note, actor=app.actor)
    console.print(f"cleared drift flag {flag.id}: {flag.evaluator} {flag.direction} on "
                  f"{flag.criterion} since {flag.onset_date} (signalled {flag.first_date})")


@cli.group()
def coaching() -> None:
    """Coaching plans for agents and evaluators, and the trainers' Excel workbook."""


def _settings(**kw: Any) -> Any:
    from ..coaching import CoachingSettings

    return CoachingSettings(fail_threshold=kw["fail_threshold"], min_answers=kw["min_answers"],
                            due_days=kw["due_days"])


@coaching.command("plan")
@click.option("--since", type=UTC_DATETIME, help="Findings from this date on.")
@click.option("--until", type=UTC_DATETIME, help="Findings before this date.")
@click.option("--team", help="Only this team's agents.")
@click.option("--fail-threshold", type=float, default=0.25, show_default=True,
              help="Fail rate at which a floor or team failing alike is one systemic finding "
                   "(critical criteria: 0.05).")
@click.option("--min-answers", type=int, default=8, show_default=True,
              help="Fewest answers on a criterion before its rate counts.")
@click.option("--due-days", type=int, default=14, show_default=True,
              help="Days until due (high priority: 7).")
@click.option("--dry-run", is_flag=True, help="Show what would be assigned; store nothing.")
@listing_options
@pass_app
def coaching_plan(app: AppContext, since: datetime | None, until: datetime | None,
                  team: str | None, dry_run: bool, fmt: str, limit: int | None,
                  **kw: Any) -> None:
    """Assign refresher modules and recalibration from the findings; list the open plan."""
    from ..coaching import PLAN_KEYS, plan

    with _progress_bar("coaching plan") as progress:
        made = plan(app.store, actor=app.actor, since=since, until=until, team=team,
                    settings=_settings(**kw), save=not dry_run, progress=progress)
    rows = made.to_dicts()
    cols = list(PLAN_KEYS) if fmt != "table" else [
        "id", "kind", "assignee", "role", "team", "module_title", "priority", "due_on",
        "trainer", "status", "reason"]
    emit(rows, fmt, limit=limit, columns=cols, title="Coaching plan")


@coaching.command("list")
@click.option("--status", type=click.Choice(["Not started", "In progress", "Done"]))
@click.option("--team")
@click.option("--trainer")
@listing_options
@pass_app
def coaching_list(app: AppContext, status: str | None, team: str | None, trainer: str | None,
                  fmt: str, limit: int | None) -> None:
    """Stored assignments."""
    from ..coaching import PLAN_KEYS, list_assignments

    rows = [a.to_dict() for a in list_assignments(app.store, status=status, team=team,
                                                  trainer=trainer, actor=app.actor)]
    emit(rows, fmt, limit=limit, columns=list(PLAN_KEYS) if fmt != "table" else [
        "id", "kind", "assignee", "role", "team", "module_title", "priority", "due_on",
        "trainer", "status"], title="Assignments")


@coaching.command("export")
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--open-only", is_flag=True, help="Leave out assignments already Done.")
@click.option("--team")
@click.option("--trainer")
@pass_app
def coaching_export(app: AppContext, out: Path, open_only: bool, team: str | None,
                    trainer: str | None) -> None:
    """Write the trainers' workbook (Assignments, By trainer, Evidence, Failure rates)."""
    from ..export_xlsx import export_plan

    with _progress_bar(f"export {out.name}") as progress:
        n = export_plan(app.store, out, open_only=open_only, team=team, trainer=trainer,
                        progress=progress, actor=app.actor)
    console.print(f"{out}: {n} assignments")


@coaching.command("import-status")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@pass_app
def coaching_import_status(app: AppContext, path: Path) -> None:
    """Read Status, Completed on, Acknowledged and Notes of a trainer's workbook back into the
    store. Rows changed in the store since the export (exit code 4), or owned by another trainer
    (exit code 3), are listed and left unchanged; a file with nothing of yours to change is
    refused."""
    from ..export_xlsx import import_workbook

    result = import_workbook(app.store, path, actor=app.actor)
    console.print(f"{path}: {result.changed} assignments changed")
    for line in result.refused:
        err_console.print(f"conflict: {line}", markup=False, highlight=False)
    if result.refused:
        raise SystemExit(3 if result.not_theirs else 4)


@cli.group()
def audit() -> None:
    """The append-only audit log."""


@audit.command("list")
@click.option("--entity", help="Only this kind of record (evaluation, consensus, ...).")
@click.option("--actor", help="Only changes by this person.")
@listing_options
@pass_app
def audit_list(app: AppContext, entity: str | None, actor: str | None, fmt: str,
               limit: int | None) -> None:
    """Every change, oldest first."""
    from ..audit import list_audit

    rows = list_audit(app.store, entity=entity, by=actor, limit=limit, actor=app.actor)
    emit(rows, fmt, title="Audit log",
         columns=["id", "at", "actor", "entity", "entity_id", "action", "before", "after"])
