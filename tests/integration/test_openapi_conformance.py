"""Every answer the handlers send, for every route and every error code reachable from outside,
is what docs/openapi.json says: its status is documented for the operation, every header is
documented (the required ones present, each value matching its schema), and the body matches the
response's schema (jsonschema, the document's $refs resolved), as does the callback redirect's
query (the Location header's x-query). The last test checks the other direction: every status
and error code the document lists for an operation was sent by some request here (API Gateway's
own answers, 429 and {message}, aside).

The requests are the real lambda_handlers called with HTTP API events (tests/support/api.py),
with moto for AWS and the provider mock; AWS faults are injected as AWS answers (a botocore
``before-call`` hook answering with an error code), never by patching our code.
"""

from __future__ import annotations

import base64
import gzip
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from jsonschema import Draft202012Validator, ValidationError
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from byoc.errors import HTTP_ERROR_CODES
from tests.helpers import body_of, http_event, load_function
from tests.security.conftest import FRONTEND, ZENDESK
from tests.support.api import Api

ROOT = Path(__file__).resolve().parents[2]
DOC: dict[str, Any] = json.loads((ROOT / "docs" / "openapi.json").read_text(encoding="utf-8"))
URI = "urn:byoc:openapi"
REGISTRY: Registry = Registry().with_resource(
    URI, Resource.from_contents(DOC, default_specification=DRAFT202012)
)
# Sent by API Gateway only, never by our functions: no request here can produce them.
GATEWAY_ONLY = {"429"}
# (method, path, status, error code or "") of every answer checked.
SEEN: set[tuple[str, str, str, str]] = set()
FRESHDESK = {"subdomain": "acme", "api_key": "fd-key"}


def _pointer(*parts: str) -> str:
    return "/".join(part.replace("~", "~0").replace("/", "~1") for part in parts)


def _validate(pointer: str, instance: Any) -> None:
    Draft202012Validator({"$ref": f"{URI}#/{pointer}"}, registry=REGISTRY).validate(instance)


def _headers(response: dict[str, Any]) -> dict[str, str]:
    headers = {name.lower(): value for name, value in response.get("headers", {}).items()}
    for cookie in response.get("cookies", []):
        assert "set-cookie" not in headers, "one cookie at most is documented"
        headers["set-cookie"] = cookie
    return headers


def _body(response: dict[str, Any], headers: dict[str, str]) -> bytes:
    raw = response.get("body") or ""
    data = base64.b64decode(raw) if response.get("isBase64Encoded") else raw.encode()
    return gzip.decompress(data) if headers.get("content-encoding") == "gzip" else data


def conforms(method: str, path: str, response: dict[str, Any]) -> Any:
    """Check ``response`` against the document's operation; returns its JSON body (or None)."""
    status = str(response["statusCode"])
    responses = DOC["paths"][path][method.lower()]["responses"]
    assert status in responses, f"{method} {path} answered {status}, which the document does not list"
    where = ("paths", path, method.lower(), "responses", status)
    documented = responses[status]
    headers = _headers(response)
    _check_headers(where, documented.get("headers", {}), headers)
    content = documented.get("content")
    body = _body(response, headers)
    parsed = None
    if content is None:
        assert body == b"", f"{method} {path} {status} has a body the document does not list"
        assert "content-type" not in headers
    else:
        (media_type,) = content
        assert headers.get("content-type") == media_type
        parsed = json.loads(body)
        _validate(_pointer(*where, "content", media_type, "schema"), parsed)
    error = parsed.get("error") if isinstance(parsed, dict) else None
    code = error["code"] if isinstance(error, dict) else ""  # (a completion's error is a reason)
    if code:
        assert code in documented["x-error-codes"]
    SEEN.add((method, path, status, code))
    return parsed


