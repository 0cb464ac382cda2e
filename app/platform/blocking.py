"""The edge check of blocked addresses: the first thing every request meets after its id.

The client address is ``request.remote_addr``: the socket's peer, or, with
``TRUSTED_PROXY_HOPS`` > 0, the address ProxyFix takes from ``X-Forwarded-For`` that many hops
from the right (the part our own proxies wrote). A client cannot choose it by sending its own
header, so a forged header neither escapes a block nor gets someone else refused.

A refused request is a 403 (problem+json on the API, the error page elsewhere). Each blocked
address is audited once per minute, across workers: a flood from a blocked range must not turn
every cheap 403 into a database write.
"""

from __future__ import annotations

import structlog
from flask import request

from app.platform.audit import AuditTrail, SecurityEvent
from app.platform.blocklist import Blocklist
from app.platform.clock import Clock
from app.platform.errors import Problem
from app.platform.metrics import BLOCKED_REQUESTS
from app.platform.ratelimit import FirstInWindow

log = structlog.get_logger("shop.blocking")

AUDIT_WINDOW = 60.0
# Liveness says whether the process runs; an orchestrator probing from a blocked range must
# not restart a healthy shop.
EXEMPT_PATHS = frozenset({"/healthz"})


class BlockGate:
    """``gate()`` raises the 403 Problem for a blocked client; else returns None."""

    def __init__(self, blocklist: Blocklist, audit: AuditTrail, clock: Clock) -> None:
        self._blocklist, self._audit, self._clock = blocklist, audit, clock
        self._reported = FirstInWindow()

    def __call__(self) -> None:
        if request.path in EXEMPT_PATHS:
            return
        address = request.remote_addr
        block = self._blocklist.match(address)
        if block is None:
            return
        BLOCKED_REQUESTS.inc()
        self._report(address or "", block.network)
        raise Problem(403, "Requests from your network address are blocked.",
                      code="address_blocked")

    def _report(self, address: str, network: str) -> None:
        if not self._reported.first(address, self._clock.time(), AUDIT_WINDOW):
            return
        if self._audit.count_since(SecurityEvent.BLOCKED_REQUEST, AUDIT_WINDOW, target=address):
            return  # another worker reported it within the minute
        log.warning("blocked_request", address=address, network=network)
        self._audit.record(SecurityEvent.BLOCKED_REQUEST, outcome="failure", actor="",
                           target=address, network=network, path=request.path[:200],
                           method=request.method)
