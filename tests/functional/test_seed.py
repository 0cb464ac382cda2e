"""The seed command: demo data through the contracts, idempotent, credentials printed."""

from __future__ import annotations

import json

from flask import Flask

from app.bootstrap import Services
from app.catalog.contract import ProductQuery
from app.kernel import Principal
from app.seed import SEED_OPERATOR


def test_seed_is_idempotent_and_prints_demo_credentials(app: Flask,
                                                        services: Services) -> None:
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed"])
    assert first.exit_code == 0, first.output
    second = runner.invoke(args=["seed"])
    assert second.exit_code == 0, second.output
    creds = json.loads((services.settings.instance_path / "demo_credentials.json").read_text())
    assert f"demo     {creds['demo']}" in second.output
    assert len(creds) == 11
    assert services.catalog is not None and services.ordering is not None
    with app.app_context():
        users = services.accounts.find_users(Principal.system("test"), "", 1, 100)
        products = services.catalog.list_products(None, ProductQuery(page_size=100))
        orders = services.ordering.list_orders(SEED_OPERATOR, 1, 100)
        admins = [u.username for u in users.items if u.role == "admin"]
    assert users.total == 11 and admins == ["admin"]
    assert products.total == 20 and len({p.category for p in products.items}) == 4
    assert orders.total == 30
    assert {o.user_id for o in orders.items} <= {u.id for u in users.items}
