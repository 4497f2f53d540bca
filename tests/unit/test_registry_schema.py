"""The registry's schema (registry/schema.py): the real file passes, and each way of breaking a real
entry fails with a line naming the entry and the key.

Each mutation copies providers.json, breaks one real entry in one way, and validates the copy: the
problems must name that entry (and only it) and the key, so that a typo fails ``make registry`` and
the tests with a message that says where, rather than failing a customer's request.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from registry.compiler import RegistryInvalid, validate

ROOT = Path(__file__).resolve().parents[2]
SOURCE = json.loads((ROOT / "layers/common/byoc/oauth/providers.json").read_text(encoding="utf-8"))

Entry = dict[str, Any]


def entry(data: dict[str, Any], provider_id: str) -> Entry:
    return next(p for p in data["providers"] if p["id"] == provider_id)


def problems_after(provider_id: str, mutate: Callable[[Entry], None]) -> list[str]:
    """The schema's problems once ``mutate`` has broken a copy of the real entry ``provider_id``."""
    data = copy.deepcopy(SOURCE)
    mutate(entry(data, provider_id))
    with pytest.raises(RegistryInvalid) as caught:
        validate(data)
    assert str(caught.value).startswith("providers.json is not valid:")
    return caught.value.problems


def test_the_real_registry_follows_the_schema() -> None:
    model = validate(SOURCE)
    assert [p.id for p in model.providers] == [p["id"] for p in SOURCE["providers"]]
    assert len(model.providers) >= 45


def _set(path: str, value: Any) -> Callable[[Entry], None]:
    """A mutation setting ``path`` (dots; ``fields.0`` is a list index) of the entry to ``value``."""

    def mutate(target: Entry) -> None:
        *parents, last = path.split(".")
        node: Any = target
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        node[int(last) if isinstance(node, list) else last] = value

    return mutate


