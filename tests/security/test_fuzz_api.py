"""schemathesis against the local server, driven by the published document (docs/openapi.json).

The whole API runs in process (``devserver.LocalServer``: the template's routes, the real
handlers, moto's DynamoDB and KMS on 127.0.0.1). Each operation gets a bounded number of
generated requests, valid and invalid, checked with:

* ``not_a_server_error``: no 5xx, whatever the input;
* ``response_schema_conformance``: every answer matches the document;
* ``status_code_conformance``, ``content_type_conformance`` and ``response_headers_conformance``:
  every status is one the operation lists, with its media type and its documented headers;
* ``negative_data_rejection``: a request the document says is invalid gets a 4xx;
* ``ignored_auth``: an operation that needs the bearer token refuses a request without it, and
  one with an invalid token.

Auth, locally: the document declares the JWT bearer scheme, as API Gateway enforces it. The
local server has no JWT authorizer; its ``X-Org-Id``/``X-User-Id``/``X-Org-Role`` headers stand
for the claims the authorizer would pass on. ``LocalAuthorizer`` below plays the authorizer:
every request schemathesis sends through it carries ``Authorization: Bearer <token>``, and only
a token it knows becomes claim headers (any other, or none, becomes no headers at all, so the
handlers answer 401 as a deployed stack would). ``ignored_auth`` re-sends a request without the
``Authorization`` header and with ``Bearer SCHEMATHESIS-INVALID-VALUE``; neither maps to claims,
so both must get a 401 from our own code. Those re-sends go out without our session, and so
without claim headers, which is exactly "no valid token".
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import requests
import schemathesis
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from byoc import container
from byoc.outbound import OutboundClient
from devserver.server import LocalServer

pytestmark = pytest.mark.fuzz

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "local-admin-token"
CLAIM_HEADERS = ("X-Org-Id", "X-User-Id", "X-Org-Role")
CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    negative_data_rejection,
    ignored_auth,
]
# Bounded: a few dozen requests per operation and phase keep the whole run well under a minute.
CONFIG = SchemathesisConfig.from_dict(
    {
        "seed": 20261127,
        "generation": {"max-examples": 30},
        "phases": {"stateful": {"enabled": False}},
    }
)
SCHEMA = schemathesis.openapi.from_path(ROOT / "docs" / "openapi.json", config=CONFIG)


class LocalAuthorizer(requests.Session):
    """Stands in for the HTTP API's JWT authorizer in front of the local server (see the module doc)."""

    CLAIMS = {TOKEN: {"X-Org-Id": "org-fuzz", "X-User-Id": "fuzzer", "X-Org-Role": "admin"}}

    def __init__(self, base_url: str):
        super().__init__()
        self.trust_env = False
        self.base_url = base_url

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        if not str(request.url).startswith(self.base_url + "/"):
            raise AssertionError(f"a fuzzed request left the local server: {request.url}")
        for name in CLAIM_HEADERS:  # a caller cannot send claims; only the authorizer sets them
            request.headers.pop(name, None)
        scheme, _, token = str(request.headers.get("Authorization", "")).partition(" ")
        if scheme.lower() == "bearer" and token in self.CLAIMS:
            request.headers.update(self.CLAIMS[token])
        kwargs["allow_redirects"] = False  # a 302 to a provider is the answer under test
        return super().send(request, **kwargs)


class _Quiet:
    def write(self, text: str) -> int:
        return len(text)

    def flush(self) -> None:
        pass


@pytest.fixture(scope="module")
def server() -> Iterator[LocalServer]:
    # Providers are never called: an issuer generated for discovery, say, gets "unreachable".
    def unreachable(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("no provider in the fuzz run")

    offline = OutboundClient(allow_local_http=True, transport=httpx.MockTransport(unreachable))
    with pytest.MonkeyPatch.context() as patch, LocalServer(port=0, access_log=_Quiet()) as local:
        patch.setattr(container, "outbound", lambda: offline)
        yield local


@pytest.fixture(scope="module")
def authorizer(server: LocalServer) -> Iterator[LocalAuthorizer]:
    with LocalAuthorizer(server.url) as session:
        yield session


@SCHEMA.parametrize()
def test_the_api_answers_generated_requests_as_its_document_says(case, server, authorizer):
    case.call_and_validate(
        base_url=server.url,
        session=authorizer,
        headers={"Authorization": f"Bearer {TOKEN}"},
        checks=CHECKS,
    )


def test_the_authorizer_stand_in_passes_claims_only_for_its_token(server, authorizer):
    with_token = authorizer.get(server.url + "/integrations", headers={"Authorization": f"Bearer {TOKEN}"})
    forged = authorizer.get(
        server.url + "/integrations",
        headers={"Authorization": "Bearer SCHEMATHESIS-INVALID-VALUE", "X-Org-Id": "org-fuzz"},
    )
    assert (with_token.status_code, forged.status_code) == (200, 401)


@pytest.mark.parametrize("method", ["TRACE", "PROPFIND", "CONNECT"])
def test_an_unusual_method_gets_a_json_4xx_never_a_5xx(server, method):
    answer = requests.request(method, server.url + "/integrations", timeout=10)
    assert 400 <= answer.status_code < 500
    assert answer.headers["Content-Type"] == "application/json"
