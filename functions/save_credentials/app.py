"""POST /integrations: validate, encrypt and save an org's credentials for one provider."""

from byoc import container
from byoc.api.auth import principal_from
from byoc.api.http import Request, api_handler, json_response
from byoc.api.validation import parse_save_body
from byoc.api.views import integration_view
from byoc.settings import get_settings


@api_handler
def lambda_handler(request: Request) -> dict:
    settings = get_settings()
    principal = principal_from(request, settings)
    body = parse_save_body(request.json_body(settings.max_body_bytes))
    provider, connection = container.credential_service().save(
        principal, body.provider, body.credentials, body.scope_choices()
    )
    return json_response(
        200, integration_view(provider, connection, request.api_base_url(settings.public_api_url))
    )
