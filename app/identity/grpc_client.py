"""The identity contracts over gRPC: the same results, the same errors, as in-process.

One client per contract (one gRPC service each), sharing the identity module's circuit
breaker. Every method that acts for someone passes its principal on: the remote call carries
that principal (its access token, or a system principal by name), and the identity service
decides what it may do. Idempotent methods (reads, logout, key reads) are retried by gRPC's
retry policy; commands such as register, login and refresh never are.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

from app import kernel
from app.identity import contract
from app.identity import grpc_codec as codec
from app.identity import grpc_server as server
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
from app.kernel import Page, Principal, Revocation
from app.platform.audit import AuditTrail
from app.platform.grpc.breaker import ConcurrentBreaker
from app.platform.grpc.client import RemoteModule, make_breaker
from app.platform.grpc.errors import error_registry
from app.platform.grpc.settings import TransportSettings
from protos.generated import identity_pb2 as pb
from protos.generated import identity_pb2_grpc as pb_grpc

# Making an RSA-4096 key takes seconds on a busy host: more than the default call deadline.
KEY_DEADLINE = 30.0
ERRORS = error_registry(vars(contract).values(), vars(kernel).values())


class _IdentityClient:
    SERVICE: ClassVar[str]
    STUB: ClassVar[type]
    IDEMPOTENT: ClassVar[tuple[str, ...]]

    def __init__(self, settings: TransportSettings, audit: AuditTrail,
                 remote: RemoteModule | None = None,
                 breaker: ConcurrentBreaker | None = None) -> None:
        self.remote = remote or RemoteModule(
            module="identity", service=self.SERVICE, stub_class=self.STUB,
            idempotent=self.IDEMPOTENT, errors=ERRORS, settings=settings, audit=audit,
            breaker=breaker)

    def _call(self, method: str, request: Any, principal: Principal | None = None,
              deadline: float | None = None) -> Any:
        return self.remote.call(method, request, principal, deadline=deadline)


class GrpcAccountClient(_IdentityClient):
    SERVICE = server.ACCOUNTS
    STUB = pb_grpc.AccountServiceStub
    IDEMPOTENT = ("GetUser", "EnsureActive", "FindUsers", "UserAccount", "Lock", "Unlock",
                  "ExportAccount")

    def register(self, username: str, email: str, password: str) -> UserView:
        reply = self._call("Register", pb.RegisterRequest(username=username, email=email,
                                                          password=password))
        return codec.user_from_pb(reply)

    def get_user(self, principal: Principal | None, user_id: str) -> UserView:
        return codec.user_from_pb(self._call("GetUser", pb.UserIdRequest(user_id=user_id),
                                             principal))

    def ensure_active(self, principal: Principal | None) -> UserView:
        return codec.user_from_pb(self._call("EnsureActive", pb.Empty(), principal))

    def update_email(self, principal: Principal | None, email: str) -> UserView:
        return codec.user_from_pb(self._call("UpdateEmail", pb.UpdateEmailRequest(email=email),
                                             principal))

    def change_password(self, principal: Principal | None, current: str, new: str) -> None:
        request = pb.ChangePasswordRequest(current=current)
        setattr(request, "new", new)  # noqa: B010 - "new" is a proto field, fine as an attribute
        self._call("ChangePassword", request, principal)

    def find_users(self, principal: Principal | None, search: str, page: int,
                   page_size: int) -> Page[UserView]:
        reply = self._call("FindUsers", pb.FindUsersRequest(search=search, page=page,
                                                            page_size=page_size), principal)
        return codec.page_from_pb(reply)

    def user_account(self, principal: Principal | None, user_id: str) -> UserAccountView:
        return codec.account_from_pb(self._call("UserAccount",
                                                pb.UserIdRequest(user_id=user_id), principal))

    def admin_update_user(self, principal: Principal | None, user_id: str,
                          changes: UserChanges) -> UserView:
        request = pb.AdminUpdateRequest(user_id=user_id)
        if changes.role is not None:
            request.role = changes.role
        if changes.is_active is not None:
            request.is_active = changes.is_active
        return codec.user_from_pb(self._call("AdminUpdateUser", request, principal))

    def lock(self, principal: Principal | None, user_id: str) -> bool:
        return bool(self._call("Lock", pb.LockRequest(user_id=user_id), principal).changed)

    def unlock(self, principal: Principal | None, user_id: str) -> bool:
        return bool(self._call("Unlock", pb.UnlockRequest(user_id=user_id), principal).changed)

    def export_account(self, principal: Principal | None) -> AccountExport:
        return codec.export_from_pb(self._call("ExportAccount", pb.Empty(), principal))

    def erase_account(self, principal: Principal | None, user_id: str, password: str,
                      code: str) -> ErasedAccount:
        reply = self._call("EraseAccount", pb.EraseAccountRequest(
            user_id=user_id, password=password, code=code), principal)
        return ErasedAccount(user_id=reply.user_id, orders_unlinked=reply.orders_unlinked)


class GrpcSessionClient(_IdentityClient):
    SERVICE = server.SESSIONS
    STUB = pb_grpc.SessionServiceStub
    IDEMPOTENT = ("DeviceTrusted", "LoginTicketOwner", "Logout", "LogoutEverywhere",
                  "EndSessions")

    def login(self, username: str, password: str, device: str | None = None) -> LoginResult:
        request = pb.LoginRequest(username=username, password=password)
        if device is not None:
            request.device = device
        return codec.login_from_pb(self._call("Login", request))

    def device_trusted(self, username: str, device: str) -> bool:
        return bool(self._call("DeviceTrusted",
                               pb.DeviceCheck(username=username, device=device)).value)

    def verify_login(self, login_ticket: str, code: str) -> SecondFactorLogin:
        return codec.second_factor_from_pb(self._call(
            "VerifyLogin", pb.VerifyLoginRequest(login_ticket=login_ticket, code=code)))

    def login_ticket_owner(self, login_ticket: str) -> str | None:
        reply = self._call("LoginTicketOwner", pb.LoginTicket(login_ticket=login_ticket))
        return reply.user_id if reply.HasField("user_id") else None

    def refresh(self, refresh_token: str) -> TokenPair:
        reply = self._call("Refresh", pb.RefreshRequest(refresh_token=refresh_token))
        return codec.tokens_from_pb(reply)

    def logout(self, principal: Principal | None, refresh_token: str | None) -> None:
        self._call("Logout", pb.LogoutRequest(refresh_token=refresh_token)
                   if refresh_token is not None else pb.LogoutRequest(), principal)

    def logout_everywhere(self, principal: Principal | None) -> None:
        self._call("LogoutEverywhere", pb.Empty(), principal)

    def end_sessions(self, principal: Principal | None, user_id: str) -> None:
        self._call("EndSessions", pb.UserIdRequest(user_id=user_id), principal)

    def reauthenticate(self, principal: Principal | None, password: str,
                       code: str = "") -> int:
        reply = self._call("Reauthenticate", pb.PasswordCodeRequest(password=password,
                                                                    code=code), principal)
        return int(reply.verified_at)


class GrpcTwoFactorClient(_IdentityClient):
    SERVICE = server.TWO_FACTOR
    STUB = pb_grpc.TwoFactorServiceStub
    IDEMPOTENT = ("TwoFactorStatus", "ReencryptTotpSecrets")

    def setup_two_factor(self, principal: Principal | None, password: str) -> TwoFactorSetup:
        reply = self._call("SetupTwoFactor", pb.PasswordRequest(password=password), principal)
        return TwoFactorSetup(secret=reply.secret, otpauth_uri=reply.otpauth_uri,
                              qr_svg=reply.qr_svg)

    def confirm_two_factor(self, principal: Principal | None, code: str) -> BackupCodes:
        reply = self._call("ConfirmTwoFactor", pb.CodeRequest(code=code), principal)
        return BackupCodes(codes=tuple(reply.codes))

    def two_factor_status(self, principal: Principal | None) -> TwoFactorStatus:
        return codec.status_from_pb(self._call("TwoFactorStatus", pb.Empty(), principal))

    def disable_two_factor(self, principal: Principal | None, password: str,
                           code: str) -> None:
        self._call("DisableTwoFactor", pb.PasswordCodeRequest(password=password, code=code),
                   principal)

    def regenerate_backup_codes(self, principal: Principal | None, password: str,
                                code: str) -> BackupCodes:
        reply = self._call("RegenerateBackupCodes",
                           pb.PasswordCodeRequest(password=password, code=code), principal)
        return BackupCodes(codes=tuple(reply.codes))

    def reencrypt_totp_secrets(self, principal: Principal | None) -> int:
        return int(self._call("ReencryptTotpSecrets", pb.Empty(), principal).count)


class GrpcSigningKeyClient(_IdentityClient):
    SERVICE = server.SIGNING_KEYS
    STUB = pb_grpc.SigningKeyServiceStub
    IDEMPOTENT = ("PublicKey", "Jwks", "SigningKeys")

    def public_key(self) -> PublicKey:
        return codec.key_from_pb(self._call("PublicKey", pb.Empty()))

    def jwks(self) -> dict[str, Any]:
        return dict(json.loads(self._call("Jwks", pb.Empty()).json))

    def signing_keys(self, principal: Principal | None) -> tuple[SigningKeyView, ...]:
        reply = self._call("SigningKeys", pb.Empty(), principal)
        return tuple(codec.signing_key_from_pb(k) for k in reply.keys)

    def rotate_signing_key(self, principal: Principal | None) -> str:
        return str(self._call("RotateSigningKey", pb.Empty(), principal,
                              deadline=KEY_DEADLINE).kid)

    def remove_signing_key(self, principal: Principal | None, kid: str) -> None:
        # Removing the active key makes a new one first.
        self._call("RemoveSigningKey", pb.KeyId(kid=kid), principal, deadline=KEY_DEADLINE)


class GrpcRevocationClient(_IdentityClient):
    SERVICE = server.REVOCATIONS
    STUB = pb_grpc.RevocationFeedStub
    IDEMPOTENT = ("RevocationsSince",)

    def revocations_since(self, cursor: int) -> list[Revocation]:
        reply = self._call("RevocationsSince", pb.RevocationsRequest(cursor=cursor))
        return [codec.revocation_from_pb(e) for e in reply.entries]


CLIENTS = (GrpcAccountClient, GrpcSessionClient, GrpcTwoFactorClient, GrpcSigningKeyClient,
           GrpcRevocationClient)


def grpc_identity_clients(settings: TransportSettings, audit: AuditTrail
                          ) -> tuple[GrpcAccountClient, GrpcSessionClient, GrpcTwoFactorClient,
                                     GrpcSigningKeyClient, GrpcRevocationClient]:
    """The five identity clients, one circuit breaker for the module (one host serves them)."""
    breaker = make_breaker(settings, "identity", audit)
    return (GrpcAccountClient(settings, audit, breaker=breaker),
            GrpcSessionClient(settings, audit, breaker=breaker),
            GrpcTwoFactorClient(settings, audit, breaker=breaker),
            GrpcSigningKeyClient(settings, audit, breaker=breaker),
            GrpcRevocationClient(settings, audit, breaker=breaker))
