"""Firm search by a fragment of the name, a former name or the credit code, through a trigram index.

The answer is the LIKE one — `name LIKE %q%`, `former_names LIKE %q%` or `uscc LIKE %CODE%` (CODE the
fragment as a credit code: half-width, upper case), ASCII letters matched regardless of case (SQLite's
LIKE) — on both databases; the index only narrows the rows LIKE is tried on:

- SQLite: `registry_firms_fts`, an FTS5 table with the trigram tokenizer over registry_firms' content,
  kept in step by three triggers (created by the migration, and by create_all through the event below).
  A fragment of three or more characters is looked up there first, then checked with LIKE.
- PostgreSQL: pg_trgm GIN indexes on the three columns serve `ILIKE`; the same fragment lower-cased
  in ASCII only is then matched against the column so lower-cased, which is SQLite's LIKE exactly.
  Without the extension the same SQL runs on a scan (slower, same rows); the migration logs a warning.

A fragment of one or two characters (瑞博) is below the trigram size: LIKE over the table (measured in
bench/search.py; about as fast as the index at 100,000 firms because the scan reads one table once).
"""
from __future__ import annotations

import logging
import weakref

from sqlalchemy import Column, DDL, Integer, MetaData, String, Table, event, func, literal, or_, select, text

from core.db import UNMANAGED_PREFIXES, db
from registry import uscc as uscc_mod
from registry.models import Firm

log = logging.getLogger(__name__)

TRIGRAM = 3
FTS = "registry_firms_fts"
_fts = Table(FTS, MetaData(), Column("rowid", Integer), Column(FTS, String))
_UPPER, _LOWER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz"
_ASCII_LOWER = str.maketrans(_UPPER, _LOWER)

#: SQLite: the index and its triggers (the migration creates the same).
SQLITE_DDL = (
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS} USING fts5(name, former_names, uscc, "
    "content='registry_firms', content_rowid='id', tokenize='trigram')",
    f"CREATE TRIGGER IF NOT EXISTS {FTS}_ai AFTER INSERT ON registry_firms BEGIN "
    f"INSERT INTO {FTS}(rowid, name, former_names, uscc) VALUES (new.id, new.name, new.former_names, new.uscc); END",
    f"CREATE TRIGGER IF NOT EXISTS {FTS}_ad AFTER DELETE ON registry_firms BEGIN "
    f"INSERT INTO {FTS}({FTS}, rowid, name, former_names, uscc) "
    "VALUES ('delete', old.id, old.name, old.former_names, old.uscc); END",
    f"CREATE TRIGGER IF NOT EXISTS {FTS}_au AFTER UPDATE OF name, former_names, uscc ON registry_firms BEGIN "
    f"INSERT INTO {FTS}({FTS}, rowid, name, former_names, uscc) "
    "VALUES ('delete', old.id, old.name, old.former_names, old.uscc); "
    f"INSERT INTO {FTS}(rowid, name, former_names, uscc) VALUES (new.id, new.name, new.former_names, new.uscc); END",
)
_SQLITE_OBJECTS = (FTS, f"{FTS}_ai", f"{FTS}_ad", f"{FTS}_au")
#: PostgreSQL: one GIN trigram index per searched column ({ops}: the operator class, qualified with
#: the extension's schema, which need not be on the search path).
PG_INDEXES = tuple(f"CREATE INDEX IF NOT EXISTS ix_registry_firms_{col}_trgm ON registry_firms "
                   f"USING gin ({col} {{ops}})" for col in ("name", "former_names", "uscc"))
UNMANAGED_PREFIXES.update({FTS, "ix_registry_firms_name_trgm", "ix_registry_firms_former_names_trgm",
                           "ix_registry_firms_uscc_trgm"})


@event.listens_for(Firm.__table__, "after_create")
def _create_index(_table, connection, **_kw) -> None:
    """create_all (tests, benchmarks) builds the index as the migration does."""
    install(connection)


