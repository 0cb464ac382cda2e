"""Browser sessions: the identity module's token pair kept in cookies, never seen by scripts.

* The access and refresh tokens live in ``HttpOnly``, ``SameSite=Lax``, ``path=/`` cookies; in
  production they are also ``Secure`` and carry the ``__Host-`` prefix (so no subdomain or
  plain-HTTP page can set or shadow them). No token is ever put in a page, a URL or storage
  that JavaScript can read.
* The access cookie lives as long as its token. When it is gone or expired, the page request
  refreshes the pair server-side with the refresh cookie (rotation and reuse detection as in
  the API) at most once per request (the result is kept on ``g``). Requests that race with one
  refresh cookie in this process share one refresh: the first performs it, the others wait
  for it and reuse its result for ``REFRESH_GRACE`` seconds, so a double click does not look
  like refresh-token reuse. A refresh token reused later (stolen, or replayed) still revokes
  the family, and the session ends with the cookies cleared.
* Logout revokes the session's family and clears the cookies.
"""

from __future__ import annotations

import functools
import hashlib
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import Flask, g, redirect, request, url_for
from werkzeug.wrappers import Response

from app.identity.contract import SessionService, TokenPair
from app.kernel import ContractError, Principal, Unauthenticated
from app.platform import audit as audit_context
from app.platform.access_tokens import AccessTokenVerifier
from app.platform.audit import AuditTrail, SecurityEvent
from app.platform.clock import Clock

F = TypeVar("F", bound=Callable[..., Any])

FAMILY_LIFETIME = 24 * 3600  # a refresh family lives at most this long (SPEC section 1)
TICKET_LIFETIME = 300  # the 2FA login ticket
REFRESH_GRACE = 10.0


@dataclass(frozen=True)
class CookieNames:
    access: str
    refresh: str
    ticket: str
    secure: bool

    @classmethod
    def for_profile(cls, production: bool) -> CookieNames:
        prefix = "__Host-" if production else ""
        return cls(f"{prefix}shop_access", f"{prefix}shop_refresh",
                   f"{prefix}shop_login_ticket", secure=production)


class RefreshCoordinator:
    """One refresh per refresh token in this process, whatever the number of racing requests."""

    def __init__(self, refresh: Callable[[str], TokenPair], clock: Clock,
                 grace: float = REFRESH_GRACE) -> None:
        self._refresh = refresh
        self._clock = clock
        self._grace = grace
        self._guard = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}
        self._results: dict[str, tuple[float, TokenPair]] = {}

    def refresh(self, token: str) -> TokenPair:
        key = hashlib.sha256(token.encode()).hexdigest()
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            now = self._clock.time()
            hit = self._results.get(key)
            if hit is not None and hit[0] > now:
                return hit[1]
            try:
                pair = self._refresh(token)
                with self._guard:
                    self._forget_expired(now)
                    self._results[key] = (now + self._grace, pair)
                return pair
            finally:
                with self._guard:
                    self._locks.pop(key, None)

    def _forget_expired(self, now: float) -> None:
        for stale in [k for k, (until, _) in self._results.items() if until <= now]:
            del self._results[stale]


