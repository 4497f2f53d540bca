"""Client credentials (RFC 6749 §4.4): saving mints the first token (or stores nothing), the token
service mints the next one under the refresh lease, and a refused mint is an error status.

The provider is an httpx.MockTransport standing in for Zoom's Server-to-Server token endpoint;
DynamoDB and KMS are moto.
"""

from __future__ import annotations

import base64
import threading
import time
from typing import Any

import httpx
import pytest

from byoc.aws import crypto
from byoc.errors import ReconnectRequired
from tests.helpers import FakeLambdaContext, body_of, load_function
from tests.support.api import form_of
from tests.support.tokens import HOUR, aws_calls, concurrent_reads, service, store

ZOOM = {"client_id": "zm-client-1234", "client_secret": "zm-secret-VERY-SECRET", "account_id": "AbCd1234"}
MICROSOFT = {
    "client_id": "ms-client-1234",
    "client_secret": "ms-secret-VERY-SECRET",
    "tenant_id": "contoso.com",
}


class MintEndpoint:
    """A token endpoint that mints token n on its n-th request (valid an hour, no refresh token)."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.answer: Any = None  # a fixed httpx.Response instead of minting
        self._lock = threading.Lock()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        with self._lock:
            self.requests.append(request)
            number = len(self.requests)
        if self.answer is not None:
            return self.answer
        return httpx.Response(
            200,
            json={"access_token": f"cc-{number}", "token_type": "bearer", "expires_in": HOUR, "scope": "x"},
        )

    @property
    def forms(self) -> list[dict[str, str]]:
        return [form_of(r) for r in self.requests]


@pytest.fixture
def mint(provider_mock: Any) -> MintEndpoint:
    endpoint = MintEndpoint()
    provider_mock.responder = endpoint
    return endpoint


def record(provider: str = "zoom-cc"):
    found = store().get_connection("org-1", provider)
    assert found is not None
    return found


# Saving is connecting -----------------------------------------------------------------------


def test_saving_mints_a_token_with_the_apps_credentials_and_the_connection_is_active(api, mint):
    response = api.save("zoom-cc", ZOOM)
    assert response["statusCode"] == 200
    assert body_of(response)["status"] == "active"
    [request] = mint.requests
    assert (request.method, str(request.url)) == ("POST", "https://zoom.us/oauth/token")
    basic = base64.b64encode(b"zm-client-1234:zm-secret-VERY-SECRET").decode()
    assert request.headers["authorization"] == f"Basic {basic}"
    assert form_of(request) == {"grant_type": "account_credentials", "account_id": "AbCd1234"}
    stored = record()
    assert stored.status == "active" and stored.tokens and not stored.has_refresh_token
    assert "zm-secret-VERY-SECRET" not in response["body"] and "cc-1" not in response["body"]


def test_the_orgs_scopes_go_with_the_token_request(api, mint):
    response = api.save("microsoft-oauth2-cc", MICROSOFT)
    assert response["statusCode"] == 200
    [form] = mint.forms
    assert form == {
        "grant_type": "client_credentials",
        "scope": "https://graph.microsoft.com/.default",
        "client_id": "ms-client-1234",
        "client_secret": "ms-secret-VERY-SECRET",
    }
    assert str(mint.requests[0].url) == "https://login.microsoftonline.com/contoso.com/oauth2/v2.0/token"


@pytest.mark.parametrize(
    ("error", "field"),
    [("invalid_client", "client_secret"), ("unauthorized_client", "client_id"), ("invalid_scope", "scopes")],
)
def test_credentials_the_provider_refuses_are_a_422_naming_the_field_and_nothing_is_stored(
    api, mint, error, field
):
    mint.answer = httpx.Response(401 if error == "invalid_client" else 400, json={"error": error})
    response = api.save("zoom-cc", ZOOM)
    assert response["statusCode"] == 422
    body = body_of(response)["error"]
    assert body["code"] == "validation_error" and field in body["details"]["fields"]
    assert "zm-secret-VERY-SECRET" not in response["body"]
    assert api.integration("zoom-cc") is None


@pytest.mark.parametrize("status", [429, 500, 503])
def test_a_provider_that_cannot_mint_now_is_a_424_and_nothing_is_stored(api, mint, status):
    mint.answer = httpx.Response(status, json={"error": "temporarily_unavailable"})
    response = api.save("zoom-cc", ZOOM)
    assert response["statusCode"] == 424
    assert body_of(response)["error"]["code"] == "provider_unavailable"
    assert api.integration("zoom-cc") is None


def test_a_failed_mint_leaves_the_saved_connection_as_it_was(api, mint):
    assert api.save("zoom-cc", ZOOM)["statusCode"] == 200
    before = record()
    mint.answer = httpx.Response(401, json={"error": "invalid_client"})
    assert api.save("zoom-cc", {**ZOOM, "client_secret": "wrong-secret-1234"})["statusCode"] == 422
    after = record()
    assert (after.credentials_id, after.tokens, after.status) == (
        before.credentials_id,
        before.tokens,
        "active",
    )


def test_there_is_no_browser_step(api, mint):
    api.save("zoom-cc", ZOOM)
    response = api.start("zoom-cc")
    assert response["statusCode"] == 400
    error = body_of(response)["error"]
    assert error["code"] == "invalid_request" and "saved" in error["message"]


def test_the_catalogue_says_the_grant_and_has_no_redirect_uri(api):
    entries = {p["id"]: p for p in body_of(api.providers())["providers"]}
    assert entries["zoom-cc"]["grant"] == "client_credentials"
    assert entries["zoom-cc"]["auth_type"] == "oauth2_cc"
    assert entries["zoom-cc"]["redirect_uri"] is None
    assert entries["zoom"]["grant"] == "authorization_code"
    assert entries["sendgrid"]["grant"] is None


# Minting when due ---------------------------------------------------------------------------


def test_a_warm_read_of_a_fresh_token_is_one_getitem_and_no_token_request(api, mint):
    api.save("zoom-cc", ZOOM)
    tokens = service()
    assert tokens.get_token("org-1", "zoom-cc")["access_token"] == "cc-1"
    with aws_calls() as calls:
        tokens.get_token("org-1", "zoom-cc")
    assert calls == ["dynamodb:GetItem"]
    assert len(mint.requests) == 1


def test_a_token_within_the_margin_is_minted_again_and_stored(api, mint):
    api.save("zoom-cc", ZOOM)
    at = time.time() + HOUR - 60
    token = service(at=at).get_token("org-1", "zoom-cc")
    assert token["access_token"] == "cc-2"
    assert mint.forms[1] == {"grant_type": "account_credentials", "account_id": "AbCd1234"}
    assert token["expires_at"] == int(at) + HOUR
    assert record().token_version == 2
    assert service(at=at + 1).get_token("org-1", "zoom-cc")["access_token"] == "cc-2"
    assert len(mint.requests) == 2


def test_the_first_mint_in_a_fresh_container_decrypts_once(api, mint):
    api.save("zoom-cc", ZOOM)
    crypto.DATA_KEY_CACHE.clear()
    at = time.time() + HOUR - 60
    with aws_calls() as calls:
        service(at=at).get_token("org-1", "zoom-cc")
    # as a refresh: the read, the lease, one Decrypt (the data key opens secrets and tokens), the
    # conditioned write, and the connection.refreshed event
    assert calls == [
        "dynamodb:GetItem",
        "dynamodb:UpdateItem",
        "kms:Decrypt",
        "dynamodb:UpdateItem",
        "events:PutEvents",
    ]


def test_sixteen_concurrent_readers_of_a_due_token_cause_one_token_request(api, mint):
    api.save("zoom-cc", ZOOM)
    at = time.time() + HOUR - 60
    readers = 16
    results = concurrent_reads(lambda: service(at=at, sleep=time.sleep), "org-1", "zoom-cc", readers)
    assert len(mint.requests) == 2  # the save's, and one mint for all sixteen
    assert results == ["cc-2"] * readers


def test_a_refused_mint_sets_error_with_the_reason_and_stops_minting(api, mint):
    api.save("zoom-cc", ZOOM)
    mint.answer = httpx.Response(401, json={"error": "invalid_client"})
    at = time.time() + HOUR - 60
    with pytest.raises(ReconnectRequired):
        service(at=at).get_token("org-1", "zoom-cc")
    stored = record()
    assert (stored.status, stored.status_reason) == ("error", "invalid_client")
    with pytest.raises(ReconnectRequired):
        service(at=at).get_token("org-1", "zoom-cc")
    assert len(mint.requests) == 2


def test_a_transient_mint_failure_keeps_the_status_and_hands_out_the_valid_token(api, mint):
    api.save("zoom-cc", ZOOM)
    mint.answer = httpx.Response(503)
    at = time.time() + HOUR - 60
    assert service(at=at).get_token("org-1", "zoom-cc")["access_token"] == "cc-1"
    assert record().status == "active"


def test_saving_again_mints_a_new_token_for_the_new_secret(api, mint):
    api.save("zoom-cc", ZOOM)
    api.save("zoom-cc", {**ZOOM, "client_secret": "zm-secret-ROTATED-1"})
    assert service().get_token("org-1", "zoom-cc")["access_token"] == "cc-2"
    basic = base64.b64encode(b"zm-client-1234:zm-secret-ROTATED-1").decode()
    assert mint.requests[1].headers["authorization"] == f"Basic {basic}"


def test_the_get_token_function_hands_out_a_minted_token(api, mint):
    api.save("zoom-cc", ZOOM)
    app = load_function("get_token")
    answer = app.lambda_handler({"org_id": "org-1", "provider": "zoom-cc"}, FakeLambdaContext())
    assert answer["access_token"] == "cc-1"
    # nothing to rotate: the token may be used until it expires
    assert answer["use_until"] == answer["expires_at"]
