"""The root ``qa-calibrate`` group: global options, error handling, output helpers.

Start-up stays light: this package imports only click at module level. The store, rich, numpy,
openpyxl and Textual are imported inside the commands that use them, so ``--help``, ``--version``
and shell completion never load them (``bench/cli.py`` measures it)."""

from __future__ import annotations

import getpass
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib import import_module
from typing import TYPE_CHECKING, Any, TypeVar

import click

from ..errors import NotAPerson, QAError, UnknownPerson
from ..locations import ENV_VAR
from ..output import FORMATS, as_rows, to_csv, to_json
from ..views import View

if TYPE_CHECKING:
    from rich.console import Console

    from ..store import Store

F = TypeVar("F", bound=Callable[..., Any])
USER_VAR = "QA_CALIBRATE_USER"


_CONTROL = None  # compiled on first use: control characters other than newline and tab


def printable(text: str) -> str:
    """``text`` with every control character (ANSI escape, backspace, carriage return, C1
    codes…) but newline and tab written as a visible escape such as ``\\x1b``, so stored text
    is shown as it is and never drives the terminal."""
    global _CONTROL
    if text.isprintable():
        return text
    if _CONTROL is None:
        import re

        _CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e"
                              r"\u2066-\u2069]")
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def styled(*parts: str | tuple[str, str]) -> Any:
    """A line of plain text and ``(text, style)`` parts (a rich Text): how a command prints user
    text with a style, since the consoles read no markup."""
    from rich.text import Text

    from ..redact import scrub

    return Text.assemble(*((printable(scrub(p[0])), p[1]) if isinstance(p, tuple)
                           else printable(scrub(p)) for p in parts))


class _LazyConsole:
    """A rich ``Console`` made on first use, so commands that print nothing never import rich.

    It reads no markup, emoji codes or highlighting: what is printed is what the text says
    (``[b]`` in a name stays ``[b]``), and control characters in a string are made visible
    (:func:`printable`). Use :func:`styled` for a styled line.

    Piped or redirected, lines are not wrapped at a made-up width (soft wrap)."""

    def __init__(self, **options: Any) -> None:
        self._options = {"markup": False, "emoji": False, "highlight": False, **options}
        self._console: Console | None = None

    def get(self) -> Console:
        """The console itself, for rich objects that take one (progress bars)."""
        if self._console is None:
            from rich.console import Console

            made = Console(**self._options)
            if not made.is_terminal:
                made.soft_wrap = True
            self._console = made
        return self._console

    def print(self, *objects: Any, **options: Any) -> None:
        """Print; every string PII-redacted (a file name, an echoed value) and printable."""
        from ..redact import scrub

        self.get().print(*(printable(scrub(o)) if isinstance(o, str) else o for o in objects),
                         **options)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.get(), name)


console = _LazyConsole()
err_console = _LazyConsole(stderr=True, soft_wrap=True)  # an error stays on one line


class _NoProgress:
    """What ``progress_bar`` gives when stderr is no terminal: the same calls, nothing drawn
    (rich prints a blank line on stop even when disabled, which would break one-line errors)."""

    def __enter__(self) -> _NoProgress:
        return self

    def __exit__(self, *_exc: object) -> None:
        return None

    def add_task(self, *_args: Any, **_kw: Any) -> int:
        return 0

    def update(self, *_args: Any, **_kw: Any) -> None:
        return None

    def remove_task(self, *_args: Any) -> None:
        return None


def progress_bar() -> Any:
    """A rich progress bar on stderr (description, bar, done/total, time), or, when stderr is
    not a terminal, one that draws nothing."""
    if not err_console.is_terminal:
        return _NoProgress()
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    # a file name is no markup: "[/x].csv" must not break the bar
    return Progress(TextColumn("{task.description}", markup=False), BarColumn(),
                    MofNCompleteColumn(),
                    TimeElapsedColumn(), console=err_console.get(), transient=True)


@dataclass
class AppContext:
    """What every command gets: the store URL, who is acting, and the store on first use."""

    db_url: str | None
    actor_name: str | None
    _store: Store | None = field(default=None, repr=False)
    _bound: str | None = field(default=None, repr=False)  # the linked person's name, or ""

    @property
    def store(self) -> Store:
        if self._store is None:
            from ..store import open_store

            self._store = open_store(self.db_url, ask_key=ask_key)
        return self._store

    @property
    def actor(self) -> str:
        """Name recorded in the audit log: ``--as``, ``QA_CALIBRATE_USER``, else (on PostgreSQL)
        the person linked to the connected login role, else the OS user. The core refuses a
        name that is not the linked person's."""
        named = self.actor_name or os.environ.get(USER_VAR)
        if named:
            return named
        if self._bound is None:
            from ..store import resolve_url

            self._bound = ""
            if resolve_url(self.db_url).startswith("postgresql"):
                from ..access import connected_name

                self._bound = connected_name(self.store) or ""
        return self._bound or getpass.getuser()

    def how_to_pick(self, name: str) -> str:
        """What to add to "no evaluator named NAME" when NAME was not given with ``--as``."""
        if self.actor_name or name != self.actor:
            return ""
        where = f"{USER_VAR}={name!r}" if os.environ.get(USER_VAR) else \
            f"the operating-system user {name!r}"
        return (f"; you are acting as {where}: say who you are with --as NAME or {USER_VAR} "
                "(qa-calibrate evaluator list shows the names)")

    def close(self) -> None:
        if self._store is not None:
            self._store.close()


