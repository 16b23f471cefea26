"""The root ``qa-calibrate`` group: global options, error handling, output helpers."""

from __future__ import annotations

import getpass
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.table import Table

from ..errors import QAError
from ..output import FORMATS, to_csv, to_json
from ..store import ENV_VAR, Store, open_store

F = TypeVar("F", bound=Callable[..., Any])

console = Console()
if not console.is_terminal:  # piped or captured: no terminal width to respect
    console.width = max(console.width, 160)
err_console = Console(stderr=True, soft_wrap=True)  # an error stays on one line


@dataclass
class AppContext:
    """What every command gets: the store URL, who is acting, and the store on first use."""

    db_url: str | None
    actor_name: str | None
    _store: Store | None = field(default=None, repr=False)

    @property
    def store(self) -> Store:
        if self._store is None:
            self._store = open_store(self.db_url)
        return self._store

    @property
    def actor(self) -> str:
        """Name recorded in the audit log: ``--as``, ``QA_CALIBRATE_USER``, else the OS user."""
        return self.actor_name or os.environ.get("QA_CALIBRATE_USER") or getpass.getuser()

    def close(self) -> None:
        if self._store is not None:
            self._store.close()


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return " ".join(text.split()) or exc.__class__.__name__


class QAGroup(click.Group):
    """Turns every expected failure into one stderr line and a non-zero exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        from sqlalchemy.exc import SQLAlchemyError

        try:
            return super().invoke(ctx)
        except QAError as exc:
            err_console.print(f"error: {_one_line(exc)}", markup=False, highlight=False)
            sys.exit(exc.exit_code)
        except SQLAlchemyError as exc:
            orig = getattr(exc, "orig", None)
            reason = _one_line(orig) if orig is not None else _one_line(exc).split("[SQL:")[0]
            err_console.print(f"error: database: {reason}", markup=False, highlight=False)
            sys.exit(5)
        except OSError as exc:
            where = f"{exc.filename}: " if getattr(exc, "filename", None) else ""
            err_console.print(
                f"error: {where}{exc.strerror or _one_line(exc)}", markup=False, highlight=False
            )
            sys.exit(6)
        except KeyboardInterrupt:
            err_console.print("error: interrupted", markup=False, highlight=False)
            sys.exit(130)


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


def listing_options(func: F) -> F:
    """``--format`` and ``--limit`` for every listing command."""
    func = click.option(
        "--limit", type=click.IntRange(min=1), default=None, help="Show at most this many rows."
    )(func)
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
    rows: Sequence[Mapping[str, Any]],
    fmt: str,
    *,
    columns: Sequence[str] | None = None,
    title: str | None = None,
    limit: int | None = None,
) -> None:
    """Print rows as a rich table, JSON (list of objects) or CSV."""
    if limit is not None:
        rows = rows[:limit]
    cols = list(columns or (rows[0].keys() if rows else []))
    if fmt == "json":
        click.echo(to_json([{c: r.get(c) for c in cols} for r in rows] if columns else rows))
    elif fmt == "csv":
        click.echo(to_csv(rows, cols), nl=False)
    else:
        if not rows:
            console.print(f"[dim]{title + ': ' if title else ''}nothing to show[/dim]")
            return
        table = Table(title=title, header_style="bold", show_lines=False)
        cells = [[_cell(r.get(c)) for c in cols] for r in rows]
        for n, c in enumerate(cols):
            widest = max([len(row[n]) for row in cells] + [len(c)])
            if widest <= 24:  # short values stay on one line; long text wraps
                table.add_column(c.replace("_", " "), no_wrap=True,
                                 min_width=min(widest, 24))
            else:
                table.add_column(c.replace("_", " "), overflow="fold", ratio=1, min_width=12)
        for row in cells:
            table.add_row(*row)
        console.print(table)


def _register() -> None:
    # Each command family lives in its own module and registers itself on ``cli``.
    from . import commands  # noqa: F401


_register()
