"""The packet page and the reviewer's actions on it. Every view and every change is audited.

Actions answer with a redirect back to the item (post/redirect/get); a refused or invalid
action re-renders the page with the message next to the item, status 422. Every action form
carries the packet version its page showed (`seen_version`, or an `X-Packet-Version` header): a
stale one changes nothing and gets 409 with the page as it is now (versions.py). A caller that
asks for JSON (`Accept: application/json`) gets the reviewed result (with its new `version`)
instead of the redirect, and the JSON error shape instead of the page; a 409 carries the fresh
state as `current`. An action sent by the page's own script (`X-Review-Fragment: 1`) gets the
review panel alone, as it is now, with the item to focus in `X-Review-Focus`: the script swaps the
panel in place, so no action reloads the page or its images.

A reviewer who opens an open packet claims it (claims.py); while another reviewer's claim is live
their actions are refused with that reviewer's name, until they take the packet over (`/claim`).

Page images are named by their content hash (`?v=sha256`) and sent cacheable for the signed-in
browser only (`private, immutable`, ETag): one packet's images are fetched once per browser.
"""
from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Path, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from redis.exceptions import RedisError
from sqlalchemy import select
from sqlalchemy.orm import Session

from intake.db.models import Document, DocumentPage, utcnow
from intake.db.review_models import DETERMINATIONS
from intake.db.session import get_session
from intake.review import audit, claims, decisions, reassess, routine, versions
from intake.review.accounts import SignedIn
from intake.review.packet import build_packet_view
from intake.review.pend import missing_from_form
from intake.review.queue import next_open_packet
from intake.review.reviewed import reviewed_result
from intake.review.values import InvalidValue
from intake.schemas import SQL_INT_MAX
from intake.web.auth import form_user, page_user, resource_user
from intake.web.context import app_settings, blob_store, client_address, decision_clock
from intake.web.templating import render

router = APIRouter(prefix="/review/packets", include_in_schema=False)  # HTML pages, not API
log = logging.getLogger("intake.web")


def _document(db: Session, document_id: str) -> Document:
    document = db.get(Document, document_id)
    if document is None:
        raise HTTPException(status_code=404, detail="no such packet")
    return document


FRAGMENT_HEADER = "X-Review-Fragment"  # sent by review.js; answered with the review panel alone
FOCUS_HEADER = "X-Review-Focus"  # the element the panel's script focuses after the swap
IMAGE_CACHE_CONTROL = "private, max-age=31536000, immutable"  # the URL changes with the content


def _packet_page(request: Request, db: Session, document: Document, user: SignedIn,
                 error: dict[str, str] | None = None, status_code: int = 200,
                 headers: dict[str, str] | None = None) -> Response:
    settings = app_settings(request)
    view = build_packet_view(db, document, decision_clock(settings), utcnow(),
                             settings.review_low_confidence)
    template = "packet_review.html" if _wants_fragment(request) else "packet.html"
    next_packet = None
    if view.determination is not None and (not view.open or view.pend):  # decided or pended: on to the next one
        next_packet = next_open_packet(db, decision_clock(settings), utcnow(), user.name,
                                       settings.review_queue_limit)
    response = render(request, template, user, status_code=status_code, view=view, error=error,
                      policy_ids=sorted(request.app.state.policy_ids),
                      claim=claims.live_claim(document, utcnow()), next_packet=next_packet)
    response.headers.update(headers or {})
    if _wants_fragment(request):
        response.headers[FRAGMENT_HEADER] = "1"  # tells the script this is a panel, not a page
    return response


def _wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")


def _wants_fragment(request: Request) -> bool:
    return request.headers.get(FRAGMENT_HEADER) == "1"


def _seen_version(request: Request, form_value: str) -> int:
    return versions.parse_seen(form_value or request.headers.get("x-packet-version"))


def _back_to(request: Request, db: Session, document: Document, anchor: str, user: SignedIn) -> Response:
    """After a recorded action (committed): the reviewed result as JSON, the review panel for the
    page's script, or back to the item."""
    version = {"X-Packet-Version": str(document.review_version)}
    if _wants_json(request):
        return JSONResponse(reviewed_result(db, document), headers=version)
    if _wants_fragment(request):
        return _packet_page(request, db, document, user, headers={**version, FOCUS_HEADER: anchor})
    return RedirectResponse(f"/review/packets/{document.id}#{anchor}", status_code=303, headers=version)


