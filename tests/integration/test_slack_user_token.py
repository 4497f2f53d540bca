"""Slack issues a bot token and, with user scopes, a user token in one answer; with token rotation
both expire and both refresh. The token function hands out both; a refresh renews both."""

from __future__ import annotations

import time
from urllib.parse import urlencode

import httpx

from byoc import container
from tests.support.api import form_of, location_query

SLACK = {"client_id": "1234.5678", "client_secret": "slack-secret-VERY-SECRET"}


def exchange_answer() -> dict:
    return {
        "ok": True,
        "access_token": "xoxe.xoxb-bot-1",
        "refresh_token": "xoxe-bot-refresh-1",
        "expires_in": 43200,
        "token_type": "bot",
        "scope": "team:read",
        "team": {"id": "T1"},
        "authed_user": {
            "id": "U1",
            "scope": "search:read",
            "access_token": "xoxe.xoxp-user-1",
            "refresh_token": "xoxe-user-refresh-1",
            "expires_in": 3600,
            "token_type": "user",
        },
    }


def refresh_answers(user_status: int = 200):
    def answer(request: httpx.Request) -> httpx.Response:
        form = form_of(request)
        if form.get("grant_type") == "authorization_code":
            return httpx.Response(200, json=exchange_answer())
        if form["refresh_token"] == "xoxe-bot-refresh-1":
            return httpx.Response(
                200,
                json={
                    "ok": True,
                    "access_token": "xoxe.xoxb-bot-2",
                    "refresh_token": "xoxe-bot-refresh-2",
                    "expires_in": 43200,
                    "token_type": "bot",
                },
            )
        if user_status != 200:
            return httpx.Response(user_status, json={"ok": False, "error": "invalid_refresh_token"})
        return httpx.Response(
            200,
            json={
                "ok": True,
                "access_token": "xoxe.xoxp-user-2",
                "refresh_token": "xoxe-user-refresh-2",
                "expires_in": 3600,
                "token_type": "user",
            },
        )

    return answer


def connect(api, provider_mock, user_status: int = 200) -> None:
    api.save("slack", SLACK, user_scopes=["search:read"])
    provider_mock.responder = refresh_answers(user_status)
    _, query = api.authorize("slack")
    answer = api.callback("slack", urlencode({"code": "c", "state": query["state"][0]}))
    assert location_query(answer)["status"] == ["active"]


def test_the_token_function_hands_out_the_user_token_beside_the_bot_token(api, provider_mock):
    connect(api, provider_mock)
    token = container.token_service().get_token("org-1", "slack")
    assert token["access_token"] == "xoxe.xoxb-bot-1"
    assert token["user_access_token"] == "xoxe.xoxp-user-1"
    now = time.time()
    assert now + 3500 < token["user_expires_at"] <= now + 3601
    # The record refreshes by the earlier of the two expiries (the user token's)
    assert token["expires_at"] == token["user_expires_at"]


def test_a_refresh_renews_the_bot_and_the_user_token(api, provider_mock):
    connect(api, provider_mock)
    token = container.token_service().get_token("org-1", "slack", force_refresh=True)
    bot, user = [form_of(r) for r in provider_mock.token_requests()[1:]]
    assert (bot["grant_type"], bot["refresh_token"]) == ("refresh_token", "xoxe-bot-refresh-1")
    assert (user["grant_type"], user["refresh_token"]) == ("refresh_token", "xoxe-user-refresh-1")
    assert (token["access_token"], token["user_access_token"]) == ("xoxe.xoxb-bot-2", "xoxe.xoxp-user-2")
    # and the rotated user refresh token is the one used next time
    container.token_service().get_token(
        "org-1", "slack", force_refresh=True, seen_version=token["token_version"]
    )
    assert form_of(provider_mock.token_requests()[-1])["refresh_token"] == "xoxe-user-refresh-2"


def test_a_refused_user_refresh_keeps_the_renewed_bot_token_and_the_stored_user_token(api, provider_mock):
    connect(api, provider_mock, user_status=400)
    token = container.token_service().get_token("org-1", "slack", force_refresh=True)
    assert token["access_token"] == "xoxe.xoxb-bot-2"  # the rotated bot grant is not lost
    assert token["user_access_token"] == "xoxe.xoxp-user-1"
    view = api.integration("slack")
    assert view["status"] == "active"


def test_a_bot_only_install_has_no_user_token_keys(api, provider_mock):
    api.save("slack", SLACK)
    provider_mock.responder = lambda request: httpx.Response(
        200, json={"ok": True, "access_token": "xoxb-1", "token_type": "bot", "team": {"id": "T1"}}
    )
    _, query = api.authorize("slack")
    api.callback("slack", urlencode({"code": "c", "state": query["state"][0]}))
    token = container.token_service().get_token("org-1", "slack")
    assert "user_access_token" not in token and "user_expires_at" not in token
