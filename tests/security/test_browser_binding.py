"""Security guide item 5: the flow is bound to the browser that started it, when BrowserBinding is on.

On: ``/oauth/start`` sets an HttpOnly, SameSite=Lax cookie scoped to the callback path for ten
minutes (Secure on https); the callback refuses a missing or different cookie with
``error=browser_binding_failed`` and leaves the connection as it was. Off (the template's
default): no cookie, and callbacks work without one.
"""

from __future__ import annotations

from http.cookies import SimpleCookie
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from byoc.usecases.flow import BINDING_COOKIE
from tests.helpers import body_of
from tests.security.conftest import ZENDESK, connection_items
from tests.support.api import location_query


@pytest.fixture
def binding_on(configure) -> None:
    configure(BROWSER_BINDING="true")


def _start(api) -> tuple[dict, str]:
    """Save, start; returns the start response and the callback query the provider would send."""
    api.save("zendesk", ZENDESK)
    response = api.start("zendesk")
    query = parse_qs(urlsplit(body_of(response)["authorize_url"]).query)
    return response, urlencode({"code": "the-code", "state": query["state"][0]})


def _cookie(response: dict) -> SimpleCookie:
    [header] = response["cookies"]
    jar: SimpleCookie = SimpleCookie()
    jar.load(header)
    return jar


@pytest.mark.usefixtures("binding_on")
def test_start_sets_an_httponly_lax_secure_cookie_for_the_callback_path_for_ten_minutes(api):
    response, _ = _start(api)
    morsel = _cookie(response)[BINDING_COOKIE]
    assert len(morsel.value) >= 43
    assert morsel["httponly"] is True and morsel["secure"] is True
    assert morsel["samesite"] == "Lax"
    assert morsel["path"] == "/oauth/callback/zendesk"
    assert morsel["max-age"] == "600"
    assert morsel["domain"] == ""


@pytest.mark.usefixtures("binding_on")
def test_the_cookie_is_not_secure_on_a_plain_http_api(api, configure):
    configure(PUBLIC_API_URL="http://127.0.0.1:3000")
    response, _ = _start(api)
    assert _cookie(response)[BINDING_COOKIE]["secure"] == ""


@pytest.mark.usefixtures("binding_on")
def test_the_redirect_answer_of_start_sets_the_cookie_too(api):
    api.save("zendesk", ZENDESK)
    response = api.start("zendesk", accept_json=False)
    assert response["statusCode"] == 302
    assert BINDING_COOKIE in _cookie(response)


@pytest.mark.usefixtures("binding_on")
def test_a_callback_with_the_cookie_connects(api):
    response, callback = _start(api)
    cookie = f"{BINDING_COOKIE}={_cookie(response)[BINDING_COOKIE].value}"
    assert location_query(api.callback("zendesk", callback, cookies=[cookie]))["status"] == ["active"]


@pytest.mark.usefixtures("binding_on")
def test_a_callback_without_the_cookie_is_refused_and_the_connection_is_unchanged(
    api, aws_env, provider_mock
):
    # Given a flow started in one browser
    _, callback = _start(api)
    before = connection_items(aws_env)
    # When the callback arrives from a browser without the cookie
    response = api.callback("zendesk", callback)
    # Then it is refused, nothing was exchanged and the record is exactly as it was
    assert location_query(response) == {
        "integration": ["zendesk"],
        "status": ["error"],
        "error": ["browser_binding_failed"],
    }
    assert provider_mock.requests == []
    assert connection_items(aws_env) == before


@pytest.mark.usefixtures("binding_on")
def test_a_callback_with_another_browsers_cookie_is_refused_and_the_connection_is_unchanged(
    api, aws_env, provider_mock
):
    # Given two flows, each started in its own browser
    _, victims_callback = _start(api)
    attacker, _ = _start(api)
    before = connection_items(aws_env)
    # When the first flow's callback arrives with the second browser's cookie
    cookie = f"{BINDING_COOKIE}={_cookie(attacker)[BINDING_COOKIE].value}"
    response = api.callback("zendesk", victims_callback, cookies=[cookie])
    # Then it is refused and nothing changed
    assert location_query(response)["error"] == ["browser_binding_failed"]
    assert provider_mock.requests == []
    assert connection_items(aws_env) == before


@pytest.mark.usefixtures("binding_on")
def test_a_refused_binding_uses_up_the_state(api):
    response, callback = _start(api)
    api.callback("zendesk", callback)
    cookie = f"{BINDING_COOKIE}={_cookie(response)[BINDING_COOKIE].value}"
    assert api.callback("zendesk", callback, cookies=[cookie])["statusCode"] == 400


def test_with_binding_off_start_sets_no_cookie(api):
    response, _ = _start(api)
    assert "cookies" not in response
    assert "Set-Cookie" not in response["headers"]


def test_with_binding_off_a_callback_without_a_cookie_connects(api):
    _, callback = _start(api)
    assert location_query(api.callback("zendesk", callback))["status"] == ["active"]
