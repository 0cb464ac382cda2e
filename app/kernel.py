"""The shared kernel: the few stdlib-only types that every module contract speaks.

Contracts import this module and nothing else from the project. It holds no behaviour.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar, Generic, TypeVar

T = TypeVar("T")


class ContractError(Exception):
    """Base of every error that may cross a module boundary.

    Each subclass has a stable ``code``; transports map codes (not classes) to HTTP and gRPC
    status, so both ends agree on the error whatever the transport.
    """

    code: ClassVar[str] = "internal"

    def __init__(self, detail: str = "", *, field_errors: dict[str, str] | None = None) -> None:
        super().__init__(detail or self.code)
        self.detail = detail
        self.field_errors = field_errors or {}


class InternalError(ContractError):
    """Something failed that the caller cannot fix; details stay in the server log."""

    code = "internal"


class Unavailable(ContractError):
    """A dependency (database, remote module) cannot be reached right now."""

    code = "unavailable"


class NotFound(ContractError):
    code = "not_found"


class InvalidInput(ContractError):
    code = "invalid_input"


class Conflict(ContractError):
    code = "conflict"


class PermissionDenied(ContractError):
    code = "permission_denied"


class Unauthenticated(ContractError):
    code = "unauthenticated"


SYSTEM_ROLE = "system"


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: the verified claims of an access token.

    ``token`` is the raw access token the principal was verified from: a remote call made for
    this principal sends it (and nothing else) so the receiving host can verify it again. It
    stays out of ``repr`` and equality. System principals and principals made by hand have none.
    """

    user_id: str
    role: str
    jti: str
    session_id: str
    issued_at: int
    expires_at: int
    amr: tuple[str, ...] = ()
    token: str | None = field(default=None, repr=False, compare=False)

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def is_system(self) -> bool:
        """An operator command or a background sweep, not a person (see ``system``)."""
        return self.role == SYSTEM_ROLE

    @classmethod
    def system(cls, name: str) -> Principal:
        """The explicit principal of an operator command or a sweep (``system("cli")``),
        audited as ``system:<name>``. It carries no token: services grant it the operator
        actions and nothing that acts for a particular user by their own consent."""
        return cls(user_id=f"system:{name}", role=SYSTEM_ROLE, jti=f"system:{name}",
                   session_id=f"system:{name}", issued_at=0, expires_at=0)


@dataclass(frozen=True, slots=True)
class Revocation:
    """One entry of the revocation feed that every token verifier follows.

    ``kind`` is ``jti`` (one access token), ``sid`` (every token of one login session) or
    ``user`` (every token of the user issued before ``not_before``). ``expires_at`` is when the
    entry can be forgotten because every token it concerns has expired by then.
    """

    seq: int
    kind: str
    value: str
    not_before: int
    expires_at: int


@dataclass(frozen=True)
class Page(Generic[T]):
    items: tuple[T, ...]
    total: int
    page: int
    page_size: int
