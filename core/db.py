"""Database: declarative base with a constraint naming convention, shared column mixins."""
from contextlib import contextmanager
from datetime import datetime, timezone
from operator import itemgetter

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import DateTime, ForeignKey, Integer, MetaData, Table, event, insert
from sqlalchemy.dialects.sqlite.base import SQLiteCompiler
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import DeclarativeBase, Mapped, Mapper, declared_attr, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def _sqlite_from_hint(_compiler, _table, text: str) -> str:
    return text


# SQLAlchemy renders `select(...).with_hint(table, "INDEXED BY ix_…", "sqlite")` only where the dialect's
# compiler says how (MySQL, SQL Server); SQLite's says nothing and the hint was dropped. Its syntax is
# the hint text after the table name (and alias): `FROM registry_firms INDEXED BY ix_…`.
SQLiteCompiler.get_from_hint_text = _sqlite_from_hint


def utcnow() -> datetime:
    """Timezone-aware now in UTC (a callable default, never evaluated at import)."""
    return datetime.now(timezone.utc)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)

#: Name prefixes of schema objects made by hand-written DDL beside the models (a search index's
#: virtual table and its shadow tables, trigram indexes): Alembic's comparison leaves them out.
UNMANAGED_PREFIXES: set[str] = set()


def include_object(_obj, name, _type, reflected, compare_to) -> bool:
    """Alembic `include_object`: skip the objects named in UNMANAGED_PREFIXES found in the database."""
    return not (reflected and compare_to is None and name and name.startswith(tuple(UNMANAGED_PREFIXES)))


class Versioned:
    """Optimistic locking: UPDATEs carry `WHERE version = :old` (StaleDataError otherwise);
    edit forms carry the version and services call core.records.check_version."""

    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    @declared_attr.directive
    def __mapper_args__(cls):
        return {"version_id_col": cls.__table__.c.version}


class Archivable:
    """Domain records are archived, not deleted, and can be restored."""

    archived_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    archived_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_users.id"), default=None)

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None


class Timestamped:
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


#: how long a SQLite connection waits for another writer's lock
SQLITE_BUSY_MS = 30_000


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record):
    """SQLite: enforce foreign keys and wait for locks instead of failing at once; a file database in WAL
    mode, so a long write never blocks the readers.

    In the default rollback-journal mode a transaction larger than the page cache spills its pages into
    the database file under an exclusive lock: measured, a 250,000-row web import held every page view
    and progress poll of the site for the rest of its write phase. In WAL mode readers go on reading the
    last commit while the import writes. (A file setting: once set it stays; :memory: ignores it.)
    """
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cur = dbapi_connection.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_MS}")
        try:
            if cur.execute("PRAGMA journal_mode").fetchone()[0] not in ("wal", "memory"):
                cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA journal_size_limit=67108864")   # the -wal file shrinks back to 64 MB
        except Exception:  # noqa: BLE001 - e.g. a read-only file: keep its journal mode
            pass
        cur.close()


_UNSET = object()
#: connection.info key of the set of tables the connection's transaction wrote (core.dataversion)
WRITTEN_KEY = "yz_written_tables"


def insert_rows(table: Table, rows: list[dict], *, types: dict | None = None) -> None:
    """INSERT the rows (dicts with the same column keys) on the session's connection, inside its
    transaction — the imports' bulk paths: one executemany on SQLite, one COPY on PostgreSQL.

    Each value is bound as SQLAlchemy binds it (the column type's bind processor for this
    dialect, or the type given in `types`), but the statement is compiled once and the rows go
    to the driver as they are: SQLAlchemy's per-row parameter compilation cost ~25 µs a row
    (measured 7.3 s → 6.1 s for 100,000 firms, most of the rest being SQLite's own work).
    PostgreSQL gets the rows through psycopg's COPY FROM STDIN (`cursor.copy`), many times faster
    than an INSERT per row; it is a write like any INSERT (the data version is bumped on commit).
    """
    if not rows:
        return
    conn = db.session.connection()
    dialect = conn.dialect
    keys = list(rows[0])
    types = types or {}
    procs = [(types.get(k) or table.c[k].type).dialect_impl(dialect).bind_processor(dialect) for k in keys]
    if dialect.name == "postgresql":
        _copy_rows(conn, table, keys, procs, rows)
        return
    compiled = insert(table).compile(dialect=dialect, column_keys=keys)
    if compiled.positional:
        order = [keys.index(name) for name in compiled.positiontup]
        keys, procs = [keys[i] for i in order], [procs[i] for i in order]
    if compiled.positional:
        params = [tuple(values) for values in _converted(rows, keys, procs)]
    else:
        params = [dict(zip(keys, values)) for values in _converted(rows, keys, procs)]
    conn.exec_driver_sql(compiled.string, params)


def _converted(rows, keys, procs):
    """Each row's values in `keys` order, through the bind processors (a value bound again — a batch's
    one timestamp — converted once)."""
    convert = [(i, p) for i, p in enumerate(procs) if p is not None]
    last = [(_UNSET, None)] * len(keys)
    pick = itemgetter(*keys) if len(keys) > 1 else (lambda r: (r[keys[0]],))
    for row in rows:
        values = pick(row)
        if convert:
            values = list(values)
            for i, proc in convert:
                value = values[i]
                seen, bound = last[i]
                if value is not seen:
                    bound = proc(value)
                    last[i] = (value, bound)
                values[i] = bound
        yield values


