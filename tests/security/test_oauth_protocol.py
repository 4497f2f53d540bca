"""Security guide items 2-4: PKCE S256, the exact redirect URI, and the mix-up defence."""

from __future__ import annotations

import base64
import hashlib
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
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
    import json
    from pathlib import Path

    facts = Path(__file__).resolve().parents[1] / "data" / "reference_facts.json"
    off_in_facts = {f["id"] for f in json.loads(facts.read_text())["providers"] if f["pkce"] is False}
    # client-credentials entries have no authorization code, so no PKCE (the schema requires it off)
    without = [p for p in get_registry() if p.interactive and p.oauth is not None and not p.oauth.pkce]
    from registry.importer import IMPORTED

    hand = sorted(p.id for p in without if IMPORTED not in p.notes)
    assert hand == ["amazon-selling-partner", "pipedrive", "slack", "typeform"]
    # an imported entry turns PKCE off only where the reference facts do, and says so
    assert all(p.id in off_in_facts for p in without if IMPORTED in p.notes)
    assert all(any("PKCE" in note for note in p.notes) for p in without)


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
    shown = api.entry("zendesk")["redirect_uri"]
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


# RFC 9207: an issuer that always sends iss ---------------------------------------------

OIDC_ISSUER = "https://idp.example.com"


def _oidc_saved(api, provider_mock) -> None:
    document = {
        "issuer": OIDC_ISSUER,
        "authorization_endpoint": f"{OIDC_ISSUER}/authorize",
        "token_endpoint": f"{OIDC_ISSUER}/token",
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "authorization_response_iss_parameter_supported": True,
    }

    def answer(request):
        if request.url.path.endswith("/openid-configuration"):
            return httpx.Response(200, json=document)
        return httpx.Response(200, json={"access_token": "at-1", "token_type": "Bearer", "expires_in": 60})

    provider_mock.responder = answer
    credentials = {"client_id": "c-1", "client_secret": "s-1", "issuer": OIDC_ISSUER}
    assert api.save("generic_oidc", credentials)["statusCode"] == 200


def test_a_callback_without_iss_from_an_issuer_that_sends_it_is_refused(api, provider_mock):
    _oidc_saved(api, provider_mock)
    _, query = api.authorize("generic_oidc")
    response = api.callback("generic_oidc", urlencode({"code": "the-code", "state": query["state"][0]}))
    assert location_query(response)["error"] == ["issuer_missing"]
    assert provider_mock.token_requests() == []


def test_a_denial_without_iss_is_still_reported_as_the_denial(api, provider_mock):
    # django-oauth-toolkit sends iss on success but not on its access_denied redirect
    _oidc_saved(api, provider_mock)
    _, query = api.authorize("generic_oidc")
    response = api.callback("generic_oidc", urlencode({"error": "access_denied", "state": query["state"][0]}))
    assert location_query(response)["error"] == ["access_denied"]


def test_a_callback_with_the_right_iss_connects(api, provider_mock):
    _oidc_saved(api, provider_mock)
    _, query = api.authorize("generic_oidc")
    callback = {"code": "the-code", "state": query["state"][0], "iss": OIDC_ISSUER}
    assert location_query(api.callback("generic_oidc", urlencode(callback)))["status"] == ["active"]
