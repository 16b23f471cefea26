"""How names typed by people are matched: one rule for persons and sessions alike."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def name_key(name: str) -> str:
    """Trimmed, inner whitespace collapsed, case-folded: ``"  ana  REYES"`` → ``"ana reyes"``."""
    return " ".join(str(name).split()).casefold()


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    """`` (did you mean 'X'?)`` for the closest candidate, or an empty string."""
    names = list(candidates)
    by_key = {name_key(c): c for c in names}
    close = difflib.get_close_matches(name_key(name), list(by_key), n=1, cutoff=0.6)
    return f" (did you mean {by_key[close[0]]!r}?)" if close else ""


def stored_names(url: str | None, kind: str) -> list[str]:
    """Names of ``kind`` (``session``, ``rubric`` or ``person``) in the store at ``url``, for
    shell completion. Never creates a store: an SQLite file that does not exist yields none."""
    from sqlmodel import select

    from . import models as m
    from .store import open_store, resolve_url

    resolved = resolve_url(url)
    if resolved.startswith("sqlite:///"):
        from pathlib import Path

        if not Path(resolved.removeprefix("sqlite:///")).expanduser().is_file():
            return []
    column = {"session": m.CalibrationSession.name, "rubric": m.Rubric.name,
              "person": m.Evaluator.name}[kind]
    store = open_store(url, create=False)
    try:
        with store.read() as session:
            return sorted(set(session.exec(select(column)).all()))
    finally:
        store.close()
