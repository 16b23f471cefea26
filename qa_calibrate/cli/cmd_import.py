"""``import transcripts`` and ``import evaluations``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from ..errors import QAError
from .main import AppContext, cli, console, emit, err_console, format_option, pass_app


@cli.group("import")
def import_group() -> None:
    """Bring transcripts and historical scores into the store."""


class _NoProgress:
    """The progress bar when stderr is not a terminal: draws nothing, so an error stays the
    only line there (a disabled rich Progress still ends a line on some rich versions)."""

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


def _progress() -> Any:
    if not err_console.is_terminal:
        return _NoProgress()
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(TextColumn("{task.description}"), BarColumn(),
                    TextColumn("{task.completed}/{task.total}"), TimeElapsedColumn(),
                    console=err_console, transient=True)  # type: ignore[arg-type]


def _summary_row(r: Any) -> dict[str, Any]:
    return {"file": Path(r.path).name, "shape": r.shape, "added": r.interactions_added,
            "already_stored": r.interactions_already_stored, "turns": r.turns_added,
            "rejected": r.rejected,
            "redactions": ", ".join(f"{k} {v}" for k, v in r.redactions.items()) or "–"}


@import_group.command("transcripts")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--source", metavar="NAME",
              help="Source for records that name none (default 'default'; Contact Lens files "
                   "'amazon_connect').")
@click.option("--no-redact", is_flag=True,
              help="Store the text as it is (PII redaction is on by default).")
@click.option("--redact-patterns", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              metavar="FILE", help="YAML file of extra redaction patterns (added to "
                                   "redaction.yaml in the config directory).")
@click.option("--on-error", type=click.Choice(["fail", "skip"]), default="fail",
              show_default=True,
              help="fail: a bad record stops the file; skip: bad records go to FILE.rejects.")
@format_option
@pass_app
def import_transcripts_cmd(app: AppContext, paths: tuple[Path, ...], source: str | None,
                           no_redact: bool, redact_patterns: Path | None, on_error: str,
                           fmt: str) -> None:
    """Import transcripts from CSV (a row per turn or per interaction), JSON, JSONL or Amazon
    Connect Contact Lens files; directories are searched for *.csv, *.json and *.jsonl.

    PII (e-mail, phone, card, IBAN) is redacted before anything is stored. Each file is one
    transaction: a file with a bad record stores nothing and stops the import with one error
    line, while files imported before it stay imported. Importing a file again adds nothing."""
    from ..importers import expand, import_file
    from ..redact import default_redactor

    if no_redact and redact_patterns is not None:
        raise click.UsageError("--redact-patterns has no effect with --no-redact")
    redactor = None if no_redact else default_redactor(redact_patterns)
    files = expand(list(paths))
    rows: list[dict[str, Any]] = []
    try:
        with _progress() as bar:
            for path in files:
                task = bar.add_task(path.name, total=None)

                def tick(done: int, total: int, task: Any = task) -> None:
                    bar.update(task, completed=done, total=total)

                result = import_file(app.store, path, actor=app.actor, source=source,
                                     redactor=redactor, on_error=on_error, progress=tick)
                bar.remove_task(task)
                rows.append(_summary_row(result))
                if result.rejects_file:
                    err_console.print(f"{path}: {result.rejected} rejected, written to "
                                      f"{result.rejects_file}", markup=False, highlight=False)
    except QAError:
        if rows:  # what was imported before the bad file stays; say so
            emit(rows, fmt, title="Imported before the error")
        raise
    emit(rows, fmt, title="Imported transcripts")


@import_group.command("evaluations")
@click.argument("paths", nargs=-1, required=True,
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
@pass_app
def import_evaluations_cmd(app: AppContext, paths: tuple[Path, ...]) -> None:
    """Import historical scores (CSV or XLSX, one row per answer): interaction, source,
    evaluator, rubric, criterion, value, comment, root_cause, scored_at, session."""
    from ..evaluations import import_evaluations

    rows = []
    with _progress() as bar:
        for path in paths:
            task = bar.add_task(path.name, total=None)

            def tick(done: int, total: int, task: Any = task) -> None:
                bar.update(task, completed=done, total=total)

            for r in import_evaluations(app.store, [path], actor=app.actor, progress=tick):
                rows.append({"file": Path(r.path).name, "evaluations": r.evaluations_added,
                             "already_stored": r.evaluations_already_stored,
                             "answers": r.answers_added, "sessions": ", ".join(r.sessions)})
    console.print()
    emit(rows, "table", title="Imported evaluations")
