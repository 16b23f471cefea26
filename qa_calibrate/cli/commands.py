"""Imports every command module so each registers its commands on the root group."""

from . import cmd_people  # noqa: F401
