"""A fresh access token for the product's own services: invoked with IAM (lambda:InvokeFunction).

Never routed on the public API. Event ``{"org_id": "...", "provider": "..."}``; answer
``{"access_token", "token_type", "expires_at", "scopes", "metadata"}`` or
``{"error": {"code", "message"}}`` (see docs/lifecycle.md). Anything else fails the
invocation, so it shows in the function's Errors metric and alarm.
"""

from typing import Any

from byoc import container
from byoc.api.invoke import invoke_handler, parse_invoke_event
from byoc.usecases.tokens import ERROR_CODES


@invoke_handler(documented=ERROR_CODES)
def lambda_handler(event: Any, context: Any) -> dict[str, Any]:
    org_id, provider = parse_invoke_event(event)
    return container.token_service().get_token(org_id, provider)
