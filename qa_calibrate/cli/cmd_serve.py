"""``serve``: the TUI for browser participants (textual-serve), each signed in by their own
one-time link."""

from __future__ import annotations

import os
import socket
from importlib.util import find_spec

import click

from ..errors import InputError
from ..locations import ENV_VAR
from .main import AppContext, cli, pass_app


def _free(host: str, port: int) -> None:
    """Refuse at once, in one line, when the address cannot be listened on."""
    try:
        with socket.create_server((host, port)):
            pass
    except OSError as exc:
        raise InputError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc


@cli.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (0.0.0.0: every interface; put TLS in front).")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True)
@click.option("--invite", "invites", multiple=True, metavar="NAME",
              help="A person of the store who may join; repeat per person. Each gets one link.")
@click.option("--public-url", metavar="URL",
              help="The address participants open, if not http://HOST:PORT (e.g. a TLS proxy).")
@click.option("--link-minutes", type=click.IntRange(min=1), default=120, show_default=True,
              help="An unopened link expires after this.")
@click.option("--check", "check_only", is_flag=True,
              help="Check the extra, the address and the names, then exit without serving.")
@pass_app
def serve_cmd(app: AppContext, host: str, port: int, invites: tuple[str, ...],
              public_url: str | None, link_minutes: int, check_only: bool) -> None:
    """Run the TUI for browsers; print one sign-in link per invited person (lead only).

    Each link works once and signs in only that person, whose role then applies as in a
    terminal; a used, expired or missing link gets no app. The links die with the server. While
    it runs, a name typed on stdin (one a line) invites one more person."""
    from ..access import check
    from ..people import person_name

    check(app.store, app.actor, "serve")
    if find_spec("textual_serve") is None or find_spec("aiohttp") is None:
        raise InputError("serving to browsers is not installed; install it with: "
                         "pip install 'qa-calibrate[serve]'")
    if not invites:
        raise InputError("nobody invited: name each participant with --invite NAME")
    names = [person_name(app.store, n) for n in invites]
    _free(host, port)
    if port == 0 and not check_only:
        raise InputError("--port 0 is only for --check: the links need the port")
    if public_url is None and host in ("0.0.0.0", "::", ""):
        public_url = f"http://{socket.getfqdn()}:{port}"  # not the wildcard: a name others open
    if check_only:
        click.echo(f"ready to serve {len(names)} people on {host}:{port}: {', '.join(names)}")
        return
    from ..signin import SignIns
    from ..tui.web import ParticipantServer

    os.environ[ENV_VAR] = app.store.url  # the app processes open the server's store
    signins = SignIns(app.store, link_minutes=link_minutes)
    server = ParticipantServer(signins, host=host, port=port, public_url=public_url,
                               lead=app.actor)
    for name in names:
        invitation = signins.invite(name, actor=app.actor)
        click.echo(f"{invitation.name} ({invitation.role}): {server.link(invitation)}")
    click.echo(f"each link works once, for {link_minutes} minutes; send each to its person "
               "only", err=True)
    server.serve()
