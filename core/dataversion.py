"""One number that every committed write bumps, and a cache of computed figures keyed by it.

Every transaction of the session that wrote anything (an ORM flush, a bulk insert, an UPDATE or DELETE)
adds one to `core_data_version` right before it commits, in the same transaction. A figure cached under
version v is therefore never served after a later commit: every worker on every host reads the one
row (one primary-key SELECT, once per request) and finds v + 1. A transaction that wrote but has not
committed computes without the cache (its own uncommitted rows must neither be served to others nor
hide from itself); a rollback bumps nothing.

Row locking on PostgreSQL: the bump is the transaction's last statement, so two writers serialise only
for the instant between it and their commit, and never deadlock on it (neither waits on anything else
while holding the row).
"""
from __future__ import annotations

import re
import threading
import uuid
from typing import Any, Callable, Hashable

from flask import g, has_app_context
from sqlalchemy import BigInteger, String, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.pool import Pool
from sqlalchemy.orm import Mapped, Session, mapped_column

from core.db import db

TABLE = "core_data_version"
_DML = re.compile(r"^\s*(INSERT|UPDATE|DELETE)\b", re.IGNORECASE)
_CACHE_LIMIT = 20_000
_G_KEY = "_data_version"


class DataVersion(db.Model):
    """The single row (id 1) holding the data version."""

    __tablename__ = TABLE

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, default=0)
    # a random name of this database's history: another database (or a restored backup, which
    # gets a new token) never shares cache keys with this one even at the same version number
    token: Mapped[str] = mapped_column(String(32))


# --------------------------------------------------------------------------- tracking writes

@event.listens_for(Engine, "after_cursor_execute")
def _note_write(conn, _cursor, statement, _params, _context, _executemany) -> None:
    if _DML.match(statement) and TABLE not in statement[:60]:
        conn.info["yz_wrote"] = True


@event.listens_for(Engine, "rollback")
def _forget_write(conn) -> None:
    conn.info.pop("yz_wrote", None)


@event.listens_for(Engine, "commit")
def _committed(conn) -> None:
    conn.info.pop("yz_wrote", None)


@event.listens_for(Pool, "reset")
def _forget_on_return(_dbapi_connection, record, _reset_state) -> None:
    record.info.pop("yz_wrote", None)      # a connection returned without commit/rollback events


@event.listens_for(Session, "before_commit")
def _bump_before_commit(session: Session) -> None:
    if not session.in_transaction():
        return
    session.flush()                   # pending ORM changes are writes too
    conn = session.connection()
    if conn.info.get("yz_wrote"):
        bump(conn)


@event.listens_for(Session, "after_flush")
def _flushed(_session, _ctx) -> None:
    if has_app_context():
        g.pop(_G_KEY, None)


def bump(conn) -> None:
    """Add one to the version within `conn`'s transaction (creating the row the first time)."""
    if conn.execute(text(f"UPDATE {TABLE} SET version = version + 1 WHERE id = 1")).rowcount == 0:
        conn.execute(text(f"INSERT INTO {TABLE} (id, version, token) VALUES (1, 1, :t)"), {"t": new_token()})
    conn.info.pop("yz_wrote", None)


def new_token() -> str:
    return uuid.uuid4().hex


def renew_token() -> None:
    """Give this database a new history name (after restoring a backup into it); caller commits."""
    conn = db.session.connection()
    if conn.execute(text(f"UPDATE {TABLE} SET token = :t, version = version + 1 WHERE id = 1"),
                    {"t": new_token()}).rowcount == 0:
        conn.execute(text(f"INSERT INTO {TABLE} (id, version, token) VALUES (1, 1, :t)"), {"t": new_token()})


def current() -> tuple[str, int] | None:
    """(token, version) of the committed data, None before the first write; read once per request."""
    if has_app_context() and _G_KEY in g:
        return g.get(_G_KEY)
    row = db.session.execute(text(f"SELECT token, version FROM {TABLE} WHERE id = 1")).first()
    value = (row[0], row[1]) if row else None
    if has_app_context():
        g.setdefault(_G_KEY, value)
    return value


def session_wrote() -> bool:
    """True while the current transaction holds writes that are not committed (or not flushed)."""
    session = db.session()          # the request's Session behind the scoped proxy
    if session.new or session.dirty or session.deleted:
        return True
    return session.in_transaction() and bool(session.connection().info.get("yz_wrote"))


# --------------------------------------------------------------------------- the cache

class _Cache:
    """Values of one data version (per process); a newer version empties it."""

    def __init__(self) -> None:
        self.version: tuple[str, int] | None = None
        self.values: dict[Hashable, Any] = {}
        self.lock = threading.Lock()

    def get_or_compute(self, key: Hashable, fn: Callable[[], Any]) -> Any:
        version = None if session_wrote() else current()
        if version is None:
            return fn()
        with self.lock:
            if self.version != version:
                self.version, self.values = version, {}
            if key in self.values:
                return self.values[key]
        value = fn()
        with self.lock:
            if self.version == version and len(self.values) < _CACHE_LIMIT:
                self.values[key] = value
        return value

    def clear(self) -> None:
        with self.lock:
            self.version, self.values = None, {}


_CACHE = _Cache()


def cached(key: Hashable, fn: Callable[[], Any]) -> Any:
    """fn() for `key`, computed once per data version in this process (immutable values only)."""
    return _CACHE.get_or_compute(key, fn)


def clear_cache() -> None:
    _CACHE.clear()
