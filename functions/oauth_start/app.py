"""GET /oauth/start?provider=...: send the browser to the provider with the org's own client id."""

from byoc import container
from byoc.api.auth import principal_from
from byoc.api.http import Request, api_handler, json_response, redirect
from byoc.settings import get_settings


@api_handler
def lambda_handler(request: Request) -> dict:
    settings = get_settings()
    query = request.query()
    result = container.flow_service().start(
        principal_from(request, settings),
        request.single("provider", query),
        request.single("return_to", query),
        request.api_base_url(settings.public_api_url),
        request.origin(),
    )
    cookies = [result.cookie] if result.cookie else None
    if request.wants_json():  # a fetch() with a bearer token cannot follow a redirect for the browser
        return json_response(200, {"authorize_url": result.authorize_url}, cookies=cookies)
    return redirect(result.authorize_url, cookies=cookies)
