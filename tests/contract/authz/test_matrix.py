"""Every contract method x every kind of caller, in-process and over gRPC (mutual TLS).

The methods come from the contracts themselves (every Protocol class in
``app/<module>/contract.py``, every public method), so a new method without a row in
``rows_<module>.py`` fails ``test_every_contract_method_has_a_row``.
"""

from __future__ import annotations

import importlib
import inspect
from types import ModuleType, SimpleNamespace
from typing import Any

import pytest
from flask import Flask

from app.bootstrap import Services
from tests.contract.authz.matrix import ROLES, Ctx, Row, build_ctx

MODULES = ("identity", "catalog", "ordering")


def contracts() -> dict[str, type]:
    """``{class name: class}`` of every Protocol contract of every module."""
    found: dict[str, type] = {}
    for module in MODULES:
        contract = importlib.import_module(f"app.{module}.contract")
        for name, value in vars(contract).items():
            if (inspect.isclass(value) and value.__module__ == contract.__name__
                    and getattr(value, "_is_protocol", False)):
                found[name] = value
    return found


def methods(contract: type) -> list[str]:
    return sorted(name for name, value in vars(contract).items()
                  if inspect.isfunction(value) and not name.startswith("_"))


def _rows_module(module: str) -> ModuleType | None:
    try:
        return importlib.import_module(f"tests.contract.authz.rows_{module}")
    except ModuleNotFoundError:
        return None


def all_rows() -> dict[str, Row]:
    rows: dict[str, Row] = {}
    for module in MODULES:
        found = _rows_module(module)
        rows |= getattr(found, "ROWS", {})
    return rows


ROWS = all_rows()
CONTRACTS = contracts()


def _owner(contract: type) -> str:
    return contract.__module__.split(".")[1]


@pytest.mark.parametrize("name", sorted(CONTRACTS))
def test_every_contract_method_has_a_row(name: str) -> None:
    contract = CONTRACTS[name]
    missing = [f"{name}.{m}" for m in methods(contract) if f"{name}.{m}" not in ROWS]
    if missing and _rows_module(_owner(contract)) is None:
        pytest.xfail(f"tests/contract/authz/rows_{_owner(contract)}.py is not written yet; "
                     f"methods without a row: {', '.join(missing)}")
    assert not missing, f"contract methods without an authorization row: {missing}"


def test_every_row_names_a_contract_method_and_every_role() -> None:
    known = {f"{name}.{m}" for name, contract in CONTRACTS.items() for m in methods(contract)}
    assert set(ROWS) <= known, f"rows for no contract method: {sorted(set(ROWS) - known)}"
    for key, row in ROWS.items():
        assert set(row.expect) == set(ROLES), key


@pytest.fixture
def ctx(app: Flask, services: Services, identity: Any) -> Ctx:
    local: Services = app.extensions["shop.services"]
    under_test = SimpleNamespace(**vars(identity), catalog=services.catalog,
                                 ordering=services.ordering)
    return build_ctx(under_test, local)


@pytest.mark.parametrize("key", sorted(ROWS))
def test_matrix(key: str, ctx: Ctx) -> None:
    """Each role gets exactly the declared outcome (a refusal is that error class)."""
    row = ROWS[key]
    outcomes: dict[str, str] = {}
    for role in ROLES:
        if row.setup is not None:
            row.setup(ctx)
        try:
            row.call(ctx, ctx.principal(role))
            outcomes[role] = "ok"
        except Exception as error:  # compared with the declaration below
            outcomes[role] = type(error).__name__
    declared = {role: "ok" if expected is None else expected.__name__
                for role, expected in row.expect.items()}
    assert outcomes == declared
