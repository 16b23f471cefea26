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

    report = check_store(app.store, actor=app.actor)
    emit(report.findings, fmt, title="Store check", columns=["check", "status", "detail"])
    if not report.ok:
        sys.exit(1)


@cli.command("backup")
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
@pass_app
def backup_cmd(app: AppContext, target: Path) -> None:
    """Copy the store to TARGET while it is in use (SQLite online backup)."""
    from ..maintenance import backup_store

    digest = backup_store(app.store, target, actor=app.actor)
    console.print(f"backup written to {target} (sha256 {digest}…)")


@cli.command("encrypt")
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
@pass_app
def encrypt_cmd(app: AppContext, target: Path) -> None:
    """Write an encrypted copy (SQLCipher) of this SQLite store to TARGET, with the key in
    QA_CALIBRATE_KEY or asked for at the terminal. The plain file is left: delete it after."""
    import os

    from ..maintenance import encrypt_store
    from ..store import KEY_VAR
    from .main import ask_key

    key = os.environ.get(KEY_VAR) or ask_key("Key for the encrypted copy") or ""
    if key and not os.environ.get(KEY_VAR) and ask_key("The same key again") != key:
        from ..errors import InputError

        raise InputError("the two keys differ: nothing written")
    digest = encrypt_store(app.store, target, key=key, actor=app.actor)
    console.print(f"encrypted copy written to {target} (sha256 {digest}…); open it with "
                  f"--db {target} and the key in QA_CALIBRATE_KEY", markup=False,
                  highlight=False)


@cli.command("decrypt")
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
@pass_app
def decrypt_cmd(app: AppContext, target: Path) -> None:
    """Write a plain copy of this encrypted SQLite store to TARGET."""
    from ..maintenance import decrypt_store

    digest = decrypt_store(app.store, target, actor=app.actor)
    console.print(f"plain copy written to {target} (sha256 {digest}…)", markup=False,
                  highlight=False)


@cli.command("setting")
@click.argument("key")
@click.argument("value", required=False)
@pass_app
def setting_cmd(app: AppContext, key: str, value: str | None) -> None:
    """Show or change a store setting (trainers_see_transcripts, redact_names, redact_addresses:
    on|off). Lead only to change."""
    from ..access import set_setting, show_setting

    if value is None:
        console.print(f"{key} = {show_setting(app.store, key, actor=app.actor)}")
        return
    set_setting(app.store, key, value, actor=app.actor)
    console.print(f"{key} = {value}")
