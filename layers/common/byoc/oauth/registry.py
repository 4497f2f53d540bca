"""The provider registry: what each provider needs, as data.

Entries live in ``providers.json`` beside this module (the format is described
in docs/adding-a-provider.md); ``make registry`` validates them and writes
``registry.compiled.json``, which is what this module loads. Adding a provider
is a data change: URLs, parameters, client-auth method and token-response
quirks are fields of an entry, never ``if provider == ...`` branches.

Nothing here is a credential: client ids and secrets belong to each
organization's own connection record.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from functools import cache
from importlib import resources
from typing import Any

from byoc.errors import NotAnOAuthProvider, UnknownProvider
from byoc.oauth import revocation
from byoc.oauth.api import ApiSpec, api_spec
from byoc.oauth.keys import VerifySpec, verify_spec
from byoc.oauth.metadata import Kept, Lookup, kept, lookup
from byoc.oauth.revocation import RevocationSpec
from byoc.oauth.scopes import KnownScope, ScopeSet

AUTH_TYPES = ("oauth2", "oauth2_cc", "api_key", "basic")
# Client credentials (RFC 6749 §4.4): saving the app is connecting it, and tokens are minted.
CLIENT_CREDENTIALS = "oauth2_cc"
# The OAuth grant each auth type uses (the views' ``grant``); key entries have none.
GRANT_OF = {"oauth2": "authorization_code", CLIENT_CREDENTIALS: "client_credentials"}
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
    """How to get a provider's tokens: the authorization-code flow, or client credentials.

    URL templates may hold ``{field}`` placeholders filled from the org's
    non-secret fields (a subdomain, a shop, a region, an issuer).
    """

    token_url: str
    # None for client-credentials entries (oauth2_cc): no browser step.
    authorize_url: str | None = None
    # Client credentials: the grant_type sent (Zoom's account_credentials); None: client_credentials.
    grant_type: str | None = None
    refresh_url: str | None = None
    # How the provider takes tokens back on disconnect (byoc.oauth.revocation): kind, url, auth...
    revocation: RevocationSpec = field(default_factory=RevocationSpec)
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
    # Dotted path to a second, user token issued beside the top-level one (Slack: "authed_user"):
    # sealed as user_access_token & co, refreshed with the main token, handed out by the token function.
    user_token_path: str | None = None
    # A JSON boolean the provider sets false on failure with HTTP 200 (Slack: "ok").
    ok_field: str | None = None
    # Multiplier turning expires_in into seconds (1 for seconds).
    expires_in_unit_seconds: int = 1
    # When the answer has no expires_in: a member holding the absolute expiry in epoch seconds,
    # or an RFC 7662 introspection URL template whose ``exp`` gives it (Salesforce).
    expires_at_field: str | None = None
    introspection_url: str | None = None
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

    # Standard parameters the provider names otherwise ("client_id": "client_key" for TikTok) or
    # does not take (null drops it: "response_type"), in the authorize request and in token requests.
    authorize_param_names: dict[str, str | None] = field(default_factory=dict)
    token_param_names: dict[str, str | None] = field(default_factory=dict)
    # The callback parameter holding the code when it is not ``code`` (Amazon's ``spapi_oauth_code``).
    code_param: str | None = None
    # A select field whose value picks one of ``variants`` (monday.com's OAuth 2.1 or legacy apps):
    # each is this spec with some keys replaced (URLs, PKCE, client auth, body format, params).
    variant_field: str | None = None
    variants: dict[str, OAuthSpec] = field(default_factory=dict)

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
    # Key entries: the request that checks a key at save, or why there is none (byoc.oauth.keys).
    verify: VerifySpec | None = None
    # The reference's categories (``popular``, ``crm``, ...), the entry this one extends, and what
    # was checked of it (``verified``: level docs, facts or live; docs/providers.md shows it).
    tags: tuple[str, ...] = ()
    extends: str | None = None
    verified: dict[str, Any] = field(default_factory=dict)

    @property
    def is_oauth(self) -> bool:
        return self.oauth is not None

    @property
    def interactive(self) -> bool:
        """Connected by a person in a browser (start and callback), rather than by saving."""
        return self.oauth is not None and self.auth_type != CLIENT_CREDENTIALS

    def field(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.name == name), None)

    def for_config(self, config: dict[str, str]) -> Provider:
        """This entry as the org's settings make it: its variant's spec when it has variants."""
        spec = self.oauth
        if spec is None or not spec.variant_field:
            return self
        chooser = self.field(spec.variant_field)
        chosen = config.get(spec.variant_field) or (chooser.default if chooser else None) or ""
        variant = spec.variants.get(chosen)
        return replace(self, oauth=variant) if variant is not None else self

    @property
    def secret_fields(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields if f.secret)

    def public(self) -> dict[str, Any]:
        scope_fields = [s.public() for s in self.oauth.scope_sets] if self.oauth else []
        return {
            "id": self.id,
            "name": self.name,
            "auth_type": self.auth_type,
            "grant": GRANT_OF.get(self.auth_type),
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


def _arguments(raw: dict[str, Any]) -> dict[str, Any]:
    """A compiled block as dataclass arguments: its lists as tuples (the dataclasses are frozen)."""
    return {k: tuple(v) if isinstance(v, list) else v for k, v in raw.items()}


def _field(raw: dict[str, Any]) -> Field:
    return Field(**_arguments(raw))


def _scope_set(raw: dict[str, Any]) -> ScopeSet:
    return ScopeSet(**{**_arguments(raw), "known": tuple(KnownScope(**k) for k in raw.get("known", ()))})


# What a variant may change; everything else is the entry's.
VARIANT_KEYS = frozenset(
    {"authorize_url", "token_url", "refresh_url", "pkce", "client_auth", "body_format"}
    | {"authorize_params", "token_params", "refresh_params", "authorize_param_names", "token_param_names"}
)


def _oauth(raw: dict[str, Any]) -> OAuthSpec:
    data = _arguments(raw)
    variants = data.pop("variants", None)
    data["scope_sets"] = tuple(_scope_set(s) for s in raw["scope_sets"])
    data["metadata"] = tuple(kept(k) for k in raw.get("metadata", ()))
    data["lookups"] = tuple(lookup(x) for x in raw.get("lookups", ()))
    if "revocation" in raw:
        data["revocation"] = revocation.parse(raw["revocation"])
    spec = OAuthSpec(**data)
    if variants is None:
        return spec
    options = variants["options"]
    if not all(set(o) <= VARIANT_KEYS for o in options.values()):
        raise ValueError(f"a variant may only change {sorted(VARIANT_KEYS)}")
    field_name = variants["field"]
    built = {n: replace(spec, **_arguments(c), variant_field=field_name) for n, c in options.items()}
    return replace(spec, variant_field=field_name, variants=built)


def _provider(raw: dict[str, Any]) -> Provider:
    fields = tuple(_field(f) for f in raw["fields"])
    oauth = _oauth(raw["oauth"]) if raw.get("oauth") is not None else None
    api = api_spec(raw["api"]) if raw.get("api") is not None else None
    verify = verify_spec(raw["verify"]) if raw.get("verify") is not None else None
    return Provider(**{**_arguments(raw), "fields": fields, "oauth": oauth, "api": api, "verify": verify})


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
    """All providers, by id, in the order of the data file.

    An entry read from the compiled file is built on first use: a request needs one provider,
    only the catalogue needs them all (the measured cost is in docs/adding-a-provider.md).
    """

    def __init__(self, providers: list[Provider]):
        self._providers: dict[str, Provider | dict[str, Any] | bytes] = {p.id: p for p in providers}

    @classmethod
    def from_lines(cls, lines: dict[str, bytes]) -> Registry:
        """A registry over the compiled file's entries, each parsed on first use."""
        registry = cls([])
        registry._providers = dict(lines)
        return registry

    def get(self, provider_id: str) -> Provider:
        try:
            found = self._providers[provider_id]
        except (KeyError, TypeError):
            raise UnknownProvider() from None
        if isinstance(found, bytes):  # its line of the compiled file, not parsed yet
            found = json.loads(found)
        if isinstance(found, dict):  # compiled arguments, not built yet
            found = self._providers[provider_id] = _provider(found)
        return found

    def oauth(self, provider_id: str) -> Provider:
        """The entry, which must use OAuth (else ``NotAnOAuthProvider``)."""
        provider = self.get(provider_id)
        if provider.oauth is None:
            raise NotAnOAuthProvider()
        return provider

    def __contains__(self, provider_id: object) -> bool:
        return provider_id in self._providers

    def __iter__(self) -> Iterator[Provider]:
        return (self.get(provider_id) for provider_id in list(self._providers))

    def __len__(self) -> int:
        return len(self._providers)

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Registry:
        """The registry from the compiled file's data (``registry.compiler``; not providers.json)."""
        registry = cls([])
        registry._providers = {p["id"]: p for p in data["providers"]}
        return registry