class UiSession:
    """The signed-in shopper of the current page request (cached on ``g``)."""

    def __init__(self, sessions: SessionService, verifier: AccessTokenVerifier,
                 audit: AuditTrail, names: CookieNames, clock: Clock,
                 refresh_grace: float = REFRESH_GRACE) -> None:
        self.verifier = verifier
        self.audit = audit
        self.names = names
        self.coordinator = RefreshCoordinator(sessions.refresh, clock, refresh_grace)

    def principal(self) -> Principal | None:
        if "ui_principal" not in g:
            g.ui_principal = self._resolve()
            if g.ui_principal is not None:
                audit_context.bind_context(actor=g.ui_principal.user_id)
        found: Principal | None = g.ui_principal
        return found

    def principal_or_none(self) -> Principal | None:
        """For the layout: never fails the page (an error page while identity is down)."""
        try:
            return self.principal()
        except ContractError:
            return None

    def _resolve(self) -> Principal | None:
        access = request.cookies.get(self.names.access)
        refresh = request.cookies.get(self.names.refresh)
        principal = self._verify(access) if access else None
        if principal is not None:
            return principal
        if not refresh:
            if access:
                g.ui_end = True
            return None
        try:
            pair = self.coordinator.refresh(refresh)
        except Unauthenticated:
            g.ui_end = True  # reused, expired or revoked: the family is gone, so is the session
            return None
        g.ui_tokens = pair
        return self._verify(pair.access)

    def _verify(self, token: str) -> Principal | None:
        try:
            return self.verifier.verify(token)
        except Unauthenticated:
            return None

    def refresh_token(self) -> str | None:
        pair: TokenPair | None = g.get("ui_tokens")
        return pair.refresh if pair else request.cookies.get(self.names.refresh)

    # -- cookies -----------------------------------------------------------------------------

    def start(self, tokens: TokenPair) -> None:
        """Sign in: the pair goes into cookies on this request's response."""
        g.ui_tokens = tokens
        g.ui_end = False
        g.pop("ui_principal", None)

    def end(self) -> None:
        g.ui_end = True
        g.ui_tokens = None

    def set_ticket(self, response: Response, ticket: str | None) -> None:
        if ticket is None:
            response.delete_cookie(self.names.ticket, **self._scope())
        else:
            response.set_cookie(self.names.ticket, ticket, max_age=TICKET_LIFETIME,
                                **self._attrs())

    def ticket(self) -> str | None:
        return request.cookies.get(self.names.ticket)

    def apply(self, response: Response) -> Response:
        """After each request: write a new pair, or clear an ended session."""
        pair: TokenPair | None = g.get("ui_tokens")
        if pair is not None:
            response.set_cookie(self.names.access, pair.access, max_age=pair.expires_in,
                                **self._attrs())
            response.set_cookie(self.names.refresh, pair.refresh, max_age=FAMILY_LIFETIME,
                                **self._attrs())
        elif g.get("ui_end"):
            for name in (self.names.access, self.names.refresh):
                response.delete_cookie(name, **self._scope())
        if pair is not None or g.get("ui_principal") is not None or g.get("ui_end"):
            response.headers["Cache-Control"] = "no-store"
        return response

    def _scope(self) -> dict[str, Any]:
        return {"path": "/", "secure": self.names.secure, "httponly": True, "samesite": "Lax"}

    def _attrs(self) -> dict[str, Any]:
        return self._scope()

    # -- guards ------------------------------------------------------------------------------

    def login_required(self, view: F) -> F:
        """The view receives ``principal=``; anonymous visitors go to the login page."""

        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            principal = self.principal()
            if principal is None:
                return redirect(url_for("account.login", next=safe_next(request.full_path)),
                                code=303)
            return view(*args, principal=principal, **kwargs)

        return wrapper  # type: ignore[return-value]

    def admin_required(self, view: F) -> F:
        """Like ``login_required``; a signed-in non-admin gets the 403 page (and an audit row)."""

        @functools.wraps(view)
        def wrapper(*args: Any, principal: Principal, **kwargs: Any) -> Any:
            if not principal.is_admin:
                self.audit.record(SecurityEvent.AUTHZ_FAIL, outcome="failure",
                                  actor=principal.user_id, target=view.__name__)
                from werkzeug.exceptions import Forbidden

                raise Forbidden("This page is for administrators.")
            return view(*args, principal=principal, **kwargs)

        return self.login_required(wrapper)  # type: ignore[return-value]


def safe_next(target: str | None) -> str | None:
    """A local path to return to after login, or None (no open redirect)."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target:
        return None
    return target.rstrip("?") or None


def init_app(app: Flask, session: UiSession) -> None:
    app.after_request(session.apply)
