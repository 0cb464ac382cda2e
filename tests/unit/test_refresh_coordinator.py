"""Racing page requests with one refresh cookie: one refresh, one shared result."""

from __future__ import annotations

import threading

import pytest

from app.identity.contract import InvalidRefreshToken, TokenPair
from app.platform.clock import FrozenClock
from app.web.ui.session import RefreshCoordinator, safe_next


class CountingIdentity:
    """A fake identity refresh: single use per token, slow enough for requests to overlap."""

    def __init__(self) -> None:
        self.calls = 0
        self.used: set[str] = set()
        self.entered = threading.Event()
        self.release = threading.Event()

    def refresh(self, token: str) -> TokenPair:
        self.calls += 1
        self.entered.set()
        self.release.wait(5)
        if token in self.used:
            raise InvalidRefreshToken("reused")
        self.used.add(token)
        return TokenPair(access=f"access-{self.calls}", refresh=f"refresh-{self.calls}",
                         expires_in=900)


def test_concurrent_requests_share_one_refresh() -> None:
    identity, clock = CountingIdentity(), FrozenClock(1_000_000)
    coordinator = RefreshCoordinator(identity.refresh, clock)
    results: list[TokenPair] = []
    threads = [threading.Thread(target=lambda: results.append(coordinator.refresh("r0")))
               for _ in range(8)]
    for thread in threads:
        thread.start()
    assert identity.entered.wait(5)
    identity.release.set()
    for thread in threads:
        thread.join(5)
    assert identity.calls == 1
    assert len(results) == 8 and len({r.refresh for r in results}) == 1


def test_after_the_grace_a_replayed_token_reaches_reuse_detection() -> None:
    identity, clock = CountingIdentity(), FrozenClock(1_000_000)
    identity.release.set()
    coordinator = RefreshCoordinator(identity.refresh, clock, grace=10)
    coordinator.refresh("r0")
    clock.advance(11)
    with pytest.raises(InvalidRefreshToken):
        coordinator.refresh("r0")
    assert identity.calls == 2


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil",
                                    "javascript:alert(1)", "evil"])
def test_safe_next_refuses_open_redirects(target: str) -> None:
    assert safe_next(target) is None


def test_safe_next_keeps_local_paths() -> None:
    assert safe_next("/orders/?page=2") == "/orders/?page=2"
