"""The pieces of docs/openapi.json's operations (scripts/gen_openapi.py): JSON answers, headers,
our errors with the codes each may carry, and API Gateway's own answers.

Imported by gen_openapi.py, which puts the layer on sys.path first.
"""

from __future__ import annotations

from typing import Any

from byoc.errors import CODES, HTTP_ERROR_CODES

PROVIDER_ID = {"type": "string", "pattern": "^[a-z0-9_-]{1,64}$", "examples": ["zendesk"]}


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def json_answer(
    description: str, schema: dict[str, Any], headers: dict[str, Any] | None = None
) -> dict[str, Any]:
    answer: dict[str, Any] = {"description": description}
    if headers:
        answer["headers"] = headers
    answer["content"] = {"application/json": {"schema": schema}}
    return answer


def header(description: str, *, required: bool = True, **schema: Any) -> dict[str, Any]:
    return {"description": description, "required": required, "schema": {"type": "string", **schema}}


NO_STORE = {"Cache-Control": header("Never cached.", const="no-store")}
JSON_HEADERS = {**NO_STORE, "X-Content-Type-Options": header("No sniffing.", const="nosniff")}
SET_COOKIE = {
    "Set-Cookie": header(
        "With BrowserBinding on only: the HttpOnly binding cookie, scoped to the callback path.",
        required=False,
        pattern="^byoc_oauth_binding=",
    )
}


def _redirect_headers(location: str, **location_extra: Any) -> dict[str, Any]:
    return {
        "Location": {**header(location, format="uri"), **location_extra},
        **NO_STORE,
        "Referrer-Policy": header("No referrer leaves with the redirect.", const="no-referrer"),
    }


def _error_schema(codes: tuple[str, ...]) -> dict[str, Any]:
    """ErrorBody whose error.code is one of ``codes`` (each listed with this status)."""
    return {
        "allOf": [
            ref("ErrorBody"),
            {"properties": {"error": {"properties": {"code": {"enum": list(codes)}}}}},
        ]
    }


def error(
    status: int, description: str, *codes: str, headers: dict[str, Any] | None = None
) -> dict[str, Any]:
    for code in codes:
        if code not in HTTP_ERROR_CODES or status not in CODES[code].statuses:
            raise SystemExit(
                f"{code} is not an HTTP API code answered with {status} (byoc.errors.ERROR_CODES)"
            )
    answer = json_answer(description, _error_schema(codes), {**JSON_HEADERS, **(headers or {})})
    answer["x-error-codes"] = list(codes)
    return answer


def _gateway(description: str) -> dict[str, Any]:
    return json_answer(description, ref("GatewayMessage"))


def _ours_or_gateway(ours: dict[str, Any], gateway: str) -> dict[str, Any]:
    """A status both our function and API Gateway answer: either body; headers only when ours."""
    schema = {"anyOf": [ours["content"]["application/json"]["schema"], ref("GatewayMessage")]}
    headers = {name: {**spec, "required": False} for name, spec in ours["headers"].items()}
    answer = json_answer(f"{ours['description']} Or API Gateway's own {gateway}.", schema, headers)
    answer["x-error-codes"] = ours["x-error-codes"]
    return answer


RETRY_AFTER = {"Retry-After": header("Seconds to wait before trying again.", pattern="^[0-9]+$")}
GATEWAY_500 = "{message: Internal Server Error} (the function failed, timed out or was throttled)"
GATEWAY_503 = "{message: Service Unavailable} (the function did not answer in time)"
GATEWAY_413 = "{message: Request Entity Too Large} (a body over its 10 MB limit)"


FAULT_TEXT = {
    "misconfigured": "misconfigured: the stack cannot use its table, key, bus or queue (named).",
    "credentials_unreadable": "credentials_unreadable: the stored credentials cannot be read.",
    "internal_error": "internal_error: a bug on our side.",
}


