"""core shared values: cached page parts (the dashboard's figures, the goals API's body) kept for every
app process, with the table versions they were computed at (core.dataversion, shared=True)

Revision ID: 3e7b9c2d4f15
Revises: 9d4f1a2b6c83
Create Date: 2026-11-30 06:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3e7b9c2d4f15'
down_revision = '9d4f1a2b6c83'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('core_shared_values',
                    sa.Column('name', sa.String(length=64), nullable=False),
                    sa.Column('stamp', sa.Text(), nullable=False),
                    sa.Column('value', sa.Text(), nullable=False),
                    sa.Column('markup', sa.Boolean(), nullable=False),
                    sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
                    sa.PrimaryKeyConstraint('name', name=op.f('pk_core_shared_values')))


def downgrade():
    op.drop_table('core_shared_values')
