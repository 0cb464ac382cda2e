"""Password policy (NIST SP 800-63B) and PBKDF2-HMAC-SHA256 hashing.

Policy: 8 to 256 characters after NFKC normalisation, any Unicode, no composition rules;
refused when among the 30,000 most common passwords (the list zxcvbn maintains) or when it
equals or contains the username or the e-mail's local part.

Hash format: ``pbkdf2_sha256$<iterations>$<salt b64>$<hash b64>``, so a stored hash carries
its own parameters and a login with older ones rehashes.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import os
import secrets
import threading
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from functools import cache

from zxcvbn.frequency_lists import FREQUENCY_LISTS

from app.identity.contract import WeakPassword
from app.platform.db import in_write_transaction

ALGORITHM = "pbkdf2_sha256"
MIN_LENGTH = 8
MAX_LENGTH = 256
SALT_BYTES = 16


@cache
def common_passwords() -> frozenset[str]:
    return frozenset(FREQUENCY_LISTS["passwords"])


def normalize(password: str) -> str:
    return unicodedata.normalize("NFKC", password)


def check_policy(password: str, *, username: str, email: str) -> None:
    """Raise WeakPassword naming the rule the password breaks."""
    candidate = normalize(password)
    if len(candidate) < MIN_LENGTH:
        raise WeakPassword(f"Passwords need at least {MIN_LENGTH} characters.",
                           field_errors={"password": "too short"})
    if len(candidate) > MAX_LENGTH:
        raise WeakPassword(f"Passwords may have at most {MAX_LENGTH} characters.",
                           field_errors={"password": "too long"})
    folded = candidate.casefold()
    if folded in common_passwords():
        raise WeakPassword("This password is too common; choose another.",
                           field_errors={"password": "too common"})
    for part in (username, email.partition("@")[0]):
        part = normalize(part).casefold()
        if part and (folded == part or (len(part) >= 3 and part in folded)):
            raise WeakPassword("The password must not contain your username or e-mail.",
                               field_errors={"password": "contains personal data"})


class PasswordHasher:
    def __init__(self, iterations: int) -> None:
        self.iterations = iterations
        # Verified against when the username is unknown, so that both cost one hash.
        self._dummy = self.hash(secrets.token_urlsafe(16))

    def hash(self, password: str) -> str:
        salt = secrets.token_bytes(SALT_BYTES)
        digest = self._derive(password, salt, self.iterations)
        return "$".join((ALGORITHM, str(self.iterations), _b64(salt), _b64(digest)))

    def verify(self, password: str, encoded: str | None) -> bool:
        """Constant work whether or not ``encoded`` is a real hash (pass None for none)."""
        algorithm, iterations, salt, expected = (encoded or self._dummy).split("$")
        if algorithm != ALGORITHM:
            return False
        actual = self._derive(password, _unb64(salt), int(iterations))
        return hmac.compare_digest(actual, _unb64(expected)) and encoded is not None

    def needs_rehash(self, encoded: str) -> bool:
        algorithm, iterations, _salt, _digest = encoded.split("$")
        return algorithm != ALGORITHM or int(iterations) != self.iterations

    @staticmethod
    def _derive(password: str, salt: bytes, iterations: int) -> bytes:
        if in_write_transaction():
            # A hash here would hold the write lock for its whole duration (on SQLite every
            # writer of the shop waits): hash first, then open the transaction.
            raise RuntimeError("PBKDF2 must not run inside a write transaction")
        return _hash_pool().submit(hashlib.pbkdf2_hmac, "sha256", normalize(password).encode(),
                                   salt, iterations).result()


# Password hashes run on a small pool of low-priority threads: a flood of password guesses
# (logins, password changes) then queues behind HASH_THREADS hashes per process instead of
# taking every core, and the scheduler serves other requests first. Idle, a hash costs the
# same; under contention logins slow down, never the rest of the shop.
HASH_THREADS = 2
HASH_NICE = 10
_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def _lower_priority() -> None:
    # Linux: a thread is a task, so this lowers this pool thread only; elsewhere hashes
    # simply run at normal priority.
    with contextlib.suppress(AttributeError, OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), HASH_NICE)


def _hash_pool() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=HASH_THREADS, thread_name_prefix="pbkdf2",
                                       initializer=_lower_priority)
        return _pool


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"))
