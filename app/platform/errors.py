"""One mapping from errors to RFC 9457 problem responses; no stack trace ever leaves.

Contract errors map by their stable ``code``; HTTP errors raised by Flask/Werkzeug keep their
status; anything else is logged with the request id and answered with a bare 500.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import structlog
from flask import Flask, Response, json, request
from werkzeug.exceptions import HTTPException, SecurityError

from app.kernel import ContractError

log = structlog.get_logger("shop.errors")

PROBLEM_JSON = "application/problem+json"

# Contract error code -> HTTP status for the kernel's families; each module declares the
# statuses of its own codes (``ModuleSpec.http_statuses``) and ``init_app`` adds them. The
# gRPC table lives beside the gRPC transport.
STATUS_BY_CODE: dict[str, int] = {
    "invalid_input": 400,
    "unauthenticated": 401,
    "permission_denied": 403,
    "not_found": 404,
    "conflict": 409,
    "rate_limited": 429,
    "unavailable": 503,
    "internal": 500,
}


# Routes for programs (API, key set, metrics, probes): always problem+json, never a page.
MACHINE_PREFIXES = ("/api/", "/.well-known/", "/metrics", "/healthz", "/readyz")


def wants_html() -> bool:
    """Whether this request is a page request (answered with an HTML error page). A request
    for a host name the shop does not serve gets no page: pages link to the shop's own URLs,
    which cannot be built for a host that is not one of them."""
    if isinstance(request.routing_exception, SecurityError):
        return False
    return not request.path.startswith(MACHINE_PREFIXES)


class Problem(Exception):
    """An HTTP problem raised by the web layer itself (validation, authentication...)."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        title: str | None = None,
        errors: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.title = title
        self.errors = errors or {}
        self.headers = headers or {}
        self.code = code


def problem_response(
    status: int,
    detail: str,
    *,
    title: str | None = None,
    errors: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
    code: str | None = None,
) -> Response:
    body: dict[str, Any] = {
        "type": f"https://shop.local/problems/{code or status}",
        "title": title or _title(status),
        "status": status,
        "detail": detail,
    }
    if errors:
        body["errors"] = errors
    response = Response(json.dumps(body), status=status, mimetype=PROBLEM_JSON)
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def _title(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def status_for(error: ContractError, statuses: Mapping[str, int] = STATUS_BY_CODE) -> int:
    """The HTTP status of a contract error: its own code's, else its nearest ancestor's."""
    for cls in type(error).__mro__:
        status = statuses.get(getattr(cls, "code", ""))
        if status is not None:
            return status
    return 500


def contract_error_response(error: ContractError,
                            statuses: Mapping[str, int] = STATUS_BY_CODE) -> Response:
    status = status_for(error, statuses)
    if status == 500:
        return _internal_error(error)
    headers = {"WWW-Authenticate": 'Bearer error="invalid_token"'} if status == 401 else None
    return problem_response(
        status, error.detail or error.code, errors=error.field_errors, code=error.code,
        headers=headers,
    )


def _internal_error(error: BaseException) -> Response:
    log.error("unhandled_error", error_type=type(error).__name__, path=request.path,
              exc_info=error)
    return problem_response(500, "The shop could not complete this request.", code="internal")


def init_app(app: Flask, html_handler: Any = None,
             module_statuses: Mapping[str, int] | None = None) -> None:
    """Register the handlers. ``html_handler(status, detail)`` renders pages for the UI;
    ``module_statuses`` are the modules' own error codes (from the registry)."""
    statuses = {**STATUS_BY_CODE, **(module_statuses or {})}

    def page() -> bool:
        return html_handler is not None and wants_html()

    @app.errorhandler(Problem)
    def _problem(error: Problem) -> Response:
        if page():
            return html_handler(error.status, error.detail)
        return problem_response(error.status, error.detail, title=error.title,
                                errors=error.errors, headers=error.headers, code=error.code)

    @app.errorhandler(ContractError)
    def _contract(error: ContractError) -> Response:
        if page():
            return html_handler(status_for(error, statuses), error.detail)
        return contract_error_response(error, statuses)

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException) -> Response:
        status = error.code or 500
        headers = dict(error.get_headers()) if status in (405, 429) else {}
        headers.pop("Content-Type", None)
        if page():
            response: Response = html_handler(status, error.description or "")
            response.headers.update(headers)  # Allow on 405
            return response
        return problem_response(status, error.description or _title(status), headers=headers)

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> Response:
        if page():
            log.error("unhandled_error", error_type=type(error).__name__, exc_info=error)
            return html_handler(500, "Something went wrong on our side.")
        return _internal_error(error)
