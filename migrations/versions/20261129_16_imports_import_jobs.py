"""core: web import jobs (core_import_jobs): preview and commit run off the request, with progress

Revision ID: 3c9e1f0a7d21
Revises: 3c9e1d2a7f40
Create Date: 2026-11-29 16:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3c9e1f0a7d21'
down_revision = '3c9e1d2a7f40'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('core_import_jobs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=48), nullable=False),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('skip_invalid', sa.Boolean(), nullable=False),
    sa.Column('locale', sa.String(length=8), nullable=False),
    sa.Column('preview_id', sa.Integer(), nullable=True),
    sa.Column('phase', sa.String(length=16), nullable=False),
    sa.Column('rows_total', sa.Integer(), nullable=False),
    sa.Column('rows_read', sa.Integer(), nullable=False),
    sa.Column('rows_validated', sa.Integer(), nullable=False),
    sa.Column('rows_written', sa.Integer(), nullable=False),
    sa.Column('result', sa.JSON(), nullable=False),
    sa.Column('error', sa.Text(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('runner', sa.String(length=120), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('heartbeat_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['owner_id'], ['core_users.id'], name=op.f('fk_core_import_jobs_owner_id_core_users')),
    sa.ForeignKeyConstraint(['preview_id'], ['core_import_jobs.id'], name=op.f('fk_core_import_jobs_preview_id_core_import_jobs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_core_import_jobs'))
    )
    with op.batch_alter_table('core_import_jobs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_core_import_jobs_owner_id'), ['owner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_core_import_jobs_state'), ['state'], unique=False)


def downgrade():
    with op.batch_alter_table('core_import_jobs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_core_import_jobs_state'))
        batch_op.drop_index(batch_op.f('ix_core_import_jobs_owner_id'))
    op.drop_table('core_import_jobs')
