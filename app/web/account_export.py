"""The caller's data as one JSON document (GDPR access), shared by the API's
``GET /api/users/me/export/`` and the account page's "Download my data" button, so both give
the same document from the same contract calls."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from app.identity.contract import AccountExport, AccountService
from app.kernel import Principal
from app.ordering.contract import OrderingService, OrderView
from app.web.api.orders import order_json

FILENAME = "my-shop-data.json"


def all_orders(ordering: OrderingService, principal: Principal) -> Iterator[OrderView]:
    """Every order of the caller, page by page (the contract caps a page at 100)."""
    page = 1
    while True:
        batch = ordering.list_orders(principal, page, 100)
        yield from batch.items
        if page * batch.page_size >= batch.total:
            return
        page += 1


def export_json(export: AccountExport, orders: list[OrderView]) -> dict[str, Any]:
    return {
        "exported_at": datetime.now(UTC).isoformat(),
        "profile": asdict(export.user),
        "two_factor": asdict(export.two_factor),
        "sessions": [{**asdict(session), "amr": list(session.amr)}
                     for session in export.sessions],
        "orders": [order_json(order) for order in orders],
        "security_events": [{**asdict(event), "details": json.loads(event.details)}
                            for event in export.security_events],
    }


def account_document(accounts: AccountService, ordering: OrderingService,
                     principal: Principal) -> dict[str, Any]:
    """The principal's own data: identity's export (audited there) and their orders."""
    return export_json(accounts.export_account(principal), list(all_orders(ordering, principal)))
