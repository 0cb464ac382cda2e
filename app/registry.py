"""The shop's modules, in the order they are built (a module's dependencies come first).

This is the one list the composition root (app/bootstrap.py, app/__init__.py) hands to the
platform: database binds, migration histories, gRPC ports and certificates, module hosts and
HTTP error statuses all come from the modules' own declarations (``app/<module>/module.py``).
"""

from __future__ import annotations

from app.catalog.module import MODULE as CATALOG
from app.identity.module import MODULE as IDENTITY
from app.ordering.module import MODULE as ORDERING
from app.platform.modules import Registry

REGISTRY = Registry((IDENTITY, CATALOG, ORDERING))
