"""Headless Chromium driven over the Chrome DevTools protocol (aiohttp's websocket client), for
tests/test_serve.py: one browser, one isolated context (cookies of its own) per participant, and
the text of the page's terminal read from xterm.js's buffer."""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from typing import Any

import aiohttp

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync",
                  "--disable-dev-shm-usage", "--remote-debugging-port=0"]

# textual-serve keeps its xterm.js Terminal in a closure; this runs before the page's scripts
# and notes the first object assigned to a ``terminal`` property that has xterm's public buffer
# API, so the test can read what the terminal shows (xterm draws to a canvas, not to the DOM).
CAPTURE_TERMINAL = """
Object.defineProperty(Object.prototype, 'terminal', {
  configurable: true,
  set(value) {
    Object.defineProperty(this, 'terminal', {value, writable: true, configurable: true,
                                             enumerable: true});
    if (!window.__qaTerminal && value && value.buffer && value.buffer.active
        && typeof value.buffer.active.getLine === 'function') {
      window.__qaTerminal = value;
    }
  },
});
"""

SCREEN_TEXT = """(() => {
  const t = window.__qaTerminal;
  if (!t) { return null; }
  const b = t.buffer.active, rows = [];
  for (let i = 0; i < t.rows; i++) {
    const line = b.getLine(b.viewportY + i);
    rows.push(line ? line.translateToString(true) : '');
  }
  return rows.join('\\n');
})()"""


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


class Browser:
    """A headless Chromium process and its DevTools connection."""

    def __init__(self) -> None:
        self.profile = tempfile.mkdtemp(prefix="qa-chromium-")
        self.proc: subprocess.Popen[bytes] | None = None
        self.http: aiohttp.ClientSession | None = None
        self.ws: Any = None
        self._ids = itertools.count(1)
        self._waiting: dict[int, asyncio.Future[Any]] = {}
        self._reader: asyncio.Task[None] | None = None

    async def start(self, timeout: float = 20) -> None:
        path = chromium_path()
        assert path, "chromium not found"
        self.proc = subprocess.Popen(
            [path, *CHROMIUM_FLAGS, f"--user-data-dir={self.profile}", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        port_file = os.path.join(self.profile, "DevToolsActivePort")
        deadline = time.monotonic() + timeout
        while not (os.path.exists(port_file) and open(port_file).read().strip()):
            assert self.proc.poll() is None, "chromium exited"
            assert time.monotonic() < deadline, "chromium did not start"
            await asyncio.sleep(0.1)
        port, path_ = open(port_file).read().split()[:2]
        self.http = aiohttp.ClientSession()
        self.ws = await self.http.ws_connect(f"ws://127.0.0.1:{port}{path_}", max_msg_size=0)
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for message in self.ws:
            data = json.loads(message.data)
            future = self._waiting.pop(data.get("id", -1), None)
            if future is not None and not future.done():
                future.set_result(data)

    async def send(self, method: str, params: dict[str, Any] | None = None,
                   session: str | None = None, timeout: float = 10) -> dict[str, Any]:
        call_id = next(self._ids)
        message: dict[str, Any] = {"id": call_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._waiting[call_id] = future
        await self.ws.send_str(json.dumps(message))
        reply = await asyncio.wait_for(future, timeout)
        assert "error" not in reply, (method, reply["error"])
        return reply.get("result", {})

    async def new_page(self) -> Page:
        """A tab in a context of its own: cookies are not shared with other pages."""
        context = (await self.send("Target.createBrowserContext"))["browserContextId"]
        target = (await self.send("Target.createTarget", {
            "url": "about:blank", "browserContextId": context}))["targetId"]
        session = (await self.send("Target.attachToTarget", {
            "targetId": target, "flatten": True}))["sessionId"]
        page = Page(self, session)
        await page.call("Page.enable")
        await page.call("Page.addScriptToEvaluateOnNewDocument", {"source": CAPTURE_TERMINAL})
        return page

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
        if self.ws is not None:
            await self.ws.close()
        if self.http is not None:
            await self.http.close()
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
        shutil.rmtree(self.profile, ignore_errors=True)


class Page:
    def __init__(self, browser: Browser, session: str) -> None:
        self.browser = browser
        self.session = session

    async def call(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        return await self.browser.send(method, params, session=self.session)

    async def evaluate(self, expression: str) -> Any:
        result = await self.call("Runtime.evaluate", {"expression": expression,
                                                      "returnByValue": True})
        return result.get("result", {}).get("value")

    async def goto(self, url: str) -> None:
        await self.call("Page.navigate", {"url": url})

    async def body_text(self) -> str:
        return await self.evaluate("document.body ? document.body.innerText : ''") or ""

    async def screen(self) -> str:
        """What the page's terminal shows ('' before the app has drawn)."""
        return await self.evaluate(SCREEN_TEXT) or ""

    async def wait_for_screen(self, *needles: str, timeout: float = 15) -> str:
        deadline = time.monotonic() + timeout
        text = ""
        while time.monotonic() < deadline:
            text = await self.screen()
            if all(n in text for n in needles):
                return text
            await asyncio.sleep(0.2)
        state = await self.evaluate(
            "JSON.stringify({url: location.href, terminal: !!window.__qaTerminal,"
            " body: document.body ? document.body.className : null})")
        raise AssertionError(f"{needles} not on the browser's screen ({state}):\n{text}")

    async def press(self, key: str) -> None:
        """Type one character into the terminal (xterm sends it to the app)."""
        await self.evaluate("window.__qaTerminal.focus()")
        await self.call("Input.insertText", {"text": key})
