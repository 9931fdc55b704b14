"""review_users.disabled_at: an account an administrator disabled (`intake users disable`)

Revision ID: 0005_review_user_disabled
Revises: 0004_policy_requested
Create Date: 2026-12-04
"""
from alembic import op
import sqlalchemy as sa

revision = "0005_review_user_disabled"
down_revision = "0004_policy_requested"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("review_users") as table:
        table.add_column(sa.Column("disabled_at", sa.DateTime(timezone=True)))


def downgrade() -> None:
    with op.batch_alter_table("review_users") as table:
        table.drop_column("disabled_at")