# (provider, mutation, the problem line's start: "<entry>: <key>", a fragment of its message)
MUTATIONS: dict[str, tuple[str, Callable[[Entry], None], str, str]] = {
    # an unknown key at each level
    "unknown entry key": ("zendesk", _set("colour", "green"), "zendesk: colour:", "Extra inputs"),
    "unknown oauth key": ("zendesk", _set("oauth.token_urls", "x"), "zendesk: oauth.token_urls:", "Extra"),
    "unknown field key": (
        "zendesk",
        _set("fields.0.patern", "x"),
        "zendesk: fields[subdomain].patern:",
        "Extra",
    ),
    "unknown known-scope key": (
        "zendesk",
        _set("oauth.known_scopes.0.desc", "x"),
        "zendesk: oauth.known_scopes[read].desc:",
        "Extra",
    ),
    "unknown user_scopes key": (
        "slack",
        _set("oauth.user_scopes.params", "x"),
        "slack: oauth.user_scopes.params:",
        "",
    ),
    # templates naming nothing the entry has
    "template names a missing field": (
        "zendesk",
        _set("oauth.token_url", "https://{subdomian}.zendesk.com/oauth/tokens"),
        "zendesk: oauth.token_url:",
        "{subdomian} names no field or metadata name",
    ),
    "template names a client field": (
        "microsoft",
        _set("oauth.authorize_url", "https://login.microsoftonline.com/{client_id}/oauth2/v2.0/authorize"),
        "microsoft: oauth.authorize_url:",
        "{client_id} names no field",
    ),
    "parameter names a missing field": (
        "google",
        _set("oauth.authorize_params.login_hint", "{email}"),
        "google: oauth.authorize_params.login_hint:",
        "{email} names no field",
    ),
    "brace that is no placeholder": (
        "zendesk",
        _set("oauth.authorize_url", "https://{Subdomain}.zendesk.com/oauth/authorizations/new"),
        "zendesk: oauth.authorize_url:",
        "brace that is no {name} placeholder",
    ),
    # hosts outside the suffixes
    "fixed host outside": (
        "github",
        _set("oauth.token_url", "https://github.evil.test/login/oauth/access_token"),
        "github: oauth.token_url:",
        "host github.evil.test is not under allowed_host_suffixes [github.com]",
    ),
    "fixed revocation host outside": (
        "gitlab",
        _set("oauth.revocation.url", "https://gitlab.com.evil.test/oauth/revoke"),
        "gitlab: oauth.revocation.url:",
        "not under allowed_host_suffixes",
    ),
    "plain http": (
        "github",
        _set("oauth.token_url", "http://github.com/t"),
        "github: oauth.token_url:",
        "https://",
    ),
    "user info in host": (
        "github",
        _set("oauth.token_url", "https://github.com@evil.test/t"),
        "github: oauth.token_url:",
        "user info",
    ),
    "templated tail escapes": (
        "zendesk",
        _set("oauth.token_url", "https://{subdomain}.zendesk.com.evil.test/oauth/tokens"),
        "zendesk: oauth.token_url:",
        "fixed end of host {subdomain}.zendesk.com.evil.test",
    ),
    "templated tail without a dot": (
        "zendesk",
        _set("oauth.authorize_url", "https://{subdomain}zendesk.com/oauth/authorizations/new"),
        "zendesk: oauth.authorize_url:",
        "fixed end of host",
    ),
    "select option outside": (
        "zoho",
        _set("fields.0.options", ["com", "eu", "evil.test"]),
        "zoho: oauth.authorize_url:",
        "host accounts.evil.test (region='evil.test') is not under",
    ),
    "template value breaks the host": (
        "intercom",
        _set("oauth.template_values.region.eu", ".evil.test/x"),
        "intercom: oauth.authorize_url:",
        "(region='eu') is not under",
    ),
    "label without a pattern": (
        "zendesk",
        lambda e: e["fields"][0].pop("pattern"),
        "zendesk: oauth.authorize_url:",
        "{subdomain} shapes the host, so fields[subdomain] needs a pattern",
    ),
    "label pattern lets a slash through": (
        "okta",
        _set("fields.0.pattern", "^[a-z0-9/.-]+$"),
        "okta: oauth.authorize_url:",
        "fields[subdomain].pattern lets 'evil.test/x' through",
    ),
    "whole-host pattern not anchored on the suffix": (
        "salesforce",
        _set("fields.0.pattern", "^.*salesforce\\.com$"),
        "salesforce: oauth.authorize_url:",
        "fields[hostname].pattern lets 'evil.test/.salesforce.com' through",
    ),
    # scopes
    "invalid scope token": (
        "zendesk",
        _set("oauth.default_scopes", ["read write"]),
        "zendesk: oauth.default_scopes[0]:",
        "not an RFC 6749 scope-token",
    ),
    "invalid known scope name": (
        "zendesk",
        _set("oauth.known_scopes.0.name", 'tickets"read'),
        'zendesk: oauth.known_scopes[tickets"read].name:',
        "scope-token",
    ),
    "required scope unknown in a closed set": (
        "clickup",
        _set("oauth.required_scopes", ["admin"]),
        "clickup: oauth.required_scopes:",
        "'admin' is not in known_scopes",
    ),
    "scope holding the separator": (
        "zoho",
        _set("oauth.default_scopes", ["AaaServer.profile.READ,ZohoCRM.users.READ"]),
        "zoho: oauth.scopes:",
        "holds the scope_separator ','",
    ),
    # types and enums
    "id pattern": ("zendesk", _set("id", "Zendesk!"), "Zendesk!: id:", "should match pattern"),
    "string for a boolean": ("zendesk", _set("oauth.pkce", "false"), "zendesk: oauth.pkce:", "valid boolean"),
    "unknown client auth": (
        "zendesk",
        _set("oauth.client_auth", "client_secret_jwt"),
        "zendesk: oauth.client_auth:",
        "'client_secret_basic' or 'client_secret_post'",
    ),
    "unknown host rule": ("zendesk", _set("oauth.host_rule", "any"), "zendesk: oauth.host_rule:", "'suffix'"),
    "unknown body format": (
        "zendesk",
        _set("oauth.body_format", "xml"),
        "zendesk: oauth.body_format:",
        "'form'",
    ),
    "unknown field type": (
        "zendesk",
        _set("fields.0.type", "number"),
        "zendesk: fields[subdomain].type:",
        "'text'",
    ),
    "unknown auth type": ("zendesk", _set("auth_type", "oauth1"), "zendesk: auth_type:", "'oauth2'"),
    # rules of one block, or across blocks
    "oauth2 without oauth": (
        "github",
        lambda e: e.pop("oauth"),
        "github: oauth:",
        "required with auth_type oauth2",
    ),
    "response_type param": (
        "google",
        _set("oauth.authorize_params.response_type", "token"),
        "google: oauth.authorize_params.response_type:",
        "always sent",
    ),
    "callback host not kept": (
        "zoho",
        _set("oauth.metadata", [{"name": "api_domain", "from": "token:$.api_domain"}]),
        "zoho: oauth.token_host_from:",
        "kept from the callback",
    ),
    "default not an option": (
        "zoho",
        _set("fields.0.default", "de"),
        "zoho: fields[region].default:",
        "not one of its options",
    ),
    "pattern that is no regex": (
        "zendesk",
        _set("fields.0.pattern", "^[a-z"),
        "zendesk: fields[subdomain].pattern:",
        "not a regular expression",
    ),
    "client_auth_field not a select": (
        "generic_oidc",
        _set("oauth.client_auth_field", "issuer"),
        "generic_oidc: oauth.client_auth_field:",
        "'issuer' is not a select field",
    ),
    "template_values for a free-text field": (
        "zendesk",
        _set("oauth.template_values", {"subdomain": {"acme": "evil"}}),
        "zendesk: oauth.template_values.subdomain:",
        "not a select field",
    ),
    # what an entry says about itself, and its verification request
    "verified missing": ("zendesk", lambda e: e.pop("verified"), "zendesk: verified:", "Field required"),
    "facts without a reference": (
        "zendesk",
        _set("verified", {"level": "facts"}),
        "zendesk: verified",
        "names the facts it matches",
    ),
    "live without a date": (
        "generic_oidc",
        _set("verified", {"level": "live", "how": "by hand"}),
        "generic_oidc: verified",
        "gives the date",
    ),
    "deviation without a page": (
        "zendesk",
        _set("verified.deviations", {"token_url": "we know better"}),
        "zendesk: verified",
        "cite the page",
    ),
    "verify on an oauth entry": (
        "zendesk",
        _set("verify", {"kind": "none", "reason": "no"}),
        "zendesk: verify",
        "only there",
    ),
    "key entry without verify": ("sendgrid", lambda e: e.pop("verify"), "sendgrid: verify", "required"),
    "verify request without a source": (
        "sendgrid",
        lambda e: e["verify"].pop("source"),
        "sendgrid: verify",
        "the source confirming it",
    ),
    "verify none without a reason": (
        "sendgrid",
        _set("verify", {"kind": "none"}),
        "sendgrid: verify",
        "gives the reason",
    ),
    "verify path names a secret": (
        "freshdesk",
        _set("verify.path", "/agents/{api_key}"),
        "freshdesk: verify.",
        "{api_key}",
    ),
    "verify path names nothing": (
        "freshdesk",
        _set("verify.path", "/agents/{agent}"),
        "freshdesk: verify.",
        "{agent}",
    ),
    "a tag that is no word": ("zendesk", _set("tags", ["Help Desk"]), "zendesk: tags", "pattern"),
    "extends an unknown entry": ("zendesk", _set("extends", "zendesk2"), "zendesk: extends:", "zendesk2"),
    "client field declared": (
        "github",
        lambda e: e.setdefault("fields", []).append({"name": "client_id", "label": "Client ID"}),
        "github: fields[client_id]:",
        "added to every oauth2 entry",
    ),
}


