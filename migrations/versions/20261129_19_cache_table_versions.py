"""core table versions: one row per written table, bumped by each committing transaction that wrote it
(core.dataversion: cached figures key on the versions of the tables they read)

Revision ID: 7c3e51b0a9d2
Revises: 5b8d2e61c0a4
Create Date: 2026-11-29 19:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7c3e51b0a9d2'
down_revision = '5b8d2e61c0a4'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('core_table_versions',
                    sa.Column('name', sa.String(length=64), nullable=False),
                    sa.Column('version', sa.BigInteger(), nullable=False),
                    sa.PrimaryKeyConstraint('name', name=op.f('pk_core_table_versions')))


def downgrade():
    op.drop_table('core_table_versions')
