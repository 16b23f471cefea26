"""``qa-calibrate serve``: one-time sign-in links (core), the server's gate over HTTP, and two
participants in headless Chromium, each seeing what their role allows."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import aiohttp
import pytest
from browser import Browser, chromium_path
from click.testing import CliRunner
from helpers import FULL_PASS, LEAD, seed_basics

from qa_calibrate import sessions
from qa_calibrate.audit import list_audit
from qa_calibrate.cli import cli
from qa_calibrate.errors import PermissionDenied, UnknownPerson
from qa_calibrate.signin import SignIns
from qa_calibrate.store import Store, open_store


def test_a_link_signs_in_its_person_once(sqlite_store: Store) -> None:
    seed_basics(sqlite_store, n_interactions=1)
    signins = SignIns(sqlite_store)
    invitation = signins.invite("ann", actor=LEAD)
    assert (invitation.name, invitation.role) == ("Ann", "evaluator")
    assert invitation.token not in repr(vars(signins))  # kept only as its hash
    assert signins.redeem("not-a-token") is None and signins.redeem(None) is None
    signed = signins.redeem(invitation.token, remote="10.0.0.7")
    assert signed is not None and (signed.name, signed.role) == ("Ann", "evaluator")
    assert signins.person(signed.session) == "Ann"
    assert signed.session not in repr(vars(signins))
    assert signins.redeem(invitation.token) is None  # used: signs nobody in again
    assert signins.person("forged") is None and signins.person(None) is None
    actions = [(a.action, a.actor) for a in list_audit(sqlite_store, entity="sign_in",
                                                               actor=LEAD)]
    assert actions == [("invite", LEAD), ("redeem", "Ann")]

    late = SignIns(sqlite_store)
    late.link_ttl = timedelta(seconds=-1)
    assert late.redeem(late.invite("Bob", actor=LEAD).token) is None  # expired
    short = SignIns(sqlite_store)
    short.session_ttl = timedelta(seconds=-1)
    gone = short.redeem(short.invite("Bob", actor=LEAD).token)
    assert gone is not None and short.person(gone.session) is None  # the session expired


def test_only_a_lead_invites_and_only_people_of_the_store(sqlite_store: Store) -> None:
    seed_basics(sqlite_store, n_interactions=1)
    signins = SignIns(sqlite_store)
    for who in ("Ann", "Tess Trainer", "Zed"):
        with pytest.raises(PermissionDenied, match="cannot serve the TUI"):
            signins.invite("Bob", actor=who)
    with pytest.raises(UnknownPerson, match="Zed"):
        signins.invite("Zed", actor=LEAD)
    assert signins.pending() == 0


def test_serve_without_the_extra_says_which_to_install(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from qa_calibrate.cli import cmd_serve

    store = open_store(f"sqlite:///{tmp_path / 's.db'}")
    seed_basics(store, n_interactions=1)
    store.close()
    monkeypatch.setattr(cmd_serve, "find_spec", lambda name: None)
    result = CliRunner().invoke(cli, ["--db", f"sqlite:///{tmp_path / 's.db'}", "--as", LEAD,
                                      "serve", "--invite", "Ann", "--check"])
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        "error: serving to browsers is not installed; install it with: pip install "
        "'qa-calibrate[serve]'"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Served:
    """A ``qa-calibrate serve`` process (and its app processes) on a free local port."""

    def __init__(self, db: str, invites: list[str]) -> None:
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if k not in ("QA_CALIBRATE_DB",
                                                                 "QA_CALIBRATE_USER")}
        env["PYTHONUNBUFFERED"] = "1"
        args = [sys.executable, "-m", "qa_calibrate", "--db", db, "--as", LEAD, "serve",
                "--port", str(self.port)]
        for name in invites:
            args += ["--invite", name]
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, env=env,
                                     start_new_session=True)
        assert self.proc.stdout is not None
        self.links: dict[str, str] = {}
        for _ in invites:
            line = self.proc.stdout.readline()
            assert line, self.proc.stderr.read() if self.proc.stderr else "serve stopped"
            who, link = line.strip().split(": ", 1)
            self.links[who.split(" (")[0]] = link
        deadline = time.monotonic() + 15
        while True:  # listening once the page answers (403: no link, no app)
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    break
            except OSError:
                assert time.monotonic() < deadline, "serve did not start listening"
                time.sleep(0.1)

    def invite(self, name: str) -> str:
        """Invite one more person while serving (a name on stdin): their link line."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(name + "\n")
        self.proc.stdin.flush()
        return self.proc.stdout.readline().strip()

    def stop(self) -> None:
        import signal

        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    """Lena (lead) and Ann (evaluator) invited; session "Open": Ann and Bob score, Lena is the
    benchmark; Ann submitted the first contact."""
    db = f"sqlite:///{tmp_path / 'store.db'}"
    store = open_store(db)
    try:
        ids = seed_basics(store, n_interactions=2)
        sessions.create_session(store, name="Open", rubric="mini", lead=LEAD, actor=LEAD,
                                evaluators=["Ann", "Bob"], benchmark=LEAD, interactions=ids)
        sessions.score(store, "Open", evaluator="Ann", interaction=ids[0], answers=FULL_PASS,
                       submit_now=True)
    finally:
        store.close()
    server = Served(db, [LEAD, "Ann"])
    try:
        yield server
    finally:
        server.stop()


