"""A pybreaker circuit breaker that does not serialise the calls it protects.

pybreaker's ``CircuitBreaker.call`` holds the breaker's lock for the whole protected call
(``with self._lock: return self.state.call(func, ...)``), so sixteen threads calling a 50 ms
backend through one breaker take 16 x 50 ms. ``ConcurrentBreaker`` keeps pybreaker's states,
storage, counters and listeners but takes the lock only to decide whether a call may start and
to record its outcome; the call itself runs outside the lock. In the half-open state exactly one
trial call runs; others fail fast until it has decided the state.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import pybreaker

T = TypeVar("T")


class ConcurrentBreaker(pybreaker.CircuitBreaker):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # The original exception is what callers map to a contract error; never a new one.
        kwargs["throw_new_error_on_trip"] = False
        super().__init__(*args, **kwargs)
        self._trial_running = False

    def call(self, func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        trial = self._admit()
        try:
            result = func(*args, **kwargs)
        except BaseException as exc:
            self._record_failure(exc, trial)
            raise
        self._record_success(trial)
        return result

    def _admit(self) -> bool:
        """Under the lock: may a call start now? Returns whether it is the half-open trial."""
        with self._lock:
            state = self.state
            if state.name == pybreaker.STATE_OPEN:
                opened_at = self._state_storage.opened_at
                timeout = timedelta(seconds=self.reset_timeout)
                if opened_at and datetime.now(UTC) < opened_at + timeout:
                    raise pybreaker.CircuitBreakerError("circuit breaker open")
                self.half_open()
                state = self.state
            if state.name == pybreaker.STATE_HALF_OPEN:
                if self._trial_running:
                    raise pybreaker.CircuitBreakerError("circuit breaker half-open: trial running")
                self._trial_running = True
                return True
            return False

    def _record_failure(self, exc: BaseException, trial: bool) -> None:
        with self._lock:
            if trial:
                self._trial_running = False
            # pybreaker's state logic: counts system errors, opens at fail_max, re-opens after
            # a failed trial, treats excluded (business) errors as successes. Its on_failure
            # re-raises exc when tripping; the caller raises exc itself, so that is dropped here.
            with contextlib.suppress(BaseException):
                self.state._handle_error(exc, reraise=False)

    def _record_success(self, trial: bool) -> None:
        with self._lock:
            if trial:
                self._trial_running = False
            self.state._handle_success()
