"""``IdentityService`` over gRPC: the same contract, the same errors, as the in-process service.

Methods that act for someone send the token of the principal they are given (a system
principal by name); the server verifies it again and passes the principal to the service.
Idempotent methods (reads, logout, key reads) are retried by gRPC's retry policy; commands
such as register, login and refresh never are.
"""

from __future__ import annotations

import json
from typing import Any

from app import kernel
from app.identity import contract
from app.identity import grpc_codec as codec
from app.identity.contract import (
    AccountExport,
    BackupCodes,
    ErasedAccount,
    LoginResult,
    PublicKey,
    SecondFactorLogin,
    SigningKeyView,
    TokenPair,
    TwoFactorSetup,
    TwoFactorStatus,
    UserAccountView,
    UserChanges,
    UserView,
)
from app.identity.grpc_server import SERVICE
from app.kernel import Page, Principal, Revocation
from app.platform.audit import AuditTrail
from app.platform.grpc.client import RemoteModule
from app.platform.grpc.errors import error_registry
from app.platform.grpc.settings import TransportSettings
from protos.generated import identity_pb2 as pb
from protos.generated import identity_pb2_grpc as pb_grpc

IDEMPOTENT = ("GetUser", "EnsureActive", "ListUsers", "FindUsers", "UserAccount", "SigningKeys",
              "PublicKey", "Jwks", "RevocationsSince",
              "Logout", "LogoutEverywhere", "TwoFactorStatus", "LoginTicketOwner", "Unlock",
              "ReencryptTotpSecrets", "Lock", "ExportAccount", "DeviceTrusted")
# Making an RSA-4096 key takes seconds on a busy host: more than the default call deadline.
KEY_DEADLINE = 30.0
ERRORS = error_registry(vars(contract).values(), vars(kernel).values())


