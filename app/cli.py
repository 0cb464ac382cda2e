"""Operator commands (``flask --app wsgi ...``), grouped by concern. Contracts only."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup, with_appcontext

from app.bootstrap import Services, as_operator
from app.identity.contract import AccountService, SessionService, SigningKeyService, UserChanges
from app.kernel import ContractError, Principal
from app.platform import backup
from app.platform.audit import SecurityEvent, verify_chain
from app.platform.crypto import KeyConfigError, KeyRing
from app.platform.grpc.pki_cli import pki_group
from app.seed import seed_demo

# Operator commands act as the system principal (audited as ``system:cli``).
CLI = Principal.system("cli")


def _read_password() -> str:
    if sys.stdin.isatty():
        return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))
    return sys.stdin.readline().rstrip("\n")


def _user_id(accounts: AccountService, username: str) -> str:
    page = 1
    while True:
        batch = accounts.find_users(CLI, username, page, 100)
        for user in batch.items:
            if user.username.casefold() == username.casefold():
                return user.id
        if page * 100 >= batch.total:
            raise click.ClickException(f"no user {username!r}")
        page += 1


def users_group(accounts: AccountService, sessions: SessionService) -> AppGroup:
    users = AppGroup("users", help="Accounts and incident response.")

    @users.command("create-admin")
    @click.option("--username", required=True)
    @click.option("--email", required=True)
    def create_admin(username: str, email: str) -> None:
        """Create an administrator; the password is read from standard input."""
        try:
            user = accounts.register(username, email, _read_password())
            accounts.admin_update_user(CLI, user.id, UserChanges(role="admin"))
        except ContractError as error:
            raise click.ClickException(error.detail or error.code) from None
        click.echo(f"created admin {username}")

    @users.command("revoke-tokens")
    @click.argument("username")
    def revoke_tokens(username: str) -> None:
        """End every session of a user now."""
        sessions.end_sessions(CLI, _user_id(accounts, username))
        click.echo(f"revoked every token of {username}")

    @users.command("deactivate")
    @click.argument("username")
    def deactivate(username: str) -> None:
        """Deactivate an account (and end its sessions)."""
        accounts.admin_update_user(CLI, _user_id(accounts, username),
                                   UserChanges(is_active=False))
        click.echo(f"deactivated {username}")

    @users.command("lock")
    @click.argument("username")
    def lock(username: str) -> None:
        """Lock an account until `users unlock` (and end its sessions now)."""
        changed = accounts.lock(CLI, _user_id(accounts, username))
        click.echo(f"locked {username}" if changed else f"{username} was already locked")

    @users.command("erase")
    @click.argument("username")
    @click.confirmation_option(prompt="Erase this account for good (orders are kept, unlinked)?")
    def erase(username: str) -> None:
        """GDPR erasure: delete the account, end its sessions, unlink its orders and audit."""
        try:
            erased = accounts.erase_account(CLI, _user_id(accounts, username), "", "")
        except ContractError as error:
            raise click.ClickException(error.detail or error.code) from None
        click.echo(f"erased {username} ({erased.orders_unlinked} orders unlinked)")

    @users.command("unlock")
    @click.argument("username")
    def unlock(username: str) -> None:
        """Clear a login lockout (the failure count too)."""
        changed = accounts.unlock(CLI, _user_id(accounts, username))
        click.echo(f"unlocked {username}" if changed else f"{username} was not locked")

    return users


def keys_group(signing_keys: SigningKeyService) -> AppGroup:
    keys = AppGroup("keys", help="Key management.")

    @keys.command("rotate-jwt")
    def rotate_jwt() -> None:
        """Make a new signing key; the old one verifies until its tokens expire."""
        click.echo(f"new active key {signing_keys.rotate_signing_key(CLI)}")

    @keys.command("remove-jwt")
    @click.argument("kid")
    def remove_jwt(kid: str) -> None:
        """Remove a (compromised) key at once: its tokens fail from now on."""
        try:
            signing_keys.remove_signing_key(CLI, kid)
        except ContractError as error:
            raise click.ClickException(error.detail or error.code) from None
        click.echo(f"removed key {kid}")

    return keys


def field_rotations(services: Services) -> dict[str, Callable[[], int]]:
    """Key-ring purpose -> the owning module's contract method that re-encrypts its rows
    under the ring's primary key (returns how many rows changed). One line per purpose."""
    two_factor, ordering = services.two_factor, services.ordering
    rotations: dict[str, Callable[[], int]] = {
        "totp": lambda: two_factor.reencrypt_totp_secrets(CLI)}
    if ordering is not None:
        rotations["order_user"] = lambda: ordering.reencrypt_user_references(CLI)
    return rotations


