"""A frontend on its own dev server calls ``make dev`` from a real browser: CORS, as a developer sees it.

A page served from another local port (a tiny ``http.server`` on 127.0.0.1, standing in
for a frontend's own dev server) ``fetch``es the local server: the catalogue
(``GET /providers``, its exposed ``ETag``), the org's integrations with the header
identity (``X-Org-Id`` ... : custom headers, so Chromium sends a preflight first), and a
JSON ``POST``. A header the API does not allow makes the preflight fail, as against the
deployed API. Chromium (Debian's) is driven by Playwright (tests/e2e/chromium.py).
"""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from devserver.server import LocalServer
from tests.e2e.chromium import Chromium, launch_chromium, require_chromium
from tests.e2e.stack import FOREIGN_SETTINGS

pytestmark = [pytest.mark.browser]

PAGE = b"""<!doctype html>
<meta charset="utf-8">
<title>my frontend</title>
<script>
// What a frontend's own code does: call the API on another origin.
window.call = async (url, init) => {
  try {
    const answer = await fetch(url, init);
    const text = await answer.text();
    return {ok: true, status: answer.status, etag: answer.headers.get('etag'),
            body: text ? JSON.parse(text) : null};
  } catch (error) {
    return {ok: false, error: String(error)};
  }
};
</script>
<h1>my frontend</h1>
"""
IDENTITY = {"X-Org-Id": "org-browser", "X-User-Id": "dev", "X-Org-Role": "admin"}


class _Page(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(PAGE)))
        self.end_headers()
        self.wfile.write(PAGE)

    def log_message(self, format: str, *args: Any) -> None:
        return


@dataclass(frozen=True)
class Frontend:
    url: str  # the page's origin: another port than the API's
    api: str
    log: io.StringIO


@pytest.fixture(scope="module")
def frontend() -> Iterator[Frontend]:
    """The local server (as make dev runs it) and a page on another port of 127.0.0.1."""
    require_chromium()  # before starting anything
    log = io.StringIO()
    page_server = ThreadingHTTPServer(("127.0.0.1", 0), _Page)
    thread = threading.Thread(target=page_server.serve_forever, daemon=True)
    thread.start()
    try:
        with pytest.MonkeyPatch.context() as env:
            for name in FOREIGN_SETTINGS:
                env.delenv(name, raising=False)
            with LocalServer(0, access_log=log, env_overrides={"ADMIN_CLAIM": "org_role=admin"}) as server:
                yield Frontend(f"http://127.0.0.1:{page_server.server_address[1]}", server.url, log)
    finally:
        page_server.shutdown()
        page_server.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def chromium(frontend: Frontend) -> Iterator[Chromium]:
    # Not intercepted: Playwright would answer the preflights itself (tests/e2e/chromium.py)
    with launch_chromium(intercept=False) as browser:
        yield browser


def _call(page: Any, url: str, init: dict[str, Any] | None = None) -> dict[str, Any]:
    return dict(page.evaluate("([url, init]) => window.call(url, init)", [url, init or {}]))


def test_a_page_on_another_port_reads_the_local_api(frontend: Frontend, chromium: Chromium) -> None:
    page = chromium.context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        page.goto(f"{frontend.url}/")
        assert page.evaluate("() => location.origin") == frontend.url != frontend.api

        # The catalogue: no identity needed, a simple request; its ETag is exposed to the page
        catalogue = _call(page, f"{frontend.api}/providers")
        assert catalogue["ok"] and catalogue["status"] == 200, catalogue
        assert any(entry["id"] == "github" for entry in catalogue["body"]["providers"])
        assert catalogue["etag"]

        # The org's integrations with the header identity: custom headers, so preflighted
        listed = _call(page, f"{frontend.api}/integrations", {"headers": IDENTITY})
        assert listed["ok"] and listed["status"] == 200, listed
        assert isinstance(listed["body"]["integrations"], list)

        # Saving an app: a JSON POST (preflighted), then the list shows it
        saved = _call(
            page,
            f"{frontend.api}/integrations",
            {
                "method": "POST",
                "headers": {**IDENTITY, "Content-Type": "application/json"},
                "body": json.dumps(
                    {"provider": "github", "credentials": {"client_id": "cid-b", "client_secret": "s"}}
                ),
            },
        )
        assert saved["ok"] and saved["status"] == 200, saved
        again = _call(page, f"{frontend.api}/integrations", {"headers": IDENTITY})
        assert "github" in {entry["provider"] for entry in again["body"]["integrations"]}

        # An error is readable too (the page can show why): no identity, 401
        refused = _call(page, f"{frontend.api}/integrations", {"headers": {"X-User-Id": "dev"}})
        assert refused["ok"] and refused["status"] == 401, refused

        # A header the API does not allow: the preflight fails, fetch rejects, the API never runs
        blocked = _call(page, f"{frontend.api}/integrations", {"headers": {**IDENTITY, "X-Custom": "1"}})
        assert blocked == {"ok": False, "error": "TypeError: Failed to fetch"}

        preflights = [
            line for line in frontend.log.getvalue().splitlines() if " OPTIONS /integrations " in line
        ]
        assert len(preflights) >= 2, frontend.log.getvalue()
        assert all(" 204 " in line for line in preflights)
        assert errors == []
        assert chromium.blocked == []
    finally:
        page.close()
