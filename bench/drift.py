"""Measure the drift detector on simulated teams, before issue 16 (bench/drift_legacy.py: one
h = 8, ±60-day expectations, z gate to the end, first crossing only) and now (h per base rate
for the stated false-alarm rate, past-only expectations, every signal, flags kept):

1. today's scenarios: detection within 60 answers of the onset, false alarms as the share of
   stable series flagged in one run at the end of the year;
2. false alarms as a user sees them: the share of stable evaluator series ever flagged in a
   year when ``drift`` is run every week (before: flags could appear and vanish between runs;
   now a flag, once raised, stays until a lead clears it), next to the stated target;
3. detection delays untruncated: answers from the onset of a lasting drift to its first flag,
   over up to 1,500 answers after it;
4. the date of a second drift after a corrected first one.

``python bench/drift.py [--runs N] [--series N] [--quick]``."""

from __future__ import annotations

import argparse
import math
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))

import drift_legacy as legacy  # noqa: E402

from qa_calibrate.drift import (  # noqa: E402
    DriftSettings,
    Observations,
    chart_thresholds,
    detection_delays,
    false_alarms_per_year,
    in_control_arl,
    measure_detector,
    simulate_charts,
    simulated_team,
)

SCENARIOS = [
    # (label, base fail rate, drifted fail rate)
    ("lenient: 30% → 5% fails", 0.30, 0.05),
    ("lenient: 20% → 5% fails", 0.20, 0.05),
    ("harsh: 5% → 25% fails", 0.05, 0.25),
    ("harsh: 10% → 30% fails", 0.10, 0.30),
    ("no drift: 5% fails", 0.05, 0.05),
    ("no drift: 30% fails", 0.30, 0.30),
]
LEGACY = legacy.LegacySettings()


def team(seed: int, runs: int, n: int, fail_rate: np.ndarray, peers: int = 5,
         days: float = 365.0) -> dict[str, np.ndarray]:
    """The answers ``simulate_charts`` draws from the same seed (``simulated_team``)."""
    ev, run, pos, t, fail = simulated_team(np.random.default_rng(seed), runs=runs, n=n,
                                           fail_rate=fail_rate, peers=peers, days=days)
    return {"ev": ev, "run": run, "pos": pos, "t": t, "fail": fail, "k": np.array(peers + 1)}


def legacy_alarms(data: dict[str, np.ndarray], direction: str, until_day: float | None = None
                  ) -> dict[int, tuple[int, int]]:
    """{series: (answer number of the first crossing, of its change point)} flagged by the
    old engine run on the answers before ``until_day``."""
    k = int(data["k"])
    keep = np.ones(data["t"].size, bool) if until_day is None else data["t"] < until_day
    ev, run, pos, t = data["ev"][keep], data["run"][keep], data["pos"][keep], data["t"][keep]
    y = data["fail"][keep] if direction == "harsh" else ~data["fail"][keep]
    series = run * k + ev
    obs = Observations(series=series, evaluator=ev, criterion=run,
                       stratum=np.zeros(ev.size, dtype=np.int64), time=t, y=y)
    p = legacy.expected_rates(obs, LEGACY)  # type: ignore[arg-type]
    order = np.lexsort((t, series))
    found = legacy.find_alarms(series[order], y[order].astype(float), p[order],
                               LEGACY)  # type: ignore[arg-type]
    return {a.series: (int(pos[order][a.first_row]), int(pos[order][a.onset_row]))
            for a in found}


def legacy_measure(runs: int, n: int, onset: int, base: float, drifted: float
                   ) -> dict[str, float]:
    """Today's scenario on the old engine (detection within the series, end-of-year snapshot)."""
    direction = "harsh" if drifted > base else "lenient"
    null = legacy_alarms(team(2026, runs, n, np.full(n, base)), direction)
    rate = np.r_[np.full(onset, base), np.full(n - onset, drifted)]
    k = 6
    drift = legacy_alarms(team(2027, runs, n, rate), direction)
    delays = [p - onset + 1 for s, (p, _o) in drift.items() if s % k == k - 1 and p >= onset]
    false = len(null) + sum(1 for s in drift if s % k != k - 1)
    return {"detection_rate": len(delays) / runs,
            "median_delay": float(np.median(delays)) if delays else math.nan,
            "false_alarm_rate": false / (runs * k + runs * (k - 1))}


