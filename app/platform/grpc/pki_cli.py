"""``flask pki init | issue MODULE | show``: the development CA and module certificates."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import click
from flask.cli import AppGroup

from app.platform.grpc.pki import Pki

# The web process calls the modules with a certificate of its own; the operator (the CLI's
# system principal: erase, lock...) has one too.
WEB = "web"
OPERATOR = "operator"


def pki_group(pki_dir: Path, modules: Iterable[str]) -> AppGroup:
    """``modules``: every module's name (from the registry); each gets a certificate."""
    parties = (*modules, WEB, OPERATOR)
    pki = AppGroup("pki", help="Development CA and per-module certificates for mutual TLS.")
    store = Pki(pki_dir)

    @pki.command("init")
    @click.option("--force", is_flag=True, help="Replace an existing CA (re-issue every cert).")
    def init(force: bool) -> None:
        """Create the CA and a certificate for every module, the web process and the operator."""
        info = store.init(force=force)
        for name in parties:
            if force or not store.cert_path(name).exists():
                store.issue(name)
        click.echo(f"CA {info.subject} valid until {info.not_after:%Y-%m-%d} in {pki_dir}")

    @pki.command("issue")
    @click.argument("module")
    @click.option("--days", default=90, show_default=True, type=click.IntRange(1, 825))
    def issue(module: str, days: int) -> None:
        """Issue (or renew) the certificate of MODULE, signed by the CA."""
        if not store.exists():
            raise click.ClickException("no CA yet: run `pki init` first")
        try:
            info = store.issue(module, days=days)
        except ValueError as error:
            raise click.ClickException(str(error)) from error
        click.echo(f"issued {module}: {', '.join(info.sans)} until {info.not_after:%Y-%m-%d}")

    @pki.command("show")
    def show() -> None:
        """Each certificate with its names and expiry."""
        names = store.names()
        if not names:
            raise click.ClickException(f"no certificates in {pki_dir}: run `pki init`")
        for name in names:
            info = store.info(name)
            click.echo(f"{name:<10} expires {info.not_after:%Y-%m-%d %H:%M} UTC "
                       f"({info.days_left():.0f} days)  {' '.join(info.sans) or info.subject}")

    return pki
