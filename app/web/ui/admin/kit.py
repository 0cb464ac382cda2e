"""What every admin page shares: the admin guard, step-up re-authentication, the 2FA banner.

Every route of the admin blueprint passes ``guard`` first (a before-request hook, so no view
can forget it): anonymous visitors go to the login page, signed-in non-admins get the 403 page
and an ``authz_fail`` audit row. The services decide again (each admin contract method checks
its principal); the guard only keeps pages from rendering for the wrong person.

``step_up`` wraps the sensitive actions (role change, deactivation, ending sessions, key
rotation and removal). Without a fresh proof (``app.web.step_up``) the action is not done:
the page asks for the password (and a code when 2FA is on) in a form that posts back to the
same action with the original fields; when the re-authentication succeeds the proof is kept
for 5 minutes and the original action carries on in that same request.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from flask import g, redirect, request, session, url_for
from flask_wtf import FlaskForm
from werkzeug.exceptions import Forbidden
from werkzeug.wrappers import Response
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from app.identity.contract import InvalidCredentials, InvalidTwoFactorCode
from app.kernel import ContractError, Principal
from app.platform.audit import SecurityEvent, Subject
from app.web.step_up import StepUpProofs
from app.web.ui import Ui
from app.web.ui.common import attach_error, page
from app.web.ui.forms import CODE
from app.web.ui.session import safe_next

F = TypeVar("F", bound=Callable[..., Any])
STEP_UP_FIELDS = frozenset({"csrf_token", "step_up_password", "step_up_code"})
MAX_CARRIED = 20


class StepUpForm(FlaskForm):
    step_up_password = PasswordField("Your password", validators=[
        DataRequired("Enter your password"), Length(max=1024)],
        render_kw={"autocomplete": "current-password"})
    step_up_code = StringField("Code from your app, or a backup code", validators=[
        Optional(), Regexp(CODE, message="Enter the 6-digit code from your app, or a backup code")],
        render_kw={"autocomplete": "one-time-code", "spellcheck": "false"})


class AdminKit:
    def __init__(self, ui: Ui) -> None:
        self.ui = ui
        self.services = ui.services
        self.proofs = StepUpProofs(ui.services.clock)

    # -- the guard -----------------------------------------------------------------------

    def guard(self) -> Response | None:
        principal = self.ui.session.principal()
        if principal is None:
            return redirect(url_for("account.login", next=safe_next(request.full_path)),
                            code=303)
        if not principal.is_admin:
            self.services.audit.record(SecurityEvent.AUTHZ_FAIL, outcome="failure",
                                       actor=Subject(principal.user_id),
                                       target=request.path[:128])
            raise Forbidden("This page is for administrators.")
        g.admin = principal
        return None

    @staticmethod
    def principal() -> Principal:
        principal: Principal = g.admin
        return principal

    def context(self) -> dict[str, Any]:
        """Template values for every admin page: the 2FA banner and the step-up time left."""
        principal = self.principal()
        try:
            two_factor = self.services.two_factor.two_factor_status(principal).enabled
        except ContractError:
            two_factor = True  # unknown: do not nag; the page itself still works
        return {"admin_without_2fa": not two_factor,
                "step_up_left": self.proofs.remaining(session, principal)}

    # -- step-up -------------------------------------------------------------------------

    def step_up(self, view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            principal = self.principal()
            if self.proofs.fresh(session, principal):
                return view(*args, **kwargs)
            form = StepUpForm()
            if "step_up_password" in request.form:
                if form.validate() and self._reauthenticate(form, principal):
                    return view(*args, **kwargs)
                return self._ask(form, status=400)
            return self._ask(StepUpForm(formdata=None))

        return wrapper  # type: ignore[return-value]

    def _reauthenticate(self, form: StepUpForm, principal: Principal) -> bool:
        try:
            verified_at = self.services.sessions.reauthenticate(
                principal, form.step_up_password.data or "", form.step_up_code.data or "")
        except InvalidCredentials as error:
            attach_error(form, error, "step_up_password")
            return False
        except InvalidTwoFactorCode as error:
            attach_error(form, error, "step_up_code")
            return False
        self.proofs.grant(session, principal, verified_at)
        return True

    def _ask(self, form: StepUpForm, status: int = 200) -> Response:
        carried = [(name, value) for name, value in request.form.items(multi=True)
                   if name not in STEP_UP_FIELDS][:MAX_CARRIED]
        return page("admin/step_up.html", status=status, form=form, action=request.path,
                    carried=carried, **self.context())
