"""``tui`` and the TUI entry points used by ``demo`` and ``score``."""

from __future__ import annotations

import sys
from typing import Any

from ..errors import InputError
from .main import AppContext, cli, pass_app


def check_terminal() -> None:
    """The TUI needs a terminal on both ends; without one, say so instead of starting it."""
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise InputError("the TUI needs a terminal (stdin and stdout are not one); use the "
                         "command-line form instead, e.g. demo --no-tui or score SESSION "
                         "--interaction ID --answer KEY=VALUE")


def run_app(app: AppContext, *, demo: bool = False, start: tuple[str, Any] | None = None) -> None:
    """Open the TUI on the context's store as the context's person (who must be in the store)."""
    from ..people import person_name

    user = app.actor_name or app.actor
    if demo and not app.actor_name:
        from ..demo import demo_user

        user = demo_user(app.store) or user
    user = person_name(app.store, user)
    check_terminal()
    from ..tui.app import make_app

    make_app(app.store, user, demo=demo, start=start).run()


def open_scoring(app: AppContext, session_name: str) -> None:
    """``qa-calibrate score SESSION --as NAME``: straight into the scoring queue."""
    from ..people import person_name
    from ..sessions import can_score

    who = person_name(app.store, app.actor)  # no such person: say so, as ``tui`` does
    run_app(app, start=("score", can_score(app.store, session_name, evaluator=who)))


@cli.command("tui")
@pass_app
def tui_cmd(app: AppContext) -> None:
    """Open the terminal interface at the home screen (as --as NAME or the OS user)."""
    run_app(app)
