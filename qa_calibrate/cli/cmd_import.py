"""``import transcripts`` and ``import evaluations``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from ..errors import QAError
from .main import (
    AppContext,
    cli,
    console,
    emit,
    err_console,
    format_option,
    pass_app,
    progress_bar,
)


@cli.group("import")
def import_group() -> None:
    """Bring transcripts and historical scores into the store."""


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
@click.option("--redact-names/--no-redact-names", default=None,
              help="Also redact the names of the store's people and agents and the names: list "
                   "of redaction.yaml in turn text (default: the redact_names setting).")
@click.option("--redact-addresses/--no-redact-addresses", default=None,
              help="Also redact postal addresses and postcodes in turn text (default: the "
                   "redact_addresses setting).")
@click.option("--on-error", type=click.Choice(["fail", "skip"]), default="fail",
              show_default=True,
              help="fail: a bad record stops the file; skip: bad records go to FILE.rejects.")
@format_option
@pass_app
def import_transcripts_cmd(app: AppContext, paths: tuple[Path, ...], source: str | None,
                           no_redact: bool, redact_patterns: Path | None,
                           redact_names: bool | None, redact_addresses: bool | None,
                           on_error: str, fmt: str) -> None:
    """Import transcripts from CSV (a row per turn or per interaction), JSON, JSONL or Amazon
    Connect Contact Lens files; directories are searched for *.csv, *.json and *.jsonl.

    PII (e-mail, phone, card, IBAN) is redacted before anything is stored. Each file is one
    transaction: a file with a bad record stores nothing and stops the import with one error
    line, while files imported before it stay imported. Importing a file again adds nothing."""
    from ..importers import expand, import_file
    from ..redact import redactor_for, scrub

    if no_redact and (redact_patterns is not None or redact_names or redact_addresses):
        raise click.UsageError("--redact-patterns, --redact-names and --redact-addresses have "
                               "no effect with --no-redact")
    redactor = None
    if not no_redact:
        redactor = redactor_for(app.store, redact_patterns, names=redact_names,
                                addresses=redact_addresses)
    files = expand(list(paths))
    rows: list[dict[str, Any]] = []
    try:
        with progress_bar() as bar:
            for path in files:
                task = bar.add_task(path.name, total=None)

                def tick(done: int, total: int, task: Any = task) -> None:
                    bar.update(task, completed=done, total=total)

                result = import_file(app.store, path, actor=app.actor, source=source,
                                     redactor=redactor, on_error=on_error, progress=tick)
                bar.remove_task(task)
                rows.append(_summary_row(result))
                if result.rejects_file:
                    err_console.print(scrub(f"{path}: {result.rejected} rejected, written to "
                                            f"{result.rejects_file}"), markup=False,
                                      highlight=False)
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
    with progress_bar() as bar:
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
