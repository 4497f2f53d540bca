"""Every OAuth provider of the registry, end to end through our protocol code, against expectations
written by hand here (EXPECTED, the entries written by hand, and the families built on them) or read
from the reference facts (tests/data/reference_facts.json: the entries imported from them), never from
our own entry.

For each provider: the authorize URL for a sample org (host, path, parameters), and the code exchange and
refresh sent through ``byoc.outbound.OutboundClient`` with an ``httpx.MockTransport`` (method, URL, client
authentication, content type, body). Then the quirks: Slack's ok:false and nested token, GitHub's
form-encoded answer, Salesforce's instance_url, QuickBooks' realmId, Zoho's accounts-server, and templated
hosts that try to leave their provider's domain.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from byoc.errors import ProviderError, UnsafeUrl
from byoc.oauth import fields as validation
from byoc.oauth import protocol as oauth
from byoc.oauth.client import App, TokenEndpointClient
from byoc.oauth.registry import Provider, get_registry, redirect_uri
from byoc.outbound import OutboundClient
from tests.support.registry import entry_from_source
from tests.support.samples import fact_text, facts_config, field_value, org_values, render_fact

ROOT = Path(__file__).resolve().parents[2]
FACTS = {p["id"]: p for p in json.loads((ROOT / "tests/data/reference_facts.json").read_text())["providers"]}
API_BASE = "https://api.example.com"
CLIENT_ID = "client id/+&é"  # characters that must be form-encoded in a Basic header (RFC 6749 §2.3.1)
CLIENT_SECRET = "s3cr3t:+/="
STATE = "s" * 43
VERIFIER = "v" * 64
NOW = 1_700_000_000


@dataclass(frozen=True)
class Expect:
    """What a provider's requests must look like, written from its documentation and the facts."""

    authorize: str  # scheme, host and path of the authorize URL for the sample org
    token: str  # the token URL for the sample org
    auth: str = "post"  # "post": client_id/client_secret in the body; "basic": HTTP Basic header
    body: str = "form"  # "form" or "json"
    pkce: bool = True
    scope_separator: str = " "
    params: dict[str, str] = field(default_factory=dict)  # extra authorize parameters
    token_params: dict[str, str] = field(default_factory=dict)
    refresh: str | None = None  # the refresh URL when it is not the token URL
    refresh_params: dict[str, str] = field(default_factory=dict)
    org: dict[str, str] = field(default_factory=dict)  # the sample org's field values
    # Standard parameters the provider names otherwise (None: not sent), authorize and token requests.
    names: dict[str, str | None] = field(default_factory=dict)
    token_names: dict[str, str | None] = field(default_factory=dict)


def as_named(params: dict[str, str], names: dict[str, str | None]) -> dict[str, str]:
    """The standard parameters under the names the provider uses (written out here, not imported)."""
    out = {}
    for key, value in params.items():
        name = names.get(key, key)
        if name is not None:
            out[name] = value
    return out


GOOGLE = dict(
    authorize="https://accounts.google.com/o/oauth2/v2/auth",
    token="https://oauth2.googleapis.com/token",
    params={"access_type": "offline", "prompt": "consent"},
)
ATLASSIAN = dict(
    authorize="https://auth.atlassian.com/authorize",
    token="https://auth.atlassian.com/oauth/token",
    params={"audience": "api.atlassian.com", "prompt": "consent"},
)
MICROSOFT_COMMON = dict(
    authorize="https://login.microsoftonline.com/common/oauth2/v2.0/authorize",
    token="https://login.microsoftonline.com/common/oauth2/v2.0/token",
    params={"response_mode": "query"},
)

