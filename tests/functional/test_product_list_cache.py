"""The product-list cache: writes in this process show at once, others' within the TTL."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import update

from app.bootstrap import Services
from app.catalog.models import Product
from app.platform.clock import FrozenClock
from tests.shop_helpers import add_product, order
from tests.support import Api


def listed_stock(api: Api, token: str, product_id: str) -> int:
    results = api.get("/api/products/", token).get_json()["results"]
    return next(p["stock"] for p in results if p["id"] == product_id)


def test_an_order_in_this_process_shows_in_the_list_at_once(app: Flask, api: Api,
                                                            services: Services) -> None:
    product = add_product(app, services, "CACHE-1", stock=5)
    user = api.user()
    assert listed_stock(api, user["access"], product) == 5
    assert order(api, user["access"], (product, 2)).status_code == 201
    assert listed_stock(api, user["access"], product) == 3


def test_another_process_write_shows_within_the_ttl(app: Flask, api: Api, services: Services,
                                                    clock: FrozenClock) -> None:
    product = add_product(app, services, "CACHE-2", stock=5)
    user = api.user()
    assert listed_stock(api, user["access"], product) == 5
    # A write this process did not make (another worker, another host): the cache cannot know.
    with services.database.unit_of_work("catalog") as session:
        session.execute(update(Product).where(Product.id == product).values(stock=1))
    assert listed_stock(api, user["access"], product) == 5
    clock.advance(services.settings.catalog_list_cache_seconds)
    assert listed_stock(api, user["access"], product) == 1
