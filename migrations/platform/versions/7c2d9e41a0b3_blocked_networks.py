"""blocked networks: IPs and CIDR ranges refused at the edge

Revision ID: 7c2d9e41a0b3
Revises: cb81e984d853
Create Date: 2026-12-02 02:50:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '7c2d9e41a0b3'
down_revision = 'cb81e984d853'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('platform_blocked_networks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('network', sa.String(length=64), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('network')
    )
    with op.batch_alter_table('platform_blocked_networks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_platform_blocked_networks_expires_at'), ['expires_at'], unique=False)


def downgrade():
    with op.batch_alter_table('platform_blocked_networks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_platform_blocked_networks_expires_at'))

    op.drop_table('platform_blocked_networks')
