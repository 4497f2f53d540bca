"""Write docs/openapi.json (OpenAPI 3.1) from the code's own models and template.yaml's routes.

Run: .venv/bin/python scripts/gen_openapi.py          (rewrites the file; make openapi)
     .venv/bin/python scripts/gen_openapi.py --check  (exit 1 if the file is stale)

The bodies' schemas are the JSON Schema of the pydantic models in ``byoc.api.schemas``
(and ``byoc.api.validation.SaveCredentialsBody``, which the save handler validates
with), whose ErrorCode and StatusReason enums are the code's single lists
(``byoc.errors.ERROR_CODES``, ``byoc.model.REASONS``). In every answer's schema a key
that may be left out is published as not required and never null (docs/api.md,
"Optional fields"). The routes, and which of them skip the JWT authorizer, come from
template.yaml. Written here: the prose, the status codes of each operation with the
error codes each may carry (every one listed with that status in ERROR_CODES, and
every HTTP API code on some route), the headers, and API Gateway's own answers. An
operation without a route in the template (or a route without one here) stops the
script. tests/security/test_openapi.py fails when the committed file differs from
what this writes; tests/integration/test_openapi_conformance.py checks that the
handlers send exactly what it says.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "layers" / "common"))
sys.path.insert(0, str(ROOT))

from pydantic import BaseModel  # noqa: E402
from pydantic.json_schema import models_json_schema  # noqa: E402

from byoc.api import schemas  # noqa: E402
from byoc.errors import CODES, HTTP_ERROR_CODES  # noqa: E402
from devserver.routes import Route, routes_from_template  # noqa: E402
from devserver.template import load_template  # noqa: E402

OUTPUT = ROOT / "docs" / "openapi.json"
TEMPLATE = ROOT / "template.yaml"
# What the handlers answer: a property they leave out is published as not required and not null.
RESPONSE_MODELS: list[type[BaseModel]] = [
    schemas.ConnectionList,
    schemas.Connection,
    schemas.Catalogue,
    schemas.ProviderEntry,
    schemas.IntegrationList,
    schemas.Integration,
    schemas.FieldView,
    schemas.AuthorizeUrl,
    schemas.CompletionResult,
    schemas.CallbackRedirect,
    schemas.ErrorBody,
    schemas.ErrorDetail,
    schemas.GatewayMessage,
]
# What the handlers read: as pydantic validates them (an optional key may also be null).
REQUEST_MODELS: list[type[BaseModel]] = [schemas.SaveCredentialsBody, schemas.CompleteBody]
SECURITY_SCHEME = "bearerAuth"
PROVIDER_ID = {"type": "string", "pattern": "^[a-z0-9_-]{1,64}$", "examples": ["zendesk"]}
# The default port of make dev (PORT in the Makefile, devserver/__main__.py).
LOCAL_PORT = 3000
SERVERS = [
    {
        "url": "https://{api_id}.execute-api.{region}.amazonaws.com",
        "description": "A deployed stack: its ApiUrl output (the $default stage), or PublicApiUrl.",
        "variables": {
            "api_id": {"default": "abc123", "description": "The HTTP API's id."},
            "region": {"default": "eu-west-1", "description": "The stack's AWS region."},
        },
    },
    {"url": f"http://127.0.0.1:{LOCAL_PORT}", "description": "make dev (PORT, default 3000)."},
]


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(description: str, schema: dict[str, Any], headers: dict[str, Any] | None = None) -> dict[str, Any]:
    answer: dict[str, Any] = {"description": description}
    if headers:
        answer["headers"] = headers
    answer["content"] = {"application/json": {"schema": schema}}
    return answer


def _header(description: str, *, required: bool = True, **schema: Any) -> dict[str, Any]:
    return {"description": description, "required": required, "schema": {"type": "string", **schema}}


NO_STORE = {"Cache-Control": _header("Never cached.", const="no-store")}
JSON_HEADERS = {**NO_STORE, "X-Content-Type-Options": _header("No sniffing.", const="nosniff")}
SET_COOKIE = {
    "Set-Cookie": _header(
        "With BrowserBinding on only: the HttpOnly binding cookie, scoped to the callback path.",
        required=False,
        pattern="^byoc_oauth_binding=",
    )
}


def _redirect_headers(location: str, **location_extra: Any) -> dict[str, Any]:
    return {
        "Location": {**_header(location, format="uri"), **location_extra},
        **NO_STORE,
        "Referrer-Policy": _header("No referrer leaves with the redirect.", const="no-referrer"),
    }


def _error_schema(codes: tuple[str, ...]) -> dict[str, Any]:
    """ErrorBody whose error.code is one of ``codes`` (each listed with this status)."""
    return {
        "allOf": [
            _ref("ErrorBody"),
            {"properties": {"error": {"properties": {"code": {"enum": list(codes)}}}}},
        ]
    }


def _error(
    status: int, description: str, *codes: str, headers: dict[str, Any] | None = None
) -> dict[str, Any]:
    for code in codes:
        if code not in HTTP_ERROR_CODES or status not in CODES[code].statuses:
            raise SystemExit(
                f"{code} is not an HTTP API code answered with {status} (byoc.errors.ERROR_CODES)"
            )
    answer = _json(description, _error_schema(codes), {**JSON_HEADERS, **(headers or {})})
    answer["x-error-codes"] = list(codes)
    return answer


def _gateway(description: str) -> dict[str, Any]:
    return _json(description, _ref("GatewayMessage"))


def _ours_or_gateway(ours: dict[str, Any], gateway: str) -> dict[str, Any]:
    """A status both our function and API Gateway answer: either body; headers only when ours."""
    schema = {"anyOf": [ours["content"]["application/json"]["schema"], _ref("GatewayMessage")]}
    headers = {name: {**header, "required": False} for name, header in ours["headers"].items()}
    answer = _json(f"{ours['description']} Or API Gateway's own {gateway}.", schema, headers)
    answer["x-error-codes"] = ours["x-error-codes"]
    return answer


RETRY_AFTER = {"Retry-After": _header("Seconds to wait before trying again.", pattern="^[0-9]+$")}
GATEWAY_500 = "{message: Internal Server Error} (the function failed, timed out or was throttled)"
GATEWAY_503 = "{message: Service Unavailable} (the function did not answer in time)"
GATEWAY_413 = "{message: Request Entity Too Large} (a body over its 10 MB limit)"


FAULT_TEXT = {
    "misconfigured": "misconfigured: the stack cannot use its table, key, bus or queue (named).",
    "credentials_unreadable": "credentials_unreadable: the stored credentials cannot be read.",
    "internal_error": "internal_error: a bug on our side.",
}


def _faults(*codes_500: str, service: bool = True) -> dict[str, Any]:
    """500 and 503: ours (the codes given; service_unavailable when an AWS call is made) or the gateway's."""
    answers = {
        "500": _ours_or_gateway(
            _error(500, " ".join(FAULT_TEXT[code] for code in codes_500), *codes_500),
            GATEWAY_500,
        ),
        "429": _gateway(
            "Throttled by the HTTP API (ThrottlingRateLimit, ThrottlingBurstLimit): "
            "{message: Too Many Requests}."
        ),
    }
    if service:
        ours = _error(
            503,
            "service_unavailable: an AWS service was throttled, failed or did not answer in time.",
            "service_unavailable",
            headers=RETRY_AFTER,
        )
        answers["503"] = _ours_or_gateway(ours, GATEWAY_503)
    else:
        answers["503"] = _gateway(f"API Gateway's own {GATEWAY_503}.")
    return answers


