"""Failed passwords are counted in the database, so every worker of a server sees the same count.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 04:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('login_guess',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('address', sa.String(length=100), nullable=False),
    sa.Column('username', sa.String(length=200), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('login_guess', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_login_guess_address'), ['address'], unique=False)
        batch_op.create_index(batch_op.f('ix_login_guess_username'), ['username'], unique=False)
        batch_op.create_index(batch_op.f('ix_login_guess_at'), ['at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('login_guess', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_login_guess_at'))
        batch_op.drop_index(batch_op.f('ix_login_guess_username'))
        batch_op.drop_index(batch_op.f('ix_login_guess_address'))

    op.drop_table('login_guess')
