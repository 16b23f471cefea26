"""Errors the core raises on purpose. Each carries a one-line message meant for the user."""

from __future__ import annotations


class QAError(Exception):
    """Base class: the CLI prints ``str(err)`` on one line and exits non-zero."""

    exit_code = 2

    def __str__(self) -> str:
        return " ".join(str(self.args[0] if self.args else "").split())


class InputError(QAError):
    """Bad input file or value; the message names file, row and field where it can."""


class NotFound(QAError):
    """A named thing (rubric, evaluator, session, interaction) does not exist."""


class PermissionDenied(QAError):
    """The acting user's role does not allow this."""

    exit_code = 3


class Conflict(QAError):
    """Someone else changed the same record first (optimistic lock), or a state rule refuses."""

    exit_code = 4


class StoreError(QAError):
    """The store cannot be opened or is at an unknown schema version."""