def _authenticated(responses: dict[str, Any], *codes_500: str) -> dict[str, Any]:
    """Responses every route behind the JWT authorizer may also give."""
    unauthorized = _error(401, "unauthorized: the token carries no org or no user.", "unauthorized")
    return {
        **responses,
        "401": _ours_or_gateway(unauthorized, "{message: Unauthorized} (no valid JWT)"),
        **_faults(*codes_500),
    }


def _query(name: str, description: str, *, required: bool = False, **schema: Any) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": required,
        "description": description,
        "schema": {"type": "string", **schema},
    }


def _body(schema_name: str) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": _ref(schema_name)}}}


def _too_large() -> dict[str, Any]:
    ours = _error(
        413, "payload_too_large: the body is larger than MAX_BODY_BYTES (16 KiB).", "payload_too_large"
    )
    return _ours_or_gateway(ours, GATEWAY_413)


CATALOGUE_HEADERS = {
    "ETag": _header("A strong tag of the body.", pattern='^"[0-9a-f]{32}"$'),
    "Cache-Control": _header("Cacheable.", const="public, max-age=300"),
    "Vary": _header("The body depends on Accept-Encoding.", const="Accept-Encoding"),
    "X-Content-Type-Options": _header("No sniffing.", const="nosniff"),
}
PROVIDER_PATH = {"name": "provider", "in": "path", "required": True, "schema": PROVIDER_ID}
STORE_FAULTS = ("misconfigured", "internal_error")
# The routes that open the record's sealed secrets (a disconnect's revocation goes to the queue instead).
SEALED_FAULTS = ("misconfigured", "credentials_unreadable", "internal_error")