def _check_headers(where: tuple[str, ...], documented: dict[str, Any], headers: dict[str, str]) -> None:
    names = {name.lower(): name for name in documented}
    undocumented = set(headers) - set(names) - {"content-type"}
    assert not undocumented, f"headers the document does not list: {sorted(undocumented)}"
    for lower, name in names.items():
        spec = documented[name]
        if lower not in headers:
            assert not spec.get("required"), f"the required header {name} is missing"
            continue
        _validate(_pointer(*where, "headers", name, "schema"), headers[lower])
        if "x-query" in spec:
            _check_query(_pointer(*where, "headers", name, "x-query"), headers[lower])


def _check_query(pointer: str, location: str) -> None:
    """The redirect's query, one value per name, against the documented schema (CallbackRedirect)."""
    assert location.startswith(FRONTEND + "/")
    query = parse_qs(urlsplit(location).query, keep_blank_values=True)
    assert all(len(values) == 1 for values in query.values()), query
    _validate(pointer, {name: values[0] for name, values in query.items()})


# AWS answering with an error -----------------------------------------------------------------


class _Http:
    """What botocore reads of the HTTP answer when a ``before-call`` handler answers instead (an error)."""

    status_code = 400
    headers: dict[str, str] = {}
    content = b""
    text = ""
    raw = None


@contextmanager
def aws_answers(code: str, service: str = "dynamodb", operation: str = "*") -> Iterator[None]:
    """Every matching call of byoc's AWS clients gets ``code`` back as the service's error answer."""
    from byoc.aws import clients

    client = clients.client(service)
    event = f"before-call.{client.meta.service_model.service_id.hyphenize()}.{operation}"

    def answer(**_: Any) -> tuple[_Http, dict[str, Any]]:
        return _Http(), {"Error": {"Code": code, "Message": "injected"}, "ResponseMetadata": {}}

    client.meta.events.register_first(event, answer)
    try:
        yield
    finally:
        client.meta.events.unregister(event, answer)


def _crash(**_: Any) -> None:
    raise RuntimeError("a bug")


@contextmanager
def bug_in_aws_call() -> Iterator[None]:
    """A bug of ours during a DynamoDB call (anything that is not an AWS fault): internal_error."""
    from byoc.aws import clients

    client = clients.client("dynamodb")
    client.meta.events.register_first("before-call.dynamodb.*", _crash)
    try:
        yield
    finally:
        client.meta.events.unregister("before-call.dynamodb.*", _crash)


# The routes, called in process ------------------------------------------------------------------


class Routes(Api):
    """``Api`` plus the routes it lacks (disconnect) and requests without claims."""

    def __init__(self) -> None:
        super().__init__()
        self.disconnect_fn = load_function("disconnect")

    def disconnect(self, provider: str, *, tokens: bool = False, claims: dict[str, Any] | None = None) -> Any:
        suffix = "/tokens" if tokens else ""
        event = http_event(
            "DELETE",
            f"/integrations/{provider}{suffix}",
            route=f"DELETE /integrations/{{provider}}{suffix}",
            path_params={"provider": provider},
            claims=claims if claims is not None else self.claims("org-1"),
        )
        return self.disconnect_fn.lambda_handler(event, self.context)

    def call(self, method: str, path: str, fn: Any, **kw: Any) -> dict[str, Any]:
        return fn.lambda_handler(http_event(method, path, **kw), self.context)


@pytest.fixture
def routes(aws_env: Any, provider_mock: Any) -> Routes:
    return Routes()


LIST = ("GET", "/integrations")
PROVIDERS = ("GET", "/providers")
SAVE = ("POST", "/integrations")
START = ("GET", "/oauth/start")
COMPLETE = ("POST", "/oauth/complete")
CALLBACK = ("GET", "/oauth/callback/{provider}")
DISCONNECT = ("DELETE", "/integrations/{provider}")
DROP = ("DELETE", "/integrations/{provider}/tokens")
MEMBER = {"org_id": "org-1", "sub": "user-1", "org_role": "member"}
NO_ORG = {"sub": "user-1"}


