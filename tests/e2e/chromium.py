"""Debian's Chromium driven by Playwright for the browser tests: a fresh profile reaching 127.0.0.1 only.

``launch_chromium()`` skips (or, under ``BYOC_REQUIRE_ALL=1``, fails) with what to install when
Chromium or Playwright is missing. Every request to anything but 127.0.0.1 is recorded in
``Chromium.blocked`` and never reaches the network: the machine may have no internet, and
no page may need it. The ``chromium`` fixture (tests/e2e/conftest.py) wraps it per module.

By default Playwright intercepts every request and aborts those. Playwright answers the
CORS preflights of intercepted requests itself, allowing everything, so a test of CORS
passes ``intercept=False``: nothing is intercepted, Chromium's own host resolver maps every
name but 127.0.0.1 to "not found", and the requests are only recorded.
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
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"  # screenshots, not committed
TIMEOUT_MS = 20_000
LOCAL_ONLY_RESOLVER = "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"


@dataclass
class Chromium:
    context: Any  # playwright.sync_api.BrowserContext
    blocked: list[tuple[str, str]] = field(default_factory=list)  # (document URL, request URL)


def require_chromium() -> None:
    require(
        CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK),
        f"Chromium is needed at {CHROMIUM} for the browser test (Debian: apt-get install chromium)",
    )
    require(
        importlib.util.find_spec("playwright") is not None,
        "the Python package playwright is needed for the browser test "
        "(.venv/bin/pip install -r requirements-dev.txt)",
    )


@contextmanager
def launch_chromium(*, intercept: bool = True) -> Iterator[Chromium]:
    """A fresh Chromium profile (temporary user-data-dir) that may only reach 127.0.0.1."""
    require_chromium()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="byoc-chromium-") as profile, sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            profile,
            executable_path=str(CHROMIUM),
            args=CHROMIUM_ARGS if intercept else [*CHROMIUM_ARGS, LOCAL_ONLY_RESOLVER],
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

        def record(request: Any) -> None:
            if urlsplit(request.url).hostname != "127.0.0.1" and not request.url.startswith("data:"):
                browser.blocked.append((request.frame.url, request.url))

        if intercept:
            context.route("**/*", local_only)
        else:
            context.on("request", record)
        try:
            yield browser
        finally:
            context.close()
