"""A consensus score names the demo session it was agreed in.

So "this session's consensus is recorded" stays true when a paper checklist
hands in an evaluator's scores afterwards (before, it was inferred from the
times: a consensus later than everyone's submission).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 01:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('consensus_score', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_consensus_score_session_id'), ['session_id'], unique=False)
        batch_op.create_foreign_key('fk_consensus_score_session_id', 'demo_session', ['session_id'], ['id'],
                                    ondelete='SET NULL')


def downgrade() -> None:
    with op.batch_alter_table('consensus_score', schema=None) as batch_op:
        batch_op.drop_constraint('fk_consensus_score_session_id', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_consensus_score_session_id'))
        batch_op.drop_column('session_id')
