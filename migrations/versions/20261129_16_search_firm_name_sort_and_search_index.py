"""registry: firms' pinyin sort key (name_sort, filled for existing rows), and the firm search's
trigram index — an FTS5 table kept by triggers on SQLite, pg_trgm GIN indexes on PostgreSQL

Without FTS5's trigram tokenizer (SQLite older than 3.34) or the pg_trgm extension (not installed,
or no right to create it) the index is left out with a warning: the search gives the same answers
on a scan (registry/search.py).

Revision ID: 3e9c4a7d21f6
Revises: 3c9e1f0a7d21
Create Date: 2026-11-29 16:00:00

"""
import logging
import sqlite3

from alembic import op
import sqlalchemy as sa

# core.pinyin is a pure function of the name (no model): the backfill computes the key the app would.
from core.pinyin import sort_key


revision = '3e9c4a7d21f6'
down_revision = '3c9e1f0a7d21'
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")
FTS = "registry_firms_fts"
COLUMNS = ("name", "former_names", "uscc")
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
    f"INSERT INTO {FTS}({FTS}) VALUES ('rebuild')",
)


def upgrade():
    bind = op.get_bind()
    key_type = sa.String(1024).with_variant(sa.String(1024, collation="C"), "postgresql")
    with op.batch_alter_table('registry_firms', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name_sort', key_type, server_default='', nullable=False))
    rows = bind.execute(sa.text("SELECT id, name FROM registry_firms")).all()
    if rows:
        bind.execute(sa.text("UPDATE registry_firms SET name_sort = :key WHERE id = :id"),
                     [{"id": i, "key": sort_key(name)} for i, name in rows])
    with op.batch_alter_table('registry_firms', schema=None) as batch_op:
        batch_op.drop_index('ix_registry_firms_live_name')
        batch_op.create_index('ix_registry_firms_live_name_sort', ['archived_at', 'name_sort'], unique=False)
    if bind.dialect.name == "sqlite":
        _sqlite_index(bind)
    elif bind.dialect.name == "postgresql":
        _pg_index(bind)


def _sqlite_index(bind):
    version = tuple(int(x) for x in sqlite3.sqlite_version.split("."))
    if version < (3, 34) or not bind.scalar(sa.text("SELECT sqlite_compileoption_used('ENABLE_FTS5')")):
        log.warning("SQLite without FTS5 trigram (needs 3.34+): firm search falls back to LIKE on a scan")
        return
    for stmt in SQLITE_DDL:
        bind.execute(sa.text(stmt))


def _pg_index(bind):
    try:
        with bind.begin_nested():
            bind.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
            schema = bind.scalar(sa.text("SELECT extnamespace::regnamespace::text FROM pg_extension "
                                         "WHERE extname = 'pg_trgm'"))
            for col in COLUMNS:
                bind.execute(sa.text(f"CREATE INDEX IF NOT EXISTS ix_registry_firms_{col}_trgm ON registry_firms "
                                     f"USING gin ({col} {schema}.gin_trgm_ops)"))
    except sa.exc.DBAPIError as exc:
        log.warning("pg_trgm not available (%s): firm search falls back to LIKE on a scan", exc)


def downgrade():
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for suffix in ("ai", "ad", "au"):
            bind.execute(sa.text(f"DROP TRIGGER IF EXISTS {FTS}_{suffix}"))
        bind.execute(sa.text(f"DROP TABLE IF EXISTS {FTS}"))
    elif bind.dialect.name == "postgresql":
        for col in COLUMNS:
            bind.execute(sa.text(f"DROP INDEX IF EXISTS ix_registry_firms_{col}_trgm"))
    with op.batch_alter_table('registry_firms', schema=None) as batch_op:
        batch_op.drop_index('ix_registry_firms_live_name_sort')
        batch_op.create_index('ix_registry_firms_live_name', ['archived_at', 'name'], unique=False)
        batch_op.drop_column('name_sort')
