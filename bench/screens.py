"""Opening the home and scoring screens on the bundled demo store, quickly (no year-sized store).

``python bench/screens.py [--runs N] [--as NAME]`` loads the sample data once into a temporary
store, then runs ``bench/scale.py``'s ``time_screens`` (the same measurement as the year-sized
benchmark: Pilot at 120×40, the scoring clock starts just before ``action_open_scoring`` and
stops after the scoring screen is up and one more ``pilot.pause()``) N times, each in a fresh
process on a fresh copy of the store, and prints the median and the fastest run next to the
targets (< 1000 ms home, < 200 ms scoring). The size of the store barely changes these figures;
the speed of the machine does (run to run, by a third and more on a busy 2-core box), so the
median over several fresh processes is the figure to compare.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

SESSION = "Oct 2026 chat calibration"


def main() -> None:
    from scale import time_screens_fresh

    from qa_calibrate.demo import load_sample_data
    from qa_calibrate.store import open_store

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--as", dest="who", default="Liza Reyes",
                        help="evaluator who opens the scoring screen (default: Liza Reyes)")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="qa-screens-"))
    template = tmp / "demo.db"
    store = open_store(f"sqlite:///{template}")
    load_sample_data(store, actor="demo")
    store.close()

    home: list[float] = []
    scoring: list[float] = []
    for n in range(args.runs):
        db = tmp / f"run-{n}.db"
        shutil.copy(template, db)
        figures = time_screens_fresh(f"sqlite:///{db}", SESSION, args.who)
        home.append(figures["home"] * 1000)
        scoring.append(figures["scoring"] * 1000)
        db.unlink()
    shutil.rmtree(tmp, ignore_errors=True)

    print(f"{args.runs} runs, each in a fresh process; scoring screen opened as {args.who!r}")
    print(f"{'figure':<46}{'median':>10}{'fastest':>10}{'target':>12}  result")
    for name, values, target in (("open home screen (Pilot, demo store)", home, 1000),
                                 ("open scoring screen (Pilot, demo store)", scoring, 200)):
        median = statistics.median(values)
        print(f"{name:<46}{median:>7.0f} ms{min(values):>7.0f} ms{f'< {target} ms':>12}  "
              f"{'met' if median < target else 'MISSED'}")
    print("scoring runs (ms): " + " ".join(f"{v:.0f}" for v in scoring))


if __name__ == "__main__":
    main()
