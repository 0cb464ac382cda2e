from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class UserIdRequest(_message.Message):
    __slots__ = ("user_id",)
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    def __init__(self, user_id: _Optional[str] = ...) -> None: ...

class UserView(_message.Message):
    __slots__ = ("id", "username", "email", "role", "is_active", "two_factor_enabled", "created_at")
    ID_FIELD_NUMBER: _ClassVar[int]
    USERNAME_FIELD_NUMBER: _ClassVar[int]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    IS_ACTIVE_FIELD_NUMBER: _ClassVar[int]
    TWO_FACTOR_ENABLED_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    id: str
    username: str
    email: str
    role: str
    is_active: bool
    two_factor_enabled: bool
    created_at: str
    def __init__(self, id: _Optional[str] = ..., username: _Optional[str] = ..., email: _Optional[str] = ..., role: _Optional[str] = ..., is_active: _Optional[bool] = ..., two_factor_enabled: _Optional[bool] = ..., created_at: _Optional[str] = ...) -> None: ...

class RegisterRequest(_message.Message):
    __slots__ = ("username", "email", "password")
    USERNAME_FIELD_NUMBER: _ClassVar[int]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    PASSWORD_FIELD_NUMBER: _ClassVar[int]
    username: str
    email: str
    password: str
    def __init__(self, username: _Optional[str] = ..., email: _Optional[str] = ..., password: _Optional[str] = ...) -> None: ...

class UpdateEmailRequest(_message.Message):
    __slots__ = ("email",)
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    email: str
    def __init__(self, email: _Optional[str] = ...) -> None: ...

class ChangePasswordRequest(_message.Message):
    __slots__ = ("current", "new")
    CURRENT_FIELD_NUMBER: _ClassVar[int]
    NEW_FIELD_NUMBER: _ClassVar[int]
    current: str
    new: str
    def __init__(self, current: _Optional[str] = ..., new: _Optional[str] = ...) -> None: ...

class LoginRequest(_message.Message):
    __slots__ = ("username", "password", "device")
    USERNAME_FIELD_NUMBER: _ClassVar[int]
    PASSWORD_FIELD_NUMBER: _ClassVar[int]
    DEVICE_FIELD_NUMBER: _ClassVar[int]
    username: str
    password: str
    device: str
    def __init__(self, username: _Optional[str] = ..., password: _Optional[str] = ..., device: _Optional[str] = ...) -> None: ...

class PasswordRequest(_message.Message):
    __slots__ = ("password",)
    PASSWORD_FIELD_NUMBER: _ClassVar[int]
    password: str
    def __init__(self, password: _Optional[str] = ...) -> None: ...

class DeviceCheck(_message.Message):
    __slots__ = ("username", "device")
    USERNAME_FIELD_NUMBER: _ClassVar[int]
    DEVICE_FIELD_NUMBER: _ClassVar[int]
    username: str
    device: str
    def __init__(self, username: _Optional[str] = ..., device: _Optional[str] = ...) -> None: ...

class Flag(_message.Message):
    __slots__ = ("value",)
    VALUE_FIELD_NUMBER: _ClassVar[int]
    value: bool
    def __init__(self, value: _Optional[bool] = ...) -> None: ...

class TokenPair(_message.Message):
    __slots__ = ("access", "refresh", "expires_in", "token_type")
    ACCESS_FIELD_NUMBER: _ClassVar[int]
    REFRESH_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_IN_FIELD_NUMBER: _ClassVar[int]
    TOKEN_TYPE_FIELD_NUMBER: _ClassVar[int]
    access: str
    refresh: str
    expires_in: int
    token_type: str
    def __init__(self, access: _Optional[str] = ..., refresh: _Optional[str] = ..., expires_in: _Optional[int] = ..., token_type: _Optional[str] = ...) -> None: ...

class LoginResult(_message.Message):
    __slots__ = ("tokens", "login_ticket", "expires_in", "device_token")
    TOKENS_FIELD_NUMBER: _ClassVar[int]
    LOGIN_TICKET_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_IN_FIELD_NUMBER: _ClassVar[int]
    DEVICE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    tokens: TokenPair
    login_ticket: str
    expires_in: int
    device_token: str
    def __init__(self, tokens: _Optional[_Union[TokenPair, _Mapping]] = ..., login_ticket: _Optional[str] = ..., expires_in: _Optional[int] = ..., device_token: _Optional[str] = ...) -> None: ...

