"""indicators: result_stats cache of per school × procedure statistics replaces the unused indicator_value

Revision ID: 0003_result_stats
Revises: 0002_regional_server
Create Date: 2026-11-23 20:30:00

Existing results get a stale cache row per school × procedure (data NULL); the first indicator
computation fills them from the results.
"""
from alembic import op
import sqlalchemy as sa


revision = '0003_result_stats'
down_revision = '0002_regional_server'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('result_stats',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('procedure_id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('generation', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('rows', sa.Integer(), nullable=True),
    sa.Column('classes', sa.Text(), nullable=True),
    sa.Column('data', sa.LargeBinary(), nullable=True),
    sa.Column('computed_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['procedure_id'], ['procedure.id'], name=op.f('fk_result_stats_procedure_id_procedure'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['school_id'], ['organization.id'], name=op.f('fk_result_stats_school_id_organization'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_result_stats')),
    sa.UniqueConstraint('procedure_id', 'school_id', name=op.f('uq_result_stats_procedure_id_school_id'))
    )
    with op.batch_alter_table('result_stats', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_result_stats_school_id'), ['school_id'], unique=False)
    op.execute("INSERT INTO result_stats (procedure_id, school_id, generation) "
               "SELECT DISTINCT procedure_id, school_id, 1 FROM participant_result")
    with op.batch_alter_table('indicator_value', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_indicator_value_procedure_id'))
        batch_op.drop_index(batch_op.f('ix_indicator_value_org_id'))
    op.drop_table('indicator_value')


def downgrade() -> None:
    op.create_table('indicator_value',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=100), nullable=False),
    sa.Column('level', sa.String(length=20), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('procedure_id', sa.Integer(), nullable=True),
    sa.Column('class_letter', sa.String(length=20), nullable=True),
    sa.Column('period', sa.String(length=20), nullable=True),
    sa.Column('value', sa.Float(), nullable=True),
    sa.Column('n', sa.Integer(), nullable=True),
    sa.Column('definition_version', sa.String(length=64), nullable=False),
    sa.Column('computed_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organization.id'], name=op.f('fk_indicator_value_org_id_organization'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['procedure_id'], ['procedure.id'], name=op.f('fk_indicator_value_procedure_id_procedure'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_indicator_value')),
    sa.UniqueConstraint('key', 'level', 'org_id', 'procedure_id', 'class_letter', 'definition_version', name=op.f('uq_indicator_value_key_level_org_id_procedure_id_class_letter_definition_version'))
    )
    with op.batch_alter_table('indicator_value', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_indicator_value_org_id'), ['org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_indicator_value_procedure_id'), ['procedure_id'], unique=False)
    with op.batch_alter_table('result_stats', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_result_stats_school_id'))
    op.drop_table('result_stats')
