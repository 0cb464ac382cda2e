"""Step-up proofs: 5 minutes on the shop's clock, only for the login session that made them."""

from __future__ import annotations

from typing import Any

from app.kernel import Principal
from app.platform.clock import FrozenClock
from app.web.step_up import StepUpProofs


def principal(sid: str = "session-1") -> Principal:
    return Principal(user_id="admin-1", role="admin", jti="j", session_id=sid, issued_at=0,
                     expires_at=0)


def test_a_proof_lasts_five_minutes_on_the_clock() -> None:
    clock, store = FrozenClock(1_000_000.0), {}
    proofs = StepUpProofs(clock)
    assert not proofs.fresh(store, principal())
    proofs.grant(store, principal(), int(clock.time()))
    assert proofs.fresh(store, principal()) and proofs.remaining(store, principal()) == 300
    clock.advance(299)
    assert proofs.fresh(store, principal())
    clock.advance(1)
    assert not proofs.fresh(store, principal())


def test_a_proof_is_bound_to_its_login_session() -> None:
    """Attack: carrying a proof into another login session (a second browser, a new login)."""
    clock, store = FrozenClock(1_000_000.0), {}
    proofs = StepUpProofs(clock)
    proofs.grant(store, principal("session-1"), int(clock.time()))
    assert not proofs.fresh(store, principal("session-2"))


def test_malformed_or_future_proofs_do_not_count() -> None:
    clock = FrozenClock(1_000_000.0)
    proofs = StepUpProofs(clock)
    bad: list[Any] = ["yes", {"sid": "session-1"}, {"sid": "session-1", "at": "1000000"},
                      {"sid": "session-1", "at": 1_000_100}]
    for value in bad:
        assert not proofs.fresh({"step_up": value}, principal()), value
    store: dict[str, Any] = {}
    proofs.grant(store, principal(), int(clock.time()))
    proofs.drop(store)
    assert not proofs.fresh(store, principal())
