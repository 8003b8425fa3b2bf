"""The pytest plugin Overcast installs leaves Overcast's own modules to Python: pytest rewrites
the asserts of the plugin's whole distribution otherwise (every server module a test imports)."""

from __future__ import annotations

import importlib


def test_overcast_modules_imported_in_a_test_are_not_rewritten() -> None:
    module = importlib.import_module("overcast.services.sqs.provider")
    assert "@py_builtins" not in vars(module)  # what pytest's rewriting adds to a module
