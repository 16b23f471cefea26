"""The base of the core's typed views: frozen dataclasses the CLI and the TUI read by attribute,
and whose ``to_dict()`` is the JSON the CLI prints (fields in order, nested views as objects,
sequences as lists)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields, is_dataclass
from typing import Any


def plain(value: Any) -> Any:
    """A view as JSON-ready data: views by their ``to_dict``, dataclasses field by field,
    sequences as lists, mappings as dicts."""
    if isinstance(value, View):
        return value.to_dict()
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, Mapping):
        return {k: plain(v) for k, v in value.items()}
    return value


class View:
    """A frozen view of the core (subclasses are ``@dataclass(frozen=True)``)."""

    def to_dict(self) -> dict[str, Any]:
        return {f.name: plain(getattr(self, f.name)) for f in fields(self)}  # type: ignore[arg-type]
