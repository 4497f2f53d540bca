"""Fresh tokens for internal callers: warm reads, refresh, one refresher at a time, failures, idle refresh.

The provider is an httpx.MockTransport (GitLab's entry: rotating refresh tokens,
client_secret_post, a revocation endpoint); DynamoDB and KMS are moto.
"""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from byoc.aws import crypto
from byoc.aws.items import connection_key
from byoc.errors import (
    IntegrationNotConfigured,
    InvalidRequest,
    ProviderUnavailable,
    ReconnectRequired,
    UnsafeUrl,
)
from byoc.settings import get_settings
from tests.helpers import FakeLambdaContext, load_function
from tests.support.api import location_query
from tests.support.tokens import (
    DAY,
    GITLAB,
    HOUR,
    Sleeps,
    TokenEndpoint,
    after_expiry,
    aws_calls,
    concurrent_reads,
    fresh,
    record,
    service,
    soon_expiring,
    store,
)

ZENDESK = {"client_id": "zd-client-1234", "client_secret": "zd-secret-VERY-SECRET", "subdomain": "acme"}


@pytest.fixture
def endpoint(provider_mock: Any) -> TokenEndpoint:
    token_endpoint = TokenEndpoint()
    provider_mock.responder = token_endpoint
    return token_endpoint


@pytest.fixture
def connected(api: Any, endpoint: TokenEndpoint) -> float:
    """org-1 connected to GitLab; returns when."""
    api.save("gitlab", GITLAB)
    connected_at = time.time()
    assert location_query(api.connect("gitlab"))["status"] == ["active"]
    return connected_at


# Reading ---------------------------------------------------------------------------


def test_a_fresh_token_is_handed_out_with_its_type_expiry_scopes_and_metadata(connected, endpoint):
    # When a service asks for the token of a connection made a moment ago
    token = service().get_token("org-1", "gitlab")
    # Then it gets the stored token as it is, without any refresh
    assert token["access_token"] == "at-0"
    assert token["token_type"] == "Bearer"
    assert connected + HOUR - 5 <= token["expires_at"] <= time.time() + HOUR
    assert token["scopes"] == ["read_user", "api"]
    assert token["metadata"] == {}
    assert endpoint.refreshes == []


def test_a_warm_read_costs_one_dynamodb_read_and_no_kms_call(connected):
    # Given a container that has read the token once (the data key is cached)
    tokens = service()
    tokens.get_token("org-1", "gitlab")
    # When it reads it again
    with aws_calls() as calls:
        tokens.get_token("org-1", "gitlab")
    # Then that is one GetItem and nothing else
    assert calls == ["dynamodb:GetItem"]


def test_the_first_read_in_a_fresh_container_decrypts_the_data_key_once(connected):
    # Given an empty data key cache (a new container)
    crypto.DATA_KEY_CACHE.clear()
    # When the token is read
    with aws_calls() as calls:
        service().get_token("org-1", "gitlab")
    # Then one GetItem and one Decrypt
    assert calls == ["dynamodb:GetItem", "kms:Decrypt"]


def test_an_unconfigured_integration_is_integration_not_configured(aws_env, provider_mock):
    with pytest.raises(IntegrationNotConfigured):
        service().get_token("org-1", "gitlab")


def test_saved_credentials_without_a_connection_are_integration_not_configured(api, endpoint):
    api.save("gitlab", GITLAB)
    with pytest.raises(IntegrationNotConfigured):
        service().get_token("org-1", "gitlab")


def test_an_unknown_provider_is_an_invalid_request(aws_env, provider_mock):
    with pytest.raises(InvalidRequest):
        service().get_token("org-1", "no-such-provider")


def test_a_provider_without_oauth_is_an_invalid_request(aws_env, provider_mock):
    with pytest.raises(InvalidRequest):
        service().get_token("org-1", "sendgrid")


def test_another_orgs_connection_is_never_handed_out(connected):
    with pytest.raises(IntegrationNotConfigured):
        service().get_token("org-2", "gitlab")


# Refreshing ------------------------------------------------------------------------


