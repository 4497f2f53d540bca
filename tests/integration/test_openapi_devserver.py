"""The local server's answers, over HTTP, are the shapes docs/openapi.json documents.

test_openapi_conformance.py checks every route and error code at the handlers; this module
sends a request of each kind through ``make dev``'s server (routing, event translation, the
HTTP answer as a browser receives it) and checks the answers with the same ``conforms``.
Transport headers the HTTP server adds (length, date, server, keep-alive) are not part of
an operation's document and are set aside; nothing else is.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from devserver.server import LocalServer
from tests.integration.test_openapi_conformance import conforms

TRANSPORT = {"content-length", "date", "server", "connection", "keep-alive", "transfer-encoding"}
ADMIN = {"X-Org-Id": "org-conform", "X-User-Id": "dev", "X-Org-Role": "admin"}
MEMBER = {**ADMIN, "X-Org-Role": "member"}
ZENDESK = {"client_id": "zd-client-1234", "client_secret": "zd-secret-0000", "subdomain": "acme"}
SAVE = {"provider": "zendesk", "credentials": ZENDESK}


@pytest.fixture(scope="module")
def client() -> Iterator[httpx.Client]:
    # identity: httpx would decode a gzip answer but keep its Content-Encoding header
    headers = {"Accept-Encoding": "identity"}
    with LocalServer(0) as server, httpx.Client(base_url=server.url, timeout=10, headers=headers) as http:
        yield http


def as_lambda_answer(response: httpx.Response) -> dict[str, Any]:
    """The HTTP answer in the shape ``conforms`` reads (a Lambda proxy answer)."""
    headers = {k: v for k, v in response.headers.items() if k.lower() not in TRANSPORT}
    return {"statusCode": response.status_code, "headers": headers, "body": response.text}


def check(client: httpx.Client, method: str, path: str, route: str, **kw: Any) -> Any:
    return conforms(method, route, as_lambda_answer(client.request(method, path, **kw)))


def test_the_catalogue_and_its_revalidation(client):
    catalogue = check(client, "GET", "/providers", "/providers")
    assert catalogue["providers"]
    etag = client.get("/providers").headers["etag"]
    assert check(client, "GET", "/providers", "/providers", headers={"If-None-Match": etag}) is None


def test_save_list_start_and_disconnect(client):
    saved = check(client, "POST", "/integrations", "/integrations", json=SAVE, headers=ADMIN)
    assert saved["status"] == "pending_setup"
    listed = check(client, "GET", "/integrations", "/integrations", headers=ADMIN)
    assert [i["provider"] for i in listed["integrations"]] == ["zendesk"]
    started = check(
        client,
        "GET",
        "/oauth/start?provider=zendesk",
        "/oauth/start",
        headers={**ADMIN, "Accept": "application/json"},
    )
    assert started["authorize_url"].startswith("https://acme.zendesk.com/")
    path = "/integrations/{provider}"
    assert check(client, "DELETE", "/integrations/zendesk", path, headers=ADMIN) is None


@pytest.mark.parametrize(
    ("method", "path", "route", "kw", "status"),
    [
        ("GET", "/integrations", "/integrations", {}, 401),
        ("POST", "/integrations", "/integrations", {"json": SAVE, "headers": MEMBER}, 403),
        ("POST", "/integrations", "/integrations", {"content": b"{", "headers": ADMIN}, 400),
        ("GET", "/oauth/start?provider=nope", "/oauth/start", {"headers": ADMIN}, 404),
        ("GET", "/oauth/callback/zendesk?state=x&code=y", "/oauth/callback/{provider}", {}, 400),
        ("POST", "/oauth/complete", "/oauth/complete", {"json": {"completion": "x"}, "headers": ADMIN}, 400),
    ],
)
def test_client_errors_over_http(client, method, path, route, kw, status):
    kw.setdefault("headers", {})
    response = client.request(method, path, **kw)
    assert response.status_code == status
    answer = conforms(method, route, as_lambda_answer(response))
    assert answer["error"]["code"]
