"""The circuit breaker: counts only infrastructure failures and never serialises calls."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import grpc
import pybreaker
import pytest

from app.platform.grpc.breaker import ConcurrentBreaker
from app.platform.grpc.client import is_infrastructure_failure


class FakeRpcError(grpc.RpcError):
    def __init__(self, status: grpc.StatusCode) -> None:
        self._status = status

    def code(self) -> grpc.StatusCode:
        return self._status


def breaker(**kwargs: object) -> ConcurrentBreaker:
    return ConcurrentBreaker(fail_max=5, reset_timeout=30,
                             exclude=[lambda exc: not is_infrastructure_failure(exc)],
                             **kwargs)  # type: ignore[arg-type]


def fail(status: grpc.StatusCode) -> None:
    raise FakeRpcError(status)


def test_sixteen_concurrent_calls_overlap_instead_of_queueing_behind_the_lock() -> None:
    """pybreaker as shipped holds its lock for the whole call; ours must not. The backend
    records how many calls are inside it at once: all 16 must be in at the same moment."""
    cb = breaker()
    inside, peak, lock = 0, 0, threading.Lock()
    all_in = threading.Barrier(16, timeout=10)

    def backend() -> int:
        nonlocal inside, peak
        with lock:
            inside += 1
            peak = max(peak, inside)
        all_in.wait()  # raises BrokenBarrierError if calls were serialised
        with lock:
            inside -= 1
        return 1

    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(lambda _: cb.call(backend), range(16)))
    assert results == [1] * 16 and peak == 16


def test_stock_pybreaker_serialises_calls() -> None:
    """The behaviour we fix, shown on the library itself (so the fix stays needed and real)."""
    cb = pybreaker.CircuitBreaker()
    inside, peak, lock = 0, 0, threading.Lock()

    def backend() -> None:
        nonlocal inside, peak
        with lock:
            inside += 1
            peak = max(peak, inside)
        time.sleep(0.01)
        with lock:
            inside -= 1

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda _: cb.call(backend), range(8)))
    assert peak == 1


@pytest.mark.parametrize("status", [grpc.StatusCode.UNAVAILABLE,
                                    grpc.StatusCode.DEADLINE_EXCEEDED,
                                    grpc.StatusCode.INTERNAL])
def test_opens_after_five_infrastructure_failures(status: grpc.StatusCode) -> None:
    cb = breaker()
    for _ in range(5):
        with pytest.raises(FakeRpcError):
            cb.call(fail, status)
    assert cb.current_state == "open"
    with pytest.raises(pybreaker.CircuitBreakerError):
        cb.call(lambda: 1)


@pytest.mark.parametrize("status", [grpc.StatusCode.NOT_FOUND,
                                    grpc.StatusCode.INVALID_ARGUMENT,
                                    grpc.StatusCode.FAILED_PRECONDITION,
                                    grpc.StatusCode.PERMISSION_DENIED])
def test_business_errors_never_open_it_so_bad_input_cannot_deny_service(
        status: grpc.StatusCode) -> None:
    cb = breaker()
    for _ in range(50):
        with pytest.raises(FakeRpcError):
            cb.call(fail, status)
    assert cb.current_state == "closed" and cb.fail_counter == 0


def test_half_open_admits_one_trial_then_closes_on_success() -> None:
    cb = ConcurrentBreaker(fail_max=1, reset_timeout=0.05)
    with pytest.raises(ValueError):
        cb.call(lambda: (_ for _ in ()).throw(ValueError()))
    assert cb.current_state == "open"
    time.sleep(0.06)
    trial_started, release = threading.Event(), threading.Event()

    def slow_trial() -> str:
        trial_started.set()
        release.wait(5)
        return "ok"

    with ThreadPoolExecutor(1) as pool:
        trial = pool.submit(cb.call, slow_trial)
        assert trial_started.wait(5)
        assert cb.current_state == "half-open"
        with pytest.raises(pybreaker.CircuitBreakerError):
            cb.call(lambda: "second")  # only one trial at a time
        release.set()
        assert trial.result() == "ok"
    assert cb.current_state == "closed"


def test_failed_trial_reopens() -> None:
    cb = ConcurrentBreaker(fail_max=1, reset_timeout=0.01)
    for _ in range(2):
        with pytest.raises(KeyError):
            cb.call(lambda: {}["x"])
        assert cb.current_state == "open"
        time.sleep(0.02)


def test_state_changes_reach_listeners() -> None:
    changes: list[str] = []

    class Listener(pybreaker.CircuitBreakerListener):
        def state_change(self, cb, old_state, new_state):  # type: ignore[no-untyped-def]
            changes.append(new_state.name)

    cb = ConcurrentBreaker(fail_max=1, reset_timeout=0.01, listeners=[Listener()])
    with pytest.raises(KeyError):
        cb.call(lambda: {}["x"])
    time.sleep(0.02)
    cb.call(lambda: None)
    assert changes == ["open", "half-open", "closed"]
