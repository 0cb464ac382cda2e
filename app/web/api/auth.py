"""Bearer authentication for the API: Authlib's Flask resource protector over our validator.

Only ``Authorization: Bearer`` authenticates the API; cookies never do. A missing or bad token
is 401; what a caller may do is the services' decision (a refusal is 403, see ``audit_refusals``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from authlib.integrations.flask_oauth2 import ResourceProtector
from authlib.oauth2 import OAuth2Error
from flask import Blueprint, Response, g, request

from app.kernel import PermissionDenied, Principal
from app.platform import audit as audit_context
from app.platform.access_tokens import AccessTokenValidator, principal_of
from app.platform.audit import AuditTrail, SecurityEvent, Subject
from app.platform.errors import Problem, contract_error_response

F = TypeVar("F", bound=Callable[..., Any])

UNAUTHORIZED_HEADERS = {"WWW-Authenticate": 'Bearer realm="shop", error="invalid_token"'}


class BearerProtector(ResourceProtector):
    def __init__(self, validator: AccessTokenValidator, audit: AuditTrail) -> None:
        super().__init__()
        self.register_token_validator(validator)
        self.audit = audit

    def raise_error_response(self, error: OAuth2Error) -> None:
        if error.error != "missing_authorization":
            self.audit.record(SecurityEvent.TOKEN_INVALID, outcome="failure", kind="access")
        raise Problem(401, "A valid bearer access token is required.",
                      headers=UNAUTHORIZED_HEADERS, code="unauthenticated")

    def principal(self) -> Principal:
        try:
            # Authlib's ``acquire_token`` first wraps the request in a ``FlaskJsonRequest``,
            # which computes the full URL on every call; bearer validation reads only the
            # ``Authorization`` header (our validator ignores the request), so the Flask
            # request goes in as it is.
            token = self.validate_request(None, request)
        except OAuth2Error as error:
            self.raise_error_response(error)
            raise  # unreachable: raise_error_response always raises
        principal = principal_of(token)
        g.principal = principal
        audit_context.bind_context(subject=principal.user_id)
        return principal


def make_guards(protector: BearerProtector) -> Callable[[F], F]:
    """The ``authenticated`` decorator: the view receives ``principal=``. Guards only
    authenticate; the services decide what the principal may do."""

    def authenticated(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            return view(*args, principal=protector.principal(), **kwargs)

        return wrapper  # type: ignore[return-value]

    return authenticated


def audit_refusals(bp: Blueprint, audit: AuditTrail) -> None:
    """The services decide who may do what; a refusal (403) from one of ``bp``'s views is
    audited as ``authz_fail`` with the caller, as the guards audit theirs."""

    @bp.errorhandler(PermissionDenied)
    def refused(error: PermissionDenied) -> Response:
        principal = g.get("principal")
        audit.record(SecurityEvent.AUTHZ_FAIL, outcome="failure",
                     actor=Subject(principal.user_id) if principal is not None else "",
                     target=(request.endpoint or request.path)[:128])
        return contract_error_response(error)
