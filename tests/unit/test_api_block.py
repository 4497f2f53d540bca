"""Every entry's ``api`` block: declared names only, hosts under the suffixes, hostile values refused."""

from __future__ import annotations

import base64
import re
from typing import Any

import pytest

from byoc.errors import UnsafeUrl
from byoc.oauth.api import ACCESS_TOKEN, api_base_url, api_headers, api_query, api_spec, placeholders
from byoc.oauth.registry import Provider, Registry, get_registry
from byoc.outbound import check_url
from tests.support.samples import field_value, metadata_values, org_values

REGISTRY = get_registry()
ALL = [p.id for p in REGISTRY]
BEARER = {"Authorization": "Bearer tok"}
CLOUD = "11111111-2222-3333-4444-555555555555"

# Plausible whole-origin values, per entry (what the provider really answers).
ORIGINS = {
    "salesforce": {"instance_url": "https://acme.my.salesforce.com"},
    "salesforce-sandbox": {"instance_url": "https://acme--dev.sandbox.my.salesforce.com"},
    "docusign": {"base_uri": "https://na3.docusign.net"},
    "docusign-sandbox": {"base_uri": "https://demo.docusign.net"},
    "pipedrive": {"api_domain": "https://acme.pipedrive.com"},
    "zoho": {"api_domain": "https://www.zohoapis.eu"},
    "zoho-crm": {"api_domain": "https://www.zohoapis.com"},
    "generic_oauth2": {"api_base_url": "https://api.example.com/v1"},
    "wrike": {"host": "app-eu.wrike.com"},  # Wrike's EU data centre, as its FAQ names it
}


def entry(raw_api: dict[str, Any], fields: list[dict[str, Any]] | None = None, **extra: Any) -> Provider:
    raw = {"id": "x", "name": "X", "auth_type": "api_key", "fields": fields or [], "api": raw_api, **extra}
    return Registry.from_data({"providers": [raw]}).get("x")


def credential_names(provider: Provider) -> set[str]:
    """What ``auth.format`` may name: the access token, or the secret fields (and, for a Basic
    pair, the plain user name beside its secret password)."""
    if provider.is_oauth:
        return {ACCESS_TOKEN}
    plain_user = (
        {f.name for f in provider.fields} if provider.api and provider.api.auth.in_ == "basic" else set()
    )
    return set(provider.secret_fields) | plain_user


def undeclared(provider: Provider) -> list[str]:
    """Placeholders of the entry's api block that name nothing the entry has."""
    assert provider.api is not None
    plain = {f.name for f in provider.fields if not f.secret}
    kept = set(provider.oauth.metadata_names) if provider.oauth else set()
    bad = [n for n in placeholders(provider.api.base_url) if n not in plain | kept]
    for template in provider.api.headers.values():
        bad += [n for n in placeholders(template) if n not in {f.name for f in provider.fields} | kept]
    bad += [n for n in placeholders(provider.api.auth.format) if n not in credential_names(provider)]
    return bad


def sample_values(provider: Provider) -> tuple[dict[str, str], dict[str, str]]:
    """(config, metadata) as a real connection of the entry would hold them."""
    return org_values(provider), metadata_values(provider) | ORIGINS.get(provider.id, {})


# --------------------------------------------------------------------------- the registry's blocks


@pytest.mark.parametrize("provider_id", ALL)
def test_every_entry_has_an_api_block_naming_only_what_it_has(provider_id: str) -> None:
    provider = REGISTRY.get(provider_id)
    assert provider.api is not None
    assert undeclared(provider) == []


def test_a_template_naming_a_missing_value_is_caught() -> None:
    auth = {"in": "header", "name": "Authorization", "format": "Bearer {api_key} {token}"}
    raw = {"base_url": "https://{nope}.example.com", "allowed_host_suffixes": ["example.com"], "auth": auth}
    provider = entry(
        {**raw, "headers": {"X-Id": "{tenant_id}"}}, [{"name": "api_key", "label": "K", "secret": True}]
    )
    assert undeclared(provider) == ["nope", "tenant_id", "token"]


