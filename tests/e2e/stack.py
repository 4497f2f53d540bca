"""The local server (devserver) and a real OpenID provider (oidc-provider on Node), run together.

``running_stack()`` starts the local server on a free port first (its URL is part of
the callback URL the provider must know), then the provider with that callback
registered for both of its clients. Both listen on 127.0.0.1 only, are waited for with
a deadline, and are stopped on exit (the provider by PID).

``running_stack(binding=...)`` runs the local server with browser binding off (the
deployed default: the callback parks the code and the frontend completes the flow) or
on (the callback exchanges when the cookie matches); ``outcome()`` reads a callback's
answer as a frontend does in either mode.

``require()`` skips a test with a message saying what to install when a tool is
missing, unless ``BYOC_REQUIRE_ALL=1`` (CI), which turns every such skip into a failure.
"""

from __future__ import annotations

import io
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from devserver.server import LocalServer
from tests.e2e.oidc_peer import OidcPeer, node_available

PROVIDER = "generic_oidc"
FLOW_FUNCTIONS = (
    "ListIntegrationsFunction",
    "SaveCredentialsFunction",
    "OAuthStartFunction",
    "OAuthCallbackFunction",
)
READY_DEADLINE_SECONDS = 30.0
# Settings a developer's shell might hold that would change what the local server does.
FOREIGN_SETTINGS = (
    "FRONTEND_URL",
    "PUBLIC_API_URL",
    "BROWSER_BINDING",
    "ALLOW_LOCAL_HTTP",
    "ORG_CLAIM",
    "ADMIN_CLAIM",
    "BYOC_USE_AWS",
    "BYOC_AWS_ENDPOINT_URL",
    "BYOC_TABLE_NAME",
    "BYOC_KMS_KEY_ID",
    "BYOC_EVENT_BUS_NAME",
)
NODE_HINT = (
    "Node.js 20+ with npm is needed for the end-to-end tests against a real OpenID provider "
    "(Debian: apt-get install nodejs npm; or https://nodejs.org/); scripts/run-tests runs npm ci for you"
)


def require(available: bool, what: str) -> None:
    """Skip with ``what`` (what to install) when a tool is missing; fail instead under BYOC_REQUIRE_ALL=1."""
    if available:
        return
    if os.environ.get("BYOC_REQUIRE_ALL") == "1":
        pytest.fail(f"{what} (BYOC_REQUIRE_ALL=1: a missing tool is a failure, not a skip)", pytrace=False)
    pytest.skip(what)


@dataclass(frozen=True)
class Stack:
    server: LocalServer
    peer: OidcPeer
    access_log: io.StringIO
    binding: bool = False

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def callback_url(self) -> str:
        return f"{self.server.url}/oauth/callback/{PROVIDER}"


def _wait_until_ready(url: str, deadline_seconds: float) -> None:
    deadline = time.monotonic() + deadline_seconds
    last: str = "no answer"
    headers = {"X-Org-Id": "readiness-probe", "X-User-Id": "probe", "X-Org-Role": "admin"}
    while time.monotonic() < deadline:
        try:
            answer = httpx.get(f"{url}/integrations", headers=headers, timeout=5)
            if answer.status_code == 200:
                return
            last = f"HTTP {answer.status_code}"
        except httpx.TransportError as exc:
            last = type(exc).__name__
        time.sleep(0.1)
    raise RuntimeError(f"the local server at {url} was not ready after {deadline_seconds}s ({last})")


def outcome(
    http: httpx.Client, base_url: str, answer: httpx.Response, identity: dict[str, str]
) -> dict[str, str]:
    """What the frontend learns from a callback's redirect: ``status`` (and ``error``).

    A flow waiting for its user (``status=pending_completion``) is completed as the
    frontend does, with ``POST /oauth/complete`` under ``identity``; the path the browser
    went back to is kept as ``return_to``.
    """
    assert answer.status_code == 302, answer.text
    location = httpx.URL(answer.headers["location"])
    query = dict(location.params)
    assert query.pop("integration") == PROVIDER, location
    query["return_to"] = location.path
    handle = query.pop("completion", None)
    if query["status"] != "pending_completion":
        assert handle is None, location
        return query
    completed = http.post(f"{base_url}/oauth/complete", json={"completion": handle}, headers=identity)
    assert completed.status_code == 200, completed.text
    body = completed.json()
    assert body.pop("integration") == PROVIDER, body
    return {**body, "return_to": query["return_to"]}


@contextmanager
def running_stack(*, binding: bool = False, static_dir: Path | None = None) -> Iterator[Stack]:
    """Start the local server, then the provider; stop both on exit.

    ``static_dir``: the folder the local server serves at ``/`` instead of the reference page
    (a test's own page, served from the API's origin).
    """
    require(node_available(), NODE_HINT)
    access_log = io.StringIO()
    with pytest.MonkeyPatch.context() as env:
        for name in FOREIGN_SETTINGS:
            env.delenv(name, raising=False)
        # Saving and starting need the admin role, as in a deployment with AdminClaim set.
        overrides = {"ADMIN_CLAIM": "org_role=admin", "BROWSER_BINDING": "true" if binding else "false"}
        server = LocalServer(0, access_log=access_log, env_overrides=overrides, static_dir=static_dir)
        server.start()
        try:
            broken = {name: error for name, error in server.load_errors.items() if name in FLOW_FUNCTIONS}
            assert not broken, broken
            _wait_until_ready(server.url, READY_DEADLINE_SECONDS)
            peer = OidcPeer(
                [f"{server.url}/oauth/callback/{PROVIDER}"], startup_timeout=READY_DEADLINE_SECONDS
            )
            peer.start()
            try:
                yield Stack(server=server, peer=peer, access_log=access_log, binding=binding)
            finally:
                peer.stop()
        finally:
            server.stop()
