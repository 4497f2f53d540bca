"""The provider registry as data: its shape, its security rules, and its agreement with the reference facts.

``tests/data/reference_facts.json`` is a copy of the reference facts (its ``source`` names where they were
read). The registry (``layers/common/byoc/oauth/providers.json``) is written from those facts (by hand, or by
``scripts/import_reference.py`` and then read) and the providers' documentation; these tests compare the two
sides and never derive one from the other, so a typo on either side fails: every entry with a facts entry
of its id, hand-written or imported, is rendered for a sample org and compared with the facts rendered for
the same org. Where the registry departs from the facts on purpose, ``DEVIATIONS`` says why, and the
entry's notes say it too.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from byoc.errors import UnsafeUrl
from byoc.oauth import fields as validation
from byoc.oauth import protocol as oauth
from byoc.oauth.registry import (
    AUTH_TYPES,
    CLIENT_AUTH_METHODS,
    FIELD_TYPES,
    HOST_RULES,
    Provider,
    get_registry,
    template_fields,
)
from byoc.outbound import check_url
from registry import importer
from tests.support.samples import fact_text, facts_config, field_value, org_values, render_fact

ROOT = Path(__file__).resolve().parents[2]
REGISTRY_FILE = ROOT / "layers" / "common" / "byoc" / "oauth" / "providers.json"
FACTS = json.loads((ROOT / "tests" / "data" / "reference_facts.json").read_text(encoding="utf-8"))
FACTS_BY_ID: dict[str, dict[str, Any]] = {p["id"]: p for p in FACTS["providers"]}
VERIFICATION = {
    p["id"]: p
    for p in json.loads(
        (ROOT / "tests" / "data" / "reference_verification.json").read_text(encoding="utf-8")
    )["providers"]
}
REGISTRY = get_registry()  # what Lambda loads: compiled from REGISTRY_FILE by make registry
PROVIDERS = list(REGISTRY)
OAUTH_PROVIDERS = [p for p in PROVIDERS if p.oauth is not None]
IN_FACTS = [p for p in PROVIDERS if p.id in FACTS_BY_ID]
OAUTH_IN_FACTS = [p for p in OAUTH_PROVIDERS if p.id in FACTS_BY_ID]

# Security guide item 10: a tenant value that is one DNS label. Stricter than the facts' ^[a-z0-9_-]+$.
DNS_LABEL = "^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$"

# The list, by hand.
REQUIRED_IDS = {
    "github",
    "gitlab",
    "gitlab-self-managed",
    "bitbucket",
    "google",
    "microsoft",
    "slack",
    "notion",
    "linear",
    "hubspot",
    "salesforce",
    "salesforce-sandbox",
    "atlassian",
    "jira",
    "confluence",
    "zendesk",
    "shopify",
    "okta",
    "asana",
    "dropbox",
    "box",
    "zoom",
    "discord",
    "figma",
    "airtable",
    "intercom",
    "pipedrive",
    "xero",
    "quickbooks",
    "twitter-v2",
    "spotify",
    "clickup",
    "monday",
    "calendly",
    "docusign",
    "mailchimp",
    "miro",
    "todoist",
    "typeform",
    "webflow",
    "zoho",
    "stripe",
    "freshdesk",
    "generic_oidc",
    "generic_oauth2",
}

# The most wanted of issue 15, by hand (facts ids).
WANTED = {
    *"attio close copper outreach salesloft gong-oauth front helpscout-mailbox gorgias servicenow".split(),
    *"zoho-desk google-docs google-sheet google-calendar google-ads google-drive google-mail".split(),
    *"microsoft-teams one-drive webex ring-central basecamp canva netsuite freshbooks squareup".split(),
    *"paypal gusto deel bamboohr greenhouse lever pagerduty snowflake linkedin klaviyo-oauth".split(),
    *"ebay pandadoc dropbox-sign".split(),
}
# The facts' categories whose every OAuth 2.0 entry is wanted (issue 15), and the popular ones.
WANTED_CATEGORIES = {
    *"crm support ticketing communication productivity knowledge-base storage accounting erp".split(),
    *"payment invoicing hr ats dev-tools marketing e-commerce legal popular".split(),
}
# OAuth 2.0 entries of those categories the registry leaves out, and why (the importer's reasons, read).
LEFT_OUT = {
    "adyen": "the environment (test, live) shapes the host and the facts list no values",
    "amazon": "the token host's country extension has no list of values in the facts",
    "amazon-selling-partner-beta": "the sandbox API host's region has no list of values",
    "aws": "Cognito's region shapes the host with no list of values",
    "bullhorn": "its authorize URL carries the user's name and password",
    "checkr-partner": "its authorize URL carries the client id inside a path the org cannot fill",
    "checkr-partner-staging": "as checkr-partner",
    "clover": "the authorize and API hosts are free values with no provider domain in the facts",
    "confluence-data-center": "self-hosted: the org's own server, no provider domain",
    "datadog-oauth": "the site shapes two hosts and the facts list no values",
    "datto-rmm": "the platform shapes the host and the facts list no values",
    "etsy": "its token request sends the client secret in a header template",
    "exact-online": "the country extension shapes the host with no list of values",
    "hubstaff": "an authorize parameter made per request (a nonce)",
    "maximizer-on-premise": "self-hosted: the org's own server, no provider domain",
    "microsoft-admin": "admin consent returns the tenant, not a code: client credentials (issue 16)",
    "myob": "a header carrying the client id on API calls",
    "odoo": "self-hosted or odoo.com: a free host with no example domain",
    "pingone": "the region's top-level domain shapes the host with no list of values",
    "rydership": "the environment is a free host with no example domain",
    "sage-people": "the API host is a free Salesforce instance value",
    "salesforce-experience-cloud": "the API origin is the org's Experience Cloud site, no fixed domain",
    "sentry-oauth": "the facts give no authorize URL",
    "sharepoint-online": "a second SharePoint token minted in code; Graph's Sites scopes on microsoft do it",
    "shopline-oauth": "it renames the state parameter, which our callback relies on",
    "stripe-app": "a Stripe App install, not an OAuth app the org brings",
    "stripe-app-sandbox": "as stripe-app",
    "teamwork": "the API host comes from a nested value of the token response",
    "walmart": "an authorize parameter made per request",
}

# Facts entries that need custom code at the source platform, but whose quirks our format holds as
# data: the client authentication we use instead of the facts' "custom provider client".
CUSTOM_AT_SOURCE = {"slack": "client_secret_post", "figma": "client_secret_basic"}

# Deliberate departures from the facts: (provider, key) -> why. Each entry's notes say it as well.
DEVIATIONS = {
    ("microsoft", "pkce"): "PKCE stays on: Microsoft accepts it (security rules win)",
    ("microsoft-tenant-specific", "pkce"): "PKCE stays on: Microsoft accepts it",
    ("outlook", "pkce"): "PKCE stays on: Microsoft accepts it",
    ("linear", "pkce"): "PKCE stays on: Linear documents PKCE",
    ("figma", "pkce"): "PKCE stays on: Figma accepts PKCE",
    ("monday", "pkce"): "monday.com's OAuth 2.1 flow uses PKCE",
    ("monday", "token_url"): "monday.com's OAuth 2.1 token endpoint (/oauth_ms/oauth/token)",
    ("shopify", "scope_separator"): "Shopify documents comma-separated scopes",
    ("zoho", "scope_separator"): "Zoho documents comma-separated scopes",
    ("zoho-crm", "scope_separator"): "Zoho documents comma-separated scopes",
    ("bigcommerce", "account_uuid"): "the facts' account_uuid (left empty) is for Marketplace installs only",
}

FACTS_AUTH_TYPE = {"OAUTH2": "oauth2", "OAUTH2_CC": "oauth2_cc", "API_KEY": "api_key", "BASIC": "basic"}
FACTS_CLIENT_AUTH = {
    "body": "client_secret_post",
    "basic": "client_secret_basic",
    "basic (authorization_method: header)": "client_secret_basic",
}

# The same org, as our fields hold it and as the facts' connection_config would hold it. Providers
# without templated URLs use ({}, {}). Written by hand: the mapping of field names is the point.
ORG_SAMPLES: dict[str, list[tuple[dict[str, str], dict[str, str]]]] = {
    "zendesk": [({"subdomain": "acme"}, {"subdomain": "acme"})],
    "bigcommerce": [({"store_hash": "hpj4hvw2bb"}, {"storeHash": "hpj4hvw2bb"})],
    "amazon-selling-partner": [
        (
            {"application_id": "amzn1.sp.solution.abc"},
            {"applicationId": "amzn1.sp.solution.abc", "domain": "sellercentral.amazon.com"},
        ),
        (
            {"application_id": "amzn1.sp.solution.abc", "seller_central": "sellercentral-europe.amazon.com"},
            {"applicationId": "amzn1.sp.solution.abc", "domain": "sellercentral-europe.amazon.com"},
        ),
    ],
    "shopify": [({"shop": "acme-store"}, {"subdomain": "acme-store"})],
    "okta": [({"subdomain": "acme"}, {"subdomain": "acme"})],
    "microsoft-tenant-specific": [
        ({"tenant": "contoso.onmicrosoft.com"}, {"tenant": "contoso.onmicrosoft.com"}),
        (
            {"tenant": "72f988bf-86f1-41af-91ab-2d7cd011db47"},
            {"tenant": "72f988bf-86f1-41af-91ab-2d7cd011db47"},
        ),
    ],
    "salesforce": [
        ({}, {}),
        ({"hostname": "acme.my.salesforce.com"}, {"hostname": "acme.my.salesforce.com"}),
    ],
    "salesforce-sandbox": [
        ({}, {}),
        (
            {"hostname": "acme--uat.sandbox.my.salesforce.com"},
            {"hostname": "acme--uat.sandbox.my.salesforce.com"},
        ),
    ],
    "intercom": [
        ({}, {}),
        ({"region": "us"}, {}),
        ({"region": "eu"}, {"region": "eu"}),
        ({"region": "au"}, {"region": "au"}),
    ],
    "zoho": [
        ({}, {"extension": "com"}),
        ({"region": "eu"}, {"extension": "eu"}),
        ({"region": "com.au"}, {"extension": "com.au"}),
    ],
    "zoho-crm": [({"region": "in"}, {"extension": "in"}), ({"region": "jp"}, {"extension": "jp"})],
    "jira-data-center": [({"base_url": "https://jira.example.com"}, {"endpointURL": "jira.example.com"})],
}


def org_config(provider: Provider, values: dict[str, str]) -> dict[str, str]:
    """What POST /integrations would store as the org's config: validated values, no secrets."""
    given = {f.name: field_value(f) for f in provider.fields if f.secret} | dict(values)
    if provider.oauth is not None:
        given.update(client_id="client-id", client_secret="client-secret")
    cleaned = validation.validate_credentials(provider, given, allow_local_http=False)
    secret = set(provider.secret_fields) | {"client_id"}
    return {k: v for k, v in cleaned.items() if k not in secret}


