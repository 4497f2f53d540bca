"""GET /integrations routed by Powertools' APIGatewayHttpResolver instead of byoc.http (bench only).

The route, the error mapping and the access log line do what ``api_handler``
does; auth, the store and the view are ours. The resolver parses the event into
its own ``APIGatewayProxyEventV2``, so the caller is read from it.
"""

import time
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response

from byoc.api.auth import principal_from
from byoc.api.http import JSON_HEADERS
from byoc.api.views import list_view
from byoc.aws.store import Store
from byoc.errors import ByocError
from byoc.oauth.registry import get_registry
from byoc.observability import logger
from byoc.settings import get_settings

app = APIGatewayHttpResolver()


class _Caller:
    """What ``principal_from`` reads of a request, taken from the resolver's event."""

    def __init__(self, event: Any) -> None:
        self.claims = event.request_context.authorizer.jwt_claim or {}
        self.headers = {k.lower(): v for k, v in (event.headers or {}).items()}

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


@app.get("/integrations")
def list_integrations() -> Response:
    settings = get_settings()
    event = app.current_event
    principal = principal_from(_Caller(event), settings)  # type: ignore[arg-type]
    connections = Store(settings.table_name).list_connections(principal.org_id)
    body = list_view(get_registry(), connections)
    return Response(200, "application/json", body, headers=dict(JSON_HEADERS))


@app.exception_handler(ByocError)
def byoc_error(error: ByocError) -> Response:
    body = {"error": {"code": error.code, "message": error.message}}
    return Response(error.status, "application/json", body, headers=dict(JSON_HEADERS))


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    started = time.perf_counter()
    logger.set_correlation_id(str((event.get("requestContext") or {}).get("requestId", "")) or None)
    response = app.resolve(event, context)
    logger.info(
        "request",
        extra={
            "method": "GET",
            "route": str(event.get("routeKey", "")),
            "status_code": response["statusCode"],
            "duration_ms": round((time.perf_counter() - started) * 1000, 1),
        },
    )
    return response
