"""documents.policy_requested: the policy an upload (or a reviewer) asked to judge the packet by

Revision ID: 0004_policy_requested
Revises: 0003_review_lockout
Create Date: 2026-12-02
"""
from alembic import op
import sqlalchemy as sa

revision = "0004_policy_requested"
down_revision = "0003_review_lockout"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("documents") as table:
        table.add_column(sa.Column("policy_requested", sa.String(100)))
        table.add_column(sa.Column("policy_requested_by", sa.String(20)))


def downgrade() -> None:
    with op.batch_alter_table("documents") as table:
        table.drop_column("policy_requested_by")
        table.drop_column("policy_requested")
