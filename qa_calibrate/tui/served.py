"""``python -m qa_calibrate.tui.served NAME``: the TUI for one browser participant, started by
``qa-calibrate serve`` (``tui/web.py``) after NAME signed in with their link. The store is the
server's (``QA_CALIBRATE_DB``); textual-serve's web driver comes from the environment it sets."""

from __future__ import annotations

import sys


def main(argv: list[str]) -> int:
    from ..errors import QAError
    from ..people import person_name
    from ..store import open_store
    from .app import make_app

    if len(argv) != 1:
        print("usage: python -m qa_calibrate.tui.served NAME", file=sys.stderr)
        return 2
    try:
        store = open_store(None, create=False)
        try:
            make_app(store, person_name(store, argv[0])).run()
        finally:
            store.close()
    except QAError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
