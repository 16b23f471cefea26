"""A change feed: tells a screen that the store changed, so it can reload what it shows.

On PostgreSQL every change NOTIFYs in the transaction that makes it (``store.audit``, which every
change goes through, calls :func:`notify`), and the feed LISTENs on a connection of its own: the
notification arrives when that transaction commits, and never for one that rolls back. On SQLite
the feed polls ``PRAGMA data_version`` on a connection of its own, which changes whenever another
connection (in this process or another) commits. Either way the feed says only *that* something
changed; the reader reloads through the usual core functions, under the usual rules.
"""

from __future__ import annotations

import select
import time
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from .store import Store

CHANNEL = "qa_calibrate"
FEED_NAME = "qa_calibrate feed"  # the feed connection's application_name (with the schema)
POLL_SECONDS = 0.5  # SQLite: how often the change stamp is read (a few microseconds each)


def _channel(schema: str) -> str:
    """One channel per schema: stores in other schemas of the same database do not wake us."""
    return f"{CHANNEL}.{schema}"


def _notify(session: Session, entity: str) -> None:
    """Inside a change's transaction on PostgreSQL: wake every feed on this store at commit."""
    session.execute(text("SELECT pg_notify(:prefix || '.' || current_schema(), :payload)"),
                    {"prefix": CHANNEL, "payload": entity})


class ChangeFeed:
    """One store's change feed; :meth:`wait` blocks until a change or the timeout."""

    def __init__(self, store: Store) -> None:
        self.dialect = store.dialect
        raw = store.engine.raw_connection()
        conn: Any = raw.driver_connection
        raw.detach()  # a connection of the feed's own, never handed back to the pool
        self._conn = conn
        self._pending = False
        if self.dialect == "postgresql":
            conn.rollback()
            conn.autocommit = True
            schema = conn.execute("SELECT current_schema()").fetchone()[0]
            # named in pg_stat_activity, so a DBA sees which connections are feeds
            conn.execute("SELECT set_config('application_name', %s, false)",
                         (f"{FEED_NAME} {schema}"[:63],))
            conn.add_notify_handler(self._on_notify)
            quoted = '"' + _channel(schema).replace('"', '""') + '"'
            conn.execute(f"LISTEN {quoted}")
        else:
            self._stamp = self._data_version()

    def _on_notify(self, _notification: Any) -> None:
        self._pending = True

    def _data_version(self) -> int:
        cur = self._conn.execute("PRAGMA data_version")
        try:
            return int(cur.fetchone()[0])
        finally:
            cur.close()

    def changed(self) -> bool:
        """Whether the store changed since the last call (does not wait)."""
        return self.wait(0)

    def wait(self, timeout: float) -> bool:
        """Block up to ``timeout`` seconds; True as soon as the store has changed since the
        last call that returned True (changes in between are folded into one)."""
        deadline = time.monotonic() + timeout
        if self.dialect == "postgresql":
            while not self._pending:
                left = deadline - time.monotonic()
                readable, _, _ = select.select([self._conn.fileno()], [], [], max(left, 0))
                if readable:
                    self._conn.execute("SELECT 1")  # reads the socket: handlers run
                if left <= 0:
                    break
            changed, self._pending = self._pending, False
            return changed
        while True:
            stamp = self._data_version()
            if stamp != self._stamp:
                self._stamp = stamp
                return True
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            time.sleep(min(POLL_SECONDS, left))

    def close(self) -> None:
        try:
            self._conn.close()
        except Exception:  # closing a connection the server already dropped
            pass


def watch(store: Store) -> ChangeFeed:
    """A change feed on ``store`` (its own connection; close it when done)."""
    return ChangeFeed(store)
