"""The progressive lockout policy as a pure timeline."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from app.identity.lockout import LockoutPolicy


def account() -> Any:
    return SimpleNamespace(failed_logins=0, locked_until=0, failure_window_start=0,
                           failures_in_window=0, operator_locked=False, failure_clock=0)


def test_five_failures_lock_one_minute_then_doubling() -> None:
    policy, user, now = LockoutPolicy(), account(), 1_000_000
    locks = []
    for _ in range(8):
        assert not policy.refuses(user, now)
        locks.append(policy.record_failure(user, now))
        now = max(now, user.locked_until)  # wait out each lock before the next try
    assert locks == [0, 0, 0, 0, 60, 120, 240, 480]


def test_the_lock_doubles_up_to_fifteen_minutes_for_recent_failures() -> None:
    policy = LockoutPolicy()
    assert [policy.lock_seconds(n) for n in range(4, 11)] == [0, 60, 120, 240, 480, 900, 900]


def test_a_slow_attacker_cannot_keep_the_account_locked() -> None:
    """Attack from the report: 9 failures, then one wrong password every 15 minutes kept the
    account locked for ever (every failure counted, each re-locked it for 15 minutes)."""
    policy, user, now = LockoutPolicy(), account(), 1_000_000
    for _ in range(9):
        policy.record_failure(user, now)
        now = max(now, user.locked_until)
    locks = []
    for _ in range(8):  # two hours of one wrong attempt every 15 minutes
        now += 900
        assert not policy.refuses(user, now), "the account is open again before each try"
        locks.append(policy.record_failure(user, now))
    assert locks == sorted(locks, reverse=True) and locks[-1] == 0, locks
    assert max(locks) < 900


def test_failures_age_out_after_a_quiet_period() -> None:
    policy, user = LockoutPolicy(), account()
    for _ in range(4):
        policy.record_failure(user, 0)
    assert policy.recent_failures(user, 449) == 4
    assert policy.recent_failures(user, 450) == 3
    assert policy.recent_failures(user, 12 * 3600) == 0
    assert policy.record_failure(user, 12 * 3600) == 0, "a new, single failure: no lock"


def test_success_resets_the_count() -> None:
    policy, user = LockoutPolicy(), account()
    for _ in range(4):
        policy.record_failure(user, 0)
    policy.record_success(user)
    assert policy.record_failure(user, 1) == 0, "the count started again"


def test_lock_always_ends_on_its_own() -> None:
    policy, user = LockoutPolicy(), account()
    for _ in range(50):
        policy.record_failure(user, 0)
    assert policy.refuses(user, 899)
    assert not policy.refuses(user, 900), "never more than 15 minutes"


def test_at_most_100_failures_per_hour_are_evaluated() -> None:
    policy = LockoutPolicy(threshold=1_000)  # no lock, to isolate the hourly budget
    user = account()
    for i in range(100):
        assert not policy.refuses(user, 10 + i)
        policy.record_failure(user, 10 + i)
    assert policy.refuses(user, 200), "the 101st failure in the hour is not evaluated"
    assert not policy.refuses(user, 10 + 3600), "a new hour, a new budget"


def test_unlock_clears_everything() -> None:
    policy, user = LockoutPolicy(), account()
    for _ in range(6):
        policy.record_failure(user, 0)
    assert policy.unlock(user) is True
    assert not policy.refuses(user, 0)
    assert policy.unlock(user) is False


def test_an_operator_lock_holds_until_unlock_whatever_the_clock() -> None:
    policy, user = LockoutPolicy(), account()
    user.operator_locked = True
    assert policy.refuses(user, 0) and policy.refuses(user, 10**9)
    assert policy.unlock(user) is True
    assert not policy.refuses(user, 0) and user.operator_locked is False
