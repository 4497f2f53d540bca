"""Domain errors. Each carries a stable ``code`` and an HTTP status.

They are raised in the layer and turned into JSON in one place
(``byoc.http.api_handler``). Messages are fixed sentences written here or built
from values we control (field names, provider ids): never ``str()`` of a
third-party exception, never a secret.
"""

from __future__ import annotations

from typing import ClassVar


class ByocError(Exception):
    status: ClassVar[int] = 500
    code: ClassVar[str] = "internal_error"
    default_message: ClassVar[str] = "Something went wrong on our side."

    # Whether the same call may succeed later unchanged (the invoked functions' ``retryable``).
    retryable: ClassVar[bool] = False

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