def samples(provider: Provider) -> list[tuple[dict[str, str], dict[str, str]]]:
    """The hand-written samples, else one org made from the entry's own fields (tests/support/samples)."""
    for own in (provider.id, provider.extends):
        if own in ORG_SAMPLES:  # a family member's org is its base's
            return ORG_SAMPLES[own]
    ours = org_values(provider)
    return [(ours, facts_config(FACTS_BY_ID.get(provider.id) or {}, ours))]


def deviates(provider: Provider, key: str) -> bool:
    """A deliberate departure of the entry, or of the entry it extends (members inherit it)."""
    return (provider.id, key) in DEVIATIONS or (provider.extends, key) in DEVIATIONS


def ids(providers: list[Provider]) -> list[str]:
    return [p.id for p in providers]


# ------------------------------------------------------------------ coverage


def test_the_registry_is_large_enough_and_has_every_required_provider() -> None:
    assert len(OAUTH_PROVIDERS) >= 250
    assert len([p for p in PROVIDERS if p.auth_type in ("api_key", "basic")]) >= 150
    assert REQUIRED_IDS | WANTED <= {p.id for p in PROVIDERS}


def test_ids_are_unique_and_url_safe() -> None:
    raw = json.loads(REGISTRY_FILE.read_text(encoding="utf-8"))["providers"]
    names = [p["id"] for p in raw]
    assert len(names) == len(set(names))
    assert all(re.fullmatch(r"[a-z0-9_-]{1,64}", name) for name in names)


