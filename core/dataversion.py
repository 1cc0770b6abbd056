"""Data versions per table, and a cache of computed figures keyed by the versions of the tables they read.

Writes: every transaction of the session that wrote anything (an ORM flush, a bulk insert, an UPDATE or
DELETE, a COPY through core.db.insert_rows) notes the tables it wrote (the target of each INSERT INTO /
UPDATE / DELETE FROM the engine executes) and, right before it commits and in the same transaction,
adds one to each of those tables' rows in `core_table_versions` and to the one overall number in
`core_data_version`. A write whose target cannot be told (a `WITH … UPDATE`) bumps the table name "*",
on which every cached figure depends. A rollback bumps nothing.

Quiet writes: an UPDATE that sets only columns no figure reads (QUIET_COLUMNS: a user's last sign-in)
is not noted at all, so signing in invalidates nothing. Writes outside a Session (the import runner's
heartbeat on its own connection) were never noted. Detail writes: an UPDATE that sets only columns no
goal's figure reads (DETAIL_COLUMNS: a firm's name, address, legal representative …) is noted as a write
to "<table>#detail", which only computations whose SQL names such a column depend on.

Reads: `cached(key, fn)` computes fn() once and records which tables the SQL it executed names (a
before_cursor_execute listener, while fn runs; a nested cached value or indicators.shared result hands
its own tables up), plus the `tables` the caller declares for data it got from outside fn (ORM objects
loaded before). The value is served while each of those tables is at the version it was computed at:
a committed write to a table the figure did not read leaves it cached; a write to one it read makes
the next request compute it again. Every worker on every host reads the versions (one SELECT, once per
request) from the database, so a figure is never served after a commit that can change it. A transaction
that wrote but has not committed computes without the cache.

Why derived and not declared: an indicator's SQL names its tables, and a recorded set can only be a
superset of what it read (a table name appearing anywhere in the statement counts), while a hand-kept
list goes wrong silently when a query changes. What SQL cannot show — objects already in the session —
is what `tables=` is for.

Shared between processes: a value cached with `shared=True` (a whole page part: the dashboard's figures,
the goals API's body) is also kept in `core_shared_values` under a name made of the database's history
token and the key, with the versions it was computed at. A process that has no valid value of its own
reads that row and serves it while those versions still hold, so a write is recomputed by one worker,
not by each (measured in bench/loadtest.py: each facts write made every worker recompute the dashboard).
Keeping it is best-effort on its own connection and commit (never waiting for a lock: a busy database
skips it), and a stale row is never served: its stamp is checked like a local one.

Row locking on PostgreSQL: the bumps are the transaction's last statements, the overall row first (it
serialises the bumping commits) and the table rows in name order, so two writers never deadlock on them.
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import re
import threading
import time
import uuid
from collections import deque
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from typing import Any, Callable, Hashable, Iterable

from flask import current_app, g, has_app_context
from markupsafe import Markup
from sqlalchemy import BigInteger, Boolean, DateTime, String, Text, delete, event, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import Pool, StaticPool
from sqlalchemy.orm import Mapped, Session, mapped_column

from core.db import SQLITE_BUSY_MS, WRITTEN_KEY, db, is_sqlite

TABLE = "core_data_version"
TABLES = "core_table_versions"
SHARED = "core_shared_values"
ANY = "*"                       # a write to an unknown table: every cached figure depends on it
OWN = frozenset({TABLE, TABLES, SHARED})
#: UPDATEs that set only these columns are not noted: no figure reads them
QUIET_COLUMNS: dict[str, frozenset[str]] = {
    "core_users": frozenset({"last_login_at"}),
}
#: Columns no goal's figure reads. An UPDATE that sets only these is noted as a write to "<table>#detail"
#: (DETAIL), on which only a computation whose SQL names one of them (or every column) depends: editing
#: a firm's address or name recomputes no count, while a list of firm names is computed again.
DETAIL_COLUMNS: dict[str, frozenset[str]] = {
    "registry_firms": frozenset({
        "uscc", "name", "name_sort", "former_names", "registered_on", "firm_type", "legal_rep", "capital_amount",
        "capital_currency", "capital_raw", "business_scope", "address", "stock_code", "code_override_reason",
        "import_batch_id", "created_by_unit", "needs_review", "reviewed_at", "reviewed_by_id", "version",
        "created_at", "updated_at"}),
}
DETAIL = "#detail"
#: Tables kept by triggers from another table's columns (their writes are not statements the engine
#: sees): reading one depends on every column of its source
DERIVED_FROM: dict[str, str] = {"registry_firm_grams": "registry_firms", "registry_firms_fts": "registry_firms"}
_EVERY_COLUMN = re.compile(r"(?:\bSELECT\s+|\.)\*", re.IGNORECASE)
_CACHE_LIMIT = 20_000
_G_KEY = "_data_versions"
FLIGHT_WAIT_S = 10.0                        # longest wait for another thread's or process's computation
LOCK_STRIPES = 64                           # lock files of the flights across processes on SQLite
_SHARED_PRUNE_EVERY = 200                   # puts between two deletions of old shared rows
_SHARED_KEEP = timedelta(days=2)            # a shared row not computed again for this long is deleted
log = logging.getLogger(__name__)

_TARGET = re.compile(r'^\s*(?:INSERT(?:\s+OR\s+\w+)?\s+INTO|REPLACE\s+INTO|UPDATE(?:\s+OR\s+\w+)?|DELETE\s+FROM)'
                     r'\s+(?:ONLY\s+)?(?:"?\w+"?\.)?"?(\w+)"?', re.IGNORECASE)
_DML_ANYWHERE = re.compile(r"\b(INSERT|UPDATE|DELETE|MERGE)\b", re.IGNORECASE)
_SET_COLUMNS = re.compile(r'^\s*UPDATE\s+"?\w+"?\s+SET\s+(.*?)(?:\s+WHERE\s|$)', re.IGNORECASE | re.DOTALL)
_ASSIGNED = re.compile(r'(?:^|,)\s*"?(\w+)"?\s*=')
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class DataVersion(db.Model):
    """The single row (id 1) holding the overall data version and the database's history name."""

    __tablename__ = TABLE

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, default=0)
    # a random name of this database's history: another database (or a restored backup, which
    # gets a new token) never shares cache keys with this one even at the same version number
    token: Mapped[str] = mapped_column(String(32))


