"""``import transcripts`` and ``import evaluations``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from .main import AppContext, cli, console, emit, err_console, pass_app


@cli.group("import")
def import_group() -> None:
    """Bring transcripts and historical scores into the store."""


def _progress() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(),
                    TextColumn("{task.completed}/{task.total}"), TimeElapsedColumn(),
                    console=err_console, transient=True,
                    disable=not err_console.is_terminal)


@import_group.command("transcripts")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--source", help="Source name for records that carry none (default 'default').")
@click.option("--no-redact", is_flag=True, help="Store text as it is (PII redaction is on by default).")
@click.option("--redact-patterns", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="YAML file of extra redaction patterns.")
@click.option("--on-error", type=click.Choice(["fail", "skip"]), default="fail", show_default=True,
              help="fail: stop at the first bad record; skip: write bad records to FILE.rejects.")
@pass_app
def import_transcripts_cmd(app: AppContext, paths: tuple[Path, ...], source: str | None,
                           no_redact: bool, redact_patterns: Path | None, on_error: str) -> None:
    """Import transcripts: CSV (a row per turn or per interaction), JSON, JSONL, Contact Lens.

    Each file is one transaction: a bad file stores nothing, files before it stay imported."""
    from ..importers import expand, import_transcripts
    from ..redact import default_redactor

    redactor = None if no_redact else default_redactor(redact_patterns)
    rows: list[dict[str, Any]] = []
    with _progress() as bar:
        for path in expand(list(paths)):
            task = bar.add_task(path.name, total=None)

            def tick(done: int, total: int, task: Any = task) -> None:
                bar.update(task, completed=done, total=total)

            for r in import_transcripts(app.store, [path], actor=app.actor, source=source,
                                        redact=not no_redact, redactor=redactor,
                                        on_error=on_error, progress=tick):
                rows.append({"file": Path(r.path).name, "shape": r.shape,
                             "added": r.interactions_added,
                             "already_stored": r.interactions_already_stored,
                             "turns": r.turns_added, "rejected": r.rejected,
                             "redactions": ", ".join(f"{k} {v}" for k, v in
                                                     sorted(r.redactions.items())) or "–"})
                if r.rejects_file:
                    err_console.print(f"{r.rejected} rejected records written to {r.rejects_file}")
    emit(rows, "table", title="Imported transcripts")


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
            for r in import_evaluations(
                app.store, [path], actor=app.actor,
                progress=lambda d, t, task=task: bar.update(task, completed=d, total=t),
            ):
                rows.append({"file": Path(r.path).name, "evaluations": r.evaluations_added,
                             "already_stored": r.evaluations_already_stored,
                             "answers": r.answers_added, "sessions": ", ".join(r.sessions)})
    console.print()
    emit(rows, "table", title="Imported evaluations")
