"""registry: to-dos of applied reconciliations (list rows without a firm or a valid credit code)

Revision ID: 3c9e14d0a7f2
Revises: 7b5a6bbdef4a
Create Date: 2026-11-29 16:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3c9e14d0a7f2'
down_revision = '7b5a6bbdef4a'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('registry_reconcile_todos',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('pool_id', sa.Integer(), nullable=False),
    sa.Column('import_batch_id', sa.Integer(), nullable=True),
    sa.Column('list_name', sa.Text(), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('line', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('raw', sa.Text(), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('firm_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolved_by_id', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['firm_id'], ['registry_firms.id'], name=op.f('fk_registry_reconcile_todos_firm_id_registry_firms')),
    sa.ForeignKeyConstraint(['pool_id'], ['registry_pools.id'], name=op.f('fk_registry_reconcile_todos_pool_id_registry_pools')),
    sa.ForeignKeyConstraint(['resolved_by_id'], ['core_users.id'], name=op.f('fk_registry_reconcile_todos_resolved_by_id_core_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_registry_reconcile_todos'))
    )
    with op.batch_alter_table('registry_reconcile_todos', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_registry_reconcile_todos_import_batch_id'), ['import_batch_id'], unique=False)
        batch_op.create_index('ix_registry_reconcile_todos_pool_status', ['pool_id', 'status'], unique=False)


def downgrade():
    with op.batch_alter_table('registry_reconcile_todos', schema=None) as batch_op:
        batch_op.drop_index('ix_registry_reconcile_todos_pool_status')
        batch_op.drop_index(batch_op.f('ix_registry_reconcile_todos_import_batch_id'))

    op.drop_table('registry_reconcile_todos')
