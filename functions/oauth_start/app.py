"""GET /oauth/start?provider=...: send the browser to the provider with the org's own client id."""

from byoc import services
from byoc.auth import principal_from
from byoc.flow import FlowService
from byoc.http import Request, api_handler, json_response, redirect
from byoc.settings import get_settings


@api_handler
def lambda_handler(request: Request) -> dict:
    settings = get_settings()
    principal = principal_from(request, settings)
    query = request.query()
    result = FlowService.from_settings(settings, services.outbound()).start(
        principal,
        request.single("provider", query),
        request.single("return_to", query),
        request.api_base_url(settings.public_api_url),
    )
    cookies = [result.cookie] if result.cookie else None
    if request.wants_json():  # a fetch() with a bearer token cannot follow a redirect for the browser
        return json_response(200, {"authorize_url": result.authorize_url}, cookies=cookies)
    return redirect(result.authorize_url, cookies=cookies)
