"""Who may do and see what: one policy table, checked inside the core functions.

``POLICY`` maps every action a command or screen offers to a :class:`Rule` (which roles may, and
how the session's state, taking part in it, owning the record or a store setting change that).
``allowed`` answers from the table alone (tests derive their expectations from it); ``_require``
resolves the acting person by ``names.name_key`` and raises ``PermissionDenied`` with one line.

- A name that is not a person in the store may only read the people, rubrics and settings,
  and, while the store has no lead yet, do the setup (import people, rubrics, transcripts,
  historical scores). Once a lead exists only a lead changes people, roles and sites, and nobody
  changes their own role.
- An evaluator never sees another evaluator's answers while a session is open (``sessions``),
  nor their entries in the audit log (``_audit``).
- A trainer sees coaching data but not transcript text, unless the store's setting
  ``trainers_see_transcripts`` is on; a trainer changes only the assignments they own.
- An evaluator of another organisation, added by a results packet, is a person of the store
  (their answers count) who may do nothing in it.
- On PostgreSQL, a login role linked to a person (``evaluator.db_role``) acts as that person
  and no one else: naming another is refused. The database's own row policies (``dbroles``)
  enforce the same rules for anyone who connects without the tool.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import func, text
from sqlmodel import Session, select

from . import models as m
from .errors import InputError, NotAPerson, PermissionDenied
from .names import did_you_mean, name_key
from .store import Store, _audit

SETTINGS = {"trainers_see_transcripts": ("off", ("on", "off")),
            # redaction of names and postal addresses in free text (redact.py), off by default
            "redact_names": ("off", ("on", "off")),
            "redact_addresses": ("off", ("on", "off"))}

LEAD, EVALUATOR, TRAINER = "lead", "evaluator", "trainer"
KNOWN = frozenset({LEAD, EVALUATOR, TRAINER})
NOBODY = None  # the role of a name that is not a person in the store


@dataclass(frozen=True)
class Rule:
    """Who may do one action.

    ``roles``: the roles that may (``anyone`` adds names not in the store). ``open_roles``: the
    roles that may while the session is open, when that is narrower (the blind rule).
    ``setup``: anyone may while the store has no lead. ``participant``: only people taking part
    in the session. ``own``: a non-lead only on records they own. ``setting_roles``: roles that
    may only while a store setting is on."""

    what: str
    roles: frozenset[str]
    anyone: bool = False
    open_roles: frozenset[str] | None = None
    setup: bool = False
    participant: bool = False
    own: bool = False
    setting_roles: Mapping[str, str] = field(default_factory=dict)


def _r(what: str, *roles: str, **kw: object) -> Rule:
    return Rule(what, frozenset(roles), **kw)  # type: ignore[arg-type]


ALL = (LEAD, EVALUATOR, TRAINER)

POLICY: dict[str, Rule] = {
    # people and settings
    "people.list": _r("list people", *ALL, anyone=True),
    "people.change": _r("add people or change roles and sites", LEAD, setup=True),
    "people.link": _r("link a person to a database login role", LEAD, setup=True),
    "db.provision": _r("provision the database roles", LEAD, setup=True),
    "setting.show": _r("show settings", *ALL, anyone=True),
    "setting.change": _r("change settings", LEAD),
    # rubrics and imports
    "rubric.list": _r("list rubrics", *ALL, anyone=True),
    "rubric.load": _r("load rubrics", LEAD, setup=True),
    "import.transcripts": _r("import transcripts", LEAD, setup=True),
    "import.evaluations": _r("import evaluations", LEAD, EVALUATOR, setup=True),
    "import.evaluations.others": _r("import scores in another person's name", LEAD, setup=True),
    # interactions
    "interaction.list": _r("list interactions", *ALL),
    "interaction.show": _r("read transcripts", LEAD, EVALUATOR,
                           setting_roles={TRAINER: "trainers_see_transcripts"}),
    # sessions
    "session.create": _r("create a calibration session", LEAD),
    "session.list": _r("list sessions", *ALL),
    "session.show": _r("show a session", *ALL),
    "session.answers": _r("list session answers", *ALL),
    "session.reveal": _r("reveal a session", LEAD),
    "session.consensus": _r("record consensus", LEAD),
    "session.close": _r("close a session", LEAD),
    "score": _r("score in this session", LEAD, EVALUATOR, participant=True),
    # reports
    "report.session": _r("see the session's report", *ALL, open_roles=frozenset({LEAD})),
    "meeting": _r("open the calibration meeting", LEAD, EVALUATOR,
                  open_roles=frozenset({LEAD})),
    "report.evaluators": _r("see the evaluators report", LEAD, TRAINER),
    "report.trend": _r("see agreement and calibration trends", LEAD, TRAINER),
    "audit.list": _r("read the audit log", *ALL),
    "drift": _r("see drift flags", LEAD, TRAINER),
    "drift.clear": _r("clear a drift flag", LEAD),
    # coaching
    "coaching.plan": _r("make the coaching plan", LEAD, TRAINER),
    "coaching.list": _r("list coaching assignments", LEAD, TRAINER),
    "coaching.export": _r("export the coaching workbook", LEAD, TRAINER),
    "coaching.status": _r("change assignment statuses", LEAD, TRAINER, own=True),
    # the store
    "backup": _r("back up the store", LEAD),
    "check": _r("check the store", LEAD),
    "store.encrypt": _r("write an encrypted copy of the store", LEAD),
    "store.decrypt": _r("write a plain copy of the store", LEAD),
    # calibration with another organisation, and its SLAs
    "packet.export": _r("send a session to another organisation", LEAD),
    "packet.import": _r("read another organisation's packet", LEAD),
    "packet.results": _r("send a session's results back", LEAD),
    "sla.set": _r("set SLA targets", LEAD),
    "sla.list": _r("list SLA targets", *ALL),
    "report.sla": _r("see the SLA report", LEAD, TRAINER),
    "serve": _r("serve the TUI to browsers and invite participants", LEAD),
}


def allowed(
    action: str,
    role: str | None,
    *,
    has_lead: bool = True,
    state: str | None = None,
    participant: bool = True,
    owns: bool = True,
    settings: Mapping[str, str] | None = None,
) -> bool:
    """Whether a person of ``role`` (None: not in the store) may do ``action``, from the table."""
    rule = POLICY[action]
    if rule.setup and not has_lead:
        return True
    if role is None:
        return rule.anyone
    roles = rule.open_roles if state == "open" and rule.open_roles is not None else rule.roles
    if role not in roles:
        key = rule.setting_roles.get(role)
        if key is None or (settings or {}).get(key, SETTINGS[key][0]) != "on":
            return False
    if rule.participant and not participant:
        return False
    return not (rule.own and role != LEAD and not owns)


class _Unset:
    """No record given: ``_require`` checks the role only (before it looks at any record)."""


_UNSET = _Unset()


@dataclass(frozen=True)
class Actor:
    """The acting person: the stored name and role, or the name as given and no role.
    ``external``: an evaluator of another organisation (from a results packet), who is a person
    of the store but may do nothing in it."""

    name: str
    role: str | None
    id: int | None
    external: bool = False

    @property
    def is_lead(self) -> bool:
        return self.role == LEAD

    def is_named(self, other: str | None) -> bool:
        return other is not None and name_key(other) == name_key(self.name)


def external_refusal(name: str, what: str) -> PermissionDenied:
    """The refusal for an evaluator of another organisation, who may do nothing in this store."""
    return PermissionDenied(f"{name} is an evaluator of another organisation (their answers "
                            f"came in a results packet): cannot {what} in this store")


def _connected_person(session: Session) -> tuple[str, m.Evaluator | None] | None:
    """On PostgreSQL: the login role connected (``current_user``) and the person linked to it,
    if any; None on SQLite, where the database does not know who is connected."""
    if session.get_bind().dialect.name != "postgresql":
        return None
    person = session.exec(select(m.Evaluator).where(
        m.Evaluator.db_role == func.current_user())).first()
    if person is not None:
        return str(person.db_role), person
    return str(session.execute(text("SELECT current_user")).scalar()), None


def connected_name(store: Store) -> str | None:
    """The name of the person linked to the connected login role (PostgreSQL), or None."""
    with store.read() as session:
        found = _connected_person(session)
    return found[1].name if found is not None and found[1] is not None else None


def _resolve(session: Session, name: str | None) -> Actor:
    """The person called ``name`` (matched by ``names.name_key``); unknown names get no role.
    Connected to PostgreSQL as a login role linked to a person, that person, and naming anyone
    else is refused."""
    given = " ".join(str(name or "").split())
    login, person = _connected_person(session) or ("", None)
    if person is not None:
        if given and name_key(given) != name_key(person.name):
            raise PermissionDenied(f"connected to the database as login role {login!r}, which "
                                   f"is {person.name}: cannot act as {given!r}")
        return Actor(person.name, person.role, person.id, bool(person.external))
    if given:
        key = name_key(given)
        for person in session.exec(select(m.Evaluator)).all():
            if name_key(person.name) == key:
                return Actor(person.name, person.role, person.id, bool(person.external))
    return Actor(given or "(nobody)", NOBODY, None)


def whoami(store: Store, name: str | None) -> Actor:
    """``_resolve`` in a read transaction of its own."""
    with store.read() as session:
        return _resolve(session, name)


def _has_lead(session: Session) -> bool:
    return session.exec(select(m.Evaluator.id).where(m.Evaluator.role == LEAD)).first() is not None


def _settings(session: Session) -> dict[str, str]:
    return {key: _get_setting(session, key) for key in SETTINGS}


def _require(
    session: Session,
    name: str | None,
    action: str,
    *,
    cal: m.CalibrationSession | None = None,
    owner: str | None | _Unset = _UNSET,
) -> Actor:
    """The acting person, if the policy lets them do ``action`` (on session ``cal``, or on a
    record owned by ``owner``); else PermissionDenied with one line saying why."""
    rule = POLICY[action]
    who = _resolve(session, name)
    if who.external:
        raise external_refusal(who.name, rule.what)
    in_session = True
    if rule.participant and cal is not None:
        in_session = who.id is not None and session.get(
            m.SessionEvaluator, (cal.id, who.id)) is not None
    ok = allowed(action, who.role, has_lead=not rule.setup or _has_lead(session),
                 state=cal.state if cal is not None else None, participant=in_session,
                 owns=owner is _UNSET or who.is_named(owner),  # type: ignore[arg-type]
                 settings=_settings(session) if rule.setting_roles
                 else None)
    if ok:
        return who
    state = cal.state if cal is not None else None
    role_ok = who.role is not None and allowed(
        action, who.role, state=state, settings=_settings(session) if rule.setting_roles else None)
    if who.role is None:
        people = session.exec(select(m.Evaluator.name)).all()
        raise NotAPerson(who.name, did_you_mean(who.name, people), rule.what)
    if not role_ok and cal is not None and state == "open" and rule.open_roles is not None \
            and who.role in rule.roles:
        reason = f"session {cal.name!r} is open (blind): {who.name} is {who.role}, not a lead"
    elif not role_ok and who.role in rule.setting_roles:
        key = rule.setting_roles[who.role]
        reason = f"{who.name} is a {who.role}: a lead can allow it (setting {key} on)"
    elif not role_ok:
        reason = f"{who.name} is {who.role}"
    elif rule.participant and not in_session and cal is not None:
        reason = f"{who.name} is not taking part in session {cal.name!r}"
    else:
        reason = f"{who.name} does not own this assignment (trainer {owner or 'none'})"  # type: ignore[str-bytes-safe]
    raise PermissionDenied(f"{reason}: cannot {rule.what}")


def check(store: Store, name: str | None, action: str) -> Actor:
    """``_require`` in a read transaction of its own: for refusing before any work is done."""
    with store.read() as session:
        return _require(session, name, action)


def _get_setting(session: Session, key: str) -> str:
    if key not in SETTINGS:
        raise InputError(f"unknown setting {key!r}; known: {', '.join(SETTINGS)}")
    default, _choices = SETTINGS[key]
    row = session.get(m.Meta, f"setting.{key}")
    return row.value if row else default


def show_setting(store: Store, key: str, *, actor: str) -> str:
    with store.read() as session:
        _require(session, actor, "setting.show")
        return _get_setting(session, key)


def set_setting(store: Store, key: str, value: str, *, actor: str) -> None:
    """Change a store setting: lead only."""
    if key not in SETTINGS:
        raise InputError(f"unknown setting {key!r}; known: {', '.join(SETTINGS)}")
    _default, choices = SETTINGS[key]
    if value not in choices:
        raise InputError(f"setting {key!r}: {value!r} is not one of {', '.join(choices)}")
    with store.session() as session:
        who = _require(session, actor, "setting.change")
        before = _get_setting(session, key)
        row = session.get(m.Meta, f"setting.{key}") or m.Meta(key=f"setting.{key}", value=value)
        row.value = value
        session.add(row)
        _audit(session, actor=who.name, entity="setting", entity_id=key, action="set",
              before={"value": before}, after={"value": value})


def _check_transcript_access(session: Session, viewer: str | None) -> Actor:
    """Transcript text is for leads and evaluators, and trainers when the store allows it."""
    return _require(session, viewer, "interaction.show")
