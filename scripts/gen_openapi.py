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
sys.path.insert(0, str(ROOT / "scripts"))

from openapi_responses import (  # noqa: E402
    CATALOGUE_HEADERS,
    JSON_HEADERS,
    NO_STORE,
    PROVIDER_PATH,
    SEALED_FAULTS,
    STORE_FAULTS,
    authenticated,
    body,
    callback_answers,
    error,
    faults,
    forbidden,
    header,
    json_answer,
    query,
    ref,
    start_answers,
    too_large,
)
from pydantic import BaseModel  # noqa: E402
from pydantic.json_schema import models_json_schema  # noqa: E402

from byoc.api import schemas  # noqa: E402
from byoc.errors import HTTP_ERROR_CODES  # noqa: E402
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


OPERATIONS: dict[tuple[str, str], dict[str, Any]] = {
    ("GET", "/integrations"): {
        "operationId": "listIntegrations",
        "summary": "This org's connections (the providers it saved credentials for)",
        "description": "One DynamoDB Query. The catalogue (fields, redirect URIs) is GET /providers. "
        "include=catalog answers the previous shape (every provider with its connection) for this "
        "release only: deprecated.",
        "parameters": [
            {
                **query(
                    "include",
                    "Deprecated: catalog returns every provider with the org's connection (IntegrationList).",
                    enum=["catalog"],
                ),
                "deprecated": True,
            }
        ],
        "responses": authenticated(
            {
                "200": json_answer(
                    "This org's connections; with include=catalog (deprecated), an IntegrationList.",
                    {"anyOf": [ref("ConnectionList"), ref("IntegrationList")]},
                    JSON_HEADERS,
                ),
                "400": error(400, "invalid_request: include takes one value, catalog.", "invalid_request"),
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
            "200": json_answer(
                "The catalogue.",
                ref("Catalogue"),
                {
                    **CATALOGUE_HEADERS,
                    "Content-Encoding": header(
                        "gzip when the request's Accept-Encoding takes it.", required=False, const="gzip"
                    ),
                },
            ),
            "304": {
                "description": "The catalogue held (If-None-Match) is current; no body.",
                "headers": CATALOGUE_HEADERS,
            },
            **faults("internal_error", service=False),
        },
    },
    ("POST", "/integrations"): {
        "operationId": "saveCredentials",
        "summary": "Save (create or replace) the org's OAuth app or API key for one provider",
        "description": "Needs an org admin when AdminClaim is set. Secrets are stored envelope-encrypted "
        "and never returned. OAuth providers go to pending_setup, API-key providers to active.",
        "requestBody": body("SaveCredentialsBody"),
        "responses": authenticated(
            {
                "200": json_answer(
                    "The provider's entry joined with the connection.", ref("Integration"), JSON_HEADERS
                ),
                "400": error(
                    400,
                    "invalid_request: not JSON, wrong shape or unknown top-level fields.",
                    "invalid_request",
                ),
                "403": forbidden(),
                "404": error(404, "unknown_provider.", "unknown_provider"),
                "409": error(409, "conflict: the connection changed meanwhile; try again.", "conflict"),
                "413": too_large(),
                "422": error(
                    422,
                    "validation_error: fields that fail the provider's rules, named in details.fields.",
                    "validation_error",
                ),
                "424": error(
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
            query("provider", "The provider's id.", required=True, examples=["zendesk"]),
            query(
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
        "responses": authenticated(start_answers(), *STORE_FAULTS),
    },
    ("POST", "/oauth/complete"): {
        "operationId": "completeOAuth",
        "summary": "Complete a flow whose code waits for the user who started it",
        "description": "After a callback redirect with status=pending_completion, the frontend sends the "
        "completion parameter with the signed-in user's JWT. Only the user who started the flow, in the "
        "same org, may complete it; the code is exchanged then. Single use, valid for 5 minutes.",
        "requestBody": body("CompleteBody"),
        "responses": authenticated(
            {
                "200": json_answer(
                    "The outcome of the exchange (every provider outcome is a 200).",
                    ref("CompletionResult"),
                    JSON_HEADERS,
                ),
                "400": error(
                    400,
                    "invalid_completion: unknown, expired or used; invalid_request: not JSON or a "
                    "wrong body.",
                    "invalid_completion",
                    "invalid_request",
                ),
                "403": error(
                    403,
                    "flow_not_yours: another user or org started it (the handle stays usable).",
                    "flow_not_yours",
                ),
                "413": too_large(),
            },
            *SEALED_FAULTS,
        ),
    },
    ("GET", "/oauth/callback/{provider}"): {
        "operationId": "oauthCallback",
        "summary": "Where the provider sends the browser back; never called by a frontend",
        "description": "Consumes the state and ends with a 302 to a FrontendUrl origin (the one that "
        "started the flow when listed, else the first) plus the return path, with the outcome in the "
        "query (components/schemas/CallbackRedirect). A cookie-bound flow exchanges the code here "
        "(status active or error); an unbound one parks it for its user (status=pending_completion "
        "and completion, for POST /oauth/complete).",
        "parameters": [
            PROVIDER_PATH,
            query("state", "The state sent to the provider at start."),
            query("code", "The authorization code."),
            query("error", "The provider's error code (access_denied, ...)."),
            query("error_description", "The provider's error text; never shown or stored."),
            query("error_uri", "Ignored."),
            query("iss", "The issuer (RFC 9207); must equal the expected one where known."),
        ],
        "responses": callback_answers(),
    },
    ("DELETE", "/integrations/{provider}"): {
        "operationId": "disconnect",
        "summary": "Revoke the tokens where the provider can, and forget the connection",
        "parameters": [PROVIDER_PATH],
        "responses": authenticated(
            {
                "204": {"description": "Deleted; no body.", "headers": NO_STORE},
                "403": forbidden(),
                "404": error(
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
        "responses": authenticated(
            {
                "204": {"description": "The tokens are gone; no body.", "headers": NO_STORE},
                "400": error(400, "invalid_request: the provider does not use OAuth.", "invalid_request"),
                "403": forbidden(),
                "404": error(
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
