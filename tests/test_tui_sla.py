"""The SLA screen, driven through Pilot: a lead sees sites × periods coloured by status; an
evaluator is not offered the screen and is refused by the core if they reach it anyway."""

from __future__ import annotations

from helpers import LEAD, VENDOR_SITE, plant_vendor_offset, seed_basics
from test_sla import _vendor_routine

from qa_calibrate import sessions, sla
from qa_calibrate.tui.app import make_app
from qa_calibrate.tui.screens.home import HomeScreen
from qa_calibrate.tui.screens.sla import SlaScreen


async def test_the_lead_reads_the_sla_screen_and_switches_to_quarters(sqlite_store, tmp_path):
    store = sqlite_store
    seed_basics(store, n_interactions=20)
    plant_vendor_offset(store)
    sessions.reveal(store, "Two sites", actor=LEAD)
    _vendor_routine(store, tmp_path)
    sla.set_target(store, VENDOR_SITE, actor=LEAD, quality_min=85)
    app = make_app(store, LEAD)
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.press("l")
        await app.workers.wait_for_complete()
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, SlaScreen)
        vendor = next(n for n, r in enumerate(screen.rows) if r["site"] == VENDOR_SITE)
        table = screen.query_one("#sla")
        quality = table.get_row_at(vendor)[3]
        calibrated = table.get_row_at(vendor)[4]
        assert str(quality) == "87.5 met" and "green" in str(quality.style)
        assert str(calibrated) == "81.2 missed" and "red" in str(calibrated.style)
        table.move_cursor(row=vendor)
        await pilot.pause()
        text = str(screen.query_one("#sla-detail").render())
        assert "offset +6.2 taken off" in text and "target 85" in text
        await pilot.press("p")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert {r["period"] for r in screen.rows} == {"2026-Q3"}
        await pilot.press("escape")
        assert isinstance(app.screen, HomeScreen)


async def test_an_evaluator_is_not_offered_the_sla_screen_and_the_core_refuses_it(
        sqlite_store):
    seed_basics(sqlite_store)
    app = make_app(sqlite_store, "Ann")
    refused: list[str] = []
    app.fail = lambda exc: refused.append(str(exc))  # type: ignore[method-assign]
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.press("l")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)  # the key is not offered to an evaluator
        app.action_open_sla()  # reached anyway (e.g. an old palette): the core says no
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, SlaScreen) and app.screen.rows == []
        assert refused == ["Ann is evaluator: cannot see the SLA report"]