def _missing_oauth2_facts() -> dict[str, dict[str, Any]]:
    registry_ids = {p.id for p in PROVIDERS}
    return {
        f["id"]: f for f in FACTS["providers"] if f["auth_mode"] == "OAUTH2" and f["id"] not in registry_ids
    }


def test_the_oauth2_entries_left_out_of_the_wanted_categories_are_the_listed_ones() -> None:
    wanted = {i for i, f in _missing_oauth2_facts().items() if set(f["categories"]) & WANTED_CATEGORIES}
    assert wanted == set(LEFT_OUT)


@pytest.mark.parametrize("fact_id", sorted(_missing_oauth2_facts()))
def test_an_oauth2_entry_of_the_facts_is_missing_only_when_the_format_cannot_express_it(fact_id: str) -> None:
    # the importer is the format's judge: a fact it can write must be in the registry
    fact = _missing_oauth2_facts()[fact_id]
    data = json.loads(REGISTRY_FILE.read_text(encoding="utf-8"))
    with pytest.raises(importer.Skip):
        importer.checked_entry(fact, VERIFICATION.get(fact_id), data)


_MISSING_CC = sorted(
    f["id"] for f in FACTS["providers"] if f["auth_mode"] == "OAUTH2_CC" and f["id"] not in REGISTRY
)


