"""Imports every command module so each registers its commands on the root group."""

from . import (
    cmd_admin,  # noqa: F401
    cmd_app,  # noqa: F401
    cmd_coaching,  # noqa: F401
    cmd_import,  # noqa: F401
    cmd_interactions,  # noqa: F401
    cmd_people,  # noqa: F401
    cmd_rubric,  # noqa: F401
    cmd_sessions,  # noqa: F401
    cmd_tui,  # noqa: F401
)