def test_a_token_expiring_within_the_margin_is_refreshed_with_the_orgs_own_client(connected, endpoint):
    # When the token is read five minutes before it expires
    token = service(at=soon_expiring(connected)).get_token("org-1", "gitlab")
    # Then it was refreshed with the org's client id and secret and the stored refresh token
    assert token["access_token"] == "at-1"
    (form,) = endpoint.refreshes
    assert form == {
        "grant_type": "refresh_token",
        "refresh_token": "rt-0",
        "client_id": "gl-client-123456",
        "client_secret": "gl-secret-VERY-SECRET",
    }


def test_a_refreshed_token_is_stored_and_the_next_reader_does_not_refresh_again(connected, endpoint):
    # Given a refresh
    at = soon_expiring(connected)
    service(at=at).get_token("org-1", "gitlab")
    # When another reader comes a moment later
    token = service(at=at + 1).get_token("org-1", "gitlab")
    # Then it gets the new token from the store
    assert token["access_token"] == "at-1"
    assert token["expires_at"] == int(at) + HOUR
    assert len(endpoint.refreshes) == 1
    stored = record()
    assert stored.last_refreshed_at == int(at) and stored.lease_until is None and stored.status == "active"


def test_a_refresh_answer_without_a_refresh_token_keeps_the_old_one(connected, endpoint):
    # Given a provider that does not send a new refresh token
    endpoint.refresh_answers = [lambda n: fresh(n, refresh_token=None)]
    at = soon_expiring(connected)
    service(at=at).get_token("org-1", "gitlab")
    # When the new token is due in turn
    service(at=at + HOUR - 60).get_token("org-1", "gitlab")
    # Then the second refresh still used the original refresh token
    assert [form["refresh_token"] for form in endpoint.refreshes] == ["rt-0", "rt-0"]
    assert record().has_refresh_token is True


def test_a_rotated_refresh_token_is_used_for_the_next_refresh(connected, endpoint):
    at = soon_expiring(connected)
    service(at=at).get_token("org-1", "gitlab")
    service(at=at + HOUR - 60).get_token("org-1", "gitlab")
    assert [form["refresh_token"] for form in endpoint.refreshes] == ["rt-0", "rt-1"]


def test_a_token_without_expires_in_is_not_refreshed_while_young(api, endpoint):
    # Given a provider that sent no expires_in
    del endpoint.exchange["expires_in"]
    api.save("gitlab", GITLAB)
    connected = time.time()
    api.connect("gitlab")
    # When it is read well within the default lifetime (an hour)
    token = service(at=connected + HOUR - 600).get_token("org-1", "gitlab")
    # Then it is handed out as it is, with no known expiry
    assert token["access_token"] == "at-0" and token["expires_at"] is None
    assert endpoint.refreshes == []


def test_a_token_without_expires_in_is_refreshed_near_the_end_of_the_default_lifetime(api, endpoint):
    del endpoint.exchange["expires_in"]
    api.save("gitlab", GITLAB)
    connected = time.time()
    api.connect("gitlab")
    token = service(at=connected + HOUR - 200).get_token("org-1", "gitlab")
    assert token["access_token"] == "at-1"
    assert len(endpoint.refreshes) == 1


def test_a_refresh_token_without_any_time_information_is_refreshed(connected, endpoint, aws_env):
    # Given a record that says nothing about when its token was obtained or expires
    aws_env.dynamodb.update_item(
        TableName=aws_env.table_name,
        Key=connection_key("org-1", "gitlab"),
        UpdateExpression="REMOVE token_expires_at, last_refreshed_at",
    )
    # When it is read
    token = service().get_token("org-1", "gitlab")
    # Then it is refreshed rather than trusted forever
    assert token["access_token"] == "at-1"


def test_a_refresh_uses_the_client_secret_saved_last(connected, api, endpoint):
    # Given a rotated client secret (same client id: the tokens are kept, under the old data key)
    api.save("gitlab", {**GITLAB, "client_secret": "gl-rotated-secret"})
    # When the token is refreshed
    service(at=soon_expiring(connected)).get_token("org-1", "gitlab")
    # Then the new secret was sent
    assert endpoint.refreshes[0]["client_secret"] == "gl-rotated-secret"


