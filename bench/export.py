"""Time and peak memory of the trainers' workbook for 100,000 assignments, against openpyxl
write-only mode writing the same rows bare (no styles, validation or chart), in the same run.

``python bench/export.py [--rows N]``. Each side runs in its own subprocess so peak RSS is its
own. Target: ours ≤ 1.2× the bare write-only time and < 150 MB peak.

Ours writes four sheets (Assignments, By trainer, Evidence with a row per assignment and
criterion, Failure rates with a chart) plus the styles, validation and formatting; openpyxl
builds the package and the small sheets, and the data rows of Assignments and Evidence are
serialised by ``qa_calibrate.xlsx_stream`` instead of openpyxl's per-cell writer (which is what
the bare side uses)."""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any


def make_rows(n: int) -> Iterator[dict]:
    teams = ["Billing", "Tech Support", "Retention"]
    modules = [("MOD-VERIFY", "Identity verification refresher"), ("MOD-EMP", "Empathy"),
               ("MOD-RES", "First contact resolution"), ("MOD-DPA", "Data protection")]
    start = date(2026, 10, 1)
    for i in range(n):
        mid, title = modules[i % 4]
        yield {
            "id": i + 1, "kind": "refresher", "assignee": f"Agent {i % 997:03d}", "role": "agent",
            "team": teams[i % 3], "site": "Manila (Vendor: Northstar BPO)" if i % 2 else "Leeds",
            "module_id": mid, "module_title": title,
            "reason": f"Fails {mid.lower()}: failed {i % 9 + 3}/20 (35%) vs team 12%",
            "evidence": {"criteria": [{"rubric": "chat_support", "criterion": "empathy",
                                       "answers": 20, "fails": 7, "rate": 0.35,
                                       "team_rate": 0.12}],
                         "examples": [f"crm:C-{i:06d}"]},
            "priority": "high" if i % 5 == 0 else "medium",
            "assigned_on": start, "due_on": start + timedelta(days=14 if i % 5 else 7),
            "trainer": ["Priya Natarajan", "Tom Becker"][i % 2],
            "status": ["Not started", "In progress", "Done"][i % 3],
            "completed_on": start + timedelta(days=9) if i % 3 == 2 else None,
            "acknowledged": i % 2 == 0, "notes": "called, agreed a date" if i % 7 == 0 else None,
            "version": 1 + i % 3,
        }


def make_views(n: int) -> Iterator[Any]:
    """The same rows as the typed views ``coaching.iter_assignments`` gives the export."""
    from qa_calibrate.coaching import AssignmentView, Evidence

    for r in make_rows(n):
        yield AssignmentView(**{**r, "evidence": Evidence.of(r["evidence"])})


def run_ours(n: int, out: Path) -> None:
    from qa_calibrate.export_xlsx import write_workbook

    rows = make_views(n)
    rates = [{"rubric": "chat_support", "criterion": f"c{k}", "answers": 1000, "fails": k * 10,
              "fail_rate": k / 100} for k in range(15)]
    t0 = time.perf_counter()
    write_workbook(out, rows, failure_rates=rates, today=date(2026, 11, 1))
    took = time.perf_counter() - t0
    print(json.dumps({"seconds": took, "maxrss_mb": _rss()}))


def run_bare(n: int, out: Path) -> None:
    from openpyxl import Workbook

    from qa_calibrate.export_xlsx import ASSIGNMENT_COLUMNS

    rows = make_rows(n)
    t0 = time.perf_counter()
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Assignments")
    ws.append([h for h, _k, _w in ASSIGNMENT_COLUMNS])
    for r in rows:
        ws.append([r[k] for _h, k, _w in ASSIGNMENT_COLUMNS])
    wb.save(out)
    took = time.perf_counter() - t0
    print(json.dumps({"seconds": took, "maxrss_mb": _rss()}))


def _rss() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _child(kind: str, n: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / f"{kind}.xlsx"
        res = subprocess.run([sys.executable, __file__, "--child", kind, "--rows", str(n),
                              "--out", str(out)], capture_output=True, text=True, check=True)
        data = json.loads(res.stdout.strip().splitlines()[-1])
        data["size_mb"] = out.stat().st_size / 1e6
        return data


def _baseline_rss() -> float:
    code = ("import resource, openpyxl, qa_calibrate.export_xlsx, sys; "
            "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss/1024)")
    return float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                check=True).stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--child", choices=["ours", "bare"])
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    if args.child == "ours":
        run_ours(args.rows, args.out)
        return
    if args.child == "bare":
        run_bare(args.rows, args.out)
        return
    base = _baseline_rss()
    bare = _child("bare", args.rows)
    ours = _child("ours", args.rows)
    ratio = ours["seconds"] / bare["seconds"]
    from qa_calibrate.export_xlsx import ASSIGNMENT_COLUMNS

    print(f"{args.rows:,} assignments × {len(ASSIGNMENT_COLUMNS)} columns, rows generated one "
          f"at a time on both sides (interpreter+imports {base:.0f} MB)")
    print(f"{'writer':<36}{'seconds':>9}{'peak MB':>9}{'file MB':>9}")
    print(f"{'openpyxl write-only, bare rows':<36}{bare['seconds']:>9.2f}"
          f"{bare['maxrss_mb']:>9.0f}{bare['size_mb']:>9.1f}")
    print(f"{'qa-calibrate workbook (5 sheets)':<36}{ours['seconds']:>9.2f}"
          f"{ours['maxrss_mb']:>9.0f}{ours['size_mb']:>9.1f}")
    print(f"time ratio ours/bare: {ratio:.2f} (target ≤ 1.20: "
          f"{'met' if ratio <= 1.2 else 'MISSED'}); peak {ours['maxrss_mb']:.0f} MB "
          f"(target < 150: {'met' if ours['maxrss_mb'] < 150 else 'MISSED'})")


if __name__ == "__main__":
    main()