def install(connection) -> bool:
    """Create the trigram index on `connection`'s database; False (and a warning) when it cannot be."""
    name = connection.dialect.name
    if name == "sqlite":
        if not _sqlite_has_trigram(connection):
            log.warning("SQLite without FTS5 trigram (needs 3.34+): firm search falls back to LIKE on a scan")
            return False
        for stmt in SQLITE_DDL:
            connection.execute(DDL(stmt))
    elif name == "postgresql":
        try:
            with connection.begin_nested():
                connection.execute(DDL("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
                schema = connection.scalar(text("SELECT extnamespace::regnamespace::text FROM pg_extension "
                                                "WHERE extname = 'pg_trgm'"))
                for stmt in PG_INDEXES:
                    connection.execute(DDL(stmt.format(ops=f"{schema}.gin_trgm_ops")))
        except Exception as exc:  # noqa: BLE001 - no pg_trgm (not installed, no right): same SQL, on a scan
            log.warning("pg_trgm not available (%s): firm search falls back to LIKE on a scan", exc)
            return False
    return True


def _sqlite_has_trigram(connection) -> bool:
    import sqlite3
    version = tuple(int(x) for x in sqlite3.sqlite_version.split("."))
    return version >= (3, 34) and bool(connection.scalar(text("SELECT sqlite_compileoption_used('ENABLE_FTS5')")))


def rebuild(connection) -> None:
    """Re-read every firm into the SQLite index (after a bulk load with the triggers off, or a table copy)."""
    if connection.dialect.name == "sqlite":
        connection.execute(text(f"INSERT INTO {FTS}({FTS}) VALUES ('rebuild')"))


_ready: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _fts_ready(engine) -> bool:
    """The SQLite index and its three triggers exist (checked once per engine). A table rebuilt by a
    later migration loses its triggers: the search then scans rather than read a stale index."""
    if engine not in _ready:
        names = set(db.session.scalars(text("SELECT name FROM sqlite_master WHERE name LIKE 'registry_firms_fts%'")))
        _ready[engine] = set(_SQLITE_OBJECTS) <= names
        if not _ready[engine]:
            log.warning("firm search index %s or its triggers missing: search falls back to LIKE on a scan", FTS)
    return _ready[engine]


def _like(fragment: str) -> str:
    return "%" + fragment.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _phrase(fragment: str) -> str:
    return '"' + fragment.replace('"', '""') + '"'


def condition(q: str):
    """SQL condition: the firm's name, a former name or its credit code contains the fragment `q`."""
    code = uscc_mod.normalize(q).replace(" ", "")
    bind = db.session.get_bind()
    if bind.dialect.name == "postgresql":
        return or_(_pg_contains(Firm.name, q), _pg_contains(Firm.former_names_text, q),
                   _pg_contains(Firm.uscc, code) if code else literal(False))
    exact = [Firm.name.like(_like(q), escape="\\"), Firm.former_names_text.like(_like(q), escape="\\")]
    if code:
        exact.append(Firm.uscc.like(_like(code), escape="\\"))
    fragments = {q.translate(_ASCII_LOWER), code.lower()} - {""}
    if bind.dialect.name != "sqlite" or min(map(len, fragments)) < TRIGRAM or not _fts_ready(bind):
        return or_(*exact)
    hits = select(_fts.c.rowid).where(_fts.c[FTS].op("MATCH")(" OR ".join(map(_phrase, sorted(fragments)))))
    return Firm.id.in_(hits) & or_(*exact)


def _pg_contains(column, fragment: str):
    """ILIKE (served by the trigram index), then the ASCII-only case folding of SQLite's LIKE."""
    folded = func.translate(column, _UPPER, _LOWER)
    return column.ilike(_like(fragment), escape="\\") & folded.like(_like(fragment.translate(_ASCII_LOWER)),
                                                                     escape="\\")
