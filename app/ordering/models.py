"""Ordering tables (bind ``ordering``). Nothing outside this module touches them.

The owner of an order is stored only encrypted (``user_ref``, AES-256-GCM bound to the order
id) plus a keyed blind index (``user_index``, HMAC-SHA256) that finds a user's orders without
decrypting any row. Product ids are plain values from the catalog: no key crosses modules.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import DateTime, ForeignKey, Index, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.platform.db import db

MONEY = Numeric(12, 2, asdecimal=True)


class Order(db.Model):  # type: ignore[name-defined]
    __bind_key__ = "ordering"
    __tablename__ = "ordering_orders"
    __table_args__ = (
        # A user's orders, newest first, straight from the index (the lookup benchmark).
        Index("ix_ordering_orders_user_created", "user_index", "created_at"),
        # The sweep finds expired pending orders without reading every old order.
        Index("ix_ordering_orders_status_created", "status", "created_at"),
        # The pending-units cap (app/ordering/holdings.py) reads one user's pending orders on
        # every order placed: without this SQLite walks every pending order of every user.
        Index("ix_ordering_orders_user_status", "user_index", "status"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    user_ref: Mapped[str] = mapped_column(Text)
    user_index: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    total: Mapped[Decimal] = mapped_column(MONEY)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class OrderLine(db.Model):  # type: ignore[name-defined]
    __bind_key__ = "ordering"
    __tablename__ = "ordering_order_lines"

    order_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("ordering_orders.id", ondelete="CASCADE"), primary_key=True)
    product_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    product_name: Mapped[str] = mapped_column(String(200))
    unit_price: Mapped[Decimal] = mapped_column(MONEY)
    quantity: Mapped[int] = mapped_column(Integer)
    subtotal: Mapped[Decimal] = mapped_column(MONEY)


class IdempotencyRecord(db.Model):  # type: ignore[name-defined]
    """One ``Idempotency-Key`` of one user: the request it stood for and the order it made."""

    __bind_key__ = "ordering"
    __tablename__ = "ordering_idempotency_keys"

    user_index: Mapped[str] = mapped_column(String(64), primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    order_id: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)
    claimed_at: Mapped[int] = mapped_column(Integer)


class PendingRelease(db.Model):  # type: ignore[name-defined]
    """A reservation whose stock the catalog must give back (an outbox row).

    Written in the same transaction that makes the release necessary (an order cancelled,
    expired, or undone by compensation), deleted once the catalog has released it. The sweep
    retries whatever is left, so a release survives a catalog outage and a crash.
    """

    __bind_key__ = "ordering"
    __tablename__ = "ordering_pending_releases"

    reservation_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    reason: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[int] = mapped_column(Integer)
    attempts: Mapped[int] = mapped_column(Integer, default=0)


class CartLine(db.Model):  # type: ignore[name-defined]
    """One product in a user's cart. The owner is the same keyed blind index as on orders:
    no plaintext user id is stored."""

    __bind_key__ = "ordering"
    __tablename__ = "ordering_cart_lines"

    user_index: Mapped[str] = mapped_column(String(64), primary_key=True)
    product_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    quantity: Mapped[int] = mapped_column(Integer)
    added_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
