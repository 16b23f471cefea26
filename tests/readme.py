"""The README's first-session block, as the tests and CI run it.

    python tests/readme.py > first_session.sh     # what CI runs against the installed wheel
    python tests/readme.py packets > packets.sh   # the packet walkthrough
"""

from __future__ import annotations

import sys
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"
MARKER = "<!-- first-session -->"
PACKETS = "<!-- packet-walkthrough -->"


def readme_block(marker: str, readme: Path = README) -> str:
    """The ```bash block right after ``marker``."""
    text = readme.read_text(encoding="utf-8")
    if marker not in text:
        raise SystemExit(f"{readme}: marker {marker} not found")
    after = text.split(marker, 1)[1].lstrip("\n")
    if not after.startswith("```bash\n"):
        raise SystemExit(f"{readme}: no ```bash block right after {marker}")
    return after[len("```bash\n"):].split("\n```", 1)[0] + "\n"


def first_session_block(readme: Path = README) -> str:
    return readme_block(MARKER, readme)


if __name__ == "__main__":
    sys.stdout.write(readme_block(PACKETS if sys.argv[1:] == ["packets"] else MARKER))
