"""The order and product API flows, unchanged, with every module boundary over gRPC + mTLS."""

from __future__ import annotations

from flask import Flask

from app.bootstrap import Services
from app.catalog.grpc_client import GrpcCatalogClient
from app.ordering.grpc_client import GrpcOrderingClient
from tests.functional.test_order_expiry import *  # noqa: F403 - the same tests, another transport
from tests.functional.test_orders_api import *  # noqa: F403
from tests.functional.test_products_api import *  # noqa: F403


def test_the_web_shop_really_calls_catalog_and_ordering_over_grpc(app: Flask) -> None:
    web: Services = app.extensions["shop.services"]
    assert isinstance(web.catalog, GrpcCatalogClient)
    assert isinstance(web.ordering, GrpcOrderingClient)
