"""The API's bodies as pydantic models: the source of the published OpenAPI document.

``scripts/gen_openapi.py`` turns these models (and the request model
``byoc.api.validation.SaveCredentialsBody``, which the save handler validates with)
into ``docs/openapi.json``. The handlers build their answers as plain dicts
(``byoc.api.views``) so that the list function never imports pydantic; tests validate
those answers against these models, so the document cannot drift from the code.

Response models forbid unknown fields: an answer with a field the document does
not list (a secret, say) fails the tests.

Optional fields follow one rule (docs/api.md, "Optional fields"): a key the server always
sends is required, and nullable when it may be unknown (``str | None`` without a default);
a key it leaves out when it has no value has a default here, and the generator publishes
it as not required and never null. The error codes and reason codes are enums built from
their single lists (``byoc.errors.ERROR_CODES``, ``byoc.model.REASONS``).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel

from byoc.api.validation import SaveCredentialsBody
from byoc.errors import HTTP_ERROR_CODES
from byoc.model import REASONS, Status
from byoc.usecases.completion import HANDLE_PATTERN

__all__ = [
    "AuthorizeUrl",
    "CallbackRedirect",
    "Catalogue",
    "CompleteBody",
    "CompletionResult",
    "Connection",
    "ConnectionList",
    "ProviderEntry",
    "ErrorBody",
    "ErrorDetail",
    "FieldView",
    "KnownScopeView",
    "ScopesFieldView",
    "GatewayMessage",
    "Integration",
    "IntegrationList",
    "SaveCredentialsBody",
    "StatusReason",
    "ErrorCode",
]

# Named enums of the document (components/schemas), from the code's single lists.
ErrorCode = StrEnum("ErrorCode", [(code, code) for code in HTTP_ERROR_CODES])  # type: ignore[misc]
ErrorCode.__doc__ = "What error.code may say (byoc.errors.ERROR_CODES; docs/api.md, Errors)."
StatusReason = StrEnum("StatusReason", [(code, code) for code in REASONS])  # type: ignore[misc]
StatusReason.__doc__ = "Why a connection or a flow failed (byoc.model.REASONS; docs/api.md, Reason codes)."
ProviderId = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$", examples=["zendesk"])]


class _Answer(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FieldView(_Answer):
    """One input of a provider's form. ``secret`` fields are write-only: their values never come back."""

    name: str = Field(examples=["subdomain"])
    label: str = Field(examples=["Zendesk subdomain"])
    type: Literal["text", "password", "url", "select"]
    required: bool
    secret: bool
    max_length: int = Field(ge=1)
    pattern: str | None = Field(default=None, description="A regular expression the value must match.")
    help: str | None = None
    example: str | None = None
    default: str | None = Field(default=None, description="The preselected choice of a select.")
    options: list[str] | None = Field(default=None, description="The choices of a select.")


class KnownScopeView(_Answer):
    name: str = Field(examples=["tickets:read"])
    description: str = Field(examples=["Read tickets"])


class ScopesFieldView(_Answer):
    """A scope set the org may choose (sent as the save body's ``scopes``/``user_scopes``, a list)."""

    name: Literal["scopes", "user_scopes"]
    label: str = Field(examples=["Scopes"])
    type: Literal["scopes"]
    required: Literal[False]
    secret: Literal[False]
    default: list[str] = Field(description="What is asked for when the org chooses nothing.")
    required_scopes: list[str] = Field(description="Always asked, whatever the org chooses.")
    known_scopes: list[KnownScopeView] = Field(description="The provider's documented scopes, as choices.")
    allow_unknown: bool = Field(description="Whether scopes outside known_scopes may be chosen.")


AnyField = Annotated[FieldView | ScopesFieldView, Field(discriminator="type")]


