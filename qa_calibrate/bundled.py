"""The rubrics, module catalogue and sample data that ship inside the package.

The repository's top-level ``rubrics/`` and ``sample_data/`` folders are the only copies: the
build maps them to the packages ``qa_calibrate.rubrics`` and ``qa_calibrate.sample_data``, so a
wheel, an sdist and an editable install all find them through ``importlib.resources``.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path

from .errors import InputError

RUBRICS = "qa_calibrate.rubrics"
SAMPLE_DATA = "qa_calibrate.sample_data"

# What each bundle must hold for the tool to work; a missing one is named in the error.
REQUIRED = {
    RUBRICS: ("chat_support.yaml", "voice_support.yaml", "email_support.yaml", "modules.yaml"),
    SAMPLE_DATA: ("evaluators.csv", "evaluations_history.csv", "calibration_sessions.json",
                  "evaluations_calibration.csv"),
}


def _root(package: str) -> Traversable:
    try:
        root = files(package)
    except ModuleNotFoundError as exc:
        raise InputError(f"bundled data missing: package {package} is not installed "
                         "(reinstall qa-calibrate)") from exc
    missing = [name for name in REQUIRED[package] if not (root / name).is_file()]
    if missing:
        raise InputError(f"bundled data missing: {', '.join(missing)} not found in {root} "
                         f"(package {package}; reinstall qa-calibrate)")
    return root


@contextmanager
def _as_directory(root: Traversable) -> Iterator[Path]:
    """A real folder holding the bundle: the installed one, or a temporary copy (zip imports)."""
    if isinstance(root, Path):
        yield root
        return
    with tempfile.TemporaryDirectory(prefix="qa-calibrate-") as tmp:
        for item in root.iterdir():
            if item.is_file():
                with item.open("rb") as src, open(Path(tmp) / item.name, "wb") as dst:
                    shutil.copyfileobj(src, dst)
        yield Path(tmp)


@contextmanager
def rubric_directory() -> Iterator[Path]:
    """The bundled rubrics and module catalogue, as a folder ``rubric.load_rubric_paths`` reads."""
    with _as_directory(_root(RUBRICS)) as path:
        yield path


@contextmanager
def sample_directory() -> Iterator[Path]:
    """The bundled sample data, as a folder ``demo.load_sample_data`` reads."""
    with _as_directory(_root(SAMPLE_DATA)) as path:
        yield path


def copy_sample_data(target: Path) -> list[Path]:
    """Write the bundled sample files into ``target`` (created if needed), to try the import
    commands on. Refuses, writing nothing, when one of the files is already there."""
    root = _root(SAMPLE_DATA)
    items = sorted((i for i in root.iterdir()
                    if i.is_file() and not i.name.endswith(".py")), key=lambda i: i.name)
    target = Path(target)
    clashes = [target / i.name for i in items if (target / i.name).exists()]
    if clashes:
        raise InputError(f"{clashes[0]}: already exists; give an empty or new folder")
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for item in items:
        with item.open("rb") as src, open(target / item.name, "wb") as dst:
            shutil.copyfileobj(src, dst)
        written.append(target / item.name)
    return written
