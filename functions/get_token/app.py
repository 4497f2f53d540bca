"""A fresh access token for the product's own services: invoked with IAM (lambda:InvokeFunction).

Never routed on the public API. Event ``{"org_id": "...", "provider": "..."}``; answer
``{"access_token", "token_type", "expires_at", "scopes", "metadata"}`` or
``{"error": {"code", "message"}}`` (see docs/lifecycle.md). Anything else fails the
invocation, so it shows in the function's Errors metric and alarm.
"""

from typing import Any

from byoc import services, tokens
from byoc.errors import ByocError
from byoc.observability import logger
from byoc.settings import get_settings


def lambda_handler(event: Any, context: Any) -> dict[str, Any]:
    logger.set_correlation_id(getattr(context, "aws_request_id", None))
    try:
        org_id, provider = tokens.parse_invoke_event(event)
        service = tokens.TokenService.from_settings(get_settings(), services.outbound())
        answer = service.get_token(org_id, provider)
    except ByocError as error:
        if error.code not in tokens.ERROR_CODES:
            logger.error("token request failed", extra={"error_code": error.code})
            raise RuntimeError("The token could not be read.") from None
        logger.info("token not issued", extra={"error_code": error.code})
        return tokens.error_body(error)
    logger.info("token issued", extra={"provider": provider})
    return answer
