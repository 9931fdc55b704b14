"""One JSON error shape for every non-2xx answer: {"error": {"code", "message"}}."""
from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match, Mount

from extraction.errors import IntakeError


class ErrorDetail(BaseModel):
    code: str
    message: str


class ErrorBody(BaseModel):
    error: ErrorDetail


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def error_response(status: int, code: str, message: str,
                   headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status, headers=headers)


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def _allowed_methods(request: Request, named: str) -> str:
    """Every method the request's path is served with. Starlette's router names only the first
    route matching the path (POST for /v1/documents, whose GET is another route), and RFC 9110
    wants all of them in a 405's Allow: each method is tried against the app's routes (included
    routers nest, so their routes are asked, not listed). Mounts match any method: left out."""
    methods = {method.strip() for method in named.split(",") if method.strip()}
    routes = [route for route in request.app.router.routes if not isinstance(route, Mount)]
    for method in _METHODS:
        probe = {**request.scope, "method": method}
        if any(route.matches(probe)[0] is Match.FULL for route in routes):
            methods.add(method)
    return ", ".join(sorted(methods))


def error_responses(*statuses: int) -> dict[int | str, dict]:
    """OpenAPI `responses=` entries for the given error statuses."""
    descriptions = {400: "Malformed request", 401: "Missing, unknown or revoked API key",
                    404: "No such document for this API key", 413: "File, page count or page pixels over the limit",
                    415: "Not a PDF, TIFF, PNG or JPEG", 422: "Empty, encrypted or corrupt file, or invalid parameters",
                    503: "A dependency is unavailable"}
    return {s: {"model": ErrorBody, "description": descriptions[s]} for s in statuses}


class RefuseNul:
    """PostgreSQL cannot store a NUL character: a path or query holding one is refused before any
    handler hands it to the database (form fields are checked where they are parsed). Plain ASGI, so
    request bodies stream through untouched."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http" and ("\x00" in scope.get("path", "")
                                        or b"%00" in scope.get("query_string", b"")
                                        or b"\x00" in scope.get("query_string", b"")):
            response = error_response(400, "malformed_request", "NUL characters are not accepted in a URL")
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


def install_error_handlers(app: FastAPI) -> None:
    app.add_middleware(RefuseNul)

    @app.exception_handler(ApiError)
    async def _api_error(_request: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc.status, exc.code, exc.message)

    @app.exception_handler(IntakeError)
    async def _intake_error(_request: Request, exc: IntakeError) -> JSONResponse:
        return error_response(exc.http_status, exc.code, exc.message)

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        where = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        return error_response(422, "invalid_request", where)

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
        # The error shape even for a bug: never a plain-text 500 (the traceback goes to the log).
        return error_response(500, "internal_error", "the server could not handle this request")

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        headers = dict(exc.headers or {})  # e.g. a 405's Allow, a 401's WWW-Authenticate: kept
        if exc.status_code == 405 and (allowed := _allowed_methods(request, headers.get("Allow", ""))):
            headers["Allow"] = allowed
        return error_response(exc.status_code, "http_error", str(exc.detail), headers)
