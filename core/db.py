"""Database: declarative base with a constraint naming convention, shared column mixins."""
from datetime import datetime, timezone

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import DateTime, ForeignKey, Integer, MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Mapper, declared_attr, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """Timezone-aware now in UTC (a callable default, never evaluated at import)."""
    return datetime.now(timezone.utc)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)


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


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record):
    """SQLite: enforce foreign keys and wait for locks instead of failing at once."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cur = dbapi_connection.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()


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
