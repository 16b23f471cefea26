"""Every screen and dialog of the TUI, reached as a user reaches it (keys from the home screen
or the screen the CLI opens), on the bundled sample data: shared by the size tests and the
snapshot tests."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qa_calibrate.demo import load_sample_data
from qa_calibrate.sessions import _find_session, reveal
from qa_calibrate.store import Store, open_store
from qa_calibrate.tui.app import QACalibrateApp, make_app

LEAD = "Dana Whitfield"
EVALUATOR = "Jomar Santos"  # has the whole sample of SESSION still to score
SESSION = "Oct 2026 chat calibration"
SIZES = {"80x24": (80, 24), "160x48": (160, 48)}


def build_template(path: Path) -> Path:
    store = open_store(f"sqlite:///{path}")
    load_sample_data(store, actor="demo")
    store.close()
    return path


def copy_store(template: Path, path: Path) -> Store:
    shutil.copy(template, path)
    return open_store(f"sqlite:///{path}")


async def settle(pilot: Any, until: Callable[[Any], bool] = lambda app: True) -> None:
    """Let mounting, workers and rendering finish (and ``until`` hold)."""
    for _ in range(200):
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
        if until(pilot.app) and not pilot.app.workers:
            break
    await pilot.pause()


def _report_ready(app: Any) -> bool:
    return getattr(app.screen, "report", None) is not None or app.screen.is_modal


def _rows_ready(app: Any) -> bool:
    return bool(getattr(app.screen, "rows", None))


@dataclass(frozen=True)
class Shot:
    """One screen or dialog: who opens it, how, and the screen class it ends on."""

    name: str
    who: str
    keys: tuple[str, ...] = ()
    start: str | None = None  # "score" or "meeting": opened as the CLI opens it
    revealed: bool = False  # SESSION revealed first
    until: Callable[[Any], bool] = lambda app: True
    ends_on: str = ""
    demo: bool = False

    def app(self, store: Store) -> QACalibrateApp:
        if self.revealed:
            reveal(store, SESSION, actor=LEAD)
        start = None
        if self.start:
            with store.session() as s:
                start = (self.start, _find_session(s, SESSION).id)
        return make_app(store, self.who, start=start, demo=self.demo)

    async def run(self, pilot: Any) -> None:
        first = _report_ready if self.start == "meeting" else (lambda app: True)
        await settle(pilot, first)
        for key in self.keys:
            await pilot.press(key)
            await settle(pilot, self.until)
        assert pilot.app.screen.__class__.__name__ == self.ends_on, pilot.app.screen
        for field in pilot.app.screen.query("Input"):  # a blinking cursor makes flaky pictures
            field.cursor_blink = False
        await pilot.pause()


SCREENS = [
    Shot("home", LEAD, ends_on="HomeScreen"),
    Shot("scoring", EVALUATOR, ("1", "1", "1", "5"), start="score",
         ends_on="ScoringScreen"),
    Shot("meeting", LEAD, ("p",), start="meeting", until=_report_ready,
         ends_on="MeetingScreen"),
    Shot("meeting_revealed", LEAD, start="meeting", revealed=True, ends_on="MeetingScreen"),
    Shot("report", LEAD, ("r",), revealed=True, until=_rows_ready, ends_on="ReportScreen"),
    Shot("drift", LEAD, ("d",), ends_on="DriftScreen"),
    Shot("sla", LEAD, ("l",), until=_rows_ready, ends_on="SlaScreen"),
    Shot("coaching", LEAD, ("c",), ends_on="CoachingScreen"),
]

DIALOGS = [
    Shot("help_home", LEAD, ("question_mark",), ends_on="HelpScreen"),
    Shot("help_scoring", EVALUATOR, ("question_mark",), start="score", ends_on="HelpScreen"),
    Shot("help_meeting", LEAD, ("question_mark",), start="meeting", ends_on="HelpScreen"),
    Shot("submit", EVALUATOR, ("1", "S"), start="score", ends_on="ConfirmScreen"),
    Shot("type_value", EVALUATOR, ("enter",), start="score", ends_on="PromptScreen"),
    Shot("reveal", LEAD, ("R",), start="meeting", ends_on="ConfirmScreen"),
    Shot("close", LEAD, ("C",), start="meeting", revealed=True, ends_on="ChoiceScreen"),
    Shot("consensus", LEAD, ("e",), start="meeting", revealed=True, ends_on="PromptScreen"),
    Shot("switch_person", LEAD, ("u",), demo=True, ends_on="ChoiceScreen"),
]
