"""One declaration per module: the registry (app/registry.py) lists every module, each module
declares itself in its own package, and the platform only ever receives them as data.

Adding a module touches the registry and the module's own package; these tests fail when the
platform names a module again, or when a registered module lacks a part the shop needs.
"""

from __future__ import annotations

import ast
import dataclasses
import inspect
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.bootstrap import Services
from app.config import ConfigError
from app.kernel import ContractError
from app.platform.db import db
from app.platform.grpc.server import Registration
from app.platform.migrations import MIGRATIONS_ROOT
from app.platform.modules import ModuleSpec, Registry
from app.registry import REGISTRY

ROOT = Path(__file__).resolve().parents[2]
NAMES = REGISTRY.names
MODULE_WORD = re.compile(r"\b(" + "|".join(NAMES) + r")\b", re.IGNORECASE)


def _docstrings(tree: ast.AST) -> set[int]:
    """ids of the string nodes that are docstrings (prose may use a module as an example)."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            first = node.body[0] if node.body else None
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def _names_in_code(path: Path) -> Iterator[str]:
    """Every module name used in the code of ``path``: in a string, an identifier, an import."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = _docstrings(tree)
    for node in ast.walk(tree):
        words: list[str] = []
        if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                and id(node) not in docstrings:
            words = [node.value]
        elif isinstance(node, ast.Name):
            words = [node.id]
        elif isinstance(node, ast.Attribute):
            words = [node.attr]
        elif isinstance(node, ast.FunctionDef | ast.ClassDef | ast.arg | ast.keyword):
            words = [getattr(node, "name", None) or getattr(node, "arg", None) or ""]
        elif isinstance(node, ast.ImportFrom):
            words = [node.module or "", *(alias.name for alias in node.names)]
        for word in words:
            for match in MODULE_WORD.finditer(word.replace("_", " ").replace(".", " ")):
                yield f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', '?')}: {match[0]}"


def test_the_platform_names_no_module() -> None:
    named = [hit for path in sorted((ROOT / "app" / "platform").rglob("*.py"))
             for hit in _names_in_code(path)]
    assert named == [], "the platform receives the modules from the registry:\n" + "\n".join(
        named)


def test_the_host_launcher_names_no_module() -> None:
    """bin/grpc-hosts asks `flask grpc plan` which hosts to start, instead of knowing."""
    script = (ROOT / "bin" / "grpc-hosts").read_text(encoding="utf-8")
    code = [line for line in script.splitlines() if not line.lstrip().startswith("#")]
    assert [line for line in code if MODULE_WORD.search(line)] == []
    assert "grpc plan" in script


def test_every_module_is_declared_in_its_own_package() -> None:
    for module in REGISTRY.modules:
        assert module.build.__module__ == f"app.{module.name}.module", module.name


@pytest.mark.parametrize("module", REGISTRY.modules, ids=NAMES)
def test_every_module_has_a_migration_history_a_bind_and_a_port(module: ModuleSpec) -> None:
    history = MIGRATIONS_ROOT / module.migrations
    assert list((history / "versions").glob("*.py")), f"no migrations in {history}"
    assert f'run_env("{module.migrations}")' in (history / "env.py").read_text()
    assert REGISTRY.histories[module.migrations] == module.bind
    tables = db.metadatas.get(module.bind)
    assert tables is not None and tables.tables, f"no table on the {module.bind} bind"
    assert 1024 < module.port < 65536


@pytest.mark.parametrize("module", REGISTRY.modules, ids=NAMES)
def test_every_error_status_a_module_declares_is_for_its_own_error(module: ModuleSpec) -> None:
    contract = __import__(f"app.{module.name}.contract", fromlist=["*"])
    own = {value.code for value in vars(contract).values()
           if inspect.isclass(value) and issubclass(value, ContractError)
           and value.__module__ == contract.__name__}
    assert set(module.http_statuses) <= own
    assert all(400 <= status <= 599 for status in module.http_statuses.values())


@pytest.mark.parametrize("module", REGISTRY.modules, ids=NAMES)
def test_every_boundary_has_a_contract_a_client_and_a_servicer_with_a_policy(
        module: ModuleSpec, services: Services) -> None:
    assert module.boundaries, f"{module.name} offers no contract"
    package = f"app.{module.name}."
    for boundary in module.boundaries:
        assert boundary.contract.__module__ == package + "contract"
        assert getattr(boundary.contract, "_is_protocol", False), boundary.contract
        assert boundary.client.__module__.startswith(package)
        assert boundary.registration.__module__.startswith(package)
        registration = boundary.registration(services.boundaries[boundary.name])
        assert isinstance(registration, Registration)
        assert registration.policy.service == registration.service
        assert registration.policy.allowed, f"no caller may call {registration.service}"


def test_the_app_serves_every_registered_contract(services: Services) -> None:
    assert set(services.boundaries) == {b.name for _, b in REGISTRY.boundaries()}
    for _module, boundary in REGISTRY.boundaries():
        assert services.get(boundary.contract) is services.boundaries[boundary.name]


def test_the_registry_refuses_a_module_twice_or_a_port_twice() -> None:
    first = REGISTRY.modules[0]
    with pytest.raises(ConfigError, match="repeats the module"):
        Registry((first, first))
    clash = dataclasses.replace(REGISTRY.modules[1], port=first.port)
    with pytest.raises(ConfigError, match="repeats the port"):
        Registry((first, clash))
