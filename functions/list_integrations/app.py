"""GET /integrations: every provider with its form fields, and this org's connection status."""

from byoc.api.auth import principal_from
from byoc.api.http import Request, api_handler, json_response
from byoc.api.views import list_view
from byoc.aws.store import Store
from byoc.oauth.registry import get_registry
from byoc.settings import get_settings


@api_handler
def lambda_handler(request: Request) -> dict:
    settings = get_settings()
    principal = principal_from(request, settings)
    connections = Store(settings.table_name).list_connections(principal.org_id)
    body = list_view(get_registry(), connections, request.api_base_url(settings.public_api_url))
    return json_response(200, body)
