"""documents.claimed_by and documents.claimed_until: a reviewer's claim on a packet, so two
reviewers do not work one packet unknowingly (intake/review/claims.py)

Revision ID: 0008_review_claim
Revises: 0007_outbox
Create Date: 2026-12-02
"""
from alembic import op
import sqlalchemy as sa

revision = "0008_review_claim"
down_revision = "0007_outbox"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("documents") as table:
        table.add_column(sa.Column("claimed_by", sa.String(100)))
        table.add_column(sa.Column("claimed_until", sa.DateTime(timezone=True)))


def downgrade() -> None:
    with op.batch_alter_table("documents") as table:
        table.drop_column("claimed_until")
        table.drop_column("claimed_by")
