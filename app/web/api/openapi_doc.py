"""Completes spectree's document so that it says what the API really answers.

spectree documents what each view declares. Some answers come from the edge instead, the same
for every operation of a kind, and are added here from one table rather than repeated on
every view: a bad query or Host (400), a missing or bad token (401), a role or plain HTTP in
production (403), an unknown id (404), a body too large (413) or not JSON (415), a rate limit
(429), a module that is down (503). Every error is ``application/problem+json`` (RFC 9457).
The routes that spectree does not validate (probes, metrics, the docs page) are described
here too.
"""

from __future__ import annotations

import copy
from typing import Any

PROBLEM_JSON = "application/problem+json"
PROBLEM_REF = {"$ref": "#/components/schemas/ProblemDetails"}
PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "RFC 9457 problem details.",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string"},
        "errors": {"type": "object", "additionalProperties": {"type": "string"},
                   "description": "Per-field messages, by field name."},
    },
}

REASONS = {
    "400": "The request does not match this document (problem type `invalid_request`, fields "
           "named in `errors`), breaks a rule the document cannot state (its own problem type, "
           "such as `weak_password`), is malformed or too deeply nested JSON, or names a Host "
           "outside SHOP_HOSTS.",
    "401": "No valid bearer access token.",
    "403": "Not allowed for this caller, or plain HTTP in production.",
    "404": "No such object, or one the caller may not know about.",
    "413": "The body is too large.",
    "415": "The body is not application/json.",
    "429": "A rate limit was reached (see Retry-After).",
    "503": "A module or store the operation needs is unavailable.",
}
API_PREFIXES = ("/api/", "/.well-known/")
HTTPS_ONLY_PREFIXES = ("/api/", "/.well-known/", "/metrics")


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


STATUS_SCHEMA = {"type": "object", "required": ["status"],
                 "properties": {"status": {"type": "string"},
                                "checks": {"type": "object",
                                           "description": "Operators only."}}}
OPERATIONAL: dict[str, dict[str, Any]] = {
    "/healthz": {"200": _json({"type": "object", "required": ["status"],
                               "properties": {"status": {"const": "ok"}}}, "Alive.")},
    "/readyz": {"200": _json(STATUS_SCHEMA, "Ready (or degraded)."),
                "503": _json(STATUS_SCHEMA, "Not ready.")},
    "/metrics": {"200": {"description": "Prometheus text format.",
                         "content": {"text/plain": {"schema": {"type": "string"}}}}},
    "/api/docs/": {"200": {"description": "The API reference page.",
                           "content": {"text/html": {"schema": {"type": "string"}}}}},
    "/.well-known/jwks.json": {"200": _json({"type": "object", "required": ["keys"],
                                             "properties": {"keys": {"type": "array"}}},
                                            "The JSON Web Key Set.")},
}


def complete(document: dict[str, Any], *, docs_public: bool) -> dict[str, Any]:
    """A copy of ``document`` with every status and content type the API answers."""
    doc = copy.deepcopy(document)
    doc.setdefault("components", {}).setdefault("schemas", {})["ProblemDetails"] = PROBLEM_SCHEMA
    for path, operations in doc.get("paths", {}).items():
        for method, operation in operations.items():
            _complete_operation(path, method, operation, docs_public)
    return doc


def _complete_operation(path: str, method: str, operation: dict[str, Any],
                        docs_public: bool) -> None:
    responses = operation.setdefault("responses", {})
    responses.update(copy.deepcopy(OPERATIONAL.get(path, {})))
    if path == "/metrics" or (path == "/api/docs/" and not docs_public):
        operation["security"] = [{"bearer": []}]
    for status in _edge_statuses(path, method, operation):
        responses.setdefault(status, {"description": REASONS[status]})
    for status, response in responses.items():
        if int(status) >= 400:
            response["content"] = {PROBLEM_JSON: {"schema": PROBLEM_REF}}
            response["description"] = response.get("description") or REASONS.get(status, "")


def _edge_statuses(path: str, method: str, operation: dict[str, Any]) -> list[str]:
    statuses = ["400"]  # any route: a Host outside SHOP_HOSTS
    if operation.get("security"):
        statuses += ["401", "403"]
    if path.startswith(HTTPS_ONLY_PREFIXES):
        statuses.append("403")
    if "{" in path:
        statuses.append("404")
    if method in ("post", "put", "patch", "delete"):
        statuses += ["413", "415"]
    if path.startswith("/api/"):
        statuses.append("429")  # the default limit covers every API route
    if path.startswith(API_PREFIXES) and path != "/api/docs/":
        statuses.append("503")
    return statuses