def ask_key(prompt: str = "Key of the encrypted store") -> str | None:
    """Ask for a store key at a terminal (not echoed); None when there is no terminal."""
    if not sys.stdin.isatty():
        return None
    return str(click.prompt(prompt, hide_input=True, err=True))


def _one_line(exc: BaseException) -> str:
    """The error as one line, PII redacted: an error may echo a bad value from a file."""
    from ..redact import scrub

    text = str(exc).strip()
    return scrub(" ".join(text.split())) or exc.__class__.__name__


class QAGroup(click.Group):
    """The root group: loads each command's module on first use (``commands.COMMAND_MODULES``)
    and turns every expected failure into one stderr line and a non-zero exit code."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        from .commands import COMMAND_MODULES

        return sorted(COMMAND_MODULES)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        from .commands import COMMAND_MODULES

        module = COMMAND_MODULES.get(cmd_name)
        if module is not None and cmd_name not in self.commands:
            import_module(f"{__package__}.{module}")  # its decorators register on ``cli``
        return super().get_command(ctx, cmd_name)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except QAError as exc:
            hint = ""
            if isinstance(exc, UnknownPerson | NotAPerson) and isinstance(ctx.obj, AppContext):
                hint = ctx.obj.how_to_pick(exc.name)
            err_console.print(f"error: {_one_line(exc)}{hint}", markup=False, highlight=False)
            sys.exit(exc.exit_code)
        except OSError as exc:
            from ..redact import scrub

            where = f"{scrub(str(exc.filename))}: " if getattr(exc, "filename", None) else ""
            err_console.print(
                f"error: {where}{exc.strerror or _one_line(exc)}", markup=False, highlight=False
            )
            sys.exit(6)
        except KeyboardInterrupt:
            err_console.print("error: interrupted", markup=False, highlight=False)
            sys.exit(130)
        except Exception as exc:
            # A database error can only come from SQLAlchemy once it is imported; checking the
            # module table keeps sqlalchemy out of start-up.
            sqlalchemy_exc = sys.modules.get("sqlalchemy.exc")
            if sqlalchemy_exc is None or not isinstance(exc, sqlalchemy_exc.SQLAlchemyError):
                raise
            orig = getattr(exc, "orig", None)
            reason = _one_line(orig) if orig is not None else _one_line(exc).split("[SQL:")[0]
            err_console.print(f"error: database: {reason}", markup=False, highlight=False)
            sys.exit(5)


def _completer(kind: str) -> Callable[[click.Context, click.Parameter, str], list[Any]]:
    """Shell completion of stored names (sessions, rubrics, people) that start as typed."""

    def complete(ctx: click.Context, _param: click.Parameter, incomplete: str) -> list[Any]:
        from click.shell_completion import CompletionItem

        from ..names import name_key, stored_names

        try:
            names = stored_names(ctx.find_root().params.get("db_url"), kind)
        except Exception:  # completion must never print a traceback into the shell
            return []
        typed = name_key(incomplete)
        return [CompletionItem(n) for n in names if name_key(n).startswith(typed)]

    return complete


complete_session = _completer("session")
complete_rubric = _completer("rubric")
complete_person = _completer("person")


@click.group(cls=QAGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--db",
    "db_url",
    envvar=ENV_VAR,
    metavar="URL",
    help=f"Store: SQLite file path or URL, or postgresql://… (env {ENV_VAR}).",
)
@click.option(
    "--as",
    "actor_name",
    metavar="NAME",
    shell_complete=complete_person,
    help="Who is acting (evaluator name); default QA_CALIBRATE_USER or the OS user.",
)
@click.version_option(package_name="qa-calibrate")
@click.pass_context
def cli(ctx: click.Context, db_url: str | None, actor_name: str | None) -> None:
    """qa-calibrate: calibration for contact-centre QA teams."""
    app = AppContext(db_url=db_url, actor_name=actor_name)
    ctx.obj = app
    ctx.call_on_close(app.close)


pass_app = click.make_pass_decorator(AppContext)


class UTCDateTime(click.ParamType):
    """``--since``/``--until``: an ISO 8601 date or date-time; no zone means UTC (a bare date is
    the start of that day in UTC), as for imported times. The core gets an aware datetime."""

    name = "DATE"

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> datetime:
        if isinstance(value, datetime):
            when = value
        else:
            try:
                when = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
            except ValueError:
                from ..redact import scrub

                self.fail(f"{scrub(repr(value))[:60]} is not a date (YYYY-MM-DD) or an ISO "
                          "8601 date-time", param, ctx)
        if when.tzinfo is None:
            return when.replace(tzinfo=timezone.utc)
        try:
            return when.astimezone(timezone.utc)
        except OverflowError:  # 0001-01-01T00:00+05:00 is before the first UTC instant
            self.fail(f"{when.isoformat()} is outside the dates UTC can hold", param, ctx)


UTC_DATETIME = UTCDateTime()


RAW_KEY = "qa_calibrate.raw_csv"


def _remember_raw(ctx: click.Context, _param: click.Parameter, value: bool) -> bool:
    ctx.meta[RAW_KEY] = value
    return value


def raw_option(func: F) -> F:
    """``--raw``: CSV cells exactly as stored, without the apostrophe ``emit`` puts before text
    starting with ``= + - @`` (README "Output formats")."""
    return click.option(
        "--raw", is_flag=True, expose_value=False, callback=_remember_raw,
        help="With --format csv: leave cells starting with = + - @ as they are (by default "
             "they get a leading apostrophe so a spreadsheet does not run them).",
    )(func)


def listing_options(func: F) -> F:
    """``--format``, ``--raw`` and ``--limit`` for every listing command."""
    func = click.option(
        "--limit", type=click.IntRange(min=1), default=None, help="Show at most this many rows."
    )(func)
    func = raw_option(func)
    func = click.option(
        "--format",
        "fmt",
        type=click.Choice(FORMATS),
        default="table",
        show_default=True,
        help="Output format; JSON is a list of objects with snake_case keys.",
    )(func)
    return func


def format_option(func: F) -> F:
    func = raw_option(func)
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(FORMATS),
        default="table",
        show_default=True,
        help="Output format.",
    )(func)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, float):
        if value != value:
            return "undefined"
        return f"{value:.3f}".rstrip("0").rstrip(".") if abs(value) < 1000 else f"{value:.0f}"
    if isinstance(value, list | tuple):
        return ", ".join(_cell(v) for v in value)
    if isinstance(value, Mapping):
        return ", ".join(f"{k}={_cell(v)}" for k, v in value.items())
    return str(value)


def emit(
    rows: Sequence[Mapping[str, Any] | View],
    fmt: str,
    *,
    columns: Sequence[str] | None = None,
    title: str | None = None,
    limit: int | None = None,
) -> None:
    """Print rows as a rich table, JSON (list of objects) or CSV.

    Every text goes through the PII patterns first (``redact.scrub``); stored text is redacted
    already, this keeps anything older or from a file name out of the output too. Text is shown
    as it is, never read as Rich markup. CSV cells that start like a spreadsheet formula get a
    leading apostrophe unless the command was given ``--raw``.

    A table on a terminal fits its width; piped or redirected, it takes the width its rows need,
    so nothing is cut (use ``--format csv`` or ``json`` for other programs)."""
    shown: list[Mapping[str, Any]] = [
        _scrubbed(r) for r in as_rows(rows[:limit] if limit is not None else rows)]
    cols = list(columns or (shown[0].keys() if shown else []))
    if fmt == "json":
        click.echo(to_json([{c: r.get(c) for c in cols} for r in shown] if columns else shown))
    elif fmt == "csv":
        ctx = click.get_current_context(silent=True)
        raw = bool(ctx is not None and ctx.meta.get(RAW_KEY))
        click.echo(to_csv(shown, cols, raw=raw), nl=False)
    else:
        if not shown:
            console.print(styled((f"{title + ': ' if title else ''}nothing to show", "dim")))
            return
        from rich.table import Table
        from rich.text import Text

        table = Table(title=Text(printable(title)) if title else None, header_style="bold",
                      show_lines=False)
        cells = [[printable(_cell(r.get(c))) for c in cols] for r in shown]
        for n, c in enumerate(cols):
            widest = max([len(row[n]) for row in cells] + [len(c)])
            if widest <= 24:  # short values stay on one line; long text wraps
                table.add_column(c.replace("_", " "), no_wrap=True,
                                 min_width=min(widest, 24))
            else:
                table.add_column(c.replace("_", " "), overflow="fold", ratio=1, min_width=12)
        for row in cells:  # stored text is shown as it is: never read as markup or emoji codes
            table.add_row(*map(Text, row))
        print_table(table)


def _scrubbed(value: Any) -> Any:
    from ..redact import scrub

    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, Mapping):
        return {k: _scrubbed(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_scrubbed(v) for v in value]
    return value


def print_table(table: Any) -> None:
    """A rich table to stdout: fitted to a terminal; piped, at the width its rows need (a table
    does not expand, so an unbounded console prints it at its natural width)."""
    if console.is_terminal:
        console.print(table)
        return
    from rich.console import Console

    Console(width=1_000_000, soft_wrap=True, highlight=False, markup=False,
            emoji=False).print(table)
