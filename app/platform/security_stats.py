"""What the security dashboard shows, read from the audit trail (administrators only).

* ``hourly``: per whole UTC hour over the last 24 hours (the last one is the current, partial
  hour), how many failed logins, successful logins, lockouts and rate-limit refusals the trail
  holds. One query grouped by event, one conditional sum per hour, on SQLite and PostgreSQL
  alike; hours without events are zeros, never missing.
* ``suspects``: client addresses with many failed logins in the last hour, the candidates for a
  block.
* ``events``: the trail itself, newest first, filtered by event, actor and outcome, paged.
* ``verify``: the hash chain checked on demand; the check is itself audited, so the last result
  and its time are the newest ``sys_audit_verified`` row, whichever worker ran it.

Rate-limit refusals are audited once per limit and key per minute (see ``ratelimit``), so that
series counts refused clients per minute rather than every refused request; the metric
``shop_rate_limit_hits_total`` counts every one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, func, select

from app.kernel import InvalidInput, Page, PermissionDenied, Principal
from app.platform.audit import AuditRecord, AuditTrail, SecurityEvent, Subject, verify_chain
from app.platform.clock import Clock

HOURS = 24
SERIES: dict[str, tuple[str, ...]] = {
    "failed_logins": (SecurityEvent.LOGIN_FAIL.value, SecurityEvent.MFA_FAIL.value),
    "successful_logins": (SecurityEvent.LOGIN_SUCCESS.value,),
    "lockouts": (SecurityEvent.LOGIN_LOCKED.value,),
    "rate_limited": (SecurityEvent.RATE_LIMITED.value,),
}
FAILED_LOGIN_EVENTS = SERIES["failed_logins"]
OUTCOMES = ("success", "failure")
MAX_PAGE_SIZE = 100


@dataclass(frozen=True, slots=True)
class HourlyCounts:
    """``hours[i]`` is the start of bucket ``i`` (UTC); ``series[name][i]`` its count."""

    hours: tuple[datetime, ...]
    series: dict[str, tuple[int, ...]]


@dataclass(frozen=True, slots=True)
class Suspect:
    address: str
    failures: int
    last_seen: datetime


@dataclass(frozen=True, slots=True)
class ChainCheck:
    checked_at: datetime
    events: int
    broken_at: int | None
    actor: str

    @property
    def intact(self) -> bool:
        return self.broken_at is None


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def require_admin(principal: Principal) -> None:
    if not (principal.is_admin or principal.is_system):
        raise PermissionDenied("Only administrators see the security dashboard.")


class SecurityStats:
    def __init__(self, audit: AuditTrail, clock: Clock) -> None:
        self._audit, self._clock = audit, clock

    def _named(self, who: str) -> str:
        """How the trail names ``who``: a known person's pseudonym, else as given."""
        if who.startswith("system:"):
            return who
        return self._audit.known_pseudonym(who) or who

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self._clock.time(), UTC)

    def hourly(self, principal: Principal, hours: int = HOURS) -> HourlyCounts:
        """Counts per UTC hour, oldest first. Raises PermissionDenied."""
        require_admin(principal)
        current = self._now().replace(minute=0, second=0, microsecond=0)
        starts = tuple(current - timedelta(hours=hours - 1 - i) for i in range(hours))
        ends = (*starts[1:], current + timedelta(hours=1))
        columns = [func.sum(case((and_(AuditRecord.occurred_at >= start,
                                       AuditRecord.occurred_at < end), 1), else_=0))
                   for start, end in zip(starts, ends, strict=True)]
        wanted = [event for events in SERIES.values() for event in events]
        query = (select(AuditRecord.event, *columns)
                 .where(AuditRecord.event.in_(wanted), AuditRecord.occurred_at >= starts[0])
                 .group_by(AuditRecord.event))
        with self._audit.database.unit_of_work(None, readonly=True) as session:
            per_event = {row[0]: [int(n or 0) for n in row[1:]] for row in session.execute(query)}
        series = {name: tuple(sum(per_event.get(e, [0] * hours)[i] for e in events)
                              for i in range(hours))
                  for name, events in SERIES.items()}
        return HourlyCounts(hours=starts, series=series)

    def suspects(self, principal: Principal, *, threshold: int = 10, window: int = 3600,
                 limit: int = 20) -> list[Suspect]:
        """Addresses with at least ``threshold`` failed logins in the last ``window`` seconds,
        most failures first. Raises PermissionDenied."""
        require_admin(principal)
        since = self._now() - timedelta(seconds=window)
        failures = func.count().label("failures")
        query = (select(AuditRecord.ip, failures, func.max(AuditRecord.occurred_at))
                 .where(AuditRecord.event.in_(FAILED_LOGIN_EVENTS),
                        AuditRecord.occurred_at >= since, AuditRecord.ip != "")
                 .group_by(AuditRecord.ip).having(func.count() >= threshold)
                 .order_by(failures.desc(), AuditRecord.ip).limit(limit))
        with self._audit.database.unit_of_work(None, readonly=True) as session:
            return [Suspect(ip, int(n), _aware(last)) for ip, n, last in session.execute(query)]

    def events(self, principal: Principal, *, event: str = "", actor: str = "",
               outcome: str = "", page: int = 1, page_size: int = 50) -> Page[dict[str, Any]]:
        """Audit rows newest first; ``event`` matches a prefix (``authn_`` or a full name).
        Raises PermissionDenied, InvalidInput (outcome, page)."""
        require_admin(principal)
        if outcome and outcome not in OUTCOMES:
            raise InvalidInput("Unknown outcome.", field_errors={"outcome": "success or failure"})
        if page < 1 or not 1 <= page_size <= MAX_PAGE_SIZE:
            raise InvalidInput("Bad page.", field_errors={"page": "a page from 1"})
        conditions = []
        if event:
            conditions.append(AuditRecord.event.startswith(event, autoescape=True))
        if actor:  # a user id is looked up by its pseudonym, as the trail names people
            conditions.append(AuditRecord.actor == self._named(actor))
        if outcome:
            conditions.append(AuditRecord.outcome == outcome)
        query = select(AuditRecord).where(*conditions)
        with self._audit.database.unit_of_work(None, readonly=True) as session:
            total = int(session.scalar(select(func.count()).select_from(query.subquery())) or 0)
            rows = session.scalars(query.order_by(AuditRecord.seq.desc())
                                   .offset((page - 1) * page_size).limit(page_size))
            items = tuple(_row(r) for r in rows)
        return Page(items=items, total=total, page=page, page_size=page_size)

    def last_login(self, principal: Principal, user_id: str) -> datetime | None:
        """When ``user_id`` last signed in completely (with the code step when 2FA was on),
        or None. Raises PermissionDenied."""
        require_admin(principal)
        pseudonym = self._audit.known_pseudonym(user_id)
        if pseudonym is None:
            return None
        query = (select(AuditRecord)
                 .where(AuditRecord.event == SecurityEvent.LOGIN_SUCCESS,
                        AuditRecord.target == pseudonym)
                 .order_by(AuditRecord.seq.desc()).limit(10))
        with self._audit.database.unit_of_work(None, readonly=True) as session:
            for row in session.scalars(query):
                if not json.loads(row.details).get("second_factor_required"):
                    return _aware(row.occurred_at)
        return None

    def event_names(self) -> list[str]:
        return sorted(e.value for e in SecurityEvent)

    def verify(self, principal: Principal) -> ChainCheck:
        """Check the audit chain now; the result is audited. Raises PermissionDenied."""
        require_admin(principal)
        count, broken = verify_chain(self._audit.database)
        self._audit.record(SecurityEvent.AUDIT_VERIFIED,
                           outcome="success" if broken is None else "failure",
                           actor=Subject(principal.user_id), target="audit_chain",
                           events=count, broken_at=broken)
        return ChainCheck(self._now(), count, broken, self._named(principal.user_id))

    def last_verification(self, principal: Principal) -> ChainCheck | None:
        """The newest audited chain check, or None. Raises PermissionDenied."""
        require_admin(principal)
        query = (select(AuditRecord).where(AuditRecord.event == SecurityEvent.AUDIT_VERIFIED)
                 .order_by(AuditRecord.seq.desc()).limit(1))
        with self._audit.database.unit_of_work(None, readonly=True) as session:
            row = session.scalar(query)
        if row is None:
            return None
        details = json.loads(row.details)
        return ChainCheck(_aware(row.occurred_at), int(details.get("events", 0)),
                          details.get("broken_at"), row.actor)


def _row(record: AuditRecord) -> dict[str, Any]:
    return {"seq": record.seq, "occurred_at": _aware(record.occurred_at), "event": record.event,
            "outcome": record.outcome, "actor": record.actor, "target": record.target,
            "ip": record.ip, "details": json.loads(record.details)}
