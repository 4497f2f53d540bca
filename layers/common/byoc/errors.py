"""Domain errors. Each carries a stable ``code`` and an HTTP status.

They are raised in the layer and turned into JSON in one place
(``byoc.http.api_handler``). Messages are fixed sentences written here or built
from values we control (field names, provider ids): never ``str()`` of a
third-party exception, never a secret.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar


@dataclass(frozen=True, slots=True)
class ErrorCode:
    """One ``error.code`` we answer: its HTTP statuses, when it happens, and who answers it."""

    code: str
    statuses: tuple[int, ...]
    when: str
    # The public HTTP API may answer it; False: only the invoked token function (docs/lifecycle.md).
    http: bool = True


# The one list of error codes: docs/openapi.json's ErrorCode enum and docs/api.md's table are
# generated from it, and a ByocError subclass whose code (or status) is not here fails at import.
ERROR_CODES: tuple[ErrorCode, ...] = (
    ErrorCode(
        "invalid_request",
        (400,),
        "malformed JSON, wrong shape, unknown top-level fields, a repeated query parameter, a bad "
        "`return_to`, an OAuth step asked of a provider without OAuth, `GET /oauth/start` for a "
        "client-credentials entry (saving connects it)",
    ),
    ErrorCode(
        "invalid_state",
        (400,),
        "the callback's `state` is unknown, expired, already used, or belongs to another provider",
    ),
    ErrorCode("invalid_completion", (400,), "an unknown, expired or used completion handle"),
    ErrorCode("unauthorized", (401,), "no org (or no user) in the token"),
    ErrorCode("forbidden", (403,), "the caller is not an org admin (`AdminClaim`)"),
    ErrorCode(
        "flow_not_yours",
        (403,),
        "`POST /oauth/complete` by another user or org than the one that started the flow",
    ),
    ErrorCode("unknown_provider", (404,), "no such provider in the registry"),
    ErrorCode(
        "integration_not_configured", (404,), "no saved credentials for this provider: save them first"
    ),
    ErrorCode("conflict", (409,), "the connection changed while this request ran; try again"),
    ErrorCode("payload_too_large", (413,), "body over 16 KiB (`MAX_BODY_BYTES`)"),
    ErrorCode(
        "validation_error",
        (422,),
        "credential fields that fail the provider's rules, named in `details.fields`",
    ),
    ErrorCode(
        "unsafe_url",
        (422,),
        "the saved settings give an address we refuse to call (a private network, a setting not in "
        "its expected form)",
    ),
    ErrorCode(
        "provider_unavailable",
        (424, 503),
        "424: a provider call the save depends on failed for now (5xx, 429, timeout, unreachable); "
        "`details.step` names it (`discovery`); nothing was stored: try again later. 503 (token "
        "function): the provider is unavailable right now",
    ),
    ErrorCode(
        "misconfigured",
        (500,),
        "the stack cannot use its table, key, bus or queue; the message names which and the setting "
        "to check (an operator problem, not yours)",
    ),
    ErrorCode(
        "credentials_unreadable",
        (500,),
        "the stored credentials could not be decrypted or read: save them again",
    ),
    ErrorCode(
        "internal_error",
        (500,),
        "a bug on our side; the message is fixed, the log line names the exception type",
    ),
    ErrorCode(
        "service_unavailable",
        (503,),
        "an AWS service was throttled, failed or did not answer in time; retry after `Retry-After` (seconds)",
    ),
    # Raised inside the layer and turned into a reason code (``byoc.model.REASONS``) before any HTTP
    # answer, or answered by the token function only.
    ErrorCode("reconnect_required", (409,), "the grant was revoked or has expired: reconnect", http=False),
    ErrorCode(
        "metadata_unavailable",
        (503,),
        "connected, but a required post-connection lookup has not answered yet",
        http=False,
    ),
    ErrorCode(
        "discovery_failed",
        (422,),
        "the issuer's discovery document could not be used (a save reports it as `validation_error`)",
        http=False,
    ),
    ErrorCode("storage_failed", (500,), "the new tokens could not be saved (a callback reason)", http=False),
    ErrorCode("provider_error", (502,), "the provider refused an exchange or a refresh", http=False),
    ErrorCode("provider_call_failed", (502,), "the provider did not answer properly", http=False),
    ErrorCode("provider_timeout", (504,), "the provider did not answer in time", http=False),
    ErrorCode("provider_unreachable", (502,), "the provider could not be reached", http=False),
    ErrorCode(
        "provider_response_too_large", (502,), "the provider's answer is larger than allowed", http=False
    ),
    ErrorCode("provider_bad_response", (502,), "the provider's answer could not be read", http=False),
)
CODES: dict[str, ErrorCode] = {entry.code: entry for entry in ERROR_CODES}
# What ``{"error": {"code"}}`` of the public HTTP API may say (docs/openapi.json's ErrorCode).
HTTP_ERROR_CODES: tuple[str, ...] = tuple(entry.code for entry in ERROR_CODES if entry.http)


def _check_listed(code: str, status: int, name: str) -> None:
    entry = CODES.get(code)
    if entry is None or status not in entry.statuses:
        raise TypeError(f"{name}: error code {code} with status {status} is not in byoc.errors.ERROR_CODES")


class ByocError(Exception):
    status: ClassVar[int] = 500
    code: ClassVar[str] = "internal_error"
    default_message: ClassVar[str] = "Something went wrong on our side."

    # Whether the same call may succeed later unchanged (the invoked functions' ``retryable``).
    retryable: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        _check_listed(cls.code, cls.status, cls.__qualname__)

    def __init__(self, message: str | None = None, *, details: dict[str, object] | None = None):
        self.message = message or self.default_message
        self.details = details or {}
        super().__init__(self.message)

    def headers(self) -> dict[str, str]:
        """Extra response headers for this error (``Retry-After`` on a retryable 503)."""
        return {}


class ConfigurationError(ByocError):
    code = "misconfigured"
    default_message = "The service is not configured correctly."


class ServiceUnavailable(ByocError):
    """An AWS service we depend on failed for now (throttled, internal error, timed out)."""

    status = 503
    code = "service_unavailable"
    default_message = "The service is busy or briefly unavailable. Try again in a moment."
    retryable = True
    retry_after_seconds: ClassVar[int] = 1

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after_seconds)}


class Unauthorized(ByocError):
    status = 401
    code = "unauthorized"
    default_message = "Sign in first: the request carries no organization."


class Forbidden(ByocError):
    status = 403
    code = "forbidden"
    default_message = "Only an organization admin may do this."


class InvalidRequest(ByocError):
    status = 400
    code = "invalid_request"
    default_message = "The request is malformed."


class PayloadTooLarge(ByocError):
    status = 413
    code = "payload_too_large"
    default_message = "The request body is too large."


class ValidationFailed(ByocError):
    """Credential fields that do not satisfy the provider's field rules."""

    status = 422
    code = "validation_error"

    def __init__(self, fields: dict[str, str]):
        names = ", ".join(sorted(fields))
        super().__init__(f"Check these fields: {names}.", details={"fields": fields})
        self.fields = fields


