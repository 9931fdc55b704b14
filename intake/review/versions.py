"""Optimistic concurrency for reviewer actions: every action names the packet version its page
showed (`documents.review_version`), and is refused when the packet changed since (another tab,
another reviewer, a new analysis). The check and the bump are one compare-and-set UPDATE, so of
two actions that saw the same version exactly one is recorded, on SQLite and PostgreSQL alike.
"""
from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from intake.db.models import Document

STALE_MESSAGE = ("This packet changed after your page was loaded (in another tab or by another "
                 "reviewer), so nothing was saved. The current values are shown; check them and act again.")


class StaleVersion(Exception):
    """The action was made on an older state of the packet than the current one."""

    def __init__(self, current: int | None) -> None:
        super().__init__(STALE_MESSAGE)
        self.current = current


def parse_seen(raw: str | None) -> int:
    """The version a form or header carries; an action without one cannot be matched to what the
    reviewer saw, so it is stale as well."""
    text = (raw or "").strip()
    if not text.isdigit() or len(text) > 18:
        raise StaleVersion(None)
    return int(text)


def advance(db: Session, document: Document, seen: int | None) -> int:
    """Moves the packet to its next version if it is still at `seen` (None: unconditionally, for
    callers inside the service that act on the current state); the new version."""
    conditions = [Document.id == document.id]
    if seen is not None:
        conditions.append(Document.review_version == seen)
    moved = db.execute(update(Document).where(*conditions)
                       .values(review_version=Document.review_version + 1)
                       .execution_options(synchronize_session=False))
    current = db.scalar(select(Document.review_version).where(Document.id == document.id))
    if moved.rowcount != 1:
        raise StaleVersion(current)
    set_committed_value(document, "review_version", current)  # changed behind the ORM's back
    return current