# Failures --------------------------------------------------------------------------


def test_invalid_grant_sets_error_with_the_reason_and_asks_to_reconnect(connected, endpoint):
    # Given a grant the provider revoked
    endpoint.refresh_answers = [lambda n: httpx.Response(400, json={"error": "invalid_grant"})]
    # When the token is due
    with pytest.raises(ReconnectRequired):
        service(at=soon_expiring(connected)).get_token("org-1", "gitlab")
    # Then the connection is in error with the reason, and no longer idle-refreshable
    stored = record()
    assert (stored.status, stored.status_reason) == ("error", "invalid_grant")
    assert stored.lease_until is None
    assert len(endpoint.refreshes) == 1


def test_after_invalid_grant_readers_get_reconnect_required_without_a_provider_call(connected, endpoint):
    endpoint.refresh_answers = [lambda n: httpx.Response(400, json={"error": "invalid_grant"})]
    at = soon_expiring(connected)
    with pytest.raises(ReconnectRequired):
        service(at=at).get_token("org-1", "gitlab")
    with pytest.raises(ReconnectRequired):
        service(at=at + 60).get_token("org-1", "gitlab")
    assert len(endpoint.refreshes) == 1


def test_reconnecting_after_invalid_grant_makes_the_token_readable_again(connected, api, endpoint):
    endpoint.refresh_answers = [lambda n: httpx.Response(400, json={"error": "invalid_grant"})]
    with pytest.raises(ReconnectRequired):
        service(at=soon_expiring(connected)).get_token("org-1", "gitlab")
    assert location_query(api.connect("gitlab"))["status"] == ["active"]
    assert service().get_token("org-1", "gitlab")["access_token"] == "at-0"


def test_a_503_then_200_is_retried_after_a_jittered_backoff(connected, endpoint):
    # Given a provider that fails once
    endpoint.refresh_answers = [lambda n: httpx.Response(503), fresh]
    sleeps = Sleeps()
    # When the token is due
    token = service(at=soon_expiring(connected), sleep=sleeps, jitter=lambda: 0.5).get_token(
        "org-1", "gitlab"
    )
    # Then the second attempt's token is handed out after one backoff pause
    assert token["access_token"] == "at-2"
    assert [form["refresh_token"] for form in endpoint.refreshes] == ["rt-0", "rt-0"]
    assert sleeps == [pytest.approx(0.375)]


def test_a_retry_after_header_is_honoured(connected, endpoint):
    endpoint.refresh_answers = [lambda n: httpx.Response(429, headers={"Retry-After": "2"}), fresh]
    sleeps = Sleeps()
    service(at=soon_expiring(connected), sleep=sleeps).get_token("org-1", "gitlab")
    assert sleeps == [2.0]


def test_a_retry_after_beyond_the_time_budget_is_not_waited_for(connected, endpoint):
    endpoint.refresh_answers = [lambda n: httpx.Response(503, headers={"Retry-After": "120"})]
    sleeps = Sleeps()
    with pytest.raises(ProviderUnavailable):
        service(at=after_expiry(connected), sleep=sleeps).get_token("org-1", "gitlab")
    assert sleeps == [] and len(endpoint.refreshes) == 1


def test_no_retry_is_started_that_could_not_finish_within_the_time_budget(connected, endpoint):
    # Given provider calls that may each take longer than the refresh's whole time budget
    endpoint.refresh_answers = [lambda n: httpx.Response(503)]
    tokens = service(at=after_expiry(connected), attempt_timeout_seconds=30.0)
    # When the provider fails
    with pytest.raises(ProviderUnavailable):
        tokens.get_token("org-1", "gitlab")
    # Then it was not called again
    assert len(endpoint.refreshes) == 1


