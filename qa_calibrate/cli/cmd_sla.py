"""``sla set|list``: the quality targets a contract sets per site (``report sla`` judges them)."""

from __future__ import annotations

import click

from .main import AppContext, cli, console, emit, listing_options, pass_app


@cli.group()
def sla() -> None:
    """Quality SLAs per site: mean QA score, critical-fail rate, CSAT, handle time."""


@sla.command("set")
@click.argument("site")
@click.option("--quality-target", type=float, help="Mean QA score the site must reach (0–100).")
@click.option("--critical-fail-max", type=float,
              help="Highest share of evaluations auto-failed (0–1, e.g. 0.02).")
@click.option("--csat-min", type=float, help="Lowest mean CSAT (on the stored scale).")
@click.option("--aht-max", type=float, help="Longest median handle time, in seconds.")
@pass_app
def sla_set(app: AppContext, site: str, quality_target: float | None,
            critical_fail_max: float | None, csat_min: float | None,
            aht_max: float | None) -> None:
    """Set a site's targets (a lead); an option left out keeps the stored target."""
    from ..sla import set_target

    row = set_target(app.store, site, actor=app.actor, quality_min=quality_target,
                     critical_fail_max=critical_fail_max, csat_min=csat_min,
                     aht_max_seconds=aht_max)
    shown = ", ".join(f"{k} {v:g}" for k, v in row.items() if k != "site" and v is not None)
    console.print(f"{row['site']}: {shown or 'no targets'}", markup=False, highlight=False)


@sla.command("list")
@listing_options
@pass_app
def sla_list(app: AppContext, fmt: str, limit: int | None) -> None:
    """Every site's targets."""
    from ..sla import list_targets

    emit(list_targets(app.store, actor=app.actor), fmt, limit=limit, title="SLA targets",
         columns=["site", "quality_min", "critical_fail_max", "csat_min", "aht_max_seconds"])