def _refused(request: Request, db: Session, document_id: str, user: SignedIn, target: str,
             exc: Exception, typed: str = "", choice: str = "") -> Response:
    """`typed` and `choice` (the text and the option the reviewer gave) are shown again, so a
    refusal never costs them what they wrote. A stale action (409) shows the packet as it is now,
    with the same words at the top and next to the item."""
    db.rollback()
    stale = isinstance(exc, versions.StaleVersion)
    status = 409 if stale else 422
    document = _document(db, document_id)
    if _wants_json(request):
        code = "stale_version" if stale else "invalid_value" if isinstance(exc, InvalidValue) else "review_refused"
        body = {"error": {"code": code, "message": str(exc)}}
        if stale:  # the fresh state, so the caller shows it instead of overwriting it
            body["current"] = reviewed_result(db, document)
        return JSONResponse(body, status_code=status)
    return _packet_page(request, db, document, user, {"target": target, "message": str(exc), "value": typed,
                                                      "choice": choice, "stale": stale}, status,
                        headers={"X-Packet-Version": str(document.review_version)})


@router.get("/{document_id}")
def packet_page(request: Request, document_id: str, user: SignedIn = Depends(page_user),
                db: Session = Depends(get_session)) -> Response:
    document = _document(db, document_id)
    audit.append(db, document.id, user.name, "viewed", client=client_address(request))
    claims.claim(db, document, user.name, utcnow(), app_settings(request).review_claim_minutes)
    db.commit()
    return _packet_page(request, db, document, user)


@router.get("/{document_id}/pages/{number}/image")
def page_image(request: Request, document_id: str, number: Annotated[int, Path(ge=1, le=SQL_INT_MAX)],
               user: SignedIn = Depends(resource_user), db: Session = Depends(get_session)) -> Response:
    sha256 = db.scalar(select(DocumentPage.image_sha256).where(
        DocumentPage.document_id == document_id, DocumentPage.number == number))
    store = blob_store(request)
    if not sha256 or not store.exists(sha256):
        raise HTTPException(status_code=404, detail="no image for this page")
    audit.append(db, document_id, user.name, "page_image_viewed", target=f"page {number}",
                 client=client_address(request))  # a PHI read
    db.commit()
    cache = {"Cache-Control": IMAGE_CACHE_CONTROL, "ETag": f'"{sha256}"'}
    if cache["ETag"] in (tag.strip() for tag in request.headers.get("if-none-match", "").split(",")):
        return Response(status_code=304, headers=cache)  # the browser holds these very bytes
    return Response(store.get(sha256), media_type="image/png", headers=cache)


def _field_index(document: Document, name: str) -> str:
    assessment = document.assessment
    names = list(assessment.fields) if assessment else []
    return f"item-f{names.index(name)}" if name in names else "fields"


def _criterion_index(document: Document, criterion_id: str) -> str:
    assessment = document.assessment
    ids = [c.id for c in assessment.criteria] if assessment else []
    return f"item-c{ids.index(criterion_id)}" if criterion_id in ids else "criteria"


REFUSALS = (decisions.ReviewRefused, InvalidValue, versions.StaleVersion)


def _hold(request: Request, db: Session, document: Document, user: SignedIn) -> None:
    """Before an action: refused while another reviewer holds the packet; else claimed/extended."""
    claims.require(db, document, user.name, utcnow(), app_settings(request).review_claim_minutes)


@router.post("/{document_id}/fields/{name}")
def review_field(request: Request, document_id: str, name: str, action: str = Form(...),
                 value: str = Form(""), reason: str = Form(""), seen_version: str = Form(""),
                 user: SignedIn = Depends(form_user), db: Session = Depends(get_session)) -> Response:
    document = _document(db, document_id)
    policies = request.app.state.policies
    try:
        _hold(request, db, document, user)
        seen = _seen_version(request, seen_version)
        if action == "confirm":
            decisions.confirm_field(db, document, name, user.name, seen_version=seen, policies=policies)
        elif action == "correct":
            decisions.correct_field(db, document, name, value, reason, user.name, seen_version=seen,
                                    policies=policies)
        else:
            raise decisions.ReviewRefused("unknown action")
    except REFUSALS as exc:
        return _refused(request, db, document_id, user, name, exc, value)
    db.commit()
    return _back_to(request, db, document, _field_index(document, name), user)