EXPECTED: dict[str, Expect] = {
    "airtable": Expect(
        "https://airtable.com/oauth2/v1/authorize", "https://airtable.com/oauth2/v1/token", auth="basic"
    ),
    "asana": Expect("https://app.asana.com/-/oauth_authorize", "https://app.asana.com/-/oauth_token"),
    "atlassian": Expect(**ATLASSIAN),
    "bitbucket": Expect(
        "https://bitbucket.org/site/oauth2/authorize", "https://bitbucket.org/site/oauth2/access_token"
    ),
    "box": Expect("https://account.box.com/api/oauth2/authorize", "https://api.box.com/oauth2/token"),
    "calendly": Expect("https://auth.calendly.com/oauth/authorize", "https://auth.calendly.com/oauth/token"),
    "clickup": Expect("https://app.clickup.com/api", "https://api.clickup.com/api/v2/oauth/token"),
    "confluence": Expect(**ATLASSIAN),
    "discord": Expect("https://discord.com/api/oauth2/authorize", "https://discord.com/api/oauth2/token"),
    "docusign": Expect(
        "https://account.docusign.com/oauth/auth", "https://account.docusign.com/oauth/token", auth="basic"
    ),
    "docusign-sandbox": Expect(
        "https://account-d.docusign.com/oauth/auth",
        "https://account-d.docusign.com/oauth/token",
        auth="basic",
    ),
    "dropbox": Expect(
        "https://www.dropbox.com/oauth2/authorize",
        "https://api.dropboxapi.com/oauth2/token",
        params={"token_access_type": "offline"},
    ),
    "figma": Expect(
        "https://www.figma.com/oauth",
        "https://api.figma.com/v1/oauth/token",
        auth="basic",
        scope_separator=",",
        refresh="https://api.figma.com/v1/oauth/refresh",
    ),
    "generic_oauth2": Expect(
        "https://idp.example.com/authorize",
        "https://idp.example.com/token",
        auth="basic",
        org={
            "authorization_endpoint": "https://idp.example.com/authorize",
            "token_endpoint": "https://idp.example.com/token",
        },
    ),
    "generic_oidc": Expect(
        "https://login.example.com/oauth2/auth",
        "https://login.example.com/oauth2/token",
        auth="basic",
        params={"prompt": "consent"},
        org={
            "issuer": "https://login.example.com",
            "authorization_endpoint": "https://login.example.com/oauth2/auth",
            "token_endpoint": "https://login.example.com/oauth2/token",
        },
    ),
    "github": Expect(
        "https://github.com/login/oauth/authorize", "https://github.com/login/oauth/access_token"
    ),
    "gitlab": Expect("https://gitlab.com/oauth/authorize", "https://gitlab.com/oauth/token"),
    "gitlab-self-managed": Expect(
        "https://git.acme.example/oauth/authorize",
        "https://git.acme.example/oauth/token",
        org={"base_url": "https://git.acme.example"},
    ),
    "google": Expect(**GOOGLE),
    "google-calendar": Expect(**GOOGLE),
    "google-drive": Expect(**GOOGLE),
    "google-mail": Expect(**GOOGLE),
    "google-sheet": Expect(**GOOGLE),
    "hubspot": Expect("https://app.hubspot.com/oauth/authorize", "https://api.hubapi.com/oauth/v1/token"),
    "intercom": Expect(
        "https://app.eu.intercom.com/oauth",
        "https://api.eu.intercom.io/auth/eagle/token",
        org={"region": "eu"},
    ),
    "jira": Expect(**ATLASSIAN),
    "jira-data-center": Expect(
        "https://jira.acme.example/rest/oauth2/latest/authorize",
        "https://jira.acme.example/rest/oauth2/latest/token",
        params={"grant_type": "authorization_code"},
        org={"base_url": "https://jira.acme.example"},
    ),
    "linear": Expect(
        "https://linear.app/oauth/authorize",
        "https://api.linear.app/oauth/token",
        scope_separator=",",
        params={"prompt": "consent"},
    ),
    "mailchimp": Expect(
        "https://login.mailchimp.com/oauth2/authorize", "https://login.mailchimp.com/oauth2/token"
    ),
    "microsoft": Expect(**MICROSOFT_COMMON),
    "microsoft-tenant-specific": Expect(
        "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/authorize",
        "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token",
        params={"response_mode": "query", "prompt": "consent"},
        org={"tenant": "contoso.onmicrosoft.com"},
    ),
    "miro": Expect("https://miro.com/oauth/authorize", "https://api.miro.com/v1/oauth/token"),
    "amazon-selling-partner": Expect(
        "https://sellercentral.amazon.com/apps/authorize/consent",
        "https://api.amazon.com/auth/o2/token",
        pkce=False,
        params={"application_id": "amzn1.sp.solution.abc-123"},
        org={"application_id": "amzn1.sp.solution.abc-123"},
        names={"client_id": None, "response_type": None},
    ),
    "bigcommerce": Expect(
        "https://login.bigcommerce.com/oauth2/authorize",
        "https://login.bigcommerce.com/oauth2/token",
        params={"context": "stores/hpj4hvw2bb"},
        token_params={"context": "stores/hpj4hvw2bb"},
        org={"store_hash": "hpj4hvw2bb"},
    ),
    "tiktok": Expect(
        "https://www.tiktok.com/v2/auth/authorize/",
        "https://open.tiktokapis.com/v2/oauth/token/",
        scope_separator=",",
        names={"client_id": "client_key"},
        token_names={"client_id": "client_key"},
    ),
    "monday": Expect(
        "https://auth.monday.com/oauth2/authorize",
        "https://auth.monday.com/oauth_ms/oauth/token",
        params={"force_install_if_needed": "true"},
    ),
    "notion": Expect(
        "https://api.notion.com/v1/oauth/authorize",
        "https://api.notion.com/v1/oauth/token",
        auth="basic",
        body="json",
        params={"owner": "user"},
    ),
    "okta": Expect(
        "https://acme.okta.com/oauth2/v1/authorize",
        "https://acme.okta.com/oauth2/v1/token",
        params={"response_mode": "query"},
        org={"subdomain": "acme"},
    ),
    "outlook": Expect(**MICROSOFT_COMMON),
    "pipedrive": Expect(
        "https://oauth.pipedrive.com/oauth/authorize",
        "https://oauth.pipedrive.com/oauth/token",
        auth="basic",
        pkce=False,
    ),
    "quickbooks": Expect(
        "https://appcenter.intuit.com/connect/oauth2",
        "https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer",
    ),
    "quickbooks-sandbox": Expect(
        "https://appcenter.intuit.com/connect/oauth2",
        "https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer",
    ),
    "salesforce": Expect(
        "https://acme.my.salesforce.com/services/oauth2/authorize",
        "https://acme.my.salesforce.com/services/oauth2/token",
        params={"prompt": "consent"},
        org={"hostname": "acme.my.salesforce.com"},
    ),
    "salesforce-sandbox": Expect(
        "https://test.salesforce.com/services/oauth2/authorize",
        "https://test.salesforce.com/services/oauth2/token",
    ),
    "shopify": Expect(
        "https://acme-store.myshopify.com/admin/oauth/authorize",
        "https://acme-store.myshopify.com/admin/oauth/access_token",
        scope_separator=",",
        token_params={"expiring": "1"},
        org={"shop": "acme-store"},
    ),
    "slack": Expect(
        "https://slack.com/oauth/v2/authorize",
        "https://slack.com/api/oauth.v2.access",
        pkce=False,
        scope_separator=",",
    ),
    "spotify": Expect("https://accounts.spotify.com/authorize", "https://accounts.spotify.com/api/token"),
    "stripe": Expect("https://connect.stripe.com/oauth/authorize", "https://connect.stripe.com/oauth/token"),
    "stripe-express": Expect(
        "https://connect.stripe.com/express/oauth/authorize", "https://connect.stripe.com/oauth/token"
    ),
    "todoist": Expect(
        "https://todoist.com/oauth/authorize", "https://todoist.com/oauth/access_token", scope_separator=","
    ),
    "twitter-v2": Expect(
        "https://x.com/i/oauth2/authorize",
        "https://api.twitter.com/2/oauth2/token",
        auth="basic",
        params={"response_mode": "query"},
    ),
    "smartsheet": Expect(
        "https://app.smartsheet.com/b/authorize",
        "https://api.smartsheet.eu/2.0/token",
        org={"domain": "smartsheet.eu"},
    ),
    "typeform": Expect(
        "https://api.typeform.com/oauth/authorize", "https://api.typeform.com/oauth/token", pkce=False
    ),
    "webflow": Expect("https://webflow.com/oauth/authorize", "https://api.webflow.com/oauth/access_token"),
    "wrike": Expect(
        "https://login.wrike.com/oauth2/authorize/v4",
        "https://login.wrike.com/oauth2/token",
        scope_separator=",",
    ),
    "xero": Expect(
        "https://login.xero.com/identity/connect/authorize", "https://identity.xero.com/connect/token"
    ),
    "zendesk": Expect(
        "https://acme.zendesk.com/oauth/authorizations/new",
        "https://acme.zendesk.com/oauth/tokens",
        token_params={"expires_in": "1800"},
        refresh_params={"expires_in": "1800"},
        org={"subdomain": "acme"},
    ),
    "zoho": Expect(
        "https://accounts.zoho.eu/oauth/v2/auth",
        "https://accounts.zoho.eu/oauth/v2/token",
        params={"access_type": "offline", "prompt": "consent"},
        org={"region": "eu"},
        scope_separator=",",
    ),
    "zoho-crm": Expect(
        "https://accounts.zoho.com/oauth/v2/auth",
        "https://accounts.zoho.com/oauth/v2/token",
        params={"access_type": "offline", "prompt": "consent"},
        scope_separator=",",
    ),
    "zoom": Expect("https://zoom.us/oauth/authorize", "https://zoom.us/oauth/token", scope_separator=","),
}

