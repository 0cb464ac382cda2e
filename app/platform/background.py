"""Periodic background work inside the shop's own processes (no external cron).

A ``Periodic`` runs its job every ``interval`` seconds (with a little jitter, so the workers
of one deployment do not all wake at the same instant) on a daemon thread. Jobs that must run
once per deployment take a lock themselves (``app.platform.locks.exclusive``); a job that
raises is logged and tried again at the next tick.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from typing import Any

import structlog

log = structlog.get_logger("shop.background")


class Periodic:
    def __init__(self, name: str, interval: float, job: Callable[[], Any],
                 jitter: float = 0.2, *, module: str = "") -> None:
        if interval <= 0:
            raise ValueError("interval must be positive")
        self.name = name
        self.module = module  # the module whose work this is (a host runs only its own)
        self.interval = interval
        self.job = job
        self.jitter = jitter
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._loop, name=f"shop-{self.name}",
                                        daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _loop(self) -> None:
        # Jitter only spreads wake-ups; it protects nothing, so a plain PRNG is right.
        while not self._stop.wait(self.interval * random.uniform(1 - self.jitter, 1)):  # noqa: S311
            self.tick()

    def tick(self) -> None:
        try:
            result = self.job()
        except Exception:
            log.exception("background_job_failed", job=self.name)
            return
        log.debug("background_job_done", job=self.name, result=repr(result))
