"""The identity module served over gRPC: one service per contract, each calling the real one.

Servicers only translate: the acting principal is the one the host's gatekeeper verified (the
access token's, or a system principal an operator's certificate may assert for the methods
its policy names), never a field of the request; the service decides what that principal may
do. Each ``POLICY`` says which calling modules may call which method.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import grpc

from app.identity import grpc_codec as codec
from app.identity.contract import (
    AccountService,
    RevocationFeed,
    SessionService,
    SigningKeyService,
    TwoFactorService,
    UserChanges,
)
from app.platform import call_context
from app.platform.grpc.server import Policy, Registration
from protos.generated import identity_pb2 as pb
from protos.generated import identity_pb2_grpc as pb_grpc

PACKAGE = "shop.identity.v1"
ACCOUNTS = f"{PACKAGE}.AccountService"
SESSIONS = f"{PACKAGE}.SessionService"
TWO_FACTOR = f"{PACKAGE}.TwoFactorService"
SIGNING_KEYS = f"{PACKAGE}.SigningKeyService"
REVOCATIONS = f"{PACKAGE}.RevocationFeed"

_VERIFIERS = frozenset({"web", "catalog", "ordering"})  # every module verifies tokens
_WEB = frozenset({"web"})
_OPERATOR = frozenset({"operator"})  # operator commands (the CLI) as Principal.system(...)


def _web(*names: str) -> dict[str, frozenset[str]]:
    return dict.fromkeys(names, _WEB)


def _operator(*names: str) -> dict[str, frozenset[str]]:
    """Methods an administrator calls through the web (with their token) and the operator
    with its own certificate as a system principal (``system`` below)."""
    return dict.fromkeys(names, _WEB | _OPERATOR)


def _system(*names: str) -> dict[str, frozenset[str]]:
    return dict.fromkeys(names, _OPERATOR)


_ACCOUNT_OPERATOR = ("FindUsers", "UserAccount", "AdminUpdateUser", "Lock", "Unlock",
                     "EraseAccount")
ACCOUNT_POLICY = Policy(ACCOUNTS, {
    **_web("Register", "GetUser", "UpdateEmail", "ChangePassword", "ExportAccount"),
    **_operator(*_ACCOUNT_OPERATOR),
    "EnsureActive": frozenset({"web", "ordering"}),  # ordering: the user placing an order
}, system=_system(*_ACCOUNT_OPERATOR))
SESSION_POLICY = Policy(SESSIONS, {
    **_web("Login", "DeviceTrusted", "VerifyLogin", "LoginTicketOwner", "Refresh", "Logout",
           "LogoutEverywhere", "Reauthenticate"),
    **_operator("EndSessions"),
}, system=_system("EndSessions"))
TWO_FACTOR_POLICY = Policy(TWO_FACTOR, {
    **_web("SetupTwoFactor", "ConfirmTwoFactor", "TwoFactorStatus", "DisableTwoFactor",
           "RegenerateBackupCodes"),
    **_operator("ReencryptTotpSecrets"),
}, system=_system("ReencryptTotpSecrets"))
SIGNING_KEY_POLICY = Policy(SIGNING_KEYS, {
    "PublicKey": _VERIFIERS, "Jwks": _VERIFIERS,
    **_operator("SigningKeys", "RotateSigningKey", "RemoveSigningKey"),
}, system=_system("SigningKeys", "RotateSigningKey", "RemoveSigningKey"))
REVOCATION_POLICY = Policy(REVOCATIONS, {"RevocationsSince": _VERIFIERS})

POLICIES = (ACCOUNT_POLICY, SESSION_POLICY, TWO_FACTOR_POLICY, SIGNING_KEY_POLICY,
            REVOCATION_POLICY)


class AccountServiceServicer(pb_grpc.AccountServiceServicer):
    def __init__(self, service: AccountService) -> None:
        self._s = service

    def Register(self, req: pb.RegisterRequest, ctx: grpc.ServicerContext) -> Any:
        return codec.user_to_pb(self._s.register(req.username, req.email, req.password))

    def GetUser(self, req: pb.UserIdRequest, ctx: grpc.ServicerContext) -> Any:
        return codec.user_to_pb(self._s.get_user(call_context.principal(), req.user_id))

    def EnsureActive(self, req: pb.Empty, ctx: grpc.ServicerContext) -> Any:
        return codec.user_to_pb(self._s.ensure_active(call_context.principal()))

    def UpdateEmail(self, req: pb.UpdateEmailRequest, ctx: grpc.ServicerContext) -> Any:
        return codec.user_to_pb(self._s.update_email(call_context.principal(), req.email))

    def ChangePassword(self, req: pb.ChangePasswordRequest, ctx: grpc.ServicerContext) -> Any:
        self._s.change_password(call_context.principal(), req.current, req.new)
        return pb.Empty()

    def FindUsers(self, req: pb.FindUsersRequest, ctx: grpc.ServicerContext) -> Any:
        return codec.page_to_pb(self._s.find_users(call_context.principal(), req.search,
                                                   req.page, req.page_size))

    def UserAccount(self, req: pb.UserIdRequest, ctx: grpc.ServicerContext) -> Any:
        return codec.account_to_pb(self._s.user_account(call_context.principal(), req.user_id))

    def AdminUpdateUser(self, req: pb.AdminUpdateRequest, ctx: grpc.ServicerContext) -> Any:
        changes = UserChanges(role=req.role if req.HasField("role") else None,
                              is_active=req.is_active if req.HasField("is_active") else None)
        return codec.user_to_pb(self._s.admin_update_user(call_context.principal(),
                                                          req.user_id, changes))

    def Lock(self, req: pb.LockRequest, ctx: grpc.ServicerContext) -> Any:
        return pb.Changed(changed=self._s.lock(call_context.principal(), req.user_id))

    def Unlock(self, req: pb.UnlockRequest, ctx: grpc.ServicerContext) -> Any:
        return pb.Unlocked(changed=self._s.unlock(call_context.principal(), req.user_id))

    def ExportAccount(self, req: pb.Empty, ctx: grpc.ServicerContext) -> Any:
        return codec.export_to_pb(self._s.export_account(call_context.principal()))

    def EraseAccount(self, req: pb.EraseAccountRequest, ctx: grpc.ServicerContext) -> Any:
        erased = self._s.erase_account(call_context.principal(), req.user_id, req.password,
                                       req.code)
        return pb.ErasedAccount(user_id=erased.user_id, orders_unlinked=erased.orders_unlinked)


class SessionServiceServicer(pb_grpc.SessionServiceServicer):
    def __init__(self, service: SessionService) -> None:
        self._s = service

    def Login(self, req: pb.LoginRequest, ctx: grpc.ServicerContext) -> Any:
        device = req.device if req.HasField("device") else None
        return codec.login_to_pb(self._s.login(req.username, req.password, device))

    def DeviceTrusted(self, req: pb.DeviceCheck, ctx: grpc.ServicerContext) -> Any:
        return pb.Flag(value=self._s.device_trusted(req.username, req.device))

    def VerifyLogin(self, req: pb.VerifyLoginRequest, ctx: grpc.ServicerContext) -> Any:
        return codec.second_factor_to_pb(self._s.verify_login(req.login_ticket, req.code))

    def LoginTicketOwner(self, req: pb.LoginTicket, ctx: grpc.ServicerContext) -> Any:
        owner = self._s.login_ticket_owner(req.login_ticket)
        return pb.TicketOwner(user_id=owner) if owner is not None else pb.TicketOwner()

    def Refresh(self, req: pb.RefreshRequest, ctx: grpc.ServicerContext) -> Any:
        return codec.tokens_to_pb(self._s.refresh(req.refresh_token))

    def Logout(self, req: pb.LogoutRequest, ctx: grpc.ServicerContext) -> Any:
        refresh = req.refresh_token if req.HasField("refresh_token") else None
        self._s.logout(call_context.principal(), refresh)
        return pb.Empty()

    def LogoutEverywhere(self, req: pb.Empty, ctx: grpc.ServicerContext) -> Any:
        self._s.logout_everywhere(call_context.principal())
        return pb.Empty()

    def EndSessions(self, req: pb.UserIdRequest, ctx: grpc.ServicerContext) -> Any:
        self._s.end_sessions(call_context.principal(), req.user_id)
        return pb.Empty()

    def Reauthenticate(self, req: pb.PasswordCodeRequest, ctx: grpc.ServicerContext) -> Any:
        verified_at = self._s.reauthenticate(call_context.principal(), req.password, req.code)
        return pb.StepUpProof(verified_at=verified_at)


class TwoFactorServiceServicer(pb_grpc.TwoFactorServiceServicer):
    def __init__(self, service: TwoFactorService) -> None:
        self._s = service

    def SetupTwoFactor(self, req: pb.PasswordRequest, ctx: grpc.ServicerContext) -> Any:
        setup = self._s.setup_two_factor(call_context.principal(), req.password)
        return pb.TwoFactorSetup(secret=setup.secret, otpauth_uri=setup.otpauth_uri,
                                 qr_svg=setup.qr_svg)

    def ConfirmTwoFactor(self, req: pb.CodeRequest, ctx: grpc.ServicerContext) -> Any:
        codes = self._s.confirm_two_factor(call_context.principal(), req.code)
        return pb.BackupCodes(codes=codes.codes)

    def TwoFactorStatus(self, req: pb.Empty, ctx: grpc.ServicerContext) -> Any:
        return codec.status_to_pb(self._s.two_factor_status(call_context.principal()))

    def DisableTwoFactor(self, req: pb.PasswordCodeRequest, ctx: grpc.ServicerContext) -> Any:
        self._s.disable_two_factor(call_context.principal(), req.password, req.code)
        return pb.Empty()

    def RegenerateBackupCodes(self, req: pb.PasswordCodeRequest,
                              ctx: grpc.ServicerContext) -> Any:
        codes = self._s.regenerate_backup_codes(call_context.principal(), req.password,
                                                req.code)
        return pb.BackupCodes(codes=codes.codes)

    def ReencryptTotpSecrets(self, req: pb.Empty, ctx: grpc.ServicerContext) -> Any:
        return pb.Count(count=self._s.reencrypt_totp_secrets(call_context.principal()))


class SigningKeyServiceServicer(pb_grpc.SigningKeyServiceServicer):
    def __init__(self, service: SigningKeyService) -> None:
        self._s = service

    def PublicKey(self, req: pb.Empty, ctx: grpc.ServicerContext) -> Any:
        return codec.key_to_pb(self._s.public_key())

    def Jwks(self, req: pb.Empty, ctx: grpc.ServicerContext) -> Any:
        return pb.JwksReply(json=json.dumps(self._s.jwks()))

    def SigningKeys(self, req: pb.Empty, ctx: grpc.ServicerContext) -> Any:
        return pb.SigningKeysReply(keys=[codec.signing_key_to_pb(k) for k in
                                         self._s.signing_keys(call_context.principal())])

    def RotateSigningKey(self, req: pb.Empty, ctx: grpc.ServicerContext) -> Any:
        return pb.KeyId(kid=self._s.rotate_signing_key(call_context.principal()))

    def RemoveSigningKey(self, req: pb.KeyId, ctx: grpc.ServicerContext) -> Any:
        self._s.remove_signing_key(call_context.principal(), req.kid)
        return pb.Empty()


class RevocationFeedServicer(pb_grpc.RevocationFeedServicer):
    def __init__(self, service: RevocationFeed) -> None:
        self._s = service

    def RevocationsSince(self, req: pb.RevocationsRequest, ctx: grpc.ServicerContext) -> Any:
        entries = self._s.revocations_since(req.cursor)
        return pb.Revocations(entries=[codec.revocation_to_pb(e) for e in entries])


def _served(policy: Policy, servicer: Callable[[Any], Any],
            add: Callable[[Any, grpc.Server], None]) -> Callable[[Any], Registration]:
    """One identity contract's registration: its service behind its servicer and policy."""
    def registration(service: Any) -> Registration:
        served = servicer(service)
        return Registration(policy.service, lambda server: add(served, server), policy)

    return registration


accounts_registration = _served(ACCOUNT_POLICY, AccountServiceServicer,
                                pb_grpc.add_AccountServiceServicer_to_server)
sessions_registration = _served(SESSION_POLICY, SessionServiceServicer,
                                pb_grpc.add_SessionServiceServicer_to_server)
two_factor_registration = _served(TWO_FACTOR_POLICY, TwoFactorServiceServicer,
                                  pb_grpc.add_TwoFactorServiceServicer_to_server)
signing_keys_registration = _served(SIGNING_KEY_POLICY, SigningKeyServiceServicer,
                                    pb_grpc.add_SigningKeyServiceServicer_to_server)
revocations_registration = _served(REVOCATION_POLICY, RevocationFeedServicer,
                                   pb_grpc.add_RevocationFeedServicer_to_server)