class TableVersion(db.Model):
    """One row per table ever written: how many committed transactions wrote it."""

    __tablename__ = TABLES

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, default=0)


class SharedValue(db.Model):
    """A cached value kept for every process (`cached(..., shared=True)`): text, with the versions of the
    tables it read when it was computed (JSON [[table, version], …])."""

    __tablename__ = SHARED

    name: Mapped[str] = mapped_column(String(64), primary_key=True)     # sha256 of token, generation, key
    stamp: Mapped[str] = mapped_column(Text)
    value: Mapped[str] = mapped_column(Text)
    markup: Mapped[bool] = mapped_column(Boolean, default=False)        # HTML (markupsafe.Markup)
    computed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


# --------------------------------------------------------------------------- tracking writes

def written_table(statement: str) -> str | None:
    """The table a DML statement writes ("*" when it writes but the target cannot be told), None for a
    statement that writes nothing, or only quiet columns."""
    m = _TARGET.match(statement)
    if m is None:
        head = statement.lstrip()[:4].upper()
        return ANY if head == "WITH" and _DML_ANYWHERE.search(statement) else None
    table = m.group(1).lower()
    if table in OWN:
        return None
    quiet, detail = QUIET_COLUMNS.get(table), DETAIL_COLUMNS.get(table)
    if quiet or detail:
        sets = _SET_COLUMNS.match(statement)
        assigned = set(c.lower() for c in _ASSIGNED.findall(sets.group(1))) if sets else None
        if assigned and quiet and assigned <= quiet:
            return None
        if assigned and detail and assigned <= detail:
            return table + DETAIL
    return table


@event.listens_for(Engine, "after_cursor_execute")
def _note_write(conn, _cursor, statement, _params, _context, _executemany) -> None:
    table = written_table(statement)
    if table is not None:
        conn.info.setdefault(WRITTEN_KEY, set()).add(table)


@event.listens_for(Engine, "rollback")
def _forget_write(conn) -> None:
    conn.info.pop(WRITTEN_KEY, None)


@event.listens_for(Engine, "commit")
def _committed(conn) -> None:
    conn.info.pop(WRITTEN_KEY, None)


