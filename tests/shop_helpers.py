"""Helpers for catalog and ordering tests: products through the catalog contract."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask import Flask

from app.bootstrap import Services
from app.catalog.contract import ProductDraft
from app.kernel import Principal
from tests.support import Api

OPERATOR = Principal(user_id="test-admin", role="admin", jti="t", session_id="t",
                     issued_at=0, expires_at=0)


def principal(user_id: str, role: str = "user") -> Principal:
    return Principal(user_id=user_id, role=role, jti="t", session_id="t", issued_at=0,
                     expires_at=0)


def add_product(app: Flask, services: Services, sku: str, stock: int = 10,
                price: str = "2.50", name: str | None = None) -> str:
    assert services.catalog is not None
    with app.app_context():
        return services.catalog.create_product(OPERATOR, ProductDraft(
            sku=sku, name=name or f"Product {sku}", category="misc", price=Decimal(price),
            stock=stock)).id


def stock_of(app: Flask, services: Services, product_id: str) -> int:
    assert services.catalog is not None
    with app.app_context():
        return services.catalog.get_product(OPERATOR, product_id, include_inactive=True).stock


def make_admin(api: Api, app: Flask, username: str = "root") -> dict[str, Any]:
    with app.app_context():
        return api.admin(username)


def order(api: Api, token: str, *lines: tuple[str, int], key: str | None = None,
          **extra: Any) -> Any:
    headers = api.bearer(token)
    if key is not None:
        headers["Idempotency-Key"] = key
    items = [{"product_id": pid, "quantity": qty} for pid, qty in lines]
    return api.client.post("/api/orders/", json={"items": items, **extra}, headers=headers)