def test_a_provider_that_stays_down_gives_provider_unavailable_and_leaves_the_status(connected, endpoint):
    # Given a provider answering 502 to every refresh and a token that has expired
    endpoint.refresh_answers = [lambda n: httpx.Response(502)]
    # When it is read
    with pytest.raises(ProviderUnavailable):
        service(at=after_expiry(connected)).get_token("org-1", "gitlab")
    # Then a few attempts were made, the status is untouched and the lease is free again
    assert len(endpoint.refreshes) == 3
    stored = record()
    assert (stored.status, stored.status_reason) == ("active", None)
    assert stored.lease_until is None


def test_a_timeout_is_retried_like_a_5xx(connected, endpoint):
    def timeout(number: int) -> httpx.Response:
        raise httpx.ReadTimeout("slow")

    endpoint.refresh_answers = [timeout, fresh]
    tokens = service(at=soon_expiring(connected), attempt_timeout_seconds=1.0)
    assert tokens.get_token("org-1", "gitlab")["access_token"] == "at-2"


def test_a_still_valid_token_is_handed_out_while_the_provider_is_down(connected, endpoint):
    endpoint.refresh_answers = [lambda n: httpx.Response(503)]
    token = service(at=soon_expiring(connected)).get_token("org-1", "gitlab")
    assert token["access_token"] == "at-0"
    assert record().status == "active"


def test_an_expired_token_without_refresh_token_needs_reconnecting(api, endpoint):
    # Given a provider that issued no refresh token
    del endpoint.exchange["refresh_token"]
    api.save("gitlab", GITLAB)
    connected = time.time()
    api.connect("gitlab")
    # When the token has expired
    with pytest.raises(ReconnectRequired):
        service(at=after_expiry(connected)).get_token("org-1", "gitlab")
    # Then the connection says so
    assert (record().status, record().status_reason) == ("error", "token_expired")


def test_a_token_without_refresh_token_is_handed_out_until_it_expires(api, endpoint):
    del endpoint.exchange["refresh_token"]
    api.save("gitlab", GITLAB)
    connected = time.time()
    api.connect("gitlab")
    token = service(at=soon_expiring(connected)).get_token("org-1", "gitlab")
    assert token["access_token"] == "at-0"
    assert endpoint.refreshes == []


def test_tokens_dropped_during_a_refresh_are_revoked_and_never_written(connected, endpoint):
    # Given an admin who drops the tokens while a refresh is at the provider
    endpoint.on_refresh = lambda: store().drop_tokens("org-1", "gitlab")
    # When the refresh comes back
    with pytest.raises(IntegrationNotConfigured):
        service(at=soon_expiring(connected)).get_token("org-1", "gitlab")
    # Then its tokens were revoked and the record holds none
    assert {form["token"] for form in endpoint.revocations} == {"at-1", "rt-1"}
    stored = record()
    assert stored.tokens is None and stored.status == "pending_setup"


def test_a_secret_rotated_during_a_refresh_keeps_the_fresh_tokens(api, connected, endpoint):
    # Given an admin who saves a new client secret (same client id) while a refresh is at the provider
    endpoint.on_refresh = lambda: api.save("gitlab", {**GITLAB, "client_secret": "gl-secret-ROTATED"})
    # When the refresh comes back
    token = service(at=soon_expiring(connected)).get_token("org-1", "gitlab")
    # Then the fresh tokens are kept (the provider already retired rt-0), none is revoked
    assert token["access_token"] == "at-1"
    assert endpoint.revocations == []
    endpoint.on_refresh = None
    assert (
        service(at=soon_expiring(connected) + 2 * HOUR).get_token("org-1", "gitlab")["access_token"] == "at-2"
    )
    assert endpoint.refreshes[-1]["refresh_token"] == "rt-1"
    assert endpoint.refreshes[-1]["client_secret"] == "gl-secret-ROTATED"


def test_another_app_saved_during_a_refresh_drops_and_revokes_the_fresh_tokens(api, connected, endpoint):
    endpoint.on_refresh = lambda: api.save("gitlab", {**GITLAB, "client_id": "gl-other-app-999"})
    with pytest.raises(IntegrationNotConfigured):
        service(at=soon_expiring(connected)).get_token("org-1", "gitlab")
    assert {"at-1", "rt-1"} <= {form["token"] for form in endpoint.revocations}
    assert record().tokens is None