def _forbidden() -> dict[str, Any]:
    return _error(403, "forbidden: the caller is not an org admin (AdminClaim).", "forbidden")


def _start_answers() -> dict[str, Any]:
    """GET /oauth/start: Accept decides between the JSON answer and the redirect."""
    return {
        "200": _json(
            "With Accept: application/json (any Accept header naming it): where to send the browser.",
            _ref("AuthorizeUrl"),
            {**JSON_HEADERS, **SET_COOKIE},
        ),
        "302": {
            "description": "Without Accept: application/json: to the provider's authorization page "
            "(the same URL as authorize_url), with no body.",
            "headers": {**_redirect_headers("The provider's authorization URL."), **SET_COOKIE},
        },
        "400": _error(
            400,
            "invalid_request: no provider, a repeated parameter, a bad return_to, or a provider "
            "without OAuth.",
            "invalid_request",
        ),
        "403": _forbidden(),
        "404": _error(
            404,
            "unknown_provider, or integration_not_configured: save credentials first.",
            "unknown_provider",
            "integration_not_configured",
        ),
        "422": _error(
            422, "unsafe_url: the saved settings give an address that is not allowed.", "unsafe_url"
        ),
    }


def _callback_answers() -> dict[str, Any]:
    location = (
        "FrontendUrl + return_to (its own query kept) + the outcome: integration, status (active, error or "
        "pending_completion), error (with status=error, a StatusReason) or completion (with "
        "pending_completion). The query's schema is x-query (components/schemas/CallbackRedirect)."
    )
    return {
        "302": {
            "description": "To the frontend, with the outcome in the query (CallbackRedirect). Every outcome "
            "after the state is used is this redirect.",
            "headers": _redirect_headers(location, **{"x-query": _ref("CallbackRedirect")}),
        },
        "400": _error(
            400,
            "invalid_state (unknown, expired, used, or another provider's), or invalid_request (a repeated "
            "parameter).",
            "invalid_state",
            "invalid_request",
        ),
        "404": _error(404, "unknown_provider.", "unknown_provider"),
        **_faults(*SEALED_FAULTS),
    }