def expect(operation: tuple[str, str], response: dict[str, Any], status: int, code: str | None = None) -> Any:
    assert response["statusCode"] == status, response.get("body")
    parsed = conforms(*operation, response)
    if code is not None:
        assert parsed["error"]["code"] == code
    return parsed


def _state_of(url: str) -> str:
    return parse_qs(urlsplit(url).query)["state"][0]


def _bound_start(routes: Routes, provider: str) -> tuple[str, str]:
    """Start with BrowserBinding on: the state and the binding cookie the browser sends back."""
    started = routes.start(provider)
    return _state_of(body_of(started)["authorize_url"]), started["cookies"][0].split(";")[0]


# Success answers ------------------------------------------------------------------------------


def test_the_catalogue_plain_gzip_and_not_modified(routes):
    plain = routes.providers()
    expect(PROVIDERS, plain, 200)
    expect(PROVIDERS, routes.providers(headers={"accept-encoding": "gzip"}), 200)
    expect(PROVIDERS, routes.providers(headers={"if-none-match": plain["headers"]["ETag"]}), 304)


def test_the_lists_of_connections_in_every_state(routes, provider_mock, configure):
    empty = expect(LIST, routes.list(), 200)
    assert empty == {"integrations": []}
    expect(SAVE, routes.save("zendesk", ZENDESK), 200)  # pending_setup
    expect(SAVE, routes.save("freshdesk", FRESHDESK), 200)  # an API key: active, no OAuth
    expect(SAVE, routes.save("slack", {"client_id": "123.456", "client_secret": "s"}), 200)  # user_scopes
    expect(SAVE, routes.save("jira", {"client_id": "jira-client-1", "client_secret": "s"}), 200)
    provider_mock.responder = lambda request: httpx.Response(400, json={"error": "invalid_grant"})
    configure(BROWSER_BINDING="true")
    state, cookie = _bound_start(routes, "jira")
    failed = routes.callback("jira", urlencode({"code": "c", "state": state}), cookies=[cookie])
    expect(CALLBACK, failed, 302)  # jira is now error/invalid_grant
    listed = expect(LIST, routes.list(), 200)
    by_provider = {entry["provider"]: entry for entry in listed["integrations"]}
    assert by_provider["jira"]["status_reason"] == "invalid_grant"
    assert "user_scopes" in by_provider["slack"] and "user_scopes" not in by_provider["zendesk"]
    assert by_provider["freshdesk"]["scopes"] is None
    catalog = expect(LIST, routes.list(query="include=catalog"), 200)
    assert any(entry["status"] is None for entry in catalog["integrations"])


def test_start_answers_json_or_a_redirect_by_accept(routes, configure):
    routes.save("zendesk", ZENDESK)
    expect(START, routes.start("zendesk", return_to="/settings?tab=apps"), 200)
    redirect = expect(START, routes.start("zendesk", accept_json=False), 302)
    assert redirect is None
    configure(BROWSER_BINDING="true")
    bound = routes.start("zendesk")
    expect(START, bound, 200)
    assert bound["cookies"]
    expect(START, routes.start("zendesk", accept_json=False), 302)


def test_the_callback_and_completion_outcomes(routes, provider_mock, configure):
    routes.save("zendesk", ZENDESK)
    _, query = routes.authorize("zendesk", return_to="/settings?tab=apps")
    parked = routes.callback("zendesk", urlencode({"code": "c", "state": query["state"][0]}), complete=False)
    expect(CALLBACK, parked, 302)
    outcome = parse_qs(urlsplit(parked["headers"]["Location"]).query)
    assert outcome["status"] == ["pending_completion"] and outcome["tab"] == ["apps"]
    expect(COMPLETE, routes.complete(outcome["completion"][0], routes.claims("org-1")), 200)

    provider_mock.responder = lambda request: httpx.Response(400, json={"error": "invalid_grant"})
    _, query = routes.authorize("zendesk")
    parked = routes.callback("zendesk", urlencode({"code": "c", "state": query["state"][0]}), complete=False)
    completion = parse_qs(urlsplit(parked["headers"]["Location"]).query)["completion"][0]
    failed = expect(COMPLETE, routes.complete(completion, routes.claims("org-1")), 200)
    assert failed == {"integration": "zendesk", "status": "error", "error": "invalid_grant"}

    configure(BROWSER_BINDING="true")
    provider_mock.responder = None
    for query_of in (
        lambda state: {"code": "c", "state": state},
        lambda state: {"error": "access_denied", "state": state},
    ):
        state, cookie = _bound_start(routes, "zendesk")
        expect(CALLBACK, routes.callback("zendesk", urlencode(query_of(state)), cookies=[cookie]), 302)


