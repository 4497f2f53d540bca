"""The provider registry: what each provider needs, as data.

Entries live in ``providers.json`` beside this module (the format is described
in docs/adding-a-provider.md). Adding a provider is a data change: URLs,
parameters, client-auth method and token-response quirks are fields of an entry,
never ``if provider == ...`` branches.

Nothing here is a credential: client ids and secrets belong to each
organization's own connection record.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from byoc.errors import NotAnOAuthProvider, UnknownProvider
from byoc.oauth.api import ApiSpec, api_spec
from byoc.oauth.metadata import Kept, Lookup, kept, lookup
from byoc.oauth.scopes import ScopeSet, scope_set

AUTH_TYPES = ("oauth2", "api_key", "basic")
FIELD_TYPES = ("text", "password", "url", "select")
CLIENT_AUTH_METHODS = ("client_secret_basic", "client_secret_post")
# How the org's hosts are checked before we send a secret to them:
#   "suffix": templated hosts must stay under the entry's allowed_host_suffixes;
#   "public": the org chooses the host freely (self-managed, generic), so only the
#             generic rules apply (https, public addresses only).
HOST_RULES = ("suffix", "public")

_PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)\}")


@dataclass(frozen=True, slots=True)
class Field:
    """One input a customer admin fills in for a provider."""

    name: str
    label: str
    type: str = "text"
    required: bool = True
    secret: bool = False
    pattern: str | None = None
    min_length: int = 1
    max_length: int = 512
    help: str | None = None
    example: str | None = None
    default: str | None = None
    options: tuple[str, ...] | None = None

    def public(self) -> dict[str, Any]:
        """The field as a frontend sees it (GET /integrations)."""
        view: dict[str, Any] = {
            "name": self.name,
            "label": self.label,
            "type": self.type,
            "required": self.required,
            "secret": self.secret,
        }
        for key in ("pattern", "help", "example", "default"):
            value = getattr(self, key)
            if value is not None:
                view[key] = value
        if self.options is not None:
            view["options"] = list(self.options)
        view["max_length"] = self.max_length
        return view


@dataclass(frozen=True, slots=True)
class OAuthSpec:
    """How to run the authorization-code flow with a provider.

    URL templates may hold ``{field}`` placeholders filled from the org's
    non-secret fields (a subdomain, a shop, a region, an issuer).
    """

    authorize_url: str
    token_url: str
    refresh_url: str | None = None
    revocation_url: str | None = None
    # What the org may ask for (byoc.oauth.scopes): ``scope``, and Slack's ``user_scope``.
    scope_sets: tuple[ScopeSet, ...] = (ScopeSet(),)
    # The default and known scopes were checked against the provider's page ``scopes_source``.
    scopes_checked: bool = False
    scopes_source: str | None = None
    scope_separator: str = " "
    pkce: bool = True
    client_auth: str = "client_secret_post"
    body_format: str = "form"
    authorize_params: dict[str, str] = field(default_factory=dict)
    token_params: dict[str, str] = field(default_factory=dict)
    refresh_params: dict[str, str] = field(default_factory=dict)
    token_headers: dict[str, str] = field(default_factory=dict)
    # Dotted path to the object holding access_token & co when the top level has none
    # (Slack with only user scopes: "authed_user").
    token_path: str | None = None
    # A JSON boolean the provider sets false on failure with HTTP 200 (Slack: "ok").
    ok_field: str | None = None
    # Multiplier turning expires_in into seconds (1 for seconds).
    expires_in_unit_seconds: int = 1
    # What the connection keeps, by snake_case name (byoc.oauth.metadata), and the requests
    # made after the exchange that fill some of it.
    metadata: tuple[Kept, ...] = ()
    lookups: tuple[Lookup, ...] = ()
    host_rule: str = "suffix"
    allowed_host_suffixes: tuple[str, ...] = ()
    # OpenID Connect discovery from the org's issuer (generic_oidc).
    discovery: bool = False
    # The issuer the provider sends as ``iss`` on the callback (RFC 9207), when known.
    issuer: str | None = None
    # The provider always sends ``iss`` (RFC 9207 authorization_response_iss_parameter_supported):
    # a callback without it is then refused. Discovery entries learn it from the document.
    iss_parameter_supported: bool = False
    # The metadata name whose value is the host to use for the token URL (Zoho's
    # ``accounts_server``, from the callback); the value is checked against allowed_host_suffixes.
    token_host_from: str | None = None
    # A field whose value chooses the client-auth method (generic providers).
    client_auth_field: str | None = None
    # What a field's value stands for in the URL templates, when that is not the value
    # itself: {"region": {"us": "", "eu": ".eu"}} (Intercom's US hosts have no region label).
    # Values missing from a field's map are used as they are.
    template_values: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def scopes(self) -> ScopeSet:
        """The main set (the authorize request's ``scope``)."""
        return self.scope_sets[0]

    def scope_set(self, name: str) -> ScopeSet | None:
        return next((s for s in self.scope_sets if s.name == name), None)

    @property
    def metadata_names(self) -> tuple[str, ...]:
        return tuple(k.name for k in self.metadata)


@dataclass(frozen=True, slots=True)
class Provider:
    id: str
    name: str
    auth_type: str
    fields: tuple[Field, ...]
    oauth: OAuthSpec | None = None
    docs_url: str | None = None
    notes: tuple[str, ...] = ()
    category: str | None = None
    # Where the provider's API lives and how a call is authorized (byoc.oauth.api).
    api: ApiSpec | None = None

    @property
    def is_oauth(self) -> bool:
        return self.oauth is not None

    def field(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.name == name), None)

    @property
    def secret_fields(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields if f.secret)

    def public(self) -> dict[str, Any]:
        scope_fields = [s.public() for s in self.oauth.scope_sets] if self.oauth else []
        return {
            "id": self.id,
            "name": self.name,
            "auth_type": self.auth_type,
            "fields": [f.public() for f in self.fields] + scope_fields,
        }


