"""The Lambda-invoke edge: IAM-invoked functions (no API Gateway), their input and error mapping.

``invoke_handler`` is to invoked functions what ``byoc.api.http.api_handler`` is to
HTTP routes: the logging context, and the one place a ``ByocError`` becomes an answer.
A function's documented error codes answer ``{"error": {"code", "message"}}``; any
other outcome fails the invocation with a fixed message (never the exception's
text), so it shows in the function's ``Errors`` metric and alarm.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from byoc.errors import ByocError, InvalidRequest
from byoc.model import ID_PATTERN, PROVIDER_ID_PATTERN
from byoc.observability import logger

InvokeHandler = Callable[[Any, Any], Any]


class InvocationFailed(RuntimeError):
    """The invocation failed on our side; the log line says why, this message never does."""


def invoke_handler(*, documented: tuple[str, ...] = ()) -> Callable[[InvokeHandler], InvokeHandler]:
    """Wrap an invoked handler: errors whose code is in ``documented`` become the answer."""

    def decorate(handler: InvokeHandler) -> InvokeHandler:
        @wraps(handler)
        def wrapper(event: Any, context: Any) -> Any:
            logger.set_correlation_id(getattr(context, "aws_request_id", None))
            try:
                return handler(event, context)
            except ByocError as error:
                if error.code not in documented:
                    logger.error("invocation failed", extra={"error_code": error.code})
                    raise InvocationFailed("The invocation failed.") from None
                logger.info("invocation refused", extra={"error_code": error.code})
                return error_body(error)
            except Exception as exc:
                logger.error("invocation failed", extra={"error_type": type(exc).__name__})
                raise InvocationFailed("The invocation failed.") from None

        return wrapper

    return decorate


def error_body(error: ByocError) -> dict[str, Any]:
    return {"error": {"code": error.code, "message": error.message}}


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
