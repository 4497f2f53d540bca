"""GET /oauth/callback/{provider}: consume the state, exchange the code, store the tokens."""

from byoc import services
from byoc.flow import BINDING_COOKIE, CallbackParams, FlowService
from byoc.http import Request, api_handler, redirect
from byoc.settings import get_settings

_CONTROL = ("state", "code", "error", "error_description", "error_uri", "iss")


@api_handler
def lambda_handler(request: Request) -> dict:
    settings = get_settings()
    query = request.query()
    params = CallbackParams(
        state=request.single("state", query),
        code=request.single("code", query),
        error=request.single("error", query),
        iss=request.single("iss", query),
        extra={k: v[0] for k, v in query.items() if k not in _CONTROL and len(v) == 1},
        binding_cookie=request.cookies.get(BINDING_COOKIE),
    )
    service = FlowService.from_settings(settings, services.outbound())
    location = service.callback(request.path_params.get("provider", ""), params)
    return redirect(location)
