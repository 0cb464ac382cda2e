"""Progressive account lockout (applies whatever ``RATELIMIT_ENABLED`` says).

After ``threshold`` recent failed passwords the account waits ``base`` seconds, doubling with
every further recent failure up to ``cap``; a success resets the count. Failures age out: the
count is a leaky bucket that forgets one failure per ``leak`` quiet seconds (a full count
drains within hours, as Keycloak's quiet-period reset), so the lock time is bounded by recent
failures and an attacker who tries now and then (one wrong password every 15 minutes) no
longer keeps an account locked. The lock always ends on its own, at most ``cap`` seconds after
the last evaluated failure, so nobody keeps an account locked more than 15 minutes after they
stop (attempts made while locked are not evaluated and do not extend it). At most
``hourly_budget`` failures per account per hour are ever evaluated. Whoever asks, a refused
attempt answers exactly like a wrong password and costs the same hash (the caller verifies
against a dummy hash). A device that logged in before carries a device proof (devices.py)
that exempts it from this lockout.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.identity.models import User

HOUR = 3600


@dataclass(frozen=True)
class LockoutPolicy:
    threshold: int = 5
    base: int = 60
    cap: int = 900
    hourly_budget: int = 100
    leak: int = 450  # one failure forgotten per 7.5 quiet minutes

    def refuses(self, user: User, now: int) -> bool:
        """True when this attempt must not be evaluated (locked, or hourly budget spent)."""
        if user.operator_locked or user.locked_until > now:
            return True
        in_window = now - user.failure_window_start < HOUR
        return in_window and user.failures_in_window >= self.hourly_budget

    def lock_seconds(self, failures: int) -> int:
        if failures < self.threshold:
            return 0
        return int(min(self.cap, self.base * 2 ** (failures - self.threshold)))

    def recent_failures(self, user: User, now: int) -> int:
        """The failure count after leaking what the quiet time since forgave."""
        leaked = max(0, now - user.failure_clock) // self.leak
        return max(0, user.failed_logins - leaked)

    def record_failure(self, user: User, now: int) -> int:
        """Count an evaluated failure; returns the new lock duration (0 = not locked)."""
        if now - user.failure_window_start >= HOUR:
            user.failure_window_start, user.failures_in_window = now, 0
        user.failures_in_window += 1
        leaked = max(0, now - user.failure_clock) // self.leak
        remaining = max(0, user.failed_logins - leaked)
        # Keep the part of the quiet time that has not yet forgiven a whole failure.
        user.failure_clock = user.failure_clock + leaked * self.leak if remaining else now
        user.failed_logins = remaining + 1
        seconds = self.lock_seconds(user.failed_logins)
        user.locked_until = now + seconds if seconds else 0
        return seconds

    @staticmethod
    def record_success(user: User) -> None:
        user.failed_logins = 0
        user.locked_until = 0

    @staticmethod
    def unlock(user: User) -> bool:
        """Clear the lock and the counters; True when there was something to clear."""
        changed = bool(user.locked_until or user.failed_logins or user.failures_in_window
                       or user.operator_locked)
        user.failed_logins = user.locked_until = user.failures_in_window = 0
        user.operator_locked = False
        return changed