def faults(*codes_500: str, service: bool = True) -> dict[str, Any]:
    """500 and 503: ours (the codes given; service_unavailable when an AWS call is made) or the gateway's."""
    answers = {
        "500": _ours_or_gateway(
            error(500, " ".join(FAULT_TEXT[code] for code in codes_500), *codes_500),
            GATEWAY_500,
        ),
        "429": _gateway(
            "Throttled by the HTTP API (ThrottlingRateLimit, ThrottlingBurstLimit): "
            "{message: Too Many Requests}."
        ),
    }
    if service:
        ours = error(
            503,
            "service_unavailable: an AWS service was throttled, failed or did not answer in time.",
            "service_unavailable",
            headers=RETRY_AFTER,
        )
        answers["503"] = _ours_or_gateway(ours, GATEWAY_503)
    else:
        answers["503"] = _gateway(f"API Gateway's own {GATEWAY_503}.")
    return answers


def authenticated(responses: dict[str, Any], *codes_500: str) -> dict[str, Any]:
    """Responses every route behind the JWT authorizer may also give."""
    unauthorized = error(401, "unauthorized: the token carries no org or no user.", "unauthorized")
    return {
        **responses,
        "401": _ours_or_gateway(unauthorized, "{message: Unauthorized} (no valid JWT)"),
        **faults(*codes_500),
    }


def query(name: str, description: str, *, required: bool = False, **schema: Any) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": required,
        "description": description,
        "schema": {"type": "string", **schema},
    }


def body(schema_name: str) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": ref(schema_name)}}}


def too_large() -> dict[str, Any]:
    ours = error(
        413, "payload_too_large: the body is larger than MAX_BODY_BYTES (16 KiB).", "payload_too_large"
    )
    return _ours_or_gateway(ours, GATEWAY_413)


CATALOGUE_HEADERS = {
    "ETag": header("A strong tag of the body.", pattern='^"[0-9a-f]{32}"$'),
    "Cache-Control": header("Cacheable.", const="public, max-age=300"),
    "Vary": header("The body depends on Accept-Encoding.", const="Accept-Encoding"),
    "X-Content-Type-Options": header("No sniffing.", const="nosniff"),
}
PROVIDER_PATH = {"name": "provider", "in": "path", "required": True, "schema": PROVIDER_ID}
STORE_FAULTS = ("misconfigured", "internal_error")
# The routes that open the record's sealed secrets (a disconnect's revocation goes to the queue instead).
SEALED_FAULTS = ("misconfigured", "credentials_unreadable", "internal_error")


def forbidden() -> dict[str, Any]:
    return error(403, "forbidden: the caller is not an org admin (AdminClaim).", "forbidden")


def start_answers() -> dict[str, Any]:
    """GET /oauth/start: Accept decides between the JSON answer and the redirect."""
    return {
        "200": json_answer(
            "With Accept: application/json (any Accept header naming it): where to send the browser.",
            ref("AuthorizeUrl"),
            {**JSON_HEADERS, **SET_COOKIE},
        ),
        "302": {
            "description": "Without Accept: application/json: to the provider's authorization page "
            "(the same URL as authorize_url), with no body.",
            "headers": {**_redirect_headers("The provider's authorization URL."), **SET_COOKIE},
        },
        "400": error(
            400,
            "invalid_request: no provider, a repeated parameter, a bad return_to, or a provider "
            "without OAuth.",
            "invalid_request",
        ),
        "403": forbidden(),
        "404": error(
            404,
            "unknown_provider, or integration_not_configured: save credentials first.",
            "unknown_provider",
            "integration_not_configured",
        ),
        "422": error(
            422, "unsafe_url: the saved settings give an address that is not allowed.", "unsafe_url"
        ),
    }


def callback_answers() -> dict[str, Any]:
    location = (
        "FrontendUrl + return_to (its own query kept) + the outcome: integration, status (active, error or "
        "pending_completion), error (with status=error, a StatusReason) or completion (with "
        "pending_completion). The query's schema is x-query (components/schemas/CallbackRedirect)."
    )
    return {
        "302": {
            "description": "To the frontend, with the outcome in the query (CallbackRedirect). Every outcome "
            "after the state is used is this redirect.",
            "headers": _redirect_headers(location, **{"x-query": ref("CallbackRedirect")}),
        },
        "400": error(
            400,
            "invalid_state (unknown, expired, used, or another provider's), or invalid_request (a repeated "
            "parameter).",
            "invalid_state",
            "invalid_request",
        ),
        "404": error(404, "unknown_provider.", "unknown_provider"),
        **faults(*SEALED_FAULTS),
    }