COMPILED = "registry.compiled.json"
SOURCE = "providers.json"


class StaleRegistry(RuntimeError):
    """The compiled registry was not compiled from the providers.json beside it."""


@cache
def get_registry() -> Registry:
    """The registry, read on first use (kept off import) from the compiled file.

    ``make registry`` validated providers.json and wrote that file in the dataclasses' shape, so
    nothing is checked or reshaped here and no schema library is needed. Where the source sits
    beside it (a checkout: the build leaves it out of the layer), the two must agree, so that no
    test or dev server ever runs on a registry older than the file being edited.
    """
    folder = resources.files("byoc.oauth")
    head, lines = compiled_lines(folder.joinpath(COMPILED).read_bytes())
    ensure_current(COMPILED, head["source_sha256"])
    return Registry.from_lines(lines)


def ensure_current(compiled_name: str, source_sha256: str) -> None:
    """``StaleRegistry`` when providers.json sits beside the compiled file (a checkout, not a
    deployed layer) and is not the one ``compiled_name`` was written from."""
    source = resources.files("byoc.oauth").joinpath(SOURCE)
    if source.is_file() and hashlib.sha256(source.read_bytes()).hexdigest() != source_sha256:
        raise StaleRegistry(
            f"byoc/oauth/{compiled_name} was compiled from another {SOURCE}: run `make registry`"
            " (it validates the file and writes the compiled registry)"
        )


def compiled_lines(raw: bytes) -> tuple[dict[str, Any], dict[str, bytes]]:
    """The compiled file's head (format, source hash) and each entry's JSON by id, unparsed.

    The head, on the first line, indexes the entries after it (offset and length), so a
    container parses the head and then only the entries it uses: a request needs one provider
    of hundreds. A file without the index is parsed whole, as plain JSON."""
    first, _, rest = raw.partition(b"\n")
    if not first.endswith(b'"providers":['):
        data = json.loads(raw)
        return data, {p["id"]: json.dumps(p).encode() for p in data["providers"]}
    head = json.loads(first + b"]}")
    lines = {pid: rest[start : start + size] for pid, (start, size) in head.pop("index", {}).items()}
    return head, lines
