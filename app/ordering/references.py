"""The encrypted user reference of an order and its blind index.

The reference is encrypted with the ``order_user`` key ring, with the order id as associated
data, so a ciphertext copied onto another order does not decrypt. The blind index
(``order_user_index``, its own key) finds a user's orders without decrypting. A value that does
not decrypt, or decrypts to a user that does not match the row's index, fails closed: a
``crypt_decrypt_fail`` audit event and ``OrderUnreadable``.
"""

from __future__ import annotations

import threading

from app.ordering.contract import OrderUnreadable
from app.platform.audit import AuditTrail, SecurityEvent
from app.platform.crypto import DecryptionError, KeyRing, KeyRingLoader

RING = "order_user"
INDEX = "order_user_index"


class UserReferences:
    def __init__(self, keyrings: KeyRingLoader, audit: AuditTrail) -> None:
        self._loader = keyrings
        self._audit = audit
        self._lock = threading.Lock()
        self._ring = keyrings.ring(RING)
        self._index = keyrings.blind_index(INDEX)

    @property
    def ring(self) -> KeyRing:
        return self._ring

    def reload(self) -> KeyRing:
        """Read the ring again (after an operator added a primary key)."""
        with self._lock:
            self._ring = self._loader.ring(RING)
            return self._ring

    def seal(self, user_id: str, order_id: str) -> str:
        return self._ring.encrypt(user_id, context=order_id)

    def index(self, user_id: str) -> str:
        return self._index.digest(user_id)

    def open(self, token: str, order_id: str, expected_index: str) -> str:
        """The user id of an order; raises OrderUnreadable (and audits) when it fails."""
        try:
            user_id = self._decrypt(token, order_id)
        except DecryptionError:
            user_id = None
        if user_id is None or self.index(user_id) != expected_index:
            self._audit.record(SecurityEvent.DECRYPT_FAIL, outcome="failure", target=order_id,
                               purpose=RING)
            raise OrderUnreadable("This order cannot be read.")
        return user_id

    def _decrypt(self, token: str, order_id: str) -> str:
        ring = self._ring
        kid = token.split(".")[1] if token.count(".") == 2 else ""
        if kid and kid not in dict(ring.keys):  # another process may have rotated the ring
            ring = self.reload()
        return ring.decrypt(token, context=order_id)
