"""goals: comments per goal and period (goals_comments, 分析与建议); the domain of a data-quality finding

Revision ID: 3c9e1d2a7f40
Revises: 3c9e14d0a7f2
Create Date: 2026-11-29 16:05:00

"""
from alembic import op
import sqlalchemy as sa


revision = '3c9e1d2a7f40'
down_revision = '3c9e14d0a7f2'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('goals_comments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('goal_id', sa.Integer(), nullable=False),
    sa.Column('period', sa.String(length=8), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['goal_id'], ['goals_goals.id'], name=op.f('fk_goals_comments_goal_id_goals_goals')),
    sa.ForeignKeyConstraint(['unit_id'], ['core_units.id'], name=op.f('fk_goals_comments_unit_id_core_units')),
    sa.ForeignKeyConstraint(['author_id'], ['core_users.id'], name=op.f('fk_goals_comments_author_id_core_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_goals_comments')),
    sa.UniqueConstraint('goal_id', 'period', 'unit_id', name=op.f('uq_goals_comments_goal_id_period_unit_id'))
    )
    with op.batch_alter_table('goals_comments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_goals_comments_goal_id'), ['goal_id'], unique=False)
    with op.batch_alter_table('goals_data_quality_issues', schema=None) as batch_op:
        batch_op.add_column(sa.Column('domain', sa.String(length=32), nullable=False, server_default=''))


def downgrade():
    with op.batch_alter_table('goals_data_quality_issues', schema=None) as batch_op:
        batch_op.drop_column('domain')
    with op.batch_alter_table('goals_comments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_goals_comments_goal_id'))
    op.drop_table('goals_comments')
