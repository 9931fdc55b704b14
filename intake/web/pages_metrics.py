"""The metrics dashboard: review accuracy, calibration and operations, for signed-in reviewers.

The same figures as `/v1/metrics/accuracy` and `/v1/metrics/operations`, drawn as server-side
SVG charts (intake.web.charts) next to the tables they come from.
"""
from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from intake.db.models import utcnow
from intake.db.session import get_session
from intake.metrics_data import accuracy_figures, operations_figures
from intake.review.accounts import SignedIn
from intake.web import charts
from intake.web.auth import page_user
from intake.web.context import app_settings
from intake.web.templating import render

router = APIRouter(include_in_schema=False)  # HTML pages, not API


@router.get("/review/metrics")
def dashboard_page(request: Request, user: SignedIn = Depends(page_user),
                   db: Session = Depends(get_session)) -> Response:
    settings = app_settings(request)
    accuracy = accuracy_figures(db, settings)
    operations = operations_figures(db, utcnow(), timedelta(hours=settings.metrics_window_hours))
    return render(request, "dashboard.html", user, accuracy=accuracy, operations=operations,
                  reliability=charts.reliability_diagram(accuracy["calibration"]),
                  heatmap=charts.accuracy_heatmap(accuracy["field_accuracy_per_day"]),
                  latency=charts.latency_histogram(operations["latency_histogram"]))