REGISTRY = get_registry()
# The browser-flow entries; client-credentials ones (no authorize, no code) are test_client_credentials.py's.
OAUTH_IDS = [p.id for p in REGISTRY if p.interactive]
# Facts parameters an entry leaves out on purpose (its notes say why).
LEFT_OUT_PARAMS = {("bigcommerce", "account_uuid")}
FACTS_CLIENT_AUTH = {"basic": "basic", "basic (authorization_method: header)": "basic", "body": "post"}


def from_facts(pid: str) -> Expect:
    """What the reference facts say the requests are, for a sample org made from the entry's fields."""
    fact = FACTS[pid]
    ours = org_values(REGISTRY.get(pid))
    theirs = facts_config(fact, ours)

    def params(key: str, drop: str) -> dict[str, str]:
        return {k: render_fact(fact_text(v), theirs) for k, v in (fact[key] or {}).items() if k != drop}

    names = {k.rstrip("="): v.rstrip("=") for k, v in (fact["authorization_url_replacements"] or {}).items()}
    return Expect(
        authorize=render_fact(fact["authorization_url"], theirs),
        token=render_fact(fact["token_url"], theirs),
        auth=FACTS_CLIENT_AUTH[fact["token_auth_method"] or "body"],
        body=fact["body_format"] or "form",
        pkce=fact["pkce"] is not False,
        scope_separator=fact["scope_separator"] or " ",
        params=params("authorization_params", "response_type"),
        token_params=params("token_params", "grant_type"),
        refresh=render_fact(fact["refresh_url"], theirs) if fact["refresh_url"] else None,
        refresh_params=params("refresh_params", "grant_type"),
        org=ours,
        names=names,  # type: ignore[arg-type]
    )


def member_of_hand_entry(pid: str) -> Expect:
    """A family member of a hand-written entry sends its base's requests, with the facts' extra
    authorize, token and refresh parameters (its own default scopes aside)."""
    p = REGISTRY.get(pid)
    base = EXPECTED[p.extends]  # type: ignore[index]
    fact = FACTS[pid]
    extra = {
        key: {
            k: fact_text(v)
            for k, v in (fact[theirs] or {}).items()
            if k not in ("response_type", "grant_type")
        }
        for key, theirs in (
            ("params", "authorization_params"),
            ("token_params", "token_params"),
            ("refresh_params", "refresh_params"),
        )
    }
    return Expect(
        **{
            **base.__dict__,
            "params": {**base.params, **extra["params"]},
            "token_params": {**base.token_params, **extra["token_params"]},
            "refresh_params": {**base.refresh_params, **extra["refresh_params"]},
        }
    )


def facts_params(pid: str, key: str) -> dict[str, str]:
    """The facts' parameters of ``key`` for the sample org (none when the facts lack the entry)."""
    fact = FACTS.get(pid) or {}
    theirs = facts_config(fact, expectation(pid).org)
    given = {k: v for k, v in (fact.get(key) or {}).items() if k not in ("response_type", "grant_type")}
    given = {k: v for k, v in given.items() if (pid, k) not in LEFT_OUT_PARAMS}
    return {k: render_fact(fact_text(v), theirs) for k, v in given.items()}


def expectation(pid: str) -> Expect:
    if pid in EXPECTED:
        return EXPECTED[pid]
    if REGISTRY.get(pid).extends in EXPECTED:
        return member_of_hand_entry(pid)
    return from_facts(pid)


def provider(pid: str) -> Provider:
    return REGISTRY.get(pid)


