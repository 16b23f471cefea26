"""Safe YAML parsing for the files people hand in (rubrics, module catalogues), imported only
where YAML is read. On top of PyYAML's SafeLoader it refuses, before anything is built:

- an anchor (``&name``) or alias (``*name``): a few hundred bytes of nested aliases expand to
  gigabytes ("billion laughs"), and a rubric never needs one;
- any explicit tag (``!!python/object``, ``!!str``, ``!custom``);
- nesting deeper than ``MAX_DEPTH`` levels, and documents over ``MAX_CHARS`` characters;
- a key given twice in one mapping (PyYAML keeps the last silently);

and, once built, an integer of more digits than Python converts and a lone surrogate
(``"\\ud800"``). Each refusal is one InputError naming the source and the line (or field)."""

from __future__ import annotations

from typing import Any

import yaml

from .errors import InputError

MAX_DEPTH = 32  # a rubric needs five levels
MAX_CHARS = 2_000_000


class _Refused(yaml.constructor.ConstructorError):
    """A construct this loader does not accept (alias, anchor, tag, depth, repeated key)."""


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader with the refusals of the module docstring."""

    _depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()
        mark = event.start_mark
        if isinstance(event, yaml.AliasEvent):
            raise _Refused(None, None, f"an alias (*{event.anchor}): anchors and aliases are "
                           "not accepted", mark)
        if getattr(event, "anchor", None) is not None:
            raise _Refused(None, None, f"an anchor (&{event.anchor}): anchors and aliases are "
                           "not accepted", mark)
        if getattr(event, "tag", None) is not None:
            raise _Refused(None, None, f"a tag ({str(event.tag)[:40]}): tags are not accepted",
                           mark)
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise _Refused(None, None, f"nested deeper than {MAX_DEPTH} levels", mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _value in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                repeated = key in seen
            except TypeError:  # unhashable key: the base class reports it
                continue
            if repeated:
                raise _Refused(None, None, f"field {str(key)[:60]!r} appears twice",
                               key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _int(loader: _StrictLoader, node: yaml.ScalarNode) -> Any:
    try:
        return yaml.SafeLoader.construct_yaml_int(loader, node)
    except ValueError:  # int() of more than 4,300 digits
        raise _Refused(None, None, "a number too large", node.start_mark) from None


_StrictLoader.add_constructor("tag:yaml.org,2002:int", _int)


def _lone_surrogate(value: Any, path: str = "") -> str | None:
    """The field of the first text holding a lone surrogate, or None."""
    if isinstance(value, str):
        return (path or "value") if any("\ud800" <= ch <= "\udfff" for ch in value) else None
    if isinstance(value, dict):
        for key, child in value.items():
            found = _lone_surrogate(key, f"{path}.<key>") or _lone_surrogate(
                child, f"{path}.{str(key)[:40]}" if path else str(key)[:40])
            if found:
                return found
    if isinstance(value, list):
        for n, child in enumerate(value, start=1):
            found = _lone_surrogate(child, f"{path}[{n}]")
            if found:
                return found
    return None


def load_yaml(text: str, source: str) -> Any:
    """Parse YAML text safely; any refusal or syntax error is one InputError naming
    ``source`` and the line."""
    if len(text) > MAX_CHARS:
        raise InputError(f"{source}: line 1: the file is {len(text):,} characters (at most "
                         f"{MAX_CHARS:,})")
    try:
        data = yaml.load(text, Loader=_StrictLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"line {mark.line + 1}" if mark is not None else "?"
        if isinstance(exc, _Refused):
            raise InputError(f"{source}: {where}: {exc.problem}") from None
        raise InputError(f"{source}: {where}: not valid YAML: {exc.problem}") from None
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow (ESC, NUL…)
        line = text.count("\n", 0, exc.position) + 1
        raise InputError(f"{source}: line {line}: not valid YAML: the character "
                         f"#x{exc.character:04x} is not allowed") from None
    except yaml.YAMLError as exc:
        raise InputError(f"{source}: not valid YAML: {' '.join(str(exc).split())}") from None
    except ValueError:  # int() of more than 4,300 digits
        raise InputError(f"{source}: a number too large") from None
    bad = _lone_surrogate(data)
    if bad is not None:
        raise InputError(f"{source}: field {bad!r}: a lone surrogate (\\ud800-\\udfff): not a "
                         "character")
    return data