class RefreshRequest(_message.Message):
    __slots__ = ("refresh_token",)
    REFRESH_TOKEN_FIELD_NUMBER: _ClassVar[int]
    refresh_token: str
    def __init__(self, refresh_token: _Optional[str] = ...) -> None: ...

class LogoutRequest(_message.Message):
    __slots__ = ("refresh_token",)
    REFRESH_TOKEN_FIELD_NUMBER: _ClassVar[int]
    refresh_token: str
    def __init__(self, refresh_token: _Optional[str] = ...) -> None: ...

class FindUsersRequest(_message.Message):
    __slots__ = ("search", "page", "page_size")
    SEARCH_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    search: str
    page: int
    page_size: int
    def __init__(self, search: _Optional[str] = ..., page: _Optional[int] = ..., page_size: _Optional[int] = ...) -> None: ...

class UserAccountReply(_message.Message):
    __slots__ = ("user", "locked_until", "failed_logins")
    USER_FIELD_NUMBER: _ClassVar[int]
    LOCKED_UNTIL_FIELD_NUMBER: _ClassVar[int]
    FAILED_LOGINS_FIELD_NUMBER: _ClassVar[int]
    user: UserView
    locked_until: int
    failed_logins: int
    def __init__(self, user: _Optional[_Union[UserView, _Mapping]] = ..., locked_until: _Optional[int] = ..., failed_logins: _Optional[int] = ...) -> None: ...

class SigningKey(_message.Message):
    __slots__ = ("kid", "status", "created_at", "retired_at", "published")
    KID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    RETIRED_AT_FIELD_NUMBER: _ClassVar[int]
    PUBLISHED_FIELD_NUMBER: _ClassVar[int]
    kid: str
    status: str
    created_at: int
    retired_at: int
    published: bool
    def __init__(self, kid: _Optional[str] = ..., status: _Optional[str] = ..., created_at: _Optional[int] = ..., retired_at: _Optional[int] = ..., published: _Optional[bool] = ...) -> None: ...

class SigningKeysReply(_message.Message):
    __slots__ = ("keys",)
    KEYS_FIELD_NUMBER: _ClassVar[int]
    keys: _containers.RepeatedCompositeFieldContainer[SigningKey]
    def __init__(self, keys: _Optional[_Iterable[_Union[SigningKey, _Mapping]]] = ...) -> None: ...

class UserPage(_message.Message):
    __slots__ = ("items", "total", "page", "page_size")
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[UserView]
    total: int
    page: int
    page_size: int
    def __init__(self, items: _Optional[_Iterable[_Union[UserView, _Mapping]]] = ..., total: _Optional[int] = ..., page: _Optional[int] = ..., page_size: _Optional[int] = ...) -> None: ...

class AdminUpdateRequest(_message.Message):
    __slots__ = ("user_id", "role", "is_active")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    IS_ACTIVE_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    role: str
    is_active: bool
    def __init__(self, user_id: _Optional[str] = ..., role: _Optional[str] = ..., is_active: _Optional[bool] = ...) -> None: ...

class PublicKeyReply(_message.Message):
    __slots__ = ("kid", "alg", "pem")
    KID_FIELD_NUMBER: _ClassVar[int]
    ALG_FIELD_NUMBER: _ClassVar[int]
    PEM_FIELD_NUMBER: _ClassVar[int]
    kid: str
    alg: str
    pem: str
    def __init__(self, kid: _Optional[str] = ..., alg: _Optional[str] = ..., pem: _Optional[str] = ...) -> None: ...

class JwksReply(_message.Message):
    __slots__ = ("json",)
    JSON_FIELD_NUMBER: _ClassVar[int]
    json: str
    def __init__(self, json: _Optional[str] = ...) -> None: ...

class RevocationsRequest(_message.Message):
    __slots__ = ("cursor",)
    CURSOR_FIELD_NUMBER: _ClassVar[int]
    cursor: int
    def __init__(self, cursor: _Optional[int] = ...) -> None: ...

