"""A fresh access token for the product's own services: invoked with IAM (lambda:InvokeFunction).

Never routed on the public API. Event ``{"org_id", "provider"}``, plus
``"force_refresh": true, "token_version": n`` after the provider refused the token;
answer ``{"access_token", "token_type", "expires_at", "use_until", "token_version",
"scopes", "metadata"}`` (plus ``user_access_token``, ``user_expires_at`` with a user
token) or ``{"error": {"code", "message", "retryable"}}`` (see docs/lifecycle.md).
It never raises: errors of ours are counted in InvokeErrors.
"""

from typing import Any

from byoc import container
from byoc.api.invoke import invoke_handler, parse_token_request
from byoc.usecases.tokens import ERROR_CODES


@invoke_handler(documented=ERROR_CODES)
def lambda_handler(event: Any, context: Any) -> dict[str, Any]:
    request = parse_token_request(event)
    return container.token_service().get_token(
        request.org_id,
        request.provider,
        force_refresh=request.force_refresh,
        seen_version=request.token_version,
    )
