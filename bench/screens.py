"""Opening each main screen of the TUI on a year-sized store, each in fresh processes.

``python bench/screens.py [--runs N] [--db PATH] [--size WxH] [--code DIR]`` builds the store
with ``bench/scale.py``'s builder (100,000 interactions of 20 turns, 1,000,000 answers; kept in
``--db`` and reused when it is already there, so only the first run pays the build), adds one
open calibration session (six evaluators and the lead as benchmark, 20 interactions; five have
submitted, the sixth has the whole sample to score) and one revealed copy for the report
screens. Then every screen is opened N times, each time in a fresh Python process (imports
included, as a user starting the program gets them), headless with Pilot:

- ``home``: from creating the App until the home screen is up and one more ``pilot.pause()``;
- the others: the App is on the home screen; the clock starts just before the action that opens
  the screen (``action_open_scoring`` …) and stops once it is the active screen and one more
  ``pilot.pause()`` has run (``shown``, the figure the 200 ms target of the scoring screen is
  about); ``loaded`` also waits for the screen's workers (the report, drift and SLA figures are
  computed in workers).

It prints the median and the fastest run of each, the median CPU time of the process over the
same span (``time.process_time``: less sensitive to other work on the machine than the wall
clock), and the scoring screen against its target (< 200 ms, wall clock).

``--code DIR`` runs the children on another checkout of qa-calibrate (e.g. an earlier commit
unpacked with ``git archive``) against the same store, for an A/B comparison on the same machine
at the same time; given twice, the runs of the two are interleaved. On a shared, busy machine
the run-to-run spread is large: compare medians of the same run.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SESSION, REVEALED = "Screens bench", "Screens bench (revealed)"
LEAD = "Lead Bench"
SCREENS = ("home", "scoring", "meeting", "report", "drift", "sla", "coaching")


def prepare(db: Path, interactions: int, answers: int) -> dict[str, str]:
    """Build the year-sized store (unless ``db`` exists) and the two bench sessions."""
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "bench"))
    from scale import build_store

    from qa_calibrate import sessions
    from qa_calibrate.rubric import show_rubric
    from qa_calibrate.store import open_store

    url = f"sqlite:///{db}"
    evaluators = [f"Evaluator {k:02d}" for k in range(20)]
    if not db.exists():
        t0 = time.perf_counter()
        build_store(url, interactions, 20, answers, 11)
        print(f"built the store ({interactions:,} interactions, {answers:,} answers) in "
              f"{time.perf_counter() - t0:.0f} s: {db}")
    store = open_store(url)
    try:
        names = {s.name for s in sessions.list_sessions(store, actor=LEAD)}
        crit = show_rubric(store, "chat_support").criteria
        full = {c["key"]: ("yes" if c["scale"] == "binary" else int(c["max_value"]))
                for c in crit}
        for name in (SESSION, REVEALED):
            if name in names:
                continue
            sessions.create_session(store, name=name, rubric="chat_support", lead=LEAD,
                                    actor=LEAD, evaluators=evaluators[:6], benchmark=LEAD,
                                    sample_size=20, stratify_by="agent", seed=3)
            sample = sessions.session_detail(store, name, actor=LEAD).sample
            for person in [*evaluators[:5], LEAD]:
                for item in sample:
                    sessions.score(store, name, evaluator=person,
                                   interaction=item.interaction, answers=full,
                                   submit_now=True)
            if name == REVEALED:
                sessions.reveal(store, name, actor=LEAD)
    finally:
        store.close()
    return {"url": url, "evaluator": evaluators[5]}


CHILD = r"""
import asyncio, json, sys, time
code, url, screen, who, width, height = sys.argv[1:7]
sys.path.insert(0, code)
from qa_calibrate.store import open_store
from qa_calibrate.tui.app import make_app

