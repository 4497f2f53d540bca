"""GET /integrations: this org's connections (``?include=catalog``: with every provider, deprecated)."""

from byoc.api.auth import principal_from
from byoc.api.http import Request, api_handler, json_response
from byoc.api.views import catalog_list_view, list_view
from byoc.aws.store import Store
from byoc.errors import InvalidRequest
from byoc.oauth.registry import get_registry
from byoc.settings import get_settings


@api_handler
def lambda_handler(request: Request) -> dict:
    settings = get_settings()
    principal = principal_from(request, settings)
    include = request.single("include")
    if include not in (None, "catalog"):
        raise InvalidRequest("include takes one value: catalog.")
    connections = Store(settings.table_name).list_connections(principal.org_id)
    if include == "catalog":
        api_base_url = request.api_base_url(settings.public_api_url)
        return json_response(200, catalog_list_view(get_registry(), connections, api_base_url))
    return json_response(200, list_view(get_registry(), connections))
