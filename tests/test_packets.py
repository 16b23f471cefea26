"""A client and its BPO vendor calibrate one session through packets, with no shared store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import FULL_PASS, LEAD, VENDOR, VENDOR_SITE, plant_vendor_offset, seed_basics
from sqlmodel import func, select

from qa_calibrate import models as m
from qa_calibrate import packets, sessions
from qa_calibrate.cli import cli
from qa_calibrate.errors import InputError, NotFound, PermissionDenied
from qa_calibrate.people import add_evaluator
from qa_calibrate.report import session_report
from qa_calibrate.store import Store, open_store

VENDOR_LEAD = "Vera Vendor"


def _vendor_store(path: Path) -> Store:
    store = open_store(f"sqlite:///{path}")
    add_evaluator(store, VENDOR_LEAD, role="lead", site=VENDOR_SITE, actor="setup")  # no lead yet
    for name in VENDOR:
        add_evaluator(store, name, site=VENDOR_SITE, actor=VENDOR_LEAD)
    return store


def _counts(store: Store) -> dict[str, int]:
    with store.session() as s:
        return {t.__name__: s.exec(select(func.count()).select_from(t)).one()
                for t in (m.Interaction, m.Turn, m.CalibrationSession, m.Evaluation, m.Answer,
                          m.Evaluator, m.PacketLog, m.Rubric)}


@pytest.fixture
def two_orgs(store, tmp_path):
    """The client (``store``, each backend) with an open session, the vendor (an SQLite file),
    and the key they exchanged."""
    ids = seed_basics(store)
    sessions.create_session(store, name="Nov chat", rubric="mini", lead=LEAD, actor=LEAD,
                            evaluators=["Ann", "Bob"], interactions=ids[:2])
    key_file = tmp_path / "shared.key"
    packets.keygen(key_file)
    vendor = _vendor_store(tmp_path / "vendor.db")
    yield store, vendor, packets.read_key(key_file), ids
    vendor.close()


def test_a_session_goes_to_the_vendor_and_its_results_come_back(two_orgs, tmp_path):
    client, vendor, key, ids = two_orgs
    out = tmp_path / "nov.packet"
    sent = packets.export_session(client, "Nov chat", out, key=key, actor=LEAD)
    assert sent.interactions == 2
    text = out.read_text(encoding="utf-8")
    assert "Hello" in text and '"score"' not in text  # transcripts, no scores

    got = packets.import_packet(vendor, out, key=key, actor=VENDOR_LEAD, lead=VENDOR_LEAD,
                                evaluators=VENDOR)
    assert (got.added, got.interactions, got.session) == (True, 2, "Nov chat")
    before = _counts(vendor)
    again = packets.import_packet(vendor, out, key=key, actor=VENDOR_LEAD, lead=VENDOR_LEAD,
                                  evaluators=VENDOR)
    assert again.added is False and _counts(vendor) == before  # a second import adds nothing
    with client.session() as s, vendor.session() as v:
        mine = s.exec(select(m.Rubric).where(m.Rubric.name == "mini")).one()
        theirs = v.exec(select(m.Rubric).where(m.Rubric.name == "mini")).one()
        assert mine.content_hash == theirs.content_hash  # the same rubric version

    # the vendor scores blind, as usual; one of them is more lenient on empathy
    for name, empathy in zip(VENDOR, (5, 4), strict=True):
        for ext in ids[:2]:
            sessions.score(vendor, "Nov chat", evaluator=name, interaction=ext,
                           answers={**FULL_PASS, "empathy": empathy},
                           comments={"empathy": "warm"}, turns={"empathy": 1},
                           submit_now=True)
    results = tmp_path / "nov.results"
    packets.export_results(vendor, "Nov chat", results, key=key, actor=VENDOR_LEAD)

    back = packets.import_packet(client, results, key=key, actor=LEAD)
    assert (back.added, back.evaluations, back.people) == (True, 4, 2)
    before = _counts(client)
    assert packets.import_packet(client, results, key=key, actor=LEAD).added is False
    assert _counts(client) == before  # a replayed results file adds nothing

    with client.session() as s:
        vic = s.exec(select(m.Evaluator).where(m.Evaluator.name == "Vic Vendor")).one()
        assert (vic.external, vic.site, vic.role) == (True, VENDOR_SITE, "evaluator")
        tied = s.exec(select(m.Answer.turn_seq, m.Answer.comment)
                      .join(m.Evaluation, m.Evaluation.id == m.Answer.evaluation_id)
                      .where(m.Evaluation.evaluator_id == vic.id,
                             m.Answer.comment.is_not(None))).all()
        assert tied == [(1, "warm"), (1, "warm")]  # the comments' turn came back with them
    # the client's evaluators score, the lead reveals: everyone is in the report
    for name in ("Ann", "Bob"):
        for ext in ids[:2]:
            sessions.score(client, "Nov chat", evaluator=name, interaction=ext,
                           answers=FULL_PASS, submit_now=True)
    sessions.reveal(client, "Nov chat", actor=LEAD)
    report = session_report(client, "Nov chat", viewer=LEAD)
    assert {e.evaluator for e in report.evaluators} >= {"Ann", "Bob", *VENDOR}
    empathy = report.criterion("empathy")  # the vendor's 5 and 4 against the 4s
    assert empathy is not None and empathy.percent_agreement.value < 1
    from qa_calibrate.sites import sites_report

    vendor = sites_report(client, "Nov chat", viewer=LEAD).organisation(VENDOR_SITE)
    offset = vendor.offset if vendor else None
    assert offset is not None and offset.n == 2 and offset.value > 0  # the vendor runs higher

    # an external person cannot act in the client's store
    with pytest.raises(PermissionDenied, match="evaluator of another organisation"):
        sessions.scoring_item(client, "Nov chat", evaluator="vic vendor", position=0)


def test_tampered_forged_or_foreign_packets_are_refused_and_store_nothing(two_orgs, tmp_path):
    client, vendor, key, ids = two_orgs
    out = tmp_path / "nov.packet"
    packets.export_session(client, "Nov chat", out, key=key, actor=LEAD)
    doc = json.loads(out.read_text(encoding="utf-8"))
    before = _counts(vendor)

    def refused(mutated: dict | bytes, match: str, error: type = PermissionDenied) -> None:
        bad = tmp_path / "bad.packet"
        bad.write_bytes(mutated if isinstance(mutated, bytes) else json.dumps(mutated).encode())
        with pytest.raises(error, match=match):
            packets.import_packet(vendor, bad, key=key, actor=VENDOR_LEAD, lead=VENDOR_LEAD,
                                  evaluators=VENDOR)
        assert _counts(vendor) == before

    changed_part = json.loads(json.dumps(doc))
    changed_part["parts"]["interactions"] = changed_part["parts"]["interactions"].replace(
        "Hello", "Hellp", 1)
    refused(changed_part, "part 'interactions' does not match its SHA-256")
    changed_manifest = json.loads(json.dumps(doc))
    changed_manifest["manifest"]["session"] = "Other"
    refused(changed_manifest, "the signature does not match")
    forged = json.loads(json.dumps(doc))  # hashes recomputed, but signed without the key
    forged["parts"]["interactions"] = changed_part["parts"]["interactions"]
    forged["manifest"]["parts"]["interactions"] = packets._sha(
        forged["parts"]["interactions"].encode())
    refused(forged, "the signature does not match")
    refused(out.read_bytes()[:-40], "not a calibration packet", InputError)
    refused(b"\xff\xfe not json", "not UTF-8 JSON", InputError)
    refused({"manifest": {"format": "x"}}, "not a calibration packet", InputError)
    other_key = tmp_path / "other.key"
    packets.keygen(other_key)
    with pytest.raises(PermissionDenied, match="signed with another key"):
        packets.import_packet(vendor, out, key=packets.read_key(other_key), actor=VENDOR_LEAD,
                              lead=VENDOR_LEAD, evaluators=VENDOR)
    assert _counts(vendor) == before


def test_results_for_a_session_this_store_did_not_send_are_refused(two_orgs, tmp_path):
    client, vendor, key, ids = two_orgs
    # a third store sends the vendor a session; the vendor's results go to the wrong client
    third = open_store(f"sqlite:///{tmp_path / 'third.db'}")
    other_ids = seed_basics(third)
    sessions.create_session(third, name="Elsewhere", rubric="mini", lead=LEAD, actor=LEAD,
                            evaluators=["Ann", "Bob"], interactions=other_ids[:1])
    packets.export_session(third, "Elsewhere", tmp_path / "e.packet", key=key, actor=LEAD)
    third.close()
    packets.import_packet(vendor, tmp_path / "e.packet", key=key, actor=VENDOR_LEAD,
                          lead=VENDOR_LEAD, evaluators=VENDOR)
    sessions.score(vendor, "Elsewhere", evaluator=VENDOR[0], interaction=other_ids[0],
                   answers=FULL_PASS, submit_now=True)
    packets.export_results(vendor, "Elsewhere", tmp_path / "e.results", key=key,
                           actor=VENDOR_LEAD)
    before = _counts(client)
    with pytest.raises(PermissionDenied, match="which this store did not export"):
        packets.import_packet(client, tmp_path / "e.results", key=key, actor=LEAD)
    assert _counts(client) == before


def test_only_the_lead_exports_and_no_unredacted_text_leaves(two_orgs, tmp_path):
    client, vendor, key, ids = two_orgs
    with pytest.raises(PermissionDenied, match="Ann is evaluator: cannot send a session"):
        packets.export_session(client, "Nov chat", tmp_path / "p", key=key, actor="Ann")
    with client.session() as s:
        first = s.exec(select(m.Interaction).where(m.Interaction.external_id == ids[0])).one()
        first.redacted = False
    with pytest.raises(PermissionDenied, match="no unredacted text"):
        packets.export_session(client, "Nov chat", tmp_path / "p", key=key, actor=LEAD)
    assert not (tmp_path / "p").exists()
    with pytest.raises(NotFound, match="did not come in a packet"):  # nothing to answer
        packets.export_results(client, "Nov chat", tmp_path / "r", key=key, actor=LEAD)


def test_the_cli_commands_and_their_exit_codes(two_orgs, tmp_path):
    client, vendor, key, ids = two_orgs
    runner = CliRunner()
    key_file = tmp_path / "k"
    made = runner.invoke(cli, ["packet", "keygen", str(key_file)])
    assert made.exit_code == 0 and "key id" in made.stdout
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    assert runner.invoke(cli, ["packet", "keygen", str(key_file)]).exit_code == 2
    out = tmp_path / "cli.packet"
    sent = runner.invoke(cli, ["--db", client.url, "--as", LEAD, "packet", "export", "Nov chat",
                               "-o", str(out), "--key", str(key_file), "--format", "json"])
    assert sent.exit_code == 0, sent.output
    assert json.loads(sent.stdout)[0]["interactions"] == 2
    no_people = runner.invoke(cli, ["--db", vendor.url, "--as", VENDOR_LEAD, "packet", "import",
                                    str(out), "--key", str(key_file)])
    assert no_people.exit_code == 2 and "--lead NAME" in no_people.stderr
    got = runner.invoke(cli, ["--db", vendor.url, "--as", VENDOR_LEAD, "packet", "import",
                              str(out), "--key", str(key_file), "--lead", VENDOR_LEAD,
                              *[x for v in VENDOR for x in ("--evaluator", v)]])
    assert got.exit_code == 0 and "session packet" in got.stdout, got.output
    wrong = runner.invoke(cli, ["--db", vendor.url, "--as", VENDOR_LEAD, "packet", "import",
                                str(out), "--key",
                                str(tmp_path / "shared.key"), "--lead", VENDOR_LEAD,
                                *[x for v in VENDOR for x in ("--evaluator", v)]])
    assert wrong.exit_code == 3 and "signed with another key" in wrong.stderr
    assert "Traceback" not in wrong.output


def test_a_vendor_six_points_lenient_shows_as_an_offset_whose_interval_covers_six(store):
    """Planted: on 20 contacts the vendor's evaluators give one step more on empathy (+8.3
    points) or on accuracy (+4.2 points), alternately: a true offset of +6.25."""
    from qa_calibrate.sites import sites_report

    seed_basics(store, n_interactions=20)
    plant_vendor_offset(store)
    with pytest.raises(PermissionDenied):  # blind while open: a lead's figure
        sites_report(store, "Two sites", viewer="Ann")
    report = sites_report(store, "Two sites", viewer=LEAD)
    assert report.reference == "Leeds"
    vendor_row = report.organisation(VENDOR_SITE)
    assert vendor_row is not None and vendor_row.offset is not None
    offset = vendor_row.offset
    assert offset.value == pytest.approx(6.25, abs=1e-9) and offset.n == 20
    assert offset.ci_low < 6 < offset.ci_high and offset.ci_low > 0
    assert offset.direction == "lenient"
    assert report.agreement["within"] == 1.0 > report.agreement["across"]
    # the majority answers differ on empathy only where a step crosses the pass mark (2 → 3)
    empathy = [r for r in report.criteria if r.criterion == "empathy"]
    assert empathy and empathy[0].direction == "lenient" and empathy[0].harsh == 0
    runner = CliRunner()
    table = runner.invoke(cli, ["--db", store.url, "--as", LEAD, "report", "sites", "Two sites",
                                "--resamples", "200"])
    assert table.exit_code == 0, table.output
    assert "Leeds (reference)" in table.stdout and "lenient" in table.stdout
    assert runner.invoke(cli, ["--db", store.url, "--as", "Ann", "report", "sites",
                               "Two sites"]).exit_code == 3
    sessions.reveal(store, "Two sites", actor=LEAD)
    pooled = runner.invoke(cli, ["--db", store.url, "--as", LEAD, "report", "sites", "--since",
                                 "2020-01-01", "--format", "json"])
    assert pooled.exit_code == 0, pooled.output
    body = json.loads(pooled.stdout)
    assert body["sessions"] == ["Two sites"]
    assert next(o for o in body["organisations"] if not o["reference"])["offset"]["value"] == \
        pytest.approx(6.25)
    assert runner.invoke(cli, ["--db", store.url, "report", "sites"]).exit_code == 2


def test_a_split_organisation_has_no_majority_on_that_contact(store):
    from qa_calibrate.sites import sites_report

    ids = seed_basics(store, n_interactions=2)
    for name in VENDOR:
        add_evaluator(store, name, site=VENDOR_SITE, actor=LEAD)
    sessions.create_session(store, name="Split", rubric="mini", lead=LEAD, actor=LEAD,
                            evaluators=["Ann", "Bob", *VENDOR], interactions=ids)
    for ext in ids:
        for name, greeting in (("Ann", "yes"), ("Bob", "yes"), (VENDOR[0], "yes"),
                               (VENDOR[1], "no")):
            sessions.score(store, "Split", evaluator=name, interaction=ext,
                           answers={**FULL_PASS, "greeting": greeting}, submit_now=True)
    report = sites_report(store, "Split", viewer=LEAD)
    assert not [r for r in report.criteria if r.criterion == "greeting"]
    from qa_calibrate.report import session_report as full_report

    sites = full_report(store, "Split", viewer=LEAD).sites
    assert sites is not None and sites.reference == "Leeds"
