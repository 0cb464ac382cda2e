"""Blocked addresses: IPs and CIDR ranges refused at the edge, before any other work.

Stored by the platform (``platform_blocked_networks``), so every worker and container shares
one list; each process keeps a snapshot for at most ``cache_seconds`` (a block made elsewhere
reaches this process within that time; one made here, at once). Expiry is checked against the
clock on every lookup, so an expired block lifts by itself even inside a cached snapshot.

A lookup costs one dictionary probe per distinct prefix length in the list, not one
comparison per entry. IPv4-mapped IPv6 addresses (``::ffff:203.0.113.9``) are looked up as the
IPv4 address they carry, so a dual-stack socket cannot slip past an IPv4 block.

When the database cannot be read, the last snapshot stays in force (and an empty one lets
traffic through): the block list is a filter in front of a shop that needs the same database
anyway, and refusing everyone because of it would turn a database hiccup into an outage.
"""

from __future__ import annotations

import ipaddress
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import structlog
from sqlalchemy import DateTime, Integer, String, delete, or_, select
from sqlalchemy.orm import Mapped, mapped_column

from app.kernel import InvalidInput, NotFound, PermissionDenied, Principal
from app.platform.audit import AuditTrail, SecurityEvent, Subject
from app.platform.clock import Clock, utc
from app.platform.db import db

log = structlog.get_logger("shop.blocklist")

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address

# The broadest range one entry may cover: a typo must not cut off a continent (or everyone).
MIN_PREFIX = {4: 8, 6: 24}
MAX_REASON = 200


class BlockedNetwork(db.Model):  # type: ignore[name-defined]
    __tablename__ = "platform_blocked_networks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    network: Mapped[str] = mapped_column(String(64), unique=True)
    reason: Mapped[str] = mapped_column(String(MAX_REASON))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True,
                                                        nullable=True)
    created_by: Mapped[str] = mapped_column(String(64))


@dataclass(frozen=True, slots=True)
class Block:
    network: str
    reason: str
    created_at: datetime
    expires_at: datetime | None
    created_by: str


def _aware(value: datetime | None) -> datetime | None:
    # SQLite hands datetimes back without a zone; every value stored here is UTC.
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def _as_block(row: BlockedNetwork) -> Block:
    return Block(network=row.network, reason=row.reason,
                 created_at=_aware(row.created_at) or row.created_at,
                 expires_at=_aware(row.expires_at), created_by=row.created_by)


def parse_network(value: str) -> Network:
    """An IP (``203.0.113.9``) or CIDR range (``203.0.113.0/24``); host bits must be zero.

    Raises InvalidInput naming the ``network`` field.
    """
    text = value.strip()
    try:
        network = ipaddress.ip_network(text, strict=True)
    except ValueError as error:
        raise InvalidInput(f"{text!r} is not an IP address or CIDR range ({error}).",
                           field_errors={"network": "Enter an IP address or a CIDR range "
                                                    "such as 203.0.113.0/24."}) from None
    if network.prefixlen < MIN_PREFIX[network.version]:
        raise InvalidInput(
            f"{network} is too broad to block.",
            field_errors={"network": f"Block at most a /{MIN_PREFIX[network.version]} range "
                                     f"for IPv{network.version}."})
    return network


def canonical(network: Network) -> str:
    """How a network is stored and shown: a single address without its ``/32`` or ``/128``."""
    if network.prefixlen == network.max_prefixlen:
        return str(network.network_address)
    return str(network)


