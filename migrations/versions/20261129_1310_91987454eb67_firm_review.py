"""registry firms: the unit that registered a firm, and 区经信局's review of firms other units registered

Revision ID: 91987454eb67
Revises: 221b65239e10
Create Date: 2026-11-29 12:41:45.982522

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '91987454eb67'
down_revision = '221b65239e10'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('registry_firms', schema=None) as batch_op:
        batch_op.add_column(sa.Column('created_by_unit', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('needs_review', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('reviewed_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_registry_firms_reviewed_by_id_core_users'), 'core_users', ['reviewed_by_id'], ['id'])


def downgrade():
    with op.batch_alter_table('registry_firms', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_registry_firms_reviewed_by_id_core_users'), type_='foreignkey')
        batch_op.drop_column('reviewed_by_id')
        batch_op.drop_column('reviewed_at')
        batch_op.drop_column('needs_review')
        batch_op.drop_column('created_by_unit')