async def test_the_server_lets_in_only_a_fresh_link_or_its_cookie(served: Served) -> None:
    jar = aiohttp.CookieJar(unsafe=True)  # keeps cookies of an IP address, as a browser does
    async with aiohttp.ClientSession(cookie_jar=jar) as http:
        for url in (served.base + "/", served.base + "/?token=guessed"):
            async with http.get(url, allow_redirects=False) as r:
                assert r.status == 403 and "used already" in await r.text()
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await http.ws_connect(served.base + "/ws")  # no cookie: no app process
        assert refused.value.status == 403
        async with http.get(served.links["Ann"], allow_redirects=False) as r:
            assert r.status == 303 and r.headers["Location"] == "/"
            cookie = r.cookies["qa_calibrate_session"]
            assert cookie["httponly"] and cookie["samesite"] == "Lax"
        async with http.get(served.base + "/") as r:  # the cookie stands for Ann
            assert r.status == 200 and "data-session-websocket-url" in await r.text()
        # one more person invited while the server runs, without a restart
        line = await asyncio.to_thread(served.invite, "bob")
        assert line.startswith("Bob (evaluator): " + served.base + "/?token=")
        async with http.get(line.split(": ", 1)[1], allow_redirects=False) as r:
            assert r.status == 303
    async with aiohttp.ClientSession() as other:  # another browser with Ann's used link
        async with other.get(served.links["Ann"], allow_redirects=False) as r:
            assert r.status == 403
        with pytest.raises(aiohttp.WSServerHandshakeError):
            await other.ws_connect(served.base + "/ws",
                                   headers={"Cookie": "qa_calibrate_session=forged"})


@pytest.fixture
def chromium() -> str:
    path = chromium_path()
    if path is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but chromium is not installed (.ci/run installs it)")
        pytest.skip("chromium not installed (apt-get install chromium); CI runs this test")
    return path


async def test_two_participants_in_chromium_each_see_what_their_role_allows(
        served: Served, chromium: str) -> None:
    browser = Browser()
    started = time.monotonic()
    try:
        await browser.start()
        lead, ann, reuse, nobody = [await browser.new_page() for _ in range(4)]
        await asyncio.gather(lead.goto(served.links[LEAD]), ann.goto(served.links["Ann"]))
        # an app process each: measured 5 s to the first screen on a lightly loaded machine,
        # 12 s at a load of 18 on 2 cores
        await asyncio.gather(
            lead.wait_for_screen(f"{LEAD} (lead)", "Calibration sessions", timeout=45),
            ann.wait_for_screen("Ann (evaluator)", "Your queue", timeout=45))

        # the lead opens the meeting of the open session: every evaluator's column
        await lead.press("m")
        screen = await lead.wait_for_screen("Open · open · interaction 1/2")
        assert "Ann" in screen and "Bob" in screen
        # the evaluator may not, while the session is open (the blind rule, from the core)
        await ann.press("m")
        screen = await ann.wait_for_screen("not a lead")
        assert "interaction 1/2" not in screen
        # and scores as herself: her own queue, the lead's answers nowhere
        await ann.press("s")
        await ann.wait_for_screen("Open", "C-001")

        # a link already used, or no link at all: the refusal page, no terminal
        await reuse.goto(served.links["Ann"])
        await nobody.goto(served.base + "/")
        for page in (reuse, nobody):
            deadline = time.monotonic() + 5
            while "used already" not in await page.body_text():
                assert time.monotonic() < deadline
                await asyncio.sleep(0.1)
            assert await page.evaluate("document.querySelector('.xterm') === null")
            assert await page.screen() == ""
    finally:
        await browser.close()
    assert time.monotonic() - started < 90  # 14 s on a lightly loaded machine, 20-24 s at load 18


def test_serve_needs_a_real_port_to_print_links(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 's.db'}")
    seed_basics(store, n_interactions=1)
    store.close()
    result = CliRunner().invoke(cli, ["--db", f"sqlite:///{tmp_path / 's.db'}", "--as", LEAD,
                                      "serve", "--invite", "Ann", "--port", "0"])
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.strip().splitlines() == [
        "error: --port 0 is only for --check: the links need the port"]
    nobody = CliRunner().invoke(cli, ["--db", f"sqlite:///{tmp_path / 's.db'}", "--as", LEAD,
                                      "serve", "--port", "0", "--check"])
    assert nobody.exit_code == 2 and "--invite NAME" in nobody.stderr
