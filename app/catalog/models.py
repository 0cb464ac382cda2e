"""Catalog tables (bind ``catalog``). Nothing outside this module touches them."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.platform.db import db

MONEY = Numeric(12, 2, asdecimal=True)


class Product(db.Model):  # type: ignore[name-defined]
    __bind_key__ = "catalog"
    __tablename__ = "catalog_products"
    __table_args__ = (
        # The database refuses negative stock even if a code path ever forgot the condition.
        CheckConstraint("stock >= 0", name="ck_catalog_products_stock_nonnegative"),
        CheckConstraint("price > 0", name="ck_catalog_products_price_positive"),
        # The list filters on active products by category/price and sorts by these columns.
        Index("ix_catalog_products_active_category", "is_active", "category"),
        Index("ix_catalog_products_active_price", "is_active", "price"),
        Index("ix_catalog_products_active_name", "is_active", "name"),
        Index("ix_catalog_products_active_created", "is_active", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    sku: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str] = mapped_column(String(50))
    price: Mapped[Decimal] = mapped_column(MONEY)
    stock: Mapped[int] = mapped_column(Integer, default=0)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class StockReservation(db.Model):  # type: ignore[name-defined]
    """One reservation (usually one order); its id is chosen by the caller."""

    __bind_key__ = "catalog"
    __tablename__ = "catalog_reservations"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ReservationLineRow(db.Model):  # type: ignore[name-defined]
    __bind_key__ = "catalog"
    __tablename__ = "catalog_reservation_lines"

    reservation_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("catalog_reservations.id", ondelete="CASCADE"), primary_key=True)
    product_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("catalog_products.id"), primary_key=True)
    sku: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    unit_price: Mapped[Decimal] = mapped_column(MONEY)
    quantity: Mapped[int] = mapped_column(Integer)
