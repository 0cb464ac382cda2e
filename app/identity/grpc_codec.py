"""Identity contract objects <-> protobuf messages (used by the servicer and the client)."""

from __future__ import annotations

from app.identity.contract import (
    AccountExport,
    LoginResult,
    PublicKey,
    SecondFactorLogin,
    SecurityEventView,
    SessionView,
    SigningKeyView,
    TokenPair,
    TwoFactorStatus,
    UserAccountView,
    UserView,
)
from app.kernel import Page, Revocation
from protos.generated import identity_pb2 as pb


def user_to_pb(user: UserView) -> pb.UserView:
    return pb.UserView(id=user.id, username=user.username, email=user.email, role=user.role,
                       is_active=user.is_active, two_factor_enabled=user.two_factor_enabled,
                       created_at=user.created_at)


def user_from_pb(msg: pb.UserView) -> UserView:
    return UserView(id=msg.id, username=msg.username, email=msg.email, role=msg.role,
                    is_active=msg.is_active, two_factor_enabled=msg.two_factor_enabled,
                    created_at=msg.created_at)


def tokens_to_pb(tokens: TokenPair) -> pb.TokenPair:
    return pb.TokenPair(access=tokens.access, refresh=tokens.refresh,
                        expires_in=tokens.expires_in, token_type=tokens.token_type)


def tokens_from_pb(msg: pb.TokenPair) -> TokenPair:
    return TokenPair(access=msg.access, refresh=msg.refresh, expires_in=msg.expires_in,
                     token_type=msg.token_type)


def login_to_pb(result: LoginResult) -> pb.LoginResult:
    msg = pb.LoginResult(login_ticket=result.login_ticket or "", expires_in=result.expires_in)
    if result.tokens is not None:
        msg.tokens.CopyFrom(tokens_to_pb(result.tokens))
    if result.device_token is not None:
        msg.device_token = result.device_token
    return msg


def login_from_pb(msg: pb.LoginResult) -> LoginResult:
    tokens = tokens_from_pb(msg.tokens) if msg.HasField("tokens") else None
    return LoginResult(tokens=tokens, login_ticket=msg.login_ticket or None,
                       expires_in=msg.expires_in,
                       device_token=msg.device_token if msg.HasField("device_token") else None)


def second_factor_to_pb(result: SecondFactorLogin) -> pb.SecondFactorLogin:
    msg = pb.SecondFactorLogin(tokens=tokens_to_pb(result.tokens))
    if result.backup_codes_remaining is not None:
        msg.backup_codes_remaining = result.backup_codes_remaining
    if result.device_token is not None:
        msg.device_token = result.device_token
    return msg


def second_factor_from_pb(msg: pb.SecondFactorLogin) -> SecondFactorLogin:
    remaining = msg.backup_codes_remaining if msg.HasField("backup_codes_remaining") else None
    device = msg.device_token if msg.HasField("device_token") else None
    return SecondFactorLogin(tokens=tokens_from_pb(msg.tokens),
                             backup_codes_remaining=remaining, device_token=device)


def status_to_pb(status: TwoFactorStatus) -> pb.TwoFactorStatusReply:
    return pb.TwoFactorStatusReply(enabled=status.enabled,
                                   backup_codes_remaining=status.backup_codes_remaining)


def status_from_pb(msg: pb.TwoFactorStatusReply) -> TwoFactorStatus:
    return TwoFactorStatus(enabled=msg.enabled, backup_codes_remaining=msg.backup_codes_remaining)


def page_to_pb(page: Page[UserView]) -> pb.UserPage:
    return pb.UserPage(items=[user_to_pb(u) for u in page.items], total=page.total,
                       page=page.page, page_size=page.page_size)


def page_from_pb(msg: pb.UserPage) -> Page[UserView]:
    return Page(items=tuple(user_from_pb(u) for u in msg.items), total=msg.total,
                page=msg.page, page_size=msg.page_size)


def key_to_pb(key: PublicKey) -> pb.PublicKeyReply:
    return pb.PublicKeyReply(kid=key.kid, alg=key.alg, pem=key.pem)


def key_from_pb(msg: pb.PublicKeyReply) -> PublicKey:
    return PublicKey(kid=msg.kid, alg=msg.alg, pem=msg.pem)


def revocation_to_pb(entry: Revocation) -> pb.Revocation:
    return pb.Revocation(seq=entry.seq, kind=entry.kind, value=entry.value,
                         not_before=entry.not_before, expires_at=entry.expires_at)


def revocation_from_pb(msg: pb.Revocation) -> Revocation:
    return Revocation(seq=msg.seq, kind=msg.kind, value=msg.value, not_before=msg.not_before,
                      expires_at=msg.expires_at)


def account_to_pb(account: UserAccountView) -> pb.UserAccountReply:
    return pb.UserAccountReply(user=user_to_pb(account.user), locked_until=account.locked_until,
                          failed_logins=account.failed_logins)


def account_from_pb(msg: pb.UserAccountReply) -> UserAccountView:
    return UserAccountView(user=user_from_pb(msg.user), locked_until=msg.locked_until,
                           failed_logins=msg.failed_logins)


def signing_key_to_pb(key: SigningKeyView) -> pb.SigningKey:
    msg = pb.SigningKey(kid=key.kid, status=key.status, created_at=key.created_at,
                        published=key.published)
    if key.retired_at is not None:
        msg.retired_at = key.retired_at
    return msg


def signing_key_from_pb(msg: pb.SigningKey) -> SigningKeyView:
    return SigningKeyView(kid=msg.kid, status=msg.status, created_at=msg.created_at,
                          retired_at=msg.retired_at if msg.HasField("retired_at") else None,
                          published=msg.published)


def export_to_pb(export: AccountExport) -> pb.AccountExport:
    return pb.AccountExport(
        user=user_to_pb(export.user),
        two_factor=status_to_pb(export.two_factor),
        sessions=[pb.SessionView(session_id=s.session_id, started_at=s.started_at,
                                 last_used_at=s.last_used_at, expires_at=s.expires_at,
                                 amr=list(s.amr), active=s.active) for s in export.sessions],
        security_events=[pb.SecurityEventView(
            occurred_at=e.occurred_at, event=e.event, outcome=e.outcome, ip=e.ip,
            user_agent=e.user_agent, details=e.details) for e in export.security_events])


def export_from_pb(msg: pb.AccountExport) -> AccountExport:
    return AccountExport(
        user=user_from_pb(msg.user),
        two_factor=status_from_pb(msg.two_factor),
        sessions=tuple(SessionView(session_id=s.session_id, started_at=s.started_at,
                                   last_used_at=s.last_used_at, expires_at=s.expires_at,
                                   amr=tuple(s.amr), active=s.active) for s in msg.sessions),
        security_events=tuple(SecurityEventView(
            occurred_at=e.occurred_at, event=e.event, outcome=e.outcome, ip=e.ip,
            user_agent=e.user_agent, details=e.details) for e in msg.security_events))
