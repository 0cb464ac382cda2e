"""The identity module's rows of the authorization matrix: every public method of every
identity contract, with who may call it.

Roles (see matrix.py): ``user`` owns the data the call targets, ``other`` is another ordinary
user, ``admin`` an administrator, ``system`` an operator command (``Principal.system("cli")``).
A call that needs a password or a code is made with a wrong one where the permission is what
is tested: a role that passes the permission check then gets the credential error (so the
row shows the check ran, and nothing changes). Calls that change someone else's account
target a victim made in ``setup``, never a principal of the matrix.
"""

from __future__ import annotations

import uuid
from typing import Any

from app.identity.contract import (
    InvalidCredentials,
    InvalidLoginTicket,
    InvalidRefreshToken,
    TwoFactorNotEnabled,
    UserChanges,
)
from app.kernel import NotFound, PermissionDenied, Principal
from tests.contract.authz.matrix import Ctx, Row, admin_only, expect, people_only, public

PASSWORD = "correct horse battery staple"
WRONG = "not the password at all"

OPERATORS = admin_only(system=None)  # administrators and operator commands
WRONG_PASSWORD = people_only(other=InvalidCredentials, admin=InvalidCredentials) | {
    "user": InvalidCredentials}  # the permission check passed; the password did not


def victim(ctx: Ctx) -> None:
    """An account of nobody in the matrix, for the calls that lock, end or erase one."""
    name = f"victim{uuid.uuid4().hex[:8]}"
    ctx.scratch["victim"] = ctx.local.accounts.register(name, f"{name}@example.com",
                                                        PASSWORD).id
    ctx.scratch["victim_name"] = name


def own_or_victim(ctx: Ctx, principal: Principal | None) -> str:
    """The ``user`` role targets their own account; every other role the victim's."""
    if principal is not None and principal == ctx.user:
        return principal.user_id
    return str(ctx.scratch["victim"])


def _new_name() -> str:
    return f"u{uuid.uuid4().hex[:12]}"


def _register(ctx: Ctx) -> Any:
    name = _new_name()
    return ctx.services.accounts.register(name, f"{name}@example.com", PASSWORD)


def _accounts(ctx: Ctx) -> Any:
    return ctx.services.accounts


def _sessions(ctx: Ctx) -> Any:
    return ctx.services.sessions


def _two_factor(ctx: Ctx) -> Any:
    return ctx.services.two_factor


def _keys(ctx: Ctx) -> Any:
    return ctx.services.signing_keys


ACCOUNT_ROWS = {
    "AccountService.register": Row(
        call=lambda ctx, p: _register(ctx), expect=public()),
    "AccountService.get_user": Row(
        call=lambda ctx, p: _accounts(ctx).get_user(p, ctx.user.user_id),
        expect=expect(other=PermissionDenied, system=PermissionDenied)),
    "AccountService.ensure_active": Row(
        call=lambda ctx, p: _accounts(ctx).ensure_active(p),
        expect=people_only()),
    "AccountService.update_email": Row(
        call=lambda ctx, p: _accounts(ctx).update_email(p, f"{_new_name()}@example.com"),
        expect=people_only()),
    "AccountService.change_password": Row(
        call=lambda ctx, p: _accounts(ctx).change_password(p, WRONG, "a new long passphrase"),
        expect=WRONG_PASSWORD),
    "AccountService.find_users": Row(
        call=lambda ctx, p: _accounts(ctx).find_users(p, "", 1, 10),
        expect=OPERATORS),
    "AccountService.user_account": Row(
        call=lambda ctx, p: _accounts(ctx).user_account(p, ctx.user.user_id),
        expect=OPERATORS),
    "AccountService.admin_update_user": Row(
        call=lambda ctx, p: _accounts(ctx).admin_update_user(
            p, ctx.scratch["victim"], UserChanges(is_active=True)),
        expect=OPERATORS, setup=victim),
    "AccountService.lock": Row(
        call=lambda ctx, p: _accounts(ctx).lock(p, ctx.scratch["victim"]),
        expect=OPERATORS, setup=victim),
    "AccountService.unlock": Row(
        call=lambda ctx, p: _accounts(ctx).unlock(p, ctx.scratch["victim"]),
        expect=OPERATORS, setup=victim),
    "AccountService.export_account": Row(
        call=lambda ctx, p: _accounts(ctx).export_account(p),
        expect=people_only()),
    # The owner must prove it (a wrong password here); administrators may not erase anyone;
    # an operator erases without a password (the victim, not a principal of the matrix).
    "AccountService.erase_account": Row(
        call=lambda ctx, p: _accounts(ctx).erase_account(p, own_or_victim(ctx, p), WRONG, ""),
        expect=expect(user=InvalidCredentials, other=PermissionDenied, admin=PermissionDenied,
                      system=None),
        setup=victim),
}

