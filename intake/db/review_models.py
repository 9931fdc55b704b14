"""Tables of the human review (sharing the service's declarative Base).

review_users        reviewer accounts; only a scrypt hash of the password is stored; repeated
                    failed sign-ins lock the account for a while; an administrator may disable one
review_sessions     server-side sessions: the cookie carries a random token, the table its sha256,
                    so signing out (deleting the row) ends the session everywhere
reviewer_decisions  one row per confirm / correct / override of a field or criterion: the
                    extracted value next to the reviewer's final value, later used as accuracy labels
determinations      the reviewer's call on a packet (never a denial); "request more information"
                    lists what is missing and pends the packet, a later final call closes it
audit_log           append-only: every view and change (who, when, what, from which client
                    address); the app has no update/delete path and the migration installs
                    triggers that refuse UPDATE and DELETE

Unlike `events`, these rows hold packet values (PHI): they are shown to signed-in reviewers,
never logged.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from intake.db.models import Base, utcnow

ROLES = ("reviewer", "admin")
DECISION_KINDS = ("field", "criterion")
DECISION_ACTIONS = ("confirmed", "corrected", "overridden")
# Final calls a reviewer can record. There is deliberately no denial: a packet that does not
# meet criteria goes to a medical director.
DETERMINATIONS = ("meets_criteria", "request_more_information", "refer_to_medical_director")


class ReviewUser(Base):
    __tablename__ = "review_users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    failed_sign_ins: Mapped[int] = mapped_column(Integer, default=0)  # consecutive, reset on success
    locked_until: Mapped[datetime | None]
    disabled_at: Mapped[datetime | None]  # set by `intake users disable`: no sign-in, no session


class ReviewSession(Base):
    __tablename__ = "review_sessions"

    token_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("review_users.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]


class ReviewerDecision(Base):
    __tablename__ = "reviewer_decisions"
    __table_args__ = (Index("ix_reviewer_decisions_document_kind", "document_id", "kind", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    document_id: Mapped[str] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))  # DECISION_KINDS
    name: Mapped[str] = mapped_column(String(100))  # field name or criterion id
    extracted_value: Mapped[Any] = mapped_column(JSON)  # a field's value or a criterion's status
    extracted_confidence: Mapped[float | None] = mapped_column(Float)
    final_value: Mapped[Any] = mapped_column(JSON)
    action: Mapped[str] = mapped_column(String(16))  # DECISION_ACTIONS
    reason: Mapped[str | None] = mapped_column(Text)
    reviewer: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime] = mapped_column(default=utcnow)


class Determination(Base):
    __tablename__ = "determinations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    document_id: Mapped[str] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    outcome: Mapped[str] = mapped_column(String(32))  # DETERMINATIONS
    note: Mapped[str | None] = mapped_column(Text)
    # "request more information" only: what is missing, pend.MissingItem.to_dict() each
    missing: Mapped[Any] = mapped_column(JSON, nullable=True)
    reviewer: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime] = mapped_column(default=utcnow)


class AuditEntry(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    document_id: Mapped[str] = mapped_column(ForeignKey("documents.id"), index=True)
    actor: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    action: Mapped[str] = mapped_column(String(32))  # viewed, field_confirmed, criterion_overridden...
    target: Mapped[str | None] = mapped_column(String(100))  # field name or criterion id
    old_value: Mapped[Any] = mapped_column(JSON, nullable=True)
    new_value: Mapped[Any] = mapped_column(JSON, nullable=True)
    reason: Mapped[str | None] = mapped_column(Text)
    # From where: the client address of the request behind a read of the packet (API, review
    # page, page image). None where the writer has no request at hand (actions recorded by the
    # review domain, a command-line export) and on rows from before migration 0010.
    client: Mapped[str | None] = mapped_column(String(64))
