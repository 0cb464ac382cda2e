"""The server-side record of recent authentication behind sensitive actions (SPEC §1).

An administrator changing a role or the active flag, ending a user's sessions or managing
signing keys must have proved who they are within the last ``STEP_UP_WINDOW`` seconds, in the very
login session (the token's ``sid``) that asks: a login counts (the session starts then), and
so does a step-up (``SessionService.reauthenticate``). The rule lives in the services, so it
holds over every transport; system principals (operator commands) are exempt.
"""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.identity.contract import STEP_UP_WINDOW
from app.identity.models import RecentAuthentication


def record(session: Session, session_id: str, user_id: str, now: int) -> None:
    """``session_id`` authenticated at ``now`` (one row per session; stale rows go)."""
    session.execute(delete(RecentAuthentication)
                    .where(RecentAuthentication.verified_at < now - STEP_UP_WINDOW))
    row = session.get(RecentAuthentication, session_id)
    if row is None:
        session.add(RecentAuthentication(session_id=session_id, user_id=user_id,
                                         verified_at=now))
    elif row.user_id == user_id:
        row.verified_at = max(row.verified_at, now)


def is_fresh(session: Session, session_id: str, user_id: str, now: int) -> bool:
    """Whether this user authenticated in this session within the window."""
    verified_at = session.scalar(select(RecentAuthentication.verified_at).where(
        RecentAuthentication.session_id == session_id,
        RecentAuthentication.user_id == user_id))
    return verified_at is not None and verified_at >= now - STEP_UP_WINDOW
