"""The module hosts to start come from the registry: ``flask grpc plan`` (what bin/grpc-hosts
starts), ``flask grpc serve`` and ``flask pki init`` know every registered module, and only
those."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask

from app import create_app
from app.config import Settings
from app.platform.clock import FrozenClock
from app.platform.grpc.pki import Pki
from app.registry import REGISTRY
from tests.conftest import dispose


@contextmanager
def shop(settings: Settings, clock: FrozenClock, **env: str) -> Iterator[Flask]:
    app = create_app(settings.with_(extra={**settings.extra, **env}), clock=clock)
    try:
        yield app
    finally:
        dispose(app)


def plan(app: Flask) -> list[str]:
    result = app.test_cli_runner().invoke(args=["grpc", "plan"])
    assert result.exit_code == 0, result.output
    return result.output.splitlines()


def test_nothing_to_start_when_every_module_is_in_process(settings: Settings,
                                                          clock: FrozenClock) -> None:
    with shop(settings, clock) as app:
        assert plan(app) == []


def test_one_line_per_grpc_module_with_its_target(settings: Settings,
                                                  clock: FrozenClock) -> None:
    with shop(settings, clock, CATALOG_TRANSPORT="grpc",
              CATALOG_GRPC_TARGET="127.0.0.1:6123") as app:
        assert plan(app) == ["catalog 127.0.0.1:6123"]
    with shop(settings, clock, MODULE_TRANSPORT="grpc") as app:
        assert plan(app) == [f"{m.name} 127.0.0.1:{m.port}" for m in REGISTRY.modules]


def test_serve_refuses_a_name_that_is_not_a_module(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["grpc", "serve", "--modules", "billing"])
    assert result.exit_code == 2 and "not a module: billing" in result.output


def test_pki_init_issues_a_certificate_for_every_module_and_the_web(
        app: Flask, settings: Settings) -> None:
    result = app.test_cli_runner().invoke(args=["pki", "init"])
    assert result.exit_code == 0, result.output
    issued = set(Pki(settings.instance_path / "pki").names())
    assert {*REGISTRY.names, "web"} <= issued
