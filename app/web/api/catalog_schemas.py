"""Request and response models of the catalog endpoints (validation and OpenAPI in one).

Money travels as a decimal string with at most two places (``"12.50"``), in and out; the
OpenAPI document says so with a pattern that accepts exactly what validation accepts (a JSON
number is refused: binary floating point cannot carry cents exactly). Counts are strict
integers: ``"5"`` is not a quantity. Optional query parameters are documented without
``null``: a query string cannot carry one.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, Field, StrictBool, StrictInt, WithJsonSchema
from pydantic.json_schema import SkipJsonSchema

from app.web.api.schemas import WHOLE, Strict

# 0 to 1,000,000 with at most two decimal places; PRICE also refuses zero.
AMOUNT_PATTERN = r"^(?:1000000(?:\.0{1,2})?|[0-9]{1,6}(?:\.[0-9]{1,2})?)$"
PRICE_PATTERN = r"^(?!0*(?:\.0{1,2})?$)" + AMOUNT_PATTERN[1:]


def _decimal_string(pattern: str) -> object:
    import re

    compiled = re.compile(pattern)

    def check(value: object) -> object:
        if not isinstance(value, str) or not compiled.fullmatch(value):
            raise ValueError("must be a decimal string with at most two places, such as "
                             "\"12.50\", within range")
        return value

    return BeforeValidator(check)


# Constraints inside the type: on a union (``Stock | None``) pydantic would otherwise leave
# them out of the JSON schema.
Stock = Annotated[StrictInt, Field(ge=0, le=1_000_000_000), WHOLE]
Amount = Annotated[Decimal, _decimal_string(AMOUNT_PATTERN),
                   WithJsonSchema({"type": "string", "pattern": AMOUNT_PATTERN,
                                   "examples": ["12.50"]})]
Price = Annotated[Decimal, _decimal_string(PRICE_PATTERN),
                  WithJsonSchema({"type": "string", "pattern": PRICE_PATTERN,
                                  "examples": ["12.50"]})]

SKU = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
SLUG = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
Slug = Annotated[str, Field(max_length=50, pattern=SLUG)]
Ordering = Literal["name", "-name", "price", "-price", "created_at", "-created_at"]


class ProductListQuery(Strict):
    # empty = no filter (forms)
    search: str | SkipJsonSchema[None] = Field(default=None, max_length=100)
    category: Slug | SkipJsonSchema[None] = None
    min_price: Amount | SkipJsonSchema[None] = None
    max_price: Amount | SkipJsonSchema[None] = None
    in_stock: bool | SkipJsonSchema[None] = None
    ordering: Ordering = "name"
    page: int = Field(default=1, ge=1, le=100_000)
    page_size: int = Field(default=20, ge=1, le=100)


class ProductIn(Strict):
    """A whole product (POST and PUT)."""

    sku: str = Field(max_length=64, pattern=SKU)
    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=5000)
    category: str = Field(max_length=50, pattern=SLUG)
    price: Price
    stock: Stock = 0
    is_active: StrictBool = True


class ProductPatch(Strict):
    """Some fields of a product (PATCH); absent or null fields stay as they are."""

    sku: str | None = Field(default=None, max_length=64, pattern=SKU)
    name: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=5000)
    category: str | None = Field(default=None, max_length=50, pattern=SLUG)
    price: Price | None = None
    stock: Stock | None = None
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
