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

A fragment of one or two characters (瑞博, most Chinese searches; 宁) is below the trigram size. It is
looked up in `registry_firm_grams` (gram, firm_id): every piece of two characters of the three columns
(ASCII lower-cased), and each column's last character alone, kept by database triggers on both
databases — so every path that writes a firm (ORM, bulk insert, COPY, merge, undo, raw SQL) keeps it in
step. Two characters: that gram; one character: the grams starting with it (a range of the primary key).

Very common fragments (科技有: 10 % of the firms) are the list's business (registry/queries.py): a
capped count (from an index alone where it answers exactly: `exact_hits`), and the first page read
along the name index.
"""
from __future__ import annotations

import logging
import weakref

from sqlalchemy import (Column, DDL, Integer, MetaData, PrimaryKeyConstraint, String, Table, any_, event, func,
                        literal, or_, select, text)

from core.db import UNMANAGED_PREFIXES, db
from registry import uscc as uscc_mod
from registry.models import Firm

log = logging.getLogger(__name__)

TRIGRAM = 3
FTS = "registry_firms_fts"
_fts = Table(FTS, MetaData(), Column("rowid", Integer), Column(FTS, String))
_UPPER, _LOWER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz"
_ASCII_LOWER = str.maketrans(_UPPER, _LOWER)
_ASCII_LETTERS = frozenset(_UPPER + _LOWER)

GRAMS = "registry_firm_grams"
#: The short-fragment index (gram, firm_id). Binary order on both databases (a one-character fragment
#: is a range of it). No foreign key: the triggers keep it, deleting a firm removes exactly its grams.
grams = Table(GRAMS, db.metadata,
              Column("gram", String(2).with_variant(String(2, collation="C"), "postgresql"), nullable=False),
              Column("firm_id", Integer, nullable=False),
              PrimaryKeyConstraint("gram", "firm_id", name="pk_registry_firm_grams"),
              sqlite_with_rowid=False)


def _sqlite_grams(row: str) -> str:
    """SQLite: the (gram, firm_id) rows of `row` (new / old): one per character of each column, through
    json_each over "[0,0,…]" (a loop without a CTE, which triggers refuse). lower() is ASCII-only."""
    return (f"SELECT substr(t.v, p.key + 1, 2) AS gram, {row}.id AS firm_id FROM (SELECT lower({row}.name) AS v "
            f"UNION ALL SELECT lower({row}.former_names) UNION ALL SELECT lower({row}.uscc)) AS t, "
            "json_each('[' || rtrim(replace(hex(zeroblob(length(t.v))), '00', '0,'), ',') || ']') AS p "
            "WHERE t.v <> ''")


_GRAMS_INSERT = f"INSERT OR IGNORE INTO {GRAMS}(gram, firm_id) {_sqlite_grams('new')}; "
_GRAMS_DELETE = (f"DELETE FROM {GRAMS} WHERE firm_id = old.id AND gram IN "
                 f"(SELECT gram FROM ({_sqlite_grams('old')})); ")
#: SQLite: the short-fragment index's triggers (the migration creates the same).
SQLITE_GRAMS_DDL = (
    f"CREATE TRIGGER IF NOT EXISTS {GRAMS}_ai AFTER INSERT ON registry_firms BEGIN {_GRAMS_INSERT}END",
    f"CREATE TRIGGER IF NOT EXISTS {GRAMS}_ad AFTER DELETE ON registry_firms BEGIN {_GRAMS_DELETE}END",
    f"CREATE TRIGGER IF NOT EXISTS {GRAMS}_au AFTER UPDATE OF name, former_names, uscc ON registry_firms "
    f"BEGIN {_GRAMS_DELETE}{_GRAMS_INSERT}END",
)


def _pg_grams(row: str) -> str:
    return (f"SELECT DISTINCT substr(v, i, 2) AS gram FROM unnest(ARRAY[translate({row}.name, '{_UPPER}', '{_LOWER}'), "
            f"translate({row}.former_names, '{_UPPER}', '{_LOWER}'), lower({row}.uscc)]) AS t(v), "
            "generate_series(1, length(v)) AS i")


#: PostgreSQL: the same, one trigger function (the migration creates the same).
PG_GRAMS_DDL = (
    f"CREATE OR REPLACE FUNCTION {GRAMS}_sync() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    f"IF TG_OP <> 'INSERT' THEN DELETE FROM {GRAMS} WHERE firm_id = OLD.id AND gram IN ({_pg_grams('OLD')}); END IF; "
    f"IF TG_OP <> 'DELETE' THEN INSERT INTO {GRAMS}(gram, firm_id) SELECT gram, NEW.id FROM ({_pg_grams('NEW')}) AS g "
    "ON CONFLICT DO NOTHING; END IF; RETURN NULL; END $$",
    f"DROP TRIGGER IF EXISTS {GRAMS}_sync ON registry_firms",
    f"CREATE TRIGGER {GRAMS}_sync AFTER INSERT OR DELETE OR UPDATE OF name, former_names, uscc ON registry_firms "
    f"FOR EACH ROW EXECUTE FUNCTION {GRAMS}_sync()",
)

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
_SQLITE_OBJECTS = (FTS, f"{FTS}_ai", f"{FTS}_ad", f"{FTS}_au", GRAMS, f"{GRAMS}_ai", f"{GRAMS}_ad", f"{GRAMS}_au")
#: PostgreSQL: one GIN trigram index per searched column ({ops}: the operator class, qualified with
#: the extension's schema, which need not be on the search path).
PG_INDEXES = tuple(f"CREATE INDEX IF NOT EXISTS ix_registry_firms_{col}_trgm ON registry_firms "
                   f"USING gin ({col} {{ops}})" for col in ("name", "former_names", "uscc"))
UNMANAGED_PREFIXES.update({FTS, "ix_registry_firms_name_trgm", "ix_registry_firms_former_names_trgm",
                           "ix_registry_firms_uscc_trgm"})


@event.listens_for(Firm.__table__, "after_create")
def _create_index(_table, connection, **_kw) -> None:
    """create_all (tests, benchmarks) builds the indexes as the migration does."""
    install_grams(connection)
    install(connection)


def install_grams(connection) -> None:
    """The short-fragment index's triggers (its table is in the metadata; it need not exist yet)."""
    name = connection.dialect.name
    for stmt in SQLITE_GRAMS_DDL if name == "sqlite" else PG_GRAMS_DDL if name == "postgresql" else ():
        connection.execute(DDL(stmt))


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
    """The SQLite indexes and their triggers exist (checked once per engine). A table rebuilt by a
    later migration loses its triggers: the search then scans rather than read a stale index."""
    if engine not in _ready:
        names = set(db.session.scalars(text("SELECT name FROM sqlite_master WHERE name LIKE 'registry_firm%'")))
        _ready[engine] = set(_SQLITE_OBJECTS) <= names
        if not _ready[engine]:
            log.warning("firm search index %s or its triggers missing: search falls back to LIKE on a scan", FTS)
    return _ready[engine]


