"""Photos and screenshots attached to checklist steps.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 20:09:58.026878
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('checklist_attachment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('step', sa.String(length=40), nullable=False),
    sa.Column('evaluator', sa.String(length=80), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('content_type', sa.String(length=40), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('stored_as', sa.String(length=300), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['session_id'], ['demo_session.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('checklist_attachment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_checklist_attachment_session_id'), ['session_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('checklist_attachment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_checklist_attachment_session_id'))

    op.drop_table('checklist_attachment')
