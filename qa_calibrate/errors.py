"""Errors the core raises on purpose. Each carries a one-line message meant for the user.

Exit codes of the CLI (README "Exit codes"): 0 done; 1 ``check`` found a problem; 2 bad input or
usage (click's own usage errors too); 3 permission; 4 conflict; 5 database or store; 6 a file
could not be read or written; 7 not found; 130 interrupted.
"""

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

    exit_code = 7


class UnknownPerson(NotFound):
    """No person of that name in the store; ``name`` lets the CLI say how to pick who you are."""

    def __init__(self, name: str, hint: str = "") -> None:
        super().__init__(f"no evaluator named {name!r}{hint}")
        self.name = name


class PermissionDenied(QAError):
    """The acting user's role does not allow this."""

    exit_code = 3


class NotAPerson(PermissionDenied):
    """The acting name is no person in the store, so nothing protected is for them; ``name``
    lets the CLI say how to pick who you are (as for ``UnknownPerson``)."""

    def __init__(self, name: str, hint: str, what: str) -> None:
        super().__init__(f"{name!r} is not a person in the store{hint}: cannot {what}")
        self.name = name


class Conflict(QAError):
    """Someone else changed the same record first (optimistic lock), or a state rule refuses."""

    exit_code = 4


class StoreError(QAError):
    """The store cannot be opened or is at an unknown schema version."""

    exit_code = 5