class _ConnectionState(_Answer):
    """What an org's connection to a provider shows (shared by ``Connection`` and ``Integration``)."""

    connected: bool = Field(description='status == "active"')
    status_reason: StatusReason | None = Field(
        description="A stable code when status is error (access_denied, invalid_client, ...); null otherwise."
    )
    status_message: str | None
    updated_at: str | None = Field(examples=["2026-11-27T14:00:00Z"])
    client_id_masked: str | None = Field(
        description="At most a third of the client id (up to 4 characters at each end), never the whole id.",
        examples=["zd…34"],
    )
    metadata: dict[str, str] | None = Field(
        description="What the provider told us that calling its API needs (a site, tenant or account id, "
        "an instance URL), by the entry's snake_case names; never a token or a credential such as a "
        "webhook URL (those only reach the token function). null before anything was saved.",
        examples=[
            {"cloud_id": "11223344-a1b2-3b33-c444-def123456789", "site_url": "https://acme.atlassian.net"}
        ],
    )
    scopes: list[str] | None = Field(
        description="What the next sign-in asks for: the org's choice, else the entry's defaults "
        "(required scopes first); null without OAuth.",
        examples=[["read", "write"]],
    )
    user_scopes: list[str] | None = Field(
        default=None, description="Slack only: the user-token scopes the next sign-in asks for."
    )
    granted_scopes: list[str] | None = Field(
        description="What the provider says it granted (its token answer's scope); null when it did not say."
    )
    reauthorization_needed: bool = Field(
        description="Active, but the grant was asked for other scopes than the current choice: "
        "the next sign-in asks for the new ones; the tokens work until then."
    )


class Integration(_ConnectionState):
    """A provider, what a frontend needs to draw its form, and this org's connection to it."""

    id: str = Field(examples=["zendesk"])
    name: str = Field(examples=["Zendesk"])
    auth_type: Literal["oauth2", "oauth2_cc", "api_key", "basic"]
    grant: Literal["authorization_code", "client_credentials"] | None = Field(
        description="How an OAuth entry gets its tokens: authorization_code (save, then connect in a "
        "browser: GET /oauth/start) or client_credentials (saving connects: a token is minted at once); "
        "null for key entries."
    )
    fields: list[AnyField]
    redirect_uri: str | None = Field(
        description="The exact redirect URI to register in the org's OAuth app; null without a browser step.",
        examples=["https://api.example.com/oauth/callback/zendesk"],
    )
    docs_url: str | None
    status: Status | None = Field(description="null when the org never saved credentials for it.")


class IntegrationList(_Answer):
    """Deprecated (``GET /integrations?include=catalog``, this release only)."""

    integrations: list[Integration]


class ProviderEntry(_Answer):
    """One provider of the catalogue: what a frontend needs to draw its form."""

    id: str = Field(examples=["zendesk"])
    name: str = Field(examples=["Zendesk"])
    auth_type: Literal["oauth2", "oauth2_cc", "api_key", "basic"]
    grant: Literal["authorization_code", "client_credentials"] | None = Field(
        description="How an OAuth entry gets its tokens: authorization_code (save, then connect in a "
        "browser: GET /oauth/start) or client_credentials (saving connects: a token is minted at once); "
        "null for key entries."
    )
    category: str | None = Field(examples=["support"])
    fields: list[AnyField]
    redirect_uri: str | None = Field(
        description="The exact redirect URI to register in the org's OAuth app; null without a browser step.",
        examples=["https://api.example.com/oauth/callback/zendesk"],
    )
    docs_url: str | None


class Catalogue(_Answer):
    providers: list[ProviderEntry]


class Connection(_ConnectionState):
    """This org's connection to one provider (only providers it saved credentials for are listed)."""

    provider: str = Field(examples=["zendesk"])
    status: Status


class ConnectionList(_Answer):
    integrations: list[Connection]


class AuthorizeUrl(_Answer):
    """``GET /oauth/start`` with ``Accept: application/json``: where to send the browser."""

    authorize_url: str = Field(
        description="The provider's authorization URL with the org's client id, state and PKCE challenge."
    )


