"""The Jinja2 environment for the UI. Autoescape is always on: packet text is never marked safe."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from intake.db.review_models import DETERMINATIONS
from intake.review.accounts import SignedIn
from intake.review.values import display_value
from extraction.models import CRITERION_STATUSES

TEMPLATES_DIR = Path(__file__).parent / "templates"

DETERMINATION_LABELS = {outcome: outcome.replace("_", " ").capitalize() for outcome in DETERMINATIONS}


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "—"


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{round(100 * value)}%"


def _words(name: str | None) -> str:
    return (name or "").replace("_", " ")


def _environment() -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES_DIR), autoescape=True,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(when=_when, percent=_percent, words=_words, show=display_value)
    env.globals.update(determination_labels=DETERMINATION_LABELS,
                       criterion_statuses=CRITERION_STATUSES)
    return env


templates = Jinja2Templates(env=_environment())


def render(request: Request, template: str, user: SignedIn | None, status_code: int = 200,
           **context: Any) -> HTMLResponse:
    return templates.TemplateResponse(request, template, {"user": user, **context},
                                      status_code=status_code)
