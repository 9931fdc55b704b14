"""The work queue page, and the admin's list of reviewer accounts."""
from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from extraction.models import RECOMMENDATIONS
from intake.db.models import DOCUMENT_STATUSES, utcnow
from intake.db.session import get_session
from intake.review.account_admin import list_accounts
from intake.review.accounts import SignedIn
from intake.review.queue import DEFAULT_STATUS, QueueFilter, load_queue
from intake.web.auth import admin_user, page_user
from intake.web.context import app_settings, decision_clock
from intake.web.templating import render

router = APIRouter(include_in_schema=False)  # HTML pages, not API


@router.get("/")
def home() -> Response:
    return RedirectResponse("/review", status_code=303)


@router.get("/review")
def queue_page(request: Request, status: str = DEFAULT_STATUS, recommendation: str = "",
               low_confidence: bool = False, user: SignedIn = Depends(page_user),
               db: Session = Depends(get_session)) -> Response:
    if status != "all" and status not in DOCUMENT_STATUSES:
        raise HTTPException(status_code=422, detail="unknown status")
    if recommendation and recommendation not in RECOMMENDATIONS:
        raise HTTPException(status_code=422, detail="unknown recommendation")
    settings = app_settings(request)
    wanted = QueueFilter(status=status, recommendation=recommendation, low_confidence_only=low_confidence)
    policies = request.app.state.policies
    products = {policy_id: policies.get(policy_id).policy.policy.drug for policy_id in policies.ids()}
    queue = load_queue(db, decision_clock(settings), utcnow(), wanted,
                       settings.review_low_confidence, settings.review_queue_limit, products)
    return render(request, "queue.html", user, queue=queue, wanted=wanted,
                  recommendations=RECOMMENDATIONS, low_confidence=settings.review_low_confidence,
                  standard_hours=f"{settings.review_standard_hours:g}",
                  expedited_hours=f"{settings.review_expedited_hours:g}")


@router.get("/admin/users")
def users_page(request: Request, user: SignedIn = Depends(admin_user),
               db: Session = Depends(get_session)) -> Response:
    return render(request, "users.html", user, accounts=list_accounts(db))
