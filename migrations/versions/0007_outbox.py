"""outbox_events (determination callbacks, written in the deciding transaction) and
api_keys.callback_secret (the per-key HMAC secret that signs them)

Revision ID: 0007_outbox
Revises: 0006_review_version
Create Date: 2026-12-02
"""
from alembic import op
import sqlalchemy as sa

revision = "0007_outbox"
down_revision = "0006_review_version"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("api_keys") as table:
        table.add_column(sa.Column("callback_secret", sa.String(100)))
    op.create_table(
        "outbox_events",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("event_id", sa.String(36), nullable=False, unique=True),
        sa.Column("document_id", sa.String(36), sa.ForeignKey("documents.id", ondelete="CASCADE"),
                  nullable=False, index=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True)),
        sa.Column("claimed_until", sa.DateTime(timezone=True)),
        sa.Column("last_error", sa.Text()),
        sa.Column("last_status", sa.Integer()),
        sa.Column("delivered_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_outbox_events_state_due", "outbox_events", ["state", "next_attempt_at"])


def downgrade() -> None:
    op.drop_index("ix_outbox_events_state_due", table_name="outbox_events")
    op.drop_table("outbox_events")
    with op.batch_alter_table("api_keys") as table:
        table.drop_column("callback_secret")
