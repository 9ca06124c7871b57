"""Hooks a suite's conftest imports to use them."""

from __future__ import annotations

import pytest


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Keeps the call phase's report on the item, so a fixture's teardown can tell a failed
    test and print the logs and screenshots that explain it."""
    rep = yield
    if rep.when == "call":
        item.rep_call = rep
    return rep