def test_most_client_credentials_entries_of_the_facts_are_in_the_registry() -> None:
    cc = [p for p in PROVIDERS if p.auth_type == "oauth2_cc"]
    assert len(cc) >= 75 and {"zoom-cc", "microsoft-oauth2-cc", "salesforce-cc", "personio-v2"} <= set(
        ids(cc)
    )


@pytest.mark.parametrize("fact_id", _MISSING_CC)
def test_a_client_credentials_entry_is_missing_only_when_the_format_cannot_express_it(fact_id: str) -> None:
    fact = next(f for f in FACTS["providers"] if f["id"] == fact_id)
    data = json.loads(REGISTRY_FILE.read_text(encoding="utf-8"))
    with pytest.raises(importer.Skip):
        importer.checked_entry(fact, VERIFICATION.get(fact_id), data)


def test_oauth1_providers_are_left_out() -> None:
    oauth1 = {f["id"] for f in FACTS["providers"] if f["auth_mode"] == "OAUTH1"}
    assert {"trello", "twitter"} <= oauth1
    assert not oauth1 & {p.id for p in PROVIDERS}


def test_there_are_api_key_and_basic_providers() -> None:
    assert REGISTRY.get("freshdesk").auth_type == "basic"
    assert REGISTRY.get("klaviyo").auth_type == "api_key"


# ------------------------------------------------------------------ shape


