"""DELETE /integrations/{provider}: revoke and forget a connection.
DELETE /integrations/{provider}/tokens: revoke and forget only its tokens (keep the credentials)."""

from byoc import services
from byoc.auth import principal_from
from byoc.disconnect import DisconnectService
from byoc.http import Request, api_handler, empty_response
from byoc.settings import get_settings


@api_handler
def lambda_handler(request: Request) -> dict:
    settings = get_settings()
    principal = principal_from(request, settings)
    provider = request.path_params.get("provider", "")
    service = DisconnectService.from_settings(settings, services.outbound())
    if request.path.endswith(f"/{provider}/tokens"):
        service.drop_tokens(principal, provider)
    else:
        service.disconnect(principal, provider)
    return empty_response(204)
