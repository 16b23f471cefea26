"""``packet keygen|export|import|results``: calibrating with another organisation by file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from .main import (
    AppContext,
    cli,
    complete_person,
    complete_session,
    console,
    emit,
    format_option,
    pass_app,
)

KEY_VAR = "QA_CALIBRATE_PACKET_KEY"


def _key_option(func: Any) -> Any:
    return click.option(
        "--key", "key_file", required=True, envvar=KEY_VAR, metavar="FILE",
        type=click.Path(dir_okay=False, path_type=Path),
        help=f"The key both organisations hold (packet keygen; env {KEY_VAR}).")(func)


@cli.group()
def packet() -> None:
    """Calibration packets: send a session to another organisation and read its results back.

    Files are signed with a shared key (HMAC-SHA256) and hold no scores of the sender, no
    unredacted text; a changed, forged or replayed file is refused or adds nothing."""


@packet.command("keygen")
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
def packet_keygen(out: Path) -> None:
    """Write a new key to OUT (owner-only); give the same file to the other organisation once,
    by a channel other than the packets'."""
    from ..packets import keygen

    console.print(f"{out}: new packet key (key id {keygen(out)})", markup=False,
                  highlight=False)


def _print(result: Any, fmt: str, verb: str) -> None:
    from dataclasses import asdict

    if fmt != "table":
        emit([asdict(result)], fmt)
        return
    if not result.added:
        console.print(f"{result.path}: {result.kind} packet {result.packet_id} was read before; "
                      "nothing added", markup=False, highlight=False)
        return
    counts = ", ".join(f"{n} {what}" for n, what in (
        (result.interactions, "interactions"), (result.evaluations, "evaluations"),
        (result.people, "people")) if n)
    console.print(f"{result.path}: {result.kind} packet {result.packet_id} {verb} for session "
                  f"{result.session!r}{f' ({counts})' if counts else ''}", markup=False,
                  highlight=False)


def _sending(name: str, doc: str, function: str) -> None:
    """``packet export`` and ``packet results``: a lead writes one of the session's packets."""

    @packet.command(name, help=doc)
    @click.argument("session_name", shell_complete=complete_session)
    @click.option("-o", "--out", required=True,
                  type=click.Path(dir_okay=False, path_type=Path))
    @_key_option
    @format_option
    @pass_app
    def command(app: AppContext, session_name: str, out: Path, key_file: Path,
                fmt: str) -> None:
        from .. import packets

        write = getattr(packets, function)
        _print(write(app.store, session_name, out, key=packets.read_key(key_file),
                     actor=app.actor), fmt, "written")


_sending("export", "Write an open session's packet (rubric, redacted sample, rules; no "
                   "scores), as its lead.", "export_session")
_sending("results", "Write the submitted evaluations of a session that came in a packet, as "
                    "its lead.", "export_results")


@packet.command("import")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@_key_option
@click.option("--lead", shell_complete=complete_person,
              help="Session packet: the lead of this store who runs the session here.")
@click.option("--evaluator", "evaluators", multiple=True, shell_complete=complete_person,
              help="Session packet: an evaluator of this store who scores it (repeat).")
@format_option
@pass_app
def packet_import(app: AppContext, path: Path, key_file: Path, lead: str | None,
                  evaluators: tuple[str, ...], fmt: str) -> None:
    """Read a session packet (creates the session here, scored blind as usual) or a results
    packet (adds the other organisation's evaluations to the session this store sent)."""
    from ..packets import import_packet, read_key

    _print(import_packet(app.store, path, key=read_key(key_file), actor=app.actor, lead=lead,
                         evaluators=evaluators), fmt, "read")