@pytest.mark.parametrize("provider", PROVIDERS, ids=ids(PROVIDERS))
def test_entry_shape(provider: Provider) -> None:
    assert provider.auth_type in AUTH_TYPES
    assert (provider.oauth is not None) == (provider.auth_type in ("oauth2", "oauth2_cc"))
    assert provider.name and provider.category
    assert provider.docs_url and provider.docs_url.startswith("https://")
    names = [f.name for f in provider.fields]
    assert len(names) == len(set(names))
    if provider.oauth is None:
        assert provider.secret_fields, "a non-OAuth provider needs a secret to be of any use"
        assert provider.notes


@pytest.mark.parametrize("provider", PROVIDERS, ids=ids(PROVIDERS))
def test_fields_are_consistent(provider: Provider) -> None:
    for spec in provider.fields:
        assert spec.type in FIELD_TYPES
        assert spec.label and spec.label[0].isupper()
        assert spec.secret == (spec.type == "password"), spec.name
        if spec.type == "select":
            assert spec.options, spec.name
            assert spec.default is None or spec.default in spec.options
        else:
            assert spec.options is None, spec.name
        if spec.pattern:
            pattern = re.compile(spec.pattern)
            for value in (spec.example, spec.default):
                if value is not None:
                    assert pattern.fullmatch(value), (spec.name, value)
        if spec.default is not None:
            assert not spec.required or spec.type == "select", "a default makes a field optional"


@pytest.mark.parametrize("provider", OAUTH_PROVIDERS, ids=ids(OAUTH_PROVIDERS))
def test_oauth_spec_is_consistent(provider: Provider) -> None:
    spec = provider.oauth
    assert spec is not None
    assert spec.client_auth in CLIENT_AUTH_METHODS
    assert spec.body_format in ("form", "json")
    assert spec.scope_separator in (" ", ",", "+")
    assert spec.host_rule in HOST_RULES
    assert spec.expires_in_unit_seconds >= 1
    assert "response_type" not in spec.authorize_params, "always sent by build_authorize_url"
    assert "grant_type" not in spec.token_params and "grant_type" not in spec.refresh_params
    if spec.host_rule == "suffix":
        assert spec.allowed_host_suffixes, "every suffix entry names its allowed hosts"
        for template in _templates(provider):
            assert template.startswith("https://"), template
    non_secret = {f.name for f in provider.fields if not f.secret}
    discovered = (
        {"authorization_endpoint", "token_endpoint", "revocation_endpoint"} if spec.discovery else set()
    )
    for template in _templates(provider):
        per_request = {"token"} if template == spec.revocation.url else set()  # filled when revoking
        assert template_fields(template) <= non_secret | discovered | per_request, template
    assert spec.client_auth_field is None or spec.client_auth_field in non_secret
    if spec.client_auth_field:
        assert set(provider.field(spec.client_auth_field).options or ()) <= set(CLIENT_AUTH_METHODS)
    for name, mapping in spec.template_values.items():
        field = provider.field(name)
        assert field is not None and field.type == "select" and set(mapping) <= set(field.options or ())
    if spec.token_host_from:
        assert spec.host_rule == "suffix" and spec.allowed_host_suffixes
        assert spec.token_host_from in {k.name for k in spec.metadata if k.source == "callback"}
    if not spec.pkce and provider.interactive:  # client credentials have no code to protect
        assert any("PKCE" in note for note in provider.notes), "say why PKCE is off"
    if not provider.interactive:
        assert spec.authorize_url is None and not spec.pkce and not spec.authorize_params


def _templates(provider: Provider) -> list[str]:
    spec = provider.oauth
    assert spec is not None
    templates = (
        spec.authorize_url,
        spec.token_url,
        spec.refresh_url,
        spec.revocation.url,
        spec.introspection_url,
    )
    return [t for t in templates if t]


