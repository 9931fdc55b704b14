"""The supervisor's view of the review team (/review/team): turnaround compliance, pended and
overdue packets, outcomes and corrections per reviewer (intake.review.team)."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from intake.db.models import utcnow
from intake.db.session import get_session
from intake.review.accounts import SignedIn
from intake.review.team import team_figures
from intake.web.auth import page_user
from intake.web.context import app_settings, decision_clock
from intake.web.templating import render

router = APIRouter(include_in_schema=False)  # HTML pages, not API


@router.get("/review/team")
def team_page(request: Request, user: SignedIn = Depends(page_user),
              db: Session = Depends(get_session)) -> Response:
    settings = app_settings(request)
    return render(request, "team.html", user, team=team_figures(db, decision_clock(settings), utcnow()),
                  standard_hours=f"{settings.review_standard_hours:g}",
                  expedited_hours=f"{settings.review_expedited_hours:g}", pend_days=f"{settings.pend_days:g}")
