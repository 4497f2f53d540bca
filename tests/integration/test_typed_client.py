"""The typed client (clients/web: openapi-fetch on the generated ``paths``) as a real program
against the local server.

clients/web/examples/local-run.ts is compiled by tsc (strict, the pinned typescript) to
clients/web/build/ and run with ``node`` against ``LocalServer(0)`` on 127.0.0.1; it prints one
JSON line per step (catalogue, its ETag revalidation, save, list, start, disconnect, typed
errors) and this test checks each step's real answer.

Needs Node.js 20+ and clients/web's packages (``cd clients/web && npm ci``; scripts/run-tests
runs it). Without them the test skips, unless ``BYOC_REQUIRE_ALL=1``, where it fails.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from devserver.server import LocalServer
from tests.e2e.oidc_peer import MIN_NODE_MAJOR
from tests.e2e.stack import FOREIGN_SETTINGS, require

WEB = Path(__file__).resolve().parents[2] / "clients" / "web"
PROGRAM = WEB / "build" / "examples" / "local-run.js"
TSC = WEB / "node_modules" / "typescript" / "bin" / "tsc"
OPENAPI_FETCH = WEB / "node_modules" / "openapi-fetch" / "package.json"
IDENTITY = {"BYOC_ORG_ID": "org-typed-client", "BYOC_USER_ID": "dev", "BYOC_ORG_ROLE": "admin"}
PROVIDER = "zendesk"
TIMEOUT_SECONDS = 120


def _node() -> str | None:
    node = shutil.which("node")
    if node is None:
        return None
    try:
        version = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=10, check=True)
        major = int(version.stdout.strip().lstrip("v").split(".")[0])
    except (OSError, subprocess.SubprocessError, ValueError):
        return None
    return node if major >= MIN_NODE_MAJOR else None


@pytest.fixture(scope="module")
def program() -> Iterator[list[str]]:
    """``node`` and the compiled program: tsc (strict) runs first, so the test runs the current source."""
    node = _node()
    require(
        node is not None,
        f"Node.js {MIN_NODE_MAJOR}+ is needed to run the typed client (Debian: apt-get install nodejs npm)",
    )
    assert node is not None
    require(
        TSC.is_file() and OPENAPI_FETCH.is_file(),
        "clients/web's packages are needed by the typed client (cd clients/web && npm ci; make test does)",
    )
    built = subprocess.run(
        [node, str(TSC), "--project", "tsconfig.build.json"],
        cwd=WEB,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_SECONDS,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    yield [node, str(PROGRAM)]


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalServer]:
    for name in FOREIGN_SETTINGS:
        monkeypatch.delenv(name, raising=False)
    with LocalServer(0, access_log=io.StringIO(), env_overrides={"ADMIN_CLAIM": "org_role=admin"}) as running:
        yield running


def _run(program: list[str], server: LocalServer) -> list[dict[str, Any]]:
    env = {**os.environ, **IDENTITY, "BYOC_API_BASE": server.url, "BYOC_PROVIDER": PROVIDER}
    env.pop("NODE_OPTIONS", None)
    done = subprocess.run(program, env=env, capture_output=True, text=True, timeout=TIMEOUT_SECONDS)
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    assert done.returncode == 0, (lines, done.stderr)
    return lines


def test_the_typed_client_runs_each_step_against_the_local_server(
    program: list[str], server: LocalServer
) -> None:
    lines = _run(program, server)
    steps = [line.pop("step") for line in lines]
    assert steps == [
        "providers",
        "providers_revalidated",
        "save",
        "integrations",
        "start",
        "error",
        "disconnect",
        "error",
        "error",
        "error",
    ]
    providers, revalidated, saved, listed, started, off_frontend, disconnected, *errors = lines

    catalogue = httpx.get(f"{server.url}/providers", timeout=10)
    assert providers["status"] == 200
    assert providers["etag"] == catalogue.headers["etag"]
    assert providers["count"] == len(catalogue.json()["providers"])
    assert {"client_id", "client_secret", "subdomain"} <= set(providers["fields"])

    assert revalidated == {"status": 304, "etag": providers["etag"], "body": None}

    assert saved["status"] == 200
    assert saved["provider"] == PROVIDER
    assert saved["integration_status"] == "pending_setup"
    assert saved["client_id_masked"] and "typed-client-0001" not in saved["client_id_masked"]
    assert saved["scopes"] == ["read"]

    assert {"provider": PROVIDER, "status": "pending_setup"} in listed["integrations"]

    assert started["status"] == 200
    assert started["origin"] == "https://acme.zendesk.com"
    assert started["client_id"] == "typed-client-0001"
    assert started["redirect_uri"] == f"{server.url}/oauth/callback/{PROVIDER}"
    assert started["has_state"] is True

    assert off_frontend == {
        "attempt": "return_to off the frontend",
        "status": 400,
        "code": "invalid_request",
        "advice": "fix the input",
    }

    assert disconnected["status"] == 204
    assert all(item["provider"] != PROVIDER for item in disconnected["integrations"])

    assert errors == [
        {
            "attempt": "unknown provider",
            "status": 404,
            "code": "unknown_provider",
            "advice": "no such provider in the catalogue",
        },
        {
            "attempt": "start after disconnect",
            "status": 404,
            "code": "integration_not_configured",
            "advice": "save credentials first",
        },
        {
            "attempt": "empty credentials",
            "status": 422,
            "code": "validation_error",
            "advice": "fix the input",
        },
    ]
