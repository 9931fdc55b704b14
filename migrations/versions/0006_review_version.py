"""documents.review_version and documents.reviewed: optimistic concurrency for reviewer actions
(each action carries the version it saw; a stale one is refused), and the policy's criteria
evaluated again on the reviewed field values after a correction

Revision ID: 0006_review_version
Revises: 0005_review_user_disabled
Create Date: 2026-12-02
"""
from alembic import op
import sqlalchemy as sa

revision = "0006_review_version"
down_revision = "0005_review_user_disabled"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("documents") as table:
        table.add_column(sa.Column("review_version", sa.Integer(), nullable=False, server_default="0"))
        table.add_column(sa.Column("reviewed", sa.JSON()))


def downgrade() -> None:
    with op.batch_alter_table("documents") as table:
        table.drop_column("reviewed")
        table.drop_column("review_version")
