"""Entries shaped by the org's fields: templated parameters, renamed or dropped standard parameters,
a code under another callback name, and variants chosen by a field, through the real handlers."""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlsplit

from byoc import container
from tests.support.api import form_of, location_query

BIGCOMMERCE = {
    "client_id": "bc-client-1234",
    "client_secret": "bc-secret-VERY-SECRET",
    "store_hash": "hpj4hvw2bb",
}
TIKTOK = {"client_id": "tt-client-1234", "client_secret": "tt-secret-VERY-SECRET"}
MONDAY = {"client_id": "mo-client-1234", "client_secret": "mo-secret-VERY-SECRET"}
AMAZON = {
    "client_id": "amzn1.application-oa2-client.abc",
    "client_secret": "amzn-secret-VERY-SECRET",
    "application_id": "amzn1.sp.solution.0bf296b5-36a6-4942-a13e-EXAMPLEfcd28",
    "seller_central": "sellercentral-europe.amazon.com",
}


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def test_bigcommerce_places_the_store_hash_in_the_authorize_and_token_requests(api, provider_mock):
    assert api.save("bigcommerce", BIGCOMMERCE)["statusCode"] == 200
    url, query = api.authorize("bigcommerce")
    assert query["context"] == ["stores/hpj4hvw2bb"]
    answer = api.callback("bigcommerce", urlencode({"code": "the-code", "state": query["state"][0]}))
    assert location_query(answer)["status"] == ["active"]
    (sent,) = provider_mock.token_requests()
    assert str(sent.url) == "https://login.bigcommerce.com/oauth2/token"
    assert form_of(sent)["context"] == "stores/hpj4hvw2bb"


def test_a_store_hash_outside_its_pattern_is_refused_at_save(api, provider_mock):
    answer = api.save("bigcommerce", {**BIGCOMMERCE, "store_hash": "abc&context=stores/other"})
    assert answer["statusCode"] == 422
    assert api.integration("bigcommerce") is None


def test_tiktok_calls_the_client_id_client_key_everywhere(api, provider_mock):
    api.save("tiktok", TIKTOK, scopes=["user.info.basic", "video.list"])
    url, query = api.authorize("tiktok")
    assert "client_id" not in query and query["client_key"] == ["tt-client-1234"]
    assert query["scope"] == ["user.info.basic,video.list"]
    api.callback("tiktok", urlencode({"code": "the-code", "state": query["state"][0]}))
    (sent,) = provider_mock.token_requests()
    form = form_of(sent)
    assert "client_id" not in form
    assert (form["client_key"], form["client_secret"]) == ("tt-client-1234", "tt-secret-VERY-SECRET")


def test_amazon_consent_takes_the_application_id_and_returns_spapi_oauth_code(api, provider_mock):
    api.save("amazon-selling-partner", AMAZON)
    url, query = api.authorize("amazon-selling-partner")
    assert url.startswith("https://sellercentral-europe.amazon.com/apps/authorize/consent?")
    assert query["application_id"] == [AMAZON["application_id"]]
    assert "client_id" not in query and "response_type" not in query and "code_challenge" not in query

    callback = {
        "spapi_oauth_code": "the-sp-code",
        "selling_partner_id": "A3SELLER",
        "state": query["state"][0],
    }
    answer = api.callback("amazon-selling-partner", urlencode(callback))
    assert location_query(answer)["status"] == ["active"]
    (sent,) = provider_mock.token_requests()
    assert str(sent.url) == "https://api.amazon.com/auth/o2/token"
    form = form_of(sent)
    assert (form["code"], form["client_id"]) == ("the-sp-code", AMAZON["client_id"])
    assert api.integration("amazon-selling-partner")["metadata"] == {"selling_partner_id": "A3SELLER"}


def test_a_seller_central_host_outside_amazon_is_refused_at_save(api, provider_mock):
    answer = api.save(
        "amazon-selling-partner", {**AMAZON, "seller_central": "sellercentral.amazon.evil.example"}
    )
    assert answer["statusCode"] in (400, 422)
    assert api.integration("amazon-selling-partner") is None


def test_monday_apps_default_to_oauth_2_1_and_legacy_apps_use_the_legacy_token_url(api, provider_mock):
    api.save("monday", MONDAY)
    _, query = api.authorize("monday")
    assert query["code_challenge_method"] == ["S256"]
    api.callback("monday", urlencode({"code": "c1", "state": query["state"][0]}))
    (sent,) = provider_mock.token_requests()
    assert str(sent.url) == "https://auth.monday.com/oauth_ms/oauth/token" and "code_verifier" in form_of(
        sent
    )

    # The org says its app is a legacy one: another app (the tokens go), another token URL, no PKCE
    api.save("monday", {**MONDAY, "app_version": "legacy"})
    assert api.integration("monday")["status"] == "pending_setup"
    _, query = api.authorize("monday")
    assert "code_challenge" not in query
    api.callback("monday", urlencode({"code": "c2", "state": query["state"][0]}))
    sent = provider_mock.token_requests()[-1]
    assert str(sent.url) == "https://auth.monday.com/oauth2/token"
    assert "code_verifier" not in form_of(sent) and form_of(sent)["code"] == "c2"
    # and its refreshes go there too
    container.token_service().get_token("org-1", "monday", force_refresh=True)
    refresh = provider_mock.token_requests()[-1]
    assert str(refresh.url) == "https://auth.monday.com/oauth2/token"
    assert form_of(refresh)["grant_type"] == "refresh_token"


def test_a_variant_the_field_does_not_offer_is_refused_at_save(api, provider_mock):
    answer = api.save("monday", {**MONDAY, "app_version": "3.0"})
    assert answer["statusCode"] == 422
