"""documents, document_pages, api_keys, events

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""
from alembic import op
import sqlalchemy as sa

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _ts(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "api_keys",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False, unique=True),
        _ts("created_at", nullable=False),
        sa.Column("revoked", sa.Boolean(), nullable=False),
    )
    op.create_table(
        "documents",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("dedup_key", sa.String(64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("media_type", sa.String(100), nullable=False),
        sa.Column("page_count", sa.Integer()),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("error_code", sa.String(64)),
        sa.Column("error_message", sa.Text()),
        sa.Column("source", sa.String(200)),
        sa.Column("fax_from", sa.String(64)),
        sa.Column("idempotency_key", sa.String(200)),
        sa.Column("callback_url", sa.String(2000)),
        sa.Column("api_key_id", sa.String(36), sa.ForeignKey("api_keys.id"), nullable=False),
        sa.Column("expedited", sa.Boolean(), nullable=False),
        _ts("received_at", nullable=False),
        _ts("queued_at"),
        _ts("started_at"),
        _ts("finished_at"),
        _ts("updated_at", nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _ts("analysis_requested_at"),
        sa.Column("lease_owner", sa.String(64)),
        _ts("lease_until"),
        sa.Column("recommendation", sa.String(64)),
        sa.Column("result", sa.JSON()),
        sa.UniqueConstraint("api_key_id", "idempotency_key", name="uq_documents_key_idempotency"),
        sa.UniqueConstraint("api_key_id", "dedup_key", name="uq_documents_key_dedup"),
    )
    op.create_index("ix_documents_status_received", "documents", ["status", "received_at"])
    op.create_index("ix_documents_sha256", "documents", ["sha256"])
    op.create_table(
        "document_pages",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("document_id", sa.String(36), sa.ForeignKey("documents.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("method", sa.String(32)),
        sa.Column("result", sa.JSON()),
        sa.Column("image_sha256", sa.String(64)),
        sa.Column("seconds", sa.Float()),
        sa.Column("error", sa.Text()),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("lease_owner", sa.String(64)),
        _ts("lease_until"),
        _ts("updated_at", nullable=False),
        sa.UniqueConstraint("document_id", "number", name="uq_document_pages_number"),
    )
    op.create_index("ix_document_pages_document_id", "document_pages", ["document_id"])
    op.create_table(
        "events",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("document_id", sa.String(36), sa.ForeignKey("documents.id", ondelete="CASCADE")),
        sa.Column("kind", sa.String(64), nullable=False),
        _ts("at", nullable=False),
        sa.Column("detail", sa.JSON()),
    )
    op.create_index("ix_events_document_id", "events", ["document_id"])


def downgrade() -> None:
    op.drop_table("events")
    op.drop_table("document_pages")
    op.drop_table("documents")
    op.drop_table("api_keys")
