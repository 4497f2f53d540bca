"""Security guide items 2-4: PKCE S256, the exact redirect URI, and the mix-up defence."""

from __future__ import annotations

import base64
import hashlib
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from byoc.oauth.registry import get_registry
from tests.helpers import body_of
from tests.security.conftest import ZENDESK
from tests.support.api import form_of, location_query

GOOGLE = {"client_id": "google-client-1", "client_secret": "google-secret-1"}
GITHUB = {"client_id": "gh-client-123456", "client_secret": "gh-secret"}
PKCE_SAMPLES = {"zendesk": ZENDESK, "google": GOOGLE, "github": GITHUB}


def _s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


@pytest.mark.parametrize("provider", sorted(PKCE_SAMPLES))
def test_the_token_request_proves_the_s256_challenge_of_the_authorize_request(api, provider_mock, provider):
    # Given a flow started with a provider that takes PKCE
    api.save(provider, PKCE_SAMPLES[provider])
    _, query = api.authorize(provider)
    # When the callback exchanges the code
    api.callback(provider, urlencode({"code": "the-code", "state": query["state"][0]}))
    # Then the authorize request carried an S256 challenge of the verifier the token request sends
    verifier = form_of(provider_mock.token_requests()[0])["code_verifier"]
    assert query["code_challenge_method"] == ["S256"]
    assert query["code_challenge"] == [_s256(verifier)]
    assert 43 <= len(verifier) <= 128


def test_every_flow_gets_a_fresh_verifier(api, provider_mock):
    api.save("zendesk", ZENDESK)
    challenges = {api.authorize("zendesk")[1]["code_challenge"][0] for _ in range(3)}
    assert len(challenges) == 3


def test_pkce_is_on_for_every_provider_unless_its_entry_says_it_cannot_take_it():
    without = sorted(p.id for p in get_registry() if p.oauth is not None and not p.oauth.pkce)
    assert without == ["pipedrive", "slack", "typeform"]


def test_no_provider_entry_asks_for_the_plain_challenge_method():
    for provider in get_registry():
        if provider.oauth is not None:
            assert provider.oauth.authorize_params.get("code_challenge_method", "S256") == "S256"


@pytest.mark.parametrize("public_api_url", ["", "https://api.example.com/v1"])
def test_authorize_and_token_requests_carry_the_same_redirect_uri_as_the_list_shows(
    api, provider_mock, configure, public_api_url
):
    configure(PUBLIC_API_URL=public_api_url)
    api.save("zendesk", ZENDESK)
    shown = api.integration("zendesk")["redirect_uri"]
    _, query = api.authorize("zendesk")
    api.callback("zendesk", urlencode({"code": "the-code", "state": query["state"][0]}))
    sent = form_of(provider_mock.token_requests()[0])["redirect_uri"]
    assert query["redirect_uri"] == [sent] == [shown]
    assert shown == (public_api_url or "https://api.example.com") + "/oauth/callback/zendesk"


def test_a_state_from_one_provider_is_refused_at_another_providers_callback(api, provider_mock):
    # Given a flow started with Zendesk
    api.save("zendesk", ZENDESK)
    api.save("github", GITHUB)
    _, query = api.authorize("zendesk")
    callback = urlencode({"code": "the-code", "state": query["state"][0]})
    # When its state arrives at GitHub's callback
    response = api.callback("github", callback)
    # Then it is refused before any outbound call
    assert response["statusCode"] == 400
    assert body_of(response)["error"]["code"] == "invalid_state"
    assert provider_mock.requests == []


def test_a_state_tried_at_another_providers_callback_still_works_at_its_own(api, provider_mock):
    api.save("zendesk", ZENDESK)
    api.save("github", GITHUB)
    _, query = api.authorize("zendesk")
    callback = urlencode({"code": "the-code", "state": query["state"][0]})
    api.callback("github", callback)
    assert location_query(api.callback("zendesk", callback))["status"] == ["active"]


def test_a_different_iss_is_refused_with_no_outbound_call(api, provider_mock):
    # Given a flow with a provider whose issuer is known
    api.save("google", GOOGLE)
    _, query = api.authorize("google")
    # When the callback names another issuer (RFC 9207)
    callback = {"code": "the-code", "state": query["state"][0], "iss": "https://accounts.evil.example"}
    response = api.callback("google", urlencode(callback))
    # Then the browser hears issuer_mismatch, nothing was sent, and the connection says why
    assert location_query(response)["error"] == ["issuer_mismatch"]
    assert provider_mock.requests == []
    entry = api.integration("google")
    assert (entry["status"], entry["status_reason"]) == ("error", "issuer_mismatch")
    assert "https://accounts.evil.example" in entry["status_message"]
    assert "https://accounts.google.com" in entry["status_message"]


def test_an_issuer_mismatch_never_touches_an_active_connection(api, provider_mock):
    api.save("google", GOOGLE)
    assert location_query(api.connect("google"))["status"] == ["active"]
    _, query = api.authorize("google")
    callback = {"code": "the-code", "state": query["state"][0], "iss": "https://accounts.evil.example"}
    assert location_query(api.callback("google", urlencode(callback)))["error"] == ["issuer_mismatch"]
    entry = api.integration("google")
    assert (entry["status"], entry["status_reason"]) == ("active", None)


def test_an_unprintable_issuer_is_not_echoed(api, provider_mock):
    api.save("google", GOOGLE)
    _, query = api.authorize("google")
    callback = {"code": "the-code", "state": query["state"][0], "iss": "https://evil\x00<script>"}
    api.callback("google", urlencode(callback))
    message = api.integration("google")["status_message"]
    assert "<script>" not in message and "an unreadable value" in message


def test_iss_is_compared_as_a_plain_string(api, provider_mock):
    api.save("google", GOOGLE)
    _, query = api.authorize("google")
    callback = {"code": "the-code", "state": query["state"][0], "iss": "https://accounts.google.com/"}
    assert location_query(api.callback("google", urlencode(callback)))["error"] == ["issuer_mismatch"]
    assert provider_mock.requests == []


def test_the_expected_iss_is_accepted(api, provider_mock):
    api.save("google", GOOGLE)
    _, query = api.authorize("google")
    callback = {"code": "the-code", "state": query["state"][0], "iss": "https://accounts.google.com"}
    assert location_query(api.callback("google", urlencode(callback)))["status"] == ["active"]


def test_the_code_goes_to_the_token_endpoint_stored_at_start(api, provider_mock):
    api.save("zendesk", ZENDESK)
    _, query = api.authorize("zendesk")
    api.callback("zendesk", urlencode({"code": "the-code", "state": query["state"][0]}))
    [request] = provider_mock.token_requests()
    assert urlsplit(str(request.url)).netloc == "acme.zendesk.com"
    assert parse_qs(request.content.decode())["code"] == ["the-code"]
