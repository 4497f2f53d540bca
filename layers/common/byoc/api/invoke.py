"""The Lambda-invoke edge: IAM-invoked functions (no API Gateway), their input and error mapping.

``invoke_handler`` is to invoked functions what ``byoc.api.http.api_handler`` is to
HTTP routes: the logging context, one deadline for the invocation, and the one place
an error becomes an answer. An invoked function never raises (a raised error would
hand the caller a stack trace): every outcome that is not an answer is
``{"error": {"code", "message", "retryable"}}``. A function's documented refusals
(``documented``) are logged at INFO; anything else is an error of ours, logged and
counted in the ``InvokeErrors`` metric, which the stack's alarm reads.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from byoc import deadline, metrics
from byoc.api.http import as_known_error
from byoc.errors import ByocError, InvalidRequest
from byoc.model import ID_PATTERN, PROVIDER_ID_PATTERN
from byoc.observability import logger

InvokeHandler = Callable[[Any, Any], Any]


def invoke_handler(*, documented: tuple[str, ...] = ()) -> Callable[[InvokeHandler], InvokeHandler]:
    """Wrap an invoked handler: every error becomes the answer; undocumented ones are counted."""

    def decorate(handler: InvokeHandler) -> InvokeHandler:
        @wraps(handler)
        def wrapper(event: Any, context: Any) -> Any:
            logger.set_correlation_id(getattr(context, "aws_request_id", None))
            try:
                with deadline.invocation(context):
                    return handler(event, context)
            except Exception as exc:
                error = as_known_error(exc)
            if error.code in documented:
                logger.info("invocation refused", extra={"error_code": error.code})
            else:
                logger.error("invocation failed", extra={"error_code": error.code})
                metrics.invoke_error(
                    str(getattr(context, "function_name", "") or handler.__module__), error.code
                )
            return error_body(error)

        return wrapper

    return decorate


def error_body(error: ByocError) -> dict[str, Any]:
    return {"error": {"code": error.code, "message": error.message, "retryable": error.retryable}}


@dataclass(frozen=True, slots=True)
class TokenRequest:
    """The token function's event: whose token, and whether the caller's copy was just refused."""

    org_id: str
    provider: str
    force_refresh: bool = False
    token_version: int | None = None


_TOKEN_REQUEST_KEYS = {"org_id", "provider", "force_refresh", "token_version"}


def parse_token_request(event: Any) -> TokenRequest:
    """``{"org_id", "provider"[, "force_refresh": true, "token_version": n]}``; anything else is
    InvalidRequest. ``token_version`` is the one the refused token was handed out with."""
    if not isinstance(event, dict) or set(event) - _TOKEN_REQUEST_KEYS:
        raise InvalidRequest('Send {"org_id": "...", "provider": "..."} (and optionally force_refresh).')
    org_id, provider = parse_invoke_event({"org_id": event.get("org_id"), "provider": event.get("provider")})
    force = event.get("force_refresh", False)
    version = event.get("token_version")
    if not isinstance(force, bool):
        raise InvalidRequest("force_refresh must be true or false.")
    if version is not None and (isinstance(version, bool) or not isinstance(version, int) or version < 0):
        raise InvalidRequest("token_version must be the whole number a token answer carried.")
    return TokenRequest(org_id, provider, force, version)


def parse_invoke_event(event: Any) -> tuple[str, str]:
    """``{"org_id": ..., "provider": ...}`` -> (org_id, provider); anything else is InvalidRequest."""
    if not isinstance(event, dict) or set(event) - {"org_id", "provider"}:
        raise InvalidRequest('Send exactly {"org_id": "...", "provider": "..."}.')
    org_id, provider = event.get("org_id"), event.get("provider")
    if not isinstance(org_id, str) or not ID_PATTERN.match(org_id):
        raise InvalidRequest("org_id is missing or malformed.")
    if not isinstance(provider, str) or not PROVIDER_ID_PATTERN.match(provider):
        raise InvalidRequest("provider is missing or malformed.")
    return org_id, provider


_REVOCATION_ID = re.compile(r"^[0-9a-f]{32}$")


def parse_revocation_message(message: Any) -> tuple[str, str, str]:
    """A revocation queue message -> (org_id, provider, revocation_id); anything else is InvalidRequest."""
    if not isinstance(message, dict) or set(message) != {"org_id", "provider", "revocation_id"}:
        raise InvalidRequest("A revocation message names exactly org_id, provider and revocation_id.")
    revocation_id = message["revocation_id"]
    if not isinstance(revocation_id, str) or not _REVOCATION_ID.match(revocation_id):
        raise InvalidRequest("revocation_id is malformed.")
    org_id, provider = parse_invoke_event({"org_id": message["org_id"], "provider": message["provider"]})
    return org_id, provider, revocation_id
