"""Products and categories: shoppers read, administrators manage."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response
from spectree import Response as Resp

from app.bootstrap import Services
from app.catalog.contract import ProductChanges, ProductDraft, ProductQuery, ProductView
from app.kernel import Principal
from app.web.api import catalog_schemas as c
from app.web.api import schemas as s
from app.web.api.common import as_dict, body, json_response, page_response, query
from app.web.api.guards import Guards
from app.web.api.openapi import spec

BEARER: dict[str, list[str]] = {"bearer": []}
ERRORS = {"HTTP_400": s.Problem, "HTTP_401": s.Problem, "HTTP_403": s.Problem}


def product_json(product: ProductView) -> dict[str, Any]:
    data = as_dict(product)
    data["price"] = f"{product.price:.2f}"
    return data


def blueprint(services: Services, guards: Guards) -> Blueprint:
    bp = Blueprint("api_products", __name__)
    catalog = services.catalog
    assert catalog is not None, "the catalog service is wired in app/bootstrap.py"

    @bp.get("/api/products/")
    @guards.authenticated
    @spec.validate(query=c.ProductListQuery, resp=Resp(HTTP_200=c.ProductList, **ERRORS),
                   tags=["products"], security=BEARER)
    def list_products(principal: Principal) -> Response:
        q = query()
        filters = ProductQuery(search=q.search, category=q.category, min_price=q.min_price,
                               max_price=q.max_price, in_stock=q.in_stock, ordering=q.ordering,
                               page=q.page, page_size=q.page_size)
        return page_response(catalog.list_products(principal, filters), product_json)

    @bp.get("/api/products/<product_id>/")
    @guards.authenticated
    @spec.validate(resp=Resp(HTTP_200=c.ProductOut, HTTP_404=s.Problem), tags=["products"],
                   security=BEARER)
    def get_product(principal: Principal, product_id: str) -> Response:
        # Administrators see inactive products too (the service decides who may).
        product = catalog.get_product(principal, product_id, include_inactive=True)
        return json_response(product_json(product))

    @bp.post("/api/products/")
    @guards.authenticated  # the service decides: administrators only
    @spec.validate(json=c.ProductIn, resp=Resp(HTTP_201=c.ProductOut, HTTP_409=s.Problem,
                                              **ERRORS), tags=["admin"], security=BEARER)
    def create_product(principal: Principal) -> Response:
        draft = ProductDraft(**body().model_dump())
        return json_response(product_json(catalog.create_product(principal, draft)), 201)

    @bp.put("/api/products/<product_id>/")
    @guards.authenticated  # the service decides: administrators only
    @spec.validate(json=c.ProductIn, resp=Resp(HTTP_200=c.ProductOut, HTTP_404=s.Problem,
                                              HTTP_409=s.Problem, **ERRORS),
                   tags=["admin"], security=BEARER)
    def replace_product(principal: Principal, product_id: str) -> Response:
        changes = ProductChanges(**body().model_dump())
        return json_response(product_json(
            catalog.update_product(principal, product_id, changes)))

    @bp.patch("/api/products/<product_id>/")
    @guards.authenticated  # the service decides: administrators only
    @spec.validate(json=c.ProductPatch, resp=Resp(HTTP_200=c.ProductOut, HTTP_404=s.Problem,
                                                 HTTP_409=s.Problem, **ERRORS),
                   tags=["admin"], security=BEARER)
    def patch_product(principal: Principal, product_id: str) -> Response:
        changes = ProductChanges(**body().model_dump())
        return json_response(product_json(
            catalog.update_product(principal, product_id, changes)))

    @bp.delete("/api/products/<product_id>/")
    @guards.authenticated  # the service decides: administrators only
    @spec.validate(resp=Resp(HTTP_204=None, HTTP_404=s.Problem, **ERRORS), tags=["admin"],
                   security=BEARER)
    def deactivate_product(principal: Principal, product_id: str) -> Response:
        catalog.deactivate_product(principal, product_id)
        return Response(status=204)

    @bp.get("/api/categories/")
    @guards.authenticated
    @spec.validate(resp=Resp(HTTP_200=c.CategoryList, HTTP_401=s.Problem), tags=["products"],
                   security=BEARER)
    def list_categories(principal: Principal) -> Response:
        return json_response({"results": [as_dict(cat) for cat in catalog.list_categories()]})

    return bp
