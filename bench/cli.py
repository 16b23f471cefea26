"""Start-up time of the CLI against the floors it is measured by, in the same run.

    python bench/cli.py [--runs 15]

Every figure is the median wall time of fresh processes (nothing is cached between runs but the
operating system's file cache and Python's bytecode). The commands take turns, one run of each per
round, so a busy machine slows the floors and the commands alike. Bytecode is written as an
installed package has it (pip compiles it at install): PYTHONDONTWRITEBYTECODE is dropped for the
runs, and each command runs once before the timing starts. Targets:
- ``--help``, ``--version`` and shell completion within 3x a bare ``python -c "import click"``;
- a listing (``rubric list`` on a store holding the bundled rubrics) within 1.3x importing
  click, sqlmodel and rich's console and table: the imports a listing cannot do without.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PY = sys.executable
SCRIPT = str(Path(PY).with_name("qa-calibrate"))


def seconds(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    took = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed: {done.stderr.decode().strip()}")
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    if not Path(SCRIPT).exists():
        raise SystemExit(f"{SCRIPT} not found: run with the Python of the venv qa-calibrate is in")
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "QA_CALIBRATE_DB": str(Path(tmp) / "bench.db")}
        env.pop("QA_CALIBRATE_USER", None)
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        subprocess.run([SCRIPT, "init"], env=env, check=True, stdout=subprocess.DEVNULL)
        complete = {**env, "_QA_CALIBRATE_COMPLETE": "bash_complete",
                    "COMP_WORDS": "qa-calibrate ses", "COMP_CWORD": "1"}
        complete_name = {**env, "_QA_CALIBRATE_COMPLETE": "bash_complete",
                         "COMP_WORDS": "qa-calibrate rubric show ch", "COMP_CWORD": "3"}
        figures = [
            ("floor: python -c 'import click'", [PY, "-c", "import click"], env, None),
            ("qa-calibrate --help", [SCRIPT, "--help"], env, "click"),
            ("qa-calibrate --version", [SCRIPT, "--version"], env, "click"),
            ("completion of a command (TAB)", [SCRIPT], complete, "click"),
            ("floor: import click, sqlmodel, rich",
             [PY, "-c", "import click, sqlmodel, rich.console, rich.table"], env, None),
            ("rubric list (table)", [SCRIPT, "rubric", "list"], env, "listing"),
            ("rubric list --format json", [SCRIPT, "rubric", "list", "--format", "json"], env,
             "listing"),
            ("completion of a rubric name (TAB)", [SCRIPT], complete_name, "listing"),
        ]
        floors = {"click": None, "listing": None}
        targets = {"click": 3.0, "listing": 1.3}
        print(f"median of {args.runs} fresh processes each ({sys.version.split()[0]}, "
              f"{os.cpu_count()} cores)")
        print(f"{'figure':<40} {'seconds':>8} {'ratio':>7} {'target':>7}  result")
        for _label, argv, run_env, _against in figures:  # warm-up: bytecode, file cache
            seconds(argv, run_env)
        times: list[list[float]] = [[] for _ in figures]
        for _ in range(args.runs):
            for n, (_label, argv, run_env, _against) in enumerate(figures):
                times[n].append(seconds(argv, run_env))
        missed = 0
        for (label, _argv, _env, against), runs in zip(figures, times, strict=True):
            median = statistics.median(runs)
            if against is None:
                floors["click" if "sqlmodel" not in label else "listing"] = median
                print(f"{label:<40} {median:8.3f} {'':>7} {'':>7}  (floor)")
                continue
            ratio = median / floors[against]
            met = ratio <= targets[against]
            missed += not met
            print(f"{label:<40} {median:8.3f} {ratio:6.2f}x {targets[against]:6.1f}x  "
                  f"{'met' if met else 'MISSED'}")
        print("all targets met" if not missed else f"{missed} target(s) missed")


if __name__ == "__main__":
    main()
