"""The lock files pin every dependency of pyproject.toml, with hashes, and agree with each other.

``make install``, CI and the container image install from ``requirements/*.txt`` with
``pip --require-hashes``; a dependency added to pyproject.toml without ``make lock`` would be
missing there (or installed at an unchecked version), so this fails first.
"""

from __future__ import annotations

import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
RUNTIME = ROOT / "requirements" / "runtime.txt"
DEV = ROOT / "requirements" / "dev.txt"


def read_lock(path: Path, *, here_only: bool = False) -> dict[str, tuple[str, list[str]]]:
    """``{name: (version, [hashes])}`` from a lock file; ``here_only``: the entries whose
    environment marker holds for this interpreter (the lock covers every 3.11.x)."""
    pins: dict[str, tuple[str, list[str]]] = {}
    current: str | None = None
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip().removesuffix("\\").strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("--hash="):
            if current is not None:
                pins[current][1].append(line.removeprefix("--hash="))
            continue
        requirement = Requirement(line)
        specifiers = list(requirement.specifier)
        assert len(specifiers) == 1 and specifiers[0].operator == "==", (
            f"{path.name}: {line!r} is not an exact pin")
        current = canonicalize_name(requirement.name)
        pins[current] = (specifiers[0].version, [])
        if here_only and requirement.marker and not requirement.marker.evaluate():
            del pins[current]
            current = None
    return pins


def project() -> dict[str, list[Requirement]]:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return {"runtime": [Requirement(r) for r in data["dependencies"]],
            "dev": [Requirement(r) for r in data["optional-dependencies"]["dev"]]}


@pytest.mark.parametrize("path", [RUNTIME, DEV], ids=["runtime", "dev"])
def test_every_pin_carries_sha256_hashes(path: Path) -> None:
    pins = read_lock(path)
    assert pins, f"{path.name} pins nothing"
    unhashed = [name for name, (_, hashes) in pins.items() if not hashes]
    assert not unhashed, f"{path.name}: no hash for {unhashed}"
    assert all(h.startswith("sha256:") for _, hashes in pins.values() for h in hashes)


def test_every_runtime_dependency_is_locked_at_a_version_pyproject_allows() -> None:
    runtime, dev = read_lock(RUNTIME), read_lock(DEV)
    for requirement in project()["runtime"]:
        name = canonicalize_name(requirement.name)
        for lock_name, pins in (("runtime.txt", runtime), ("dev.txt", dev)):
            assert name in pins, f"{requirement} is not in {lock_name}: run `make lock`"
            assert requirement.specifier.contains(pins[name][0], prereleases=True), (
                f"{lock_name} pins {name}=={pins[name][0]}, outside {requirement}: `make lock`")


def test_every_dev_dependency_is_locked_at_a_version_pyproject_allows() -> None:
    dev = read_lock(DEV)
    for requirement in project()["dev"]:
        name = canonicalize_name(requirement.name)
        assert name in dev, f"{requirement} is not in dev.txt: run `make lock`"
        assert requirement.specifier.contains(dev[name][0], prereleases=True), (
            f"dev.txt pins {name}=={dev[name][0]}, outside {requirement}: run `make lock`")


def test_the_development_lock_uses_the_runtime_lock_versions() -> None:
    """The image (runtime.txt) runs exactly the versions the tests ran with (dev.txt)."""
    runtime, dev = read_lock(RUNTIME), read_lock(DEV)
    differing = {name: (version, dev.get(name, ("missing",))[0])
                 for name, (version, _) in runtime.items() if dev.get(name, ("",))[0] != version}
    assert not differing, f"runtime.txt vs dev.txt: {differing}"


def test_the_environment_runs_the_locked_versions() -> None:
    """``make install`` installed what the lock says, not whatever was newest."""
    wrong = {}
    for name, (version, _) in read_lock(DEV, here_only=True).items():
        installed = metadata.version(name)
        if installed != version:
            wrong[name] = (version, installed)
    assert not wrong, f"locked vs installed: {wrong} (run `make install`)"


def test_pybreaker_is_pinned_exactly_because_the_breaker_uses_its_internals() -> None:
    """app/platform/grpc/breaker.py reaches into pybreaker's private state; a new release may
    move it, so only a deliberate version change (with the breaker tests) may bring one in."""
    (pybreaker,) = [r for r in project()["runtime"] if r.name == "pybreaker"]
    assert [s.operator for s in pybreaker.specifier] == ["=="]