@event.listens_for(Pool, "reset")
def _forget_on_return(_dbapi_connection, record, _reset_state) -> None:
    record.info.pop(WRITTEN_KEY, None)      # a connection returned without commit/rollback events


@event.listens_for(Session, "before_commit")
def _bump_before_commit(session: Session) -> None:
    if not session.in_transaction():
        return
    session.flush()                   # pending ORM changes are writes too
    conn = session.connection()
    if conn.info.get(WRITTEN_KEY):
        bump(conn)


@event.listens_for(Session, "after_flush")
def _flushed(_session, _ctx) -> None:
    if has_app_context():
        g.pop(_G_KEY, None)


def bump(conn, tables: Iterable[str] | None = None) -> None:
    """Add one to the overall version and to each written table's (or `tables`') within `conn`'s
    transaction (creating the rows the first time)."""
    names = sorted(set(tables if tables is not None else conn.info.get(WRITTEN_KEY) or ()) - OWN)
    if conn.execute(text(f"UPDATE {TABLE} SET version = version + 1 WHERE id = 1")).rowcount == 0:
        conn.execute(text(f"INSERT INTO {TABLE} (id, version, token) VALUES (1, 1, :t)"), {"t": new_token()})
    if names:
        values = ", ".join(f"(:n{i}, 1)" for i in range(len(names)))
        conn.execute(text(f"INSERT INTO {TABLES} (name, version) VALUES {values} ON CONFLICT (name) "
                          f"DO UPDATE SET version = {TABLES}.version + 1"),
                     {f"n{i}": name for i, name in enumerate(names)})
    conn.info.pop(WRITTEN_KEY, None)


def new_token() -> str:
    return uuid.uuid4().hex


def renew_token() -> None:
    """Give this database a new history name (after restoring a backup into it); caller commits."""
    conn = db.session.connection()
    if conn.execute(text(f"UPDATE {TABLE} SET token = :t, version = version + 1 WHERE id = 1"),
                    {"t": new_token()}).rowcount == 0:
        conn.execute(text(f"INSERT INTO {TABLE} (id, version, token) VALUES (1, 1, :t)"), {"t": new_token()})


class Versions:
    """The committed versions as read at one moment: the history token and {table: version}."""

    __slots__ = ("token", "tables")

    def __init__(self, token: str, tables: dict[str, int]) -> None:
        self.token, self.tables = token, tables

    def of(self, names: Iterable[str]) -> tuple[tuple[str, int], ...]:
        get = self.tables.get
        return tuple((n, get(n, 0)) for n in sorted(names))

    def still(self, stamp: tuple[tuple[str, int], ...]) -> bool:
        get = self.tables.get
        return all(get(n, 0) == v for n, v in stamp)

    def __eq__(self, other) -> bool:
        return isinstance(other, Versions) and (self.token, self.tables) == (other.token, other.tables)

    def __repr__(self) -> str:
        return f"Versions({self.token[:8]}, {self.tables})"


def current() -> Versions | None:
    """The committed versions, None before the first write; read once per request (one statement)."""
    if has_app_context() and _G_KEY in g:
        return g.get(_G_KEY)
    rows = db.session.execute(text(f"SELECT token, NULL, version FROM {TABLE} WHERE id = 1 "
                                   f"UNION ALL SELECT NULL, name, version FROM {TABLES}")).all()
    token = next((r[0] for r in rows if r[0] is not None), None)
    value = Versions(token, {r[1]: r[2] for r in rows if r[1] is not None}) if token else None
    if has_app_context():
        g.setdefault(_G_KEY, value)
    return value


def session_wrote() -> bool:
    """True while the current transaction holds writes that are not committed (or not flushed)."""
    session = db.session()          # the request's Session behind the scoped proxy
    if session.new or session.dirty or session.deleted:
        return True
    return session.in_transaction() and bool(session.connection().info.get(WRITTEN_KEY))


# --------------------------------------------------------------------------- recording reads

_READS: ContextVar[set | None] = ContextVar("dataversion_reads", default=None)


@lru_cache(maxsize=4096)
def _words(statement: str) -> frozenset[str]:
    return frozenset(w.lower() for w in _WORD.findall(statement))