def test_a_forced_refresh_replaces_a_refused_token_once_per_version(api, connected, endpoint):
    # Given a service whose fresh token (not due) was refused by the provider with a 401
    first = service().get_token("org-1", "gitlab")
    assert first["access_token"] == "at-0" and endpoint.refreshes == []
    # When it asks again with force_refresh and the version it holds
    forced = service().get_token("org-1", "gitlab", force_refresh=True, seen_version=first["token_version"])
    # Then the token is refreshed once, and a new version handed out
    assert forced["access_token"] == "at-1" and forced["token_version"] > first["token_version"]
    # And others refused with the same old version get the new token, without another refresh
    again = service().get_token("org-1", "gitlab", force_refresh=True, seen_version=first["token_version"])
    assert again["access_token"] == "at-1"
    assert len(endpoint.refreshes) == 1


def test_the_token_function_takes_force_refresh(api, connected, endpoint):
    app = load_function("get_token")
    first = app.lambda_handler({"org_id": "org-1", "provider": "gitlab"}, FakeLambdaContext())
    event = {
        "org_id": "org-1",
        "provider": "gitlab",
        "force_refresh": True,
        "token_version": first["token_version"],
    }
    assert app.lambda_handler(event, FakeLambdaContext())["access_token"] == "at-1"
    assert len(endpoint.refreshes) == 1


# One refresher at a time -----------------------------------------------------------


def test_a_reader_that_finds_a_live_lease_waits_for_that_refresh_instead_of_refreshing(connected, endpoint):
    # Given another container holding the lease of the due connection
    at = soon_expiring(connected)
    assert store().take_lease(record(), owner="other", until=int(at) + 30, now=int(at))
    other = service(at=at)
    other_tokens: list[str] = []

    def other_container_finishes(seconds: float) -> None:
        store().release_lease("org-1", "gitlab", owner="other")
        other_tokens.append(other.get_token("org-1", "gitlab")["access_token"])

    # When a reader comes meanwhile (the other container finishes while it waits)
    token = service(at=at, sleep=other_container_finishes).get_token("org-1", "gitlab")
    # Then the reader got the other container's token and made no refresh of its own
    assert other_tokens == ["at-1"]
    assert token["access_token"] == "at-1"
    assert len(endpoint.refreshes) == 1


def test_a_reader_whose_lease_holder_gives_up_makes_no_refresh_of_its_own(connected, endpoint):
    at = after_expiry(connected)
    assert store().take_lease(record(), owner="other", until=int(at) + 30, now=int(at))

    def holder_gives_up(seconds: float) -> None:
        store().release_lease("org-1", "gitlab", owner="other")

    with pytest.raises(ProviderUnavailable):
        service(at=at, sleep=holder_gives_up).get_token("org-1", "gitlab")
    assert endpoint.refreshes == []


def test_a_reader_waits_a_bounded_time_for_a_lease_holder(connected, endpoint):
    # Given a holder that never finishes, and a token still valid for a minute
    at = soon_expiring(connected)
    assert store().take_lease(record(), owner="other", until=int(at) + 30, now=int(at))
    elapsed = [0.0]
    sleeps = Sleeps()

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        elapsed[0] += seconds

    tokens = service(at=at, sleep=sleep, monotonic=lambda: elapsed[0], wait_seconds=3.0)
    # When a reader comes
    token = tokens.get_token("org-1", "gitlab")
    # Then it gives up waiting after about the wait time, with the still-valid token
    assert token["access_token"] == "at-0"
    assert 3.0 <= sum(sleeps) < 5.0
    assert endpoint.refreshes == []


def test_a_crashed_holders_lease_lapses_and_the_next_reader_refreshes(connected, endpoint):
    at = soon_expiring(connected)
    assert store().take_lease(record(), owner="crashed", until=int(at) - 1, now=int(at) - 31)
    token = service(at=at).get_token("org-1", "gitlab")
    assert token["access_token"] == "at-1"


