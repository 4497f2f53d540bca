"""Each org chooses the scopes its app asks for: saved with the credentials, checked, used by start,
shown with what the provider granted, and flagged when the grant was asked for something else."""

from __future__ import annotations

from urllib.parse import urlencode

import httpx
import pytest

from tests.helpers import body_of
from tests.support.api import location_query

ZENDESK = {"client_id": "zd-client-1234", "client_secret": "zd-secret-VERY-SECRET", "subdomain": "acme"}
SLACK = {"client_id": "1234.5678", "client_secret": "slack-secret-VERY-SECRET"}
OIDC_ISSUER = "https://idp.example.com"


def asked(api, provider: str) -> dict[str, str]:
    _, query = api.authorize(provider)
    return {k: v[0] for k, v in query.items() if k in ("scope", "user_scope")}


def connect(api, provider: str, token_answer: dict | None = None, provider_mock=None) -> None:
    if token_answer is not None:
        provider_mock.responder = lambda request: httpx.Response(200, json=token_answer)
    _, query = api.authorize(provider)
    answer = api.callback(provider, urlencode({"code": "the-code", "state": query["state"][0]}))
    assert location_query(answer)["status"] == ["active"]


def test_a_new_record_asks_for_the_entrys_default_scopes(api):
    assert api.save("zendesk", ZENDESK)["statusCode"] == 200
    assert asked(api, "zendesk") == {"scope": "read"}
    assert api.integration("zendesk")["scopes"] == ["read"]


def test_the_orgs_choice_is_what_start_asks_for_and_what_the_view_shows(api):
    saved = api.save("zendesk", ZENDESK, scopes=["read", "write", "tickets:read"])
    assert saved["statusCode"] == 200, saved["body"]
    assert body_of(saved)["scopes"] == ["read", "write", "tickets:read"]
    assert asked(api, "zendesk") == {"scope": "read write tickets:read"}


def test_saving_again_without_scopes_keeps_the_saved_choice(api):
    api.save("zendesk", ZENDESK, scopes=["write"])
    api.save("zendesk", {**ZENDESK, "client_secret": "zd-secret-ROTATED"})
    assert asked(api, "zendesk") == {"scope": "write"}


def test_an_empty_choice_asks_for_no_scope_at_all(api):
    api.save("zendesk", ZENDESK, scopes=[])
    assert asked(api, "zendesk") == {}


@pytest.mark.parametrize(
    "scopes",
    [
        ["has space"],
        ['quote"d'],
        ["back\\slash"],
        ["é"],
        ["x" * 257],
        [f"s{i}" for i in range(101)],
        "read write",  # a string, not a list
        [1],
    ],
)
def test_a_scope_that_is_not_a_scope_token_is_a_422_naming_the_field(api, scopes):
    answer = api.save("zendesk", ZENDESK, scopes=scopes)
    assert answer["statusCode"] in (400, 422), answer["body"]
    body = body_of(answer)
    if answer["statusCode"] == 422:
        assert set(body["error"]["details"]["fields"]) == {"scopes"}
    assert api.integration("zendesk") is None  # nothing was written


def test_the_separator_cannot_hide_inside_a_scope(api):
    answer = api.save("slack", SLACK, scopes=["chat:write,admin"])
    assert answer["statusCode"] == 422
    assert "scopes" in body_of(answer)["error"]["details"]["fields"]


def test_a_key_based_provider_takes_no_scopes(api):
    answer = api.save("sendgrid", {"api_key": "SG.abc-DEF_123.ghi-JKL_456"}, scopes=["mail.send"])
    assert answer["statusCode"] == 422
    assert set(body_of(answer)["error"]["details"]["fields"]) == {"scopes"}


def test_slack_asks_for_user_scopes_as_user_scope(api):
    saved = api.save("slack", SLACK, scopes=["channels:read"], user_scopes=["search:read", "users:read"])
    assert saved["statusCode"] == 200, saved["body"]
    assert asked(api, "slack") == {"scope": "channels:read", "user_scope": "search:read,users:read"}
    view = api.integration("slack")
    assert view["user_scopes"] == ["search:read", "users:read"]


def test_user_scopes_are_refused_where_the_entry_has_none(api):
    answer = api.save("zendesk", ZENDESK, user_scopes=["x"])
    assert answer["statusCode"] == 422
    assert set(body_of(answer)["error"]["details"]["fields"]) == {"user_scopes"}


def test_the_generic_entries_scopes_credential_is_an_alias_added_to_the_defaults(api, provider_mock):
    provider_mock.responder = lambda request: httpx.Response(
        200,
        json={
            "issuer": OIDC_ISSUER,
            "authorization_endpoint": f"{OIDC_ISSUER}/authorize",
            "token_endpoint": f"{OIDC_ISSUER}/token",
            "response_types_supported": ["code"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic"],
        },
    )
    credentials = {
        "client_id": "oidc-client",
        "client_secret": "oidc-secret-VERY-SECRET",
        "issuer": OIDC_ISSUER,
        "scopes": "profile email",
    }
    saved = api.save("generic_oidc", credentials)
    assert saved["statusCode"] == 200, saved["body"]
    assert asked(api, "generic_oidc") == {"scope": "openid profile email"}  # openid is always asked


def test_changing_scopes_on_an_active_connection_keeps_it_active_and_asks_to_authorize_again(
    api, provider_mock
):
    # Given a connection granted what it asked for
    api.save("zendesk", ZENDESK)
    connect(api, "zendesk")
    assert api.integration("zendesk")["reauthorization_needed"] is False
    # When the org saves other scopes for the same app
    saved = api.save("zendesk", ZENDESK, scopes=["read", "write"])
    # Then it stays active with its tokens, and says the next sign-in asks for the new scopes
    view = body_of(saved)
    assert (view["status"], view["connected"], view["reauthorization_needed"]) == ("active", True, True)
    # ... which, once done, clears the flag
    connect(api, "zendesk")
    assert api.integration("zendesk")["reauthorization_needed"] is False


def test_what_the_provider_granted_is_shown_beside_what_was_asked(api, provider_mock):
    api.save("zendesk", ZENDESK, scopes=["read", "write"])
    connect(
        api,
        "zendesk",
        {"access_token": "at-1", "refresh_token": "rt-1", "expires_in": 3600, "scope": "read"},
        provider_mock,
    )
    view = api.integration("zendesk")
    assert (view["scopes"], view["granted_scopes"]) == (["read", "write"], ["read"])


def test_a_provider_that_does_not_say_what_it_granted_shows_null(api, provider_mock):
    api.save("zendesk", ZENDESK)
    connect(api, "zendesk")
    assert api.integration("zendesk")["granted_scopes"] is None


def test_a_record_of_the_previous_release_needs_no_reauthorization(api, provider_mock, aws_env):
    # Records connected before scope choices existed carry no scopes_asked
    api.save("zendesk", ZENDESK)
    connect(api, "zendesk")
    aws_env.dynamodb.update_item(
        TableName=aws_env.table_name,
        Key={"pk": {"S": "ORG#org-1"}, "sk": {"S": "CONN#zendesk"}},
        UpdateExpression="REMOVE scopes_asked",
    )
    assert api.integration("zendesk")["reauthorization_needed"] is False