def _copy_rows(conn, table: Table, keys: list, procs: list, rows: list[dict]) -> None:
    """COPY the rows into `table` through psycopg on `conn`'s DBAPI connection (its transaction)."""
    columns = ", ".join(conn.dialect.identifier_preparer.quote(table.c[k].name) for k in keys)
    statement = f"COPY {conn.dialect.identifier_preparer.format_table(table)} ({columns}) FROM STDIN"
    dbapi_error = conn.dialect.loaded_dbapi.Error
    try:
        with conn.connection.dbapi_connection.cursor() as cursor:
            with cursor.copy(statement) as copy:
                write = copy.write_row
                for values in _converted(rows, keys, procs):
                    write(values)
    except dbapi_error as exc:   # as SQLAlchemy raises it for a statement (IntegrityError on a taken code …)
        raise DBAPIError.instance(statement, None, exc, dbapi_error, dialect=conn.dialect) from exc
    # core.dataversion: a COPY is a write to the table (no SQLAlchemy event sees it)
    conn.info.setdefault(WRITTEN_KEY, set()).add(table.name)


REBUILD_INDEXES_FROM = 5000   # rows: below this a bulk insert keeps the table's indexes as they are


@contextmanager
def deferred_indexes(table: Table, incoming: int):
    """Around a bulk insert of `incoming` rows into `table` on the session's connection: on SQLite,
    when the rows are at least as many as the table holds (and REBUILD_INDEXES_FROM or more), drop
    the table's non-unique indexes and build them again once the rows are in.

    Building an index from sorted rows is cheaper than growing it row by row (SQLite's advice for
    bulk loads; measured 100,000 firms: 6.3 s with the 8 indexes kept, 3.5 s dropped and rebuilt).
    Unique indexes stay, so uniqueness is checked row by row as before. SQLite's DDL is part of
    the transaction: a rollback (or a killed process) brings the indexes back as they were. On an
    exception the indexes are not rebuilt — the caller rolls the transaction back.
    PostgreSQL keeps its indexes: DROP INDEX would lock the table against every reader until
    commit.
    """
    conn = db.session.connection()
    dropped = []
    if conn.dialect.name == "sqlite" and incoming >= REBUILD_INDEXES_FROM:
        held = conn.exec_driver_sql(f'SELECT count(*) FROM "{table.name}"').scalar()
        if incoming >= held:
            dropped = conn.exec_driver_sql(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL "
                "AND sql NOT LIKE 'CREATE UNIQUE%'", (table.name,)).all()
            for name, _sql in dropped:
                conn.exec_driver_sql(f'DROP INDEX "{name}"')
    yield
    for _name, sql in dropped:
        conn.exec_driver_sql(sql)


@contextmanager
def pg_planner(**settings: str):
    """PostgreSQL: planner settings (`enable_seqscan="off"`, …) for the statements run inside, on the
    session's connection and transaction, put back as they were on leaving; nothing on SQLite.

    For the few statements whose right plan the planner cannot see from its estimates (registry.firms'
    lookups on a table an import is filling; registry.queries' page of a common search fragment)."""
    conn = db.session.connection()
    if conn.dialect.name != "postgresql" or not settings:
        yield
        return
    names = sorted(settings)
    set_all = ", ".join(f"set_config('{n}', %(v{i})s, true)" for i, n in enumerate(names))
    # one round trip each way: the current values are read before the new ones are set
    was = conn.exec_driver_sql("SELECT " + ", ".join(f"current_setting('{n}')" for n in names) + ", " + set_all,
                               {f"v{i}": settings[n] for i, n in enumerate(names)}).one()[:len(names)]
    # not put back when the block raises: a database error has lost the transaction, and the settings are
    # local to it (another error leaves them until the transaction ends: slower plans at worst)
    yield
    conn.exec_driver_sql("SELECT " + set_all, {f"v{i}": v for i, v in enumerate(was)})


def is_sqlite() -> bool:
    return db.engine.dialect.name == "sqlite"


def refresh_statistics() -> str:
    """Give SQLite's query planner fresh table statistics (ANALYZE; ~0.3 s at 100,000 firms).

    Without them SQLite cannot tell that 3 % of the firms are above scale and joins the wrong
    way round: measured, the roll-up at 100,000 firms took 3.4 s before and 0.85 s after.
    PostgreSQL's autovacuum keeps its own statistics; there this does nothing. Commits.
    """
    if not is_sqlite():
        return "PostgreSQL: statistics are kept by autovacuum"
    db.session.commit()
    with db.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA analysis_limit=2000")
        conn.exec_driver_sql("ANALYZE")
        conn.commit()
    return "ANALYZE done"


def _noop_set(target, value, oldvalue, initiator):
    return value


@event.listens_for(Mapper, "mapper_configured")
def _active_history(mapper, cls) -> None:
    """Load the old value when a column is set on an expired object (e.g. after a commit),
    so the audit trail always records old → new, never None → new."""
    for prop in mapper.column_attrs:
        event.listen(getattr(cls, prop.key), "set", _noop_set, active_history=True, retval=True)
