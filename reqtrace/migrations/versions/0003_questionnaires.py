"""Questionnaires issued to vendors, and their answers.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 18:58:38.568424
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('questionnaire_issue',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('vendor_id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=40), nullable=False),
    sa.Column('baseline', sa.String(length=80), nullable=False),
    sa.Column('checksum', sa.String(length=64), nullable=False),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('issued_by', sa.String(length=80), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], ),
    sa.ForeignKeyConstraint(['vendor_id'], ['vendor.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('questionnaire_issue', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_questionnaire_issue_project_id'), ['project_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_questionnaire_issue_token'), ['token'], unique=True)
        batch_op.create_index(batch_op.f('ix_questionnaire_issue_vendor_id'), ['vendor_id'], unique=False)

    op.create_table('vendor_response',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('vendor_id', sa.Integer(), nullable=False),
    sa.Column('requirement_id', sa.Integer(), nullable=False),
    sa.Column('issue_id', sa.Integer(), nullable=True),
    sa.Column('answer', sa.String(length=30), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('demonstration', sa.Text(), nullable=False),
    sa.Column('imported_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('imported_by', sa.String(length=80), nullable=False),
    sa.ForeignKeyConstraint(['issue_id'], ['questionnaire_issue.id'], ),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], ),
    sa.ForeignKeyConstraint(['requirement_id'], ['requirement.id'], ),
    sa.ForeignKeyConstraint(['vendor_id'], ['vendor.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('vendor_id', 'requirement_id', name='uq_vendor_response')
    )
    with op.batch_alter_table('vendor_response', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_vendor_response_project_id'), ['project_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_vendor_response_requirement_id'), ['requirement_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_vendor_response_vendor_id'), ['vendor_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('vendor_response', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_vendor_response_vendor_id'))
        batch_op.drop_index(batch_op.f('ix_vendor_response_requirement_id'))
        batch_op.drop_index(batch_op.f('ix_vendor_response_project_id'))

    op.drop_table('vendor_response')
    with op.batch_alter_table('questionnaire_issue', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_questionnaire_issue_vendor_id'))
        batch_op.drop_index(batch_op.f('ix_questionnaire_issue_token'))
        batch_op.drop_index(batch_op.f('ix_questionnaire_issue_project_id'))

    op.drop_table('questionnaire_issue')
