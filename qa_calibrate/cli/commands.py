"""Imports every command module so each registers its commands on the root group."""

from . import cmd_people  # noqa: F401
from . import cmd_interactions  # noqa: F401
from . import cmd_sessions  # noqa: F401
from . import cmd_app  # noqa: F401
from . import cmd_tui  # noqa: F401
from . import cmd_coaching  # noqa: F401
from . import cmd_rubric  # noqa: F401
from . import cmd_admin  # noqa: F401
from . import cmd_import  # noqa: F401
