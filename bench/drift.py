"""Measure the drift detector on simulated teams: detection rate and delay after a known onset,
and the false-alarm rate of stable evaluators. ``python bench/drift.py [--runs N]``."""

from __future__ import annotations

import argparse
import time

from qa_calibrate.drift import DriftSettings, measure_detector

SCENARIOS = [
    # (label, base fail rate, drifted fail rate)
    ("lenient: 30% → 5% fails", 0.30, 0.05),
    ("lenient: 20% → 5% fails", 0.20, 0.05),
    ("harsh: 5% → 25% fails", 0.05, 0.25),
    ("harsh: 10% → 30% fails", 0.10, 0.30),
    ("no drift: 5% fails", 0.05, 0.05),
    ("no drift: 30% fails", 0.30, 0.30),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=500)
    parser.add_argument("--answers", type=int, default=120, help="answers per evaluator")
    args = parser.parse_args()
    settings = DriftSettings()
    onset = args.answers // 2
    print(f"risk-adjusted Bernoulli CUSUM, R={settings.odds_ratio}, h={settings.threshold}, "
          f"z≥{settings.z_crit}, ≥{settings.min_evidence} answers; 5 stable peers + 1 evaluator, "
          f"{args.answers} answers each over a year, onset at answer {onset}, {args.runs} runs")
    print(f"{'scenario':<26}{'detected':>9}{'median delay':>14}{'p90 delay':>11}"
          f"{'false alarms':>14}{'seconds':>9}")
    for label, base, drifted in SCENARIOS:
        t0 = time.perf_counter()
        r = measure_detector(runs=args.runs, n=args.answers, onset=onset, base_fail=base,
                             drifted_fail=drifted, seed=2026, settings=settings)
        took = time.perf_counter() - t0
        detected = "–" if base == drifted else f"{r['detection_rate']:.0%}"
        med = "–" if base == drifted else f"{r['median_delay']:.0f}"
        p90 = "–" if base == drifted else f"{r['p90_delay']:.0f}"
        print(f"{label:<26}{detected:>9}{med:>14}{p90:>11}{r['false_alarm_rate']:>14.2%}"
              f"{took:>9.1f}")
    print("delay = answers by the drifting evaluator after onset until the first signal; "
          "false alarms = share of stable evaluator series ever flagged")


if __name__ == "__main__":
    main()