class NotAnOAuthProvider(InvalidRequest):
    """An OAuth step (start, tokens, dropping tokens) asked of a provider that has no OAuth."""

    default_message = "This provider does not use OAuth: its saved credentials are all it needs."


class NotInteractive(InvalidRequest):
    """A browser step (start) asked of an entry that is connected by saving (client credentials)."""

    default_message = "This provider connects when its credentials are saved: there is no browser step."


class DiscoveryFailed(ByocError):
    """OpenID discovery gave no usable configuration; the message names what, never a secret."""

    status = 422
    code = "discovery_failed"
    default_message = "The issuer's discovery document could not be used."


class UnknownProvider(ByocError):
    status = 404
    code = "unknown_provider"
    default_message = "There is no such provider."


class IntegrationNotConfigured(ByocError):
    status = 404
    code = "integration_not_configured"
    default_message = "This integration is not configured: save its credentials first (POST /integrations)."


class InvalidState(ByocError):
    """Unknown, expired, reused or foreign OAuth state."""

    status = 400
    code = "invalid_state"
    default_message = "This sign-in link is invalid or has expired. Start the connection again."


class InvalidCompletion(ByocError):
    """``POST /oauth/complete`` with a handle that is unknown, expired or used."""

    status = 400
    code = "invalid_completion"
    default_message = "This completion is unknown, expired or already used. Connect again."