def test_disconnect_and_drop_tokens(routes):
    routes.save("zendesk", ZENDESK)
    routes.connect("zendesk")
    expect(DROP, routes.disconnect("zendesk", tokens=True), 204)
    expect(DISCONNECT, routes.disconnect("zendesk"), 204)


# Error answers --------------------------------------------------------------------------------


def test_the_client_errors_of_each_route(routes):
    routes.save("freshdesk", FRESHDESK)  # an API key: no OAuth, no tokens to drop
    for operation, call in [
        (LIST, lambda: routes.list(query="include=all")),
        (START, lambda: routes.start("")),
        (DROP, lambda: routes.disconnect("freshdesk", tokens=True)),
        (CALLBACK, lambda: routes.callback("zendesk", "state=" + "A" * 43 + "&state=" + "B" * 43)),
        (
            COMPLETE,
            lambda: routes.call(
                "POST",
                "/oauth/complete",
                routes.callback_fn,
                route="POST /oauth/complete",
                raw_body="{",
                claims=routes.claims("org-1"),
            ),
        ),
        (
            SAVE,
            lambda: routes.call(
                "POST", "/integrations", routes.save_fn, raw_body="not json", claims=routes.claims("org-1")
            ),
        ),
    ]:
        expect(operation, call(), 400, "invalid_request")
    expect(CALLBACK, routes.callback("zendesk", "state=" + "A" * 43), 400, "invalid_state")
    expect(COMPLETE, routes.complete("A" * 43, routes.claims("org-1")), 400, "invalid_completion")


def test_unauthorized_forbidden_and_not_found(routes):
    routes.save("zendesk", ZENDESK)
    expect(LIST, routes.call("GET", "/integrations", routes.list_fn, claims=NO_ORG), 401, "unauthorized")
    expect(SAVE, routes.save("zendesk", ZENDESK, claims=NO_ORG), 401, "unauthorized")
    expect(START, routes.start("zendesk", claims=NO_ORG), 401, "unauthorized")
    expect(COMPLETE, routes.complete("A" * 43, NO_ORG), 401, "unauthorized")
    expect(DISCONNECT, routes.disconnect("zendesk", claims=NO_ORG), 401, "unauthorized")
    expect(DROP, routes.disconnect("zendesk", tokens=True, claims=NO_ORG), 401, "unauthorized")
    expect(SAVE, routes.save("zendesk", ZENDESK, claims=MEMBER), 403, "forbidden")
    expect(START, routes.start("zendesk", claims=MEMBER), 403, "forbidden")
    expect(DISCONNECT, routes.disconnect("zendesk", claims=MEMBER), 403, "forbidden")
    expect(DROP, routes.disconnect("zendesk", tokens=True, claims=MEMBER), 403, "forbidden")
    expect(SAVE, routes.save("nope", {}), 404, "unknown_provider")
    expect(START, routes.start("nope"), 404, "unknown_provider")
    expect(CALLBACK, routes.callback("nope", "state=" + "A" * 43), 404, "unknown_provider")
    expect(DISCONNECT, routes.disconnect("nope"), 404, "unknown_provider")
    expect(DROP, routes.disconnect("nope", tokens=True), 404, "unknown_provider")
    expect(START, routes.start("github"), 404, "integration_not_configured")
    expect(DISCONNECT, routes.disconnect("github"), 404, "integration_not_configured")
    expect(DROP, routes.disconnect("github", tokens=True), 404, "integration_not_configured")


