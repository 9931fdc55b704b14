"""audit_log.client: from where a packet was read (the requesting client's address), next to who,
when and what (issue 14: every PHI read audited); nullable, rows from before stay NULL

Revision ID: 0010_audit_client
Revises: 0009_determination_missing
Create Date: 2026-12-03
"""
from alembic import op
import sqlalchemy as sa

revision = "0010_audit_client"
down_revision = "0009_determination_missing"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN on both databases (batch mode does not rebuild the table for it), so the
    # append-only triggers of 0002 stay in place and no row is rewritten.
    with op.batch_alter_table("audit_log") as table:
        table.add_column(sa.Column("client", sa.String(64)))


def downgrade() -> None:
    # Not batch mode: on SQLite it would rebuild the table without 0002's append-only triggers.
    # SQLite (3.35 and later) and PostgreSQL both drop a column in place, triggers kept.
    op.drop_column("audit_log", "client")
