"""GET /oauth/callback/{provider}: consume the state, then exchange (a cookie-bound flow) or park
the code for its user; POST /oauth/complete: that user, signed in, has the parked code exchanged."""

from byoc import container
from byoc.api.auth import principal_from
from byoc.api.callback import callback_params
from byoc.api.http import Request, api_handler, json_response, redirect
from byoc.settings import get_settings
from byoc.usecases.completion import complete


@api_handler
def lambda_handler(request: Request) -> dict:
    if request.route_key == "POST /oauth/complete":
        settings = get_settings()
        body = request.json_body(settings.max_body_bytes)
        return json_response(200, complete(container.flow_service(), principal_from(request, settings), body))
    provider = request.path_params.get("provider", "")
    return redirect(container.flow_service().callback(provider, callback_params(request)))
