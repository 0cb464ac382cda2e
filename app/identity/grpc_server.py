"""The identity module served over gRPC: each method calls the real service.

Methods that act for a user (change password, logout, admin changes) take the principal from
the access token verified by the host's gatekeeper, never from the request message.
``POLICY`` says which calling modules may call which method.
"""

from __future__ import annotations

import json
from typing import Any

import grpc

from app.identity import grpc_codec as codec
from app.identity.contract import IdentityService, UserChanges
from app.kernel import Principal, Unauthenticated
from app.platform import call_context
from app.platform.grpc.server import Policy, Registration
from protos.generated import identity_pb2 as pb
from protos.generated import identity_pb2_grpc as pb_grpc

SERVICE = "shop.identity.v1.Identity"
_VERIFIERS = frozenset({"web", "catalog", "ordering"})  # every module verifies tokens
_WEB = frozenset({"web"})
_OPERATOR = frozenset({"operator"})
_WEB_OR_OPERATOR = _WEB | _OPERATOR
# An administrator (web, with a token) or an operator command (its own certificate, asserting
# a system principal) may call these; no other certificate may assert the system principal.
_OPERATOR_METHODS = ("Lock", "EraseAccount", "RotateSigningKey", "RemoveSigningKey",
                     "ReencryptTotpSecrets")
POLICY = Policy(SERVICE, {
    "EnsureActive": frozenset({"web", "ordering"}),
    "GetUser": frozenset({"web", "ordering"}),
    "PublicKey": _VERIFIERS, "Jwks": _VERIFIERS, "RevocationsSince": _VERIFIERS,
    **{name: _WEB for name in (
        "Register", "UpdateEmail", "ChangePassword", "Login", "Refresh", "Logout",
        "LogoutEverywhere", "ListUsers", "AdminUpdateUser", "SetupTwoFactor",
        "ConfirmTwoFactor", "DisableTwoFactor",
        "RegenerateBackupCodes", "TwoFactorStatus", "VerifyLogin", "LoginTicketOwner",
        "Unlock", "ExportAccount",
        "Reauthenticate", "FindUsers", "UserAccount", "SigningKeys", "DeviceTrusted")},
    **{name: _WEB_OR_OPERATOR for name in _OPERATOR_METHODS},
}, system={name: _OPERATOR for name in _OPERATOR_METHODS})


def _principal() -> Principal:
    principal = call_context.principal()
    if principal is None:
        raise Unauthenticated("This method needs the caller's access token.")
    return principal


