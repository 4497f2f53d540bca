"""Chromium (Debian's, /usr/bin/chromium) driven by Playwright, for the browser tests.

``launch_chromium()`` opens a fresh profile (a temporary user-data-dir) whose requests
may only reach 127.0.0.1: the machine may have no internet, and the pages must need
none. Requests to anything else are aborted and recorded in ``Chromium.blocked``.
The ``chromium`` fixture (tests/e2e/conftest.py) wraps it per module.
"""

from __future__ import annotations

import importlib.util
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from tests.e2e.stack import require

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
TIMEOUT_MS = 20_000


@dataclass
class Chromium:
    context: Any  # playwright.sync_api.BrowserContext
    blocked: list[tuple[str, str]] = field(default_factory=list)  # (document URL, request URL)


@contextmanager
def launch_chromium() -> Iterator[Chromium]:
    """A fresh Chromium profile that may only reach 127.0.0.1; skips (or fails in CI) without the tools."""
    require(
        CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK),
        f"Chromium is needed at {CHROMIUM} for the browser test (Debian: apt-get install chromium)",
    )
    require(
        importlib.util.find_spec("playwright") is not None,
        "the Python package playwright is needed for the browser test "
        "(.venv/bin/pip install -r requirements-dev.txt)",
    )
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="byoc-chromium-") as profile, sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            profile,
            executable_path=str(CHROMIUM),
            args=CHROMIUM_ARGS,
            headless=True,
            viewport={"width": 1280, "height": 900},
            locale="en-US",
        )
        context.set_default_timeout(TIMEOUT_MS)
        browser = Chromium(context)

        def local_only(route: Any) -> None:
            request = route.request
            if urlsplit(request.url).hostname == "127.0.0.1" or request.url.startswith("data:"):
                route.continue_()
                return
            browser.blocked.append((request.frame.url, request.url))
            route.abort()

        context.route("**/*", local_only)
        try:
            yield browser
        finally:
            context.close()
