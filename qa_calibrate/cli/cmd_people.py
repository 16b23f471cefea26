"""``evaluator add|list|import``."""

from __future__ import annotations

from pathlib import Path

import click

from ..vocabulary import ROLES
from .main import AppContext, cli, console, emit, listing_options, pass_app


@cli.group()
def evaluator() -> None:
    """People who score: evaluators, leads and trainers."""


@evaluator.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(ROLES),
              help="evaluator, lead or trainer (a new person: evaluator; omitted: unchanged).")
@click.option("--site", help="Site or BPO vendor the person works for (omitted: unchanged).")
@pass_app
def evaluator_add(app: AppContext, name: str, role: str | None, site: str | None) -> None:
    """Add a person, or change their role/site (a lead, or anyone while the store has none)."""
    from .. import people

    changed = people.add_evaluator(app.store, name, role=role, site=site, actor=app.actor)
    console.print(f"{name}: {'saved' if changed else 'unchanged'}")


@evaluator.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@pass_app
def evaluator_import(app: AppContext, path: Path) -> None:
    """Add people from a CSV file with columns name, role, site."""
    from .. import people

    changed = people.import_evaluators(app.store, path, actor=app.actor)
    console.print(f"{path}: {changed} people added or updated")


@evaluator.command("list")
@click.option("--role", type=click.Choice(ROLES))
@listing_options
@pass_app
def evaluator_list(app: AppContext, role: str | None, fmt: str, limit: int | None) -> None:
    """List people in the store."""
    from .. import people

    emit(people.list_evaluators(app.store, role=role, actor=app.actor), fmt, limit=limit,
         title="Evaluators",
         columns=["name", "role", "site", "active"])
