"""The App: who is using it, the store, global actions, and the screens it opens."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen

from ..errors import QAError
from ..store import Store


class QACalibrateApp(App[None]):
    """qa-calibrate's TUI. Build it with :func:`make_app` so tests and the CLI agree."""

    TITLE = "qa-calibrate"
    CSS_PATH = ["app.tcss"]
    BINDINGS = [
        Binding("question_mark", "help", "Help", key_display="?"),
        Binding("ctrl+t", "toggle_theme", "Theme", show=False),
        Binding("q", "quit", "Quit"),
    ]

    def __init__(
        self,
        store: Store,
        user: str | None,
        *,
        demo: bool = False,
        start: tuple[str, Any] | None = None,
        live: bool = True,
    ) -> None:
        super().__init__()
        self.store = store
        self.demo = demo
        self.start = start
        self.live = live
        self._watcher: Any = None
        self.user_name: str | None = None
        self.user_role: str | None = None
        self.set_user(user)

    # ----------------------------------------------------------------- identity
    def set_user(self, name: str | None) -> None:
        """Look the person up in the store (``access.whoami``); an unknown name gets no role and
        sees nothing protected."""
        from ..access import whoami

        self.user_name, self.user_role = name, None
        if not name:
            return
        who = whoami(self.store, name)
        self.user_name, self.user_role = who.name, who.role

    def may(self, action: str, **kw: Any) -> bool:
        """Whether the policy lets this user do ``action`` (to hide what they may not do; the
        core refuses it anyway)."""
        from ..access import allowed

        return allowed(action, self.user_role, **kw)

    @property
    def is_lead(self) -> bool:
        return self.user_role == "lead"

    # ----------------------------------------------------------------- life cycle
    def on_mount(self) -> None:
        from .screens.home import HomeScreen

        self.push_screen(HomeScreen())
        if self.live:  # other people's changes to the store reach the screens on show
            from .live import StoreWatcher

            self._watcher = StoreWatcher(self)
            self._watcher.start()
        if self.start is not None:
            kind, ref = self.start
            if kind == "score":
                self.action_open_scoring(ref)
            elif kind == "meeting":
                self.action_open_meeting(ref)

    def on_unmount(self) -> None:
        if self._watcher is not None:
            self._watcher.stop()

    def store_changed(self) -> None:
        """The store changed (here or in another process): screens that show store data
        reload it, those on show at once, the others when they are shown again."""
        from .live import visible_screens

        shown = visible_screens(list(self.screen_stack))
        for screen in self.screen_stack:
            hook = getattr(screen, "store_changed", None)
            if hook is not None:
                hook(screen in shown)

    def from_thread(self, callback: Callable[..., object], *args: object) -> None:
        """From a worker thread: run ``callback`` on the UI thread — unless the app stopped
        while the worker computed (a screen closed, the app quit), when there is nothing to
        show it on."""
        if not self.is_running:
            return
        try:
            self.call_from_thread(callback, *args)
        except RuntimeError:  # it stopped between the check and the call
            pass

    def notify(self, message: str, *, title: str = "", severity: Any = "information",
               timeout: float | None = None, markup: bool = True) -> None:
        """A notification, always as plain text (``markup`` is taken for the signature's sake
        and not used; screens' ``notify`` passes it on as True): the messages carry stored
        text — names, comments, file paths, error lines — which must show as written: "[b]"
        in a comment is not markup, and "[/x]" would be a markup error."""
        del markup
        if timeout is None:
            super().notify(message, title=title, severity=severity, markup=False)
        else:
            super().notify(message, title=title, severity=severity, timeout=timeout,
                           markup=False)

    def fail(self, exc: Exception) -> None:
        """Show an expected error as a notification, never a traceback."""
        message = str(exc) if isinstance(exc, QAError) else f"{exc.__class__.__name__}: {exc}"
        self.notify(message, severity="error", timeout=6)

    # ----------------------------------------------------------------- actions
    def action_help(self) -> None:
        from .screens.help import HelpScreen

        self.push_screen(HelpScreen(self.screen))

    def action_toggle_theme(self) -> None:
        self.theme = "textual-light" if self.theme == "textual-dark" else "textual-dark"

    def action_home(self) -> None:
        while len(self.screen_stack) > 2:
            self.pop_screen()

    def action_open_scoring(self, session_ref: Any, position: int | None = None) -> None:
        from .screens.scoring import ScoringScreen

        if not self.user_role:
            self.notify("Pick who you are first (--as NAME).", severity="error")
            return
        self.push_screen(ScoringScreen(session_ref, position))

    def action_open_meeting(self, session_ref: Any) -> None:
        from ..sessions import can_open_meeting
        from .screens.meeting import MeetingScreen

        try:  # the blind rule, asked of the core before the screen opens
            can_open_meeting(self.store, session_ref, viewer=self.user_name)
        except QAError as exc:
            self.fail(exc)
            return
        self.push_screen(MeetingScreen(session_ref))

    def action_open_report(self, session_ref: Any = None) -> None:
        from .screens.report import ReportScreen

        self.push_screen(ReportScreen(session_ref))

    def action_open_drift(self) -> None:
        from .screens.drift import DriftScreen

        self.push_screen(DriftScreen())

    def action_open_trend(self) -> None:
        from .screens.trend import TrendScreen

        self.push_screen(TrendScreen())

    def action_open_sla(self) -> None:
        from .screens.sla import SlaScreen

        self.push_screen(SlaScreen())

    def action_open_coaching(self) -> None:
        from .screens.coaching import CoachingScreen

        self.push_screen(CoachingScreen())

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        seen: set[str] = set()
        for command in self._commands(screen):
            if command.title.casefold() not in seen:  # each command once
                seen.add(command.title.casefold())
                yield command

    def _commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand("Home", "Back to the home screen", self.action_home)
        yield SystemCommand("Help", "Key bindings of this screen", self.action_help)
        if self.may("report.evaluators"):
            yield SystemCommand("Evaluator report", "Every evaluator across sessions",
                                lambda: self.action_open_report(None))
        if self.may("drift"):
            yield SystemCommand("Drift", "Evaluators drifting lenient or harsh",
                                self.action_open_drift)
        if self.may("report.trend"):
            yield SystemCommand("Trends", "Agreement and calibration scores by session",
                                self.action_open_trend)
        if self.may("coaching.list"):
            yield SystemCommand("Coaching", "Coaching plan and Excel export",
                                self.action_open_coaching)
        if self.may("report.sla"):
            yield SystemCommand("Quality SLAs", "Sites × periods against their targets",
                                self.action_open_sla)
        yield SystemCommand("Toggle light/dark theme", "Switch theme", self.action_toggle_theme)
        for binding in getattr(screen, "PALETTE", ()):
            action, title, help_text = binding
            # what the policy allows, and what the screen offers now (no Submit when read-only)
            if self.may_on(screen, action) and screen.check_action(action, ()) is not False:
                yield SystemCommand(title, help_text, getattr(screen, f"action_{action}"))

    def may_on(self, screen: Screen[Any], action: str) -> bool:
        """Whether ``action`` of ``screen`` is for this user: a screen's ``POLICY`` maps its
        actions to the policy's (an action not in it is for everyone who may see the screen)."""
        policy = getattr(screen, "POLICY", {}).get(action)
        return policy is None or self.may(policy)


def make_app(
    store: Store, user: str | None, *, demo: bool = False, start: tuple[str, Any] | None = None,
    live: bool = True,
) -> QACalibrateApp:
    """The one factory for the App: the CLI and the tests both build it here. ``live``: screens
    follow changes to the store made elsewhere (``tui/live.py``)."""
    return QACalibrateApp(store, user, demo=demo, start=start, live=live)
