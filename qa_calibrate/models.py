"""SQLModel tables: the whole schema of a qa_calibrate store.

Values of answers are stored as numbers: binary criteria 1 = yes / 0 = no, ordinal criteria
1..N, points criteria 0..max_points. N/A is ``na=True`` with ``value=None``.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Optional

from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel


class Table(SQLModel):
    """Base of every table: pydantic builds a model's validators on first validation, not at
    import (table models are not validated on construction, so most never need them)."""

    model_config = {"defer_build": True}  # type: ignore[assignment]  # merged into SQLModel's


def utcnow() -> datetime:
    """Timezone-aware UTC now: every timestamp in the store is UTC."""
    return datetime.now(timezone.utc)


class Meta(Table, table=True):
    """Key/value facts about the store itself (schema version)."""

    __tablename__ = "meta"
    key: str = Field(primary_key=True, max_length=64)
    value: str = Field(max_length=255)


class Module(Table, table=True):
    """A refresher module from the catalogue (rubrics/modules.yaml)."""

    __tablename__ = "module"
    id: str = Field(primary_key=True, max_length=64)
    title: str = Field(max_length=255)
    duration_minutes: Optional[int] = None
    owner: Optional[str] = Field(default=None, max_length=255)
    description: Optional[str] = Field(default=None, sa_column=Column(Text))


class Rubric(Table, table=True):
    """One version of a scorecard. A changed file is a new version; old ones stay."""

    __tablename__ = "rubric"
    __table_args__ = (
        UniqueConstraint("name", "version", name="uq_rubric_name_version"),
        UniqueConstraint("name", "content_hash", name="uq_rubric_name_hash"),
    )
    id: Optional[int] = Field(default=None, primary_key=True)
    name: str = Field(max_length=128, index=True)
    version: int
    title: str = Field(max_length=255)
    channel: Optional[str] = Field(default=None, max_length=16)
    content_hash: str = Field(max_length=64)
    source_path: Optional[str] = Field(default=None, max_length=1024)
    definition: str = Field(sa_column=Column(Text, nullable=False))
    loaded_at: datetime = Field(default_factory=utcnow)


class Criterion(Table, table=True):
    """A question of one rubric version."""

    __tablename__ = "criterion"
    __table_args__ = (UniqueConstraint("rubric_id", "key", name="uq_criterion_rubric_key"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    rubric_id: int = Field(foreign_key="rubric.id", index=True)
    key: str = Field(max_length=128)
    section: str = Field(max_length=255)
    position: int
    question: str = Field(sa_column=Column(Text, nullable=False))
    scale: str = Field(max_length=16)  # binary | ordinal | points
    max_value: float  # 1 for binary, N for ordinal, max points for points
    min_value: float = 0  # 0 for binary and points, 1 for ordinal
    pass_at: float  # a value below this fails the criterion
    weight: float = 1.0
    critical: bool = False
    na_allowed: bool = False
    subjective: bool = False
    refresher_module: Optional[str] = Field(default=None, max_length=64)
    labels: str = Field(default="{}", sa_column=Column(Text, nullable=False))  # JSON
    guidance: str = Field(default="{}", sa_column=Column(Text, nullable=False))  # JSON
    root_causes: str = Field(default="[]", sa_column=Column(Text, nullable=False))  # JSON


class Evaluator(Table, table=True):
    """A person who scores: evaluator, lead or trainer."""

    __tablename__ = "evaluator"
    __table_args__ = (Index("ux_evaluator_db_role", "db_role", unique=True),)
    id: Optional[int] = Field(default=None, primary_key=True)
    name: str = Field(max_length=255, unique=True)
    role: str = Field(default="evaluator", max_length=16)  # evaluator | lead | trainer
    site: Optional[str] = Field(default=None, max_length=128)
    active: bool = True
    # an evaluator of another organisation whose answers came in a results packet: a person
    # the store knows, who cannot act in it (schema version 4)
    external: bool = False
    # the PostgreSQL login role of this person (schema version 5): connected as that role, the
    # acting person is this one, and the database's row policies act for them
    db_role: Optional[str] = Field(default=None, max_length=63)
    created_at: datetime = Field(default_factory=utcnow)


class Interaction(Table, table=True):
    """One customer contact. ``external_id`` is unique within its ``source``."""

    __tablename__ = "interaction"
    __table_args__ = (
        UniqueConstraint("source", "external_id", name="uq_interaction_source_external"),
        Index("ix_interaction_agent", "agent"),
        Index("ix_interaction_team_site", "team", "site"),
        Index("ix_interaction_started", "started_at"),
    )
    id: Optional[int] = Field(default=None, primary_key=True)
    source: str = Field(max_length=128)
    external_id: str = Field(max_length=255)
    channel: str = Field(max_length=16)  # chat | voice | email
    agent: Optional[str] = Field(default=None, max_length=255)
    team: Optional[str] = Field(default=None, max_length=128)
    site: Optional[str] = Field(default=None, max_length=128)
    queue: Optional[str] = Field(default=None, max_length=128)
    started_at: Optional[datetime] = None
    handle_time_seconds: Optional[int] = None
    csat: Optional[float] = None
    language: Optional[str] = Field(default=None, max_length=16)
    redacted: bool = True
    imported_at: datetime = Field(default_factory=utcnow)


class Turn(Table, table=True):
    """One turn of a transcript."""

    __tablename__ = "turn"
    __table_args__ = (Index("ix_turn_interaction_seq", "interaction_id", "seq", unique=True),)
    id: Optional[int] = Field(default=None, primary_key=True)
    interaction_id: int = Field(foreign_key="interaction.id")
    seq: int
    speaker: str = Field(max_length=16)  # agent | customer | system
    offset_seconds: Optional[float] = None
    text: str = Field(sa_column=Column(Text, nullable=False))


class CalibrationSession(Table, table=True):
    """A calibration session: a sample scored blind by several evaluators."""

    __tablename__ = "calibration_session"
    id: Optional[int] = Field(default=None, primary_key=True)
    name: str = Field(max_length=255, unique=True)
    rubric_id: int = Field(foreign_key="rubric.id", index=True)
    lead_id: int = Field(foreign_key="evaluator.id")
    benchmark_id: Optional[int] = Field(default=None, foreign_key="evaluator.id")
    state: str = Field(default="open", max_length=16)  # open | revealed | closed
    sampling: str = Field(default="{}", sa_column=Column(Text, nullable=False))  # JSON
    due_on: Optional[date] = None
    created_at: datetime = Field(default_factory=utcnow)
    revealed_at: Optional[datetime] = None
    closed_at: Optional[datetime] = None


class SessionEvaluator(Table, table=True):
    """An evaluator taking part in a session (the benchmark evaluator is listed too)."""

    __tablename__ = "session_evaluator"
    session_id: int = Field(foreign_key="calibration_session.id", primary_key=True)
    evaluator_id: int = Field(foreign_key="evaluator.id", primary_key=True)


class SessionInteraction(Table, table=True):
    """An interaction in a session's sample, in the order it is scored."""

    __tablename__ = "session_interaction"
    session_id: int = Field(foreign_key="calibration_session.id", primary_key=True)
    interaction_id: int = Field(foreign_key="interaction.id", primary_key=True)
    position: int


