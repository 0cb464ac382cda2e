"""Operator commands: passwords from stdin only, incident response, seed."""

from __future__ import annotations

from flask import Flask

from tests.support import GOOD_PASSWORD, Api


def test_create_admin_reads_the_password_from_stdin(app: Flask, api: Api) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "create-admin", "--username", "ops",
                                 "--email", "ops@example.com"], input=GOOD_PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert GOOD_PASSWORD not in result.output
    token = api.login("ops").get_json()["access"]
    assert api.get("/api/users/", token).status_code == 200
    result = runner.invoke(args=["users", "create-admin", "--username", "ops2",
                                 "--email", "ops2@example.com", "--password", "x"])
    assert result.exit_code != 0, "a password must never be accepted as an argument"


def test_create_admin_applies_the_password_policy(app: Flask) -> None:
    result = app.test_cli_runner().invoke(
        args=["users", "create-admin", "--username", "ops", "--email", "ops@example.com"],
        input="password\n")
    assert result.exit_code != 0 and "common" in result.output


def test_revoke_tokens_and_deactivate(app: Flask, api: Api) -> None:
    user = api.user("ivy")
    runner = app.test_cli_runner()
    assert runner.invoke(args=["users", "revoke-tokens", "ivy"]).exit_code == 0
    assert api.get("/api/users/me/", user["access"]).status_code == 401
    assert runner.invoke(args=["users", "deactivate", "IVY"]).exit_code == 0
    assert api.login("ivy").status_code == 401
    assert runner.invoke(args=["users", "deactivate", "nobody"]).exit_code != 0


def test_seed_is_idempotent_and_prints_credentials(app: Flask, api: Api) -> None:
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed"])
    second = runner.invoke(args=["seed"])
    assert first.exit_code == second.exit_code == 0
    assert first.output == second.output and "admin" in first.output
    password = first.output.split("admin", 1)[1].split()[0]
    token = api.login("admin", password).get_json()["access"]
    assert api.get("/api/users/", token).status_code == 200