def test_many_concurrent_readers_of_an_expiring_token_make_exactly_one_refresh(connected, endpoint):
    # Given twenty readers in as many threads (containers), all at the same moment
    at = soon_expiring(connected)
    readers = 20
    # When they all ask for the token (moto serialized like DynamoDB's item writes)
    results = concurrent_reads(lambda: service(at=at, sleep=time.sleep), "org-1", "gitlab", readers)
    # Then one refresh was made and every reader has its token
    assert len(endpoint.refreshes) == 1
    assert results == ["at-1"] * readers


# The Lambda functions --------------------------------------------------------------


def test_the_get_token_function_answers_the_token_fields(connected):
    app = load_function("get_token")
    answer = app.lambda_handler({"org_id": "org-1", "provider": "gitlab"}, FakeLambdaContext())
    assert set(answer) == {
        "access_token",
        "token_type",
        "expires_at",
        "use_until",
        "token_version",
        "scopes",
        "metadata",
    }
    assert answer["access_token"] == "at-0"
    # Refreshed (and perhaps revoked by a rotating provider) from the margin before expiry on.
    assert answer["use_until"] == answer["expires_at"] - 300


@pytest.mark.parametrize(
    ("event", "code"),
    [
        ({"org_id": "org-2", "provider": "gitlab"}, "integration_not_configured"),
        ({"org_id": "org-1", "provider": "nope"}, "invalid_request"),
        ({"org_id": "org-1"}, "invalid_request"),
        ({"org_id": "org 1", "provider": "gitlab"}, "invalid_request"),
        ({"org_id": "org-1", "provider": "gitlab", "extra": 1}, "invalid_request"),
        (["org-1", "gitlab"], "invalid_request"),
    ],
)
def test_the_get_token_function_answers_an_error_code(connected, event, code):
    app = load_function("get_token")
    answer = app.lambda_handler(event, FakeLambdaContext())
    assert answer["error"]["code"] == code
    assert "access_token" not in answer


def test_the_get_token_function_answers_reconnect_required_after_invalid_grant(connected, endpoint, aws_env):
    endpoint.refresh_answers = [lambda n: httpx.Response(400, json={"error": "invalid_grant"})]
    with pytest.raises(ReconnectRequired):
        service(at=soon_expiring(connected)).get_token("org-1", "gitlab")
    app = load_function("get_token")
    answer = app.lambda_handler({"org_id": "org-1", "provider": "gitlab"}, FakeLambdaContext())
    assert answer == {
        "error": {
            "code": "reconnect_required",
            "message": "The grant was revoked, expired or already used. Reconnect the integration.",
            "retryable": False,
        }
    }


def test_a_connection_that_never_connected_says_so_when_asked_for_a_token(api, endpoint):
    # Given an app the provider refuses at the code exchange (a wrong client secret)
    endpoint.exchange = {"error": "invalid_client"}
    api.save("gitlab", GITLAB)
    api.connect("gitlab")
    # When a service asks for its token
    answer = load_function("get_token").lambda_handler(
        {"org_id": "org-1", "provider": "gitlab"}, FakeLambdaContext()
    )
    # Then the answer says connecting failed, and why: not that a grant was revoked
    assert answer["error"]["code"] == "reconnect_required"
    assert answer["error"]["message"].startswith(
        "Connecting failed: The provider refused the client id or secret."
    )
    assert "revoked" not in answer["error"]["message"]


def test_the_get_token_function_answers_provider_unavailable(connected, endpoint, aws_env):
    # Given an expired token and a provider that is down
    endpoint.refresh_answers = [lambda n: httpx.Response(503)]
    aws_env.dynamodb.update_item(
        TableName=aws_env.table_name,
        Key=connection_key("org-1", "gitlab"),
        UpdateExpression="SET token_expires_at = :past",
        ExpressionAttributeValues={":past": {"N": str(int(time.time()) - 10)}},
    )
    app = load_function("get_token")
    answer = app.lambda_handler({"org_id": "org-1", "provider": "gitlab"}, FakeLambdaContext())
    assert answer["error"]["code"] == "provider_unavailable"