def test_flow_not_yours(routes):
    routes.save("zendesk", ZENDESK)
    _, query = routes.authorize("zendesk")
    parked = routes.callback("zendesk", urlencode({"code": "c", "state": query["state"][0]}), complete=False)
    completion = parse_qs(urlsplit(parked["headers"]["Location"]).query)["completion"][0]
    other = routes.claims("org-1", user="user-2")
    expect(COMPLETE, routes.complete(completion, other), 403, "flow_not_yours")


def test_too_large_invalid_fields_and_a_provider_down(routes, provider_mock):
    big = "x" * 20_000
    expect(SAVE, routes.save("zendesk", {**ZENDESK, "client_secret": big}), 413, "payload_too_large")
    expect(COMPLETE, routes.complete(big, routes.claims("org-1")), 413, "payload_too_large")
    expect(SAVE, routes.save("zendesk", {"subdomain": "x.y"}), 422, "validation_error")

    def unreachable(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    provider_mock.responder = unreachable
    issuer = {"client_id": "c-1", "client_secret": "s-1", "issuer": "https://idp.example.com"}
    expect(SAVE, routes.save("generic_oidc", issuer), 424, "provider_unavailable")


def test_an_unsafe_saved_address_at_start(routes, aws_env):
    """A record whose saved setting no longer passes its field's rule (written by an older release,
    say): start refuses to build the provider's address from it."""
    routes.save("zendesk", ZENDESK)
    aws_env.dynamodb.update_item(
        TableName=aws_env.table_name,
        Key={"pk": {"S": "ORG#org-1"}, "sk": {"S": "CONN#zendesk"}},
        UpdateExpression="SET config.subdomain = :bad",
        ExpressionAttributeValues={":bad": {"S": "evil.example.com/x"}},
    )
    expect(START, routes.start("zendesk"), 422, "unsafe_url")


def test_a_conflict_at_save(routes):
    with aws_answers("ConditionalCheckFailedException", operation="PutItem"):
        expect(SAVE, routes.save("zendesk", ZENDESK), 409, "conflict")


# Faults: every route, as api_handler answers them -----------------------------------------------


def _every_call(routes: Routes, parked: str) -> list[tuple[tuple[str, str], Callable[[], dict[str, Any]]]]:
    return [
        (LIST, lambda: routes.list()),
        (SAVE, lambda: routes.save("zendesk", {**ZENDESK, "client_id": "zd-client-5678"})),
        (START, lambda: routes.start("zendesk")),
        (COMPLETE, lambda: routes.complete(parked, routes.claims("org-1"))),
        (CALLBACK, lambda: routes.callback("zendesk", "state=" + "A" * 43)),
        (DISCONNECT, lambda: routes.disconnect("zendesk")),
        (DROP, lambda: routes.disconnect("zendesk", tokens=True)),
    ]


def _parked(routes: Routes) -> str:
    routes.save("zendesk", ZENDESK)
    _, query = routes.authorize("zendesk")
    parked = routes.callback("zendesk", urlencode({"code": "c", "state": query["state"][0]}), complete=False)
    return parse_qs(urlsplit(parked["headers"]["Location"]).query)["completion"][0]


@pytest.mark.parametrize(
    ("aws_code", "status", "code"),
    [
        ("ThrottlingException", 503, "service_unavailable"),
        ("ResourceNotFoundException", 500, "misconfigured"),
    ],
)
def test_aws_faults_on_every_route(routes, aws_code, status, code):
    parked = _parked(routes)
    for operation, call in _every_call(routes, parked):
        with aws_answers(aws_code):
            response = call()
        parsed = expect(operation, response, status, code)
        assert parsed["error"]["message"]
        if status == 503:
            assert response["headers"]["Retry-After"].isdigit()


def test_a_bug_on_every_route(routes, monkeypatch):
    parked = _parked(routes)
    for operation, call in _every_call(routes, parked):
        with bug_in_aws_call():
            expect(operation, call(), 500, "internal_error")
    monkeypatch.setattr(routes.providers_fn, "precomputed", lambda base: _crash())
    expect(PROVIDERS, routes.providers(), 500, "internal_error")


def test_unreadable_credentials(routes, configure):
    """KMS refuses the record's data key: the routes that open the secrets answer 500; the others
    (a save, a disconnect: the revocation waits in the queue) do not read them."""
    from tests.conftest import reset_caches

    parked = _parked(routes)
    configure(BROWSER_BINDING="true")
    state, cookie = _bound_start(routes, "zendesk")
    calls = [
        (COMPLETE, lambda: routes.complete(parked, routes.claims("org-1"))),
        (
            CALLBACK,
            lambda: routes.callback("zendesk", urlencode({"code": "c", "state": state}), cookies=[cookie]),
        ),
    ]
    for operation, call in calls:
        reset_caches()  # no data key cached: KMS is asked, and refuses the blob
        with aws_answers("InvalidCiphertextException", service="kms", operation="Decrypt"):
            response = call()
        expect(operation, response, 500, "credentials_unreadable")


# The checks themselves refuse what the document forbids -----------------------------------------


@pytest.mark.parametrize(
    ("pointer", "instance"),
    [
        ("components/schemas/CallbackRedirect", {"integration": "zendesk", "status": "active", "error": "x"}),
        ("components/schemas/CallbackRedirect", {"integration": "zendesk", "status": "error"}),
        (
            "components/schemas/CallbackRedirect",
            {"integration": "zendesk", "status": "error", "error": "nope"},
        ),
        ("components/schemas/CallbackRedirect", {"integration": "zendesk", "status": "pending_completion"}),
        (
            "components/schemas/CompletionResult",
            {"integration": "zendesk", "status": "active", "error": None},
        ),
        ("components/schemas/ErrorBody", {"error": {"code": "not_a_code", "message": "m"}}),
        ("components/schemas/ErrorBody", {"error": {"code": "conflict", "message": "m", "details": None}}),
        ("components/schemas/Connection", {"provider": "zendesk", "status": "active"}),
    ],
    ids=[
        "active+error",
        "error-without-code",
        "unlisted-reason",
        "pending-without-handle",
        "null-error",
        "unlisted-code",
        "null-details",
        "missing-keys",
    ],
)
def test_the_document_refuses(pointer, instance):
    with pytest.raises(ValidationError):
        _validate(pointer, instance)


def test_a_response_with_a_code_the_operation_does_not_list_fails():
    wrong = {
        "statusCode": 404,
        "headers": {
            "Content-Type": "application/json",
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
        "body": json.dumps({"error": {"code": "integration_not_configured", "message": "m"}}),
    }
    with pytest.raises(ValidationError):
        conforms("POST", "/integrations", wrong)


# The other direction ------------------------------------------------------------------------------


RAN: set[str] = set()


@pytest.fixture(autouse=True)
def _record_the_test(request: pytest.FixtureRequest) -> None:
    RAN.add(request.function.__name__)


def test_every_documented_status_and_code_was_sent():
    others = {name for name in globals() if name.startswith("test_")} - {
        "test_every_documented_status_and_code_was_sent"
    }
    if not others <= RAN:
        pytest.skip("needs every other test of this module in the same run")
    missing = []
    for path, item in DOC["paths"].items():
        for method, operation in item.items():
            for status, response in operation["responses"].items():
                if status in GATEWAY_ONLY or response["description"].startswith("API Gateway's own"):
                    continue
                for code in response.get("x-error-codes", [""]):
                    if (method.upper(), path, status, code) not in SEEN:
                        missing.append(f"{method.upper()} {path} {status} {code}")
    assert not missing, "documented but never sent here: " + ", ".join(missing)
    assert {code for *_, code in SEEN if code} == set(HTTP_ERROR_CODES)
