"""``bin/grpc-hosts``: one module host process per gRPC module on loopback, health-checked."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import pytest

from tests.integration.test_grpc_faults import free_port

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_grpc_hosts_starts_a_serving_host_per_grpc_module(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "SHOP_INSTANCE_PATH": str(tmp_path), "SHOP_PROFILE": "development",
           "IDENTITY_TRANSPORT": "grpc", "IDENTITY_GRPC_TARGET": f"127.0.0.1:{port}",
           "LOG_LEVEL": "WARNING", "FLASK": str(ROOT / ".venv" / "bin" / "flask")}
    env.pop("MODULE_TRANSPORT", None)
    subprocess.run([env["FLASK"], "--app", "wsgi", "schema", "upgrade"], cwd=ROOT, env=env,
                   check=True, capture_output=True)
    # The hosts outlive the script and keep its output open: log to a file, not a pipe.
    with (tmp_path / "hosts.log").open("w") as log:
        done = subprocess.run([str(ROOT / "bin" / "grpc-hosts")], cwd=ROOT, env=env,
                              stdout=log, stderr=subprocess.STDOUT, timeout=120)
    pids = [int(p) for p in (tmp_path / "grpc-hosts.pids").read_text().split()]
    try:
        assert done.returncode == 0, (tmp_path / "hosts.log").read_text()
        assert len(pids) == 1  # only identity is remote
        status = subprocess.run([env["FLASK"], "--app", "wsgi", "grpc", "status"], cwd=ROOT,
                                env=env, capture_output=True, text=True, timeout=60)
        assert status.returncode == 0 and '"SERVING"' in status.stdout
        assert oct((tmp_path / "pki" / "web.key").stat().st_mode & 0o777) == "0o600"
    finally:
        for pid in pids:
            os.kill(pid, signal.SIGTERM)
    status = subprocess.run([env["FLASK"], "--app", "wsgi", "grpc", "status"], cwd=ROOT,
                            env=env, capture_output=True, text=True, timeout=60)
    assert status.returncode == 1 and "UNREACHABLE" in status.stdout