class Revocation(_message.Message):
    __slots__ = ("seq", "kind", "value", "not_before", "expires_at")
    SEQ_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    NOT_BEFORE_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    seq: int
    kind: str
    value: str
    not_before: int
    expires_at: int
    def __init__(self, seq: _Optional[int] = ..., kind: _Optional[str] = ..., value: _Optional[str] = ..., not_before: _Optional[int] = ..., expires_at: _Optional[int] = ...) -> None: ...

class Revocations(_message.Message):
    __slots__ = ("entries",)
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    entries: _containers.RepeatedCompositeFieldContainer[Revocation]
    def __init__(self, entries: _Optional[_Iterable[_Union[Revocation, _Mapping]]] = ...) -> None: ...

class KeyId(_message.Message):
    __slots__ = ("kid",)
    KID_FIELD_NUMBER: _ClassVar[int]
    kid: str
    def __init__(self, kid: _Optional[str] = ...) -> None: ...

class Empty(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class TwoFactorSetup(_message.Message):
    __slots__ = ("secret", "otpauth_uri", "qr_svg")
    SECRET_FIELD_NUMBER: _ClassVar[int]
    OTPAUTH_URI_FIELD_NUMBER: _ClassVar[int]
    QR_SVG_FIELD_NUMBER: _ClassVar[int]
    secret: str
    otpauth_uri: str
    qr_svg: str
    def __init__(self, secret: _Optional[str] = ..., otpauth_uri: _Optional[str] = ..., qr_svg: _Optional[str] = ...) -> None: ...

class CodeRequest(_message.Message):
    __slots__ = ("code",)
    CODE_FIELD_NUMBER: _ClassVar[int]
    code: str
    def __init__(self, code: _Optional[str] = ...) -> None: ...

class PasswordCodeRequest(_message.Message):
    __slots__ = ("password", "code")
    PASSWORD_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    password: str
    code: str
    def __init__(self, password: _Optional[str] = ..., code: _Optional[str] = ...) -> None: ...

class StepUpProof(_message.Message):
    __slots__ = ("verified_at",)
    VERIFIED_AT_FIELD_NUMBER: _ClassVar[int]
    verified_at: int
    def __init__(self, verified_at: _Optional[int] = ...) -> None: ...

class BackupCodes(_message.Message):
    __slots__ = ("codes",)
    CODES_FIELD_NUMBER: _ClassVar[int]
    codes: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, codes: _Optional[_Iterable[str]] = ...) -> None: ...

class TwoFactorStatusReply(_message.Message):
    __slots__ = ("enabled", "backup_codes_remaining")
    ENABLED_FIELD_NUMBER: _ClassVar[int]
    BACKUP_CODES_REMAINING_FIELD_NUMBER: _ClassVar[int]
    enabled: bool
    backup_codes_remaining: int
    def __init__(self, enabled: _Optional[bool] = ..., backup_codes_remaining: _Optional[int] = ...) -> None: ...

class VerifyLoginRequest(_message.Message):
    __slots__ = ("login_ticket", "code")
    LOGIN_TICKET_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    login_ticket: str
    code: str
    def __init__(self, login_ticket: _Optional[str] = ..., code: _Optional[str] = ...) -> None: ...

class SecondFactorLogin(_message.Message):
    __slots__ = ("tokens", "backup_codes_remaining", "device_token")
    TOKENS_FIELD_NUMBER: _ClassVar[int]
    BACKUP_CODES_REMAINING_FIELD_NUMBER: _ClassVar[int]
    DEVICE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    tokens: TokenPair
    backup_codes_remaining: int
    device_token: str
    def __init__(self, tokens: _Optional[_Union[TokenPair, _Mapping]] = ..., backup_codes_remaining: _Optional[int] = ..., device_token: _Optional[str] = ...) -> None: ...

class LoginTicket(_message.Message):
    __slots__ = ("login_ticket",)
    LOGIN_TICKET_FIELD_NUMBER: _ClassVar[int]
    login_ticket: str
    def __init__(self, login_ticket: _Optional[str] = ...) -> None: ...