def _known_tables() -> frozenset[str]:
    return frozenset(db.metadata.tables) | frozenset(DERIVED_FROM)


@lru_cache(maxsize=4096)
def read_tables(statement: str) -> frozenset[str]:
    """The version names a statement's result depends on: each table it names, and "<table>#detail" where
    it names one of that table's DETAIL_COLUMNS or reads every column (`*`); a trigger-kept table
    stands for its source with every column."""
    words = _words(statement)
    tables = set(words & _known_tables())
    for derived in tables & DERIVED_FROM.keys():
        tables.add(DERIVED_FROM[derived])
        tables.add(DERIVED_FROM[derived] + DETAIL)
    for table in tables & DETAIL_COLUMNS.keys():
        if words & DETAIL_COLUMNS[table] or _EVERY_COLUMN.search(statement):
            tables.add(table + DETAIL)
    return frozenset(tables)


def _with_details(tables: Iterable[str]) -> set[str]:
    """Declared tables (ORM objects loaded before): every column of them, details included."""
    out = set(tables)
    out.update(t + DETAIL for t in out & DETAIL_COLUMNS.keys())
    return out


@event.listens_for(Engine, "before_cursor_execute")
def _note_read(_conn, _cursor, statement, _params, _context, _executemany) -> None:
    reads = _READS.get()
    if reads is not None:
        reads.update(read_tables(statement))


@contextmanager
def recording():
    """Inside the block, the tables the executed SQL names are collected in the yielded set; on leaving,
    they are handed to an enclosing recording as well."""
    reads: set = set()
    token = _READS.set(reads)
    try:
        yield reads
    finally:
        _READS.reset(token)
        depends_on(reads)


def depends_on(tables: Iterable[str]) -> None:
    """Tell an enclosing recording that what is being computed read `tables` (a value reused without SQL)."""
    reads = _READS.get()
    if reads is not None:
        reads.update(tables)


# --------------------------------------------------------------------------- the cache

class _Cache:
    """Values with the versions of the tables each read (per process; `shared` ones in the database too)."""

    def __init__(self) -> None:
        self.token: str | None = None
        self.values: dict[Hashable, tuple] = {}     # key -> (stamp, tables, value)
        self.lock = threading.Lock()
        self.computed = 0                            # how many values were computed (tests, bench)
        self.log: deque = deque(maxlen=2000)         # the keys of the latest computations
        self.generation = 0                          # clear() starts new shared names too
        self.shared_hits = 0                         # values taken from another process (tests, bench)
        self.puts = 0
        self.flights: dict[Hashable, list] = {}     # key -> [lock, threads using it]: one computation at a time

    def get_or_compute(self, key: Hashable, fn: Callable[[], Any], tables: Iterable[str] = (),
                       shared: bool = False) -> Any:
        versions = None if session_wrote() else current()
        if versions is None:
            return fn()
        with self.lock:
            if self.token != versions.token:
                self.token, self.values = versions.token, {}
            hit = self.values.get(key)
        if _served(hit, versions):
            return hit[2]
        with self._flight(key) as first:
            if not first:               # another thread computed it meanwhile: its value, when valid
                hit = self.values.get(key)
                if _served(hit, versions):
                    return hit[2]
            return self._miss(versions, key, fn, tables, shared)

    @contextmanager
    def _flight(self, key: Hashable):
        """One computation of a key at a time in this process: a thread that misses while another
        computes the same key waits for it (yields False when it waited) instead of computing it
        too — after a write, every thread of a worker asked for the dashboard at once. A wait longer
        than FLIGHT_WAIT_S computes anyway (never a deadlock)."""
        with self.lock:
            flight = self.flights.get(key)
            if flight is None:
                flight = self.flights[key] = [threading.RLock(), 0]
            flight[1] += 1
        got = flight[0].acquire(blocking=False)
        first = got
        if not got:
            got = flight[0].acquire(timeout=FLIGHT_WAIT_S)
        try:
            yield first
        finally:
            if got:
                flight[0].release()
            with self.lock:
                flight[1] -= 1
                if flight[1] == 0:
                    self.flights.pop(key, None)

    def _miss(self, versions: "Versions", key: Hashable, fn: Callable[[], Any], tables: Iterable[str],
              shared: bool) -> Any:
        name = _shared_name(versions.token, self.generation, key) if shared and _shares() else None
        if name is None:
            return self._compute(versions, key, fn, tables, None)
        found = _shared_get(name, versions, db.session)
        if found is None:
            with _process_flight(name) as waited:
                # another process computed it while this one waited: read its row (on a connection of
                # its own: the request's transaction may not see a later commit)
                found = _shared_get(name, versions) if waited else None
                if found is None:
                    return self._compute(versions, key, fn, tables, name)
        stamp, value = found
        reads = frozenset(n for n, _v in stamp)
        depends_on(reads)
        with self.lock:
            self.shared_hits += 1
            self._keep(versions, key, stamp, reads, value)
        return value

    def _compute(self, versions: "Versions", key: Hashable, fn: Callable[[], Any], tables: Iterable[str],
                 name: str | None) -> Any:
        with recording() as reads:
            value = fn()
        reads.update(_with_details(tables))
        reads.add(ANY)
        stamp = versions.of(reads)
        with self.lock:
            self.computed += 1
            self.log.append(key)
            self._keep(versions, key, stamp, frozenset(reads), value)
            self.puts += 1 if name else 0
            prune = bool(name) and self.puts % _SHARED_PRUNE_EVERY == 1
        if name and isinstance(value, str):
            _shared_put(name, stamp, value, prune)
        return value

    def _keep(self, versions: "Versions", key: Hashable, stamp: tuple, reads: frozenset, value: Any) -> None:
        if self.token == versions.token:
            if len(self.values) >= _CACHE_LIMIT:
                self.values = {}
            self.values[key] = (stamp, reads, value)

    def clear(self) -> None:
        with self.lock:
            self.token, self.values = None, {}
            self.generation += 1


