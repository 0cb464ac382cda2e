"""Faults injected for real: a module host process killed and restarted, a flaky host.

The identity host runs as its own process (``flask grpc serve``); killing it must give fast
``Unavailable`` answers (never a hang past the deadline), open the breaker after 5 failures,
and recover through half-open to closed once the host is back.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from flask import Flask

from app.bootstrap import Services
from app.config import Settings
from app.identity.contract import UserChanges, UserNotFound
from app.identity.grpc_client import GrpcAccountClient, GrpcSessionClient, grpc_identity_clients
from app.identity.grpc_server import ACCOUNT_POLICY, ACCOUNTS, AccountServiceServicer
from app.kernel import Principal, Unavailable
from app.platform.grpc.host import ModuleHost
from app.platform.grpc.server import Registration
from protos.generated import identity_pb2_grpc as pb_grpc
from tests.grpc_support import client_settings, make_pki
from tests.processes import free_port

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery staple"


def host_env(settings: Settings) -> dict[str, str]:
    return {**os.environ, "SHOP_PROFILE": "test", "SHOP_INSTANCE_PATH": str(settings.instance_path),
            "DATABASE_URL": str(settings.database_url), "JWT_KEYS_DIR": str(settings.keys_dir),
            "SECRET_KEY": str(settings.secret_key), "PASSWORD_HASH_ITERATIONS": "1000",
            "LOG_LEVEL": "WARNING"}


class HostProcess:
    def __init__(self, settings: Settings, port: int, module: str = "identity") -> None:
        self.settings, self.port, self.module = settings, port, module
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, client: Any) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "wsgi", "grpc", "serve",
             "--modules", self.module, "--bind", f"127.0.0.1:{self.port}"],
            cwd=ROOT, env=host_env(self.settings), stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while client.remote.health() != "SERVING":
            assert self.proc.poll() is None, "the module host exited"
            assert time.monotonic() < deadline, "the module host did not become ready"
            time.sleep(0.1)

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)


Remote = tuple[HostProcess, GrpcAccountClient, GrpcSessionClient]


@pytest.fixture
def identity_process(app: Flask, services: Services, settings: Settings) -> Iterator[Remote]:
    make_pki(services.transport.pki_dir)
    port = free_port()
    transport = client_settings(services, "identity", port, deadline=1.0, breaker_reset=0.5)
    clients = grpc_identity_clients(transport, services.audit)
    host = HostProcess(settings, port)
    host.start(clients[0])
    yield host, clients[0], clients[1]
    host.stop()
    for client in clients:
        client.remote.close()


def signed_in(services: Services, sessions: Any, name: str) -> Principal:
    """The principal of a real access token (the remote side verifies it again)."""
    tokens = sessions.login(name, PASSWORD).tokens
    return services.verifier.verify(tokens.access)


def _timed(call: Any) -> tuple[BaseException | None, float]:
    started = time.monotonic()
    try:
        call()
    except Exception as error:  # the outcome is asserted by the caller
        return error, time.monotonic() - started
    return None, time.monotonic() - started


@pytest.mark.slow
def test_killed_host_fails_fast_opens_the_breaker_and_recovers(
        identity_process: Remote, services: Services) -> None:
    host, client, sessions = identity_process
    user = client.register("alice", "alice@example.com", PASSWORD)
    alice = signed_in(services, sessions, "alice")
    assert client.ensure_active(alice).id == user.id
    host.kill()
    for attempt in range(5):
        error, took = _timed(lambda: client.ensure_active(alice))
        assert isinstance(error, Unavailable), attempt
        assert took < client.remote.settings.deadline + 0.5  # never a hang past the deadline
    assert client.remote.breaker.current_state == "open"
    error, _ = _timed(lambda: sessions.login("alice", PASSWORD))
    assert isinstance(error, Unavailable)  # answered by the open breaker (one per module)
    host.start(client)  # back on the same port
    time.sleep(0.6)  # the reset timeout (0.5 s) passes: the next call is the half-open trial
    assert client.ensure_active(alice).id == user.id
    assert client.remote.breaker.current_state == "closed"
    changes = [e["details"]["new"] for e in reversed(services.audit.recent(
        event_prefix="sys_circuit_breaker"))]
    assert changes == ["open", "half-open", "closed"]


def test_missing_users_never_open_the_breaker(identity_process: Remote, app: Flask,
                                             services: Services) -> None:
    """A burst of business errors (anyone can send unknown ids) leaves the breaker closed."""
    _, client, sessions = identity_process
    user = client.register("root", "root@example.com", PASSWORD)
    with app.app_context():
        services.accounts.admin_update_user(Principal.system("test"), user.id,
                                            UserChanges(role="admin"))
    admin = signed_in(services, sessions, "root")
    for _ in range(20):
        with pytest.raises(UserNotFound):
            client.get_user(admin, "00000000-0000-0000-0000-000000000000")
    assert client.remote.breaker.current_state == "closed"
    assert client.remote.breaker.fail_counter == 0


class FlakyIdentity(AccountServiceServicer):
    """Answers UNAVAILABLE to the first two calls of each method, then serves."""

    def __init__(self, service: Any) -> None:
        super().__init__(service)
        self.calls: dict[str, int] = {}

    def _flaky(self, name: str, ctx: grpc.ServicerContext) -> None:
        self.calls[name] = self.calls.get(name, 0) + 1
        if self.calls[name] <= 2:
            ctx.abort(grpc.StatusCode.UNAVAILABLE, "warming up")

    def GetUser(self, req: Any, ctx: grpc.ServicerContext) -> Any:
        self._flaky("GetUser", ctx)
        return super().GetUser(req, ctx)

    def Register(self, req: Any, ctx: grpc.ServicerContext) -> Any:
        self._flaky("Register", ctx)
        return super().Register(req, ctx)


def test_reads_are_retried_by_grpc_commands_are_not(app: Flask, services: Services) -> None:
    make_pki(services.transport.pki_dir)
    flaky = FlakyIdentity(services.accounts)
    host = ModuleHost(
        registrations=[Registration(ACCOUNTS, lambda server: pb_grpc.
                                    add_AccountServiceServicer_to_server(flaky, server),
                                    ACCOUNT_POLICY)],
        transport=services.transport, verify=services.verifier.verify, audit=services.audit,
        scope=app.app_context, modules=["identity"])
    port = host.start("127.0.0.1:0")
    client = GrpcAccountClient(client_settings(services, "identity", port), services.audit)
    try:
        with app.app_context():
            user = services.accounts.register("bob", "bob@example.com", PASSWORD)
            bob = signed_in(services, services.sessions, "bob")
        assert client.get_user(bob, user.id).username == "bob"  # the third attempt succeeds
        assert flaky.calls["GetUser"] == 3
        with pytest.raises(Unavailable):
            client.register("carol", "carol@example.com", PASSWORD)
        assert flaky.calls["Register"] == 1  # a command is never re-sent
    finally:
        client.remote.close()
        host.stop(grace=None)
