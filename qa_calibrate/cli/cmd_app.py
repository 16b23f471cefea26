"""``init`` and ``demo``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from .main import AppContext, cli, console, pass_app, styled

if TYPE_CHECKING:
    from ..store import Store


@cli.command("init")
@pass_app
def init_cmd(app: AppContext) -> None:
    """Create the store (or bring an old one up to date) and say where it is.

    A new store gets the rubrics and refresher-module catalogue that ship with qa-calibrate."""
    from ..interactions import count_interactions
    from ..rubric import seed_bundled_rubrics
    from ..store import describe_url, schema_version

    store = app.store
    console.print(
        f"store ready: {describe_url(store.url)} (schema version {schema_version(store)}, "
        f"{count_interactions(store)} interactions)"
    )
    loaded = seed_bundled_rubrics(store, actor=app.actor)
    if loaded:
        rubrics = sorted(r.name for r in loaded if r.kind == "rubric")
        modules = sum(r.count for r in loaded if r.kind == "modules")
        console.print(f"loaded the bundled rubrics ({', '.join(rubrics)}) and the module "
                      f"catalogue ({modules} modules)", markup=False, highlight=False)


def _demo_store(app: AppContext) -> Store:
    """The demo uses its own store unless --db/QA_CALIBRATE_DB names one."""
    from .. import locations

    if app.db_url is None:
        app.db_url = str(locations.demo_db_path())
    return app.store


@cli.command("demo")
@click.option("--sample-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Folder with sample data of your own (default: the sample data that ships "
                   "with qa-calibrate).")
@click.option("--no-tui", is_flag=True, help="Load and print a summary; do not open the TUI.")
@pass_app
def demo_cmd(app: AppContext, sample_dir: Path | None, no_tui: bool) -> None:
    """Load the bundled sample data into a demo store (once) and open the TUI on it."""
    from .. import demo as demo_core
    from ..store import describe_url

    store = _demo_store(app)
    console.print(f"demo store: {describe_url(store.url)}")
    result = demo_core.load_sample_data(
        store, sample_dir=sample_dir, actor=app.actor, say=lambda t: console.print(f"  {t}")
    )
    if not result.loaded:
        console.print("  already loaded")
    _print_demo_summary(app)
    if not no_tui:
        from .cmd_tui import run_app

        run_app(app, demo=True)


@cli.command("sample-data")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
def sample_data_cmd(folder: Path) -> None:
    """Write the sample files that ship with qa-calibrate (transcripts, people, six months of
    scores) into FOLDER, to try the import commands on."""
    from ..bundled import copy_sample_data

    written = copy_sample_data(folder)
    console.print(f"{folder}: {len(written)} sample files ({', '.join(p.name for p in written)})",
                  markup=False, highlight=False)


def _print_demo_summary(app: AppContext) -> None:
    from .. import sessions
    from ..demo import demo_user
    from ..interactions import count_interactions
    from ..rubric import list_rubrics

    store = app.store
    from ..people import person_name

    user = person_name(store, app.actor_name or demo_user(store) or app.actor)  # who acts
    console.print(
        f"{count_interactions(store)} interactions, "
        f"{len(list_rubrics(store))} rubric versions, "
        f"{len(sessions.list_sessions(store, actor=user))} calibration sessions"
    )
    for row in sessions.list_sessions(store, actor=user):
        console.print(styled(
            "  session ", (row.name, "bold"), f": {row.state}, "
            f"{row.submitted}/{row.expected} evaluations submitted"
        ))
