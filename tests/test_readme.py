"""The README's first-session block runs top to bottom in an empty folder, as a user pastes it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from openpyxl import load_workbook
from readme import PACKETS, first_session_block, readme_block

BIN = Path(sys.executable).parent


def _run(block: str, tmp_path: Path) -> tuple[subprocess.CompletedProcess[str], Path]:
    """The block in bash -e in an empty folder (with a space in its path), the venv on PATH."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("QA_CALIBRATE_")}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env["XDG_DATA_HOME"] = str(tmp_path / "data")
    work = tmp_path / "fresh folder"
    work.mkdir()
    done = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", block], cwd=work, env=env,
                          capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-2000:]
    return done, work


def test_the_first_session_block_runs_as_written(tmp_path: Path) -> None:
    block = first_session_block()
    assert "qa-calibrate session close" in block and "rubrics/" not in block
    done, work = _run(block, tmp_path)
    assert "Traceback" not in done.stdout + done.stderr
    assert "loaded the bundled rubrics" in done.stdout
    assert "session Nov chat closed" in done.stdout
    assert "consensus empathy = 4" in done.stdout
    rows = list(load_workbook(work / "plan.xlsx")["Assignments"].iter_rows(values_only=True))
    assert len(rows) > 1  # the plan was written, with assignments


def test_the_packet_walkthrough_runs_as_written(tmp_path: Path) -> None:
    block = readme_block(PACKETS)
    done, work = _run(block, tmp_path)
    assert "Traceback" not in done.stdout + done.stderr
    assert "results packet" in done.stdout and "(4 evaluations, 2 people)" in done.stdout
    assert "Manila (Vendor: Northstar BPO)" in done.stdout and "1.85" in done.stdout
    assert (work / "shared.key").stat().st_mode & 0o077 == 0  # the key is the owner's only