OPERATIONS: dict[tuple[str, str], dict[str, Any]] = {
    ("GET", "/integrations"): {
        "operationId": "listIntegrations",
        "summary": "This org's connections (the providers it saved credentials for)",
        "description": "One DynamoDB Query. The catalogue (fields, redirect URIs) is GET /providers. "
        "include=catalog answers the previous shape (every provider with its connection) for this "
        "release only: deprecated.",
        "parameters": [
            {
                **_query(
                    "include",
                    "Deprecated: catalog returns every provider with the org's connection (IntegrationList).",
                    enum=["catalog"],
                ),
                "deprecated": True,
            }
        ],
        "responses": _authenticated(
            {
                "200": _json(
                    "This org's connections; with include=catalog (deprecated), an IntegrationList.",
                    {"anyOf": [_ref("ConnectionList"), _ref("IntegrationList")]},
                    JSON_HEADERS,
                ),
                "400": _error(400, "invalid_request: include takes one value, catalog.", "invalid_request"),
            },
            *STORE_FAULTS,
        ),
    },
    ("GET", "/providers"): {
        "operationId": "listProviders",
        "summary": "The catalogue: every provider, its form fields, known scopes and redirect URI",
        "description": "The same for every org and needs no token: a browser or a CDN may cache it "
        "(Cache-Control: public, max-age=300) and revalidate with If-None-Match (304). gzip-encoded "
        "when the request accepts it. No DynamoDB or KMS call.",
        "parameters": [
            {
                "name": "If-None-Match",
                "in": "header",
                "required": False,
                "description": "The ETag of a catalogue already held.",
                "schema": {"type": "string"},
            }
        ],
        "responses": {
            "200": _json(
                "The catalogue.",
                _ref("Catalogue"),
                {
                    **CATALOGUE_HEADERS,
                    "Content-Encoding": _header(
                        "gzip when the request's Accept-Encoding takes it.", required=False, const="gzip"
                    ),
                },
            ),
            "304": {
                "description": "The catalogue held (If-None-Match) is current; no body.",
                "headers": CATALOGUE_HEADERS,
            },
            **_faults("internal_error", service=False),
        },
    },
    ("POST", "/integrations"): {
        "operationId": "saveCredentials",
        "summary": "Save (create or replace) the org's OAuth app or API key for one provider",
        "description": "Needs an org admin when AdminClaim is set. Secrets are stored envelope-encrypted "
        "and never returned. OAuth providers go to pending_setup, API-key providers to active.",
        "requestBody": _body("SaveCredentialsBody"),
        "responses": _authenticated(
            {
                "200": _json(
                    "The provider's entry joined with the connection.", _ref("Integration"), JSON_HEADERS
                ),
                "400": _error(
                    400,
                    "invalid_request: not JSON, wrong shape or unknown top-level fields.",
                    "invalid_request",
                ),
                "403": _forbidden(),
                "404": _error(404, "unknown_provider.", "unknown_provider"),
                "409": _error(409, "conflict: the connection changed meanwhile; try again.", "conflict"),
                "413": _too_large(),
                "422": _error(
                    422,
                    "validation_error: fields that fail the provider's rules, named in details.fields.",
                    "validation_error",
                ),
                "424": _error(
                    424,
                    "provider_unavailable: a provider call the save depends on failed for now; "
                    "details.step names it (discovery). Nothing was stored.",
                    "provider_unavailable",
                ),
            },
            *STORE_FAULTS,
        ),
    },
    ("GET", "/oauth/start"): {
        "operationId": "startOAuth",
        "summary": "Start the authorization-code flow with the org's own client id",
        "description": "Needs an org admin when AdminClaim is set. The Accept header decides the answer: "
        "one naming application/json gets 200 {authorize_url} (a fetch() with a bearer token cannot "
        "follow a redirect for the browser); any other gets a 302 to the same URL. With BrowserBinding "
        "on, either answer sets an HttpOnly cookie scoped to the callback path.",
        "parameters": [
            _query("provider", "The provider's id.", required=True, examples=["zendesk"]),
            _query(
                "return_to",
                "A path on the frontend to return to (/settings/integrations), without the parameters the "
                "callback adds (integration, status, error, completion); anything else is refused.",
                examples=["/settings/integrations"],
            ),
            {
                "name": "Accept",
                "in": "header",
                "required": False,
                "description": "application/json: the 200 answer; anything else (or none): the 302.",
                "schema": {"type": "string", "examples": ["application/json"]},
            },
        ],
        "responses": _authenticated(_start_answers(), *STORE_FAULTS),
    },
    ("POST", "/oauth/complete"): {
        "operationId": "completeOAuth",
        "summary": "Complete a flow whose code waits for the user who started it",
        "description": "After a callback redirect with status=pending_completion, the frontend sends the "
        "completion parameter with the signed-in user's JWT. Only the user who started the flow, in the "
        "same org, may complete it; the code is exchanged then. Single use, valid for 5 minutes.",
        "requestBody": _body("CompleteBody"),
        "responses": _authenticated(
            {
                "200": _json(
                    "The outcome of the exchange (every provider outcome is a 200).",
                    _ref("CompletionResult"),
                    JSON_HEADERS,
                ),
                "400": _error(
                    400,
                    "invalid_completion: unknown, expired or used; invalid_request: not JSON or a "
                    "wrong body.",
                    "invalid_completion",
                    "invalid_request",
                ),
                "403": _error(
                    403,
                    "flow_not_yours: another user or org started it (the handle stays usable).",
                    "flow_not_yours",
                ),
                "413": _too_large(),
            },
            *SEALED_FAULTS,
        ),
    },
    ("GET", "/oauth/callback/{provider}"): {
        "operationId": "oauthCallback",
        "summary": "Where the provider sends the browser back; never called by a frontend",
        "description": "Consumes the state and ends with a 302 to FrontendUrl plus the return path, with "
        "the outcome in the query (components/schemas/CallbackRedirect). A cookie-bound flow exchanges "
        "the code here (status active or error); an unbound one parks it for its user "
        "(status=pending_completion and completion, for POST /oauth/complete).",
        "parameters": [
            PROVIDER_PATH,
            _query("state", "The state sent to the provider at start."),
            _query("code", "The authorization code."),
            _query("error", "The provider's error code (access_denied, ...)."),
            _query("error_description", "The provider's error text; never shown or stored."),
            _query("error_uri", "Ignored."),
            _query("iss", "The issuer (RFC 9207); must equal the expected one where known."),
        ],
        "responses": _callback_answers(),
    },
    ("DELETE", "/integrations/{provider}"): {
        "operationId": "disconnect",
        "summary": "Revoke the tokens where the provider can, and forget the connection",
        "parameters": [PROVIDER_PATH],
        "responses": _authenticated(
            {
                "204": {"description": "Deleted; no body.", "headers": NO_STORE},
                "403": _forbidden(),
                "404": _error(
                    404,
                    "unknown_provider, or integration_not_configured: nothing to delete.",
                    "unknown_provider",
                    "integration_not_configured",
                ),
            },
            *STORE_FAULTS,
        ),
    },
    ("DELETE", "/integrations/{provider}/tokens"): {
        "operationId": "dropTokens",
        "summary": "Revoke and forget the tokens, keep the credentials (back to pending_setup)",
        "parameters": [PROVIDER_PATH],
        "responses": _authenticated(
            {
                "204": {"description": "The tokens are gone; no body.", "headers": NO_STORE},
                "400": _error(400, "invalid_request: the provider does not use OAuth.", "invalid_request"),
                "403": _forbidden(),
                "404": _error(
                    404,
                    "unknown_provider, or integration_not_configured.",
                    "unknown_provider",
                    "integration_not_configured",
                ),
            },
            *STORE_FAULTS,
        ),
    },
}


