"""Small wording helpers the templates share."""

from __future__ import annotations


def counted(number: int, noun: str) -> str:
    """``counted(1, "user")`` is "1 user", ``counted(3, "user")`` is "3 users"."""
    return f"{number} {noun}{'' if number == 1 else 's'}"
