"""The schema's newer blocks: what a connection keeps, lookups, revocation, variants, the API.

Each block defers to the layer's own parser of that block (``byoc.oauth.metadata``,
``revocation``, ``api``) for its rules, so the build and the runtime agree on what is valid.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import ConfigDict, StringConstraints, model_validator
from pydantic import Field as Default

from byoc.oauth import api, metadata, revocation
from registry.base import (
    Block,
    BodyFormat,
    ClientAuth,
    FieldName,
    HostRule,
    HostSuffix,
    HttpsUrl,
    ParamName,
    Text,
    _raise,
)


class MetadataModel(Block):
    """One value a connection keeps (``metadata[]``), read by ``byoc.oauth.metadata.kept``."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, populate_by_name=True)

    name: FieldName
    source: Text = Default(alias="from")
    required: bool = False
    secret: bool = False
    was: Text | None = None

    @model_validator(mode="after")
    def _readable(self) -> MetadataModel:
        try:
            metadata.kept(self.model_dump(by_alias=True, exclude_none=True))
        except (ValueError, TypeError) as error:
            raise ValueError(f"from: {error}") from None
        return self


class LookupModel(Block):
    """A request made after the exchange (``lookups[]``)."""

    id: FieldName
    url: Text
    method: Literal["GET", "POST"] = "GET"
    token_in: Literal["header", "path"] = "header"
    auth_format: Annotated[str, StringConstraints(pattern=r"^[^{}]*\{access_token\}[^{}]*$")] = (
        "Bearer {access_token}"
    )
    headers: dict[ParamName, str] = {}

    @model_validator(mode="after")
    def _token_where_said(self) -> LookupModel:
        in_url = "{access_token}" in self.url
        if in_url != (self.token_in == "path"):
            _raise(["url: {access_token} goes in the URL exactly when token_in is path"])
        return self


class RevocationModel(Block):
    """How the provider takes a token back (``revocation``), read by ``byoc.oauth.revocation.parse``."""

    kind: Literal["rfc7009", "bearer_post", "delete", "json_body", "query", "none"]
    url: Text | None = None
    method: Literal["POST", "DELETE"] | None = None
    token_in: Literal["form", "json", "url", "bearer"] | None = None
    auth: Literal["client", "client_basic", "client_post", "none"] | None = None
    tokens: Literal["both", "refresh", "access"] | None = None
    token_key: ParamName | None = None
    body: dict[ParamName, str] | None = None
    reason: Text | None = None
    source: HttpsUrl | None = None

    @model_validator(mode="after")
    def _parses(self) -> RevocationModel:
        try:
            revocation.parse(self.model_dump(exclude_none=True))
        except (ValueError, TypeError) as error:
            _raise([f"kind: {error}"])
        return self


class VariantModel(Block):
    """What one variant changes (``variants.options.<name>``): only these keys."""

    authorize_url: Text | None = None
    token_url: Text | None = None
    refresh_url: Text | None = None
    pkce: bool | None = None
    client_auth: ClientAuth | None = None
    body_format: BodyFormat | None = None
    authorize_params: dict[ParamName, str] | None = None
    token_params: dict[ParamName, str] | None = None
    refresh_params: dict[ParamName, str] | None = None
    authorize_param_names: dict[ParamName, ParamName | None] | None = None
    token_param_names: dict[ParamName, ParamName | None] | None = None


class VariantsModel(Block):
    """Flavours of one provider's app, chosen by a select field (``variants``)."""

    field: FieldName
    options: dict[Text, VariantModel]


class ApiAuthModel(Block):
    """How an API call carries the credential (``api.auth``)."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, populate_by_name=True)

    in_: Literal["header", "query", "basic"] = Default(alias="in")
    name: ParamName
    format: Text


class ApiModel(Block):
    """Where the provider's API lives (``api``), read by ``byoc.oauth.api.api_spec``."""

    base_url: Text
    auth: ApiAuthModel
    allowed_host_suffixes: list[HostSuffix] = []
    host_rule: HostRule = "suffix"
    headers: dict[ParamName, str] = {}
    origin_only: bool = False

    @model_validator(mode="after")
    def _parses(self) -> ApiModel:
        try:
            api.api_spec(self.model_dump(by_alias=True))
        except (ValueError, TypeError) as error:
            _raise([f"base_url: {error}"])
        return self


# What an entry may say it departs from the reference on (``verified.deviations``).
DeviationKey = Literal[
    "authorize_url",
    "token_url",
    "refresh_url",
    "scope_separator",
    "pkce",
    "client_auth",
    "body_format",
    "authorize_params",
    "token_params",
    "default_scopes",
    "fields",
    "api",
    "verify",
]


class VerifiedModel(Block):
    """What was checked of this entry (``verified``), shown in docs/providers.md.

    ``docs``: written from the provider's documentation, no reference entry to compare with;
    ``facts``: matches the reference facts (``reference`` names them) and the provider's docs where
    cited, with each deliberate departure in ``deviations`` (key: why, with the page);
    ``live``: connected for real by us, on the date ``on`` (``how`` says against what).
    """

    level: Literal["docs", "facts", "live"]
    reference: Text | None = None
    on: Annotated[str, StringConstraints(pattern=r"^20[0-9]{2}-[01][0-9]-[0-3][0-9]$")] | None = None
    how: Text | None = None
    deviations: dict[DeviationKey, Text] = {}

    @model_validator(mode="after")
    def _says_enough(self) -> VerifiedModel:
        problems = []
        if self.level == "facts" and not self.reference:
            problems.append("reference: level facts names the facts it matches")
        if self.level == "live" and not (self.on and self.how):
            problems.append("on: level live gives the date and how it was connected")
        problems += [
            f"deviations.{k}: cite the page (https://...)"
            for k, v in self.deviations.items()
            if "https://" not in v and k != "fields"
        ]
        _raise(problems)
        return self


class VerifyModel(Block):
    """The cheap request run when an org saves a key (``verify``), or why there is none.

    ``path`` is joined to the entry's API base URL (``api.base_url``) and sent with the
    credential as the ``api`` block says; a 2xx answer means the key works.
    """

    kind: Literal["request", "none"]
    method: Literal["GET", "POST"] = "GET"
    path: Annotated[str, StringConstraints(pattern=r"^/[A-Za-z0-9._~/:{}=&?,@-]*$")] | None = None
    headers: dict[ParamName, str] = {}
    reason: Text | None = None
    source: Text | None = None

    @model_validator(mode="after")
    def _request_or_reason(self) -> VerifyModel:
        problems = []
        if self.kind == "request" and (not self.path or not self.source):
            problems.append("path: a verification request needs its path and the source confirming it")
        if self.kind == "none" and (not self.reason or self.path or self.headers):
            problems.append("reason: kind none gives the reason, and no request")
        _raise(problems)
        return self