def _like(fragment: str) -> str:
    return "%" + fragment.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _phrase(fragment: str) -> str:
    return '"' + fragment.replace('"', '""') + '"'


def condition(q: str, *, indexed: bool = True):
    """SQL condition: the firm's name, a former name or its credit code contains the fragment `q`
    (`indexed`: narrowed through the indexes first; otherwise the bare LIKE, for a caller that tries
    a few rows read in another order)."""
    code = uscc_mod.normalize(q).replace(" ", "")
    bind = db.session.get_bind()
    fragments = sorted({q.translate(_ASCII_LOWER), code.lower()} - {""})
    short = [f for f in fragments if len(f) < TRIGRAM]
    if bind.dialect.name == "postgresql":
        exact = or_(_pg_contains(Firm.name, q), _pg_contains(Firm.former_names_text, q),
                    _pg_contains(Firm.uscc, code) if code else literal(False))
        # pg_trgm serves a fragment of three or more; a shorter one (either spelling) goes to the grams,
        # read first as an array (ARRAY(SELECT …), one InitPlan) so that the planner fetches those firms
        # by id rather than scan the table with LIKE and probe the grams per row (bench/search.py)
        if short and indexed:
            return (Firm.id == any_(func.array(_gram_hits(short).scalar_subquery()))) & exact
        return exact
    exact = [Firm.name.like(_like(q), escape="\\"), Firm.former_names_text.like(_like(q), escape="\\")]
    if code:
        exact.append(Firm.uscc.like(_like(code), escape="\\"))
    if not indexed or bind.dialect.name != "sqlite" or not _fts_ready(bind):
        return or_(*exact)
    hits = []
    if short:
        hits.append(Firm.id.in_(_gram_hits(short)))
    if len(short) < len(fragments):
        long = [f for f in fragments if len(f) >= TRIGRAM]
        hits.append(Firm.id.in_(select(_fts.c.rowid).where(_fts.c[FTS].op("MATCH")(" OR ".join(map(_phrase, long))))))
    return or_(*hits) & or_(*exact)