# Idle connections ------------------------------------------------------------------


def age(aws_env: Any, org: str, days: int, provider: str = "gitlab") -> None:
    """Pretend ``org``'s connection was last refreshed ``days`` ago (with the default 14 idle days)."""
    then = int(time.time()) - days * DAY
    aws_env.dynamodb.update_item(
        TableName=aws_env.table_name,
        Key=connection_key(org, provider),
        UpdateExpression="SET last_refreshed_at = :then, next_attempt_at = :due",
        ExpressionAttributeValues={":then": {"N": str(then)}, ":due": {"N": str(then + 14 * DAY)}},
    )


def connect(api: Any, org: str) -> None:
    api.save("gitlab", GITLAB, org=org)
    assert location_query(api.connect("gitlab", org=org))["status"] == ["active"]


def run_idle_job(monkeypatch: pytest.MonkeyPatch, days: int = 14, batch: int = 50) -> dict[str, int]:
    monkeypatch.setenv("IDLE_REFRESH_DAYS", str(days))
    monkeypatch.setenv("IDLE_REFRESH_BATCH_SIZE", str(batch))
    get_settings.cache_clear()  # a new container would read them: settings are read once per container
    return load_function("refresh_idle").lambda_handler({}, FakeLambdaContext())


def test_the_idle_job_refreshes_connections_idle_longer_than_the_setting(api, endpoint, aws_env, monkeypatch):
    # Given one connection idle for 20 days and one refreshed 3 days ago
    connect(api, "org-1")
    connect(api, "org-2")
    age(aws_env, "org-1", 20)
    age(aws_env, "org-2", 3)
    # When the scheduled job runs (14 days)
    summary = run_idle_job(monkeypatch, days=14)
    # Then only the idle one was refreshed
    assert summary["refreshed"] == 1
    assert [form["refresh_token"] for form in endpoint.refreshes] == ["rt-0"]
    assert record("org-1").last_refreshed_at >= int(time.time()) - 5
    assert record("org-2").last_refreshed_at < int(time.time()) - 2 * DAY


def test_the_idle_job_handles_at_most_its_batch_size(api, endpoint, aws_env, monkeypatch):
    for org in ("org-1", "org-2", "org-3"):
        connect(api, org)
        age(aws_env, org, 30)
    summary = run_idle_job(monkeypatch, batch=2)
    assert summary["found"] == 2 and summary["refreshed"] == 2
    assert len(endpoint.refreshes) == 2


def test_the_idle_job_marks_a_revoked_grant_as_error(api, endpoint, aws_env, monkeypatch):
    connect(api, "org-1")
    age(aws_env, "org-1", 30)
    endpoint.refresh_answers = [lambda n: httpx.Response(400, json={"error": "invalid_grant"})]
    summary = run_idle_job(monkeypatch)
    assert summary["failed"] == 1
    assert (record().status, record().status_reason) == ("error", "invalid_grant")


def test_the_idle_job_skips_a_connection_being_refreshed(api, endpoint, aws_env, monkeypatch):
    connect(api, "org-1")
    age(aws_env, "org-1", 30)
    now = int(time.time())
    assert store().take_lease(record(), owner="other", until=now + 30, now=now)
    summary = run_idle_job(monkeypatch)
    assert summary["skipped"] == 1 and endpoint.refreshes == []


