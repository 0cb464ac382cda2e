"""Backup code format: entropy, grouping, normalisation."""

from __future__ import annotations

import math

from app.identity import backup_codes as bc


def test_each_code_carries_at_least_64_bits_and_the_hashed_part_80() -> None:
    assert len(set(bc.ALPHABET)) == len(bc.ALPHABET) == 32
    assert bc.LENGTH * math.log2(len(bc.ALPHABET)) >= 100
    assert (bc.LENGTH - bc.PREFIX) * math.log2(len(bc.ALPHABET)) >= 80


def test_codes_are_grouped_for_reading_and_normalised_back() -> None:
    code = bc._new_code()
    grouped = bc._grouped(code)
    assert len(grouped.split("-")) == 5
    assert bc.normalize(grouped.upper()) == code
    assert bc.normalize(" ".join(grouped.split("-"))) == code


def test_anything_else_is_not_a_backup_code() -> None:
    for junk in ("", "123456", "o" * 20, "!" * 20, "aaaa-bbbb-cccc-dddd-eeeeX", "\u0131" * 20):
        assert bc.normalize(junk) is None


def test_ambiguous_letters_are_not_used() -> None:
    assert not set("ilou") & set(bc.ALPHABET)