class Evaluation(Table, table=True):
    """One evaluator's answers for one interaction against one rubric version.

    ``context`` is 0 for routine scoring and the session id for calibration scoring, so an
    evaluator can score the same interaction once in each context. ``version`` is the
    optimistic-lock counter: every write bumps it.
    """

    __tablename__ = "evaluation"
    __table_args__ = (
        UniqueConstraint(
            "evaluator_id", "interaction_id", "rubric_id", "context", name="uq_evaluation_context"
        ),
        Index("ix_evaluation_evaluator_scored", "evaluator_id", "scored_at"),
        Index("ix_evaluation_interaction", "interaction_id"),
        Index("ix_evaluation_session", "session_id"),
        Index("ix_evaluation_rubric_scored", "rubric_id", "scored_at"),
    )
    id: Optional[int] = Field(default=None, primary_key=True)
    evaluator_id: int = Field(foreign_key="evaluator.id")
    interaction_id: int = Field(foreign_key="interaction.id")
    rubric_id: int = Field(foreign_key="rubric.id")
    session_id: Optional[int] = Field(default=None, foreign_key="calibration_session.id")
    context: int = 0
    status: str = Field(default="draft", max_length=16)  # draft | submitted
    score: Optional[float] = None  # 0..100, None until at least one criterion is answered
    auto_failed: bool = False
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    submitted_at: Optional[datetime] = None
    scored_at: datetime = Field(default_factory=utcnow)
    version: int = 1


