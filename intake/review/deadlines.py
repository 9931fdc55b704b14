"""Decision clock: when a determination is due, counted from receipt of the request.

Defaults follow Medicare Advantage Part B drug requests: 72 hours standard, 24 hours
expedited; both are settings. A packet pended for more information has its own clock, counted
from the pend (INTAKE_PEND_DAYS, 14 days).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Literal

ClockState = Literal["overdue", "due_soon", "on_time", "done"]


@dataclass(frozen=True)
class DecisionClock:
    standard: timedelta
    expedited: timedelta
    due_soon: timedelta  # how long before the due time a packet starts to stand out
    pend: timedelta = timedelta(days=14)  # the settings' default; context.decision_clock passes the setting

    def due_at(self, received_at: datetime, expedited: bool) -> datetime:
        return as_utc(received_at) + (self.expedited if expedited else self.standard)

    def pend_due_at(self, pended_at: datetime) -> datetime:
        """When the information a reviewer requested is overdue."""
        return as_utc(pended_at) + self.pend

    def state(self, due_at: datetime, now: datetime, decided: bool) -> ClockState:
        if decided:
            return "done"
        if now >= due_at:
            return "overdue"
        if due_at - now <= self.due_soon:
            return "due_soon"
        return "on_time"


def as_utc(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; the service stores UTC."""
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment


def describe_remaining(due_at: datetime, now: datetime) -> str:
    seconds = int((due_at - now).total_seconds())
    late = seconds < 0
    hours, rem = divmod(abs(seconds), 3600)
    text = f"{hours} h {rem // 60:02d} m"
    return f"{text} overdue" if late else f"{text} left"