class FlowNotYours(Forbidden):
    """Another user or org than the one that started the flow tried to complete it."""

    code = "flow_not_yours"
    default_message = "Only the user who started this connection may complete it."


class UnsafeUrl(ByocError):
    """A URL we refuse to call (SSRF rules). Raised on tenant-supplied hosts."""

    status = 422
    code = "unsafe_url"
    default_message = "This address is not allowed."


class ConcurrentUpdate(ByocError):
    """A conditional write lost to another writer."""

    status = 409
    code = "conflict"
    default_message = "The connection changed meanwhile. Try again."


class ProviderError(ByocError):
    """The provider answered with an error (or not at all) during an exchange or refresh.

    ``reason`` is a stable code: the provider's OAuth error code when it is one
    of the registered codes, else one of ours.
    """

    status = 502
    code = "provider_error"
    default_message = "The provider did not complete the request."

    def __init__(
        self,
        reason: str,
        *,
        transient: bool = False,
        message: str | None = None,
        retry_after: str | None = None,
    ):
        super().__init__(message)
        self.reason = reason
        self.transient = transient
        # The answer's Retry-After header as sent (a transient refusal), read by whoever retries.
        self.retry_after = retry_after


class StorageFailed(ByocError):
    """Writing the new tokens failed after retries; the user must connect again."""

    code = "storage_failed"
    default_message = "The connection could not be saved. Connect again."


class ReconnectRequired(ByocError):
    status = 409
    code = "reconnect_required"
    default_message = "The grant was revoked or has expired: reconnect the integration."


class ProviderUnavailable(ByocError):
    status = 503
    code = "provider_unavailable"
    default_message = "The provider is unavailable right now. Try again later."
    retryable = True


class MetadataUnavailable(ByocError):
    """Connected, but a required post-connection lookup has not answered yet (retried on each read)."""

    status = 503
    code = "metadata_unavailable"
    default_message = (
        "The provider has not said yet what calling its API needs (an account or site id); try again later."
    )
    retryable = True


class ProviderStepFailed(ByocError):
    """A provider call a save depends on (discovery, a verification request) did not complete."""

    status = 424
    code = "provider_unavailable"
    default_message = "The provider did not answer a request the save depends on. Try again later."
    retryable = True

    def __init__(self, step: str, cause: str):
        super().__init__(details={"step": step, "reason": cause})


class OutboundError(ByocError):
    """A call to a provider gave no usable answer (``byoc.outbound``).

    ``request_may_have_been_sent`` is False only when no byte of the request
    left us (refused, unreachable, connect timeout), so a single-use call such
    as a code exchange may be retried only then.
    """

    status = 502
    code = "provider_call_failed"
    default_message = "The provider did not answer properly."

    def __init__(self, message: str | None = None, *, request_may_have_been_sent: bool = True):
        super().__init__(message)
        self.request_may_have_been_sent = request_may_have_been_sent


class OutboundTimeout(OutboundError):
    status = 504
    code = "provider_timeout"
    default_message = "The provider did not answer in time."


class OutboundConnectError(OutboundError):
    code = "provider_unreachable"
    default_message = "The provider could not be reached."


class ResponseTooLarge(OutboundError):
    code = "provider_response_too_large"
    default_message = "The provider's answer is larger than allowed."


class OutboundBadResponse(OutboundError):
    """The provider answered, but not in a form we can read (bad JSON, HTTP or encoding)."""

    code = "provider_bad_response"
    default_message = "The provider's answer could not be read."


_check_listed(ByocError.code, ByocError.status, ByocError.__qualname__)