def _not_null(prop: dict[str, Any]) -> dict[str, Any]:
    """An omitted key's schema: its value's type only (the null branch and the null default removed)."""
    prop = {k: v for k, v in prop.items() if not (k == "default" and v is None)}
    branches = prop.get("anyOf")
    if branches and {"type": "null"} in branches:
        rest = [b for b in branches if b != {"type": "null"}]
        del prop["anyOf"]
        prop = {**rest[0], **prop} if len(rest) == 1 else {"anyOf": rest, **prop}
    return prop


def one_rule_for_optional_keys(schema: dict[str, Any]) -> dict[str, Any]:
    """A response object's key the server may leave out is not required and never null (docs/api.md)."""
    if "properties" not in schema:
        return schema
    required = set(schema.get("required", []))
    properties = {
        name: prop if name in required else _not_null(prop) for name, prop in schema["properties"].items()
    }
    return {**schema, "properties": properties}


def _definitions(models: list[type[BaseModel]]) -> dict[str, Any]:
    _, top = models_json_schema(
        [(m, "validation") for m in models], ref_template="#/components/schemas/{model}"
    )
    return dict(top["$defs"])


def component_schemas() -> dict[str, Any]:
    answers = {name: one_rule_for_optional_keys(s) for name, s in _definitions(RESPONSE_MODELS).items()}
    requests = _definitions(REQUEST_MODELS)
    shared = set(answers) & set(requests)
    if any(answers[name] != requests[name] for name in shared):
        raise SystemExit(f"a schema is both a request and an answer: {sorted(shared)}")
    return dict(sorted({**requests, **answers}.items()))


