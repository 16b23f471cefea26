"""Interval coverage of the session report at the size of a real session, before and after
issue 16. ``python bench/coverage.py [--sessions N]``.

Model: each interaction's true answer is yes with probability q; each rater reports it right
with probability p. Truth: the coefficients' population values (``population_values``,
analytic). Every session goes through the report's own builder; "before" is the percentile
bootstrap everywhere (``ReportSettings(intervals="bootstrap")``), "after" the default.
"""

from __future__ import annotations

import argparse
import math
import time

from qa_calibrate.coverage import (
    attainable_pa_coverage,
    measure_coverage,
    population_values,
    status_shares,
)
from qa_calibrate.report import ReportSettings

POOLED = [(10, r, p, q) for r in (4, 5, 6) for p in (0.95, 0.99) for q in (0.8, 0.9)]
ROWS = [
    ("10 × 5, q 0.9, p 0.85", [(10, 5, 0.85, 0.9)]),
    ("10 × 5, q 0.9, p 0.95", [(10, 5, 0.95, 0.9)]),
    ("10 × 5, q 0.9, p 0.99", [(10, 5, 0.99, 0.9)]),
    ("10 × 3, q 0.9, p 0.99", [(10, 3, 0.99, 0.9)]),
    ("pooled 10 × 4–6, p .95/.99, q .8/.9", POOLED),
    ("30 × 5, q 0.9, p 0.95", [(30, 5, 0.95, 0.9)]),
    ("50 × 5, q 0.9, p 0.95", [(50, 5, 0.95, 0.9)]),
]
SHORT = {"percent_agreement": "PA", "gwet_ac1": "AC1", "krippendorff_alpha": "α"}
# Conditions the intervals' settings were not chosen on (the Dirichlet concentrations and the
# prior mass were picked on the grid above): other sizes, rater counts and rates.
HELD_OUT = [(8, 4, 0.97, 0.85), (12, 3, 0.98, 0.95), (15, 5, 0.9, 0.7), (20, 7, 0.93, 0.8),
            (10, 8, 0.96, 0.6), (25, 4, 0.99, 0.85)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sessions", type=int, default=1000, help="sessions per condition")
    args = parser.parse_args()
    t0 = time.perf_counter()
    print(f"{args.sessions} simulated sessions per condition; coverage of the 95% interval / "
          "share zero-width / mean width (α: share of sessions where it is estimable)")
    print(f"{'condition':<38}{'':<8}" + "".join(f"{SHORT[k]:>24}" for k in SHORT))
    for label, conds in ROWS:
        for mode in ("bootstrap", "auto"):
            res = measure_coverage(conds, args.sessions, settings=ReportSettings(intervals=mode))
            cells = []
            for name in SHORT:
                s = res[name].summary()
                extra = f" ({s['defined']:.0%})" if name == "krippendorff_alpha" else ""
                cells.append(f"{s['coverage']:.3f}/{s['zero_width']:.2f}/{s['mean_width']:.2f}"
                             f"{extra}")
            tag = "before" if mode == "bootstrap" else "after"
            print(f"{label if mode == 'bootstrap' else '':<38}{tag:<8}"
                  + "".join(f"{c:>24}" for c in cells))
    print("\nper condition of the pooled grid, then held out (conditions the settings were not "
          "chosen on): coverage (after); PA attainable = the coverages on either side of 95% "
          "that an interval holding the states nearest the truth first can reach (the "
          "sampling distribution has few states)")
    print(f"{'n × r, p, q':<26}" + "".join(f"{SHORT[k]:>8}" for k in SHORT)
          + f"{'PA attainable':>18}")
    for label, conds in (("grid", POOLED), ("held out", HELD_OUT)):
        print(label)
        for cond in conds:
            res = measure_coverage([cond], args.sessions)
            n, r, p, q = cond
            lo, hi = (attainable_pa_coverage(n, r, p) if math.comb(n + r, r) <= 200_000
                      else (math.nan, math.nan))  # the enumeration's size
            print(f"  {f'{n} × {r}, p {p:g}, q {q:g}':<24}"
                  + "".join(f"{res[k].summary()['coverage']:>8.3f}" for k in SHORT)
                  + f"{f'{lo:.3f} / {hi:.3f}':>18}")
    print("\nthe flag at 10 interactions × 5 raters, objective target 90%: share flagged / "
          "passes / can't tell")
    for p in (0.95, 0.93):
        pa = population_values(p, 0.9)["percent_agreement"]
        for mode in ("bootstrap", "auto"):
            sh = status_shares(10, 5, p, 0.9, args.sessions,
                               settings=ReportSettings(intervals=mode))
            tag = "before" if mode == "bootstrap" else "after"
            print(f"true agreement {pa:.1%} {tag:<7} flagged {sh['flagged']:.0%}  passes "
                  f"{sh['passes']:.0%}  can't tell {sh['cant_tell']:.0%}")
    print(f"\n{time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
