"""registry: on PostgreSQL, a partial covering index of the firms the fact sums read (registry.metrics:
live firms above scale or in a plan sector, with the columns the sums use), so that a year's sums read
the index instead of scanning the firm table

Revision ID: 9d4f1a2b6c83
Revises: 7c3e51b0a9d2
Create Date: 2026-11-30 03:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '9d4f1a2b6c83'
down_revision = '7c3e51b0a9d2'
branch_labels = None
depends_on = None

INDEX = "ix_registry_firms_figures"


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        bind.execute(sa.text(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON registry_firms (id) "
            "INCLUDE (archived_at, plan_sector, above_scale, high_tech, industry_code) "
            "WHERE archived_at IS NULL AND (above_scale IS true OR plan_sector IS NOT NULL)"))


def downgrade():
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        bind.execute(sa.text(f"DROP INDEX IF EXISTS {INDEX}"))