def test_a_dead_provider_never_blocks_the_queue_for_other_orgs(
    api, endpoint, provider_mock, aws_env, monkeypatch, caplog
):
    # Given six GitLab connections due first, GitLab down, and one Zendesk connection due after them
    for number in range(6):
        connect(api, f"org-dead-{number}")
        age(aws_env, f"org-dead-{number}", 40 - number)
    api.save("zendesk", ZENDESK, org="org-healthy")
    api.connect("zendesk", org="org-healthy")
    age(aws_env, "org-healthy", 20, provider="zendesk")

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.host == "gitlab.com":  # down, and asking for more time than a run has
            return httpx.Response(503, headers={"Retry-After": "120"})
        return endpoint(request)

    provider_mock.responder = answer
    # When the job runs with a batch of three
    first = run_idle_job(monkeypatch, batch=3)
    # Then GitLab's failures stop after two tries and the rest of its batch is deferred
    assert first == {"found": 3, "refreshed": 0, "skipped": 0, "deferred": 3, "failed": 0}
    tried = [r for r in caplog.records if r.getMessage() == "refresh failed"]
    assert len(tried) == 2  # the third was deferred without a call
    # And the next runs reach the healthy org instead of retrying the dead host first
    second = run_idle_job(monkeypatch, batch=3)
    third = run_idle_job(monkeypatch, batch=3)
    assert second["deferred"] == 3 and third["refreshed"] == 1
    healthy = store().get_connection("org-healthy", "zendesk")
    assert healthy is not None and healthy.last_refreshed_at >= int(time.time()) - 5
    # And the dead ones come back after a backoff, not at once
    deferred = record("org-dead-0")
    assert deferred.refresh_failures >= 1 and deferred.status == "active"


def test_a_record_of_the_previous_release_in_the_old_idle_index_is_still_refreshed(
    api, endpoint, aws_env, monkeypatch
):
    # Given a record as the previous release wrote it: idle_pk set, no queue attributes
    connect(api, "org-old")
    then = int(time.time()) - 30 * DAY
    aws_env.dynamodb.update_item(
        TableName=aws_env.table_name,
        Key=connection_key("org-old", "gitlab"),
        UpdateExpression="SET idle_pk = :p, last_refreshed_at = :then REMOVE refresh_pk, next_attempt_at",
        ExpressionAttributeValues={":p": {"S": "oauth"}, ":then": {"N": str(then)}},
    )
    # When the job runs
    assert run_idle_job(monkeypatch)["refreshed"] == 1
    # Then it is refreshed, and moved from the old index to the queue
    item = aws_env.dynamodb.get_item(TableName=aws_env.table_name, Key=connection_key("org-old", "gitlab"))[
        "Item"
    ]
    assert "idle_pk" not in item and item["refresh_pk"] == {"S": "oauth"}
    assert int(item["next_attempt_at"]["N"]) > int(time.time()) + 13 * DAY


def test_a_refresh_host_refused_now_leaves_the_status_and_answers_the_documented_error(connected, endpoint):
    def refuse(number: int) -> httpx.Response:
        raise UnsafeUrl()

    endpoint.refresh_answers = [refuse]
    assert service(at=soon_expiring(connected)).get_token("org-1", "gitlab")["access_token"] == "at-0"
    with pytest.raises(ProviderUnavailable):
        service(at=after_expiry(connected)).get_token("org-1", "gitlab")
    assert record().status == "active"


def test_a_refusal_of_a_grant_replaced_meanwhile_hands_out_the_current_token(connected, api, endpoint):
    # While our refresh is at the provider, the org reconnects (new tokens, new version);
    # the provider then refuses the old refresh token: the caller gets the new token.
    def reconnect_then_refuse(number: int) -> httpx.Response:
        endpoint.exchange = {**endpoint.exchange, "access_token": "at-reconnected", "refresh_token": "rt-r"}
        assert location_query(api.connect("gitlab"))["status"] == ["active"]
        return httpx.Response(400, json={"error": "invalid_grant"})

    endpoint.refresh_answers = [reconnect_then_refuse]
    token = service(at=soon_expiring(connected)).get_token("org-1", "gitlab")
    assert token["access_token"] == "at-reconnected"
    assert record().status == "active"


def test_a_refused_refresh_leaves_a_message_beside_its_reason(connected, endpoint):
    from byoc.model import REASONS

    endpoint.refresh_answers = [lambda n: httpx.Response(400, json={"error": "invalid_grant"})]
    with pytest.raises(ReconnectRequired):
        service(at=soon_expiring(connected)).get_token("org-1", "gitlab")
    assert record().status_message == REASONS["invalid_grant"].message
