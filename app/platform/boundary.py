"""The in-process side of a module boundary behaves like the remote one.

``InProcessBoundary`` wraps a module's service so that only contract errors cross: a database
that cannot be reached becomes ``Unavailable``, anything else unexpected becomes a generic
``InternalError`` (logged here with its traceback), exactly what a gRPC client would see. Each
call runs with its app's ``Database`` bound, in whatever thread it is made.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import structlog
from sqlalchemy.exc import DBAPIError, OperationalError

from app.kernel import ContractError, InternalError, Unavailable
from app.platform.db import Database

log = structlog.get_logger("shop.boundary")


def guard_call(module: str, name: str, func: Callable[..., Any],
               database: Database) -> Callable[..., Any]:
    @functools.wraps(func)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        try:
            with database.bound():
                return func(*args, **kwargs)
        except ContractError:
            raise
        except (OperationalError, DBAPIError) as exc:
            if isinstance(exc, OperationalError) or exc.connection_invalidated:
                log.error("module_unavailable", module=module, method=name,
                          error_type=type(exc).__name__)
                raise Unavailable(f"The {module} service is unavailable.") from None
            log.exception("module_internal_error", module=module, method=name)
            raise InternalError() from None
        except Exception:
            log.exception("module_internal_error", module=module, method=name)
            raise InternalError() from None

    return guarded


class InProcessBoundary:
    """A transparent proxy over a service object whose public methods are guarded."""

    def __init__(self, module: str, target: Any, database: Database) -> None:
        self._module = module
        self._target = target
        self._database = database
        self._cache: dict[str, Any] = {}

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        cached = self._cache.get(name)
        if cached is None:
            attr = getattr(self._target, name)
            cached = (guard_call(self._module, name, attr, self._database) if callable(attr)
                      else attr)
            self._cache[name] = cached
        return cached
