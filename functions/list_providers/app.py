"""GET /providers: the catalogue of providers (the same for every org), precomputed and cacheable."""

from byoc.api.catalog import answer, catalogue
from byoc.api.http import Request, api_handler
from byoc.oauth.registry import get_registry
from byoc.settings import get_settings


@api_handler
def lambda_handler(request: Request) -> dict:
    settings = get_settings()
    found = catalogue(get_registry(), request.api_base_url(settings.public_api_url))
    return answer(found, request.header("if-none-match"), request.header("accept-encoding"))