@pytest.mark.parametrize("provider", PROVIDERS, ids=ids(PROVIDERS))
def test_deviations_from_the_facts_are_explained_in_the_notes(provider: Provider) -> None:
    if any(pid == provider.id for pid, _ in DEVIATIONS):
        assert any("reference facts" in note for note in provider.notes)


# ------------------------------------------------------------------ security rules (guide item 10)


def _host_fields(provider: Provider) -> dict[str, str]:
    """Fields that shape the host of a URL template: 'label' (one label among fixed ones) or 'host'."""
    found: dict[str, str] = {}
    for template in _templates(provider):
        host = template.split("://", 1)[1].split("/", 1)[0] if "://" in template else ""
        if template_fields(host) and host == "{" + next(iter(template_fields(host))) + "}":
            found[next(iter(template_fields(host)))] = "host"
            continue
        for label in host.split("."):
            for name in template_fields(label):
                found[name] = "label" if label == "{" + name + "}" else found.get(name, "host")
    return found


@pytest.mark.parametrize("provider", OAUTH_PROVIDERS, ids=ids(OAUTH_PROVIDERS))
def test_free_text_tenant_labels_use_the_strict_dns_label_pattern(provider: Provider) -> None:
    for name, how in _host_fields(provider).items():
        field = provider.field(name)
        assert field is not None
        if field.type == "select":
            continue
        assert field.pattern, f"{name} shapes a host: it needs a pattern"
        if how == "label":
            assert field.pattern == DNS_LABEL, name
        pattern = re.compile(field.pattern)
        for hostile in (
            "evil.com#",
            "evil.com/",
            "a@evil.com",
            "evil.com?x=",
            "EVIL",
            "-a",
            "a_b",
            "a..b",
            "x.evil.com",
            "169.254.169.254",
            "",
        ):
            assert not pattern.fullmatch(hostile), (name, hostile)


@pytest.mark.parametrize(
    "provider", [p for p in OAUTH_PROVIDERS if p.oauth and p.oauth.host_rule == "suffix"], ids=lambda p: p.id
)
def test_suffix_entries_render_under_their_allowed_hosts(provider: Provider) -> None:
    spec = provider.oauth
    assert spec is not None
    for values, _ in samples(provider):
        endpoints = oauth.resolve_endpoints(provider, org_config(provider, values), allow_local_http=False)
        for url in (
            endpoints.authorize_url,
            endpoints.token_url,
            endpoints.refresh_url,
            endpoints.revocation_url,
        ):
            if url:
                assert check_url(url, allowed_suffixes=spec.allowed_host_suffixes) == url


@pytest.mark.parametrize(
    "provider", [p for p in OAUTH_PROVIDERS if p.oauth and p.oauth.host_rule == "public"], ids=lambda p: p.id
)
def test_public_entries_take_the_host_from_a_url_field_checked_by_the_generic_rules(
    provider: Provider,
) -> None:
    spec = provider.oauth
    assert spec is not None and not spec.allowed_host_suffixes
    for template in _templates(provider):
        name = template_fields(template)
        assert template.startswith("{") and len(name) == 1, template
        field = provider.field(next(iter(name)))
        if field is not None:  # discovery fills the others, through the same checks
            assert field.type == "url"


def test_gitlab_com_and_self_managed_follow_different_host_rules() -> None:
    assert REGISTRY.get("gitlab").oauth.host_rule == "suffix"  # type: ignore[union-attr]
    assert REGISTRY.get("gitlab-self-managed").oauth.host_rule == "public"  # type: ignore[union-attr]
    with pytest.raises(UnsafeUrl):
        oauth.resolve_endpoints(
            REGISTRY.get("gitlab-self-managed"), {"base_url": "https://10.0.0.1"}, allow_local_http=False
        )


# ------------------------------------------------------------------ agreement with the facts


@pytest.mark.parametrize("provider", IN_FACTS, ids=ids(IN_FACTS))
def test_auth_type_matches_the_facts(provider: Provider) -> None:
    assert provider.auth_type == FACTS_AUTH_TYPE[FACTS_BY_ID[provider.id]["auth_mode"]]


