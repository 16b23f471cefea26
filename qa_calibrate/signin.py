"""Signing browser participants in (``qa-calibrate serve``): one-time links, one per person.

A lead invites people of the store by name; each invitation is a random token shown once (in
the link) and kept only as its SHA-256 hash, in the memory of the server that made it. Opening
the link redeems the token: it is gone at once (a second use, or a use after it expires, signs
nobody in) and the browser gets a session of its own, again a random value kept hashed, that
says who it is for as long as the session lasts. The person is looked up in the store again at
sign-in, so a role changed meanwhile is the role they get; every rule after that is the access
policy's, exactly as in a terminal. Invitations and sign-ins are written to the audit log.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from .access import _require, _resolve, external_refusal
from .people import _find_evaluator
from .store import Store, _audit

LINK_MINUTES = 120  # an unopened link expires after this
SESSION_HOURS = 12  # a signed-in browser stays signed in this long (a long meeting day)


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class Invitation:
    """One person's link token (shown once: only its hash is kept) and when it expires."""

    name: str
    role: str
    token: str
    expires_at: datetime


@dataclass(frozen=True)
class SignedIn:
    """A redeemed invitation: who, and the browser session value that now stands for them."""

    name: str
    role: str
    session: str


class SignIns:
    """The invitations and browser sessions of one server (in memory, hashed)."""

    def __init__(self, store: Store, *, link_minutes: int = LINK_MINUTES,
                 session_hours: int = SESSION_HOURS) -> None:
        self.store = store
        self.link_ttl = timedelta(minutes=link_minutes)
        self.session_ttl = timedelta(hours=session_hours)
        self._links: dict[str, tuple[str, datetime]] = {}
        self._sessions: dict[str, tuple[str, datetime]] = {}

    def invite(self, name: str, *, actor: str) -> Invitation:
        """A one-time link token for the person called ``name``; only a lead may invite."""
        with self.store.session() as session:
            lead = _require(session, actor, "serve")
            found = _find_evaluator(session, name)  # UnknownPerson, with the closest name
            person = _resolve(session, found.name)
            if person.role is None or person.id is None or person.external:
                raise external_refusal(person.name, "sign in")
            token = secrets.token_urlsafe(32)
            expires = _now() + self.link_ttl
            self._links[_hash(token)] = (person.name, expires)
            _audit(session, actor=lead.name, entity="sign_in", entity_id=person.id,
                  action="invite", after={"person": person.name, "expires_at": expires})
        return Invitation(person.name, person.role, token, expires)

    def redeem(self, token: str | None, *, remote: str | None = None) -> SignedIn | None:
        """Sign in with a link token: the person's browser session, or None when the token is
        unknown, used already or expired. A token works once, whatever happens next."""
        if not token:
            return None
        entry = self._links.pop(_hash(token), None)
        if entry is None:
            return None
        name, expires = entry
        if _now() >= expires:
            return None
        with self.store.session() as session:
            person = _resolve(session, name)
            if person.role is None or person.id is None or person.external:
                return None  # removed from the store (or made external) since the invitation
            _audit(session, actor=person.name, entity="sign_in", entity_id=person.id,
                  action="redeem", after={"remote": remote})
        value = secrets.token_urlsafe(32)
        self._sessions[_hash(value)] = (person.name, _now() + self.session_ttl)
        return SignedIn(person.name, person.role, value)

    def person(self, session_value: str | None) -> str | None:
        """Who a browser session stands for (None: no such session, or it has expired)."""
        if not session_value:
            return None
        key = _hash(session_value)
        entry = self._sessions.get(key)
        if entry is None:
            return None
        name, expires = entry
        if _now() >= expires:
            del self._sessions[key]
            return None
        return name

    def pending(self) -> int:
        """Invitations not redeemed yet (expired ones dropped)."""
        now = _now()
        for key in [k for k, (_n, exp) in self._links.items() if exp <= now]:
            del self._links[key]
        return len(self._links)
