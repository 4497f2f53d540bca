"""FRONTEND_URL: one origin or a comma-separated list, each checked (byoc.origins, byoc.settings)."""

from __future__ import annotations

import pytest

from byoc.errors import ConfigurationError
from byoc.origins import frontend_origins, origin_of, parse_origin
from byoc.settings import Settings

ENV = {"TABLE_NAME": "t", "KMS_KEY_ID": "k", "ADMIN_CLAIM": "org_role=admin"}


def settings(frontend: str, **env: str) -> Settings:
    return Settings.from_env({**ENV, "FRONTEND_URL": frontend, **env})


def test_one_origin_is_a_list_of_one() -> None:
    only = settings("https://app.example.com/")
    assert only.frontend_origins == ("https://app.example.com",)
    assert only.frontend_origin == "https://app.example.com"


def test_a_list_keeps_its_order_drops_repeats_and_spaces() -> None:
    listed = settings("https://app.example.com, https://Admin.Example.com:8443 ,https://app.example.com")
    assert listed.frontend_origins == ("https://app.example.com", "https://admin.example.com:8443")
    assert listed.frontend_origin == "https://app.example.com"  # the first is the default


def test_the_origin_that_started_a_flow_is_used_only_when_listed() -> None:
    listed = settings("https://app.example.com,https://admin.example.com")
    assert listed.frontend_origin_for("https://admin.example.com") == "https://admin.example.com"
    for other in (None, "", "https://evil.example", "https://admin.example.com:444"):
        assert listed.frontend_origin_for(other) == "https://app.example.com"


@pytest.mark.parametrize(
    "value",
    [
        "app.example.com",
        "https://app.example.com/path",
        "https://app.example.com?x=1",
        "https://app.example.com#x",
        "https://user@app.example.com",
        "https://app.example.com,",
        "https://app.example.com,,https://b.example.com",
        "ftp://app.example.com",
        "https://",
        "https://app example.com",
        "https://app.example.com:99999",
        "javascript:alert(1)",
        "http://app.example.com",  # http: only loopback, only with ALLOW_LOCAL_HTTP
        "http://localhost:5173",
        "https://app.example.com,http://127.0.0.1:8000",
    ],
)
def test_anything_but_origins_is_refused(value: str) -> None:
    with pytest.raises(ConfigurationError, match="FRONTEND_URL"):
        settings(value)


def test_plain_http_is_for_loopback_with_allow_local_http() -> None:
    local = settings(
        "http://localhost:5173,http://127.0.0.1:8000,https://app.example.com", ALLOW_LOCAL_HTTP="true"
    )
    assert local.frontend_origins == (
        "http://localhost:5173",
        "http://127.0.0.1:8000",
        "https://app.example.com",
    )
    with pytest.raises(ConfigurationError, match="https"):
        settings("http://app.example.com", ALLOW_LOCAL_HTTP="true")


def test_too_many_origins_are_refused() -> None:
    many = ",".join(f"https://a{i}.example.com" for i in range(21))
    with pytest.raises(ConfigurationError, match="more than"):
        frontend_origins(many, allow_local_http=False)


@pytest.mark.parametrize(
    ("origin", "referer", "expected"),
    [
        ("https://app.example.com", None, "https://app.example.com"),
        ("https://APP.example.com:8443", "https://x.example/", "https://app.example.com:8443"),
        (None, "https://app.example.com/settings?tab=1#x", "https://app.example.com"),
        ("null", "https://app.example.com/", "https://app.example.com"),
        (None, None, None),
        (None, "/relative", None),
        ("https://app.example.com/path", None, None),
        (None, "https://user:pw@app.example.com/", None),
    ],
)
def test_the_calling_pages_origin(origin: str | None, referer: str | None, expected: str | None) -> None:
    assert origin_of(origin, referer) == expected


def test_parse_origin_lower_cases_scheme_and_host() -> None:
    assert parse_origin("HTTPS://App.Example.COM") == "https://app.example.com"
    assert parse_origin("https://app.example.com:443") == "https://app.example.com:443"