class GrpcIdentityClient:
    def __init__(self, settings: TransportSettings, audit: AuditTrail,
                 remote: RemoteModule | None = None) -> None:
        self.remote = remote or RemoteModule(
            module="identity", service=SERVICE, stub_class=pb_grpc.IdentityStub,
            idempotent=IDEMPOTENT, errors=ERRORS, settings=settings, audit=audit)

    def _call(self, method: str, request: Any, principal: Principal | None = None) -> Any:
        return self.remote.call(method, request, principal)

    def register(self, username: str, email: str, password: str) -> UserView:
        reply = self._call("Register", pb.RegisterRequest(username=username, email=email,
                                                          password=password))
        return codec.user_from_pb(reply)

    def get_user(self, user_id: str) -> UserView:
        return codec.user_from_pb(self._call("GetUser", pb.UserIdRequest(user_id=user_id)))

    def ensure_active(self, user_id: str) -> UserView:
        return codec.user_from_pb(self._call("EnsureActive", pb.UserIdRequest(user_id=user_id)))

    def update_email(self, user_id: str, email: str) -> UserView:
        reply = self._call("UpdateEmail", pb.UpdateEmailRequest(user_id=user_id, email=email))
        return codec.user_from_pb(reply)

    def change_password(self, principal: Principal, current: str, new: str) -> None:
        request = pb.ChangePasswordRequest(current=current)
        setattr(request, "new", new)  # noqa: B010 - "new" is a proto field, fine as an attribute
        self._call("ChangePassword", request, principal)

    def login(self, username: str, password: str, device: str | None = None) -> LoginResult:
        request = pb.LoginRequest(username=username, password=password)
        if device is not None:
            request.device = device
        return codec.login_from_pb(self._call("Login", request))

    def device_trusted(self, username: str, device: str) -> bool:
        return bool(self._call("DeviceTrusted",
                               pb.DeviceCheck(username=username, device=device)).value)

    def refresh(self, refresh_token: str) -> TokenPair:
        reply = self._call("Refresh", pb.RefreshRequest(refresh_token=refresh_token))
        return codec.tokens_from_pb(reply)

    def logout(self, principal: Principal, refresh_token: str | None) -> None:
        self._call("Logout", pb.LogoutRequest(refresh_token=refresh_token)
                   if refresh_token is not None else pb.LogoutRequest(), principal)

    def logout_everywhere(self, user_id: str, actor: str | None = None) -> None:
        request = pb.LogoutEverywhereRequest(user_id=user_id)
        if actor is not None:
            request.actor = actor
        self._call("LogoutEverywhere", request)

    def list_users(self, page: int, page_size: int) -> Page[UserView]:
        reply = self._call("ListUsers", pb.ListUsersRequest(page=page, page_size=page_size))
        return codec.page_from_pb(reply)

    def find_users(self, principal: Principal, search: str, page: int,
                   page_size: int) -> Page[UserView]:
        reply = self._call("FindUsers", pb.FindUsersRequest(search=search, page=page,
                                                            page_size=page_size),
                           principal)
        return codec.page_from_pb(reply)

    def user_account(self, principal: Principal, user_id: str) -> UserAccountView:
        return codec.account_from_pb(self._call("UserAccount",
                                                pb.UserIdRequest(user_id=user_id), principal))

    def signing_keys(self, principal: Principal) -> tuple[SigningKeyView, ...]:
        reply = self._call("SigningKeys", pb.Empty(), principal)
        return tuple(codec.signing_key_from_pb(k) for k in reply.keys)

    def admin_update_user(self, admin: Principal, user_id: str,
                          changes: UserChanges) -> UserView:
        request = pb.AdminUpdateRequest(user_id=user_id)
        if changes.role is not None:
            request.role = changes.role
        if changes.is_active is not None:
            request.is_active = changes.is_active
        return codec.user_from_pb(self._call("AdminUpdateUser", request, admin))

    def public_key(self) -> PublicKey:
        return codec.key_from_pb(self._call("PublicKey", pb.Empty()))

    def jwks(self) -> dict[str, Any]:
        return json.loads(self._call("Jwks", pb.Empty()).json)

    def revocations_since(self, cursor: int) -> list[Revocation]:
        reply = self._call("RevocationsSince", pb.RevocationsRequest(cursor=cursor))
        return [codec.revocation_from_pb(e) for e in reply.entries]

    def rotate_signing_key(self, principal: Principal | None) -> str:
        return str(self.remote.call("RotateSigningKey", pb.Empty(), principal,
                                    deadline=KEY_DEADLINE).kid)

    def remove_signing_key(self, principal: Principal | None, kid: str) -> None:
        # Removing the active key makes a new one first.
        self.remote.call("RemoveSigningKey", pb.KeyId(kid=kid), principal, deadline=KEY_DEADLINE)

    def setup_two_factor(self, principal: Principal, password: str) -> TwoFactorSetup:
        reply = self._call("SetupTwoFactor", pb.PasswordRequest(password=password), principal)
        return TwoFactorSetup(secret=reply.secret, otpauth_uri=reply.otpauth_uri,
                              qr_svg=reply.qr_svg)

    def confirm_two_factor(self, principal: Principal, code: str) -> BackupCodes:
        reply = self._call("ConfirmTwoFactor", pb.CodeRequest(code=code), principal)
        return BackupCodes(codes=tuple(reply.codes))

    def disable_two_factor(self, principal: Principal, password: str, code: str) -> None:
        self._call("DisableTwoFactor", pb.PasswordCodeRequest(password=password, code=code),
                   principal)

    def reauthenticate(self, principal: Principal, password: str, code: str = "") -> int:
        reply = self._call("Reauthenticate", pb.PasswordCodeRequest(password=password, code=code),
                           principal)
        return int(reply.verified_at)

    def regenerate_backup_codes(self, principal: Principal, password: str,
                                code: str) -> BackupCodes:
        reply = self._call("RegenerateBackupCodes",
                           pb.PasswordCodeRequest(password=password, code=code), principal)
        return BackupCodes(codes=tuple(reply.codes))

    def two_factor_status(self, user_id: str) -> TwoFactorStatus:
        reply = self._call("TwoFactorStatus", pb.UserIdRequest(user_id=user_id))
        return TwoFactorStatus(enabled=reply.enabled,
                               backup_codes_remaining=reply.backup_codes_remaining)

    def verify_login(self, login_ticket: str, code: str) -> SecondFactorLogin:
        reply = self._call("VerifyLogin", pb.VerifyLoginRequest(login_ticket=login_ticket,
                                                                code=code))
        remaining = (reply.backup_codes_remaining if reply.HasField("backup_codes_remaining")
                     else None)
        device = reply.device_token if reply.HasField("device_token") else None
        return SecondFactorLogin(tokens=codec.tokens_from_pb(reply.tokens),
                                 backup_codes_remaining=remaining, device_token=device)

    def login_ticket_owner(self, login_ticket: str) -> str | None:
        reply = self._call("LoginTicketOwner", pb.LoginTicket(login_ticket=login_ticket))
        return reply.user_id if reply.HasField("user_id") else None

    def unlock(self, user_id: str, actor: str) -> bool:
        return bool(self._call("Unlock", pb.UnlockRequest(user_id=user_id, actor=actor)).changed)

    def lock(self, principal: Principal, user_id: str) -> bool:
        reply = self.remote.call("Lock", pb.LockRequest(user_id=user_id), principal=principal)
        return bool(reply.changed)

    def export_account(self, principal: Principal) -> AccountExport:
        return codec.export_from_pb(self._call("ExportAccount", pb.Empty(), principal))

    def erase_account(self, principal: Principal, user_id: str, password: str,
                      code: str) -> ErasedAccount:
        reply = self.remote.call("EraseAccount", pb.EraseAccountRequest(
            user_id=user_id, password=password, code=code), principal=principal)
        return ErasedAccount(user_id=reply.user_id, orders_unlinked=reply.orders_unlinked)

    def reencrypt_totp_secrets(self, principal: Principal | None) -> int:
        return int(self._call("ReencryptTotpSecrets", pb.Empty(), principal).count)
