"""Functions run in child processes by the concurrency and crash tests (importable by name so
the 'spawn' start method can find them)."""

from __future__ import annotations

import time

from qa_calibrate import sessions
from qa_calibrate.errors import Conflict, PermissionDenied
from qa_calibrate.store import open_store

ANSWERS = [("greeting", "yes"), ("verify_identity", "yes"), ("empathy", 4), ("accuracy", 3),
           ("hold_etiquette", "n/a")]


def score_everything(url: str, session_name: str, evaluator: str, interactions: list[str]) -> int:
    """Answer every criterion one save at a time (as the TUI does), then submit. Returns saves."""
    store = open_store(url)
    saves = 0
    try:
        for ext in interactions:
            version = None
            for key, value in ANSWERS:
                r = sessions.score(store, session_name, evaluator=evaluator, interaction=ext,
                                   answers={key: value}, expected_version=version)
                version = r["version"]
                saves += 1
            sessions.score(store, session_name, evaluator=evaluator, interaction=ext,
                           answers={}, submit_now=True, expected_version=version)
    finally:
        store.close()
    return saves


def fight_over_one(url: str, session_name: str, evaluator: str, ext: str, rounds: int,
                   value: int) -> dict[str, int]:
    """Two copies of the same evaluator edit the same draft: each save names the version it
    read; a conflict is counted, the draft re-read, and the edit tried again."""
    store = open_store(url)
    out = {"saved": 0, "conflicts": 0, "submitted": 0, "refused": 0}
    try:
        for _ in range(rounds):
            while True:
                item = sessions.scoring_item(store, session_name, evaluator=evaluator, position=0)
                if item.status == "submitted":
                    break
                try:
                    sessions.score(store, session_name, evaluator=evaluator, interaction=ext,
                                   answers={"empathy": value},
                                   expected_version=item.version)
                    out["saved"] += 1
                    break
                except Conflict:
                    out["conflicts"] += 1
                    time.sleep(0.001)
                except PermissionDenied:  # the other copy submitted meanwhile: read-only now
                    out["refused"] += 1
                    break
        for key, answer in ANSWERS:
            while True:  # re-read and retry on conflict; stop once it is submitted
                item = sessions.scoring_item(store, session_name, evaluator=evaluator, position=0)
                try:
                    sessions.score(store, session_name, evaluator=evaluator, interaction=ext,
                                   answers={key: answer}, expected_version=item.version)
                    break
                except Conflict:
                    out["conflicts"] += 1
                except PermissionDenied:
                    break
        try:
            item = sessions.scoring_item(store, session_name, evaluator=evaluator, position=0)
            sessions.submit_item(store, session_name, evaluator=evaluator,
                                 interaction_id=item.interaction.id,
                                 expected_version=item.version)
            out["submitted"] += 1
        except (Conflict, PermissionDenied):
            out["refused"] += 1
    finally:
        store.close()
    return out


def save_drafts_forever(url: str, session_name: str, evaluator: str, ext: str) -> None:
    """Alternate answers on one draft until killed."""
    store = open_store(url)
    n = 0
    while True:
        n += 1
        sessions.score(store, session_name, evaluator=evaluator, interaction=ext,
                       answers={"empathy": 1 + n % 5, "greeting": "yes" if n % 2 else "no",
                                "verify_identity": "yes" if n % 3 else "no"})


def consensus_forever(url: str, session_name: str, lead: str, ext: str) -> None:
    store = open_store(url)
    n = 0
    while True:
        n += 1
        sessions.set_consensus(store, session_name, interaction=ext, criterion="empathy",
                               value=1 + n % 5, note=f"round {n}", actor=lead)


def export_forever(url: str, path: str) -> None:
    from datetime import date

    from qa_calibrate.coaching import AssignmentView, Evidence
    from qa_calibrate.export_xlsx import write_workbook

    rows = [AssignmentView(id=i, kind="refresher", assignee=f"Agent {i}", role="agent",
                           team="T", site="S", module_id="M", module_title="Module",
                           reason="r" * 50, evidence=Evidence(), priority="high",
                           assigned_on=date(2026, 1, 1), due_on=date(2026, 1, 8), trainer="T",
                           status="Not started", completed_on=None, acknowledged=False,
                           notes=None, version=1) for i in range(20000)]
    while True:
        write_workbook(__import__("pathlib").Path(path), rows)


def import_file(url: str, path: str, marker: str) -> None:
    """Import a file; once some rows are written (inside the file's transaction) leave a
    marker and linger, so the parent can kill this process in the middle of the write."""
    from pathlib import Path

    from qa_calibrate.importers import import_transcripts

    def progress(done: int, total: int) -> None:
        if 0 < done < total:
            Path(marker).write_text(f"{done}/{total}")
            time.sleep(60)

    store = open_store(url)
    import_transcripts(store, [Path(path)], actor="crash", progress=progress)


def hold_write(url: str, ready: str, seconds: float) -> None:
    """Take the store's write lock (an open write transaction) and keep it for ``seconds``."""
    from pathlib import Path

    from qa_calibrate import models as m

    store = open_store(url)
    try:
        with store.session() as session:
            session.add(m.Meta(key="held", value="by a writer"))
            session.flush()  # BEGIN IMMEDIATE has run: the write lock is ours
            Path(ready).write_text("locked")
            time.sleep(seconds)
    finally:
        store.close()


def change_consensus_once(url: str, session_name: str, lead: str, ext: str, value: str,
                          expected_version: int | None, ready: str, go: str) -> str:
    """One lead changes an existing consensus, naming the version they saw (or none): the store is
    opened, ``ready`` written, and the change made once ``go`` exists. Returns "saved", or
    "conflict <exit code>: <message>"."""
    from pathlib import Path

    store = open_store(url)
    try:
        Path(ready).write_text("ready")
        while not Path(go).exists():
            time.sleep(0.01)
        sessions.set_consensus(store, session_name, interaction=ext, criterion="greeting",
                               value=value, note=f"by {lead}", actor=lead,
                               expected_version=expected_version)
        return "saved"
    except Conflict as exc:
        return f"conflict {exc.exit_code}: {exc}"
    finally:
        store.close()
