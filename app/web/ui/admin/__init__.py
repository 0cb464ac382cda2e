"""The admin console under ``/admin/``: one blueprint, its routes split per concern.

Every route passes the admin guard and (for state changes) the CSRF check before it runs;
views call the contracts and the platform's admin services only, which check the principal
again. Sensitive actions also need a fresh step-up (see ``kit``).
"""

from __future__ import annotations

from flask import Blueprint

from app.web.ui import Ui
from app.web.ui.admin import blocked, keys, orders, products, security, users
from app.web.ui.admin.kit import AdminKit


def blueprint(ui: Ui) -> Blueprint:
    bp = ui.blueprint("admin", __name__, url_prefix="/admin")
    kit = AdminKit(ui)
    bp.before_request(kit.guard)
    for concern in (security, products, orders, users, keys, blocked):
        concern.routes(bp, kit)
    return bp
