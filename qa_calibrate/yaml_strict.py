"""Safe YAML parsing that refuses a key given twice (imported only where YAML is read)."""

from __future__ import annotations

from typing import Any

import yaml

from .errors import InputError


class _RepeatedKey(yaml.constructor.ConstructorError):
    """A key given twice in one YAML mapping."""


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses a key repeated in one mapping (PyYAML keeps the last silently)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _value in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=True)
            try:
                repeated = key in seen
            except TypeError:  # unhashable key: the base class reports it
                continue
            if repeated:
                raise _RepeatedKey(
                    "while reading a mapping", node.start_mark,
                    f"field {str(key)!r} appears twice", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def load_yaml(text: str, source: str) -> Any:
    """Parse YAML text safely; a syntax error or a repeated key is one InputError naming
    ``source`` and the line."""
    try:
        return yaml.load(text, Loader=_StrictLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"line {mark.line + 1}" if mark is not None else "?"
        if isinstance(exc, _RepeatedKey):
            raise InputError(f"{source}: {where}: {exc.problem}") from None
        raise InputError(f"{source}: {where}: not valid YAML: {exc.problem}") from None
    except yaml.YAMLError as exc:
        raise InputError(f"{source}: not valid YAML: {exc}") from None
