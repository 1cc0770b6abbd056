"""registry: the firm search's short-fragment index — registry_firm_grams (gram, firm_id), every two
characters of name, former_names and uscc (ASCII lower-cased) and each one's last character, kept by
triggers on registry_firms on both databases, filled here for the existing firms (registry/search.py)

Revision ID: 5b8d2e61c0a4
Revises: 3e9c4a7d21f6
Create Date: 2026-11-29 19:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '5b8d2e61c0a4'
down_revision = '3e9c4a7d21f6'
branch_labels = None
depends_on = None

GRAMS = "registry_firm_grams"
UPPER, LOWER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz"


def _sqlite_grams(row: str) -> str:
    # one row per character of each column: json_each over "[0,0,…]" (triggers refuse a CTE)
    return (f"SELECT substr(t.v, p.key + 1, 2) AS gram, {row}.id AS firm_id FROM (SELECT lower({row}.name) AS v "
            f"UNION ALL SELECT lower({row}.former_names) UNION ALL SELECT lower({row}.uscc)) AS t, "
            "json_each('[' || rtrim(replace(hex(zeroblob(length(t.v))), '00', '0,'), ',') || ']') AS p "
            "WHERE t.v <> ''")


def _pg_grams(row: str) -> str:
    return (f"SELECT DISTINCT substr(v, i, 2) AS gram FROM unnest(ARRAY[translate({row}.name, '{UPPER}', '{LOWER}'), "
            f"translate({row}.former_names, '{UPPER}', '{LOWER}'), lower({row}.uscc)]) AS t(v), "
            "generate_series(1, length(v)) AS i")


_INSERT = f"INSERT OR IGNORE INTO {GRAMS}(gram, firm_id) {_sqlite_grams('new')}; "
_DELETE = f"DELETE FROM {GRAMS} WHERE firm_id = old.id AND gram IN (SELECT gram FROM ({_sqlite_grams('old')})); "
SQLITE_DDL = (
    f"CREATE TRIGGER IF NOT EXISTS {GRAMS}_ai AFTER INSERT ON registry_firms BEGIN {_INSERT}END",
    f"CREATE TRIGGER IF NOT EXISTS {GRAMS}_ad AFTER DELETE ON registry_firms BEGIN {_DELETE}END",
    f"CREATE TRIGGER IF NOT EXISTS {GRAMS}_au AFTER UPDATE OF name, former_names, uscc ON registry_firms "
    f"BEGIN {_DELETE}{_INSERT}END",
    f"INSERT OR IGNORE INTO {GRAMS}(gram, firm_id) SELECT substr(t.v, p.key + 1, 2), t.id FROM "
    "(SELECT id, lower(name) AS v FROM registry_firms UNION ALL SELECT id, lower(former_names) FROM registry_firms "
    "UNION ALL SELECT id, lower(uscc) FROM registry_firms) AS t, "
    "json_each('[' || rtrim(replace(hex(zeroblob(length(t.v))), '00', '0,'), ',') || ']') AS p WHERE t.v <> ''",
)
PG_DDL = (
    f"CREATE OR REPLACE FUNCTION {GRAMS}_sync() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    f"IF TG_OP <> 'INSERT' THEN DELETE FROM {GRAMS} WHERE firm_id = OLD.id AND gram IN ({_pg_grams('OLD')}); END IF; "
    f"IF TG_OP <> 'DELETE' THEN INSERT INTO {GRAMS}(gram, firm_id) SELECT gram, NEW.id FROM ({_pg_grams('NEW')}) AS g "
    "ON CONFLICT DO NOTHING; END IF; RETURN NULL; END $$",
    f"DROP TRIGGER IF EXISTS {GRAMS}_sync ON registry_firms",
    f"CREATE TRIGGER {GRAMS}_sync AFTER INSERT OR DELETE OR UPDATE OF name, former_names, uscc ON registry_firms "
    f"FOR EACH ROW EXECUTE FUNCTION {GRAMS}_sync()",
    f"INSERT INTO {GRAMS}(gram, firm_id) SELECT DISTINCT g.gram, f.id FROM registry_firms AS f, "
    f"LATERAL ({_pg_grams('f')}) AS g ON CONFLICT DO NOTHING",
)


def upgrade():
    op.create_table(
        GRAMS,
        sa.Column('gram', sa.String(2).with_variant(sa.String(2, collation="C"), "postgresql"), nullable=False),
        sa.Column('firm_id', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('gram', 'firm_id', name='pk_registry_firm_grams'),
        sqlite_with_rowid=False,
    )
    bind = op.get_bind()
    for stmt in SQLITE_DDL if bind.dialect.name == "sqlite" else PG_DDL if bind.dialect.name == "postgresql" else ():
        bind.execute(sa.text(stmt))


def downgrade():
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for suffix in ("ai", "ad", "au"):
            bind.execute(sa.text(f"DROP TRIGGER IF EXISTS {GRAMS}_{suffix}"))
    elif bind.dialect.name == "postgresql":
        bind.execute(sa.text(f"DROP TRIGGER IF EXISTS {GRAMS}_sync ON registry_firms"))
        bind.execute(sa.text(f"DROP FUNCTION IF EXISTS {GRAMS}_sync()"))
    op.drop_table(GRAMS)
