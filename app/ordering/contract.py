"""The ordering module's public face: orders, their lines and their lifecycle.

Arguments and results are plain data (str, int, Decimal, tuples of frozen dataclasses and the
kernel's ``Principal``), so the contract can be served in-process or over gRPC. Money is a
``Decimal`` with two places. Who may see or change an order is decided here, from the caller's
``Principal``, not by the web layer.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from app.kernel import Conflict, InternalError, NotFound, Page, Principal

STATUSES = ("pending", "confirmed", "processing", "shipped", "delivered", "cancelled")
# Allowed status changes; an owner may only cancel, and only from pending or confirmed.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "pending": ("confirmed", "cancelled"),
    "confirmed": ("processing", "cancelled"),
    "processing": ("shipped",),
    "shipped": ("delivered",),
    "delivered": (),
    "cancelled": (),
}
MAX_LINES = 50
MAX_QUANTITY = 100


class OrderNotFound(NotFound):
    """No such order, or the caller may not know about it (the answer is the same)."""

    code = "order_not_found"


class InvalidTransition(Conflict):
    """The order cannot move from its current status to the requested one."""

    code = "invalid_transition"


class IdempotencyKeyReused(Conflict):
    """The idempotency key was used before with a different request."""

    code = "idempotency_key_reused"


class IdempotencyInProgress(Conflict):
    """A request with this idempotency key is still being processed; retry shortly."""

    code = "idempotency_in_progress"


class PendingUnitsExceeded(Conflict):
    """The order would take the caller's units in pending orders past the per-user cap
    (``ORDER_MAX_PENDING_UNITS``); the detail says how many are held and the cap."""

    code = "pending_units_exceeded"

    def __init__(self, held: int, requested: int, limit: int) -> None:
        super().__init__(
            f"You hold {held} units in pending orders; this order adds {requested}, and at "
            f"most {limit} units may wait in pending orders at once. Cancel a pending order "
            f"or wait until one is confirmed.",
            field_errors={"items": f"{held} units held in pending orders, at most {limit}"})
        self.held, self.requested, self.limit = held, requested, limit


class OrderUnreadable(InternalError):
    """A stored user reference failed to decrypt (tampered, or its key is gone).

    Recorded as a security event; the order is never returned with a guessed owner.
    """

    code = "order_unreadable"


@dataclass(frozen=True, slots=True)
class OrderItem:
    """One requested line: which product and how many (1-100). Prices come from the catalog."""

    product_id: str
    quantity: int


@dataclass(frozen=True, slots=True)
class OrderFilter:
    """Narrow an order list: ``status`` one of STATUSES; ``created_from`` and ``created_to``
    UTC days (``YYYY-MM-DD``), both inclusive. ``None`` leaves a filter out."""

    status: str | None = None
    created_from: str | None = None
    created_to: str | None = None


@dataclass(frozen=True, slots=True)
class OrderLineView:
    product_id: str
    product_name: str
    unit_price: Decimal
    quantity: int
    subtotal: Decimal


@dataclass(frozen=True, slots=True)
class OrderView:
    id: str
    user_id: str
    status: str
    lines: tuple[OrderLineView, ...]
    total: Decimal
    created_at: str
    updated_at: str


@dataclass(frozen=True, slots=True)
class SweepReport:
    """What one maintenance sweep did; ``ran`` is False when another runner held the lock."""

    ran: bool
    expired_orders: int = 0
    releases_done: int = 0
    releases_waiting: int = 0
    idempotency_keys_pruned: int = 0
    stale_reservations_released: int = 0


@dataclass(frozen=True, slots=True)
class CartLineView:
    """One cart line priced from the catalog now (not a snapshot). ``available`` is False when
    the product no longer sells or has less stock than ``quantity``; ``stock`` is the stock
    the catalog reports (0 for a product that is gone)."""

    product_id: str
    product_name: str
    unit_price: Decimal
    quantity: int
    subtotal: Decimal
    stock: int
    available: bool


@dataclass(frozen=True, slots=True)
class CartView:
    lines: tuple[CartLineView, ...]
    total: Decimal
    item_count: int


class OrderingService(Protocol):
    """Orders. Every method is a short unit of work; errors are contract errors."""

    def place_order(self, principal: Principal | None, items: tuple[OrderItem, ...],
                    idempotency_key: str | None = None) -> OrderView:
        """Create an order for the caller from 1-50 lines (quantity 1-100 each; duplicate
        product ids are merged). Names and prices are snapshotted from the catalog.

        Flow: identity confirms the caller is active, the catalog reserves every line in one
        call, the order is stored, the reservation is confirmed; any failure after the
        reservation releases it, so nothing changes when an error is raised.
        Raises InvalidInput, UserNotFound/InactiveUser (identity), ProductNotFound,
        ProductInactive, InsufficientStock (catalog), PendingUnitsExceeded (the caller would
        hold more than ``ORDER_MAX_PENDING_UNITS`` units in pending orders), IdempotencyKeyReused,
        IdempotencyInProgress, Unavailable.
        Idempotent when ``idempotency_key`` is given: the same key and items return the first
        order, also for concurrent calls.
        """
        ...

    def get_order(self, principal: Principal | None, order_id: str) -> OrderView:
        """One order, for its owner or an admin. Raises OrderNotFound (also when it belongs
        to someone else), OrderUnreadable. Read-only."""
        ...

    def list_orders(self, principal: Principal | None, page: int, page_size: int,
                    user_id: str | None = None, filters: OrderFilter | None = None
                    ) -> Page[OrderView]:
        """The caller's orders, newest first; admins see all, or one user's with ``user_id``;
        ``filters`` narrows by status and creation day.

        Raises PermissionDenied (a non-admin asking for another user), InvalidInput (page,
        unknown status, malformed or reversed days), OrderUnreadable. Read-only.
        """
        ...

    def cancel_order(self, principal: Principal | None, order_id: str) -> OrderView:
        """Cancel a pending or confirmed order (owner or admin); its stock returns (at once,
        or, while the catalog is unreachable, by the sweep as soon as it is back).

        Raises OrderNotFound, InvalidTransition. Idempotent for an already cancelled order.
        """
        ...

    def change_status(self, admin: Principal | None, order_id: str, status: str) -> OrderView:
        """Admin: move an order along an allowed transition (cancelling returns stock).

        Raises PermissionDenied, OrderNotFound, InvalidInput (unknown status),
        InvalidTransition. Idempotent when the order already has ``status``.
        """
        ...

    def get_cart(self, principal: Principal | None) -> CartView:
        """The caller's cart (kept server-side per user), priced from the catalog now; lines
        whose product is gone or short of stock are marked unavailable. Read-only."""
        ...

    def add_to_cart(self, principal: Principal | None, product_id: str, quantity: int) -> CartView:
        """Add ``quantity`` (1-100) of an active product to the caller's cart; a product
        already there has its quantity increased (at most 100 per product, 50 lines).

        Raises InvalidInput, ProductNotFound, ProductInactive. Not idempotent (it adds).
        """
        ...

    def set_cart_item(self, principal: Principal | None, product_id: str,
                      quantity: int) -> CartView:
        """Set a cart line's quantity (0-100); 0 removes the line.

        Raises InvalidInput, ProductNotFound (setting a product that does not exist).
        Idempotent.
        """
        ...

    def checkout(self, principal: Principal | None,
                 idempotency_key: str | None = None) -> OrderView:
        """Place an order from the caller's cart (as ``place_order``: prices and names from
        the catalog, stock reserved for every line at once) and take the ordered lines out of
        the cart. On any error the cart stays as it was.

        Raises InvalidInput (empty cart), and every error of ``place_order``.
        Idempotent when ``idempotency_key`` is given: a repeated or concurrent checkout with
        the same key returns the first order (also once the cart is empty), never a second.
        """
        ...

    def forget_user(self, principal: Principal | None, user_id: str) -> int:
        """Erasure (GDPR), for a system principal only (identity's erasure saga, after it
        verified the person): keep the user's orders for accounting but make them unlinkable
        to the person: the owner ciphertext and blind index are replaced by a pseudonymous
        owner ``erased:<order id>`` of each order's own, and the user's idempotency keys are
        dropped. Returns how many orders changed.

        Raises PermissionDenied (not a system principal). Idempotent (a second call finds
        nothing)."""
        ...

    def sweep(self, principal: Principal | None) -> SweepReport:
        """Maintenance, for the system principal only (the in-shop background sweep or an
        operator): pending orders older than ``ORDER_PENDING_TTL`` expire as cancelled
        (audited, stock returned); releases the catalog could not take before are retried;
        idempotency records older than 24 hours and reservations left unconfirmed for 15
        minutes are pruned. One runner at a time across processes and containers; a caller
        that finds the sweep running elsewhere gets ``ran=False``.

        Raises PermissionDenied (not the system principal). Idempotent.
        """
        ...

    def reencrypt_user_references(self, principal: Principal | None) -> int:
        """Operator (an administrator or the system): re-encrypt every user reference not
        under the primary key of the ``order_user`` ring; returns how many rows changed. The
        blind index is unaffected. Idempotent."""
        ...


__all__ = [
    "MAX_LINES",
    "MAX_QUANTITY",
    "STATUSES",
    "TRANSITIONS",
    "CartLineView",
    "CartView",
    "IdempotencyInProgress",
    "IdempotencyKeyReused",
    "InvalidTransition",
    "OrderFilter",
    "OrderItem",
    "OrderLineView",
    "OrderNotFound",
    "OrderUnreadable",
    "OrderView",
    "OrderingService",
    "PendingUnitsExceeded",
    "SweepReport",
]
