"""The schema of ``layers/common/byoc/oauth/providers.json``: one model per block of the file.

Every block forbids keys it does not declare (a typo is an error, not a silently ignored
key) and coerces nothing (``"true"`` is not a boolean). A block's own rules are its model's
validator; rules across blocks (templates naming fields, hosts under their suffixes) are
``ProviderModel``'s, written in ``registry.templates``. Defaults here are the ones the compiled
file carries to the layer's dataclasses (``byoc.oauth.registry``); a test keeps them equal.

To add a key: add it to its block's model (with its default), then to the dataclass and the
loader if the runtime reads it, to docs/adding-a-provider.md, and run ``make registry``. A new
block (``revocation``, ``lookups``, ...) is a new ``Block`` model used as the type of its key.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal, get_args

from pydantic import Field as Default
from pydantic import (
    StringConstraints,
    field_validator,
    model_validator,
)

from registry import templates
from registry.base import (
    OAUTH_AUTH_TYPES,
    AuthType,
    Block,
    BodyFormat,
    ClientAuth,
    DottedPath,
    FieldName,
    FieldType,
    HostRule,
    HostSuffix,
    HttpsUrl,
    Id,
    ParamName,
    ScopeSeparator,
    ScopeToken,
    Text,
    _raise,
)
from registry.blocks import (
    ApiModel,
    LookupModel,
    MetadataModel,
    RevocationModel,
    VariantsModel,
    VerifiedModel,
    VerifyModel,
)

__all__ = ["AuthType", "ClientAuth", "FieldType", "HostRule", "Block"]


class FieldModel(Block):
    """One input a customer admin fills in (``fields[]``)."""

    name: FieldName
    label: Text
    type: FieldType = "text"
    required: bool = True
    secret: bool = False
    pattern: str | None = None
    min_length: int = Default(1, ge=0)
    max_length: int = Default(512, ge=1, le=4096)
    help: str | None = None
    example: str | None = None
    default: str | None = None
    options: list[Text] | None = None

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        try:
            re.compile(value or "")
        except re.error as error:
            raise ValueError(f"is not a regular expression ({error})") from None
        return value

    @model_validator(mode="after")
    def _consistent(self) -> FieldModel:
        problems = []
        if (self.type == "select") != bool(self.options):
            problems.append("options: a select needs options, and only a select has them")
        if self.options and self.default is not None and self.default not in self.options:
            problems.append(f"default: {self.default!r} is not one of its options")
        if self.secret != (self.type == "password"):
            problems.append("secret: a secret field is type password, and a password field is secret")
        if self.min_length > self.max_length:
            problems.append("min_length: is above max_length")
        for key in ("example", "default"):
            value = getattr(self, key)
            if self.pattern and value is not None and not re.fullmatch(self.pattern, value):
                problems.append(f"{key}: {value!r} does not match the field's pattern")
        _raise(problems)
        return self


class KnownScopeModel(Block):
    """A documented scope offered as a choice (``known_scopes[]``)."""

    name: ScopeToken
    description: Annotated[str, StringConstraints(min_length=1, max_length=90)]


class ScopeKeys(Block):
    """The keys of one scope set; the OAuth block holds the main set's, ``user_scopes`` another's."""

    default_scopes: list[ScopeToken] = []
    required_scopes: list[ScopeToken] = []
    known_scopes: list[KnownScopeModel] = []
    allow_unknown_scopes: bool = True

    @model_validator(mode="after")
    def _closed_sets_are_known(self) -> ScopeKeys:
        names = [k.name for k in self.known_scopes]
        problems = [
            f"known_scopes: {n!r} is listed twice" for n in sorted({n for n in names if names.count(n) > 1})
        ]
        if not self.allow_unknown_scopes:
            why = "is not in known_scopes (allow_unknown_scopes is false)"
            problems += [f"required_scopes: {n!r} {why}" for n in self.required_scopes if n not in names]
            problems += [
                f"default_scopes: {n!r} {why}"
                for n in self.default_scopes
                if n not in names and n not in self.required_scopes
            ]
        _raise(problems)
        return self

    def names(self) -> list[str]:
        return [*self.default_scopes, *self.required_scopes, *(k.name for k in self.known_scopes)]

    def scope_set(self, *, name: str, param: str, label: str, separator: str) -> dict[str, Any]:
        """The set as the keyword arguments of ``byoc.oauth.scopes.ScopeSet`` (the compiled form)."""
        return {
            "name": name,
            "param": param,
            "label": label,
            "default": list(self.default_scopes),
            "required": list(self.required_scopes),
            "known": [k.model_dump() for k in self.known_scopes],
            "allow_unknown": self.allow_unknown_scopes,
            "separator": separator,
        }


class UserScopesModel(ScopeKeys):
    """A second scope set sent as another parameter (Slack's ``user_scope``)."""

    param: ParamName


class OAuthModel(ScopeKeys):
    """How to run the authorization-code flow (``oauth``)."""

    authorize_url: Text | None = None
    token_url: Text
    # Client-credentials entries: the grant_type sent (Zoom's account_credentials), else client_credentials.
    grant_type: ParamName | None = None
    refresh_url: Text | None = None
    revocation: RevocationModel | None = None
    user_scopes: UserScopesModel | None = None
    scopes_checked: bool = False
    scopes_source: HttpsUrl | None = None
    scope_separator: ScopeSeparator = " "
    pkce: bool = True
    client_auth: ClientAuth = "client_secret_post"
    body_format: BodyFormat = "form"
    authorize_params: dict[ParamName, str] = {}
    token_params: dict[ParamName, str] = {}
    refresh_params: dict[ParamName, str] = {}
    token_headers: dict[ParamName, str] = {}
    token_path: DottedPath | None = None
    user_token_path: DottedPath | None = None
    ok_field: DottedPath | None = None
    expires_in_unit_seconds: int = Default(1, ge=1)
    expires_at_field: DottedPath | None = None
    introspection_url: Text | None = None
    metadata: list[MetadataModel] = []
    lookups: list[LookupModel] = []
    authorize_param_names: dict[ParamName, ParamName | None] = {}
    token_param_names: dict[ParamName, ParamName | None] = {}
    code_param: ParamName | None = None
    variants: VariantsModel | None = None
    host_rule: HostRule = "suffix"
    allowed_host_suffixes: list[HostSuffix] = []
    discovery: bool = False
    issuer: HttpsUrl | None = None
    iss_parameter_supported: bool = False
    token_host_from: FieldName | None = None
    client_auth_field: FieldName | None = None
    template_values: dict[FieldName, dict[str, str]] = {}

    @model_validator(mode="after")
    def _consistent(self) -> OAuthModel:
        problems = []
        if "response_type" in self.authorize_params:
            problems.append("authorize_params.response_type: always sent by the flow; leave it out")
        for key in ("token_params", "refresh_params"):
            if "grant_type" in getattr(self, key):
                problems.append(f"{key}.grant_type: always sent by the flow; leave it out")
        if self.host_rule == "suffix" and not self.allowed_host_suffixes:
            problems.append("allowed_host_suffixes: host_rule suffix needs at least one")
        from_callback = {m.name for m in self.metadata if m.source.startswith("callback:")}
        if self.token_host_from and self.token_host_from not in from_callback:
            problems.append("token_host_from: must be a metadata name kept from the callback")
        problems += self._lookup_problems()
        if self.scopes_checked and not self.scopes_source:
            problems.append("scopes_source: scopes_checked needs the page they were checked on")
        problems += self._separator_problems()
        _raise(problems)
        return self

    def _lookup_problems(self) -> list[str]:
        ids = [x.id for x in self.lookups]
        used = {m.source.split(":")[1] for m in self.metadata if m.source.startswith("lookup:")}
        problems = [f"lookups[{i}]: fills no metadata value" for i in ids if i not in used]
        problems += [f"metadata: lookup {u!r} is not declared in lookups" for u in sorted(used - set(ids))]
        names = [m.name for m in self.metadata]
        problems += [
            f"metadata[{n}]: the name is used twice" for n in sorted({n for n in names if names.count(n) > 1})
        ]
        return problems

    def _separator_problems(self) -> list[str]:
        sets = [("", self), *([("user_scopes.", self.user_scopes)] if self.user_scopes else [])]
        return [
            f"{prefix}scopes: {name!r} holds the scope_separator {self.scope_separator!r}"
            for prefix, keys in sets
            for name in keys.names()
            if self.scope_separator in name
        ]


class ProviderModel(Block):
    """One entry (``providers[]``); its validator holds the checks across its blocks."""

    id: Id
    name: Text
    auth_type: AuthType
    category: Annotated[str, StringConstraints(pattern=r"^[a-z_]{1,32}$")]
    tags: list[Annotated[str, StringConstraints(pattern=r"^[a-z][a-z-]{0,31}$")]] = []
    docs_url: HttpsUrl
    extends: Id | None = None
    verified: VerifiedModel
    fields: list[FieldModel] = []
    api: ApiModel | None = None
    verify: VerifyModel | None = None
    oauth: OAuthModel | None = None
    notes: list[Text] = []

    @model_validator(mode="after")
    def _cross_checks(self) -> ProviderModel:
        problems = []
        if (self.oauth is not None) != (self.auth_type in OAUTH_AUTH_TYPES):
            problems.append("oauth: required with auth_type oauth2 or oauth2_cc, and only there")
        if self.oauth is not None:
            problems += _grant_problems(self.auth_type, self.oauth)
        names = [f.name for f in self.fields]
        problems += [
            f"fields[{n}]: the name is used twice" for n in sorted({n for n in names if names.count(n) > 1})
        ]
        if self.oauth is None and not any(f.secret for f in self.fields):
            problems.append("fields: an entry without OAuth needs a secret field to be of any use")
        problems += _verify_problems(self)
        if self.oauth is not None:
            problems += [
                f"fields[{n}]: added to every oauth2 entry; leave it out" for n in names if n in _CLIENT
            ]
            problems += _oauth_problems(self, self.oauth)
        _raise(problems)
        return self


_CLIENT = ("client_id", "client_secret")
# What only a browser flow has: a client-credentials entry (no person, no redirect) leaves them out.
_INTERACTIVE_KEYS = ("authorize_url", "authorize_params", "authorize_param_names", "user_scopes", "variants")


def _grant_problems(auth_type: str, oauth: OAuthModel) -> list[str]:
    """The authorization code needs an authorize URL; client credentials (no browser) have none of it."""
    if auth_type == "oauth2":
        problems = [] if oauth.authorize_url else ["oauth.authorize_url: required with auth_type oauth2"]
        if oauth.grant_type is not None:
            problems.append("oauth.grant_type: only client-credentials entries (oauth2_cc) choose it")
        return problems
    problems = [
        f"oauth.{k}: an oauth2_cc entry has no browser step" for k in _INTERACTIVE_KEYS if getattr(oauth, k)
    ]
    if oauth.pkce:
        problems.append("oauth.pkce: false for oauth2_cc (there is no authorization code to protect)")
    problems += [
        f"oauth.metadata[{m.name}]: an oauth2_cc entry has no callback"
        for m in oauth.metadata
        if m.source.startswith("callback:")
    ]
    return problems


def _verify_problems(provider: ProviderModel) -> list[str]:
    """A key entry has a ``verify`` block (and only a key entry), whose templates name its fields."""
    verify = provider.verify
    if (verify is None) != (provider.oauth is not None):
        return ["verify: required for key entries (a request or why none), and only there"]
    if verify is None:
        return []
    problems = []
    if verify.kind == "request" and provider.api is None:
        problems.append("verify: a verification request needs the api block it is sent with")
    non_secret = {f.name for f in provider.fields if not f.secret}
    secret = {f.name for f in provider.fields if f.secret}
    for key, template in [("path", verify.path or ""), *verify.headers.items()]:
        problems += [f"verify.{p}" for p in templates.name_problems(key, template, non_secret, secret)]
    return problems


def _oauth_problems(provider: ProviderModel, oauth: OAuthModel) -> list[str]:
    """The OAuth block against the entry's fields: templates, hosts, the fields it names."""
    fields = {f.name: f for f in provider.fields}
    names = templates.template_names(provider)
    secret = {f.name for f in provider.fields if f.secret}
    problems = []
    for key, template, extra in templates.templates(oauth):
        problems += [f"oauth.{p}" for p in templates.name_problems(key, template, names | extra, secret)]
    for key, template, _ in templates.templates(oauth):
        if not templates.is_url_key(key):
            continue
        if oauth.host_rule == "suffix":
            problems += [f"oauth.{p}" for p in templates.host_problems(key, template, oauth, fields)]
        elif not template.startswith(("https://", "{")):
            problems.append(f"oauth.{key}: must start with https:// or a {{url field}}")
    return problems + _named_field_problems(oauth, fields)


def _named_field_problems(oauth: OAuthModel, fields: dict[str, FieldModel]) -> list[str]:
    """``client_auth_field`` and ``template_values`` name select fields, and only their options."""
    problems = _client_auth_field_problems(oauth, fields)
    for name, mapping in oauth.template_values.items():
        field = fields.get(name)
        if field is None or field.type != "select":
            problems.append(f"oauth.template_values.{name}: not a select field of this entry")
        elif not set(mapping) <= set(field.options or ()):
            problems.append(f"oauth.template_values.{name}: maps values that are not its options")
    return problems


def _client_auth_field_problems(oauth: OAuthModel, fields: dict[str, FieldModel]) -> list[str]:
    if not oauth.client_auth_field:
        return []
    chooser = fields.get(oauth.client_auth_field)
    if chooser is None or chooser.type != "select":
        return [f"oauth.client_auth_field: {oauth.client_auth_field!r} is not a select field of this entry"]
    if not set(chooser.options or ()) <= set(get_args(ClientAuth)):
        return [f"fields[{chooser.name}].options: client_auth_field options must be client auth methods"]
    return []


class RegistryModel(Block):
    """The whole file: ``{"format": 1, "providers": [...]}``, ids unique."""

    format: Literal[1]
    providers: list[ProviderModel]

    @model_validator(mode="after")
    def _unique_ids(self) -> RegistryModel:
        ids = [p.id for p in self.providers]
        twice = sorted({i for i in ids if ids.count(i) > 1})
        _raise([f"{i}: id: used by {ids.count(i)} entries (ids are part of redirect URIs)" for i in twice])
        return self


def blocks(model: type[Block] = RegistryModel) -> list[type[Block]]:
    """The model and every block model its keys hold, nested ones too (each once, in order)."""
    found: list[type[Block]] = [model]
    for spec in model.model_fields.values():
        for inner in _block_types(spec.annotation):
            found += [b for b in blocks(inner) if b not in found]
    return found


def _block_types(annotation: Any) -> list[type[Block]]:
    if isinstance(annotation, type) and issubclass(annotation, Block):
        return [annotation]
    return [b for arg in get_args(annotation) for b in _block_types(arg)]