class IdentityServicer(pb_grpc.IdentityServicer):
    def __init__(self, service: IdentityService) -> None:
        self._s = service

    def Register(self, req: pb.RegisterRequest, ctx: grpc.ServicerContext) -> Any:
        return codec.user_to_pb(self._s.register(req.username, req.email, req.password))

    def GetUser(self, req: pb.UserIdRequest, ctx: grpc.ServicerContext) -> Any:
        return codec.user_to_pb(self._s.get_user(req.user_id))

    def EnsureActive(self, req: pb.UserIdRequest, ctx: grpc.ServicerContext) -> Any:
        return codec.user_to_pb(self._s.ensure_active(req.user_id))

    def UpdateEmail(self, req: pb.UpdateEmailRequest, ctx: grpc.ServicerContext) -> Any:
        return codec.user_to_pb(self._s.update_email(req.user_id, req.email))

    def ChangePassword(self, req: pb.ChangePasswordRequest, ctx: grpc.ServicerContext) -> Any:
        self._s.change_password(_principal(), req.current, req.new)
        return pb.Empty()

    def Login(self, req: pb.LoginRequest, ctx: grpc.ServicerContext) -> Any:
        device = req.device if req.HasField("device") else None
        return codec.login_to_pb(self._s.login(req.username, req.password, device))

    def DeviceTrusted(self, req: pb.DeviceCheck, ctx: grpc.ServicerContext) -> Any:
        return pb.Flag(value=self._s.device_trusted(req.username, req.device))

    def Refresh(self, req: pb.RefreshRequest, ctx: grpc.ServicerContext) -> Any:
        return codec.tokens_to_pb(self._s.refresh(req.refresh_token))

    def Logout(self, req: pb.LogoutRequest, ctx: grpc.ServicerContext) -> Any:
        refresh = req.refresh_token if req.HasField("refresh_token") else None
        self._s.logout(_principal(), refresh)
        return pb.Empty()

    def LogoutEverywhere(self, req: pb.LogoutEverywhereRequest,
                         ctx: grpc.ServicerContext) -> Any:
        self._s.logout_everywhere(req.user_id, req.actor if req.HasField("actor") else None)
        return pb.Empty()

    def ListUsers(self, req: pb.ListUsersRequest, ctx: grpc.ServicerContext) -> Any:
        return codec.page_to_pb(self._s.list_users(req.page, req.page_size))

    def FindUsers(self, req: pb.FindUsersRequest, ctx: grpc.ServicerContext) -> Any:
        return codec.page_to_pb(self._s.find_users(_principal(), req.search, req.page,
                                                   req.page_size))

    def UserAccount(self, req: pb.UserIdRequest, ctx: grpc.ServicerContext) -> Any:
        return codec.account_to_pb(self._s.user_account(_principal(), req.user_id))

    def SigningKeys(self, req: pb.Empty, ctx: grpc.ServicerContext) -> Any:
        return pb.SigningKeysReply(keys=[codec.signing_key_to_pb(k)
                                    for k in self._s.signing_keys(_principal())])

    def AdminUpdateUser(self, req: pb.AdminUpdateRequest, ctx: grpc.ServicerContext) -> Any:
        changes = UserChanges(role=req.role if req.HasField("role") else None,
                              is_active=req.is_active if req.HasField("is_active") else None)
        return codec.user_to_pb(self._s.admin_update_user(_principal(), req.user_id, changes))

    def PublicKey(self, req: pb.Empty, ctx: grpc.ServicerContext) -> Any:
        return codec.key_to_pb(self._s.public_key())

    def Jwks(self, req: pb.Empty, ctx: grpc.ServicerContext) -> Any:
        return pb.JwksReply(json=json.dumps(self._s.jwks()))

    def RevocationsSince(self, req: pb.RevocationsRequest, ctx: grpc.ServicerContext) -> Any:
        entries = self._s.revocations_since(req.cursor)
        return pb.Revocations(entries=[codec.revocation_to_pb(e) for e in entries])

    def RotateSigningKey(self, req: pb.Empty, ctx: grpc.ServicerContext) -> Any:
        return pb.KeyId(kid=self._s.rotate_signing_key(call_context.principal()))

    def RemoveSigningKey(self, req: pb.KeyId, ctx: grpc.ServicerContext) -> Any:
        self._s.remove_signing_key(call_context.principal(), req.kid)
        return pb.Empty()

    def SetupTwoFactor(self, req: pb.PasswordRequest, ctx: grpc.ServicerContext) -> Any:
        setup = self._s.setup_two_factor(_principal(), req.password)
        return pb.TwoFactorSetup(secret=setup.secret, otpauth_uri=setup.otpauth_uri,
                                 qr_svg=setup.qr_svg)

    def ConfirmTwoFactor(self, req: pb.CodeRequest, ctx: grpc.ServicerContext) -> Any:
        return pb.BackupCodes(codes=self._s.confirm_two_factor(_principal(), req.code).codes)

    def DisableTwoFactor(self, req: pb.PasswordCodeRequest, ctx: grpc.ServicerContext) -> Any:
        self._s.disable_two_factor(_principal(), req.password, req.code)
        return pb.Empty()

    def Reauthenticate(self, req: pb.PasswordCodeRequest, ctx: grpc.ServicerContext) -> Any:
        verified_at = self._s.reauthenticate(_principal(), req.password, req.code)
        return pb.StepUpProof(verified_at=verified_at)

    def RegenerateBackupCodes(self, req: pb.PasswordCodeRequest,
                              ctx: grpc.ServicerContext) -> Any:
        codes = self._s.regenerate_backup_codes(_principal(), req.password, req.code)
        return pb.BackupCodes(codes=codes.codes)

    def TwoFactorStatus(self, req: pb.UserIdRequest, ctx: grpc.ServicerContext) -> Any:
        status = self._s.two_factor_status(req.user_id)
        return pb.TwoFactorStatusReply(enabled=status.enabled,
                                       backup_codes_remaining=status.backup_codes_remaining)

    def VerifyLogin(self, req: pb.VerifyLoginRequest, ctx: grpc.ServicerContext) -> Any:
        result = self._s.verify_login(req.login_ticket, req.code)
        reply = pb.SecondFactorLogin(tokens=codec.tokens_to_pb(result.tokens))
        if result.backup_codes_remaining is not None:
            reply.backup_codes_remaining = result.backup_codes_remaining
        if result.device_token is not None:
            reply.device_token = result.device_token
        return reply

    def LoginTicketOwner(self, req: pb.LoginTicket, ctx: grpc.ServicerContext) -> Any:
        owner = self._s.login_ticket_owner(req.login_ticket)
        return pb.TicketOwner(user_id=owner) if owner is not None else pb.TicketOwner()

    def Unlock(self, req: pb.UnlockRequest, ctx: grpc.ServicerContext) -> Any:
        return pb.Unlocked(changed=self._s.unlock(req.user_id, req.actor))

    def Lock(self, req: pb.LockRequest, ctx: grpc.ServicerContext) -> Any:
        return pb.Changed(changed=self._s.lock(_principal(), req.user_id))

    def ExportAccount(self, req: pb.Empty, ctx: grpc.ServicerContext) -> Any:
        return codec.export_to_pb(self._s.export_account(_principal()))

    def EraseAccount(self, req: pb.EraseAccountRequest, ctx: grpc.ServicerContext) -> Any:
        erased = self._s.erase_account(_principal(), req.user_id, req.password, req.code)
        return pb.ErasedAccount(user_id=erased.user_id, orders_unlinked=erased.orders_unlinked)

    def ReencryptTotpSecrets(self, req: pb.Empty, ctx: grpc.ServicerContext) -> Any:
        return pb.Count(count=self._s.reencrypt_totp_secrets(call_context.principal()))


def registration(service: IdentityService) -> Registration:
    servicer = IdentityServicer(service)
    return Registration(SERVICE, lambda server: pb_grpc.add_IdentityServicer_to_server(
        servicer, server), POLICY)
