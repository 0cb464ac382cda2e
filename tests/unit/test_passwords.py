"""Password policy (NIST SP 800-63B) and PBKDF2 parameters, including production's."""

from __future__ import annotations

import unicodedata
from typing import Any

import pytest

from app.identity.contract import WeakPassword
from app.identity.passwords import PasswordHasher, check_policy, common_passwords
from tests.support import count_password_hashes


def policy(password: str, username: str = "alice", email: str = "alice@example.com") -> None:
    check_policy(password, username=username, email=email)


def test_common_list_has_at_least_10000_entries() -> None:
    assert len(common_passwords()) >= 10_000


@pytest.mark.parametrize("password", ["x" * 7, "1234567"])
def test_seven_characters_refused(password: str) -> None:
    with pytest.raises(WeakPassword):
        policy(password)


def test_eight_and_64_and_256_accepted_257_refused() -> None:
    policy("qz8#Lm2!")
    policy("v" * 40 + "w" * 24)
    policy("v" * 128 + "w" * 128)
    with pytest.raises(WeakPassword):
        policy("v" * 128 + "w" * 129)


@pytest.mark.parametrize("password", ["password", "PASSWORD", "12345678", "iloveyou",
                                      "sunshine", "football"])
def test_common_passwords_refused_whatever_the_case(password: str) -> None:
    with pytest.raises(WeakPassword):
        policy(password)


@pytest.mark.parametrize("password", ["alice", "xxALICExx1", "my-alice-pass", "ALICE12345"])
def test_username_or_email_local_part_refused(password: str) -> None:
    with pytest.raises(WeakPassword):
        policy(password.ljust(8, "z"))
    with pytest.raises(WeakPassword):
        policy("zz" + "wonderland" + "zz", username="bob", email="wonderland@example.com")


def test_no_composition_rules_any_unicode() -> None:
    policy("всё хорошо сегодня")
    policy("😀😃😄😁😆😅🤣😂")
    policy("lowercase only words here")


def test_nfc_and_nfd_are_the_same_password() -> None:
    hasher = PasswordHasher(1_000)
    composed = unicodedata.normalize("NFC", "café crème brûlée")
    decomposed = unicodedata.normalize("NFD", composed)
    assert composed != decomposed
    assert hasher.verify(decomposed, hasher.hash(composed))


def test_no_truncation_and_case_kept() -> None:
    hasher = PasswordHasher(1_000)
    long = "a" * 100 + "B" * 100
    stored = hasher.hash(long)
    assert not hasher.verify(long[:-1], stored)
    assert not hasher.verify(long[:72], stored)  # bcrypt would have truncated here
    assert not hasher.verify(long.lower(), stored)
    assert hasher.verify(long, stored)


def test_production_parameters() -> None:
    hasher = PasswordHasher(600_000)
    stored = hasher.hash("the production parameters")
    algorithm, iterations, salt, digest = stored.split("$")
    import base64

    assert algorithm == "pbkdf2_sha256" and iterations == "600000"
    assert len(base64.b64decode(salt)) == 16 and len(base64.b64decode(digest)) == 32
    assert hasher.verify("the production parameters", stored)
    assert hasher.hash("same") != hasher.hash("same"), "salts must be random"


def test_older_parameters_need_a_rehash() -> None:
    old = PasswordHasher(1_000).hash("passphrase one")
    current = PasswordHasher(2_000)
    assert current.needs_rehash(old) and current.verify("passphrase one", old)
    assert not current.needs_rehash(current.hash("passphrase one"))


def test_unknown_user_costs_exactly_one_hash(monkeypatch: pytest.MonkeyPatch) -> None:
    hasher = PasswordHasher(1_000)
    calls = count_password_hashes(monkeypatch)
    assert not hasher.verify("whatever", None)
    assert calls == [1_000]


def test_no_password_hash_inside_a_write_transaction(app: Any) -> None:
    """A PBKDF2 hash inside a write transaction held SQLite's write lock for its whole
    duration: every writer of the shop waited behind each password attempt."""
    from app.identity.passwords import PasswordHasher

    database = app.extensions["shop.services"].database
    hasher = PasswordHasher(1_000)
    with database.unit_of_work("identity", readonly=True):
        hasher.hash("allowed while only reading")
    with database.unit_of_work("identity"), pytest.raises(RuntimeError, match="write transaction"):
        hasher.hash("refused while writing")
