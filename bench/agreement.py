"""Time the agreement coefficients against reference packages measured in the same run.

``python bench/agreement.py [--quick]`` (reference packages: ``pip install -e '.[bench]'``).

Data: 5-point scale, fixed seed, raters agreeing with a latent true value 60% of the time;
20 raters × 10,000 units and 50 raters × 100,000 units with 20% missing, and 20 × 100,000
complete for Fleiss and AC1. Each timing is the best of several runs (time.perf_counter).
What is timed for the references: ``krippendorff.alpha`` on the (raters × units) matrix;
statsmodels ``aggregate_raters`` + ``fleiss_kappa`` (both, since ours starts from raw ratings
too); irrCAC ``CAC(df).gwet()`` / ``.fleiss()`` on a pandas DataFrame (the constructor included).
Peak memory: tracemalloc's peak of Python/numpy allocations during our call.
"""

from __future__ import annotations

import argparse
import time
import tracemalloc
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from qa_calibrate import agreement as ag


def make(units: int, raters: int, missing: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    truth = rng.integers(1, 6, size=units)
    noise = rng.integers(1, 6, size=(units, raters))
    x = np.where(rng.random((units, raters)) < 0.6, truth[:, None], noise).astype(float)
    if missing:
        x[rng.random(x.shape) < missing] = np.nan
    return x


def best(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


def peak_mb(fn: Callable[[], Any]) -> float:
    tracemalloc.start()
    fn()
    _cur, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes, one repeat")
    args = parser.parse_args()
    scale = 10 if args.quick else 1
    repeat = 1 if args.quick else 3
    warnings.simplefilter("ignore")
    try:
        import krippendorff
    except ImportError:
        krippendorff = None
    try:
        from statsmodels.stats.inter_rater import aggregate_raters, fleiss_kappa
    except ImportError:
        aggregate_raters = fleiss_kappa = None
    try:
        import pandas as pd
        from irrCAC.raw import CAC
    except ImportError:
        CAC = pd = None
    cats = [1, 2, 3, 4, 5]
    small = make(10_000 // scale, 20, 0.2, 1)
    large = make(100_000 // scale, 50, 0.2, 2)
    complete = make(100_000 // scale, 20, 0.0, 3)
    rows: list[tuple[Any, ...]] = []

    def row(name: str, size: str, ours: float, ref: float | None, target: float | None,
            diff: float | None, mem: float) -> None:
        ratio = ours / ref if ref else None
        met = "–" if target is None or ratio is None else ("yes" if ratio <= target else "NO")
        rows.append((name, size, ours, ref, ratio, target, met, diff, mem))

    for label, data in (("20×10k", small), ("50×100k", large)):
        for level in ag.LEVELS:
            t_ours, v_ours = best(lambda d=data, lv=level: ag.krippendorff_alpha(
                d, level=lv, categories=cats), repeat)
            mem = peak_mb(lambda d=data, lv=level: ag.krippendorff_alpha(d, level=lv,
                                                                        categories=cats))
            if krippendorff is not None:
                t_ref, v_ref = best(lambda d=data, lv=level: krippendorff.alpha(
                    reliability_data=d.T, level_of_measurement=lv, value_domain=cats), repeat)
                row(f"alpha {level}", label, t_ours, t_ref, 0.5, abs(v_ours - v_ref), mem)
            else:
                row(f"alpha {level}", label, t_ours, None, None, None, mem)

    label = "20×100k complete"
    t_ours, v_ours = best(lambda: ag.fleiss_kappa(complete, categories=cats), repeat)
    mem = peak_mb(lambda: ag.fleiss_kappa(complete, categories=cats))
    if fleiss_kappa is not None:
        t_ref, v_ref = best(lambda: fleiss_kappa(aggregate_raters(complete.astype(int))[0]),
                            repeat)
        row("Fleiss kappa (vs statsmodels)", label, t_ours, t_ref, 0.5, abs(v_ours - v_ref), mem)
    else:
        row("Fleiss kappa", label, t_ours, None, None, None, mem)
    t_ac1, v_ac1 = best(lambda: ag.gwet_ac1(complete, categories=cats), repeat)
    mem = peak_mb(lambda: ag.gwet_ac1(complete, categories=cats))
    if CAC is not None:
        df = pd.DataFrame(complete)
        t_ref, res = best(lambda: CAC(df, categories=cats, digits=15).gwet(), 1)
        row("Gwet AC1 (vs irrCAC)", label, t_ac1, t_ref, 0.5,
            abs(v_ac1 - res["est"]["coefficient_value"]), mem)
        t_ref, res = best(lambda: CAC(df, categories=cats, digits=15).fleiss(), 1)
        row("Fleiss kappa (vs irrCAC)", label, t_ours, t_ref, None,
            abs(v_ours - res["est"]["coefficient_value"]), mem)
    else:
        row("Gwet AC1", label, t_ac1, None, None, None, mem)
    for name in ("percent_agreement", "conger_kappa", "brennan_prediger", "gwet_ac2"):
        t, _v = best(lambda n=name: ag.COEFFICIENTS[n](complete, categories=cats), repeat)
        row(name, label, t, None, None, None, peak_mb(
            lambda n=name: ag.COEFFICIENTS[n](complete, categories=cats)))
    t, _ = best(lambda: ag.icc(complete[:, :20]), repeat)
    row("ICC(2,1)", label, t, None, None, None, peak_mb(lambda: ag.icc(complete)))

    t_boot, ci = best(lambda: ag.bootstrap_ci("krippendorff_alpha", small, n_resamples=1000,
                                              seed=1, categories=cats), 1)
    mem = peak_mb(lambda: ag.bootstrap_ci("krippendorff_alpha", small, n_resamples=1000, seed=1,
                                          categories=cats))
    rows.append(("bootstrap alpha ×1000", "20×10k", t_boot, None, None, 2.0,
                 "yes" if t_boot < 2.0 else "NO", None, mem))
    t_boot2, _ = best(lambda: ag.bootstrap_ci("gwet_ac1", small, n_resamples=1000, seed=1,
                                              categories=cats), 1)
    rows.append(("bootstrap AC1 ×1000", "20×10k", t_boot2, None, None, None, "–", None, 0.0))

    header = ("coefficient", "data", "ours s", "ref s", "ratio", "target", "met", "|Δ value|",
              "peak MB")
    print(f"{header[0]:<30}{header[1]:<18}{header[2]:>9}{header[3]:>9}{header[4]:>7}"
          f"{header[5]:>8}{header[6]:>5}{header[7]:>11}{header[8]:>9}")
    for r in rows:
        name, size, ours, ref, ratio, target, met, diff, mem = r
        ref_t = f"{ref:.3f}" if ref else "–"
        ratio_t = f"{ratio:.2f}" if ratio else "–"
        if name.startswith("bootstrap alpha"):
            target_t = "< 2 s"
        else:
            target_t = f"≤{target:.1f}×" if target else "–"
        diff_t = f"{diff:.1e}" if diff is not None else "–"
        print(f"{name:<30}{size:<18}{ours:>9.3f}{ref_t:>9}{ratio_t:>7}{target_t:>8}{met:>5}"
              f"{diff_t:>11}{mem:>9.1f}")
    print(f"bootstrap 95% CI of nominal alpha on 20×10k: [{ci[0]:.4f}, {ci[1]:.4f}]")


if __name__ == "__main__":
    main()
