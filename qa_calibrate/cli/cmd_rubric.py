"""``rubric load|list|show|modules``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from pathlib import Path
from typing import Any

import click

from .main import (
    AppContext,
    cli,
    complete_rubric,
    console,
    emit,
    format_option,
    listing_options,
    pass_app,
    styled,
)

SHOW_COLUMNS = ["key", "section", "question", "scale", "weight", "critical", "na_allowed",
                "refresher_module"]


@cli.group("rubric")
def rubric_group() -> None:
    """Scorecards (YAML) and the refresher-module catalogue."""


@rubric_group.command("load")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@format_option
@pass_app
def rubric_load(app: AppContext, paths: tuple[Path, ...], fmt: str) -> None:
    """Load rubric files, folders of them and module catalogues (all or nothing); with no PATH,
    the rubrics and catalogue that ship with qa-calibrate.

    A changed rubric is stored as a new version; an unchanged one is left alone."""
    from .. import rubric

    if paths:
        results = rubric.load_rubric_paths(app.store, list(paths), actor=app.actor)
    else:
        results = rubric.load_bundled_rubrics(app.store, actor=app.actor)
    if fmt != "table":
        emit([asdict(r) for r in results], fmt)
        return
    for r in results:
        if r.kind == "modules":
            what = "loaded" if r.status == "loaded" else "unchanged"
            console.print(f"{r.path}: module catalogue, {r.count} modules ({what})",
                          markup=False, highlight=False)
        elif r.status == "loaded":
            console.print(f"{r.path}: {r.name} loaded as version {r.version} "
                          f"({r.count} criteria)", markup=False, highlight=False)
        elif r.status == "older":
            console.print(f"{r.path}: {r.name} is identical to version {r.version}, not the "
                          f"latest (version {r.latest}); nothing stored", markup=False,
                          highlight=False)
        else:
            console.print(f"{r.path}: {r.name} unchanged (version {r.version})",
                          markup=False, highlight=False)


@rubric_group.command("list")
@listing_options
@pass_app
def rubric_list(app: AppContext, fmt: str, limit: int | None) -> None:
    """Every rubric version in the store."""
    from .. import rubric

    emit(rubric.list_rubrics(app.store), fmt, limit=limit, title="Rubrics",
         columns=["name", "version", "title", "channel", "criteria", "content_hash", "loaded_at",
                  "latest"])


@rubric_group.command("show")
@click.argument("name", shell_complete=complete_rubric)
@format_option
@pass_app
def rubric_show(app: AppContext, name: str, fmt: str) -> None:
    """One rubric version (NAME or NAME@VERSION): its sections and criteria.

    JSON and CSV give one object/row per criterion, with the rubric name and version."""
    from .. import rubric

    data = rubric.show_rubric(app.store, name)
    if fmt != "table":
        rows = [{"rubric": data.name, "version": data.version, **c} for c in data.criteria]
        emit(rows, fmt)
        return
    latest = "" if data.latest else " — not the latest version"
    console.print(styled((data.title, "bold"),
                         f" ({data.name}@{data.version}, {data.channel or 'any channel'}"
                         f", {len(data.criteria)} criteria{latest})"))
    sections: dict[str, list[Mapping[str, Any]]] = {}
    for c in data.criteria:
        sections.setdefault(c["section"], []).append(c)
    for section, criteria in sections.items():
        emit(criteria, "table", title=section, columns=[c for c in SHOW_COLUMNS
                                                        if c != "section"])


@rubric_group.command("modules")
@listing_options
@pass_app
def rubric_modules(app: AppContext, fmt: str, limit: int | None) -> None:
    """The refresher-module catalogue."""
    from .. import rubric

    rows = rubric.list_modules(app.store)
    columns = ["id", "title", "duration_minutes", "owner"]
    emit(rows, fmt, limit=limit, title="Refresher modules",
         columns=columns if fmt == "table" else columns + ["description"])