class FieldProblems(_Answer):
    """``validation_error``'s details: what is wrong with each field (the values given are never echoed)."""

    fields: dict[str, str] = Field(examples=[{"subdomain": "has an invalid format (example: acme)"}])


class ProviderStep(_Answer):
    """``provider_unavailable`` (424)'s details: which provider call the save depends on failed, and how."""

    step: Literal["discovery"]
    reason: StatusReason = Field(examples=["provider_timeout"])


class AwsResource(_Answer):
    """``misconfigured``'s details when an AWS service refused a call: which resource, and its error code."""

    resource: Literal["table", "key", "bus", "queue", "AWS service"]
    aws_code: str = Field(examples=["AccessDeniedException"])


class ErrorDetail(_Answer):
    code: ErrorCode = Field(description="A stable code, such as validation_error.")
    message: str = Field(description="For people; may change.")
    details: FieldProblems | ProviderStep | AwsResource | None = Field(
        default=None,
        description="Only with validation_error (FieldProblems), provider_unavailable (ProviderStep) and "
        "misconfigured from an AWS refusal (AwsResource); left out otherwise.",
    )


class ErrorBody(_Answer):
    """Every error this API's functions answer."""

    error: ErrorDetail


class GatewayMessage(BaseModel):
    """API Gateway's own answers, before or instead of our function: the JWT authorizer's 401
    (Unauthorized), throttling's 429 (Too Many Requests), a body over its limit (413), a function
    that failed or was throttled (500 Internal Server Error), and one that did not answer in time
    (503 Service Unavailable)."""

    model_config = ConfigDict(extra="forbid")

    message: str = Field(examples=["Unauthorized"])


class CompleteBody(BaseModel):
    """``POST /oauth/complete``: the completion parameter of the callback's redirect."""

    model_config = ConfigDict(extra="forbid")

    completion: str = Field(pattern=HANDLE_PATTERN, description="The redirect's completion parameter.")


class OutcomeActive(_Answer):
    integration: ProviderId
    status: Literal["active"]


class OutcomeError(_Answer):
    integration: ProviderId
    status: Literal["error"]
    error: StatusReason = Field(description="Why it failed (the reason table).")


class CompletionResult(RootModel[Annotated[OutcomeActive | OutcomeError, Field(discriminator="status")]]):
    """``POST /oauth/complete``'s answer: every outcome of the exchange is a 200."""


def _redirect_query(*absent: str) -> ConfigDict:
    """A redirect query's model: return_to's own parameters (strings) besides ours; ``absent`` are
    the outcome's names this variant never carries."""
    extra: dict[str, Any] = {"additionalProperties": {"type": "string"}}
    if absent:
        extra["not"] = {"anyOf": [{"required": [name]} for name in absent]}
    return ConfigDict(extra="allow", json_schema_extra=extra)


class RedirectActive(BaseModel):
    """Connected (a cookie-bound flow exchanged the code)."""

    model_config = _redirect_query("error", "completion")

    integration: ProviderId
    status: Literal["active"]


class RedirectError(BaseModel):
    """The flow failed; a working connection keeps its tokens."""

    model_config = _redirect_query("completion")

    integration: ProviderId
    status: Literal["error"]
    error: StatusReason


class RedirectPending(BaseModel):
    """The code waits for the user who started: send ``completion`` to ``POST /oauth/complete``."""

    model_config = _redirect_query("error")

    integration: ProviderId
    status: Literal["pending_completion"]
    completion: str = Field(pattern=HANDLE_PATTERN)


class CallbackRedirect(
    RootModel[Annotated[RedirectActive | RedirectError | RedirectPending, Field(discriminator="status")]]
):
    """The query of the callback's redirect: ``FrontendUrl`` + ``return_to`` (its own query kept, first)
    + these parameters. Other keys are return_to's own, never one of these names."""