SESSION_ROWS = {
    "SessionService.login": Row(
        call=lambda ctx, p: _sessions(ctx).login(ctx.scratch["victim_name"], PASSWORD),
        expect=public(), setup=victim),
    "SessionService.device_trusted": Row(
        call=lambda ctx, p: _sessions(ctx).device_trusted("nobody", "not-a-device-proof"),
        expect=public()),
    "SessionService.verify_login": Row(
        call=lambda ctx, p: _sessions(ctx).verify_login("not-a-ticket", "123456"),
        expect=public(InvalidLoginTicket)),
    "SessionService.login_ticket_owner": Row(
        call=lambda ctx, p: _sessions(ctx).login_ticket_owner("not-a-ticket"),
        expect=public()),
    "SessionService.refresh": Row(
        call=lambda ctx, p: _sessions(ctx).refresh("not-a-refresh-token"),
        expect=public(InvalidRefreshToken)),
    "SessionService.logout": Row(
        call=lambda ctx, p: _sessions(ctx).logout(p, None),
        expect=people_only()),
    "SessionService.logout_everywhere": Row(
        call=lambda ctx, p: _sessions(ctx).logout_everywhere(p),
        expect=people_only()),
    "SessionService.end_sessions": Row(
        call=lambda ctx, p: _sessions(ctx).end_sessions(p, ctx.scratch["victim"]),
        expect=OPERATORS, setup=victim),
    "SessionService.reauthenticate": Row(
        call=lambda ctx, p: _sessions(ctx).reauthenticate(p, WRONG, ""),
        expect=WRONG_PASSWORD),
}

SECOND_STEP = people_only(other=TwoFactorNotEnabled, admin=TwoFactorNotEnabled) | {
    "user": TwoFactorNotEnabled}

TWO_FACTOR_ROWS = {
    "TwoFactorService.setup_two_factor": Row(
        call=lambda ctx, p: _two_factor(ctx).setup_two_factor(p, WRONG),
        expect=WRONG_PASSWORD),
    "TwoFactorService.confirm_two_factor": Row(  # no setup started: the check passed first
        call=lambda ctx, p: _two_factor(ctx).confirm_two_factor(p, "123456"),
        expect=SECOND_STEP),
    "TwoFactorService.two_factor_status": Row(
        call=lambda ctx, p: _two_factor(ctx).two_factor_status(p),
        expect=people_only()),
    "TwoFactorService.disable_two_factor": Row(
        call=lambda ctx, p: _two_factor(ctx).disable_two_factor(p, WRONG, "123456"),
        expect=WRONG_PASSWORD),
    "TwoFactorService.regenerate_backup_codes": Row(
        call=lambda ctx, p: _two_factor(ctx).regenerate_backup_codes(p, WRONG, "123456"),
        expect=WRONG_PASSWORD),
    "TwoFactorService.reencrypt_totp_secrets": Row(
        call=lambda ctx, p: _two_factor(ctx).reencrypt_totp_secrets(p),
        expect=OPERATORS),
}

SIGNING_KEY_ROWS = {
    "SigningKeyService.public_key": Row(
        call=lambda ctx, p: _keys(ctx).public_key(), expect=public()),
    "SigningKeyService.jwks": Row(
        call=lambda ctx, p: _keys(ctx).jwks(), expect=public()),
    "SigningKeyService.signing_keys": Row(
        call=lambda ctx, p: _keys(ctx).signing_keys(p), expect=OPERATORS),
    "SigningKeyService.rotate_signing_key": Row(
        call=lambda ctx, p: _keys(ctx).rotate_signing_key(p), expect=OPERATORS),
    # An unknown key: whoever may remove keys learns it is not there, nobody else anything.
    "SigningKeyService.remove_signing_key": Row(
        call=lambda ctx, p: _keys(ctx).remove_signing_key(p, "no-such-key"),
        expect=expect(user=PermissionDenied, other=PermissionDenied, admin=NotFound,
                      system=NotFound)),
}

REVOCATION_ROWS = {
    "RevocationFeed.revocations_since": Row(
        call=lambda ctx, p: ctx.services.revocations.revocations_since(0), expect=public()),
}

ROWS: dict[str, Row] = {**ACCOUNT_ROWS, **SESSION_ROWS, **TWO_FACTOR_ROWS, **SIGNING_KEY_ROWS,
                        **REVOCATION_ROWS}
