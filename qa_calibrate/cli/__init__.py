"""The click CLI: parse arguments, call the core, render with rich. No logic lives here."""

from __future__ import annotations

from .main import cli

__all__ = ["cli"]
