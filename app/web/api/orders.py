"""Orders: shoppers create, read and cancel their own; administrators see all and move them.

Who may see which order is decided by the ordering contract from the caller's principal.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, request
from spectree import Response as Resp

from app.bootstrap import Services
from app.kernel import Principal
from app.ordering.contract import OrderItem, OrderView
from app.web.api import order_schemas as o
from app.web.api import schemas as s
from app.web.api.common import body, json_response, page_response, query
from app.web.api.guards import Guards
from app.web.api.openapi import spec

BEARER: dict[str, list[str]] = {"bearer": []}
ERRORS = {"HTTP_400": s.Problem, "HTTP_401": s.Problem, "HTTP_403": s.Problem,
          "HTTP_404": s.Problem}


def order_json(order: OrderView) -> dict[str, Any]:
    return {
        "id": order.id,
        "user_id": order.user_id,
        "status": order.status,
        "items": [{"product_id": line.product_id, "product_name": line.product_name,
                   "unit_price": f"{line.unit_price:.2f}", "quantity": line.quantity,
                   "subtotal": f"{line.subtotal:.2f}"} for line in order.lines],
        "total": f"{order.total:.2f}",
        "created_at": order.created_at,
        "updated_at": order.updated_at,
    }


def blueprint(services: Services, guards: Guards) -> Blueprint:
    bp = Blueprint("api_orders", __name__)
    ordering = services.ordering
    assert ordering is not None, "the ordering service is wired in app/bootstrap.py"

    @bp.post("/api/orders/")
    @guards.authenticated
    @spec.validate(json=o.OrderIn, resp=Resp(HTTP_201=o.OrderOut, HTTP_409=s.Problem,
                                            HTTP_422=s.Problem, HTTP_503=s.Problem, **ERRORS),
                   tags=["orders"], security=BEARER)
    def place_order(principal: Principal) -> Response:
        """Create an order; send an ``Idempotency-Key`` header to make retries safe."""
        items = tuple(OrderItem(item.product_id, item.quantity) for item in body().items)
        key = request.headers.get("Idempotency-Key")
        order = ordering.place_order(principal, items, idempotency_key=key)
        return json_response(order_json(order), 201)

    @bp.get("/api/orders/")
    @guards.authenticated
    @spec.validate(query=o.OrderListQuery, resp=Resp(HTTP_200=o.OrderList, **ERRORS),
                   tags=["orders"], security=BEARER)
    def list_orders(principal: Principal) -> Response:
        q = query()
        return page_response(ordering.list_orders(principal, q.page, q.page_size, q.user_id),
                             order_json)

    @bp.get("/api/orders/<order_id>/")
    @guards.authenticated
    @spec.validate(resp=Resp(HTTP_200=o.OrderOut, **ERRORS), tags=["orders"], security=BEARER)
    def get_order(principal: Principal, order_id: str) -> Response:
        return json_response(order_json(ordering.get_order(principal, order_id)))

    @bp.get("/api/orders/user/<user_id>/")
    @guards.authenticated
    @spec.validate(query=s.PageQuery, resp=Resp(HTTP_200=o.OrderList, **ERRORS),
                   tags=["orders"], security=BEARER)
    def user_orders(principal: Principal, user_id: str) -> Response:
        q = query()
        return page_response(ordering.list_orders(principal, q.page, q.page_size, user_id),
                             order_json)

    @bp.post("/api/orders/<order_id>/cancel/")
    @guards.authenticated
    @spec.validate(resp=Resp(HTTP_200=o.OrderOut, HTTP_409=s.Problem, **ERRORS),
                   tags=["orders"], security=BEARER)
    def cancel_order(principal: Principal, order_id: str) -> Response:
        return json_response(order_json(ordering.cancel_order(principal, order_id)))

    @bp.patch("/api/orders/<order_id>/status/")
    @guards.authenticated  # the service decides: administrators only
    @spec.validate(json=o.StatusIn, resp=Resp(HTTP_200=o.OrderOut, HTTP_409=s.Problem,
                                             **ERRORS), tags=["admin"], security=BEARER)
    def change_status(principal: Principal, order_id: str) -> Response:
        return json_response(order_json(ordering.change_status(principal, order_id,
                                                               body().status)))

    return bp
