"""Request and response models of the order endpoints.

Only ``product_id`` and ``quantity`` are accepted per line: a client-sent ``unit_price``,
``user_id``, ``status`` or ``total`` is an unknown field (400), never applied.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field, StrictInt
from pydantic.json_schema import SkipJsonSchema

from app.web.api.schemas import WHOLE, Strict

Status = Literal["pending", "confirmed", "processing", "shipped", "delivered", "cancelled"]


class OrderItemIn(Strict):
    product_id: str = Field(min_length=1, max_length=36)
    quantity: Annotated[StrictInt, Field(ge=1, le=100), WHOLE]


class OrderIn(Strict):
    items: list[OrderItemIn] = Field(min_length=1, max_length=50)


class OrderListQuery(Strict):
    page: int = Field(default=1, ge=1, le=100_000)
    page_size: int = Field(default=20, ge=1, le=100)
    # Documented without null: a query string cannot carry one.
    user_id: Annotated[str, Field(min_length=1, max_length=64)] | SkipJsonSchema[None] = None


class StatusIn(Strict):
    status: Status


class OrderLineOut(BaseModel):
    product_id: str
    product_name: str
    unit_price: str = Field(examples=["12.50"])
    quantity: int
    subtotal: str


class OrderOut(BaseModel):
    id: str
    user_id: str
    status: Status
    items: list[OrderLineOut]
    total: str = Field(examples=["25.00"])
    created_at: str
    updated_at: str


class OrderList(BaseModel):
    count: int
    next: str | None
    previous: str | None
    results: list[OrderOut]
