"""The README's first-session block, as the tests and CI run it.

    python tests/readme.py > first_session.sh     # what CI runs against the installed wheel
"""

from __future__ import annotations

import sys
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"
MARKER = "<!-- first-session -->"


def first_session_block(readme: Path = README) -> str:
    """The ```bash block right after the first-session marker."""
    text = readme.read_text(encoding="utf-8")
    if MARKER not in text:
        raise SystemExit(f"{readme}: marker {MARKER} not found")
    after = text.split(MARKER, 1)[1].lstrip("\n")
    if not after.startswith("```bash\n"):
        raise SystemExit(f"{readme}: no ```bash block right after {MARKER}")
    return after[len("```bash\n"):].split("\n```", 1)[0] + "\n"


if __name__ == "__main__":
    sys.stdout.write(first_session_block())
