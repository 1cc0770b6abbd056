"""core data version: one row every committed write bumps (caches of computed figures key on it)

Revision ID: 5d1a7e0c2b9f
Revises: 28a3d466474e
Create Date: 2026-11-29 13:00:00

"""
import uuid

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5d1a7e0c2b9f'
down_revision = '28a3d466474e'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('core_data_version',
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('version', sa.BigInteger(), nullable=False),
                    sa.Column('token', sa.String(length=32), nullable=False),
                    sa.PrimaryKeyConstraint('id', name=op.f('pk_core_data_version')))
    op.execute(f"INSERT INTO core_data_version (id, version, token) VALUES (1, 0, '{uuid.uuid4().hex}')")


def downgrade():
    op.drop_table('core_data_version')