def rotate_field_command(services: Services) -> click.Command:
    @click.command("rotate-field")
    @with_appcontext
    @click.argument("purpose")
    @click.option("--reencrypt-only", is_flag=True,
                  help="Do not add a key (production: configure the new primary first).")
    def rotate_field(purpose: str, reencrypt_only: bool) -> None:
        """Make a new primary field key for PURPOSE and re-encrypt its rows under it."""
        rotations = field_rotations(services)
        if purpose not in rotations:
            raise click.ClickException(f"unknown purpose {purpose!r}; one of "
                                       + ", ".join(sorted(rotations)))
        try:
            kid = (services.keyrings.ring(purpose).primary_kid if reencrypt_only
                   else services.keyrings.add_dev_primary(purpose))
        except KeyConfigError as error:
            raise click.ClickException(str(error)) from None
        try:
            count = rotations[purpose]()
        except ContractError as error:
            raise click.ClickException(error.detail or error.code) from None
        services.audit.record(SecurityEvent.KEY_ROTATED, actor=CLI.user_id, target=purpose,
                              kid=kid, reencrypted=count)
        click.echo(f"{purpose}: primary key {kid}, {count} rows re-encrypted")

    return rotate_field


def inventory_group(services: Services) -> AppGroup:
    inventory = AppGroup("inventory", help="Stock reservations.")

    @inventory.command("release-stale")
    @click.option("--older-than", default=900, show_default=True, type=click.IntRange(60),
                  help="Seconds after which an unconfirmed reservation is abandoned.")
    def release_stale(older_than: int) -> None:
        """Give back the stock of reservations whose order never completed."""
        assert services.catalog is not None
        released = services.catalog.release_stale(CLI, older_than)
        click.echo(f"released {released} reservations")

    return inventory


