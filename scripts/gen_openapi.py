"""Write docs/openapi.json (OpenAPI 3.1) from the code's own models and template.yaml's routes.

Run: .venv/bin/python scripts/gen_openapi.py          (rewrites the file; make openapi)
     .venv/bin/python scripts/gen_openapi.py --check  (exit 1 if the file is stale)

The bodies' schemas are the JSON Schema of the pydantic models in ``byoc.schemas``
(and ``byoc.validation.SaveCredentialsBody``, which the save handler validates
with); the routes, and which of them skip the JWT authorizer, come from
template.yaml. Only the prose and the status codes of each operation are written
here, and an operation written here without a route in the template (or a route
without one here) stops the script. tests/security/test_openapi.py fails when the
committed file differs from what this writes.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "layers" / "common"))
sys.path.insert(0, str(ROOT))

from pydantic.json_schema import models_json_schema  # noqa: E402

from byoc.api import schemas  # noqa: E402
from devserver.routes import Route, routes_from_template  # noqa: E402
from devserver.template import load_template  # noqa: E402

OUTPUT = ROOT / "docs" / "openapi.json"
TEMPLATE = ROOT / "template.yaml"
MODELS = [
    schemas.SaveCredentialsBody,
    schemas.ConnectionList,
    schemas.Connection,
    schemas.Catalogue,
    schemas.ProviderEntry,
    schemas.IntegrationList,
    schemas.Integration,
    schemas.FieldView,
    schemas.AuthorizeUrl,
    schemas.ErrorBody,
    schemas.ErrorDetail,
    schemas.GatewayMessage,
]
SECURITY_SCHEME = "bearerAuth"
PROVIDER_ID = {"type": "string", "pattern": "^[a-z0-9_-]{1,64}$", "examples": ["zendesk"]}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(description: str, schema: dict[str, Any], headers: dict[str, Any] | None = None) -> dict[str, Any]:
    answer: dict[str, Any] = {"description": description}
    if headers:
        answer["headers"] = headers
    answer["content"] = {"application/json": {"schema": schema}}
    return answer


def _header(description: str, **schema: Any) -> dict[str, Any]:
    return {"description": description, "schema": {"type": "string", **schema}}


NO_STORE = {"Cache-Control": _header("Never cached.", const="no-store")}
REDIRECT_HEADERS = {
    "Location": _header("Where the browser goes next."),
    **NO_STORE,
    "Referrer-Policy": _header("No referrer leaves with the redirect.", const="no-referrer"),
}


def _error(description: str) -> dict[str, Any]:
    return _json(description, _ref("ErrorBody"), NO_STORE)


SERVER_FAULTS = {
    "500": _error(
        "misconfigured: the stack cannot use its table, key, bus or queue (the message names which), "
        "or internal_error: a bug on our side."
    ),
    "503": _json(
        "service_unavailable: an AWS service was throttled, failed or did not answer in time.",
        _ref("ErrorBody"),
        {**NO_STORE, "Retry-After": _header("Seconds to wait before trying again.", pattern="^[0-9]+$")},
    ),
}


def _authenticated(responses: dict[str, Any]) -> dict[str, Any]:
    """Responses every route behind the JWT authorizer may also give."""
    return {
        **responses,
        **SERVER_FAULTS,
        "401": _json(
            "No valid token, or no org or user in it (API Gateway's authorizer answers {message}).",
            {"anyOf": [_ref("ErrorBody"), _ref("GatewayMessage")]},
        ),
        "429": _json(
            "Throttled by the HTTP API (ThrottlingRateLimit, ThrottlingBurstLimit).", _ref("GatewayMessage")
        ),
    }


def _query(name: str, description: str, *, required: bool = False, **schema: Any) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": required,
        "description": description,
        "schema": {"type": "string", **schema},
    }


PROVIDER_PATH = {"name": "provider", "in": "path", "required": True, "schema": PROVIDER_ID}
PAYLOAD_TOO_LARGE = _error("The body is larger than MAX_BODY_BYTES (16 KiB).")
FORBIDDEN = _error("forbidden: the caller is not an org admin (AdminClaim).")

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
                    NO_STORE,
                ),
                "400": _error("invalid_request: include takes one value, catalog."),
            }
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
                    "ETag": _header("A strong tag of this body."),
                    "Cache-Control": _header("Cacheable.", const="public, max-age=300"),
                },
            ),
            "304": {
                "description": "The catalogue held (If-None-Match) is current.",
                "headers": {"ETag": _header("The current tag.")},
            },
            **SERVER_FAULTS,
        },
    },
    ("POST", "/integrations"): {
        "operationId": "saveCredentials",
        "summary": "Save (create or replace) the org's OAuth app or API key for one provider",
        "description": "Needs an org admin when AdminClaim is set. Secrets are stored envelope-encrypted "
        "and never returned. OAuth providers go to pending_setup, API-key providers to active.",
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": _ref("SaveCredentialsBody")}},
        },
        "responses": _authenticated(
            {
                "200": _json("The provider's entry, as in the list.", _ref("Integration"), NO_STORE),
                "400": _error("invalid_request: not JSON, wrong shape or unknown top-level fields."),
                "403": FORBIDDEN,
                "404": _error("unknown_provider."),
                "409": _error("conflict: the connection changed meanwhile; try again."),
                "413": PAYLOAD_TOO_LARGE,
                "422": _error(
                    "validation_error: fields that fail the provider's rules, named in details.fields."
                ),
                "424": _error(
                    "provider_unavailable: a provider call the save depends on failed for now; "
                    "details.step names it (discovery). Nothing was stored."
                ),
            }
        ),
    },
    ("GET", "/oauth/start"): {
        "operationId": "startOAuth",
        "summary": "Start the authorization-code flow with the org's own client id",
        "description": "Needs an org admin when AdminClaim is set. With Accept: application/json the answer "
        "is the authorize URL; otherwise a 302 to it. With BrowserBinding on, either answer sets an "
        "HttpOnly cookie scoped to the callback path.",
        "parameters": [
            _query("provider", "The provider's id.", required=True, examples=["zendesk"]),
            _query(
                "return_to",
                "A path on the frontend to return to (/settings/integrations); anything else is refused.",
                examples=["/settings/integrations"],
            ),
        ],
        "responses": _authenticated(
            {
                "200": _json("Where to send the browser.", _ref("AuthorizeUrl"), NO_STORE),
                "302": {"description": "To the provider's authorization page.", "headers": REDIRECT_HEADERS},
                "400": _error("invalid_request: no provider, a repeated parameter or a bad return_to."),
                "403": FORBIDDEN,
                "404": _error("unknown_provider, or integration_not_configured: save credentials first."),
                "422": _error("unsafe_url: the saved settings give an address that is not allowed."),
            }
        ),
    },
    ("POST", "/oauth/complete"): {
        "operationId": "completeOAuth",
        "summary": "Complete a flow whose code waits for the user who started it",
        "description": "After a callback redirect with status=pending_completion, the frontend sends the "
        "completion parameter with the signed-in user's JWT. Only the user who started the flow, in the "
        "same org, may complete it; the code is exchanged then. Single use, valid for 5 minutes.",
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "required": ["completion"],
                        "additionalProperties": False,
                        "properties": {"completion": {"type": "string", "pattern": "^[A-Za-z0-9_-]{43}$"}},
                    }
                }
            },
        },
        "responses": _authenticated(
            {
                "200": _json(
                    "The outcome of the exchange (every provider outcome is a 200).",
                    {
                        "type": "object",
                        "required": ["integration", "status"],
                        "additionalProperties": False,
                        "properties": {
                            "integration": PROVIDER_ID,
                            "status": {"enum": ["active", "error"]},
                            "error": {"type": "string", "description": "A reason code (the reason table)."},
                        },
                    },
                    NO_STORE,
                ),
                "400": _error("invalid_completion: unknown, expired or used; invalid_request: a wrong body."),
                "403": _error("flow_not_yours: another user or org started it (the handle stays usable)."),
                "413": PAYLOAD_TOO_LARGE,
            }
        ),
    },
    ("GET", "/oauth/callback/{provider}"): {
        "operationId": "oauthCallback",
        "summary": "Where the provider sends the browser back; never called by a frontend",
        "description": "Consumes the state and ends with a 302 to a FrontendUrl origin (the one that "
        "started the flow when listed, else the first) plus the return path, with "
        "integration, status and (on failure) error in the query. A cookie-bound flow exchanges the code "
        "here (status active or error); an unbound one parks it for its user (status=pending_completion "
        "and completion, for POST /oauth/complete).",
        "parameters": [
            PROVIDER_PATH,
            _query("state", "The state sent to the provider at start."),
            _query("code", "The authorization code."),
            _query("error", "The provider's error code (access_denied, ...)."),
            _query("error_description", "The provider's error text; never shown or stored."),
            _query("error_uri", "Ignored."),
            _query("iss", "The issuer (RFC 9207); must equal the expected one where known."),
        ],
        "responses": {
            "302": {
                "description": "To the frontend, with the outcome in the query.",
                "headers": REDIRECT_HEADERS,
            },
            "400": _error(
                "invalid_state (unknown, expired, used, or another provider's), or invalid_request."
            ),
            "404": _error("unknown_provider."),
            **SERVER_FAULTS,
        },
    },
    ("DELETE", "/integrations/{provider}"): {
        "operationId": "disconnect",
        "summary": "Revoke the tokens where the provider can, and forget the connection",
        "parameters": [PROVIDER_PATH],
        "responses": _authenticated(
            {
                "204": {"description": "Deleted.", "headers": NO_STORE},
                "403": FORBIDDEN,
                "404": _error("unknown_provider, or integration_not_configured: nothing to delete."),
            }
        ),
    },
    ("DELETE", "/integrations/{provider}/tokens"): {
        "operationId": "dropTokens",
        "summary": "Revoke and forget the tokens, keep the credentials (back to pending_setup)",
        "parameters": [PROVIDER_PATH],
        "responses": _authenticated(
            {
                "204": {"description": "The tokens are gone.", "headers": NO_STORE},
                "400": _error("invalid_request: the provider does not use OAuth."),
                "403": FORBIDDEN,
                "404": _error("unknown_provider, or integration_not_configured."),
            }
        ),
    },
}


def component_schemas() -> dict[str, Any]:
    _, top = models_json_schema(
        [(model, "validation") for model in MODELS], ref_template="#/components/schemas/{model}"
    )
    return dict(sorted(top["$defs"].items()))


def template_routes() -> list[Route]:
    return routes_from_template(load_template(TEMPLATE))


def build() -> dict[str, Any]:
    routes = {(route.method, route.path): route for route in template_routes()}
    if set(routes) != set(OPERATIONS):
        missing = sorted(set(routes) - set(OPERATIONS))
        unknown = sorted(set(OPERATIONS) - set(routes))
        raise SystemExit(f"routes without documentation: {missing}; documented but not routed: {unknown}")
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
            "description": "Generated by scripts/gen_openapi.py from byoc.schemas and template.yaml; "
            "do not edit. Every route but the OAuth callback needs a JWT from the product's identity "
            "provider (locally the X-Org-Id, X-User-Id and X-Org-Role headers stand in for its claims). "
            "See docs/api.md.",
        },
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