@pytest.mark.parametrize("provider_id", ALL)
def test_every_fixed_host_and_templated_tail_is_under_the_suffixes(provider_id: str) -> None:
    api = REGISTRY.get(provider_id).api
    assert api is not None
    if api.host_rule == "public" or api.base_url.startswith("{"):
        return  # the whole origin is a value: checked when it is used (tests below)
    host = api.base_url.removeprefix("https://").split("/")[0]
    assert api.base_url.startswith("https://")
    tail = host.rsplit("}", 1)[-1]
    if "}" in host and not tail.startswith("."):
        tail = tail.partition(".")[2]  # a value inside the first label: "{env}-xml.booking.com"
    tail = tail.lstrip(".")
    if tail:
        check_url(f"https://{tail}/", allowed_suffixes=api.allowed_host_suffixes)
    else:  # the host is a value: a select's options (Datadog's site), or a host under one domain
        provider = REGISTRY.get(provider_id)
        (name,) = placeholders(host)
        config, metadata = sample_values(provider)
        spec = provider.field(name)
        if spec is None:  # a host the provider answers with the token (Wrike's data centre)
            assert name in (provider.oauth.metadata_names if provider.oauth else ())
            url = api_base_url(provider, config, metadata)
            assert url and check_url(url, allowed_suffixes=api.allowed_host_suffixes)
            return
        values = spec.options or (field_value(spec),)
        if not spec.options:  # the pattern keeps the host under one of the suffixes
            assert spec.pattern and spec.pattern.endswith(
                tuple(re.escape(s) + "$" for s in api.allowed_host_suffixes)
            )
        for value in values:
            url = api_base_url(provider, {**config, name: value}, metadata)
            assert url and check_url(url, allowed_suffixes=api.allowed_host_suffixes)


@pytest.mark.parametrize("provider_id", ALL)
def test_every_entry_renders_a_checked_base_for_a_real_connection(provider_id: str) -> None:
    provider = REGISTRY.get(provider_id)
    config, metadata = sample_values(provider)
    url = api_base_url(provider, config, metadata)
    assert url is not None and url.startswith("https://")
    credentials = dict.fromkeys(provider.secret_fields, "k") | (
        {ACCESS_TOKEN: "tok"} if provider.is_oauth else {}
    )
    assert api_headers(provider, credentials, config, metadata)


@pytest.mark.parametrize("provider_id", ALL)
def test_the_host_rule_is_the_entrys(provider_id: str) -> None:
    provider = REGISTRY.get(provider_id)
    assert provider.api is not None
    if provider.oauth is not None:
        assert provider.api.host_rule == provider.oauth.host_rule
    if provider.api.host_rule == "public":
        assert provider.api.base_url.startswith("{")  # the org's own address, under the public rule


# --------------------------------------------------------------------------- exact outputs


@pytest.mark.parametrize(
    ("provider_id", "config", "metadata", "expected"),
    [
        (
            "salesforce",
            {},
            {"instance_url": "https://acme.my.salesforce.com"},
            "https://acme.my.salesforce.com/services/data",
        ),
        ("zendesk", {"subdomain": "acme"}, {}, "https://acme.zendesk.com/api/v2"),
        ("jira", {}, {"cloud_id": CLOUD}, f"https://api.atlassian.com/ex/jira/{CLOUD}"),
        ("confluence", {}, {"cloud_id": CLOUD}, f"https://api.atlassian.com/ex/confluence/{CLOUD}"),
        ("atlassian", {}, {"cloud_id": CLOUD}, "https://api.atlassian.com"),
        ("mailchimp", {}, {"dc": "us6"}, "https://us6.api.mailchimp.com/3.0"),
        ("intercom", {}, {}, "https://api.intercom.io"),
        ("intercom", {"region": "eu"}, {}, "https://api.eu.intercom.io"),
        ("datadog", {"site": "datadoghq.eu"}, {}, "https://api.datadoghq.eu/api"),
        ("datadog", {}, {}, "https://api.datadoghq.com/api"),
        ("freshdesk", {"subdomain": "acme"}, {}, "https://acme.freshdesk.com/api/v2"),
        ("gitlab-pat", {}, {}, "https://gitlab.com/api/v4"),
        (
            "gitlab-self-managed",
            {"base_url": "https://example.com/gitlab"},
            {},
            "https://example.com/gitlab/api/v4",
        ),
        ("quickbooks", {}, {"realm_id": "9130"}, "https://quickbooks.api.intuit.com/v3/company/9130"),
        (
            "docusign",
            {},
            {"base_uri": "https://na3.docusign.net", "account_id": CLOUD},
            f"https://na3.docusign.net/restapi/v2.1/accounts/{CLOUD}",
        ),
        ("zoho-crm", {}, {"api_domain": "https://www.zohoapis.com.au"}, "https://www.zohoapis.com.au/crm/v8"),
        (
            "generic_oidc",
            {"issuer": "https://login.example.com/realms/acme"},
            {},
            "https://login.example.com",
        ),
        ("generic_oidc", {"issuer": "https://login.example.com:8443"}, {}, "https://login.example.com:8443"),
        ("generic_oauth2", {"api_base_url": "https://api.example.com/v1"}, {}, "https://api.example.com/v1"),
        ("wrike", {}, {"host": "www.wrike.com"}, "https://www.wrike.com/api/v4"),
        ("smartsheet", {}, {}, "https://api.smartsheet.com/2.0"),
        ("smartsheet", {"domain": "smartsheetgov.com"}, {}, "https://api.smartsheetgov.com/2.0"),
    ],
)
def test_exact_base_urls(provider_id: str, config: dict, metadata: dict, expected: str) -> None:
    assert api_base_url(REGISTRY.get(provider_id), config, metadata) == expected


