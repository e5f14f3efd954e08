"""regional server: a package is imported once (partial unique index on package_log)

Revision ID: 0002_regional_server
Revises: 0001
Create Date: 2026-11-23 18:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0002_regional_server'
down_revision = '0001'
branch_labels = None
depends_on = None

WHERE = "direction = 'import' AND result = 'ok'"


def upgrade() -> None:
    with op.batch_alter_table('package_log', schema=None) as batch_op:
        batch_op.create_index('uq_package_log_imported_package_id', ['package_id'], unique=True,
                              sqlite_where=sa.text(WHERE), postgresql_where=sa.text(WHERE))


def downgrade() -> None:
    with op.batch_alter_table('package_log', schema=None) as batch_op:
        batch_op.drop_index('uq_package_log_imported_package_id')
