"""Idempotent demo data for development, created through the module contracts only.

An admin, 10 users (``demo`` and ``shopper1``..``shopper9``), 20 products in 4 categories and
30 orders. Passwords are random per installation and kept in ``instance/demo_credentials.json``
(mode 0600); running the seed again creates only what is missing.
"""

from __future__ import annotations

import json
import os
import secrets
from decimal import Decimal
from pathlib import Path

from app.bootstrap import Services
from app.catalog.contract import CatalogService, ProductDraft, ProductExists, ProductQuery
from app.identity.contract import AccountExists, AccountService, UserChanges
from app.kernel import Principal
from app.ordering.contract import OrderingService, OrderItem

SEED_OPERATOR = Principal(user_id="seed", role="admin", jti="seed", session_id="seed",
                          issued_at=0, expires_at=0)
SEED = Principal.system("seed")  # promotes the demo administrator
USERNAMES = ("admin", "demo", *(f"shopper{n}" for n in range(1, 10)))
CATEGORIES = {
    "kitchen": ("Enamel mug", "Chef's knife", "Cast-iron pan", "Tea towel set", "Pepper mill"),
    "books": ("Field guide to birds", "Bread baking basics", "Short stories", "Atlas of maps",
              "Pocket dictionary"),
    "garden": ("Watering can", "Pruning shears", "Seed collection", "Garden gloves",
               "Terracotta pot"),
    "electronics": ("USB-C cable", "Desk lamp", "Wireless mouse", "Power bank",
                    "Kitchen scale"),
}
ORDER_COUNT = 30


def _credentials(instance: Path) -> dict[str, str]:
    path = instance / "demo_credentials.json"
    creds: dict[str, str] = dict(json.loads(path.read_text())) if path.exists() else {}
    missing = [name for name in USERNAMES if name not in creds]
    if not missing:
        return creds
    for name in missing:
        creds[name] = "-".join(secrets.token_hex(3) for _ in range(4))
    instance.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(creds, handle)
    return creds


def _user_ids(accounts: AccountService) -> dict[str, str]:
    ids: dict[str, str] = {}
    page = 1
    while True:
        batch = accounts.find_users(SEED, "", page, 100)
        ids.update({user.username: user.id for user in batch.items})
        if page * 100 >= batch.total:
            return ids
        page += 1


def seed_users(services: Services) -> dict[str, str]:
    """Create the demo admin and users if missing; returns ``{username: password}``."""
    creds = _credentials(services.settings.instance_path)
    accounts = services.accounts
    for username, password in creds.items():
        try:
            user = accounts.register(username, f"{username}@shop.example", password)
        except AccountExists:
            continue
        if username == "admin":
            accounts.admin_update_user(SEED, user.id, UserChanges(role="admin"))
    return creds


def seed_products(catalog: CatalogService) -> list[str]:
    """The 20 demo products (by SKU, created if missing); returns their ids in SKU order."""
    for category, names in CATEGORIES.items():
        for n, name in enumerate(names, start=1):
            draft = ProductDraft(
                sku=f"DEMO-{category[:3].upper()}-{n}", name=name, category=category,
                description=f"{name}: demo product in {category}.",
                price=Decimal(f"{3 + 4 * n}.{(n * 17) % 100:02d}"), stock=100)
            try:
                catalog.create_product(SEED_OPERATOR, draft)
            except ProductExists:
                continue
    listed = catalog.list_products(SEED_OPERATOR, ProductQuery(page_size=100),
                                   include_inactive=True)
    demo = sorted((p.sku, p.id) for p in listed.items if p.sku.startswith("DEMO-"))
    return [product_id for _sku, product_id in demo]


def seed_orders(ordering: OrderingService, user_ids: list[str], products: list[str]) -> None:
    """30 orders spread over the users; the idempotency key makes a re-run create none."""
    for n in range(ORDER_COUNT):
        owner = Principal(user_id=user_ids[n % len(user_ids)], role="user", jti="seed",
                          session_id="seed", issued_at=0, expires_at=0)
        items = (OrderItem(products[(3 * n) % len(products)], 1),
                 OrderItem(products[(7 * n + 1) % len(products)], 1 + n % 3))
        ordering.place_order(owner, items, idempotency_key=f"seed-order-{n}")


def seed_demo(services: Services) -> dict[str, str]:
    """Everything above; returns the demo credentials."""
    assert services.catalog is not None and services.ordering is not None
    creds = seed_users(services)
    ids = _user_ids(services.accounts)
    shoppers = [ids[name] for name in USERNAMES[1:] if name in ids]
    seed_orders(services.ordering, shoppers, seed_products(services.catalog))
    return creds