@pytest.mark.parametrize(
    ("provider_id", "config", "metadata"),
    [
        ("generic_oauth2", {"authorization_endpoint": "https://a.example.com/auth"}, {}),  # not set: unknown
        ("jira", {}, {}),  # cloud_id not found yet
        ("salesforce", {"hostname": "acme.my.salesforce.com"}, {}),
    ],
)
def test_a_base_whose_value_is_not_known_is_none(provider_id: str, config: dict, metadata: dict) -> None:
    assert api_base_url(REGISTRY.get(provider_id), config, metadata) is None


def test_the_header_blocks_of_real_entries() -> None:
    token = {ACCESS_TOKEN: "tok"}
    xero = api_headers(REGISTRY.get("xero"), token, {}, {"tenant_id": CLOUD})
    assert xero == {"Xero-Tenant-Id": CLOUD, **BEARER}
    assert api_headers(REGISTRY.get("xero"), token, {}, {}) is None  # no tenant yet
    assert api_headers(REGISTRY.get("sendgrid"), {"api_key": "SG.a.b"}, {}, {}) == {
        "Authorization": "Bearer SG.a.b"
    }
    assert api_headers(REGISTRY.get("datadog"), {"api_key": "k", "application_key": "a"}, {}, {}) == {
        "DD-APPLICATION-KEY": "a",
        "DD-API-KEY": "k",
    }
    assert api_headers(REGISTRY.get("gitlab-pat"), {"api_key": "glpat-1"}, {}, {}) == {
        "PRIVATE-TOKEN": "glpat-1"
    }
    assert api_headers(REGISTRY.get("shopify"), token, {"shop": "s"}, {}) == {"X-Shopify-Access-Token": "tok"}
    assert api_headers(REGISTRY.get("zoho"), token, {}, {}) == {"Authorization": "Zoho-oauthtoken tok"}
    assert api_headers(REGISTRY.get("github"), token, {}, {}) == {
        "Accept": "application/vnd.github+json",
        "X-GitHub-Api-Version": "2022-11-28",
        **BEARER,
    }
    assert api_query(REGISTRY.get("github"), token) == {}


def test_basic_auth_is_the_api_key_with_password_x() -> None:
    headers = api_headers(REGISTRY.get("freshdesk"), {"api_key": "abc123"}, {"subdomain": "acme"}, {})
    assert headers == {"Authorization": "Basic " + base64.b64encode(b"abc123:X").decode()}


def test_a_query_credential_goes_in_the_query_only() -> None:
    auth = {"in": "query", "name": "api_key", "format": "{api_key}"}
    provider = entry(
        {"base_url": "https://api.example.com", "allowed_host_suffixes": ["example.com"], "auth": auth},
        [{"name": "api_key", "label": "K", "type": "password", "secret": True}],
    )
    assert api_query(provider, {"api_key": "k1"}) == {"api_key": "k1"}
    assert api_headers(provider, {"api_key": "k1"}, {}, {}) == {}


@pytest.mark.parametrize(
    ("credential", "tenant"), [("tok\r\nX-Evil: 1", CLOUD), ("tok", "t\nX-Evil: 1"), ("tok-Evil\n", CLOUD)]
)
def test_a_value_that_would_split_a_header_is_refused(credential: str, tenant: str) -> None:
    with pytest.raises(ValueError) as raised:
        api_headers(REGISTRY.get("xero"), {ACCESS_TOKEN: credential}, {}, {"tenant_id": tenant})
    assert "Evil" not in str(raised.value)


# --------------------------------------------------------------------------- hostile values


