"""identity recent authentications

Revision ID: 5d2e8c41f0a7
Revises: ccac4f052454
Create Date: 2026-12-02 07:45:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '5d2e8c41f0a7'
down_revision = 'ccac4f052454'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('identity_recent_authentications',
    sa.Column('session_id', sa.String(length=32), nullable=False),
    sa.Column('user_id', sa.String(length=36), nullable=False),
    sa.Column('verified_at', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['identity_users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('session_id')
    )
    with op.batch_alter_table('identity_recent_authentications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_identity_recent_authentications_user_id'), ['user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_identity_recent_authentications_verified_at'), ['verified_at'], unique=False)


def downgrade():
    with op.batch_alter_table('identity_recent_authentications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_identity_recent_authentications_verified_at'))
        batch_op.drop_index(batch_op.f('ix_identity_recent_authentications_user_id'))

    op.drop_table('identity_recent_authentications')
