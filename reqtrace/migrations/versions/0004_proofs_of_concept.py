"""Proofs of concept: scripts, issues to vendors, demo sessions, checklists, consensus, probes.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 19:16:01.154845
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('poc_script',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('baseline', sa.String(length=80), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('introduction', sa.Text(), nullable=False),
    sa.Column('sample_data', sa.Text(), nullable=False),
    sa.Column('change_note', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=80), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('project_id', 'version', name='uq_poc_script_version')
    )
    with op.batch_alter_table('poc_script', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_poc_script_project_id'), ['project_id'], unique=False)

    op.create_table('consensus_score',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('vendor_id', sa.Integer(), nullable=False),
    sa.Column('requirement', sa.String(length=40), nullable=False),
    sa.Column('step', sa.String(length=40), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_by', sa.String(length=80), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], ),
    sa.ForeignKeyConstraint(['vendor_id'], ['vendor.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('consensus_score', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consensus_score_project_id'), ['project_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_consensus_score_vendor_id'), ['vendor_id'], unique=False)

    op.create_table('demo_session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('vendor_id', sa.Integer(), nullable=False),
    sa.Column('script_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('scheduled_for', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=80), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], ),
    sa.ForeignKeyConstraint(['script_id'], ['poc_script.id'], ),
    sa.ForeignKeyConstraint(['vendor_id'], ['vendor.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('demo_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_demo_session_project_id'), ['project_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_demo_session_script_id'), ['script_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_demo_session_vendor_id'), ['vendor_id'], unique=False)

    op.create_table('poc_scenario',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('script_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=40), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('narrative', sa.Text(), nullable=False),
    sa.Column('process', sa.String(length=40), nullable=False),
    sa.Column('roles', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['script_id'], ['poc_script.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('poc_scenario', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_poc_scenario_script_id'), ['script_id'], unique=False)

    op.create_table('poc_script_issue',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('script_id', sa.Integer(), nullable=False),
    sa.Column('vendor_id', sa.Integer(), nullable=False),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('issued_by', sa.String(length=80), nullable=False),
    sa.Column('fingerprints', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], ),
    sa.ForeignKeyConstraint(['script_id'], ['poc_script.id'], ),
    sa.ForeignKeyConstraint(['vendor_id'], ['vendor.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('poc_script_issue', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_poc_script_issue_project_id'), ['project_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_poc_script_issue_script_id'), ['script_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_poc_script_issue_vendor_id'), ['vendor_id'], unique=False)

    op.create_table('poc_step',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('script_id', sa.Integer(), nullable=False),
    sa.Column('scenario_key', sa.String(length=40), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('hid', sa.String(length=40), nullable=False),
    sa.Column('instruction', sa.Text(), nullable=False),
    sa.Column('expected', sa.Text(), nullable=False),
    sa.Column('timebox_minutes', sa.Integer(), nullable=False),
    sa.Column('requirements', sa.JSON(), nullable=False),
    sa.Column('action', sa.String(length=80), nullable=False),
    sa.ForeignKeyConstraint(['script_id'], ['poc_script.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('script_id', 'hid', name='uq_poc_step_hid')
    )
    with op.batch_alter_table('poc_step', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_poc_step_script_id'), ['script_id'], unique=False)

    op.create_table('probe_result',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('vendor_id', sa.Integer(), nullable=False),
    sa.Column('probe', sa.String(length=40), nullable=False),
    sa.Column('url', sa.String(length=500), nullable=False),
    sa.Column('passed', sa.Boolean(), nullable=False),
    sa.Column('requirements', sa.JSON(), nullable=False),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.Column('evidence', sa.JSON(), nullable=False),
    sa.Column('run_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('run_by', sa.String(length=80), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], ),
    sa.ForeignKeyConstraint(['vendor_id'], ['vendor.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('probe_result', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_probe_result_project_id'), ['project_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_probe_result_vendor_id'), ['vendor_id'], unique=False)

    op.create_table('checklist_result',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('step', sa.String(length=40), nullable=False),
    sa.Column('evaluator', sa.String(length=80), nullable=False),
    sa.Column('verdict', sa.String(length=20), nullable=False),
    sa.Column('score', sa.Float(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('client_id', sa.String(length=64), nullable=False),
    sa.Column('corrects', sa.Integer(), nullable=True),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.ForeignKeyConstraint(['corrects'], ['checklist_result.id'], ),
    sa.ForeignKeyConstraint(['session_id'], ['demo_session.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('client_id')
    )
    with op.batch_alter_table('checklist_result', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_checklist_result_evaluator'), ['evaluator'], unique=False)
        batch_op.create_index(batch_op.f('ix_checklist_result_session_id'), ['session_id'], unique=False)

    op.create_table('demo_session_attendee',
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=80), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['session_id'], ['demo_session.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('session_id', 'username')
    )


def downgrade() -> None:
    op.drop_table('demo_session_attendee')
    with op.batch_alter_table('checklist_result', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_checklist_result_session_id'))
        batch_op.drop_index(batch_op.f('ix_checklist_result_evaluator'))

    op.drop_table('checklist_result')
    with op.batch_alter_table('probe_result', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_probe_result_vendor_id'))
        batch_op.drop_index(batch_op.f('ix_probe_result_project_id'))

    op.drop_table('probe_result')
    with op.batch_alter_table('poc_step', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_poc_step_script_id'))

    op.drop_table('poc_step')
    with op.batch_alter_table('poc_script_issue', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_poc_script_issue_vendor_id'))
        batch_op.drop_index(batch_op.f('ix_poc_script_issue_script_id'))
        batch_op.drop_index(batch_op.f('ix_poc_script_issue_project_id'))

    op.drop_table('poc_script_issue')
    with op.batch_alter_table('poc_scenario', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_poc_scenario_script_id'))

    op.drop_table('poc_scenario')
    with op.batch_alter_table('demo_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_demo_session_vendor_id'))
        batch_op.drop_index(batch_op.f('ix_demo_session_script_id'))
        batch_op.drop_index(batch_op.f('ix_demo_session_project_id'))

    op.drop_table('demo_session')
    with op.batch_alter_table('consensus_score', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consensus_score_vendor_id'))
        batch_op.drop_index(batch_op.f('ix_consensus_score_project_id'))

    op.drop_table('consensus_score')
    with op.batch_alter_table('poc_script', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_poc_script_project_id'))

    op.drop_table('poc_script')
