"""What the package declares is what it uses: dependencies, packages, bundled data, commands."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
# Loaded by SQLAlchemy for postgresql+psycopg:// URLs, never imported by name; store.py checks
# for it so that a missing extra is one line naming it.
LOADED_BY_URL = {"psycopg": ROOT / "qa_calibrate" / "store.py"}


def _dist_name(requirement: str) -> str:
    return re.split(r"[\s\[<>=!~;]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def _declared(*groups: str) -> set[str]:
    project = PYPROJECT["project"]
    names = {_dist_name(r) for r in project["dependencies"]}
    for group in groups:
        names |= {_dist_name(r) for r in project["optional-dependencies"][group]}
    return names - {"qa-calibrate"}


def _imported_top_levels(paths: list[Path]) -> dict[str, Path]:
    """Top-level modules imported with absolute imports, anywhere in the files (lazy ones too)."""
    found: dict[str, Path] = {}
    for path in paths:
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                found.setdefault(name.split(".")[0], path)
    return found


def _distributions(modules: dict[str, Path], local: set[str]) -> dict[str, Path]:
    """Distribution name -> a file importing it; fails on a module that no distribution has."""
    by_module = packages_distributions()
    out: dict[str, Path] = {}
    for module, path in modules.items():
        if module in sys.stdlib_module_names or module in local:
            continue
        dists = by_module.get(module)
        assert dists, f"{path}: imports {module!r}, which no installed distribution provides"
        out.setdefault(dists[0].lower().replace("_", "-"), path)
    return out


def _py_files(*folders: str) -> list[Path]:
    return [p for folder in folders for p in sorted((ROOT / folder).rglob("*.py"))]


def test_every_runtime_dependency_is_imported_and_every_import_is_declared() -> None:
    files = _py_files("qa_calibrate", "rubrics", "sample_data")
    used = _distributions(_imported_top_levels(files), local={"qa_calibrate"})
    declared = _declared("postgres", "serve", "encrypt")
    assert set(used) - declared == set(), f"imported but not declared: {set(used) - declared}"
    never = declared - set(used) - set(LOADED_BY_URL)
    assert never == set(), f"declared but never imported by qa_calibrate: {never}"
    for dist, path in LOADED_BY_URL.items():
        assert dist in declared and f'"{dist}"' in path.read_text(encoding="utf-8")


def test_tests_and_benchmarks_import_only_what_their_extras_declare() -> None:
    local = {"qa_calibrate", "generate"} | {p.stem for p in _py_files("tests", "bench")}
    for folders, groups in ((("tests",), ("postgres", "serve", "encrypt", "test")),
                            (("bench",), ("postgres", "serve", "encrypt", "test", "bench"))):
        imported = _imported_top_levels(_py_files(*folders))
        if "bench" not in folders:  # bench imports its reference packages only when installed
            used = _distributions(imported, local)
        else:
            by_module = packages_distributions()
            used = {by_module[m][0].lower(): p for m, p in imported.items()
                    if m in by_module and m not in sys.stdlib_module_names and m not in local}
        missing = set(used) - _declared(*groups)
        assert missing == set(), f"{folders}: imported but not declared: {missing}"


def test_the_package_list_names_every_package_in_the_tree() -> None:
    listed = set(PYPROJECT["tool"]["setuptools"]["packages"])
    mapped = PYPROJECT["tool"]["setuptools"]["package-dir"]
    in_tree = {".".join(p.parent.relative_to(ROOT).parts)
               for p in (ROOT / "qa_calibrate").rglob("__init__.py")}
    in_tree |= {name for name, folder in mapped.items()
                if (ROOT / folder / "__init__.py").is_file()}
    assert listed == in_tree


def test_the_bundled_data_is_read_through_importlib_resources() -> None:
    from qa_calibrate import bundled

    with bundled.rubric_directory() as rubrics, bundled.sample_directory() as sample:
        assert {p.name for p in rubrics.glob("*.yaml")} >= set(bundled.REQUIRED[bundled.RUBRICS])
        assert (sample / "evaluators.csv").is_file()


def test_missing_bundled_files_are_named_with_where_they_were_looked_for(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from qa_calibrate import bundled
    from qa_calibrate.errors import InputError

    monkeypatch.setitem(bundled.REQUIRED, bundled.RUBRICS, ("modules.yaml", "gone.yaml"))
    with pytest.raises(InputError) as err, bundled.rubric_directory():
        pass
    assert "gone.yaml not found in" in str(err.value) and "rubrics" in str(err.value)
    assert "modules.yaml" not in str(err.value).split("not found")[0]


def test_the_command_table_matches_the_modules_that_register_commands() -> None:
    from importlib import import_module

    from qa_calibrate.cli import cli
    from qa_calibrate.cli.commands import COMMAND_MODULES

    for module in set(COMMAND_MODULES.values()):
        import_module(f"qa_calibrate.cli.{module}")
    assert set(cli.commands) == set(COMMAND_MODULES)
    for name, command in cli.commands.items():
        assert command.callback is not None
        assert command.callback.__module__ == f"qa_calibrate.cli.{COMMAND_MODULES[name]}", name


def test_help_loads_neither_the_store_nor_rich_nor_numpy() -> None:
    import subprocess

    code = ("import sys; from qa_calibrate.cli import cli\n"
            "try:\n    cli(['--help'])\nexcept SystemExit:\n    pass\n"
            "heavy = [m for m in ('sqlalchemy', 'sqlmodel', 'numpy', 'rich.console', 'textual',"
            " 'openpyxl', 'yaml') if m in sys.modules]\n"
            "print('HEAVY', heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert "HEAVY []" in out, out


def _version_key(text: str) -> tuple[int, ...]:
    parts = [int(p) for p in text.split(".")]
    while parts and parts[-1] == 0:
        parts.pop()
    return tuple(parts)


def test_ci_runs_the_suite_on_exactly_the_declared_lower_bounds() -> None:
    pins = {}
    for line in (ROOT / ".ci" / "lower-bounds.txt").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            name, version = line.split("==")
            pins[name.strip().lower()] = _version_key(version.strip())
    project = PYPROJECT["project"]
    extras = project["optional-dependencies"]
    for requirement in (project["dependencies"] + extras["postgres"] + extras["serve"]
                        + extras["encrypt"]):
        lower = re.search(r">=\s*([\d.]+)", requirement)
        assert lower, f"{requirement}: no lower bound"
        assert re.search(r",\s*<\s*[\d.]+", requirement), f"{requirement}: no upper bound"
        assert pins.get(_dist_name(requirement)) == _version_key(lower.group(1)), requirement
    assert "-c .ci/lower-bounds.txt" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    # CI installs the test extra, which brings both optional backends' packages
    assert {"postgres", "encrypt"} <= set(
        re.search(r"\[(.*)\]", next(r for r in extras["test"] if r.startswith("qa-calibrate"))
                  ).group(1).split(","))


def test_a_bundle_inside_a_zip_is_copied_out_to_a_real_folder(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import zipfile

    from qa_calibrate import bundled

    archive = tmp_path / "site.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in sorted((ROOT / "rubrics").glob("*.yaml")):
            zf.write(path, f"qa_calibrate/rubrics/{path.name}")
    monkeypatch.setattr(bundled, "files",
                        lambda package: zipfile.Path(archive, "qa_calibrate/rubrics/"))
    with bundled.rubric_directory() as folder:
        assert isinstance(folder, Path) and folder.is_dir()
        copied = sorted(p.name for p in folder.iterdir())
        original = (ROOT / "rubrics" / "modules.yaml").read_bytes()
        assert (folder / "modules.yaml").read_bytes() == original
    assert copied == sorted(p.name for p in (ROOT / "rubrics").glob("*.yaml"))
    assert not folder.exists()  # the temporary copy is gone afterwards
