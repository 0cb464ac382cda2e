"""Operator commands (``flask --app wsgi ...``), grouped by concern. Contracts only."""

from __future__ import annotations

import sys
from collections.abc import Callable

import click
from flask import Flask
from flask.cli import AppGroup, with_appcontext

from app.bootstrap import Services
from app.identity.contract import IdentityService, UserChanges
from app.kernel import ContractError, Principal
from app.platform.audit import verify_chain
from app.platform.crypto import KeyConfigError
from app.platform.migrations import check_all, upgrade_all
from app.seed import seed_users

OPERATOR = Principal(user_id="operator", role="admin", jti="cli", session_id="cli",
                     issued_at=0, expires_at=0)


def _read_password() -> str:
    if sys.stdin.isatty():
        return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))
    return sys.stdin.readline().rstrip("\n")


def _user_id(identity: IdentityService, username: str) -> str:
    page = 1
    while True:
        batch = identity.list_users(page, 100)
        for user in batch.items:
            if user.username.casefold() == username.casefold():
                return user.id
        if page * 100 >= batch.total:
            raise click.ClickException(f"no user {username!r}")
        page += 1


def users_group(identity: IdentityService) -> AppGroup:
    users = AppGroup("users", help="Accounts and incident response.")

    @users.command("create-admin")
    @click.option("--username", required=True)
    @click.option("--email", required=True)
    def create_admin(username: str, email: str) -> None:
        """Create an administrator; the password is read from standard input."""
        try:
            user = identity.register(username, email, _read_password())
            identity.admin_update_user(OPERATOR, user.id, UserChanges(role="admin"))
        except ContractError as error:
            raise click.ClickException(error.detail or error.code) from None
        click.echo(f"created admin {username}")

    @users.command("revoke-tokens")
    @click.argument("username")
    def revoke_tokens(username: str) -> None:
        """End every session of a user now."""
        identity.logout_everywhere(_user_id(identity, username), actor="operator")
        click.echo(f"revoked every token of {username}")

    @users.command("deactivate")
    @click.argument("username")
    def deactivate(username: str) -> None:
        """Deactivate an account (and end its sessions)."""
        identity.admin_update_user(OPERATOR, _user_id(identity, username),
                                   UserChanges(is_active=False))
        click.echo(f"deactivated {username}")

    @users.command("unlock")
    @click.argument("username")
    def unlock(username: str) -> None:
        """Clear a login lockout (the failure count too)."""
        changed = identity.unlock(_user_id(identity, username), actor="operator")
        click.echo(f"unlocked {username}" if changed else f"{username} was not locked")

    return users


def field_reencryptors(services: Services) -> dict[str, Callable[[], int]]:
    """Purpose -> the owning module's contract method that re-encrypts its stored values.

    A module that keeps encrypted fields adds its purpose here (one line).
    """
    return {"totp": services.identity.reencrypt_totp_secrets}


def rotate_field_command(services: Services) -> click.Command:
    reencryptors = field_reencryptors(services)

    @click.command("rotate-field")
    @with_appcontext
    @click.argument("purpose", type=click.Choice(sorted(reencryptors)))
    @click.option("--new-key/--reencrypt-only", default=True,
                  help="Development: add a new primary key first. Production: configure "
                       "FIELD_KEYS_<PURPOSE> with the new key first, restart, then run "
                       "with --reencrypt-only.")
    def rotate_field(purpose: str, new_key: bool) -> None:
        """Re-encrypt every stored value of PURPOSE under the ring's primary key."""
        if new_key:
            try:
                click.echo(f"new primary key {services.keyrings.add_dev_primary(purpose)}")
            except KeyConfigError as error:
                raise click.ClickException(str(error)) from None
        try:
            count = reencryptors[purpose]()
        except ContractError as error:
            raise click.ClickException(error.detail or error.code) from None
        click.echo(f"re-encrypted {count} {purpose} value(s)")

    return rotate_field


def keys_group(identity: IdentityService) -> AppGroup:
    keys = AppGroup("keys", help="Key management.")

    @keys.command("rotate-jwt")
    def rotate_jwt() -> None:
        """Make a new signing key; the old one verifies until its tokens expire."""
        click.echo(f"new active key {identity.rotate_signing_key()}")

    @keys.command("remove-jwt")
    @click.argument("kid")
    def remove_jwt(kid: str) -> None:
        """Remove a (compromised) key at once: its tokens fail from now on."""
        try:
            identity.remove_signing_key(kid)
        except ContractError as error:
            raise click.ClickException(error.detail or error.code) from None
        click.echo(f"removed key {kid}")

    return keys


def operations_group() -> list[AppGroup]:
    audit = AppGroup("audit", help="The audit trail.")
    schema = AppGroup("schema", help="Database schema (one migration history per module).")

    @audit.command("verify")
    def audit_verify() -> None:
        """Check the audit trail's hash chain."""
        count, broken = verify_chain()
        if broken is not None:
            raise click.ClickException(f"audit chain broken at event {broken} ({count} checked)")
        click.echo(f"audit chain intact: {count} events")

    @schema.command("upgrade")
    def schema_upgrade() -> None:
        """Apply every module's migrations."""
        upgrade_all()
        click.echo("schema up to date")

    @schema.command("check")
    def schema_check() -> None:
        """Fail when the models and the migrations disagree."""
        diff = check_all()
        if diff:
            raise click.ClickException(f"models and migrations disagree: {diff}")
        click.echo("models and migrations agree")

    return [audit, schema]


def init_app(app: Flask, services: Services) -> None:
    @app.cli.command("seed")
    def seed() -> None:
        """Idempotent demo data; prints the demo credentials."""
        creds = seed_users(services)
        click.echo("Demo accounts (development only):")
        for username, password in creds.items():
            click.echo(f"  {username:<8} {password}")

    keys = keys_group(services.identity)
    keys.add_command(rotate_field_command(services))
    groups = [users_group(services.identity), keys, *operations_group()]
    for group in groups:
        app.cli.add_command(group)
