"""DELETE /integrations/{provider}: revoke and forget a connection.
DELETE /integrations/{provider}/tokens: revoke and forget only its tokens (keep the credentials)."""

from byoc import container
from byoc.api.auth import principal_from
from byoc.api.http import Request, api_handler, empty_response
from byoc.settings import get_settings

DROP_TOKENS_ROUTE = "DELETE /integrations/{provider}/tokens"


@api_handler
def lambda_handler(request: Request) -> dict:
    principal = principal_from(request, get_settings())
    provider = request.path_params.get("provider", "")
    service = container.disconnect_service()
    action = service.drop_tokens if request.route_key == DROP_TOKENS_ROUTE else service.disconnect
    action(principal, provider)
    return empty_response(204)
