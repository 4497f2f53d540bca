"""End-to-end fixtures: the local server and a real OpenID provider, per test module (see stack.py).

Module scope: the local server changes ``os.environ`` while it runs and only one may run
per process, so it must be stopped before the next module (integration tests start
their own).

Under ``BYOC_REQUIRE_ALL=1`` (CI) no test here may skip: whatever the reason (a
missing tool, a ``skipif``), the skip is reported as a failure.
"""

from __future__ import annotations

import os
from collections.abc import Generator, Iterator
from typing import Any

import pytest

from tests.e2e.chromium import Chromium, launch_chromium
from tests.e2e.stack import Stack, running_stack


@pytest.fixture(scope="module")
def browser_binding() -> bool:
    """Off, as deployed; a module that runs in both modes overrides this with params."""
    return False


@pytest.fixture(scope="module")
def stack(browser_binding: bool) -> Iterator[Stack]:
    with running_stack(binding=browser_binding) as running:
        yield running


@pytest.fixture(scope="module")
def chromium(stack: Stack) -> Iterator[Chromium]:
    """A fresh Chromium profile that may only reach 127.0.0.1 (tests/e2e/chromium.py), after the stack."""
    with launch_chromium() as browser:
        yield browser


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Generator[None, Any, Any]:
    report = yield
    if (
        os.environ.get("BYOC_REQUIRE_ALL") == "1"
        and report.skipped
        and not hasattr(report, "wasxfail")
        and (item.get_closest_marker("e2e") or item.get_closest_marker("browser"))
    ):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"skipped, and BYOC_REQUIRE_ALL=1 forbids skipping end-to-end tests: {reason}"
    return report
