"""``rubric load|list|show|modules``."""

from __future__ import annotations

from pathlib import Path

import click

from .. import rubric
from ..output import to_json
from .main import AppContext, cli, console, emit, format_option, listing_options, pass_app


@cli.group("rubric")
def rubric_group() -> None:
    """Scorecards (YAML) and the refresher-module catalogue."""


@rubric_group.command("load")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@pass_app
def rubric_load(app: AppContext, paths: tuple[Path, ...]) -> None:
    """Load rubric files, folders of them and module catalogues (all or nothing)."""
    for r in rubric.load_rubric_paths(app.store, list(paths), actor=app.actor):
        if r.kind == "modules":
            console.print(f"{r.path}: {r.count} modules ({r.status})")
        elif r.status == "loaded":
            console.print(f"{r.path}: {r.name} loaded as version {r.version} ({r.count} criteria)")
        else:
            console.print(f"{r.path}: {r.name} unchanged (version {r.version})")


@rubric_group.command("list")
@listing_options
@pass_app
def rubric_list(app: AppContext, fmt: str, limit: int | None) -> None:
    """Every rubric version in the store."""
    emit(rubric.list_rubrics(app.store), fmt, limit=limit, title="Rubrics",
         columns=["name", "version", "title", "channel", "criteria", "content_hash", "loaded_at",
                  "latest"])


@rubric_group.command("show")
@click.argument("name")
@format_option
@pass_app
def rubric_show(app: AppContext, name: str, fmt: str) -> None:
    """One rubric version (NAME or NAME@VERSION): its sections and criteria."""
    data = rubric.show_rubric(app.store, name)
    if fmt == "json":
        click.echo(to_json(data))
        return
    cols = ["key", "section", "question", "scale", "weight", "critical", "na_allowed",
            "refresher_module"]
    if fmt == "csv":
        emit(data["criteria"], "csv", columns=cols)
        return
    console.print(f"[bold]{data['title']}[/bold] ({data['name']}@{data['version']}, "
                  f"{data['channel'] or 'any channel'})")
    emit(data["criteria"], "table", columns=[c for c in cols if c != "section"] + ["section"])


@rubric_group.command("modules")
@listing_options
@pass_app
def rubric_modules(app: AppContext, fmt: str, limit: int | None) -> None:
    """The refresher-module catalogue."""
    emit(rubric.list_modules(app.store), fmt, limit=limit, title="Refresher modules",
         columns=["id", "title", "duration_minutes", "owner"])
