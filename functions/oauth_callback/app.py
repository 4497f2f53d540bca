"""GET /oauth/callback/{provider}: consume the state, exchange the code, store the tokens."""

from byoc import container
from byoc.api.callback import callback_params
from byoc.api.http import Request, api_handler, redirect


@api_handler
def lambda_handler(request: Request) -> dict:
    provider = request.path_params.get("provider", "")
    return redirect(container.flow_service().callback(provider, callback_params(request)))