@pytest.mark.parametrize(
    ("provider_id", "config", "metadata"),
    [
        *(
            ("zendesk", {"subdomain": v}, {})
            for v in ("evil.example/", "@evil", "%2F", "evil.com#", "a:1", "..")
        ),
        *(("jira", {}, {"cloud_id": v}) for v in ("../../admin", "%2F", "a/b", "..", "x?y=1")),
        ("mailchimp", {}, {"dc": "evil.example/"}),
        ("datadog", {"site": "evil.example"}, {}),  # a whole host outside the suffixes
        *(
            ("salesforce", {}, {"instance_url": v})
            for v in (
                "https://evil.example",
                "https://acme.my.salesforce.com.evil.example",
                "https://evil.example/.salesforce.com",
                "https://acme.my.salesforce.com@evil.example",
                "http://acme.my.salesforce.com",
                "https://1.2.3.4",
                "https://acme.my.salesforce.com/",
                "https://acme.my.salesforce.com?x=1",
                "https://acme.my.salesforce.com/%2e%2e",
                "https://ACME.my.salesforce.com",
                "https://acme.my.salesforce.com/other/path",  # a provider's own host: no path
                "https://acme.my.salesforce.com:8443",
                "https://acme.my.salesforce.com\n",
                "acme.my.salesforce.com",
            )
        ),
        ("docusign", {}, {"base_uri": "https://demo.docusign.net.evil.example", "account_id": CLOUD}),
        ("pipedrive", {}, {"api_domain": "https://127.0.0.1"}),
        *(
            ("generic_oauth2", {"api_base_url": v}, {})
            for v in ("https://10.0.0.1", "http://api.example.com", "https://localhost", "https://2130706433")
        ),
        ("gitlab-self-managed", {"base_url": "https://gitlab.example.com/../x"}, {}),
        ("generic_oidc", {"issuer": "https://user@login.example.com"}, {}),
        ("generic_oidc", {"issuer": "https://192.168.0.1/realms/x"}, {}),
        ("gitlab-self-managed", {"base_url": "https://gitlab.example.com\n"}, {}),
        # the data-centre host Wrike answers with the token: a host under wrike.com, nothing else
        *(
            ("wrike", {}, {"host": v})
            for v in ("evil.example", "www.wrike.com.evil.example", "wrike.com@evil.example", "127.0.0.1")
        ),
        ("wrike", {}, {"host": "www.wrike.com/../evil"}),
    ],
)
def test_a_hostile_value_is_refused_before_any_request(
    provider_id: str, config: dict, metadata: dict
) -> None:
    with pytest.raises(UnsafeUrl):
        api_base_url(REGISTRY.get(provider_id), config, metadata)


def test_plain_http_only_to_this_machine_and_only_in_development() -> None:
    provider = REGISTRY.get("generic_oauth2")
    local = {"api_base_url": "http://127.0.0.1:8080/api"}
    assert api_base_url(provider, local, {}, allow_local_http=True) == "http://127.0.0.1:8080/api"
    with pytest.raises(UnsafeUrl):
        api_base_url(provider, local, {})


# --------------------------------------------------------------------------- the block's format


@pytest.mark.parametrize(
    "raw",
    [
        {
            "base_url": "https://a.example.com",
            "allowed_host_suffixes": ["example.com"],
            "auth": {"in": "cookie"},
        },
        {"base_url": "https://a.example.com", "auth": {}},  # suffix rule without suffixes
        {"base_url": "{u}", "host_rule": "public", "allowed_host_suffixes": ["example.com"], "auth": {}},
        {
            "base_url": "https://a.example.com",
            "host_rule": "open",
            "allowed_host_suffixes": ["e.com"],
            "auth": {},
        },
        {
            "base_url": "https://{u}.example.com",
            "origin_only": True,
            "allowed_host_suffixes": ["e.com"],
            "auth": {},
        },
    ],
)
def test_a_malformed_block_fails_when_the_registry_loads(raw: dict) -> None:
    auth = {"in": "header", "name": "Authorization", "format": "{api_key}", **raw["auth"]}
    with pytest.raises(ValueError):
        api_spec({**raw, "auth": auth})


def test_providers_md_shows_every_entrys_api_base_and_auth() -> None:
    from tests.helpers import ROOT

    text = (ROOT / "docs" / "providers.md").read_text(encoding="utf-8")
    for provider in REGISTRY:
        api = provider.api
        assert api is not None
        assert f"- API base: {'the origin of ' if api.origin_only else ''}`{api.base_url}`" in text
        assert f"{api.auth.name}: {api.auth.format}" in text or f"`{api.auth.format}`" in text
    assert "`{api_base_url}` (unknown while `api_base_url` is not set)" in text