@router.post("/{document_id}/criteria/{criterion_id}")
def review_criterion(request: Request, document_id: str, criterion_id: str, action: str = Form(...),
                     status: str = Form(""), reason: str = Form(""), seen_version: str = Form(""),
                     user: SignedIn = Depends(form_user), db: Session = Depends(get_session)) -> Response:
    document = _document(db, document_id)
    try:
        _hold(request, db, document, user)
        seen = _seen_version(request, seen_version)
        if action == "confirm":
            decisions.confirm_criterion(db, document, criterion_id, user.name, seen_version=seen)
        elif action == "override":
            decisions.override_criterion(db, document, criterion_id, status, reason, user.name,
                                         seen_version=seen)
        else:
            raise decisions.ReviewRefused("unknown action")
    except REFUSALS as exc:
        return _refused(request, db, document_id, user, criterion_id, exc)
    db.commit()
    return _back_to(request, db, document, _criterion_index(document, criterion_id), user)


@router.post("/{document_id}/routine")
def confirm_routine(request: Request, document_id: str, seen_version: str = Form(""),
                    user: SignedIn = Depends(form_user), db: Session = Depends(get_session)) -> Response:
    """Confirm all routine items at once (one audited confirmation each); back to the first item
    still needing attention, or to the first outcome of the determination when none is left."""
    document = _document(db, document_id)
    low_below = app_settings(request).review_low_confidence
    try:
        _hold(request, db, document, user)
        routine.confirm_routine(db, document, user.name, low_below, policies=request.app.state.policies,
                                seen_version=_seen_version(request, seen_version))
    except REFUSALS as exc:
        return _refused(request, db, document_id, user, "routine", exc)
    db.commit()
    waiting = routine.first_waiting(document, decisions.current_decisions(db, document), low_below)
    if waiting is None:
        return _back_to(request, db, document, f"outcome-{DETERMINATIONS[0]}", user)
    kind, position = waiting
    return _back_to(request, db, document, f"item-{'f' if kind == 'field' else 'c'}{position}", user)


@router.post("/{document_id}/determination")
def determination(request: Request, document_id: str, outcome: str = Form(""), note: str = Form(""),
                  missing: list[str] = Form([]), missing_other: str = Form(""),
                  seen_version: str = Form(""), user: SignedIn = Depends(form_user),
                  db: Session = Depends(get_session)) -> Response:
    """`missing` (ticked items) and `missing_other` (free text): what "request more information" asks for."""
    document = _document(db, document_id)
    try:
        _hold(request, db, document, user)
        decisions.record_determination(db, document, outcome, note, user.name,
                                       seen_version=_seen_version(request, seen_version),
                                       missing=missing_from_form(missing, missing_other))
        claims.release(db, document)
    except REFUSALS as exc:
        return _refused(request, db, document_id, user, "determination", exc, note, outcome)
    db.commit()
    return _back_to(request, db, document, "determination", user)


@router.post("/{document_id}/policy")
def choose_policy(request: Request, document_id: str, policy: str = Form(""), reason: str = Form(""),
                  seen_version: str = Form(""), user: SignedIn = Depends(form_user),
                  db: Session = Depends(get_session)) -> Response:
    """Judge the packet by another policy: back to analysis from its stored pages."""
    document = _document(db, document_id)
    try:
        _hold(request, db, document, user)
        reassess.request_policy(db, document, policy, request.app.state.policy_ids, user.name, reason,
                                seen_version=_seen_version(request, seen_version))
    except REFUSALS as exc:
        return _refused(request, db, document_id, user, "policy", exc)
    db.commit()
    try:
        request.app.state.queue.enqueue_finish(document.id)
    except RedisError:
        log.warning("finish job not queued; the reconciler will queue it")  # the row says what to do
    return _back_to(request, db, document, "policy", user)


@router.post("/{document_id}/claim")
def take_over(request: Request, document_id: str, holder: str = Form(""), user: SignedIn = Depends(form_user),
              db: Session = Depends(get_session)) -> Response:
    """Take the packet over from the reviewer the page showed holding it (`holder`); audited."""
    document = _document(db, document_id)
    try:
        claims.take_over(db, document, user.name, utcnow(), app_settings(request).review_claim_minutes, holder)
    except REFUSALS as exc:
        return _refused(request, db, document_id, user, "claim", exc)
    db.commit()
    return _back_to(request, db, document, "claim", user)