def _served(hit: tuple | None, versions: "Versions") -> bool:
    """Whether a cached (stamp, tables, value) is still valid for `versions`; if so, its tables are handed
    to an enclosing recording."""
    if hit is None or not versions.still(hit[0]):
        return False
    depends_on(hit[1])
    return True


def _canonical(key: Any) -> str:
    """The key as text that is the same in every process (sets sorted: their order follows the
    process's string hashing)."""
    if isinstance(key, (tuple, list)):
        return "(" + ",".join(_canonical(k) for k in key) + ")"
    if isinstance(key, (set, frozenset)):
        return "{" + ",".join(sorted(_canonical(k) for k in key)) + "}"
    return repr(key)


def _shared_name(token: str, generation: int, key: Hashable) -> str:
    return hashlib.sha256(f"{token}|{generation}|{_canonical(key)}".encode()).hexdigest()


def _shares() -> bool:
    """Only a database other processes can reach is worth sharing through (not an in-memory SQLite, whose
    one connection is the request's own)."""
    return not isinstance(db.engine.pool, StaticPool)


@contextmanager
def _process_flight(name: str):
    """One computation of a shared value at a time across the processes (yields True when it waited
    for another's): on PostgreSQL a transaction-level advisory lock on a connection of its own, on a
    SQLite file an flock of one of LOCK_STRIPES lock files beside the instance. Waits at most
    FLIGHT_WAIT_S, then computes anyway; the lock is released when the value is kept (or on an error)."""
    with (_file_flight(name) if is_sqlite() else _pg_flight(name)) as waited:
        yield waited