class TicketOwner(_message.Message):
    __slots__ = ("user_id",)
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    def __init__(self, user_id: _Optional[str] = ...) -> None: ...

class UnlockRequest(_message.Message):
    __slots__ = ("user_id",)
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    def __init__(self, user_id: _Optional[str] = ...) -> None: ...

class Unlocked(_message.Message):
    __slots__ = ("changed",)
    CHANGED_FIELD_NUMBER: _ClassVar[int]
    changed: bool
    def __init__(self, changed: _Optional[bool] = ...) -> None: ...

class Count(_message.Message):
    __slots__ = ("count",)
    COUNT_FIELD_NUMBER: _ClassVar[int]
    count: int
    def __init__(self, count: _Optional[int] = ...) -> None: ...

class LockRequest(_message.Message):
    __slots__ = ("user_id",)
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    def __init__(self, user_id: _Optional[str] = ...) -> None: ...

class Changed(_message.Message):
    __slots__ = ("changed",)
    CHANGED_FIELD_NUMBER: _ClassVar[int]
    changed: bool
    def __init__(self, changed: _Optional[bool] = ...) -> None: ...

class SessionView(_message.Message):
    __slots__ = ("session_id", "started_at", "last_used_at", "expires_at", "amr", "active")
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    STARTED_AT_FIELD_NUMBER: _ClassVar[int]
    LAST_USED_AT_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    AMR_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    started_at: str
    last_used_at: str
    expires_at: str
    amr: _containers.RepeatedScalarFieldContainer[str]
    active: bool
    def __init__(self, session_id: _Optional[str] = ..., started_at: _Optional[str] = ..., last_used_at: _Optional[str] = ..., expires_at: _Optional[str] = ..., amr: _Optional[_Iterable[str]] = ..., active: _Optional[bool] = ...) -> None: ...

class SecurityEventView(_message.Message):
    __slots__ = ("occurred_at", "event", "outcome", "ip", "user_agent", "details")
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    EVENT_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    IP_FIELD_NUMBER: _ClassVar[int]
    USER_AGENT_FIELD_NUMBER: _ClassVar[int]
    DETAILS_FIELD_NUMBER: _ClassVar[int]
    occurred_at: str
    event: str
    outcome: str
    ip: str
    user_agent: str
    details: str
    def __init__(self, occurred_at: _Optional[str] = ..., event: _Optional[str] = ..., outcome: _Optional[str] = ..., ip: _Optional[str] = ..., user_agent: _Optional[str] = ..., details: _Optional[str] = ...) -> None: ...

class AccountExport(_message.Message):
    __slots__ = ("user", "two_factor", "sessions", "security_events")
    USER_FIELD_NUMBER: _ClassVar[int]
    TWO_FACTOR_FIELD_NUMBER: _ClassVar[int]
    SESSIONS_FIELD_NUMBER: _ClassVar[int]
    SECURITY_EVENTS_FIELD_NUMBER: _ClassVar[int]
    user: UserView
    two_factor: TwoFactorStatusReply
    sessions: _containers.RepeatedCompositeFieldContainer[SessionView]
    security_events: _containers.RepeatedCompositeFieldContainer[SecurityEventView]
    def __init__(self, user: _Optional[_Union[UserView, _Mapping]] = ..., two_factor: _Optional[_Union[TwoFactorStatusReply, _Mapping]] = ..., sessions: _Optional[_Iterable[_Union[SessionView, _Mapping]]] = ..., security_events: _Optional[_Iterable[_Union[SecurityEventView, _Mapping]]] = ...) -> None: ...

class EraseAccountRequest(_message.Message):
    __slots__ = ("user_id", "password", "code")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    PASSWORD_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    password: str
    code: str
    def __init__(self, user_id: _Optional[str] = ..., password: _Optional[str] = ..., code: _Optional[str] = ...) -> None: ...

class ErasedAccount(_message.Message):
    __slots__ = ("user_id", "orders_unlinked")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    ORDERS_UNLINKED_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    orders_unlinked: int
    def __init__(self, user_id: _Optional[str] = ..., orders_unlinked: _Optional[int] = ...) -> None: ...
