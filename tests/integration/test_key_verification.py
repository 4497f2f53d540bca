"""Saving an API key or a Basic pair runs the entry's verification request first (``verify``):
a refused key is a 422 naming the credential, a provider that cannot answer a 424, and in both
cases nothing is stored."""

from __future__ import annotations

import base64

import httpx
import pytest

from tests.helpers import body_of

SENDGRID_KEY = "SG.abc-DEF_123.ghi-JKL_456"


def answering(status: int):
    return lambda request: httpx.Response(status, json={"errors": [{"message": "no"}]})


def test_a_key_the_provider_accepts_is_saved_active_after_one_request(api, provider_mock):
    provider_mock.responder = answering(200)
    response = api.save("sendgrid", {"api_key": SENDGRID_KEY})
    assert response["statusCode"] == 200 and body_of(response)["status"] == "active"
    [request] = provider_mock.requests
    assert (request.method, str(request.url)) == ("GET", "https://api.sendgrid.com/v3/scopes")
    assert request.headers["authorization"] == f"Bearer {SENDGRID_KEY}"
    assert request.headers["accept"] == "application/json"


@pytest.mark.parametrize("status", [401, 403, 404])
def test_a_refused_key_is_a_422_naming_the_key_and_nothing_is_stored(api, provider_mock, status):
    provider_mock.responder = answering(status)
    response = api.save("sendgrid", {"api_key": SENDGRID_KEY})
    assert response["statusCode"] == 422
    error = body_of(response)["error"]
    assert error["code"] == "validation_error"
    assert error["details"]["fields"]["api_key"] == f"the provider refused it (HTTP {status})"
    assert SENDGRID_KEY not in response["body"]
    assert api.integration("sendgrid") is None


@pytest.mark.parametrize("status", [408, 429, 500, 503, 302])
def test_a_provider_that_cannot_answer_is_a_424_and_nothing_is_stored(api, provider_mock, status):
    provider_mock.responder = answering(status)
    response = api.save("sendgrid", {"api_key": SENDGRID_KEY})
    assert response["statusCode"] == 424
    assert body_of(response)["error"]["code"] == "provider_unavailable"
    assert SENDGRID_KEY not in response["body"]
    assert api.integration("sendgrid") is None


def test_a_timeout_is_a_424(api, provider_mock):
    def timing_out(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    provider_mock.responder = timing_out
    response = api.save("sendgrid", {"api_key": SENDGRID_KEY})
    assert response["statusCode"] == 424 and body_of(response)["error"]["code"] == "provider_unavailable"
    assert api.integration("sendgrid") is None


def test_a_refused_rotation_keeps_the_key_saved_before(api, provider_mock):
    provider_mock.responder = answering(200)
    api.save("sendgrid", {"api_key": SENDGRID_KEY})
    provider_mock.responder = answering(401)
    assert api.save("sendgrid", {"api_key": "SG.other-KEY.other-KEY"})["statusCode"] == 422
    assert api.integration("sendgrid")["status"] == "active"


def test_basic_auth_goes_to_the_orgs_own_subdomain(api, provider_mock):
    provider_mock.responder = answering(200)
    assert api.save("freshdesk", {"subdomain": "acme", "api_key": "fd-key-SECRET"})["statusCode"] == 200
    [request] = provider_mock.requests
    assert str(request.url) == "https://acme.freshdesk.com/api/v2/agents/me"
    assert request.headers["authorization"] == "Basic " + base64.b64encode(b"fd-key-SECRET:X").decode()


def test_a_refusal_also_names_the_fields_that_shape_the_address(api, provider_mock):
    provider_mock.responder = answering(404)
    response = api.save("freshdesk", {"subdomain": "acme", "api_key": "fd-key-SECRET"})
    assert set(body_of(response)["error"]["details"]["fields"]) == {"subdomain", "api_key"}


def test_header_credentials_and_a_select_host(api, provider_mock):
    provider_mock.responder = answering(200)
    saved = api.save("datadog", {"site": "datadoghq.eu", "api_key": "dd-api", "application_key": "dd-app"})
    assert saved["statusCode"] == 200
    [request] = provider_mock.requests
    assert str(request.url) == "https://api.datadoghq.eu/api/v1/validate"
    assert (request.headers["dd-api-key"], request.headers["dd-application-key"]) == ("dd-api", "dd-app")
    assert "authorization" not in request.headers


def test_a_public_host_of_a_private_address_is_refused_before_any_request(api, provider_mock):
    response = api.save("gitlab-pat", {"base_url": "https://127.0.0.1", "api_key": "glpat-x"})
    assert response["statusCode"] == 422
    assert provider_mock.requests == []
    assert api.integration("gitlab-pat") is None