@pytest.mark.parametrize("provider", OAUTH_IN_FACTS, ids=ids(OAUTH_IN_FACTS))
def test_urls_match_the_facts(provider: Provider) -> None:
    fact = FACTS_BY_ID[provider.id]
    for ours, theirs in samples(provider):
        endpoints = oauth.resolve_endpoints(provider, org_config(provider, ours), allow_local_http=False)
        if provider.interactive:
            assert endpoints.authorize_url == render_fact(fact["authorization_url"], theirs)
        else:  # client credentials: no browser step (a facts' authorize URL is unused by the grant)
            assert endpoints.authorize_url == ""
        if not deviates(provider, "token_url"):
            assert endpoints.token_url == render_fact(fact["token_url"], theirs)
        if fact["refresh_url"]:
            assert endpoints.refresh_url == render_fact(fact["refresh_url"], theirs)
        else:
            assert endpoints.refresh_url == endpoints.token_url


def test_the_monday_token_url_deviation_is_only_the_path() -> None:
    fact, ours = FACTS_BY_ID["monday"]["token_url"], REGISTRY.get("monday").oauth.token_url  # type: ignore[union-attr]
    assert urlsplit(fact).netloc == urlsplit(ours).netloc == "auth.monday.com"
    assert (urlsplit(fact).path, urlsplit(ours).path) == ("/oauth2/token", "/oauth_ms/oauth/token")


@pytest.mark.parametrize("provider", OAUTH_IN_FACTS, ids=ids(OAUTH_IN_FACTS))
def test_scope_separator_matches_the_facts(provider: Provider) -> None:
    assert provider.oauth is not None
    if not deviates(provider, "scope_separator"):
        assert provider.oauth.scope_separator == FACTS_BY_ID[provider.id]["scope_separator"]


@pytest.mark.parametrize("provider", OAUTH_IN_FACTS, ids=ids(OAUTH_IN_FACTS))
def test_pkce_matches_the_facts_allowing_only_documented_upgrades(provider: Provider) -> None:
    assert provider.oauth is not None
    fact = FACTS_BY_ID[provider.id]["pkce"]
    if fact:
        assert provider.oauth.pkce, "never turn PKCE off where the facts have it on"
    elif deviates(provider, "pkce"):
        assert provider.oauth.pkce
    else:
        assert not provider.oauth.pkce


@pytest.mark.parametrize("provider", OAUTH_IN_FACTS, ids=ids(OAUTH_IN_FACTS))
def test_client_auth_and_body_format_match_the_facts(provider: Provider) -> None:
    assert provider.oauth is not None
    fact = FACTS_BY_ID[provider.id]
    expected = CUSTOM_AT_SOURCE.get(provider.id) or FACTS_CLIENT_AUTH[fact["token_auth_method"]]
    assert provider.oauth.client_auth == expected
    assert provider.oauth.body_format == fact["body_format"]


@pytest.mark.parametrize("provider", OAUTH_IN_FACTS, ids=ids(OAUTH_IN_FACTS))
def test_authorization_params_match_the_facts(provider: Provider) -> None:
    fact = FACTS_BY_ID[provider.id]
    ours, theirs = samples(provider)[0]
    config = org_config(provider, ours)
    endpoints = oauth.resolve_endpoints(provider, config, allow_local_http=False)
    url = oauth.build_authorize_url(
        provider,
        authorize_url=endpoints.authorize_url,
        client_id="cid",
        redirect_uri="https://api.example.com/oauth/callback/x",
        state="s" * 43,
        code_verifier="v" * 64,
        scopes={"scope": ["a"]},
        config=config,
    )
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    for key, value in (fact["authorization_params"] or {}).items():
        if key != "response_type" and not deviates(provider, key):  # response_type: the flow sends code
            assert query.get(key) == render_fact(fact_text(value), theirs), key