_DURATION = re.compile(r"^(\d{1,6})([smhd])$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86_400}


def _expiry(services: Services, expires_in: str | None) -> datetime | None:
    if not expires_in:
        return None
    match = _DURATION.match(expires_in.strip())
    if match is None:
        raise click.BadParameter("use a number and s, m, h or d, such as 30m or 7d",
                                 param_hint="--expires-in")
    seconds = int(match.group(1)) * _UNIT_SECONDS[match.group(2)]
    return datetime.fromtimestamp(services.clock.time() + seconds, UTC)


def ips_group(services: Services) -> AppGroup:
    ips = AppGroup("ips", help="Blocked addresses (refused at the edge by every worker).")
    operator = Principal.system("cli")

    @ips.command("block")
    @click.argument("network")
    @click.option("--reason", required=True, help="Why (kept with the block and audited).")
    @click.option("--expires-in", help="Lift the block after this long: 30m, 12h, 7d.")
    def block(network: str, reason: str, expires_in: str | None) -> None:
        """Block an IP address or CIDR range (blocking it again replaces reason and expiry)."""
        try:
            entry = services.blocklist.block(operator, network, reason,
                                             expires_at=_expiry(services, expires_in))
        except ContractError as error:
            raise click.ClickException(_explain(error)) from None
        until = entry.expires_at.isoformat() if entry.expires_at else "until unblocked"
        click.echo(f"blocked {entry.network} ({until})")

    @ips.command("unblock")
    @click.argument("network")
    def unblock(network: str) -> None:
        """Lift the block of an IP address or CIDR range."""
        try:
            services.blocklist.unblock(operator, network)
        except ContractError as error:
            raise click.ClickException(_explain(error)) from None
        click.echo(f"unblocked {network.strip()}")

    @ips.command("list")
    @click.option("--all", "include_expired", is_flag=True, help="Expired blocks too.")
    def listing(include_expired: bool) -> None:
        """The blocks in force (newest first): network, expiry, who, reason."""
        for entry in services.blocklist.blocks(operator, include_expired=include_expired):
            until = entry.expires_at.isoformat() if entry.expires_at else "-"
            click.echo(f"{entry.network}\t{until}\t{entry.created_by}\t{entry.reason}")

    return ips


def _explain(error: ContractError) -> str:
    return " ".join([error.detail or error.code, *error.field_errors.values()])


def backup_group(services: Services) -> AppGroup:
    group = AppGroup("backup", help="Encrypted backups of every module's database.")

    def ring() -> KeyRing:
        try:
            return services.keyrings.ring("backup")
        except KeyConfigError as error:
            raise click.ClickException(str(error)) from None

    @group.command("create")
    @click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
    def create(file: Path) -> None:
        """Write one encrypted, authenticated backup of every database to FILE."""
        try:
            manifest = backup.create(file, ring())
        except backup.BackupError as error:
            raise click.ClickException(str(error)) from None
        services.audit.record(SecurityEvent.BACKUP_CREATED, actor="system:cli",
                              target=file.name, databases=len(manifest["databases"]))
        click.echo(f"backup written to {file} ({len(manifest['databases'])} databases, "
                   f"key {ring().primary_kid})")

    @group.command("restore")
    @click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
    def restore(file: Path) -> None:
        """Verify FILE completely, then restore it into the empty databases."""
        try:
            manifest = backup.restore(file, ring())
        except backup.BackupError as error:
            raise click.ClickException(f"{error} Nothing was changed.") from None
        services.audit.record(SecurityEvent.BACKUP_RESTORED, actor="system:cli",
                              target=file.name, created_at=manifest.get("created_at"))
        click.echo(f"restored {len(manifest['databases'])} databases from {file} "
                   f"(made {manifest.get('created_at')})")

    return group


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
        from app.platform.migrations import upgrade_all  # Alembic: for this command only

        upgrade_all()
        click.echo("schema up to date")

    @schema.command("check")
    def schema_check() -> None:
        """Fail when the models and the migrations disagree."""
        from app.platform.migrations import check_all  # Alembic: for this command only

        diff = check_all()
        if diff:
            raise click.ClickException(f"models and migrations disagree: {diff}")
        click.echo("models and migrations agree")

    return [audit, schema]


def init_app(app: Flask, services: Services) -> None:
    @app.cli.command("seed")
    def seed() -> None:
        """Idempotent demo data; prints the demo credentials."""
        creds = seed_demo(services)
        click.echo("Demo accounts (development only):")
        for username, password in creds.items():
            click.echo(f"  {username:<8} {password}")

    # Operator commands send their system principal with the operator certificate.
    operator = as_operator(services)
    keys = keys_group(operator.signing_keys)
    keys.add_command(rotate_field_command(operator))
    groups = [users_group(operator.accounts, operator.sessions), keys, inventory_group(operator),
              ips_group(services), *operations_group(), backup_group(services),
              pki_group(services.transport.pki_dir, services.registry.names),
              _grpc_group(services)]
    for group in groups:
        app.cli.add_command(group)


def _grpc_group(services: Services) -> AppGroup:
    group = AppGroup("grpc", help="Module hosts (gRPC over mutual TLS).")

    @group.command("serve")
    @click.option("--modules", required=True,
                  help=f"Comma-separated, of: {','.join(services.registry.names)}")
    @click.option("--bind", help="HOST:PORT  [default: the first module's gRPC target]")
    def serve(modules: str, bind: str | None) -> None:
        """Serve MODULES over gRPC from this process until SIGTERM."""
        from app import create_app, start_background
        from app.bootstrap import build_module_host, hosted_settings

        names = [m.strip() for m in modules.split(",") if m.strip()]
        unknown = [name for name in names if name not in services.registry.names]
        if unknown or not names:
            raise click.BadParameter(f"not a module: {', '.join(unknown) or repr(modules)}",
                                     param_hint="--modules")
        host_app = create_app(hosted_settings(services.settings, names), clock=services.clock)
        host_services: Services = host_app.extensions["shop.services"]
        host = build_module_host(host_services, names, host_app.app_context)
        start_background(host_app, names)
        # Logs module_host_started (JSON, like every server line).
        host.serve_forever(bind or services.transport.targets[names[0]])

    @group.command("plan")
    def plan() -> None:
        """The module hosts to start: one line `MODULE HOST:PORT` per module whose transport
        is gRPC (bin/grpc-hosts starts them)."""
        for module in services.transport.remote_modules:
            click.echo(f"{module} {services.transport.targets[module]}")

    @group.command("status")
    def status() -> None:
        """Health, breaker state and certificate expiry of the remote modules (exit 1: not ok)."""
        if services.peers is None:
            click.echo("every module is in-process")
            return
        report = services.peers()
        click.echo(json.dumps(report, indent=2))
        if not report["ok"]:
            raise SystemExit(1)

    return group