def parse_address(value: str | None) -> Address | None:
    """The client address as an IP (IPv4-mapped IPv6 as IPv4), or None when it is none."""
    try:
        address = ipaddress.ip_address((value or "").strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


class _Snapshot:
    """The active blocks at load time, indexed by (version, prefix length) -> network -> Block."""

    def __init__(self, blocks: list[Block], loaded: float) -> None:
        self.loaded = loaded
        self.index: dict[tuple[int, int], dict[Network, Block]] = {}
        for block in blocks:
            network = ipaddress.ip_network(block.network)
            self.index.setdefault((network.version, network.prefixlen), {})[network] = block

    def match(self, address: Address) -> Block | None:
        for (version, prefix), networks in self.index.items():
            if version == address.version:
                block = networks.get(ipaddress.ip_network((address, prefix), strict=False))
                if block is not None:
                    return block
        return None


class Blocklist:
    """Block, unblock and list networks (admins and operators), and ``match`` at the edge."""

    def __init__(self, audit: AuditTrail, clock: Clock, cache_seconds: float = 2.0,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self._audit, self._clock = audit, clock
        self._cache_seconds, self._monotonic = cache_seconds, monotonic
        self._snapshot: _Snapshot | None = None
        self._lock = threading.Lock()

    @staticmethod
    def _authorize(principal: Principal) -> None:
        if not (principal.is_admin or principal.is_system):
            raise PermissionDenied("Only administrators manage blocked addresses.")

    def block(self, principal: Principal, network: str, reason: str, *,
              expires_at: datetime | None = None, keep_reachable: str | None = None) -> Block:
        """Block ``network`` (admins and operators). Blocking a network again replaces its
        reason and expiry (idempotent). ``keep_reachable``: an address the block must not
        cover (the administrator's own, so nobody locks themselves out).

        Raises PermissionDenied, InvalidInput (network, reason or expiry).
        """
        self._authorize(principal)
        parsed, reason = parse_network(network), " ".join(reason.split())
        self._check(parsed, reason, expires_at, keep_reachable)
        with self._audit.database.unit_of_work(None) as session:
            row = session.scalar(select(BlockedNetwork)
                                 .where(BlockedNetwork.network == canonical(parsed)))
            if row is None:
                row = BlockedNetwork(network=canonical(parsed))
                session.add(row)
            row.reason, row.expires_at = reason, expires_at
            row.created_at, row.created_by = utc(self._clock), principal.user_id[:64]
            session.flush()
            block = _as_block(row)
        self._invalidate()
        self._audit.record(SecurityEvent.ADDRESS_BLOCKED, actor=Subject(principal.user_id),
                           target=canonical(parsed), reason=reason,
                           expires_at=expires_at.isoformat() if expires_at else None)
        return block

    def _check(self, network: Network, reason: str, expires_at: datetime | None,
               keep_reachable: str | None) -> None:
        if not reason or len(reason) > MAX_REASON:
            raise InvalidInput("A reason is required.", field_errors={
                "reason": f"Say why, in 1 to {MAX_REASON} characters."})
        if expires_at is not None and (expires_at.tzinfo is None or expires_at <= utc(self._clock)):
            raise InvalidInput("The expiry must be a future UTC time.", field_errors={
                "expires_at": "Choose a time in the future, or leave it empty."})
        own = parse_address(keep_reachable)
        if own is not None and own.version == network.version and own in network:
            raise InvalidInput(f"{network} covers your own address {own}.", field_errors={
                "network": "This range includes the address you are connected from."})

    def unblock(self, principal: Principal, network: str) -> None:
        """Lift a block (admins and operators). Raises PermissionDenied, InvalidInput, NotFound
        (no such block)."""
        self._authorize(principal)
        parsed = parse_network(network)
        with self._audit.database.unit_of_work(None) as session:
            removed = session.execute(delete(BlockedNetwork)
                                      .where(BlockedNetwork.network == canonical(parsed)))
        if not removed.rowcount:  # type: ignore[attr-defined]
            raise NotFound(f"{canonical(parsed)} is not blocked.")
        self._invalidate()
        self._audit.record(SecurityEvent.ADDRESS_UNBLOCKED, actor=Subject(principal.user_id),
                           target=canonical(parsed))

    def blocks(self, principal: Principal, *, include_expired: bool = False) -> list[Block]:
        """The blocks, newest first (expired ones too when asked). Raises PermissionDenied."""
        self._authorize(principal)
        return self._load(include_expired=include_expired)

    def _load(self, *, include_expired: bool = False) -> list[Block]:
        query = select(BlockedNetwork).order_by(BlockedNetwork.created_at.desc(),
                                                BlockedNetwork.id.desc())
        if not include_expired:
            query = query.where(or_(BlockedNetwork.expires_at.is_(None),
                                    BlockedNetwork.expires_at > utc(self._clock)))
        with self._audit.database.unit_of_work(None, readonly=True) as session:
            return [_as_block(row) for row in session.scalars(query)]

    def match(self, client_address: str | None) -> Block | None:
        """The block in force for this client address, or None. Cheap: called per request."""
        snapshot = self._current()
        if not snapshot.index:  # nothing blocked (the usual case): no address to parse
            return None
        address = parse_address(client_address)
        if address is None:
            return None
        block = snapshot.match(address)
        if block is None or (block.expires_at is not None
                             and block.expires_at <= utc(self._clock)):
            return None
        return block

    def _current(self) -> _Snapshot:
        snapshot, now = self._snapshot, self._monotonic()
        if snapshot is not None and now - snapshot.loaded < self._cache_seconds:
            return snapshot
        with self._lock:
            snapshot = self._snapshot
            if snapshot is not None and now - snapshot.loaded < self._cache_seconds:
                return snapshot
            try:
                snapshot = _Snapshot(self._load(), now)
            except Exception as error:  # keep the last list in force; see the module docstring
                log.error("blocklist_unreadable", error_type=type(error).__name__)
                snapshot = _Snapshot([], now) if snapshot is None else _Snapshot(
                    [b for m in snapshot.index.values() for b in m.values()], now)
            self._snapshot = snapshot
            return snapshot

    def _invalidate(self) -> None:
        with self._lock:
            self._snapshot = None