@pytest.mark.parametrize("provider", OAUTH_IN_FACTS, ids=ids(OAUTH_IN_FACTS))
def test_token_and_refresh_params_match_the_facts(provider: Provider) -> None:
    fact = FACTS_BY_ID[provider.id]
    ours, theirs = samples(provider)[0]
    config = org_config(provider, ours)
    exchange = oauth.code_exchange_params(
        provider, code="c", redirect_uri="https://r", code_verifier=None, config=config
    )
    refresh = oauth.refresh_params(provider, refresh_token="rt", config=config)
    for key, value in (fact["token_params"] or {}).items():
        if key != "grant_type":
            assert exchange.get(key) == render_fact(fact_text(value), theirs), key
    for key, value in (fact["refresh_params"] or {}).items():
        if key != "grant_type":
            assert refresh.get(key) == render_fact(fact_text(value), theirs), key


@pytest.mark.parametrize("provider", OAUTH_IN_FACTS, ids=ids(OAUTH_IN_FACTS))
def test_default_scopes_and_kept_metadata_include_the_facts(provider: Provider) -> None:
    spec = provider.oauth
    assert spec is not None
    fact = FACTS_BY_ID[provider.id]
    offered = {*spec.scopes.default, *spec.scopes.required, *(k.name for k in spec.scopes.known)}
    assert set(fact["default_scopes"] or ()) <= offered or not spec.scopes_checked
    kept = {(k.source, k.path) for k in spec.metadata}
    for path in fact["token_response_metadata"] or ():
        assert ("token", "$." + path) in kept, path
    for name in fact["redirect_uri_metadata"] or ():
        assert ("callback", name) in kept, name
    if fact["alternate_access_token_response_path"]:
        assert spec.token_path == fact["alternate_access_token_response_path"]


def test_render_fact_follows_the_facts_fallback_convention() -> None:
    template = "https://${connectionConfig.h}/a || https://login.example.com/a"
    assert render_fact(template, {"h": "x.example.com"}) == "https://x.example.com/a"
    assert render_fact(template, {}) == "https://login.example.com/a"


# ---------------------------------------------------------------- scope sets


@pytest.mark.parametrize("provider", OAUTH_PROVIDERS, ids=ids(OAUTH_PROVIDERS))
def test_every_scope_of_an_entry_is_a_scope_token_its_choice_would_accept(provider: Provider) -> None:
    from byoc.oauth.scopes import SCOPE_TOKEN

    assert provider.oauth is not None
    for scope_set in provider.oauth.scope_sets:
        names = [*scope_set.default, *scope_set.required, *(k.name for k in scope_set.known)]
        assert all(SCOPE_TOKEN.fullmatch(n) and scope_set.separator not in n for n in names), names
        assert len({k.name for k in scope_set.known}) == len(scope_set.known), "a known scope listed twice"
        assert all(0 < len(k.description) <= 90 for k in scope_set.known)
        assert scope_set.check(list(scope_set.default)) == scope_set.default  # the defaults pass the check


@pytest.mark.parametrize("provider", OAUTH_PROVIDERS, ids=ids(OAUTH_PROVIDERS))
def test_an_entry_whose_scopes_were_not_checked_leaves_the_choice_open(provider: Provider) -> None:
    spec = provider.oauth
    assert spec is not None
    if spec.scopes_checked:
        assert spec.scopes_source and spec.scopes_source.startswith("https://")
    else:
        assert all(s.allow_unknown for s in spec.scope_sets)


def test_slack_has_a_user_scope_set_sent_as_user_scope() -> None:
    spec = REGISTRY.get("slack").oauth
    assert spec is not None
    assert [(s.name, s.param) for s in spec.scope_sets] == [
        ("scopes", "scope"),
        ("user_scopes", "user_scope"),
    ]
    assert spec.scope_sets[1].known
