"""review_users: consecutive failed sign-ins and a temporary lock

Revision ID: 0003_review_lockout
Revises: 0002_review
Create Date: 2026-11-28
"""
from alembic import op
import sqlalchemy as sa

revision = "0003_review_lockout"
down_revision = "0002_review"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("review_users") as table:
        table.add_column(sa.Column("failed_sign_ins", sa.Integer(), nullable=False, server_default="0"))
        table.add_column(sa.Column("locked_until", sa.DateTime(timezone=True)))


def downgrade() -> None:
    with op.batch_alter_table("review_users") as table:
        table.drop_column("locked_until")
        table.drop_column("failed_sign_ins")
