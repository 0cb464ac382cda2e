"""The development CA and module certificates (``pki init | issue | show``)."""

from __future__ import annotations

import stat
from pathlib import Path

from cryptography import x509
from flask import Flask

from app.platform.grpc.pki import Pki


def test_certificates_name_their_module_and_chain_to_the_ca(tmp_path: Path) -> None:
    pki = Pki(tmp_path / "pki")
    pki.init()
    info = pki.issue("ordering")
    assert info.sans == ("spiffe://shop/ordering", "ordering.shop.internal")
    ca = x509.load_pem_x509_certificate(pki.ca_cert_path.read_bytes())
    leaf = x509.load_pem_x509_certificate(pki.cert_path("ordering").read_bytes())
    leaf.verify_directly_issued_by(ca)
    assert 89 < info.days_left() <= 90


def test_private_keys_are_readable_by_the_owner_only(tmp_path: Path) -> None:
    pki = Pki(tmp_path / "pki")
    pki.init()
    pki.issue("catalog")
    for key in ("ca.key", "catalog.key"):
        assert stat.S_IMODE((pki.directory / key).stat().st_mode) == 0o600
    assert stat.S_IMODE(pki.directory.stat().st_mode) == 0o700


def test_init_keeps_an_existing_ca(tmp_path: Path) -> None:
    pki = Pki(tmp_path / "pki")
    first = pki.init()
    assert pki.init().not_after == first.not_after
    assert (pki.directory / "ca.crt").read_bytes() == pki.ca_cert_path.read_bytes()


def test_pki_commands(app: Flask, tmp_path: Path) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(args=["pki", "init"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["pki", "issue", "catalog", "--days", "30"])
    assert "spiffe://shop/catalog" in result.output
    shown = runner.invoke(args=["pki", "show"]).output
    assert "catalog" in shown and "(30 days)" in shown and "web" in shown
    assert runner.invoke(args=["pki", "issue", "../evil"]).exit_code != 0
