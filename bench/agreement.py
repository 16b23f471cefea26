"""Benchmark qa_calibrate.agreement against reference packages, in the same run, on the same data.

Usage: ``python bench/agreement.py [--quick]`` (reference packages: ``pip install -e '.[bench]'``;
a missing one is reported and its rows are skipped).

Data (fixed seeds): a 5-point scale (1..5); each rater gives the unit's latent value with
probability 0.6, else a uniform draw.
  - 20 raters × 10,000 units and 50 raters × 100,000 units, 20% of ratings missing;
  - 20 raters × 100,000 units, complete, for the Fleiss and AC1 comparisons.
``--quick`` divides every size by 10 and times fewer runs.

What is timed (each figure is the best of several runs, time.perf_counter):
  - ours: the public function on the (units × raters) float array with NaN for missing,
    ``categories=[1, 2, 3, 4, 5]``; everything from raw ratings to the float.
  - krippendorff: ``krippendorff.alpha(reliability_data=X.T, level_of_measurement=...,
    value_domain=[1..5])`` (its layout is raters × units; the transpose is a free view).
  - statsmodels: ``aggregate_raters(X)`` followed by ``fleiss_kappa(table)``: both, since ours
    starts from raw ratings too; the time of ``fleiss_kappa`` alone is printed below the table.
  - irrCAC: ``CAC(df, categories=[1..5], digits=15).gwet()`` / ``.fleiss()`` / ... including
    the CAC constructor, on a pandas DataFrame built beforehand (not timed).
Memory: the peak of Python/numpy allocations during one call of ours, measured separately with
tracemalloc (numpy reports its buffers to tracemalloc); the process's peak RSS
(resource.getrusage ru_maxrss) is printed at the end.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
import tracemalloc
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from qa_calibrate import agreement as ag  # noqa: E402

CATS = [1, 2, 3, 4, 5]
TOLERANCE = 1e-9


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
    try:
        fn()
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak / 2**20


@dataclass
class Row:
    name: str
    size: str
    ours: float
    mem: float
    ref: float | None = None
    ref_name: str = ""
    target: float | None = None  # ratio ours/ref, or seconds when absolute
    absolute: bool = False
    diff: float | None = None

    @property
    def ratio(self) -> float | None:
        return self.ours / self.ref if self.ref else None

    @property
    def met(self) -> str:
        if self.target is None:
            return ""
        if self.absolute:
            return "yes" if self.ours < self.target else "NO"
        if self.ratio is None:
            return ""
        return "yes" if self.ratio <= self.target else "NO"

    @property
    def value_ok(self) -> bool:
        return self.diff is None or self.diff <= TOLERANCE


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="sizes / 10, fewer runs")
    args = parser.parse_args()
    div = 10 if args.quick else 1
    rep_small, rep_large = (2, 1) if args.quick else (7, 3)
    warnings.simplefilter("ignore")  # the reference packages' own warnings

    notes: list[str] = []
    try:
        import krippendorff
    except ImportError:
        krippendorff = None
        notes.append("krippendorff not installed: its rows are skipped")
    try:
        from statsmodels.stats.inter_rater import aggregate_raters
        from statsmodels.stats.inter_rater import fleiss_kappa as sm_fleiss
    except ImportError:
        aggregate_raters = sm_fleiss = None
        notes.append("statsmodels not installed: its rows are skipped")
    try:
        import pandas as pd
        from irrCAC.raw import CAC
    except ImportError:
        CAC = pd = None
        notes.append("irrCAC (or pandas) not installed: its rows are skipped")

    small = make(10_000 // div, 20, 0.2, seed=1)
    large = make(100_000 // div, 50, 0.2, seed=2)
    complete = make(100_000 // div, 20, 0.0, seed=3)
    size_small = f"20×{10_000 // div:,} 20% NA"
    size_large = f"50×{100_000 // div:,} 20% NA"
    size_complete = f"20×{100_000 // div:,} complete"
    rows: list[Row] = []

    # ------------------------------------------------------------------ alpha vs krippendorff
    for data, size, rep in ((small, size_small, rep_small), (large, size_large, rep_large)):
        for level in ag.LEVELS:
            ours_t, ours_v = best(lambda d=data, lv=level: ag.krippendorff_alpha(
                d, level=lv, categories=CATS), rep)
            mem = peak_mb(lambda d=data, lv=level: ag.krippendorff_alpha(
                d, level=lv, categories=CATS))
            row = Row(f"alpha {level}", size, ours_t, mem)
            if krippendorff is not None:
                ref_t, ref_v = best(lambda d=data, lv=level: krippendorff.alpha(
                    reliability_data=d.T, level_of_measurement=lv, value_domain=CATS), rep)
                row.ref, row.ref_name, row.target = ref_t, "krippendorff", 0.5
                row.diff = abs(ours_v - float(ref_v))
            rows.append(row)

    # ------------------------------------------------------------------ Fleiss vs statsmodels
    ours_t, ours_v = best(lambda: ag.fleiss_kappa(complete, categories=CATS), rep_small)
    mem_fleiss = peak_mb(lambda: ag.fleiss_kappa(complete, categories=CATS))
    row = Row("Fleiss kappa", size_complete, ours_t, mem_fleiss)
    if sm_fleiss is not None:
        ref_t, ref_v = best(lambda: sm_fleiss(aggregate_raters(complete)[0]), rep_small)
        table = aggregate_raters(complete)[0]
        only_t, _ = best(lambda: sm_fleiss(table), rep_small)
        notes.append(f"statsmodels fleiss_kappa alone, on the table aggregate_raters made: "
                     f"{only_t:.4f} s (its aggregate_raters: {ref_t - only_t:.4f} s)")
        row.ref, row.ref_name, row.target, row.diff = ref_t, "statsmodels", 0.5, abs(
            ours_v - ref_v)
    rows.append(row)

    # ------------------------------------------------------------------ irrCAC
    if CAC is not None:
        df_complete = pd.DataFrame(complete)
        df_small = pd.DataFrame(small)

        def cac(df: Any, method: str, weights: str = "identity") -> float:
            res = getattr(CAC(df, weights=weights, categories=CATS, digits=15), method)()
            return float(res["est"]["coefficient_value"])

        for name, method, target in (("gwet_ac1", "gwet", 0.5), ("fleiss_kappa", "fleiss", None)):
            ours_t, ours_v = best(lambda n=name: ag.COEFFICIENTS[n](complete, categories=CATS),
                                  rep_small)
            mem = peak_mb(lambda n=name: ag.COEFFICIENTS[n](complete, categories=CATS))
            ref_t, ref_v = best(lambda m=method: cac(df_complete, m), rep_large)
            rows.append(Row(name, size_complete, ours_t, mem, ref_t, "irrCAC", target,
                            diff=abs(ours_v - ref_v)))
        # missing data: values must agree too (irrCAC's Conger is slow; the smaller set only)
        for name, method, weights in (("gwet_ac1", "gwet", None), ("gwet_ac2", "gwet", "quadratic"),
                                      ("fleiss_kappa", "fleiss", None),
                                      ("conger_kappa", "conger", None),
                                      ("brennan_prediger", "bp", None),
                                      ("krippendorff_alpha", "krippendorff", None)):
            kw: dict[str, Any] = {"categories": CATS}
            if weights:
                kw["weights"] = weights
            ours_t, ours_v = best(lambda n=name, k=kw: ag.COEFFICIENTS[n](small, **k), rep_small)
            mem = peak_mb(lambda n=name, k=kw: ag.COEFFICIENTS[n](small, **k))
            ref_t, ref_v = best(lambda m=method, w=weights or "identity": cac(df_small, m, w), 1)
            label = f"{name} ({weights})" if weights else name
            rows.append(Row(label, size_small, ours_t, mem, ref_t, "irrCAC", None,
                            diff=abs(ours_v - ref_v)))

    # ------------------------------------------------------------------ the rest of ours
    for name in ("percent_agreement", "scott_pi", "conger_kappa", "brennan_prediger"):
        for data, size, rep in ((complete, size_complete, rep_small),
                                (large, size_large, rep_large)):
            t, _ = best(lambda n=name, d=data: ag.COEFFICIENTS[n](d, categories=CATS), rep)
            rows.append(Row(name, size, t, peak_mb(
                lambda n=name, d=data: ag.COEFFICIENTS[n](d, categories=CATS))))
    t, _ = best(lambda: ag.gwet_ac2(large, categories=CATS, weights="quadratic"), rep_large)
    rows.append(Row("gwet_ac2 (quadratic)", size_large, t, peak_mb(
        lambda: ag.gwet_ac2(large, categories=CATS, weights="quadratic"))))
    two = large[:, :2]
    t, _ = best(lambda: ag.cohen_kappa(two, categories=CATS), rep_large)
    rows.append(Row("cohen_kappa", f"2×{two.shape[0]:,} 20% NA", t,
                    peak_mb(lambda: ag.cohen_kappa(two, categories=CATS))))
    for form in ("1,1", "2,1", "3,k"):
        t, _ = best(lambda f=form: ag.icc(complete, form=f), rep_small)
        rows.append(Row(f"icc {form}", size_complete, t,
                        peak_mb(lambda f=form: ag.icc(complete, form=f))))
    for name in ("gwet_ac1", "conger_kappa"):
        t, _ = best(lambda n=name: ag.standard_error(n, large, categories=CATS), rep_large)
        rows.append(Row(f"standard_error {name}", size_large, t,
                        peak_mb(lambda n=name: ag.standard_error(n, large, categories=CATS))))

    # ------------------------------------------------------------------ bootstrap
    boot = {"n_resamples": 1000, "seed": 1, "categories": CATS}
    t, ci = best(lambda: ag.bootstrap_ci("krippendorff_alpha", small, **boot), 3)
    rows.append(Row("bootstrap alpha nominal ×1000", size_small, t,
                    peak_mb(lambda: ag.bootstrap_ci("krippendorff_alpha", small, **boot)),
                    target=2.0, absolute=True))
    notes.append(f"95% bootstrap CI of nominal alpha on {size_small}: [{ci[0]:.4f}, "
                 f"{ci[1]:.4f}] (estimate {ag.krippendorff_alpha(small, categories=CATS):.4f})")
    for name, kw in (("krippendorff_alpha", {"level": "ordinal"}), ("gwet_ac1", {}),
                     ("conger_kappa", {})):
        t, _ = best(lambda n=name, k=kw: ag.bootstrap_ci(n, small, **boot, **k), 1)
        label = f"bootstrap {name}{' ' + kw['level'] if kw else ''} ×1000"
        rows.append(Row(label, size_small, t, peak_mb(
            lambda n=name, k=kw: ag.bootstrap_ci(n, small, **boot, **k))))

    print_table(rows)
    for note in notes:
        print(f"note: {note}")
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"note: peak MB = tracemalloc peak of one call of ours (numpy buffers included); "
          f"process peak RSS (ru_maxrss, all of the above incl. references): {maxrss:.0f} MB")
    failed = [r for r in rows if r.met == "NO" or not r.value_ok]
    if failed:
        print("NOT MET: " + ", ".join(f"{r.name} [{r.size}]" for r in failed))
        return 1
    unchecked = [r for r in rows if r.target and r.met not in ("yes", "NO")]
    if unchecked or any("not installed" in n for n in notes):
        print("some targets were not checked: install the reference packages "
              "(pip install -e '.[bench]')")
        return 0
    print("all targets met; every |difference| ≤ 1e-9")
    return 0


def print_table(rows: list[Row]) -> None:
    header = ["coefficient", "size", "ours (s)", "reference", "ref (s)", "ours/ref", "target",
              "met?", "|Δ value|", "peak MB"]
    body = []
    for r in rows:
        if r.target is None:
            target = ""
        elif r.absolute:
            target = f"< {r.target:g} s"
        else:
            target = f"≤ {r.target:g}×"
        body.append([
            r.name, r.size, f"{r.ours:.4f}", r.ref_name or "–",
            f"{r.ref:.4f}" if r.ref else "–",
            f"{r.ratio:.3f}" if r.ratio is not None else "–", target, r.met,
            f"{r.diff:.1e}" if r.diff is not None else "–", f"{r.mem:.1f}",
        ])
    try:
        from rich.console import Console
        from rich.table import Table
    except ImportError:
        widths = [max(len(h), *(len(b[i]) for b in body)) for i, h in enumerate(header)]
        print("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
        print("  ".join("-" * w for w in widths))
        for b in body:
            print("  ".join(c.ljust(w) for c, w in zip(b, widths, strict=True)))
        return
    table = Table(title="qa_calibrate.agreement benchmark")
    for i, h in enumerate(header):
        table.add_column(h, justify="left" if i in (0, 1, 3) else "right")
    for b in body:
        table.add_row(*b)
    Console(width=160).print(table)


if __name__ == "__main__":
    sys.exit(main())
