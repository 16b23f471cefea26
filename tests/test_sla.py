"""Quality SLAs per site: targets judged with their intervals, and calibrated attainment."""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest
from click.testing import CliRunner
from helpers import LEAD, VENDOR, VENDOR_SITE, plant_vendor_offset, seed_basics, write_history_csv

from qa_calibrate import models as m
from qa_calibrate import sessions, sla
from qa_calibrate.cli import cli
from qa_calibrate.errors import InputError, PermissionDenied
from qa_calibrate.evaluations import import_evaluations


def test_spearman_and_wilson_against_known_values() -> None:
    rho = sla.spearman(np.array([1, 2, 3, 4, 5.0]), np.array([2, 1, 4, 3, 5.0]))
    assert rho["value"] == pytest.approx(0.8) and rho["n"] == 5
    assert rho["ci_low"] < 0.8 < rho["ci_high"]
    # ties take their mean rank: ranks of y are 1.5, 1.5, 3, 4 → rho = 0.9486832980505138
    tied = sla.spearman(np.array([1, 2, 3, 4.0]), np.array([1, 1, 2, 3.0]))
    assert tied["value"] == pytest.approx(0.9486832980505138)
    assert math.isnan(sla.spearman(np.array([1, 2, 3.0]), np.array([3, 2, 1.0]))["value"])
    # Wilson 95% for 0 of 10 and 5 of 10 (Newcombe 1998, table I: 0–0.2775, 0.2366–0.7634)
    assert sla._wilson(0, 10)[2] == pytest.approx(0.2775, abs=1e-4)
    assert sla._wilson(5, 10)[1:] == pytest.approx((0.2366, 0.7634), abs=1e-4)


def _vendor_routine(store, tmp_path, n: int = 30) -> None:
    """``n`` September contacts at the vendor's site, each scored 87.5 by a vendor evaluator."""
    from qa_calibrate.people import add_evaluator

    add_evaluator(store, VENDOR[0], site=VENDOR_SITE, actor=LEAD)
    start = datetime(2026, 9, 1, 9, tzinfo=timezone.utc)
    with store.session() as s:
        for k in range(n):
            i = m.Interaction(source="crm", external_id=f"V-{k:03d}", channel="chat",
                              agent=f"Agent V{k % 4}", team="Billing", site=VENDOR_SITE,
                              started_at=start + timedelta(hours=k), csat=float(1 + k % 5),
                              handle_time_seconds=300 + 10 * k)
            s.add(i)
            s.flush()
            s.add(m.Turn(interaction_id=i.id, seq=0, speaker="customer", text="Hi"))
    rows = []
    for k in range(n):
        when = (start + timedelta(hours=k, minutes=30)).isoformat()
        for key, value in (("greeting", "yes"), ("verify_identity", "yes"), ("empathy", 4),
                           ("accuracy", 3), ("hold_etiquette", "n/a")):
            rows.append((f"V-{k:03d}", VENDOR[0], key, value, when))
    write_history_csv(tmp_path / "routine.csv", rows)
    import_evaluations(store, [tmp_path / "routine.csv"], actor=LEAD)