@pytest.mark.parametrize("case", sorted(MUTATIONS))
def test_a_broken_entry_is_refused_naming_the_entry_and_the_key(case: str) -> None:
    provider_id, mutate, where, fragment = MUTATIONS[case]
    problems = problems_after(provider_id, mutate)
    named = [p for p in problems if p.startswith(where)]
    assert named and fragment in named[0], problems
    broken_id = where.split(":", 1)[0]
    # the entry and its family (entries that extend it inherit the break), nothing else
    family = {broken_id} | {p["id"] for p in SOURCE["providers"] if p.get("extends") == broken_id}
    assert {p.split(": ", 1)[0] for p in problems} <= family, "only the broken entry is named"


def test_an_unknown_key_at_the_top_of_the_file_is_refused() -> None:
    data = copy.deepcopy(SOURCE) | {"version": 2}
    with pytest.raises(RegistryInvalid) as caught:
        validate(data)
    assert caught.value.problems == ["version: Extra inputs are not permitted"]


def test_a_duplicate_id_is_refused_naming_it() -> None:
    data = copy.deepcopy(SOURCE)
    data["providers"].append(copy.deepcopy(entry(data, "zendesk")))
    with pytest.raises(RegistryInvalid) as caught:
        validate(data)
    assert caught.value.problems == ["zendesk: id: used by 2 entries (ids are part of redirect URIs)"]


def test_every_problem_of_an_entry_is_listed_one_per_line() -> None:
    # Given two things wrong in one block: When validated, Then both are reported
    def mutate(target: Entry) -> None:
        target["oauth"]["token_url"] = "https://{nope}.zendesk.com/t"
        target["oauth"]["revocation"]["url"] = "https://evil.test/r"

    problems = problems_after("zendesk", mutate)
    assert any(p.startswith("zendesk: oauth.token_url: {nope}") for p in problems), problems
    assert any(p.startswith("zendesk: oauth.revocation.url: host evil.test") for p in problems), problems


def test_a_public_entry_may_template_its_whole_url_but_not_with_a_secret() -> None:
    # Given the generic entry, whose URLs are the org's fields: it passes as it is
    data = copy.deepcopy(SOURCE)
    target = entry(data, "generic_oauth2")
    assert target["oauth"]["host_rule"] == "public"
    target["fields"].append({"name": "api_secret", "label": "Secret", "type": "password", "secret": True})
    target["oauth"]["token_url"] = "{token_endpoint}?k={api_secret}"
    with pytest.raises(RegistryInvalid) as caught:
        validate(data)
    secret = "{api_secret} names a secret field (never put in a URL) of this entry"
    assert caught.value.problems == [f"generic_oauth2: oauth.token_url: {secret}"]
