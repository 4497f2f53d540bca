"""TokenService's decisions without AWS: when to refresh, backoff, Retry-After, the invoke contract."""

from __future__ import annotations

import email.utils
from typing import Any, cast

import pytest

from byoc.api.invoke import TokenRequest, parse_invoke_event, parse_token_request
from byoc.errors import ConfigurationError, IntegrationNotConfigured, InvalidRequest, ReconnectRequired
from byoc.model import Connection
from byoc.oauth.registry import get_registry
from byoc.oauth.scopes import granted_list
from byoc.settings import Settings
from byoc.usecases.retry import BACKOFF_CAP_SECONDS, retry_after_seconds
from byoc.usecases.retry import backoff as _backoff
from byoc.usecases.tokens import TokenService

NOW = 1_800_000_000
ENV = {
    "TABLE_NAME": "t",
    "KMS_KEY_ID": "k",
    "FRONTEND_URL": "https://app.example.com",
    "ADMIN_CLAIM": "org_role=admin",
}


class Unreachable:
    """A part these tests never reach: any use fails the test."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"unexpected call {name}")


def idle_settings(env: dict[str, str]) -> tuple[int, int]:
    settings = Settings.from_env({**ENV, **env})
    return settings.idle_refresh_days, settings.idle_refresh_batch_size


class OneRecordStore:
    """A store holding one record; any write would fail the test."""

    def __init__(self, connection: Connection | None):
        self.connection = connection
        self.reads = 0

    def get_connection(self, org_id: str, provider: str) -> Connection | None:
        self.reads += 1
        return self.connection

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"unexpected store call {name}")


def tokens(store: Any = None, margin: int = 300, lifetime: int = 3600) -> TokenService:
    settings = Settings.from_env(
        {**ENV, "REFRESH_MARGIN_SECONDS": str(margin), "DEFAULT_TOKEN_LIFETIME_SECONDS": str(lifetime)}
    )
    unused = cast(Any, Unreachable())
    return TokenService(
        settings=settings,
        store=store,
        cipher=unused,
        events=unused,
        registry=get_registry(),
        client=unused,
        revocations=unused,
        clock=lambda: NOW,
    )


def connection(**fields: Any) -> Connection:
    values: dict[str, Any] = {
        "org_id": "org-1",
        "provider": "gitlab",
        "status": "active",
        "credentials_id": "c-1",
        "tokens": b"sealed",
        "has_refresh_token": True,
        "last_refreshed_at": NOW - 600,
        "token_expires_at": NOW - 600 + 3600,
    }
    values.update(fields)
    return Connection(**values)


# When to refresh -----------------------------------------------------------------


def test_a_token_expiring_after_the_margin_is_not_due():
    assert not tokens()._due(connection(token_expires_at=NOW + 301), NOW)


def test_a_token_expiring_within_the_margin_is_due():
    assert tokens()._due(connection(token_expires_at=NOW + 299), NOW)


def test_an_expired_token_is_due():
    assert tokens()._due(connection(token_expires_at=NOW - 1), NOW)


def test_the_margin_is_at_most_half_a_short_lived_tokens_lifetime():
    # A 60-second token obtained 20 seconds ago: due only in its last 30 seconds, not at once
    short = connection(last_refreshed_at=NOW - 20, token_expires_at=NOW + 40)
    assert not tokens()._due(short, NOW)
    assert tokens()._due(short, NOW + 11)


def test_without_expires_in_the_token_is_taken_to_live_the_default_lifetime_from_when_it_was_obtained():
    service = tokens(lifetime=3600)
    young = connection(token_expires_at=None, last_refreshed_at=NOW - 3000)
    old = connection(token_expires_at=None, last_refreshed_at=NOW - 3400)
    assert service.expiry(young) == (NOW + 600, 3600)
    assert not service._due(young, NOW)
    assert service._due(old, NOW)


def test_a_refresh_token_with_no_time_information_at_all_is_due():
    assert tokens()._due(connection(token_expires_at=None, last_refreshed_at=None), NOW)


# What a reader gets without a provider call ------------------------------------------


def test_a_connection_in_error_answers_reconnect_required_after_one_read():
    store = OneRecordStore(connection(status="error", status_reason="invalid_grant"))
    with pytest.raises(ReconnectRequired):
        tokens(store).get_token("org-1", "gitlab")
    assert store.reads == 1


def test_a_connection_waiting_for_setup_is_integration_not_configured():
    store = OneRecordStore(connection(status="pending_setup", tokens=None))
    with pytest.raises(IntegrationNotConfigured):
        tokens(store).get_token("org-1", "gitlab")


def test_a_missing_connection_is_integration_not_configured():
    with pytest.raises(IntegrationNotConfigured):
        tokens(OneRecordStore(None)).get_token("org-1", "gitlab")


# Backoff and Retry-After -----------------------------------------------------------


def test_backoff_doubles_with_each_attempt_and_stays_under_the_cap():
    assert [_backoff(n, 1.0) for n in (1, 2, 3, 4, 5, 6)] == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]
    assert _backoff(10, 1.0) == BACKOFF_CAP_SECONDS


def test_backoff_jitter_spreads_waits_over_the_upper_half():
    assert _backoff(2, 0.0) == 0.5 and _backoff(2, 1.0) == 1.0


def test_retry_after_in_seconds_is_read():
    assert retry_after_seconds("7", NOW) == 7.0


def test_retry_after_as_an_http_date_is_read_relative_to_now():
    date = email.utils.formatdate(NOW + 30, usegmt=True)
    assert retry_after_seconds(date, NOW) == pytest.approx(30.0)


def test_retry_after_in_the_past_means_now():
    assert retry_after_seconds(email.utils.formatdate(NOW - 30, usegmt=True), NOW) == 0.0


@pytest.mark.parametrize("value", [None, "", "soon", "-5", "1.5e9"])
def test_an_unreadable_retry_after_is_ignored(value):
    assert retry_after_seconds(value, NOW) is None


# The invoke contract ---------------------------------------------------------------


def test_an_invoke_event_names_an_org_and_a_provider():
    assert parse_invoke_event({"org_id": "org-1", "provider": "google-drive"}) == ("org-1", "google-drive")


@pytest.mark.parametrize(
    "event",
    [
        None,
        "org-1",
        {},
        {"org_id": "org-1"},
        {"provider": "gitlab"},
        {"org_id": 7, "provider": "gitlab"},
        {"org_id": "org 1", "provider": "gitlab"},
        {"org_id": "x" * 129, "provider": "gitlab"},
        {"org_id": "org-1", "provider": "Git Lab"},
        {"org_id": "org-1", "provider": "gitlab", "scope": "admin"},
    ],
)
def test_any_other_invoke_event_is_an_invalid_request(event):
    with pytest.raises(InvalidRequest):
        parse_invoke_event(event)


def test_a_token_request_may_ask_for_a_forced_refresh_of_the_version_it_holds():
    assert parse_token_request({"org_id": "org-1", "provider": "gitlab"}) == TokenRequest("org-1", "gitlab")
    event = {"org_id": "org-1", "provider": "gitlab", "force_refresh": True, "token_version": 4}
    assert parse_token_request(event) == TokenRequest("org-1", "gitlab", True, 4)


@pytest.mark.parametrize(
    "extra",
    [
        {"force_refresh": "yes"},
        {"force_refresh": 1},
        {"token_version": -1},
        {"token_version": "4"},
        {"token_version": True},
        {"token_version": 1.5},
        {"scope": "admin"},
    ],
)
def test_a_malformed_token_request_is_an_invalid_request(extra):
    with pytest.raises(InvalidRequest):
        parse_token_request({"org_id": "org-1", "provider": "gitlab", **extra})


def test_scopes_are_split_on_spaces_and_commas():
    assert granted_list("read_user api") == ["read_user", "api"]
    assert granted_list("repo,user") == ["repo", "user"]
    assert granted_list(None) == []


# Idle job settings -----------------------------------------------------------------


def test_idle_settings_default_to_the_template_defaults():
    assert idle_settings({}) == (14, 50)


def test_idle_settings_are_read_from_the_environment():
    assert idle_settings({"IDLE_REFRESH_DAYS": "30", "IDLE_REFRESH_BATCH_SIZE": "10"}) == (30, 10)


@pytest.mark.parametrize(
    "env",
    [{"IDLE_REFRESH_DAYS": "two weeks"}, {"IDLE_REFRESH_DAYS": "0"}, {"IDLE_REFRESH_BATCH_SIZE": "5000"}],
)
def test_bad_idle_settings_fail_loudly(env):
    with pytest.raises(ConfigurationError):
        idle_settings(env)


def test_idle_refresh_backs_off_from_an_hour_to_a_day():
    from byoc.usecases.idle import retry_delay

    assert [retry_delay(n, 0.5) for n in (1, 2, 3)] == [3600, 7200, 14400]
    assert retry_delay(30, 0.5) == 86400
    assert 0.75 * 3600 <= retry_delay(1, 0.0) < retry_delay(1, 1.0) <= 1.25 * 3600
