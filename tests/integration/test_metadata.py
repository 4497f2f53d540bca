"""What a connection keeps about the account it reached: named values from the token answer, the
callback and post-connection lookups, shown in the view (never a credential) and handed to the
token function; a required lookup that fails keeps the tokens and is asked again on the next read."""

from __future__ import annotations

from urllib.parse import urlencode

import httpx
import pytest

from byoc.errors import MetadataUnavailable
from byoc.usecases.tokens import get_token
from tests.support.api import location_query

ATLASSIAN = {"client_id": "atl-client-1234", "client_secret": "atl-secret-VERY-SECRET"}
SLACK = {"client_id": "1234.5678", "client_secret": "slack-secret-VERY-SECRET"}
HUBSPOT = {"client_id": "hs-client-1234", "client_secret": "hs-secret-VERY-SECRET"}
TOKEN = {"access_token": "at-123", "refresh_token": "rt-456", "token_type": "Bearer", "expires_in": 3600}
RESOURCES_URL = "https://api.atlassian.com/oauth/token/accessible-resources"
RESOURCES = [
    {"id": "11223344-a1b2-3b33-c444-def123456789", "url": "https://acme.atlassian.net", "name": "acme"},
    {"id": "99999999-0000-0000-0000-000000000000", "url": "https://other.atlassian.net", "name": "other"},
]


class Provider:
    """Token endpoint answers TOKEN; GETs answer from ``gets`` by URL (a callable for failures)."""

    def __init__(self, gets: dict[str, object]):
        self.gets = gets

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            return httpx.Response(200, json=TOKEN)
        answer = self.gets.get(str(request.url).split("?")[0])
        if isinstance(answer, httpx.Response):
            return answer
        return httpx.Response(200, json=answer) if answer is not None else httpx.Response(404)


def connect(api, provider: str) -> dict[str, list[str]]:
    _, query = api.authorize(provider)
    return location_query(api.callback(provider, urlencode({"code": "the-code", "state": query["state"][0]})))


def lookups_made(provider_mock) -> list[httpx.Request]:
    return [r for r in provider_mock.requests if r.method == "GET"]


def test_atlassian_cloud_id_is_looked_up_with_the_new_token_and_shown(api, provider_mock):
    api.save("atlassian", ATLASSIAN)
    provider_mock.responder = Provider({RESOURCES_URL: RESOURCES})

    assert connect(api, "atlassian")["status"] == ["active"]

    (lookup,) = lookups_made(provider_mock)
    assert str(lookup.url) == RESOURCES_URL
    assert lookup.headers["authorization"] == "Bearer at-123"
    assert lookup.headers["accept"] == "application/json"
    expected = {"cloud_id": RESOURCES[0]["id"], "site_url": RESOURCES[0]["url"]}
    assert api.integration("atlassian")["metadata"] == expected
    assert get_token("org-1", "atlassian")["metadata"] == expected


def test_a_failed_required_lookup_keeps_the_tokens_and_the_next_read_asks_again(api, provider_mock):
    api.save("atlassian", ATLASSIAN)
    provider_mock.responder = Provider({RESOURCES_URL: httpx.Response(503)})

    assert connect(api, "atlassian")["status"] == ["error"]
    view = api.integration("atlassian")
    assert (view["status"], view["status_reason"], view["metadata"]) == ("error", "metadata_unavailable", {})

    # Still failing: the reader is told to come back, nothing changes
    with pytest.raises(MetadataUnavailable) as caught:
        get_token("org-1", "atlassian")
    assert caught.value.retryable and caught.value.status == 503
    assert len(provider_mock.token_requests()) == 1  # the tokens were kept: no new exchange, no refresh

    # The provider answers now: the read completes the connection and hands out the token
    provider_mock.responder = Provider({RESOURCES_URL: RESOURCES})
    token = get_token("org-1", "atlassian")
    assert token["access_token"] == "at-123" and token["metadata"]["cloud_id"] == RESOURCES[0]["id"]
    view = api.integration("atlassian")
    assert (view["status"], view["status_reason"]) == ("active", None)
    assert view["metadata"]["cloud_id"] == RESOURCES[0]["id"]
    assert len(lookups_made(provider_mock)) == 3


@pytest.mark.parametrize(
    "answer",
    [
        httpx.Response(200, content=b"<html>not json</html>"),
        httpx.Response(200, json={"id": "not a list"}),
        httpx.Response(200, json=[{"id": {"nested": "object"}}]),
        httpx.Response(200, json=[{"id": "x" * 513}]),
        httpx.Response(200, json=[{"id": "line\r\nbreak"}]),
        httpx.Response(200, json=[]),
        httpx.Response(302, headers={"location": "https://evil.example/"}),
    ],
)
def test_an_unusable_lookup_answer_is_no_value(api, provider_mock, answer):
    api.save("atlassian", ATLASSIAN)
    provider_mock.responder = Provider({RESOURCES_URL: answer})
    outcome = connect(api, "atlassian")
    assert (outcome["status"], outcome["error"]) == (["error"], ["metadata_unavailable"])
    assert api.integration("atlassian")["status_reason"] == "metadata_unavailable"
    assert len(lookups_made(provider_mock)) == 1  # a redirect is not followed


def test_hubspot_token_info_carries_the_token_in_its_path_and_no_authorization(api, provider_mock):
    api.save("hubspot", HUBSPOT)
    url = "https://api.hubapi.com/oauth/v1/access-tokens/at-123"
    provider_mock.responder = Provider({url: {"hub_id": 62515, "hub_domain": "acme.com", "token": "at-123"}})

    assert connect(api, "hubspot")["status"] == ["active"]

    (lookup,) = lookups_made(provider_mock)
    assert str(lookup.url) == url and "authorization" not in lookup.headers
    assert api.integration("hubspot")["metadata"] == {"hub_id": "62515", "hub_domain": "acme.com"}


def test_slack_names_its_values_and_keeps_the_webhook_url_for_the_token_function_only(api, provider_mock):
    api.save("slack", SLACK)
    provider_mock.responder = lambda request: httpx.Response(
        200,
        json={
            "ok": True,
            "access_token": "xoxb-bot",
            "token_type": "bot",
            "bot_user_id": "B1",
            "team": {"id": "T123", "name": "Acme"},
            "incoming_webhook": {"url": "https://hooks.slack.com/services/T/B/SECRET", "channel": "#general"},
        },
    )
    assert connect(api, "slack")["status"] == ["active"]

    view = api.integration("slack")
    assert view["metadata"] == {
        "team_id": "T123",
        "team_name": "Acme",
        "bot_user_id": "B1",
        "incoming_webhook_channel": "#general",
    }
    listed = api.list()["body"]
    assert "hooks.slack.com" not in listed
    token = get_token("org-1", "slack")
    assert token["metadata"]["incoming_webhook_url"] == "https://hooks.slack.com/services/T/B/SECRET"
    assert token["metadata"]["team_id"] == "T123"