def error_codes_in_use() -> set[str]:
    """Every error code some operation's response lists (x-error-codes)."""
    return {
        code
        for operation in OPERATIONS.values()
        for response in operation["responses"].values()
        for code in response.get("x-error-codes", [])
    }


def template_routes() -> list[Route]:
    return routes_from_template(load_template(TEMPLATE))


def build() -> dict[str, Any]:
    routes = {(route.method, route.path): route for route in template_routes()}
    if set(routes) != set(OPERATIONS):
        missing = sorted(set(routes) - set(OPERATIONS))
        unknown = sorted(set(OPERATIONS) - set(routes))
        raise SystemExit(f"routes without documentation: {missing}; documented but not routed: {unknown}")
    if error_codes_in_use() != set(HTTP_ERROR_CODES):
        raise SystemExit(
            f"HTTP error codes no route answers: {sorted(set(HTTP_ERROR_CODES) - error_codes_in_use())}"
        )
    paths: dict[str, dict[str, Any]] = {}
    for (method, path), operation in OPERATIONS.items():
        entry = dict(operation)
        if routes[(method, path)].auth_none:
            entry["security"] = []  # the provider's redirect carries no token; the state is checked instead
        paths.setdefault(path, {})[method.lower()] = entry
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Bring-your-own OAuth app API",
            "version": "1",
            "description": "Generated by scripts/gen_openapi.py from byoc.schemas, the code's lists of "
            "error codes (byoc.errors.ERROR_CODES) and reason codes (byoc.model.REASONS) and template.yaml; "
            "do not edit. Every route but the OAuth callback needs a JWT from the product's identity "
            "provider (locally the X-Org-Id, X-User-Id and X-Org-Role headers stand in for its claims). "
            "See docs/api.md.",
        },
        "servers": SERVERS,
        "security": [{SECURITY_SCHEME: []}],
        "paths": dict(sorted(paths.items())),
        "components": {
            "securitySchemes": {
                SECURITY_SCHEME: {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "JWT",
                    "description": "Checked by the HTTP API's JWT authorizer (JwtIssuer, JwtAudience); "
                    "the org is the OrgClaim claim, the user is sub.",
                }
            },
            "schemas": component_schemas(),
        },
    }


def render() -> str:
    return json.dumps(build(), indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str]) -> int:
    text = render()
    if "--check" in argv:
        current = OUTPUT.read_text(encoding="utf-8") if OUTPUT.is_file() else ""
        if current != text:
            print(f"{OUTPUT.relative_to(ROOT)} is stale: run make openapi", file=sys.stderr)
            return 1
        return 0
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUTPUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
