"""The ordering module's public face (orders and their lifecycle)."""

from __future__ import annotations

from typing import Protocol


class OrderingService(Protocol):
    """Orders. Methods are filled in as the ordering module lands."""
