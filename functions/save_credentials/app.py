"""POST /integrations: validate, encrypt and save an org's credentials for one provider."""

from byoc import services
from byoc.auth import principal_from
from byoc.credentials import CredentialService
from byoc.http import Request, api_handler, json_response
from byoc.settings import get_settings
from byoc.validation import parse_save_body


@api_handler
def lambda_handler(request: Request) -> dict:
    settings = get_settings()
    principal = principal_from(request, settings)
    body = parse_save_body(request.json_body(settings.max_body_bytes))
    service = CredentialService.from_settings(settings, services.outbound())
    view = service.save(principal, body, request.api_base_url(settings.public_api_url))
    return json_response(200, view)