# Every OAuth provider asks for these two; entries list only their extra fields.
CLIENT_ID = Field(
    name="client_id",
    label="Client ID",
    help="From your OAuth app's settings at the provider.",
    max_length=512,
)
CLIENT_SECRET = Field(
    name="client_secret",
    label="Client Secret",
    type="password",
    secret=True,
    help="From your OAuth app's settings at the provider. Stored encrypted; never shown again.",
    max_length=1024,
)


def _field(raw: dict[str, Any]) -> Field:
    data = dict(raw)
    if "options" in data and data["options"] is not None:
        data["options"] = tuple(data["options"])
    return Field(**data)


_SCOPE_KEYS = ("default_scopes", "required_scopes", "known_scopes", "allow_unknown_scopes")


def _scope_sets(data: dict[str, Any]) -> tuple[ScopeSet, ...]:
    """The entry's scope keys (popped from ``data``) as its sets: ``scope``, then ``user_scopes``."""
    separator = data.get("scope_separator", " ")
    main = scope_set(
        {k: data.pop(k) for k in _SCOPE_KEYS if k in data},
        name="scopes",
        param="scope",
        label="Scopes",
        separator=separator,
    )
    user = data.pop("user_scopes", None)
    if user is None:
        return (main,)
    return (
        main,
        scope_set(user, name="user_scopes", param=user["param"], label="User scopes", separator=separator),
    )


def _oauth(raw: dict[str, Any]) -> OAuthSpec:
    data = dict(raw)
    if "allowed_host_suffixes" in data:
        data["allowed_host_suffixes"] = tuple(data["allowed_host_suffixes"])
    data["metadata"] = tuple(kept(k) for k in data.get("metadata", ()))
    data["lookups"] = tuple(lookup(x) for x in data.get("lookups", ()))
    return OAuthSpec(scope_sets=_scope_sets(data), **data)


def _provider(raw: dict[str, Any]) -> Provider:
    data = dict(raw)
    fields = tuple(_field(f) for f in data.pop("fields", ()))
    oauth = _oauth(data.pop("oauth")) if data.get("oauth") else None
    data.pop("oauth", None)
    data["api"] = api_spec(data["api"]) if "api" in data else None
    if oauth is not None:
        fields = (CLIENT_ID, CLIENT_SECRET, *fields)
    return Provider(fields=fields, oauth=oauth, notes=tuple(data.pop("notes", ())), **data)


def callback_path(provider_id: str) -> str:
    return f"/oauth/callback/{provider_id}"


def redirect_uri(api_base_url: str, provider_id: str) -> str:
    """The exact redirect URI to register in the org's OAuth app; the same bytes in every request."""
    return api_base_url.rstrip("/") + callback_path(provider_id)


def template_fields(template: str) -> set[str]:
    """Names of the ``{field}`` placeholders in a URL template."""
    return set(_PLACEHOLDER.findall(template))


def render_template(template: str, values: dict[str, str]) -> str:
    """Fill ``{field}`` placeholders; a missing value is a KeyError (a registry bug)."""
    return _PLACEHOLDER.sub(lambda m: values[m.group(1)], template)


class Registry:
    """All providers, by id, in the order of the data file."""

    def __init__(self, providers: list[Provider]):
        self._providers = {p.id: p for p in providers}

    def get(self, provider_id: str) -> Provider:
        try:
            return self._providers[provider_id]
        except (KeyError, TypeError):
            raise UnknownProvider() from None

    def oauth(self, provider_id: str) -> Provider:
        """The entry, which must use OAuth (else ``NotAnOAuthProvider``)."""
        provider = self.get(provider_id)
        if provider.oauth is None:
            raise NotAnOAuthProvider()
        return provider

    def __contains__(self, provider_id: object) -> bool:
        return provider_id in self._providers

    def __iter__(self):
        return iter(self._providers.values())

    def __len__(self) -> int:
        return len(self._providers)

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Registry:
        return cls([_provider(p) for p in data["providers"]])


@cache
def get_registry() -> Registry:
    """The registry, parsed on first use (JSON parsing is cheap; still kept off import)."""
    text = resources.files("byoc.oauth").joinpath("providers.json").read_text(encoding="utf-8")
    return Registry.from_data(json.loads(text))
