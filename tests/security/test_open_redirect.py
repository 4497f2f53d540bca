"""Security guide item 7: no open redirect. The return path is checked at start, and every
``Location`` the callback sends is the configured frontend origin plus a path."""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers import body_of
from tests.security.conftest import FRONTEND, ZENDESK, state_items

HOSTILE_RETURN_PATHS = [
    "//evil.com",
    "https://app.example.com.evil.com",
    "/\\evil.com",
    "javascript:alert(1)",
    "///evil.com",
    "\\\\evil.com",
    "/\t/evil.com",
    "https:evil.com",
    "http://evil.com",
    "evil.com",
    "@evil.com",
    ".evil.com",
    "data:text/html,<script>alert(1)</script>",
    "/settings#@evil.com",
    " /settings",
    "/settings\r\nSet-Cookie: a=b",
    "/" + "a" * 600,
    # our own outcome parameters would shadow the real ones for a frontend reading the first value
    "/x?status=active&integration=github",
    "/x?error=",
    "/x?tab=1&completion=forged",
    "/x?integration",
]


def _location_after_callback(api, query: str) -> str:
    response = api.callback("zendesk", query)
    assert response["statusCode"] == 302
    return response["headers"]["Location"]


@pytest.mark.parametrize("return_to", HOSTILE_RETURN_PATHS)
def test_a_hostile_return_path_is_refused_at_start_and_no_state_is_written(api, aws_env, return_to):
    api.save("zendesk", ZENDESK)
    response = api.start("zendesk", return_to=return_to)
    assert response["statusCode"] == 400
    assert body_of(response)["error"]["code"] == "invalid_request"
    assert state_items(aws_env) == []


@pytest.mark.parametrize("return_to", ["/settings/integrations", "/a/b?tab=apps&x=1", "/"])
def test_a_path_on_the_frontend_is_where_the_browser_lands(api, return_to):
    api.save("zendesk", ZENDESK)
    _, query = api.authorize("zendesk", return_to=return_to)
    location = _location_after_callback(api, urlencode({"code": "c", "state": query["state"][0]}))
    assert location.startswith(FRONTEND + return_to)


def _callback_outcomes(api):
    """Each way a callback can end with a redirect, as (name, callback query) after a fresh start."""
    cases = {
        "success": lambda state: {"code": "c", "state": state},
        "denied": lambda state: {"error": "access_denied", "state": state},
        "odd_error": lambda state: {"error": "https://evil.com/", "state": state},
        "no_code": lambda state: {"state": state},
    }
    for name, build in cases.items():
        _, query = api.authorize("zendesk", return_to="/settings")
        yield name, urlencode(build(query["state"][0]))


def test_every_location_the_callback_sends_starts_with_the_frontend_origin(api, provider_mock):
    api.save("zendesk", ZENDESK)
    locations = [_location_after_callback(api, query) for _, query in _callback_outcomes(api)]
    provider_mock.responder = lambda request: httpx.Response(500)
    _, query = api.authorize("zendesk", return_to="/settings")
    locations.append(_location_after_callback(api, urlencode({"code": "c", "state": query["state"][0]})))
    assert len(locations) == 5
    assert all(location.startswith(FRONTEND + "/") for location in locations)


def test_the_provider_error_code_in_the_location_is_one_of_ours(api, provider_mock):
    api.save("zendesk", ZENDESK)
    _, query = api.authorize("zendesk")
    callback = urlencode({"error": "https://evil.com/<script>", "state": query["state"][0]})
    location = _location_after_callback(api, callback)
    assert parse_qs(urlsplit(location).query)["error"] == ["authorization_failed"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(return_to=st.text(max_size=40) | st.from_regex(r"\A[/\\]{1,3}[a-z.:@%/\\?#]{0,20}\Z"))
def test_any_return_path_is_refused_or_lands_on_the_frontend(api, provider_mock, return_to):
    api.save("zendesk", ZENDESK)
    started = api.start("zendesk", return_to=return_to)
    if started["statusCode"] == 400:
        return
    assert started["statusCode"] == 200
    state = parse_qs(urlsplit(body_of(started)["authorize_url"]).query)["state"][0]
    location = _location_after_callback(api, urlencode({"code": "c", "state": state}))
    parts = urlsplit(location)
    assert location.startswith(FRONTEND + "/")
    assert (parts.scheme, parts.netloc) == ("https", "app.example.com")
