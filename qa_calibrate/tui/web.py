"""The TUI for browsers (``qa-calibrate serve``): textual-serve, with every participant signed
in as themselves.

textual-serve runs one app process per browser websocket. Here the index page admits only a
browser that brings a one-time link token (``signin.SignIns.redeem``: the token is gone on first
use) or the session cookie that redeeming it set; the websocket starts an app only for a browser
whose cookie stands for a person, and starts it as that person (``python -m
qa_calibrate.tui.served NAME``), so the access policy applies exactly as in a terminal. Anything
else gets a 403 and no app process. Needs the ``serve`` extra (textual-serve, aiohttp).
"""

from __future__ import annotations

import asyncio
import logging
import shlex
import sys
import threading
from typing import Any
from urllib.parse import urlsplit

from aiohttp import WSMsgType, web
from textual_serve.app_service import AppService
from textual_serve.server import Server

from ..errors import QAError
from ..signin import Invitation, SignIns

COOKIE = "qa_calibrate_session"
REFUSED = ("This sign-in link was used already, has expired or is not one: ask the lead for a "
           "new link (each link signs one person in, once).")


def app_command(name: str) -> str:
    """The command that runs the TUI as ``name`` for one browser (the store comes from the
    ``QA_CALIBRATE_DB`` the server set; the name was checked at sign-in)."""
    return f"{shlex.quote(sys.executable)} -m qa_calibrate.tui.served {shlex.quote(name)}"


class ParticipantServer(Server):
    """textual-serve's server, with sign-in by one-time link in front of the app."""

    def __init__(self, signins: SignIns, *, host: str, port: int, lead: str,
                 public_url: str | None = None) -> None:
        super().__init__("qa-calibrate", host=host, port=port, title="qa-calibrate",
                         public_url=public_url)
        self.signins = signins
        self.lead = lead
        self.secure = self.public_url.startswith("https")

    def link(self, invitation: Invitation) -> str:
        return f"{self.public_url}/?token={invitation.token}"

    def invite(self, name: str) -> None:
        """Invite one more person while serving: their link on stdout, or one error line."""
        try:
            invitation = self.signins.invite(name, actor=self.lead)
        except QAError as exc:
            print(f"error: {' '.join(str(exc).split())}", file=sys.stderr, flush=True)
            return
        print(f"{invitation.name} ({invitation.role}): {self.link(invitation)}", flush=True)

    def _read_invitations(self, loop: asyncio.AbstractEventLoop) -> None:
        """Each name typed on stdin (one a line) is invited, without restarting the server."""
        for line in sys.stdin:
            if line.strip():
                loop.call_soon_threadsafe(self.invite, line.strip())

    def initialize_logging(self) -> None:
        """Warnings only: the access log would print every request, link tokens included."""
        logging.basicConfig(level=logging.WARNING)
        logging.getLogger("aiohttp.access").setLevel(logging.WARNING)

    async def on_startup(self, app: web.Application) -> None:
        print(f"serving on {self.public_url} (Ctrl+C stops; the links stop working with it); "
              "type a name and Enter to invite one more person", file=sys.stderr, flush=True)
        # a daemon thread: a read that never returns does not hold up the server's exit
        threading.Thread(target=self._read_invitations, args=(asyncio.get_running_loop(),),
                         name="qa-calibrate-invitations", daemon=True).start()

    def _refuse(self) -> web.Response:
        return web.Response(status=403, text=REFUSED)

    async def handle_index(self, request: web.Request) -> web.StreamResponse:
        token = request.query.get("token")
        if token:
            signed = self.signins.redeem(token, remote=request.remote)
            if signed is None:
                return self._refuse()
            # the token leaves the address bar (and the history) at once: back to the bare page
            response = web.Response(status=303, headers={"Location": "/"})
            response.set_cookie(COOKIE, signed.session, httponly=True, samesite="Lax",
                                secure=self.secure,
                                max_age=int(self.signins.session_ttl.total_seconds()))
            return response
        if self.signins.person(request.cookies.get(COOKIE)) is None:
            return self._refuse()
        page: web.StreamResponse = await super().handle_index(request)
        page.headers["Cache-Control"] = "no-store"
        return page

    def _same_origin(self, request: web.Request) -> bool:
        """A websocket from a page of this server, not from another site's page."""
        origin = request.headers.get("Origin")
        return origin is None or urlsplit(origin).netloc == request.host

    async def handle_websocket(  # type: ignore[override]  # a 403 is no websocket
            self, request: web.Request) -> web.StreamResponse:
        """One app process per browser connection, as the person the cookie stands for."""
        name = self.signins.person(request.cookies.get(COOKIE))
        if name is None or not self._same_origin(request):
            return self._refuse()
        websocket = web.WebSocketResponse(heartbeat=15)
        width = _int(request.query.get("width"), 80)
        height = _int(request.query.get("height"), 24)
        service: AppService | None = None
        try:
            await websocket.prepare(request)
            service = AppService(app_command(name), write_bytes=websocket.send_bytes,
                                 write_str=websocket.send_str,
                                 close=websocket.close,  # type: ignore[arg-type]
                                 download_manager=self.download_manager, debug=self.debug)
            await service.start(width, height)
            await _relay(websocket, service)
        except asyncio.CancelledError:
            await websocket.close()
        finally:
            if service is not None:
                await service.stop()
        return websocket


async def _relay(websocket: web.WebSocketResponse, service: AppService) -> None:
    """The browser's keys, size and focus to the app (textual-serve's message envelope)."""
    async for message in websocket:
        if message.type != WSMsgType.TEXT:
            continue
        envelope: Any = message.json()
        if not isinstance(envelope, list) or not envelope:
            continue
        kind = envelope[0]
        if kind == "stdin":
            await service.send_bytes(str(envelope[1]).encode("utf-8"))
        elif kind == "resize":
            size = envelope[1]
            await service.set_terminal_size(_int(size.get("width"), 80),
                                            _int(size.get("height"), 24))
        elif kind == "ping":
            await websocket.send_json(["pong", envelope[1]])
        elif kind == "blur":
            await service.blur()
        elif kind == "focus":
            await service.focus()


def _int(value: Any, default: int) -> int:
    try:
        return max(1, min(int(value), 1000))
    except (TypeError, ValueError):
        return default