def test_calibrated_attainment_flips_a_target_the_raw_figure_meets(store, tmp_path) -> None:
    seed_basics(store, n_interactions=20)
    plant_vendor_offset(store)
    sessions.reveal(store, "Two sites", actor=LEAD)
    _vendor_routine(store, tmp_path)
    with pytest.raises(PermissionDenied, match="cannot set SLA targets"):
        sla.set_target(store, VENDOR_SITE, actor="Ann", quality_min=85)
    with pytest.raises(InputError, match="a share"):
        sla.set_target(store, VENDOR_SITE, actor=LEAD, critical_fail_max=2)
    sla.set_target(store, VENDOR_SITE, actor=LEAD, quality_min=85, critical_fail_max=0.2,
                   aht_max_seconds=1000)
    sla.set_target(store, VENDOR_SITE, actor=LEAD, csat_min=4.5)  # keeps the others
    row = next(r for r in sla.sla_report(store, actor=LEAD) if r["site"] == VENDOR_SITE
               and r["period"] == "2026-09")
    assert row["evaluations"] == 30
    assert row["quality"]["value"] == pytest.approx(87.5) and row["quality"]["status"] == "met"
    cal = row["calibrated_quality"]
    assert cal["offset"] == pytest.approx(6.25)
    assert cal["value"] == pytest.approx(81.25) and cal["ci_high"] < 85
    assert cal["status"] == "missed"  # met on leniency, missed once calibrated
    assert row["critical_fail_rate"]["value"] == 0 and row["critical_fail_rate"]["status"] == \
        "met"
    assert row["csat"]["value"] == pytest.approx(3.0) and row["csat"]["status"] == "missed"
    assert row["median_handle_time"]["value"] == pytest.approx(445.0)
    assert row["median_handle_time"]["status"] == "met"
    # every score is the same 87.5: the rank correlation with CSAT is undefined, not invented
    assert math.isnan(row["qa_csat_correlation"]["value"])

    out = CliRunner().invoke(cli, ["--db", store.url, "--as", LEAD, "report", "sla", "--site",
                                   VENDOR_SITE, "--format", "csv"])
    assert out.exit_code == 0, out.output
    assert "2026-09" in out.stdout and "met" in out.stdout and "missed" in out.stdout


def test_a_target_within_the_interval_is_too_close_to_tell_and_few_are_too_few(store, tmp_path):
    seed_basics(store)
    _vendor_routine(store, tmp_path, n=12)
    sla.set_target(store, VENDOR_SITE, actor=LEAD, quality_min=80)
    row = next(r for r in sla.sla_report(store, actor=LEAD) if r["site"] == VENDOR_SITE)
    assert row["quality"]["status"] == "met" and "calibrated_quality" not in row  # no offset
    few = sla.sla_report(store, actor=LEAD, settings=sla.SlaSettings(min_evaluations=50))
    assert next(r for r in few if r["site"] == VENDOR_SITE)["quality"]["status"] == "too few"
    assert sla._judge(80, 90, 85, at_least=True, enough=True) == "too close to tell"
    assert sla._judge(86, 90, 85, at_least=True, enough=True) == "met"
    assert sla._judge(70, 84, 85, at_least=True, enough=True) == "missed"
    assert sla._judge(0.01, 0.03, 0.02, at_least=False, enough=True) == "too close to tell"
    assert sla._judge(0.03, 0.05, 0.02, at_least=False, enough=True) == "missed"
    assert sla._judge(80, 90, None, at_least=True, enough=True) is None


def test_the_sla_workbook_holds_every_figure_and_escapes_formulas(store, tmp_path) -> None:
    from openpyxl import load_workbook

    from qa_calibrate.export_xlsx import sla_columns, write_sla_workbook

    seed_basics(store, n_interactions=20)
    plant_vendor_offset(store)
    sessions.reveal(store, "Two sites", actor=LEAD)
    _vendor_routine(store, tmp_path)
    sla.set_target(store, VENDOR_SITE, actor=LEAD, quality_min=85)
    rows = sla.sla_report(store, actor=LEAD)
    rows.append({**rows[0], "site": "=HYPERLINK(\"http://x\")"})  # a hostile site name
    out = tmp_path / "sla.xlsx"
    assert write_sla_workbook(out, rows) == len(rows)
    ws = load_workbook(out)["SLA"]
    header = [c.value for c in ws[1]]
    assert header == sla_columns() and "SLA" in ws.tables
    got = {(r[0], r[1]): dict(zip(header, r, strict=True))
           for r in ws.iter_rows(min_row=2, values_only=True)}
    vendor = got[(VENDOR_SITE, "2026-09")]
    assert vendor["Quality"] == pytest.approx(87.5) and vendor["Quality status"] == "met"
    assert vendor["Calibrated quality status"] == "missed"
    assert vendor["Offset taken off"] == pytest.approx(6.25)
    assert vendor["Quality target"] == 85
    assert ("'=HYPERLINK(\"http://x\")", rows[0]["period"]) in got  # text, never a formula
    out2 = CliRunner().invoke(cli, ["--db", store.url, "--as", LEAD, "report", "sla", "--xlsx",
                                    str(tmp_path / "cli.xlsx"), "--format", "json"])
    assert out2.exit_code == 0 and (tmp_path / "cli.xlsx").exists()
