"""The callback's final write is conditioned on the credentials read at start.

If the org saved other credentials, or deleted the connection, while the user was at the
provider, the tokens that arrive belong to an app the org no longer uses: they are not
stored, they are revoked where the provider can, and the browser hears ``credentials_changed``.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode

import httpx

from tests.security.conftest import connection_items
from tests.support.api import form_of, location_query

GOOGLE = {"client_id": "google-client-1", "client_secret": "google-secret-1"}
OTHER_GOOGLE = {"client_id": "google-client-2", "client_secret": "google-secret-2"}
TOKEN_URL = "https://oauth2.googleapis.com/token"
REVOKE_URL = "https://oauth2.googleapis.com/revoke"
TOKENS = {"access_token": "at-arrived-late", "refresh_token": "rt-arrived-late", "expires_in": 3600}


def _started(api) -> str:
    api.save("google", GOOGLE)
    _, query = api.authorize("google")
    return urlencode({"code": "the-code", "state": query["state"][0]})


def _delete_record(aws_env, org: str = "org-1") -> None:
    aws_env.dynamodb.delete_item(
        TableName=aws_env.table_name, Key={"pk": {"S": f"ORG#{org}"}, "sk": {"S": "CONN#google"}}
    )


def _answer(during_exchange=None):
    def respond(request: httpx.Request) -> httpx.Response:
        if str(request.url) == TOKEN_URL:
            if during_exchange:
                during_exchange()
            return httpx.Response(200, json=TOKENS)
        return httpx.Response(200)

    return respond


def _revoked_tokens(provider_mock) -> set[str]:
    return {form_of(r)["token"] for r in provider_mock.requests if str(r.url) == REVOKE_URL}


def test_credentials_saved_again_before_the_callback_stop_the_exchange(api, provider_mock):
    # Given a flow started with the org's first OAuth app
    callback = _started(api)
    # When the org saves another app before the user comes back
    api.save("google", OTHER_GOOGLE)
    response = api.callback("google", callback)
    # Then nothing is exchanged, the browser hears credentials_changed, the new app waits for setup
    assert location_query(response)["error"] == ["credentials_changed"]
    assert provider_mock.token_requests() == []
    assert api.integration("google")["status"] == "pending_setup"


def test_a_connection_deleted_before_the_callback_stops_the_exchange(api, aws_env, provider_mock):
    callback = _started(api)
    _delete_record(aws_env)
    response = api.callback("google", callback)
    assert location_query(response)["error"] == ["credentials_changed"]
    assert provider_mock.token_requests() == []
    assert connection_items(aws_env) == []


def test_tokens_for_credentials_changed_during_the_exchange_are_revoked_not_stored(
    api, aws_env, provider_mock
):
    # Given a flow started with the org's first app
    callback = _started(api)
    # When the org saves another app while the code is being exchanged
    provider_mock.responder = _answer(during_exchange=lambda: api.save("google", OTHER_GOOGLE))
    response = api.callback("google", callback)
    # Then the browser hears credentials_changed, the tokens are revoked and the record holds none
    assert location_query(response)["error"] == ["credentials_changed"]
    assert _revoked_tokens(provider_mock) == {"at-arrived-late", "rt-arrived-late"}
    [record] = connection_items(aws_env)
    assert record["client_id"]["S"] == "google-client-2"
    assert "tokens" not in record and record["status"]["S"] == "pending_setup"


def test_tokens_for_a_connection_deleted_during_the_exchange_are_revoked_and_nothing_is_recreated(
    api, aws_env, provider_mock
):
    callback = _started(api)
    provider_mock.responder = _answer(during_exchange=lambda: _delete_record(aws_env))
    response = api.callback("google", callback)
    assert location_query(response)["error"] == ["credentials_changed"]
    assert _revoked_tokens(provider_mock) == {"at-arrived-late", "rt-arrived-late"}
    assert connection_items(aws_env) == []


def test_revocation_of_late_tokens_uses_the_app_they_were_issued_to(api, provider_mock):
    callback = _started(api)
    provider_mock.responder = _answer(during_exchange=lambda: api.save("google", OTHER_GOOGLE))
    api.callback("google", callback)
    revocations = [r for r in provider_mock.requests if str(r.url) == REVOKE_URL]
    assert revocations
    assert all(parse_qs(r.content.decode())["client_id"] == ["google-client-1"] for r in revocations)


# A rotated secret is the same app (app_fingerprint) ------------------------------------

ROTATED = {**GOOGLE, "client_secret": "google-secret-ROTATED"}


def test_a_secret_rotated_before_the_callback_still_connects_with_the_new_secret(api, provider_mock):
    callback = _started(api)
    api.save("google", ROTATED)
    provider_mock.responder = _answer()
    response = api.callback("google", callback)
    assert location_query(response)["status"] == ["active"]
    [exchange] = provider_mock.token_requests()
    assert form_of(exchange)["client_secret"] == "google-secret-ROTATED"


def test_a_secret_rotated_during_the_exchange_keeps_the_tokens(api, aws_env, provider_mock):
    callback = _started(api)
    provider_mock.responder = _answer(during_exchange=lambda: api.save("google", ROTATED))
    response = api.callback("google", callback)
    assert location_query(response)["status"] == ["active"]
    assert _revoked_tokens(provider_mock) == set()
    [record] = connection_items(aws_env)
    assert record["status"]["S"] == "active" and "tokens" in record


def test_the_fingerprint_ignores_the_secret_and_follows_the_client_id_and_settings():
    from byoc.model import app_fingerprint

    base = app_fingerprint("zendesk", "cid-1", {"subdomain": "acme"})
    assert base == app_fingerprint("zendesk", "cid-1", {"subdomain": "acme", "scopes": "read write"})
    assert base != app_fingerprint("zendesk", "cid-2", {"subdomain": "acme"})
    assert base != app_fingerprint("zendesk", "cid-1", {"subdomain": "other"})
    assert base != app_fingerprint("zendesk-sell", "cid-1", {"subdomain": "acme"})
