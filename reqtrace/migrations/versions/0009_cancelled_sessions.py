"""A demo session scheduled by mistake is cancelled, not deleted, so its id is never reused.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 05:40:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('demo_session', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('demo_session', schema=None) as batch_op:
        batch_op.drop_column('cancelled_at')
