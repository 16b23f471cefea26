"""``check`` and ``backup``."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .main import AppContext, cli, console, emit, format_option, pass_app


@cli.command("check")
@format_option
@pass_app
def check_cmd(app: AppContext, fmt: str) -> None:
    """Check the store: integrity, orphan rows, rubric hashes. Exit 1 if anything is wrong."""
    from ..maintenance import check_store

    report = check_store(app.store)
    emit(report.findings, fmt, title="Store check", columns=["check", "status", "detail"])
    if not report.ok:
        sys.exit(1)


@cli.command("backup")
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
@pass_app
def backup_cmd(app: AppContext, target: Path) -> None:
    """Copy the store to TARGET while it is in use (SQLite online backup)."""
    from ..maintenance import backup_store

    digest = backup_store(app.store, target)
    console.print(f"backup written to {target} (sha256 {digest}…)")


@cli.command("setting")
@click.argument("key")
@click.argument("value", required=False)
@pass_app
def setting_cmd(app: AppContext, key: str, value: str | None) -> None:
    """Show or change a store setting (trainers_see_transcripts on|off). Lead only to change."""
    from ..access import get_setting, set_setting
    from ..errors import PermissionDenied
    from ..people import find_evaluator

    if value is None:
        with app.store.session() as s:
            console.print(f"{key} = {get_setting(s, key)}")
        return
    with app.store.session() as s:
        if find_evaluator(s, app.actor).role != "lead":
            raise PermissionDenied(f"{app.actor} is not a lead: cannot change settings")
    set_setting(app.store, key, value, actor=app.actor)
    console.print(f"{key} = {value}")
