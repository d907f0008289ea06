"""Audit rows that cover a range of record ids: one row per import of new records.

An import writes one ``insert`` audit row for all the records it adds, naming the table
and the first and last id of the records added (``first_id``, ``last_id``), next to the
import's file, SHA-256, counts, user and time in ``imports``. Updates and deletes keep one
audit row per record. Existing per-record audit rows are left as they are.

Revision ID: 0002
Revises: 0001
Create Date: 2025-06-01
"""

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('audit', schema=None) as batch_op:
        batch_op.add_column(sa.Column('first_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('last_id', sa.Integer(), nullable=True))
        batch_op.create_index('ix_audit_table_ids', ['table_name', 'first_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('audit', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_table_ids')
        batch_op.drop_column('last_id')
        batch_op.drop_column('first_id')
