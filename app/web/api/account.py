"""The caller's data rights (GDPR): download everything the shop holds about them, and erase
the account. The web UI's "download my data" and "delete my account" use the same contracts.
"""

from __future__ import annotations

from flask import Blueprint, Response
from spectree import Response as Resp
from spectree import SpecTree

from app.bootstrap import Services
from app.kernel import Principal
from app.web.account_export import FILENAME, account_document
from app.web.api import account_schemas as a
from app.web.api import schemas as s
from app.web.api.common import json_response
from app.web.api.guards import Guards
from app.web.api.openapi import validated_body

BEARER: dict[str, list[str]] = {"bearer": []}


def blueprint(services: Services, guards: Guards, spec: SpecTree) -> Blueprint:
    bp = Blueprint("api_account", __name__)
    accounts, ordering = services.accounts, services.ordering
    assert ordering is not None, "the ordering service is wired in app/bootstrap.py"

    @bp.get("/api/users/me/export/")
    @guards.authenticated
    @spec.validate(resp=Resp(HTTP_200=a.ExportOut, HTTP_401=s.Problem), tags=["users"],
                   security=BEARER)
    def export(principal: Principal) -> Response:
        """All my data as one JSON document: profile, 2FA state (never secrets), sessions,
        orders with their lines, and my security events."""
        response = json_response(account_document(accounts, ordering, principal))
        response.headers["Content-Disposition"] = f'attachment; filename="{FILENAME}"'
        return response

    @bp.delete("/api/users/me/")
    @guards.authenticated
    @spec.validate(json=a.EraseIn, resp=Resp(HTTP_204=None, HTTP_400=s.Problem,
                                             HTTP_401=s.Problem, HTTP_404=s.Problem,
                                             HTTP_503=s.Problem),
                   tags=["users"], security=BEARER)
    def erase(principal: Principal) -> Response:
        """Erase my account: password, and a code when 2FA is on. Every session ends; orders
        are kept for the books but no longer linked to me."""
        data = validated_body(a.EraseIn)
        accounts.erase_account(principal, principal.user_id, data.password, data.code)
        return Response(status=204)

    return bp
