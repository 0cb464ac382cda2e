"""Attacks on the identity host over gRPC with a valid module certificate (the web tier's key,
stolen): the acting principal is the verified token's, never a field of the message, and the
identity services decide what it may do.

Before the services decided, ``UpdateEmail(user_id=victim)`` with no token changed a victim's
e-mail, ``SetupTwoFactor`` returned a secret, ``Unlock``/``LogoutEverywhere`` ran with a
forged ``actor`` that went into the audit trail, and ``ListUsers``, ``GetUser`` and
``TwoFactorStatus`` answered anyone holding the certificate.
"""

from __future__ import annotations

from collections.abc import Iterator

import grpc
import pytest
from flask import Flask

from app.bootstrap import Services
from app.kernel import Principal
from app.platform.grpc.credentials import channel_credentials, server_name_option
from app.platform.grpc.host import ModuleHost
from app.platform.grpc.pki import Pki
from protos.generated import identity_pb2 as pb
from tests.grpc_support import IdentityStubs, make_pki, running_host
from tests.support import Api

# Every identity method that acts for someone, with a request aimed at the victim.
USER_ACTING = {
    "GetUser": lambda victim: pb.UserIdRequest(user_id=victim),
    "EnsureActive": lambda victim: pb.Empty(),
    "UpdateEmail": lambda victim: pb.UpdateEmailRequest(email="mallory@example.com"),
    "ChangePassword": lambda victim: pb.ChangePasswordRequest(current="x"),
    "FindUsers": lambda victim: pb.FindUsersRequest(search="", page=1, page_size=10),
    "UserAccount": lambda victim: pb.UserIdRequest(user_id=victim),
    "AdminUpdateUser": lambda victim: pb.AdminUpdateRequest(user_id=victim, role="admin"),
    "Lock": lambda victim: pb.LockRequest(user_id=victim),
    "Unlock": lambda victim: pb.UnlockRequest(user_id=victim),
    "ExportAccount": lambda victim: pb.Empty(),
    "EraseAccount": lambda victim: pb.EraseAccountRequest(user_id=victim),
    "Logout": lambda victim: pb.LogoutRequest(),
    "LogoutEverywhere": lambda victim: pb.Empty(),
    "EndSessions": lambda victim: pb.UserIdRequest(user_id=victim),
    "Reauthenticate": lambda victim: pb.PasswordCodeRequest(password="x"),
    "SetupTwoFactor": lambda victim: pb.PasswordRequest(password="x"),
    "ConfirmTwoFactor": lambda victim: pb.CodeRequest(code="123456"),
    "TwoFactorStatus": lambda victim: pb.Empty(),
    "DisableTwoFactor": lambda victim: pb.PasswordCodeRequest(password="x", code="123456"),
    "RegenerateBackupCodes": lambda victim: pb.PasswordCodeRequest(password="x",
                                                                   code="123456"),
    "ReencryptTotpSecrets": lambda victim: pb.Empty(),
    "SigningKeys": lambda victim: pb.Empty(),
    "RotateSigningKey": lambda victim: pb.Empty(),
    "RemoveSigningKey": lambda victim: pb.KeyId(kid="any"),
}
# What only administrators (and operators) may do: another user's token is refused.
ADMIN_ONLY = ("GetUser", "FindUsers", "UserAccount", "AdminUpdateUser", "Lock", "Unlock",
              "EraseAccount", "EndSessions", "ReencryptTotpSecrets", "SigningKeys",
              "RotateSigningKey", "RemoveSigningKey")


@pytest.fixture
def web_stubs(app: Flask, services: Services) -> Iterator[IdentityStubs]:
    make_pki(services.transport.pki_dir)
    with running_host(app, services, ["identity"]) as host:
        yield _stubs(host, services)


def _stubs(host: ModuleHost, services: Services) -> IdentityStubs:
    creds = channel_credentials(Pki(services.transport.pki_dir), "web")
    return IdentityStubs(grpc.secure_channel(f"127.0.0.1:{host.port}", creds,
                                             [server_name_option("identity")]))


def _code(stubs: IdentityStubs, method: str, request: object,
          token: str | None = None) -> grpc.StatusCode:
    metadata = [("authorization", f"Bearer {token}")] if token else []
    with pytest.raises(grpc.RpcError) as refused:
        getattr(stubs, method)(request, timeout=5, metadata=metadata)
    return refused.value.code()  # type: ignore[no-any-return]


@pytest.mark.parametrize("method", sorted(USER_ACTING))
def test_attack_the_web_certificate_without_a_token_acts_for_nobody(
        api: Api, web_stubs: IdentityStubs, method: str) -> None:
    victim = api.user("victim")
    request = USER_ACTING[method](victim["id"])
    assert _code(web_stubs, method, request) == grpc.StatusCode.UNAUTHENTICATED
    me = api.get("/api/users/me/", victim["access"]).get_json()
    assert (me["email"], me["role"]) == ("victim@example.com", "user")


@pytest.mark.parametrize("method", ADMIN_ONLY)
def test_attack_a_shoppers_token_on_administrators_methods_is_refused(
        api: Api, web_stubs: IdentityStubs, method: str) -> None:
    victim = api.user("victim")
    mallory = api.user("mallory")
    request = USER_ACTING[method](victim["id"])
    assert _code(web_stubs, method, request, mallory["access"]) == \
        grpc.StatusCode.PERMISSION_DENIED
    assert api.login("victim").status_code == 200  # neither locked, erased nor changed


def test_the_audit_names_the_verified_administrator_not_a_field(
        api: Api, app: Flask, services: Services, web_stubs: IdentityStubs) -> None:
    victim = api.user("victim")
    admin = api.admin()
    web_stubs.Unlock(pb.UnlockRequest(user_id=victim["id"]), timeout=5,
                     metadata=[("authorization", f"Bearer {admin['access']}")])
    with app.app_context():
        services.accounts.unlock(Principal.system("cli"), victim["id"])
        unlocked = [e for e in services.audit.recent(20) if e["event"] == "authn_login_unlock"]
        expected = [services.audit.known_pseudonym(admin["id"]), "system:cli"]
    assert [e["actor"] for e in reversed(unlocked)] == expected
