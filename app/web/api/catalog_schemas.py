"""Request and response models of the catalog endpoints (validation and OpenAPI in one).

Money travels as a string with two places (``"12.50"``); numbers are accepted on input but
never more than two decimal places. Counts are strict integers: ``"5"`` is not a quantity.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, Field, StrictBool, StrictInt

from app.web.api.schemas import Strict

SKU = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
SLUG = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
Ordering = Literal["name", "-name", "price", "-price", "created_at", "-created_at"]


def _price(default: object = ...) -> object:
    return Field(default, gt=0, le=Decimal("1000000"), max_digits=9, decimal_places=2,
                 allow_inf_nan=False)


class ProductListQuery(Strict):
    search: str | None = Field(default=None, max_length=100)  # empty = no filter (forms)
    category: str | None = Field(default=None, max_length=50, pattern=SLUG)
    min_price: Decimal | None = Field(default=None, ge=0, le=Decimal("1000000"),
                                      max_digits=9, decimal_places=2, allow_inf_nan=False)
    max_price: Decimal | None = Field(default=None, ge=0, le=Decimal("1000000"),
                                      max_digits=9, decimal_places=2, allow_inf_nan=False)
    in_stock: bool | None = None
    ordering: Ordering = "name"
    page: int = Field(default=1, ge=1, le=100_000)
    page_size: int = Field(default=20, ge=1, le=100)


class ProductIn(Strict):
    """A whole product (POST and PUT)."""

    sku: str = Field(max_length=64, pattern=SKU)
    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=5000)
    category: str = Field(max_length=50, pattern=SLUG)
    price: Decimal = _price()  # type: ignore[assignment]
    stock: StrictInt = Field(default=0, ge=0, le=1_000_000_000)
    is_active: StrictBool = True


class ProductPatch(Strict):
    """Some fields of a product (PATCH); absent or null fields stay as they are."""

    sku: str | None = Field(default=None, max_length=64, pattern=SKU)
    name: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=5000)
    category: str | None = Field(default=None, max_length=50, pattern=SLUG)
    price: Decimal | None = _price(None)  # type: ignore[assignment]
    stock: StrictInt | None = Field(default=None, ge=0, le=1_000_000_000)
    is_active: StrictBool | None = None


class ProductOut(BaseModel):
    id: str
    sku: str
    name: str
    description: str
    category: str
    price: str = Field(examples=["12.50"])
    stock: int
    is_active: bool
    created_at: str
    updated_at: str


class ProductList(BaseModel):
    count: int
    next: str | None
    previous: str | None
    results: list[ProductOut]


class CategoryOut(BaseModel):
    slug: str
    product_count: int


class CategoryList(BaseModel):
    results: list[CategoryOut]
