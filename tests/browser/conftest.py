"""Browser-test fixtures: a live shop per transport (module-wide) and a fresh headless
Chromium per test. Skipped, with the reason, where the Debian packages are missing; CI
installs them (.ci/run)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.live import CHROMEDRIVER, CHROMIUM, LiveShop, chrome


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if CHROMIUM and CHROMEDRIVER:
        return
    if os.environ.get("CI"):
        # CI installs the packages (.ci/run): a browser test skipped there would hide a gap.
        raise pytest.UsageError("CI: chromium and chromedriver are missing for tests/browser")
    skip = pytest.mark.skip(reason="browser tests need Debian's chromium and chromium-driver "
                                   "(apt-get install chromium chromium-driver; .ci/run does)")
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(skip)


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveShop]:
    live = LiveShop(tmp_path_factory.mktemp("live-shop")).start()
    try:
        yield live
    finally:
        live.stop()


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    driver = chrome(tmp_path / "chromium-profile")
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="module", params=["inprocess", "grpc"])
def any_shop(request: pytest.FixtureRequest,
             tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveShop]:
    """The shop in-process, then with MODULE_TRANSPORT=grpc (module hosts over mTLS)."""
    live = LiveShop(tmp_path_factory.mktemp(f"live-{request.param}"),
                    transport=request.param).start()
    try:
        yield live
    finally:
        live.stop()