class Answer(Table, table=True):
    """The answer to one criterion in one evaluation."""

    __tablename__ = "answer"
    __table_args__ = (
        UniqueConstraint("evaluation_id", "criterion_id", name="uq_answer_criterion"),
        Index("ix_answer_criterion", "criterion_id"),
    )
    id: Optional[int] = Field(default=None, primary_key=True)
    evaluation_id: int = Field(foreign_key="evaluation.id")
    criterion_id: int = Field(foreign_key="criterion.id")
    value: Optional[float] = None
    na: bool = False
    comment: Optional[str] = Field(default=None, sa_column=Column(Text))
    root_cause: Optional[str] = Field(default=None, max_length=128)
    # the transcript turn (``Turn.seq``) the comment is about, so the meeting can show it
    # (schema version 5)
    turn_seq: Optional[int] = None


class Consensus(Table, table=True):
    """The answer a calibration session agreed for one criterion of one interaction."""

    __tablename__ = "consensus"
    __table_args__ = (
        UniqueConstraint(
            "session_id", "interaction_id", "criterion_id", name="uq_consensus_cell"
        ),
    )
    id: Optional[int] = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="calibration_session.id", index=True)
    interaction_id: int = Field(foreign_key="interaction.id")
    criterion_id: int = Field(foreign_key="criterion.id")
    value: Optional[float] = None
    na: bool = False
    note: Optional[str] = Field(default=None, sa_column=Column(Text))
    decided_by: int = Field(foreign_key="evaluator.id")
    decided_at: datetime = Field(default_factory=utcnow)
    version: int = 1


