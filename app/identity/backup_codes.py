"""Backup codes: 10 per set, 100 bits each, checked with at most one hash.

A code is 20 characters from a 32-letter alphabet (100 bits from ``secrets``), shown in groups
of four (``abcd-efgh-jkmn-pqrs-tvwx``). The first four characters are a non-secret lookup
prefix stored in clear; only a salted SHA-256 of the remaining 16 characters (80 bits) is
stored. Checking a code selects the one unused row with that prefix (prefixes are unique within
a set) and computes one hash; an unknown prefix computes one hash of a dummy, so both cost the
same.

Why one fast salted hash and not PBKDF2: key stretching protects low-entropy secrets
(passwords). An 80-bit uniformly random secret cannot be brute-forced from its hash even at
10^12 guesses per second (about 38,000 years on average), so stretching would only add cost to
every legitimate check and a denial-of-service lever, without adding security. The salt stops
precomputation across users.

One successful use per code: consumption is a conditional UPDATE (``used_at IS NULL``); of two
concurrent requests with the same code exactly one changes the row.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from app.identity.login_tickets import changed_rows
from app.identity.models import BackupCode

COUNT = 10
ALPHABET = "abcdefghjkmnpqrstvwxyz0123456789"  # no i, l, o, u: fewer misreadings
LENGTH = 20
PREFIX = 4
GROUP = 4
_SHAPE = re.compile(rf"^[{ALPHABET}]{{{LENGTH}}}$")
_DUMMY_SALT = "0" * 32


def _digest(salt: str, secret: str) -> str:
    """The one hash a check computes (tests count calls to this function)."""
    return hashlib.sha256(bytes.fromhex(salt) + secret.encode()).hexdigest()


def normalize(code: str) -> str | None:
    """Lower case, separators removed; None when it cannot be a backup code."""
    compact = code.strip().lower().replace("-", "").replace(" ", "")
    return compact if _SHAPE.match(compact) else None


def looks_like_backup_code(code: str) -> bool:
    return normalize(code) is not None


def _new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def _grouped(code: str) -> str:
    return "-".join(code[i:i + GROUP] for i in range(0, LENGTH, GROUP))


def replace_set(session: Session, user_id: str) -> list[str]:
    """Void every code of the user and store a new set; returns the codes (shown once)."""
    session.execute(delete(BackupCode).where(BackupCode.user_id == user_id))
    codes: list[str] = []
    while len(codes) < COUNT:
        code = _new_code()
        if any(c[:PREFIX] == code[:PREFIX] for c in codes):
            continue  # keep prefixes unique so a lookup never needs a second hash
        codes.append(code)
    for code in codes:
        salt = secrets.token_hex(16)
        session.add(BackupCode(user_id=user_id, prefix=code[:PREFIX], salt=salt,
                               digest=_digest(salt, code[PREFIX:])))
    return [_grouped(code) for code in codes]


def consume(session: Session, user_id: str, code: str, now: int) -> bool:
    """Spend a code: True for exactly one caller per code, at most one hash computed."""
    compact = normalize(code)
    if compact is None:
        return False
    row = session.scalar(select(BackupCode).where(
        BackupCode.user_id == user_id, BackupCode.prefix == compact[:PREFIX],
        BackupCode.used_at.is_(None)).limit(1))
    actual = _digest(row.salt if row else _DUMMY_SALT, compact[PREFIX:])
    if row is None or not hmac.compare_digest(actual, row.digest):
        return False
    won = changed_rows(session, update(BackupCode)
                   .where(BackupCode.id == row.id, BackupCode.used_at.is_(None))
                   .values(used_at=now))
    return won == 1


def remaining(session: Session, user_id: str) -> int:
    return session.scalar(select(func.count()).select_from(BackupCode).where(
        BackupCode.user_id == user_id, BackupCode.used_at.is_(None))) or 0


def discard(session: Session, user_id: str) -> None:
    session.execute(delete(BackupCode).where(BackupCode.user_id == user_id))