def ever_flagged(base: float, direction: str, answers: int, series: int, legacy_series: int,
                 settings: DriftSettings) -> dict[str, float]:
    """Stable teams over a year: share of series ever flagged by weekly runs, before and now."""
    k = 6
    # now: a flag is never revised (past-only expectations, check at the signal) and is kept,
    # so the weekly runs together flag exactly the series that signal at all
    res = false_alarms_per_year(runs=max(1, series // k), base_fail=base, direction=direction,
                                answers_per_year=answers, peers=k - 1, seed=1,
                                settings=settings)
    out = {"now": res["ever_flagged"], "now_series": res["series"]}
    # before: the old engine run at the end of every week on the answers so far
    runs = max(1, legacy_series // k)
    data = team(10_000, runs, answers, np.full(answers, base))
    ever: set[int] = set()
    for week in range(1, 53):
        ever |= set(legacy_alarms(data, direction, until_day=7.0 * week))
    final = legacy_alarms(data, direction)
    out.update(before_weekly=len(ever) / (runs * k), before_snapshot=len(final) / (runs * k),
               before_series=runs * k)
    per_year = answers / settings.arl0
    out["target"] = 1 - math.exp(-per_year)
    return out


def legacy_delays(runs: int, base: float, drifted: float, before: int = 300,
                  after: int = 1500) -> dict[str, float]:
    """The old engine's first crossing on the whole series of a lasting drift (the data of
    ``detection_delays`` from the same seed)."""
    rate = np.r_[np.full(before, base), np.full(after, drifted)]
    direction = "harsh" if drifted > base else "lenient"
    data = team(1, runs, before + after, rate, days=548.0)
    found = legacy_alarms(data, direction)
    k = 6
    delays = np.full(runs, np.inf)
    early = 0
    for r in range(runs):
        hit = found.get(r * k + k - 1)
        if hit is None:
            continue
        if hit[0] < before:
            early += 1  # its first crossing came before the drift: dated before it began
        else:
            delays[r] = hit[0] - before + 1
    return {"median_delay": float(np.median(delays)),
            "p90_delay": float(np.percentile(delays, 90)), "early": early / runs,
            "detected": float(np.isfinite(delays).mean())}


def second_episode(runs: int) -> tuple[list[float], list[float]]:
    """Onset error (answers) of the flag of a second lenient drift from answer 1,200, after a
    first one over answers 400–520: before (first crossing) and now (the first flag after the
    second onset)."""
    n = 1600
    rate = np.full(n, 0.3)
    rate[400:520] = 0.05
    rate[1200:] = 0.05
    k = 6
    res = simulate_charts(np.random.default_rng(5), runs=runs, n=n, fail_rate=rate,
                          direction="lenient", days=548.0)
    now = []
    mine = res.of(k - 1)
    for r in range(runs):
        later = np.flatnonzero(mine & (res.series // k == r) & (res.pos >= 1200))
        now.append(float(res.onset[later[0]] - 1200) if later.size else math.nan)
    before = []
    found = legacy_alarms(team(5, runs, n, rate, days=548.0), "lenient")
    for r in range(runs):
        hit = found.get(r * k + k - 1)
        before.append(float(hit[1] - 1200) if hit is not None else math.nan)
    return before, now


def fmt_delay(v: float) -> str:
    return ">1500" if not math.isfinite(v) else f"{v:.0f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=500, help="teams per scenario")
    parser.add_argument("--series", type=int, default=6000,
                        help="stable series per false-alarm row (now)")
    parser.add_argument("--legacy-series", type=int, default=600,
                        help="stable series per false-alarm row (before: 52 runs each)")
    parser.add_argument("--quick", action="store_true", help="a tenth of everything")
    args = parser.parse_args()
    if args.quick:
        args.runs, args.series, args.legacy_series = 50, 600, 120
    settings = DriftSettings()
    t0 = time.perf_counter()
    h5, h30 = chart_thresholds(np.array([0.05, 0.3]), settings)
    print(f"now: risk-adjusted Bernoulli CUSUM, R={settings.odds_ratio}, h per expected rate "
          f"for one false alarm per chart in {settings.years_per_false_alarm:g} years at "
          f"{settings.answers_per_year:,.0f} answers a year (in-control run length "
          f"{settings.arl0:,.0f} answers): h = {h5:.2f} at 5%, {h30:.2f} at 30% "
          f"(run length {in_control_arl(0.05, h5):,.0f} / {in_control_arl(0.3, h30):,.0f});")
    rates = np.array([0.05, 0.3])
    for support in (2500.0, 640.0):
        hs = chart_thresholds(rates, settings, np.full(2, support), np.full(2, 1e9))
        print(f"  with the expected rate estimated from {support:,.0f} peer answers: "
              f"h = {hs[0]:.2f} at 5%, {hs[1]:.2f} at 30%")
    print(f"before: h = 8 for every rate (run length {in_control_arl(0.05, 8.0):,.0f} at 5%, "
          f"{in_control_arl(0.3, 8.0):,.0f} at 30%), z ≥ 3.5 to the end, first crossing only")
    print()
    print(f"1. today's scenarios: 5 stable peers + 1 evaluator, 120 answers each over a year, "
          f"onset at answer 60, {args.runs} runs")
    print(f"{'scenario':<26}{'detected':>18}{'median delay':>16}{'false alarms':>20}")
    print(f"{'':<26}{'before':>9}{'now':>9}{'before':>8}{'now':>8}{'before':>10}{'now':>10}")
    for label, base, drifted in SCENARIOS:
        r = measure_detector(runs=args.runs, n=120, onset=60, base_fail=base,
                             drifted_fail=drifted, seed=2026, settings=settings)
        b = legacy_measure(args.runs, 120, 60, base, drifted)
        same = base == drifted
        det = ("–", "–") if same else (f"{b['detection_rate']:.0%}", f"{r['detection_rate']:.0%}")
        med = ("–", "–") if same else (f"{b['median_delay']:.0f}", f"{r['median_delay']:.0f}")
        print(f"{label:<26}{det[0]:>9}{det[1]:>9}{med[0]:>8}{med[1]:>8}"
              f"{b['false_alarm_rate']:>10.2%}{r['false_alarm_rate']:>10.2%}")
    print("delay = answers after onset to the first signal (within the 60); false alarms = "
          "stable series flagged at any signal (before: in one run at the end)")
    print()
    print("2. a stable evaluator's chart over one year, `drift` run every week: share of "
          "series ever flagged")
    print(f"{'chart':<22}{'answers/yr':>11}{'before: end':>13}{'before: weekly':>16}"
          f"{'now':>9}{'target':>9}{'series now/before':>19}")
    for base, direction in ((0.05, "harsh"), (0.05, "lenient"), (0.30, "harsh"),
                            (0.30, "lenient")):
        for answers in (1000, 3000):
            e = ever_flagged(base, direction, answers, args.series, args.legacy_series,
                             settings)
            label = f"{direction}, {base:.0%} fails"
            print(f"{label:<22}{answers:>11,}{e['before_snapshot']:>13.2%}"
                  f"{e['before_weekly']:>16.2%}{e['now']:>9.2%}{e['target']:>9.2%}"
                  f"{int(e['now_series']):>11,}/{int(e['before_series']):,}")
    print("before: end = flagged by one run at the end of the year (the figure published "
          "before); weekly = flagged by any of 52 weekly runs")
    print()
    small = DriftSettings(answers_per_year=1000, years_per_false_alarm=4)
    exact = replace(small, limit_for_estimate=False)
    print("2b. the same at a test-sized stated rate (one false alarm per chart in 4 years at "
          "1,000 answers a year), where flags are common enough to count at low volume: ever "
          "flagged / target, with the limit for an exactly known expected rate and now "
          f"({args.series:,} series each)")
    print(f"{'chart':<22}{'answers/yr':>11}{'target':>9}{'known-rate limit':>18}{'now':>9}")
    for base, direction in ((0.05, "harsh"), (0.05, "lenient"), (0.30, "harsh"),
                            (0.30, "lenient")):
        for answers in (120, 1000):
            runs = max(1, args.series // 6)
            got = [false_alarms_per_year(runs=runs, base_fail=base, direction=direction,
                                         answers_per_year=answers, seed=3, settings=st)
                   for st in (exact, small)]
            label = f"{direction}, {base:.0%} fails"
            ratios = [g["ever_flagged"] / g["target_ever_flagged"] for g in got]
            print(f"{label:<22}{answers:>11,}{got[1]['target_ever_flagged']:>9.1%}"
                  f"{ratios[0]:>17.2f}×{ratios[1]:>8.2f}×")
    print()
    print(f"3. detection delay, untruncated: 300 stable answers, then a lasting drift for up to "
          f"1,500 answers (over 18 months), {args.runs} runs")
    print(f"{'scenario':<26}{'median':>16}{'p90':>16}{'found':>14}{'dated early':>13}")
    print(f"{'':<26}{'before':>8}{'now':>8}{'before':>8}{'now':>8}{'before':>7}{'now':>7}"
          f"{'before':>13}")
    for label, base, drifted in SCENARIOS[:4]:
        r = detection_delays(runs=args.runs, base_fail=base, drifted_fail=drifted, seed=1,
                             settings=settings)
        b = legacy_delays(args.runs, base, drifted)
        print(f"{label:<26}{fmt_delay(b['median_delay']):>8}{fmt_delay(r['median_delay']):>8}"
              f"{fmt_delay(b['p90_delay']):>8}{fmt_delay(r['p90_delay']):>8}"
              f"{b['detected']:>7.0%}{r['detected']:>7.0%}{b['early']:>13.0%}")
    print("delay in the drifting evaluator's answers after the onset; dated early = the old "
          "engine's first crossing came before the drift began (a false alarm it kept)")
    print()
    runs2 = max(20, args.runs // 5)
    before, now = second_episode(runs2)
    b, n = np.array(before), np.array(now)
    print(f"4. a second lenient drift (30% → 5% fails from answer 1,200, after one over answers "
          f"400–520), {runs2} runs: onset error of its flag in answers")
    print(f"before: median {np.nanmedian(b):+.0f}, within 20 answers {np.mean(np.abs(b) <= 20):.0%}"
          f"; now: median {np.nanmedian(n):+.0f}, within 20 answers "
          f"{np.mean(np.abs(n) <= 20):.0%}, no flag {np.mean(np.isnan(n)):.0%}")
    print(f"({time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    main()