@contextmanager
def _pg_flight(name: str):
    key = int(name[:15], 16)                     # 60 bits of the name: a bigint lock key
    try:
        conn = db.engine.connect()
    except DBAPIError:
        yield False
        return
    try:
        waited = not conn.execute(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": key}).scalar()
        if waited:
            conn.exec_driver_sql(f"SET LOCAL lock_timeout = '{int(FLIGHT_WAIT_S * 1000)}ms'")
            try:
                conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": key})
            except DBAPIError:                   # waited too long: compute it too
                conn.rollback()
        yield waited
    finally:
        conn.rollback()                          # ends the transaction: releases the lock
        conn.close()


@contextmanager
def _file_flight(name: str):
    folder = os.path.join(current_app.config["INSTANCE_PATH"], "cache-locks")
    try:
        os.makedirs(folder, exist_ok=True)
        fd = os.open(os.path.join(folder, f"{int(name[:8], 16) % LOCK_STRIPES}.lock"), os.O_RDWR | os.O_CREAT, 0o600)
    except OSError:                              # no writable instance folder: no flight across processes
        yield False
        return
    try:
        waited, deadline = False, time.monotonic() + FLIGHT_WAIT_S
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                waited = True
                if time.monotonic() > deadline:
                    break
                time.sleep(0.005)
        yield waited
    finally:
        os.close(fd)                             # closing releases the lock


def _shared_get(name: str, versions: "Versions", session=None) -> tuple[tuple, Any] | None:
    """(stamp, value) of the shared row `name` when it is still valid for `versions` (read in `session`,
    else on a connection of its own)."""
    stmt = select(SharedValue.stamp, SharedValue.value, SharedValue.markup).where(SharedValue.name == name)
    if session is not None:
        row = session.execute(stmt).first()
    else:
        with db.engine.connect() as conn:
            row = conn.execute(stmt).first()
    if row is None:
        return None
    stamp = tuple((n, v) for n, v in json.loads(row.stamp))
    if not versions.still(stamp):
        return None
    return stamp, (Markup(row.value) if row.markup else row.value)


def _shared_put(name: str, stamp: tuple, value: str, prune: bool) -> None:
    """Keep the value for the other processes, on a connection and commit of its own; skipped (not
    waited for) when another writer holds the lock."""
    values = {"name": name, "stamp": json.dumps(stamp), "value": str(value), "markup": isinstance(value, Markup),
              "computed_at": datetime.now(timezone.utc)}
    table = SharedValue.__table__
    try:
        with db.engine.connect() as conn:
            sqlite = conn.dialect.name == "sqlite"
            if sqlite:
                conn.exec_driver_sql("PRAGMA busy_timeout=0")
            else:
                conn.exec_driver_sql("SET LOCAL lock_timeout = '200ms'")
            try:
                stmt = (sqlite_insert if sqlite else pg_insert)(table).values(**values)
                conn.execute(stmt.on_conflict_do_update(
                    index_elements=[table.c.name],
                    set_={c: stmt.excluded[c] for c in ("stamp", "value", "markup", "computed_at")}))
                if prune:
                    conn.execute(delete(table).where(table.c.computed_at < values["computed_at"] - _SHARED_KEEP))
                conn.commit()
            finally:
                if sqlite:
                    conn.exec_driver_sql(f"PRAGMA busy_timeout={SQLITE_BUSY_MS}")
    except DBAPIError as exc:        # busy or locked: the next process to miss computes it again
        log.info("shared cache value not kept: %s", exc.orig)


_CACHE = _Cache()


def cached(key: Hashable, fn: Callable[[], Any], tables: Iterable[str] = (), *, shared: bool = False) -> Any:
    """fn() for `key`, computed again only after a commit wrote a table it read (immutable values only).

    `tables`: tables fn depends on without querying them (ORM objects passed in, loaded before).
    `shared`: a text value (str or Markup) is kept in the database for the other processes too."""
    return _CACHE.get_or_compute(key, fn, tables, shared)


def lookup(key: Hashable) -> tuple[bool, Any]:
    """(True, value) when `key`'s cached value is still valid (its tables handed to an enclosing
    recording), else (False, None): lets a caller skip the set-up of a computation (a SAVEPOINT)."""
    versions = None if session_wrote() else current()
    hit = _CACHE.values.get(key) if versions is not None and _CACHE.token == versions.token else None
    return (True, hit[2]) if _served(hit, versions) else (False, None)


def computations() -> int:
    """How many values this process has computed for the cache so far (a miss counts one)."""
    return _CACHE.computed


def shared_hits() -> int:
    """How many values this process took from another process's computation so far."""
    return _CACHE.shared_hits


def computed_since(count: int) -> list:
    """The keys computed since computations() was `count` (the latest 2,000 at most)."""
    n = _CACHE.computed - count
    return list(_CACHE.log)[-n:] if n > 0 else []


def dependencies(key: Hashable) -> frozenset[str] | None:
    """The tables the cached value of `key` read (None when it is not cached)."""
    hit = _CACHE.values.get(key)
    return None if hit is None else hit[1]


def clear_cache() -> None:
    """Forget every cached value: this process's, and (a new generation of names) the shared ones."""
    _CACHE.clear()