async def run():
    store = open_store(url)
    app = make_app(store, who)
    size = (int(width), int(height))
    if screen == "home":
        c0 = time.process_time()
        t0 = time.perf_counter()
        async with app.run_test(size=size) as pilot:
            while app.screen.__class__.__name__ != "HomeScreen":
                await pilot.pause()
            await pilot.pause()
            shown = time.perf_counter() - t0
            cpu = time.process_time() - c0
            await app.workers.wait_for_complete()
            await pilot.pause()
            loaded = time.perf_counter() - t0
    else:
        sid = sys.argv[7]  # the session by name, as the screens take it
        opener = {"scoring": lambda: app.action_open_scoring(sid),
                  "meeting": lambda: app.action_open_meeting(sid),
                  "report": lambda: app.action_open_report(None),
                  "drift": app.action_open_drift, "sla": app.action_open_sla,
                  "coaching": app.action_open_coaching}[screen]
        wanted = {"scoring": "ScoringScreen", "meeting": "MeetingScreen",
                  "report": "ReportScreen", "drift": "DriftScreen", "sla": "SlaScreen",
                  "coaching": "CoachingScreen"}[screen]
        async with app.run_test(size=size) as pilot:
            await pilot.pause()
            await app.workers.wait_for_complete()
            await pilot.pause()
            c0 = time.process_time()
            t0 = time.perf_counter()
            opener()
            while app.screen.__class__.__name__ != wanted:
                await pilot.pause()
            await pilot.pause()
            shown = time.perf_counter() - t0
            cpu = time.process_time() - c0
            await app.workers.wait_for_complete()
            await pilot.pause()
            loaded = time.perf_counter() - t0
    store.close()
    print(json.dumps({"shown": shown, "loaded": loaded, "cpu": cpu}))

asyncio.run(run())
"""


def time_screen(code: Path, url: str, screen: str, who: str, size: tuple[int, int]) -> dict:
    """One opening of ``screen`` in a fresh process running the qa-calibrate at ``code``."""
    session = SESSION if screen in ("scoring", "meeting") else REVEALED
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(code), url, screen, who, str(size[0]), str(size[1]),
         session],
        capture_output=True, text=True, cwd=code)
    if out.returncode:
        raise SystemExit(f"{screen} failed ({code}): {out.stderr.strip()[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--db", type=Path, help="the store (built here when missing)")
    parser.add_argument("--interactions", type=int, default=100_000)
    parser.add_argument("--answers", type=int, default=1_000_000)
    parser.add_argument("--size", default="120x40", help="terminal size, WxH")
    parser.add_argument("--screens", default=",".join(SCREENS))
    parser.add_argument("--code", type=Path, action="append",
                        help="checkout of qa-calibrate to run (default: this one; twice: A/B)")
    args = parser.parse_args()
    db = args.db or Path(tempfile.mkdtemp(prefix="qa-screens-")) / "year.db"
    info = prepare(db, args.interactions, args.answers)
    width, height = (int(n) for n in args.size.split("x"))
    screens = [s for s in args.screens.split(",") if s]
    codes = [c.resolve() for c in (args.code or [ROOT])]
    results: dict[tuple[str, str], list[dict]] = {}
    for _ in range(args.runs):  # interleaved: each run opens every screen with every checkout
        for screen in screens:
            who = info["evaluator"] if screen == "scoring" else LEAD
            for code in codes:
                results.setdefault((str(code), screen), []).append(
                    time_screen(code, info["url"], screen, who, (width, height)))

    print(f"{args.runs} fresh processes per screen, {width}×{height}, store {db}")
    print(f"{'code':<28}{'screen':<10}{'shown median':>14}{'fastest':>9}{'CPU median':>12}"
          f"{'loaded median':>15}  target")
    for (code, screen), runs in results.items():
        shown = [r["shown"] * 1000 for r in runs]
        loaded = [r["loaded"] * 1000 for r in runs]
        median = statistics.median(shown)
        target = ""
        if screen == "scoring":
            target = f"< 200 ms: {'met' if median < 200 else 'MISSED'}"
        cpu = statistics.median(r["cpu"] * 1000 for r in runs)
        print(f"{Path(code).name[:27]:<28}{screen:<10}{median:>11.0f} ms{min(shown):>6.0f} ms"
              f"{cpu:>9.0f} ms{statistics.median(loaded):>12.0f} ms  {target}")
    for (code, screen), runs in results.items():
        if screen == "scoring":
            print(f"scoring runs, {Path(code).name} (ms): "
                  + " ".join(f"{r['shown'] * 1000:.0f}" for r in runs))


if __name__ == "__main__":
    main()
