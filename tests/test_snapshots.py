"""Snapshots of every screen and dialog at 80×24 and 160×48 on the bundled sample data
(``--snapshot-update`` after an intended change, and look at the SVGs in tests/__snapshots__
before committing them). The screens are reached as in tests/tui_screens.py."""

from __future__ import annotations

import pytest
from tui_screens import DIALOGS, SCREENS, SIZES, Shot, build_template, copy_store

SHOTS = SCREENS + DIALOGS


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    return build_template(tmp_path_factory.mktemp("snap") / "demo.db")


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("shot", SHOTS, ids=[s.name for s in SHOTS])
def test_snapshot(snap_compare, template, tmp_path, shot: Shot, size: str):
    store = copy_store(template, tmp_path / "demo.db")
    try:
        assert snap_compare(shot.app(store), terminal_size=SIZES[size], run_before=shot.run)
    finally:
        store.close()