def exact_hits(q: str):
    """A SELECT of the ids (column `firm_id`, distinct) of the firms whose name, former names or credit
    code contain `q`, read from an index alone, when it answers exactly — else None (LIKE decides).

    `q` must have one spelling (its ASCII lower case is its credit-code form lower-cased: most Chinese
    fragments). One or two characters: the grams. Three or more without any cased character (CJK,
    digits, punctuation), on SQLite: the trigram index, whose phrase match is then LIKE's substring
    match exactly (its case folding has nothing to fold). Then a count of 10,000 matches reads no firm
    row (科技有 at 100,000 firms, SQLite)."""
    code = uscc_mod.normalize(q).replace(" ", "")
    fragments = {q.translate(_ASCII_LOWER), code.lower()} - {""}
    if len(fragments) != 1:
        return None
    (fragment,) = fragments
    if len(fragment) < TRIGRAM:
        return _gram_hits([fragment]).distinct()
    bind = db.session.get_bind()
    if bind.dialect.name == "sqlite" and _caseless(fragment) and _fts_ready(bind):
        return select(_fts.c.rowid.label("firm_id")).where(_fts.c[FTS].op("MATCH")(_phrase(fragment)))
    return None


def _caseless(text: str) -> bool:
    return all(c.lower() == c == c.upper() for c in text)


def _gram_hits(fragments: list[str]):
    """Firm ids (a superset; LIKE decides) whose grams hold one of the 1–2-character `fragments`."""
    conds = []
    for frag in fragments:
        if len(frag) == 2:
            conds.append(grams.c.gram == frag)
        elif ord(frag) < 0x10FFFF:        # every gram that starts with the character
            conds.append((grams.c.gram >= frag) & (grams.c.gram < chr(ord(frag) + 1)))
        else:
            conds.append(grams.c.gram >= frag)
    return select(grams.c.firm_id).where(or_(*conds))


def _pg_contains(column, fragment: str):
    """ILIKE (served by the trigram index), then the ASCII-only case folding of SQLite's LIKE.

    A fragment without ASCII letters (most Chinese ones) has no case to fold: there the two are one
    LIKE, which the trigram index serves as well, and which PostgreSQL checks several times faster
    than ILIKE on multibyte text (科技有, 10,000 firms to count at 100,000: 75 ms → 20 ms)."""
    if _ASCII_LETTERS.isdisjoint(fragment):
        return column.like(_like(fragment), escape="\\")
    folded = func.translate(column, _UPPER, _LOWER)
    return column.ilike(_like(fragment), escape="\\") & folded.like(_like(fragment.translate(_ASCII_LOWER)),
                                                                     escape="\\")
