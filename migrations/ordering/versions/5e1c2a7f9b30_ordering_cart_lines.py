"""ordering cart lines (the server-side cart of the web UI)

Revision ID: 5e1c2a7f9b30
Revises: 4a7ec62fbd8d
Create Date: 2026-12-02 02:45:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '5e1c2a7f9b30'
down_revision = '4a7ec62fbd8d'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('ordering_cart_lines',
    sa.Column('user_index', sa.String(length=64), nullable=False),
    sa.Column('product_id', sa.String(length=36), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('added_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('user_index', 'product_id')
    )


def downgrade():
    op.drop_table('ordering_cart_lines')
