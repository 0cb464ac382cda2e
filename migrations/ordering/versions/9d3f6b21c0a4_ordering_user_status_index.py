"""ordering: index of a user's orders by status (the pending-units cap)

Revision ID: 9d3f6b21c0a4
Revises: 5e1c2a7f9b30
Create Date: 2026-12-02 06:40:00.000000
"""
from alembic import op


revision = '9d3f6b21c0a4'
down_revision = '5e1c2a7f9b30'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('ordering_orders', schema=None) as batch_op:
        batch_op.create_index('ix_ordering_orders_user_status', ['user_index', 'status'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('ordering_orders', schema=None) as batch_op:
        batch_op.drop_index('ix_ordering_orders_user_status')
