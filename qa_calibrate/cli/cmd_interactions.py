"""``interaction list|show``."""

from __future__ import annotations

from datetime import datetime

import click

from ..output import to_json
from .main import (
    UTC_DATETIME,
    AppContext,
    cli,
    console,
    emit,
    format_option,
    listing_options,
    pass_app,
    printable,
    styled,
)

SPEAKER_STYLE = {"agent": "bold cyan", "customer": "bold yellow", "system": "dim"}


def _clock(seconds: float | None) -> str:
    if seconds is None:
        return "     "
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes:02d}:{secs:02d}"


@cli.group()
def interaction() -> None:
    """Imported customer contacts and their transcripts."""


@interaction.command("list")
@click.option("--channel", type=click.Choice(["chat", "voice", "email"]))
@click.option("--agent")
@click.option("--team")
@click.option("--site")
@click.option("--since", type=UTC_DATETIME, help="Started on or after (YYYY-MM-DD).")
@click.option("--until", type=UTC_DATETIME, help="Started before (YYYY-MM-DD).")
@listing_options
@pass_app
def interaction_list(
    app: AppContext, channel: str | None, agent: str | None, team: str | None,
    site: str | None, since: datetime | None, until: datetime | None, fmt: str, limit: int | None,
) -> None:
    """List interactions (every one unless --limit is given)."""
    from .. import interactions

    rows = interactions.list_interactions(
        app.store, channel=channel, agent=agent, team=team, site=site, since=since, until=until,
        limit=limit, actor=app.actor,
    )
    emit(rows, fmt, columns=list(interactions.INTERACTION_COLUMNS), title="Interactions")


@interaction.command("show")
@click.argument("ref")
@format_option
@pass_app
def interaction_show(app: AppContext, ref: str, fmt: str) -> None:
    """Show one interaction and its transcript (REF: external id, SOURCE:ID or #store-id)."""
    from rich.text import Text

    from .. import interactions

    row = interactions.show_interaction(app.store, ref, viewer=app.actor)
    if fmt == "json":
        click.echo(to_json(row))
        return
    if fmt == "csv":
        emit(row["transcript"], "csv", columns=["seq", "speaker", "offset_seconds", "text"])
        return
    head = " · ".join(
        str(v) for v in (row["channel"], row["agent"], row["team"], row["site"], row["queue"],
                         row["started_at"]) if v
    )
    console.print(styled((f"{row['source']}:{row['external_id']}", "bold"), f"  {head}"))
    for turn in row["transcript"]:
        line = Text(f"{_clock(turn['offset_seconds'])} ")
        line.append(f"{turn['speaker']:>8}: ", style=SPEAKER_STYLE.get(turn["speaker"], ""))
        line.append(printable(turn["text"]))
        console.print(line)
