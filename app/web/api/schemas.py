"""Request and response models of the identity endpoints (validation and OpenAPI in one)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from pydantic.json_schema import JsonDict


class Strict(BaseModel):
    # Unknown fields are refused, which also shuts the door on mass assignment.
    model_config = ConfigDict(extra="forbid", str_max_length=4096)


def _whole_number(value: object) -> object:
    """JSON Schema's ``integer`` includes 2.0, so validation takes it as 2; strings and
    booleans stay refused (StrictInt)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


# For a count in a JSON body: exactly the values the document's ``integer`` allows. Put it after
# the type's Field constraints: ``Annotated[StrictInt, Field(ge=1), WHOLE]`` (placed before
# them, it hides them from the JSON schema).
WHOLE = BeforeValidator(_whole_number)
# JSON Schema's format for the addresses that email-validator accepts (checked by identity).
EMAIL_SCHEMA: JsonDict = {"format": "email"}


class RegisterIn(Strict):
    username: str = Field(min_length=3, max_length=40, pattern=r"^[A-Za-z0-9_.-]+$")
    email: str = Field(min_length=3, max_length=254, json_schema_extra=EMAIL_SCHEMA)
    password: str = Field(min_length=1, max_length=1024)


class UserOut(BaseModel):
    id: str
    username: str
    email: str
    role: Literal["user", "admin"]
    is_active: bool
    two_factor_enabled: bool
    created_at: str


class UserList(BaseModel):
    count: int
    next: str | None
    previous: str | None
    results: list[UserOut]


class ProfileIn(Strict):
    email: str = Field(min_length=3, max_length=254, json_schema_extra=EMAIL_SCHEMA)


class PasswordChangeIn(Strict):
    current_password: str = Field(min_length=1, max_length=1024)
    new_password: str = Field(min_length=1, max_length=1024)


class LoginIn(Strict):
    username: str = Field(min_length=1, max_length=254)
    password: str = Field(min_length=1, max_length=1024)
    device: str | None = Field(
        default=None, max_length=200,
        description="Device proof from an earlier successful login on this device or client "
        "(OWASP device cookie): exempts the attempt from the per-username lockout and rate "
        "limit, not from the per-IP ones")


class TokenPairOut(BaseModel):
    access: str
    refresh: str
    token_type: str = "Bearer"
    expires_in: int


class TwoFactorChallengeOut(BaseModel):
    requires_2fa: Literal[True]
    login_ticket: str
    expires_in: int


class LoginOut(BaseModel):
    """The token pair, or (2FA on) ``{requires_2fa: true, login_ticket, expires_in}``."""

    access: str | None = None
    refresh: str | None = None
    token_type: str | None = None
    expires_in: int
    requires_2fa: bool | None = None
    login_ticket: str | None = None
    device: str | None = Field(
        default=None, description="This device's proof of a successful login: keep it and "
        "send it with later logins")


class RefreshIn(Strict):
    refresh: str = Field(min_length=1, max_length=512)


class RevokeIn(Strict):
    refresh: str | None = Field(default=None, max_length=512)


class PublicKeyOut(BaseModel):
    public_key: str
    kid: str
    alg: Literal["RS256"]


class AdminUserPatch(Strict):
    role: Literal["user", "admin"] | None = None
    is_active: bool | None = None


class PageQuery(Strict):
    page: int = Field(default=1, ge=1, le=100_000)
    page_size: int = Field(default=20, ge=1, le=100)


class Empty(BaseModel):
    pass


class Problem(BaseModel):
    type: str
    title: str
    status: int
    detail: str
    errors: dict[str, str] | None = None


# ASCII digits only: in Python and in pydantic's regex engine \d also matches other scripts.
TOTP_CODE = r"^[0-9]{6}$"


class TwoFactorSetupOut(BaseModel):
    secret: str
    otpauth_uri: str
    qr_svg: str


class TwoFactorCodeIn(Strict):
    # A TOTP code; ``^\d{6}$`` is enforced again by the identity module before any HMAC.
    code: str = Field(min_length=6, max_length=6, pattern=TOTP_CODE)


class BackupCodesOut(BaseModel):
    backup_codes: list[str]


class TwoFactorEnabledOut(BackupCodesOut):
    enabled: bool


class TwoFactorStatusOut(BaseModel):
    enabled: bool
    backup_codes_remaining: int


class VerifyLoginIn(Strict):
    # Only a ticket: there is no username field, so a username can never stand in for one.
    login_ticket: str = Field(min_length=16, max_length=128)
    code: str = Field(min_length=6, max_length=40, description="TOTP code or backup code")


class VerifyLoginOut(TokenPairOut):
    backup_codes_remaining: int | None = Field(
        default=None, description="Set when a backup code was used: how many are left")
    device: str | None = Field(
        default=None, description="This device's proof of a successful login (see login)")


class PasswordIn(Strict):
    """Re-authentication: the caller's current password."""

    password: str = Field(min_length=1, max_length=1024)


class ReauthenticateIn(Strict):
    password: str = Field(min_length=1, max_length=1024)
    code: str = Field(default="", max_length=40,
                      description="TOTP code or backup code; required when 2FA is on.")


class ReauthenticateOut(BaseModel):
    verified_at: int = Field(description="When the proof was made (epoch seconds).")
    expires_in: int = Field(description="Seconds the proof counts for this session's "
                                        "sensitive actions.")


class PasswordAndCodeIn(Strict):
    password: str = Field(min_length=1, max_length=1024)
    code: str = Field(min_length=6, max_length=40, description="TOTP code or backup code")
