"""The shape of the boundary between the core and its two layers (the CLI and the TUI).

- Every public function of the core opens and closes its own transaction: none takes a database
  session or connection (helpers that need the caller's transaction are private, ``_name``).
- The layers import nothing private from the core, and never open a store transaction,
  touch the ORM or decode stored JSON themselves.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import typing
from pathlib import Path

import pytest

import qa_calibrate

PACKAGE = Path(qa_calibrate.__file__).parent
LAYERS = ("cli", "tui")


def _core_modules() -> list[str]:
    return [m.name for m in pkgutil.walk_packages(qa_calibrate.__path__, "qa_calibrate.")
            if not m.name.startswith(tuple(f"qa_calibrate.{layer}" for layer in LAYERS))]


def _takes_a_transaction(annotation: object) -> bool:
    from sqlalchemy.engine import Connection
    from sqlalchemy.orm import Session as OrmSession

    return isinstance(annotation, type) and issubclass(annotation, OrmSession | Connection)


def test_no_public_core_function_takes_the_callers_transaction() -> None:
    offenders = []
    for name in _core_modules():
        module = importlib.import_module(name)
        for attr, obj in vars(module).items():
            if attr.startswith("_") or not inspect.isfunction(obj) \
                    or obj.__module__ != module.__name__:
                continue
            hints = typing.get_type_hints(obj)
            offenders += [f"{name}.{attr}({param})" for param, hint in hints.items()
                          if param != "return" and _takes_a_transaction(hint)]
    assert offenders == []


def test_the_check_finds_a_public_function_that_takes_a_session() -> None:
    """The test above can fail: a function like the old ``find_session`` is caught."""
    from sqlmodel import Session

    def find_session(session: Session, ref: str) -> None: ...

    hints = typing.get_type_hints(find_session, localns={"Session": Session})
    assert _takes_a_transaction(hints["session"])


def _layer_files() -> list[Path]:
    return sorted(p for layer in LAYERS for p in (PACKAGE / layer).rglob("*.py"))


def _core_imports(tree: ast.AST, path: Path) -> list[tuple[str, str]]:
    """(module, name) for every ``from <core module> import name`` in a layer's file."""
    out = []
    depth = len(path.relative_to(PACKAGE).parts) - 1  # cli/x.py: 1; tui/screens/x.py: 2
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against the file's package
                if node.level <= depth:
                    continue  # inside the layer itself
                module = node.module or ""
            elif (node.module or "").startswith("qa_calibrate."):
                module = (node.module or "").removeprefix("qa_calibrate.")
            else:
                continue
            if module.split(".")[0] in LAYERS:
                continue
            out += [(module, alias.name) for alias in node.names]
    return out


@pytest.mark.parametrize("path", _layer_files(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_a_layer_uses_only_the_cores_public_api(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    private = [f"{mod}.{name}" for mod, name in _core_imports(tree, path)
               if name.startswith("_")]
    assert private == [], "a layer imports a private core helper"
    forbidden_modules = {"models", "sqlmodel", "sqlalchemy", "json"}
    touched = [mod for mod, _name in _core_imports(tree, path) if mod in forbidden_modules]
    touched += [a.name for node in ast.walk(tree) if isinstance(node, ast.Import)
                for a in node.names if a.name.split(".")[0] in forbidden_modules]
    touched += [node.module or "" for node in ast.walk(tree)
                if isinstance(node, ast.ImportFrom) and not node.level
                and (node.module or "").split(".")[0] in forbidden_modules]
    assert touched == [], "a layer touches the ORM or decodes JSON itself"
    opens = [ast.unparse(node) for node in ast.walk(tree)
             if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
             and node.func.attr in {"session", "read", "begin", "connect", "execute"}
             and ast.unparse(node.func.value).endswith("store")]
    assert opens == [], "a layer opens a store transaction"


def test_the_layer_check_sees_a_private_import_and_an_open_session(tmp_path: Path) -> None:
    bad = ast.parse("from ...sessions import _find_session\n"
                    "def f(app):\n    with app.store.session() as s:\n        pass\n")
    fake = PACKAGE / "tui" / "screens" / "x.py"
    assert _core_imports(bad, fake) == [("sessions", "_find_session")]
    calls = [n for n in ast.walk(bad) if isinstance(n, ast.Call)
             and isinstance(n.func, ast.Attribute) and n.func.attr == "session"]
    assert calls and ast.unparse(calls[0].func.value).endswith("store")
