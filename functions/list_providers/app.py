"""GET /providers: the catalogue of providers (the same for every org), precomputed and cacheable."""

from byoc.api.catalog import answer, precomputed
from byoc.api.http import Request, api_handler
from byoc.settings import get_settings


@api_handler
def lambda_handler(request: Request) -> dict:
    settings = get_settings()
    found = precomputed(request.api_base_url(settings.public_api_url))
    return answer(found, request.header("if-none-match"), request.header("accept-encoding"))
