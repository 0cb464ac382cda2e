"""The authorization matrix: every contract method x every kind of caller, declared once.

A row says how to make one call as a given principal and what each role gets: ``None`` (it
succeeds) or the contract error class it raises. ``test_matrix.py`` runs every row for every
role in-process and over gRPC (a real mutual-TLS host), and fails for a contract method
without a row. Roles: ``anonymous`` (no principal), ``user`` (the owner of the data the call
targets), ``other`` (another ordinary user), ``admin``, ``system`` (``Principal.system("cli")``,
sent over gRPC with the operator certificate). Every user principal is a real account with a
real signed access token in ``Principal.token``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from app.bootstrap import Services
from app.catalog.contract import ProductDraft
from app.identity.contract import UserChanges
from app.kernel import ContractError, PermissionDenied, Principal, Unauthenticated
from app.ordering.contract import OrderItem
from app.seed import SEED, SEED_OPERATOR

ROLES = ("anonymous", "user", "other", "admin", "system")
PASSWORD = "correct horse battery staple"
Expected = type[ContractError] | None


@dataclass
class Ctx:
    """What a row needs: the contract clients under test, the in-process services (for
    set-up), one principal per role and shared data (``product_id``, ``inactive_product_id``,
    ``order_id`` owned by ``user``); ``scratch`` holds what a row's ``setup`` made."""

    services: Any
    local: Services
    user: Principal
    other: Principal
    admin: Principal
    system: Principal
    product_id: str
    inactive_product_id: str
    order_id: str
    scratch: dict[str, Any] = field(default_factory=dict)

    def principal(self, role: str) -> Principal | None:
        return None if role == "anonymous" else getattr(self, role)  # type: ignore[no-any-return]


@dataclass(frozen=True)
class Row:
    call: Callable[[Ctx, Principal | None], object]
    expect: Mapping[str, Expected]
    setup: Callable[[Ctx], None] | None = None


def expect(*, anonymous: Expected = Unauthenticated, user: Expected = None,
           other: Expected = None, admin: Expected = None,
           system: Expected = None) -> dict[str, Expected]:
    """The outcome per role; by default only the anonymous caller is refused."""
    return {"anonymous": anonymous, "user": user, "other": other, "admin": admin,
            "system": system}


def people_only(*, other: Expected = None, admin: Expected = None) -> dict[str, Expected]:
    """A user acting by their own consent: never the system, never nobody."""
    return expect(other=other, admin=admin, system=PermissionDenied)


def admin_only(*, system: Expected = PermissionDenied) -> dict[str, Expected]:
    return expect(user=PermissionDenied, other=PermissionDenied, system=system)


def system_only() -> dict[str, Expected]:
    return expect(user=PermissionDenied, other=PermissionDenied, admin=PermissionDenied)


def public(expected: Expected = None) -> dict[str, Expected]:
    return dict.fromkeys(ROLES, expected)


def signed_in(local: Services, name: str, *, admin: bool = False) -> Principal:
    """A real account, logged in: its principal carries its real access token. An
    administrator is promoted by an operator command and its login is recent, so its
    sensitive actions need no further step-up while the clock stands."""
    user = local.accounts.register(name, f"{name}@example.com", PASSWORD)
    if admin:
        local.accounts.admin_update_user(SEED, user.id, UserChanges(role="admin"))
    return local.verifier.verify(local.sessions.login(name, PASSWORD).tokens.access)


def new_product(local: Services, *, stock: int = 100) -> str:
    assert local.catalog is not None
    sku = f"M-{uuid.uuid4().hex[:10]}"
    return local.catalog.create_product(SEED_OPERATOR, ProductDraft(
        sku=sku, name=f"Matrix {sku}", category="misc", price=Decimal("3.00"),
        stock=stock)).id


def new_order(local: Services, owner: Principal, product_id: str) -> str:
    assert local.ordering is not None
    return local.ordering.place_order(owner, (OrderItem(product_id, 1),)).id


def build_ctx(services: Any, local: Services) -> Ctx:
    user = signed_in(local, "matrix_user")
    product_id = new_product(local)
    inactive = new_product(local)
    assert local.catalog is not None
    local.catalog.deactivate_product(SEED_OPERATOR, inactive)
    return Ctx(services=services, local=local, user=user,
               other=signed_in(local, "matrix_other"),
               admin=signed_in(local, "matrix_admin", admin=True),
               system=Principal.system("cli"), product_id=product_id,
               inactive_product_id=inactive, order_id=new_order(local, user, product_id))
