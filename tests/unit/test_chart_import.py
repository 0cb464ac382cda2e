"""Importing the chart module leaves the import system as it found it."""

from __future__ import annotations

import importlib
import sys
import warnings

import pytest


def test_a_missing_optional_module_still_fails_cleanly_after_pygal() -> None:
    """pygal's map-plugin finder (no find_spec) made every later import of a missing module
    raise ImportWarning, which broke the rate limiter's probe for an optional driver."""
    importlib.import_module("app.web.charts")
    assert not [f for f in sys.meta_path if type(f).__name__ == "PluginImportFixer"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ModuleNotFoundError):
            importlib.import_module("no_such_module_for_the_shop")
