"""The catalog module's public face (products and inventory reservations)."""

from __future__ import annotations

from typing import Protocol


class CatalogService(Protocol):
    """Products and stock. Methods are filled in as the catalog module lands."""
