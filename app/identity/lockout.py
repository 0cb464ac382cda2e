"""Progressive account lockout (applies whatever ``RATELIMIT_ENABLED`` says).

After ``threshold`` consecutive failed passwords the account waits ``base`` seconds, doubling
with every further failure up to ``cap``; a success resets the count. The lock always ends on
its own (never permanent, so an attacker cannot lock a user out for good, and attempts made
while locked are not evaluated and do not extend it). At most ``hourly_budget`` failures per
account per hour are ever evaluated; beyond that, attempts are refused unevaluated until the
hour ends. Whoever asks, a refused attempt answers exactly like a wrong password and costs the
same hash (the caller verifies against a dummy hash).
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

    def record_failure(self, user: User, now: int) -> int:
        """Count an evaluated failure; returns the new lock duration (0 = not locked)."""
        if now - user.failure_window_start >= HOUR:
            user.failure_window_start, user.failures_in_window = now, 0
        user.failures_in_window += 1
        user.failed_logins += 1
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