def org_config(p: Provider, values: dict[str, str]) -> dict[str, str]:
    """The org's stored config, as POST /integrations leaves it (discovered endpoints are stored as is)."""
    discovered = {
        k: v for k, v in values.items() if k.endswith("_endpoint") and p.oauth and p.oauth.discovery
    }
    given = {k: v for k, v in values.items() if k not in discovered}
    # secrets beyond the client's (Google Ads' developer token): a value each, as the admin saves them
    given = {f.name: field_value(f) for f in p.fields if f.secret and f.name != "client_secret"} | given
    cleaned = validation.validate_credentials(
        p, {**given, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
    )
    return {k: v for k, v in cleaned.items() if k not in ("client_id", "client_secret")} | discovered


def endpoints_for(pid: str) -> oauth.Endpoints:
    p = provider(pid)
    return oauth.resolve_endpoints(p, org_config(p, expectation(pid).org), allow_local_http=False)


def authorize_query(pid: str) -> tuple[str, dict[str, str]]:
    p = provider(pid)
    expect = expectation(pid)
    url = oauth.build_authorize_url(
        p,
        authorize_url=endpoints_for(pid).authorize_url,
        client_id=CLIENT_ID,
        redirect_uri=redirect_uri(API_BASE, pid),
        state=STATE,
        code_verifier=VERIFIER if p.oauth and p.oauth.pkce else None,
        scopes=oauth.requested_scopes(p, org_config(p, expect.org)),
        config=org_config(p, expect.org),
    )
    parts = urlsplit(url)
    query = parse_qs(parts.query, keep_blank_values=True, strict_parsing=True)
    assert all(len(v) == 1 for v in query.values()), "no parameter is sent twice"
    return f"{parts.scheme}://{parts.netloc}{parts.path}", {k: v[0] for k, v in query.items()}


class Recorder:
    """An httpx.MockTransport handler that records requests and answers a fixed response."""

    def __init__(self, body: Any = None, *, status: int = 200, content_type: str = "application/json"):
        self.requests: list[httpx.Request] = []
        self.status = status
        self.content_type = content_type
        self.body = (
            body
            if body is not None
            else {
                "access_token": "at-123",
                "token_type": "bearer",
                "refresh_token": "rt-456",
                "expires_in": 3600,
            }
        )

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        raw = self.body if isinstance(self.body, bytes) else json.dumps(self.body).encode()
        return httpx.Response(self.status, content=raw, headers={"content-type": self.content_type})

    def client(self) -> OutboundClient:
        return OutboundClient(transport=httpx.MockTransport(self))


def request_body(request: httpx.Request) -> tuple[str, dict[str, str]]:
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("application/json"):
        return "json", json.loads(request.content)
    assert content_type.startswith("application/x-www-form-urlencoded"), content_type
    pairs = parse_qs(request.content.decode(), keep_blank_values=True, strict_parsing=True)
    return "form", {k: v[0] for k, v in pairs.items()}


def basic(client_id: str, client_secret: str) -> str:
    from urllib.parse import quote_plus

    return (
        "Basic " + base64.b64encode(f"{quote_plus(client_id)}:{quote_plus(client_secret)}".encode()).decode()
    )


def exchange(
    pid: str,
    recorder: Recorder,
    *,
    url: str | None = None,
    callback: dict[str, str] | None = None,
    pkce: bool | None = None,
) -> oauth.TokenSet:
    p = provider(pid)
    config = org_config(p, expectation(pid).org)
    use_pkce = p.oauth.pkce if pkce is None and p.oauth else bool(pkce)
    request = oauth.build_token_request(
        p,
        url=url or endpoints_for(pid).token_url,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        client_auth=oauth.client_auth_method(p, config),
        params=oauth.code_exchange_params(
            p,
            code="code-1",
            redirect_uri=redirect_uri(API_BASE, pid),
            code_verifier=VERIFIER if use_pkce else None,
            config=config,
        ),
    )
    return TokenEndpointClient(recorder.client(), allow_local_http=False).request_tokens(
        p, request, now=NOW, callback_params=callback
    )


# ------------------------------------------------------------------ every provider


def test_every_oauth_provider_has_an_expectation_by_hand_or_from_the_facts() -> None:
    assert set(EXPECTED) <= set(OAUTH_IDS)
    by_facts = set(OAUTH_IDS) - set(EXPECTED)
    assert by_facts <= set(FACTS), "an entry written by hand needs a hand-written expectation"
    # the imported ones say so; a hand-written entry (no import note) is never checked by the facts alone
    assert all(REGISTRY.get(pid).verified.get("reference") for pid in by_facts)


@pytest.mark.parametrize("pid", OAUTH_IDS)
def test_authorize_url(pid: str) -> None:
    expect = expectation(pid)
    p = provider(pid)
    assert p.oauth is not None
    base, query = authorize_query(pid)
    assert base == expect.authorize
    standard = {
        "response_type": "code",
        "client_id": CLIENT_ID,
        "redirect_uri": f"{API_BASE}/oauth/callback/{pid}",
        "state": STATE,
    }
    for key, value in as_named(standard, expect.names).items():
        assert query[key] == value, key
    for key, name in expect.names.items():
        assert key not in query or key == name, f"{key} is sent as {name}"
    if expect.pkce:
        assert query["code_challenge"] == oauth.code_challenge(VERIFIER)
        assert query["code_challenge_method"] == "S256"
    else:
        assert "code_challenge" not in query and "code_challenge_method" not in query
    scopes = oauth.requested_scopes(p, org_config(p, expect.org))["scope"]
    if scopes:
        assert query["scope"] == expect.scope_separator.join(scopes)
    elif "scope" not in expect.params:  # some providers take a fixed scope as a parameter
        assert "scope" not in query
    for key, value in expect.params.items():
        assert query[key] == value, key
    known = {*as_named(standard, expect.names), "scope", "code_challenge", "code_challenge_method"}
    assert set(query) - known == set(expect.params) - {"scope"}, "no unexpected authorize parameter"


@pytest.mark.parametrize("pid", [pid for pid in EXPECTED if pid in FACTS])
def test_authorize_url_against_the_reference_facts(pid: str) -> None:
    fact = FACTS[pid]
    base, query = authorize_query(pid)
    fact_url = fact["authorization_url"].split(" || ")
    # The facts' URL for this org: the templated alternative filled by hand for the sample org.
    by_hand = {
        "okta": "https://acme.okta.com/oauth2/v1/authorize",
        "salesforce": "https://acme.my.salesforce.com/services/oauth2/authorize",
        "salesforce-sandbox": fact_url[-1],
        "smartsheet": fact_url[-1],  # the sample org keeps the default sign-in host
        "amazon-selling-partner": "https://sellercentral.amazon.com/apps/authorize/consent",
        "shopify": "https://acme-store.myshopify.com/admin/oauth/authorize",
        "zendesk": "https://acme.zendesk.com/oauth/authorizations/new",
        "intercom": "https://app.eu.intercom.com/oauth",
        "zoho": "https://accounts.zoho.eu/oauth/v2/auth",
        "zoho-crm": "https://accounts.zoho.com/oauth/v2/auth",
        "microsoft-tenant-specific": "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/authorize",
        "jira-data-center": "https://jira.acme.example/rest/oauth2/latest/authorize",
    }
    expected = by_hand.get(pid, fact["authorization_url"])
    assert "${" not in expected
    assert (urlsplit(base).netloc, urlsplit(base).path) == (
        urlsplit(expected).netloc,
        urlsplit(expected).path,
    )
    for key, value in facts_params(pid, "authorization_params").items():
        assert query[key] == value, key
    for scope in fact["default_scopes"] or ():
        assert scope in query["scope"].split(fact["scope_separator"] or " ")


@pytest.mark.parametrize("pid", OAUTH_IDS)
def test_code_exchange_request(pid: str) -> None:
    expect = expectation(pid)
    recorder = Recorder(
        {
            "ok": True,
            "access_token": "at-123",
            "token_type": "bearer",
            "refresh_token": "rt-456",
            "expires_in": 3600,
        }
    )
    tokens = exchange(pid, recorder)
    assert (tokens.access_token, tokens.refresh_token, tokens.expires_at) == ("at-123", "rt-456", NOW + 3600)
    [sent] = recorder.requests
    assert sent.method == "POST"
    assert str(sent.url) == expect.token
    assert sent.headers["accept"] == "application/json"
    kind, body = request_body(sent)
    assert kind == expect.body
    expected_body = {
        "grant_type": "authorization_code",
        "code": "code-1",
        "redirect_uri": f"{API_BASE}/oauth/callback/{pid}",
        **expect.token_params,
    }
    if expect.pkce:
        expected_body["code_verifier"] = VERIFIER
    if expect.auth == "basic":
        assert sent.headers["authorization"] == basic(CLIENT_ID, CLIENT_SECRET)
    else:
        assert "authorization" not in sent.headers
        expected_body.update(client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
    assert body == as_named(expected_body, expect.token_names)
    for key, value in facts_params(pid, "token_params").items():
        assert body[key] == value, key


@pytest.mark.parametrize("pid", OAUTH_IDS)
def test_refresh_request(pid: str) -> None:
    expect = expectation(pid)
    p = provider(pid)
    config = org_config(p, expect.org)
    endpoints = endpoints_for(pid)
    assert endpoints.refresh_url == (expect.refresh or expect.token)
    request = oauth.build_token_request(
        p,
        url=endpoints.refresh_url,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        client_auth=oauth.client_auth_method(p, config),
        params=oauth.refresh_params(p, refresh_token="rt-456", config=config),
    )
    recorder = Recorder({"ok": True, "access_token": "at-2", "expires_in": 60})
    client = TokenEndpointClient(recorder.client(), allow_local_http=False)
    tokens = client.request_tokens(p, request, now=NOW)
    assert tokens.access_token == "at-2" and tokens.expires_at == NOW + 60
    [sent] = recorder.requests
    assert (sent.method, str(sent.url)) == ("POST", expect.refresh or expect.token)
    _, body = request_body(sent)
    assert body["grant_type"] == "refresh_token" and body["refresh_token"] == "rt-456"
    for key, value in expect.refresh_params.items():
        assert body[key] == value
    for key, value in facts_params(pid, "refresh_params").items():
        assert body[key] == value, key


# ------------------------------------------------------------------ quirks


def test_slack_ok_false_is_an_error_even_with_http_200() -> None:
    with pytest.raises(ProviderError) as caught:
        exchange("slack", Recorder({"ok": False, "error": "invalid_code"}))
    assert caught.value.reason == "provider_error"


def test_slack_without_ok_is_an_error() -> None:
    with pytest.raises(ProviderError):
        exchange("slack", Recorder({"access_token": "xoxb-1"}))


def test_slack_user_token_is_found_in_authed_user() -> None:
    tokens = exchange(
        "slack",
        Recorder(
            {
                "ok": True,
                "app_id": "A1",
                "team": {"id": "T123", "name": "Acme"},
                "authed_user": {
                    "id": "U1",
                    "scope": "search:read",
                    "access_token": "xoxp-user",
                    "token_type": "user",
                },
            }
        ),
    )
    assert tokens.access_token == "xoxp-user"
    assert tokens.token_type == "Bearer"  # Slack names its bearer tokens "user" and "bot": sent as Bearer
    assert tokens.scope == "search:read"
    assert tokens.metadata == {"team_id": "T123", "team_name": "Acme", "app_id": "A1", "authed_user_id": "U1"}


def test_slack_bot_token_at_the_top_level_wins() -> None:
    tokens = exchange(
        "slack",
        Recorder(
            {
                "ok": True,
                "access_token": "xoxb-bot",
                "token_type": "bot",
                "bot_user_id": "B1",
                "team": {"id": "T123"},
                "authed_user": {"id": "U1", "access_token": "xoxp-user"},
                "incoming_webhook": {
                    "url": "https://hooks.slack.com/x",
                    "channel": "#general",
                    "channel_id": "C1",
                },
            }
        ),
    )
    assert tokens.access_token == "xoxb-bot"
    assert tokens.metadata == {
        "team_id": "T123",
        "bot_user_id": "B1",
        "authed_user_id": "U1",
        "incoming_webhook_channel": "#general",
        "incoming_webhook_channel_id": "C1",
    }
    # The webhook URL is a credential: sealed with the tokens, never in the record's clear metadata.
    assert tokens.secret_metadata == {"incoming_webhook_url": "https://hooks.slack.com/x"}
    assert tokens.sealed_value()["metadata"] == {"incoming_webhook_url": "https://hooks.slack.com/x"}


@pytest.mark.parametrize("content_type", ["application/x-www-form-urlencoded; charset=utf-8", "text/plain"])
def test_github_form_encoded_answer_is_read(content_type: str) -> None:
    recorder = Recorder(
        b"access_token=gho_abc&scope=read%3Auser&token_type=bearer", content_type=content_type
    )
    tokens = exchange("github", recorder)
    assert (tokens.access_token, tokens.scope, tokens.expires_at) == ("gho_abc", "read:user", None)
    assert recorder.requests[0].headers["accept"] == "application/json"


def test_github_error_in_a_form_encoded_200_is_an_error() -> None:
    recorder = Recorder(
        b"error=bad_verification_code&error_description=The+code+is+incorrect",
        content_type="application/x-www-form-urlencoded",
    )
    with pytest.raises(ProviderError):
        exchange("github", recorder)


def test_salesforce_instance_url_is_kept_and_missing_expiry_stays_unknown() -> None:
    tokens = exchange(
        "salesforce",
        Recorder(
            {
                "access_token": "00D!x",
                "refresh_token": "5Aep",
                "instance_url": "https://acme.my.salesforce.com",
                "id": "https://login.salesforce.com/id/00D/005",
                "token_type": "Bearer",
                "issued_at": "1700000000000",
                "signature": "sig",
            }
        ),
    )
    assert tokens.metadata == {
        "instance_url": "https://acme.my.salesforce.com",
        "id": "https://login.salesforce.com/id/00D/005",
    }
    assert tokens.expires_at is None


def test_quickbooks_realm_id_is_kept_from_the_callback() -> None:
    callback = {"code": "code-1", "state": STATE, "realmId": "9341453474484455"}
    tokens = exchange("quickbooks", Recorder(), callback=callback)
    assert tokens.metadata == {"realm_id": "9341453474484455"}


@pytest.mark.parametrize(
    "pid,key,value",
    [
        ("pipedrive", "api_domain", "https://acme.pipedrive.com"),
        ("stripe", "stripe_user_id", "acct_123"),
        ("stripe-express", "stripe_user_id", "acct_123"),
        ("calendly", "owner", "https://api.calendly.com/users/U1"),
        ("notion", "workspace_id", "w-1"),
        ("zoho", "api_domain", "https://www.zohoapis.eu"),
        ("dropbox", "account_id", "dbid:1"),
    ],
)
def test_metadata_kept_from_the_token_response(pid: str, key: str, value: str) -> None:
    tokens = exchange(pid, Recorder({"access_token": "at", key: value, "unrelated": "x"}))
    assert tokens.metadata[key] == value
    assert "unrelated" not in tokens.metadata


def test_notion_sends_json_with_basic_auth_and_its_api_version() -> None:
    recorder = Recorder({"access_token": "secret_x", "workspace_id": "w", "bot_id": "b"})
    exchange("notion", recorder)
    sent = recorder.requests[0]
    assert sent.headers["notion-version"] == "2025-09-03"
    assert sent.headers["content-type"] == "application/json"


@pytest.mark.parametrize(
    "pid", ["microsoft", "outlook", "microsoft-tenant-specific", "linear", "figma", "monday"]
)
def test_pkce_stays_on_where_the_facts_turn_it_off(pid: str) -> None:
    assert FACTS[pid]["pkce"] is False
    _, query = authorize_query(pid)
    assert query["code_challenge_method"] == "S256"
    recorder = Recorder()
    exchange(pid, recorder)
    assert request_body(recorder.requests[0])[1]["code_verifier"] == VERIFIER


def test_microsoft_tenant_defaults_to_common_and_is_templated() -> None:
    p = provider("microsoft")
    assert org_config(p, {}) == {"tenant": "common"}
    endpoints = oauth.resolve_endpoints(
        p, org_config(p, {"tenant": "contoso.onmicrosoft.com"}), allow_local_http=False
    )
    assert (
        endpoints.token_url == "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token"
    )


@pytest.mark.parametrize(
    "region,app,api",
    [
        ("us", "app.intercom.com", "api.intercom.io"),
        ("eu", "app.eu.intercom.com", "api.eu.intercom.io"),
        ("au", "app.au.intercom.com", "api.au.intercom.io"),
    ],
)
def test_intercom_regions(region: str, app: str, api: str) -> None:
    p = provider("intercom")
    endpoints = oauth.resolve_endpoints(p, org_config(p, {"region": region}), allow_local_http=False)
    assert endpoints.authorize_url == f"https://{app}/oauth"
    assert endpoints.token_url == f"https://{api}/auth/eagle/token"


def test_zoho_region_is_a_select() -> None:
    region = provider("zoho").field("region")
    assert region is not None and region.type == "select"
    assert region.options == ("com", "eu", "in", "com.au", "com.cn", "jp", "ca", "sa", "uk")
    assert region.default == "com"


@pytest.mark.parametrize(
    ("region", "accounts", "api"),
    [
        ("ca", "accounts.zohocloud.ca", "www.zohoapis.ca"),
        ("sa", "accounts.zoho.sa", "www.zohoapis.sa"),
        ("uk", "accounts.zoho.uk", "www.zohoapis.uk"),
        ("eu", "accounts.zoho.eu", "www.zohoapis.eu"),
    ],
)
@pytest.mark.parametrize("pid", ["zoho", "zoho-crm", "zoho-desk"])
def test_zoho_data_centres_beyond_the_facts(pid: str, region: str, accounts: str, api: str) -> None:
    # Zoho's multi-DC page: Canada's accounts host is accounts.zohocloud.ca, not accounts.zoho.ca
    p = provider(pid)
    endpoints = oauth.resolve_endpoints(p, org_config(p, {"region": region}), allow_local_http=False)
    assert endpoints.authorize_url == f"https://{accounts}/oauth/v2/auth"
    assert endpoints.token_url == f"https://{accounts}/oauth/v2/token"
    from byoc.oauth.api import api_base_url

    if pid != "zoho-desk":  # Desk's API host is the facts' fixed desk.zoho.com
        assert (api_base_url(p, {"region": region}, {"api_domain": f"https://{api}"}) or "").startswith(
            f"https://{api}"
        )


# Zoho: the callback's accounts-server decides where the client secret goes.


def test_zoho_exchanges_the_code_at_the_callbacks_accounts_server() -> None:
    p = provider("zoho")
    callback = {
        "code": "code-1",
        "state": STATE,
        "location": "eu",
        "accounts-server": "https://accounts.zoho.eu",
    }
    token_url = oauth.callback_token_url(
        p, endpoints_for("zoho").token_url, oauth.callback_values(p, callback)
    )
    assert token_url == "https://accounts.zoho.eu/oauth/v2/token"
    recorder = Recorder(
        {"access_token": "1000.x", "api_domain": "https://www.zohoapis.eu", "expires_in": 3600}
    )
    tokens = exchange("zoho", recorder, url=token_url, callback=callback)
    assert str(recorder.requests[0].url) == "https://accounts.zoho.eu/oauth/v2/token"
    assert tokens.metadata == {
        "api_domain": "https://www.zohoapis.eu",
        "accounts_server": "https://accounts.zoho.eu",
    }


def test_zoho_accounts_server_in_another_region_than_chosen() -> None:
    p = provider("zoho")
    token_url = endpoints_for("zoho").token_url  # the org chose eu
    assert oauth.callback_token_url(p, token_url, {"accounts_server": "https://accounts.zoho.com.au"}) == (
        "https://accounts.zoho.com.au/oauth/v2/token"
    )
    assert oauth.callback_token_url(p, token_url, {}) == token_url


@pytest.mark.parametrize(
    "server",
    [
        "https://evil.example",
        "https://accounts.zoho.eu.evil.example",
        "https://evilzoho.eu",
        "https://accounts.zoho.eu@evil.example",
        "https://evil.example#accounts.zoho.eu",
        "https://evil.example/?accounts.zoho.eu",
        "https://accounts.zoho.eu:8443",
        "https://accounts.zoho.eu/other/path",
        "http://accounts.zoho.eu",
        "accounts.zoho.eu",
        "//accounts.zoho.eu",
        "https://www.zohoapis.eu",
        "https://10.0.0.1",
        "https://169.254.169.254",
        "https://ACCOUNTS.ZOHO.EU.evil.example",
        "https://accounts.zoho.eu\\@evil.example",
        "https://accounts.zoho.eu\r\nHost: evil.example",
    ],
)
def test_zoho_accounts_server_outside_zoho_is_refused_before_any_request(server: str) -> None:
    p = provider("zoho")
    recorder = Recorder()
    with pytest.raises(ProviderError) as caught:
        url = oauth.callback_token_url(
            p, endpoints_for("zoho").token_url, oauth.callback_values(p, {"accounts-server": server})
        )
        exchange("zoho", recorder, url=url)
    assert caught.value.reason == "untrusted_token_host"
    assert recorder.requests == []


def test_a_callback_host_parameter_is_ignored_by_providers_without_the_quirk() -> None:
    token_url = endpoints_for("google").token_url
    assert oauth.callback_token_url(
        provider("google"), token_url, {"accounts_server": "https://evil.example"}
    ) == (token_url)


# Templated hosts never leave the provider's domain (security guide item 10).


@pytest.mark.parametrize(
    "pid,name,value",
    [
        ("zendesk", "subdomain", "evil.example/"),
        ("zendesk", "subdomain", "evil.example#"),
        ("zendesk", "subdomain", "evil.example?"),
        ("zendesk", "subdomain", "a@evil.example/"),
        ("shopify", "shop", "evil.example/x"),
        ("okta", "subdomain", "169.254.169.254/"),
        ("salesforce", "hostname", "evil.example"),
        ("salesforce", "hostname", "salesforce.com.evil.example"),
        ("zoho", "region", "evil.example/x"),
        ("intercom", "region", "evil.example/"),
    ],
)
def test_templated_hosts_stay_under_the_provider_domain_even_without_field_validation(
    pid: str, name: str, value: str
) -> None:
    p = provider(pid)
    with pytest.raises(UnsafeUrl):
        oauth.resolve_endpoints(p, {name: value}, allow_local_http=False)


@pytest.mark.parametrize(
    "pid,name,value",
    [
        ("zendesk", "subdomain", "acme.evil.example"),
        ("zendesk", "subdomain", "Acme_1"),
        ("shopify", "shop", "shop.evil"),
        ("okta", "subdomain", "a/b"),
        ("salesforce", "hostname", "acme.lightning.force.com"),
        ("microsoft", "tenant", "../evil"),
        ("microsoft", "tenant", "a/b?x="),
        ("zoho", "region", "evil.example"),
        ("intercom", "region", "eu.evil"),
        ("gitlab-self-managed", "base_url", "https://gitlab.example.com/"),
        ("gitlab-self-managed", "base_url", "https://10.1.2.3"),
        ("gitlab-self-managed", "base_url", "https://user@gitlab.example.com"),
        ("jira-data-center", "base_url", "http://jira.example.com"),
        ("generic_oauth2", "token_endpoint", "https://localhost/token"),
    ],
)
def test_field_validation_refuses_values_that_would_move_the_host(pid: str, name: str, value: str) -> None:
    p = provider(pid)
    values = {
        f.name: (f.example or "x") for f in p.fields if f.required and not f.secret and f.type != "select"
    }
    values |= {"client_id": "id", "client_secret": "secret", name: value}
    with pytest.raises(validation.ValidationFailed) as caught:
        validation.validate_credentials(p, values, allow_local_http=False)
    assert name in caught.value.fields


# Salesforce's My Domain URL formats (help.salesforce.com, "My Domain URL Formats"): production,
# sandbox, Developer Edition, scratch, demo and Trailhead hosts, each a login host under salesforce.com.
@pytest.mark.parametrize(
    "pid,host",
    [
        ("salesforce", "acme.my.salesforce.com"),
        ("salesforce", "acme-dev-ed.develop.my.salesforce.com"),
        ("salesforce", "acme-demo.demo.my.salesforce.com"),
        ("salesforce", "acme-trailhead.trailblaze.my.salesforce.com"),
        ("salesforce", "login.salesforce.com"),
        ("salesforce-sandbox", "acme--uat.sandbox.my.salesforce.com"),
        ("salesforce-sandbox", "acme--scratch1.scratch.my.salesforce.com"),
        ("salesforce-sandbox", "test.salesforce.com"),
    ],
)
def test_salesforce_accepts_every_my_domain_login_format(pid: str, host: str) -> None:
    p = provider(pid)
    values = {"client_id": "id", "client_secret": "secret", "hostname": host}
    config = validation.validate_credentials(p, values, allow_local_http=False)
    endpoints = oauth.resolve_endpoints(p, config, allow_local_http=False)
    assert urlsplit(endpoints.token_url).netloc == host


def test_generic_oauth2_uses_the_orgs_endpoints_and_auth_method() -> None:
    p = provider("generic_oauth2")
    config = org_config(
        p,
        {
            "authorization_endpoint": "https://idp.example.com/authorize?tenant=1",
            "token_endpoint": "https://idp.example.com/token",
            "client_auth_method": "client_secret_post",
        },
    ) | {"scopes": "read write"}  # the org's scope choice, as saved
    endpoints = oauth.resolve_endpoints(p, config, allow_local_http=False)
    assert endpoints.revocation_url is None
    assert oauth.client_auth_method(p, config) == "client_secret_post"
    assert oauth.requested_scopes(p, config) == {"scope": ["read", "write"]}
    url = oauth.build_authorize_url(
        p,
        authorize_url=endpoints.authorize_url,
        client_id="c",
        redirect_uri="https://r",
        state=STATE,
        code_verifier=VERIFIER,
        scopes={"scope": ["read", "write"]},
    )
    assert url.startswith("https://idp.example.com/authorize?tenant=1&response_type=code&")
    with pytest.raises(UnsafeUrl):
        oauth.resolve_endpoints(
            p, {**config, "token_endpoint": "https://127.0.0.1/token"}, allow_local_http=False
        )


def test_revocation_urls_resolve_where_the_provider_has_one() -> None:
    assert endpoints_for("google").revocation_url == "https://oauth2.googleapis.com/revoke"
    assert (
        endpoints_for("salesforce").revocation_url == "https://acme.my.salesforce.com/services/oauth2/revoke"
    )
    assert endpoints_for("okta").revocation_url == "https://acme.okta.com/oauth2/v1/revoke"
    assert endpoints_for("gitlab-self-managed").revocation_url == "https://git.acme.example/oauth/revoke"
    assert (
        endpoints_for("zendesk").revocation_url == "https://acme.zendesk.com/api/v2/oauth/tokens/current.json"
    )
    assert endpoints_for("slack").revocation_url == "https://slack.com/api/auth.revoke"
    # Request placeholders stay for the revocation request to fill; the host is already checked.
    assert endpoints_for("github").revocation_url == "https://api.github.com/applications/{client_id}/token"
    assert endpoints_for("stripe").revocation_url is None  # kind none


# ------------------------------------------------------------------ parameters from fields, names, "+"


def _entry(**oauth_keys: Any) -> Provider:
    raw = {
        "id": "example",
        "name": "Example",
        "auth_type": "oauth2",
        "fields": [
            {"name": "tenant", "label": "Tenant", "pattern": "^[a-z]{1,10}$"},
            {"name": "api_secret", "label": "Secret", "secret": True, "type": "password"},
        ],
        "oauth": {
            "authorize_url": "https://login.example.com/authorize",
            "token_url": "https://login.example.com/token",
            "allowed_host_suffixes": ["login.example.com"],
            **oauth_keys,
        },
    }
    return entry_from_source(raw)


def test_a_plus_separator_is_a_literal_plus_between_encoded_scopes() -> None:
    p = _entry(scope_separator="+")
    url = oauth.build_authorize_url(
        p,
        authorize_url="https://login.example.com/authorize",
        client_id="c",
        redirect_uri="https://api.example.com/cb",
        state="s",
        code_verifier=None,
        scopes={"scope": ["read:all", "a/b"]},
    )
    assert url.endswith("&scope=read%3Aall+a%2Fb")
    assert parse_qs(urlsplit(url).query)["scope"] == ["read:all a/b"]  # a form decoder reads spaces


@pytest.mark.parametrize(
    "config",
    [{}, {"tenant": "UPPER"}, {"tenant": "a&b=c"}, {"api_secret": "s"}],
)
def test_a_templated_parameter_needs_its_field_in_its_pattern_and_never_a_secret(config) -> None:
    # (the schema refuses an entry whose template names a secret field; the runtime refuses it too)
    p = _entry(authorize_params={"ctx": "t/{tenant}"})
    params = {"ctx": "t/{tenant}", **({"key": "{api_secret}"} if "api_secret" in config else {})}
    values = {"tenant": "ok", **config} if "api_secret" in config else config
    with pytest.raises(UnsafeUrl):
        oauth.rendered_params(p, params, values)


def test_renamed_and_dropped_standard_parameters() -> None:
    p = _entry(authorize_param_names={"client_id": "app_key", "response_type": None})
    url = oauth.build_authorize_url(
        p,
        authorize_url="https://login.example.com/authorize",
        client_id="c-1",
        redirect_uri="https://api.example.com/cb",
        state="s",
        code_verifier=None,
        scopes={},
    )
    assert query_of_url(url) == {"app_key": "c-1", "redirect_uri": "https://api.example.com/cb", "state": "s"}


def query_of_url(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def test_a_variant_may_change_only_the_keys_it_is_meant_to() -> None:
    with pytest.raises(ValueError):
        _entry(variants={"field": "tenant", "options": {"x": {"allowed_host_suffixes": ["evil.example"]}}})


# ------------------------------------------------------------------ revocation, every entry

# Where each entry with a revocation endpoint sends it, for the sample org (by hand, from the
# providers' pages its ``source`` cites); a family member sends its base's. Every other entry
# has ``none`` and sends nothing.
REVOKED_AT = {
    "asana": ("POST", "https://app.asana.com/-/oauth_revoke"),
    "box": ("POST", "https://api.box.com/oauth2/revoke"),
    "calendly": ("POST", "https://auth.calendly.com/oauth/revoke"),
    "discord": ("POST", "https://discord.com/api/oauth2/token/revoke"),
    "dropbox": ("POST", "https://api.dropboxapi.com/2/auth/token/revoke"),
    "generic_oauth2": ("POST", "https://auth.example.com/oauth2/revoke"),
    "generic_oidc": ("POST", "https://login.example.com/oauth2/revoke"),
    "github": ("DELETE", "https://api.github.com/applications/client%20id%2F%2B%26%C3%A9/token"),
    "gitlab": ("POST", "https://gitlab.com/oauth/revoke"),
    "gitlab-self-managed": ("POST", "https://git.acme.example/oauth/revoke"),
    "google": ("POST", "https://oauth2.googleapis.com/revoke"),
    "hubspot": ("POST", "https://api.hubapi.com/oauth/2026-03/token/revoke"),
    "notion": ("POST", "https://api.notion.com/v1/oauth/revoke"),
    "okta": ("POST", "https://acme.okta.com/oauth2/v1/revoke"),
    "pipedrive": ("POST", "https://oauth.pipedrive.com/oauth/revoke"),
    "quickbooks": ("POST", "https://developer.api.intuit.com/v2/oauth2/tokens/revoke"),
    "quickbooks-sandbox": ("POST", "https://developer.api.intuit.com/v2/oauth2/tokens/revoke"),
    "salesforce": ("POST", "https://acme.my.salesforce.com/services/oauth2/revoke"),
    "salesforce-sandbox": ("POST", "https://test.salesforce.com/services/oauth2/revoke"),
    "slack": ("POST", "https://slack.com/api/auth.revoke"),
    "smartsheet": ("DELETE", "https://api.smartsheet.eu/2.0/token"),  # the sample org is in Europe
    "stitch-mcp": ("POST", "https://oauth2.googleapis.com/revoke"),
    "twitter-v2": ("POST", "https://api.twitter.com/2/oauth2/revoke"),
    "xero": ("POST", "https://identity.xero.com/connect/revocation"),
    "youtube": ("POST", "https://oauth2.googleapis.com/revoke"),
    "zendesk": ("DELETE", "https://acme.zendesk.com/api/v2/oauth/tokens/current.json"),
    "zoho": (
        "POST",
        "https://accounts.zoho.eu/oauth/v2/token/revoke?token=rt-456",
    ),  # the sample org is in eu
    "zoho-crm": ("POST", "https://accounts.zoho.com/oauth/v2/token/revoke?token=rt-456"),
    "zoom": ("POST", "https://zoom.us/oauth/revoke"),
}


def revoked_at(pid: str) -> tuple[str, str] | None:
    p = provider(pid)
    return REVOKED_AT.get(pid) or REVOKED_AT.get(p.extends or "")


@pytest.mark.parametrize("pid", OAUTH_IDS)
def test_revocation_request(pid: str) -> None:
    p = provider(pid)
    config = org_config(p, expectation(pid).org)
    if p.oauth and p.oauth.discovery:
        config |= {"revocation_endpoint": "https://login.example.com/oauth2/revoke"}
    if pid == "generic_oauth2":
        config |= {"revocation_endpoint": "https://auth.example.com/oauth2/revoke"}
    recorder = Recorder({})
    client = TokenEndpointClient(recorder.client(), allow_local_http=False)
    app = App(provider=p.for_config(config), client_id=CLIENT_ID, client_secret=CLIENT_SECRET, config=config)
    left = client.revoke(app, {"access_token": "at-123", "refresh_token": "rt-456"})
    assert left == {}
    expected = revoked_at(pid)
    if expected is None:
        assert p.oauth is not None and p.oauth.revocation.kind == "none" and p.oauth.revocation.reason
        assert recorder.requests == []
        return
    assert recorder.requests, "a revocation request is sent"
    for sent in recorder.requests:
        assert (sent.method, str(sent.url)) == expected
        where = str(sent.url) + sent.content.decode() + sent.headers.get("authorization", "")
        assert "at-123" in where or "rt-456" in where, "the token goes with the request"
        if p.oauth and p.oauth.revocation.kind == "rfc7009":
            kind, body = request_body(sent)
            assert kind == "form" and body["token"] in ("at-123", "rt-456")
            assert body["token_type_hint"] == (
                "access_token" if body["token"] == "at-123" else "refresh_token"
            )
