"""determinations.missing: what a reviewer requested when pending a packet for more information
(intake/review/pend.py); documents may now be in status "pended" (a String column, no change)

Revision ID: 0009_determination_missing
Revises: 0008_review_claim
Create Date: 2026-12-02
"""
from alembic import op
import sqlalchemy as sa

revision = "0009_determination_missing"
down_revision = "0008_review_claim"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("determinations") as table:
        table.add_column(sa.Column("missing", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("determinations") as table:
        table.drop_column("missing")