class AuditLog(Table, table=True):
    """Append-only record of every change (triggers refuse UPDATE and DELETE). Tamper-evident
    (schema version 5): ``hash`` is SHA-256 over ``prev_hash`` (the row before's ``hash``) and
    this row's content (``store.audit_hash``); ``check`` verifies the chain."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_entity", "entity", "entity_id"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    actor: str = Field(max_length=255)
    entity: str = Field(max_length=64)
    entity_id: Optional[str] = Field(default=None, max_length=255)
    action: str = Field(max_length=64)
    before: Optional[str] = Field(default=None, sa_column=Column(Text))  # JSON
    after: Optional[str] = Field(default=None, sa_column=Column(Text))  # JSON
    prev_hash: Optional[str] = Field(default=None, max_length=64)
    hash: Optional[str] = Field(default=None, max_length=64)


class Assignment(Table, table=True):
    """A coaching assignment: a refresher module for an agent, a systemic finding for a floor
    or team, a critical review of one contact, or recalibration for an evaluator. Added in
    schema version 2; ``version`` (bumped by every change, the workbook's optimistic lock),
    ``completed_on``, ``notes`` and ``acknowledged`` in version 3."""

    __tablename__ = "assignment"
    __table_args__ = (
        Index("ix_assignment_dedupe", "dedupe_key", "status"),
        Index("ix_assignment_assignee", "assignee"),
    )
    id: Optional[int] = Field(default=None, primary_key=True)
    kind: str = Field(max_length=16)  # refresher | systemic | critical_review | recalibration
    assignee: str = Field(max_length=255)
    role: str = Field(max_length=16)  # agent | evaluator | team | floor
    team: Optional[str] = Field(default=None, max_length=128)
    site: Optional[str] = Field(default=None, max_length=128)
    module_id: str = Field(max_length=64)
    module_title: str = Field(max_length=255)
    reason: str = Field(sa_column=Column(Text, nullable=False))
    evidence: str = Field(default="{}", sa_column=Column(Text, nullable=False))  # JSON
    priority: str = Field(default="medium", max_length=8)  # high | medium | low
    assigned_on: date
    due_on: date
    trainer: Optional[str] = Field(default=None, max_length=255)
    status: str = Field(default="Not started", max_length=16)  # Not started | In progress | Done
    dedupe_key: str = Field(max_length=512)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    version: int = 1
    completed_on: Optional[date] = None
    notes: Optional[str] = Field(default=None, sa_column=Column(Text))
    acknowledged: bool = False  # by the agent


class PacketLog(Table, table=True):
    """A calibration packet this store wrote or read (schema version 4): what binds a results
    file to the session packet it answers, and what makes a replayed file add nothing."""

    __tablename__ = "packet_log"
    __table_args__ = (UniqueConstraint("packet_id", "direction", name="uq_packet_direction"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    packet_id: str = Field(max_length=64, index=True)
    kind: str = Field(max_length=16)  # session | results
    direction: str = Field(max_length=8)  # out | in
    session_id: int = Field(foreign_key="calibration_session.id", index=True)
    answers: Optional[str] = Field(default=None, max_length=64)  # results: the session packet
    organisation: Optional[str] = Field(default=None, max_length=255)  # of the other side
    sha256: str = Field(max_length=64)  # of the file
    actor: str = Field(max_length=255)
    at: datetime = Field(default_factory=utcnow)


class SlaTarget(Table, table=True):
    """The quality targets a contract sets for one site (schema version 4); a target left out
    is None, and not judged."""

    __tablename__ = "sla_target"
    site: str = Field(primary_key=True, max_length=128)
    quality_min: Optional[float] = None  # mean QA score, 0..100
    critical_fail_max: Optional[float] = None  # share of evaluations auto-failed, 0..1
    csat_min: Optional[float] = None  # mean CSAT, on the stored scale
    aht_max_seconds: Optional[float] = None  # median handle time
    updated_at: datetime = Field(default_factory=utcnow)


class DriftFlag(Table, table=True):
    """A drift flag once raised (schema version 5): the episode's dates and evidence at its
    signal, kept until a lead clears it with a note. One row per evaluator × criterion ×
    source × direction × signal date."""

    __tablename__ = "drift_flag"
    __table_args__ = (UniqueConstraint("evaluator_id", "criterion", "source", "direction",
                                       "signal_date", name="uq_drift_flag_signal"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    evaluator_id: int = Field(foreign_key="evaluator.id", index=True)
    criterion: str = Field(max_length=128)
    source: str = Field(max_length=16)  # routine | calibration
    direction: str = Field(max_length=16)  # lenient | harsh
    onset_date: date
    signal_date: date
    size: float
    evidence_count: int
    observed: int
    expected: float
    z: float
    evaluator_fail_rate: float
    reference_fail_rate: float
    examples: str = Field(default="", sa_column=Column(Text, nullable=False))  # one per line
    raised_at: datetime = Field(default_factory=utcnow)
    raised_by: str = Field(max_length=255)
    cleared_at: Optional[datetime] = None
    cleared_by: Optional[str] = Field(default=None, max_length=255)
    clear_note: Optional[str] = Field(default=None, sa_column=Column(Text))
