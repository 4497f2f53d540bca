"""The local server (python -m devserver): routes from template.yaml, API Gateway's events, static files."""

from __future__ import annotations

import base64
import http.client
import io
import json
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest
from moto import mock_aws

from devserver.resources import create_resources
from devserver.routes import RouteTable, routes_from_template
from devserver.server import MAX_BODY_BYTES, LocalServer
from devserver.template import load_template

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_PATH = ROOT / "template.yaml"
TRAVERSALS = [
    "/../pyproject.toml",
    "/%2e%2e/pyproject.toml",
    "/../../pyproject.toml",
    "/%2e%2e/%2e%2e/pyproject.toml",
    "/..%2f..%2fpyproject.toml",
    "/%2E%2E%2F%2E%2E%2Fpyproject.toml",
    "/./../../pyproject.toml",
]

PING_APP = """
import json

CALLS = []


def lambda_handler(event, context):
    CALLS.append(event["rawPath"])
    if event["rawPath"] == "/ping/redirect":
        return {"statusCode": 302, "headers": {"Location": "https://example.com/next?x=1"}, "body": ""}
    if event["rawPath"] == "/ping/bare":
        return {"bare": True}
    info = {
        "function_name": context.function_name,
        "memory_limit_in_mb": context.memory_limit_in_mb,
        "invoked_function_arn": context.invoked_function_arn,
        "aws_request_id": context.aws_request_id,
        "remaining": context.get_remaining_time_in_millis(),
    }
    return {
        "statusCode": 200,
        "headers": {"Content-Type": "application/json", "X-Ping": "pong"},
        "cookies": ["first=1; Path=/; HttpOnly", "second=2; Path=/ping; SameSite=Lax"],
        "body": json.dumps({"event": event, "context": info}),
    }
"""

PING_RESOURCE = """Resources:
  PingFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: ping/
      Handler: app.lambda_handler
      Events:
        Ping:
          Type: HttpApi
          Properties:
            ApiId: !Ref HttpApi
            Path: /ping/{name}
            Method: ANY
            Auth:
              Authorizer: NONE
        Files:
          Type: HttpApi
          Properties:
            ApiId: !Ref HttpApi
            Path: /files/{path+}
            Method: GET
"""


def template_http_events(template: dict[str, Any]) -> set[tuple[str, str, str, bool]]:
    """(method, path, function, auth is NONE) for every HttpApi event, read straight from the template."""
    found = set()
    for name, resource in template["Resources"].items():
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        for event in (resource["Properties"].get("Events") or {}).values():
            if event["Type"] == "HttpApi":
                props = event["Properties"]
                auth_none = (props.get("Auth") or {}).get("Authorizer") == "NONE"
                found.add((props["Method"].upper(), props["Path"], name, auth_none))
    return found


def route_set(server: LocalServer) -> set[tuple[str, str, str, bool]]:
    return {(r.method, r.path, r.function, r.auth_none) for r in server.routes}


def raw_get(server: LocalServer, target: str) -> tuple[int, bytes]:
    """GET with the request target sent exactly as written (httpx would normalise "..")."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        connection.putrequest("GET", target, skip_accept_encoding=True)
        connection.endheaders()
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def error_code(response: httpx.Response) -> str:
    assert response.headers["content-type"] == "application/json"
    return response.json()["error"]["code"]


# ---------------------------------------------------------------------- the real template


# One LocalServer runs per process at a time: each class has its own, torn down at the class's end.


@pytest.fixture(scope="class")
def log() -> io.StringIO:
    return io.StringIO()


@pytest.fixture(scope="class")
def server(request: pytest.FixtureRequest, log: io.StringIO) -> Iterator[LocalServer]:
    template = (
        request.getfixturevalue("ping_project") / "template.yaml" if request.cls is TestAddedRoute else None
    )
    with LocalServer(0, template_path=template or TEMPLATE_PATH, access_log=log) as server:
        yield server


@pytest.fixture(scope="class")
def client(server: LocalServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=15, trust_env=False) as client:
        yield client


class TestRealTemplate:
    def test_listens_on_loopback_only(self, server: LocalServer) -> None:
        assert server.url.startswith("http://127.0.0.1:")
        assert server.moto_url is not None and server.moto_url.startswith("http://127.0.0.1:")

    def test_the_revocation_queue_and_its_consumer_run_locally(self, server: LocalServer) -> None:
        # The template's SQS consumer is loaded, its queue exists in moto, and the functions know its URL
        assert [c.function for c in server.consumers] == ["RevokeTokensFunction"]
        url = server.queue_urls["RevocationQueue"]
        assert os.environ["REVOCATION_QUEUE_URL"] == url
        assert server.workers and "RevokeTokensFunction" not in server.load_errors
        sqs = boto3.client(
            "sqs",
            endpoint_url=server.moto_url,
            region_name="us-east-1",
            aws_access_key_id="local",
            aws_secret_access_key="local",
        )
        # A message for a revocation that is already done is consumed and deleted by the poller
        body = json.dumps({"org_id": "org-q", "provider": "gitlab", "revocation_id": "c" * 32})
        sqs.send_message(QueueUrl=url, MessageBody=body)
        waited_until = time.monotonic() + 10
        while time.monotonic() < waited_until:
            attributes = sqs.get_queue_attributes(
                QueueUrl=url,
                AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
            )["Attributes"]
            if attributes == {
                "ApproximateNumberOfMessages": "0",
                "ApproximateNumberOfMessagesNotVisible": "0",
            }:
                break
            time.sleep(0.2)
        assert attributes == {
            "ApproximateNumberOfMessages": "0",
            "ApproximateNumberOfMessagesNotVisible": "0",
        }

    @pytest.mark.parametrize("host", ["evil.example", "evil.example:{port}", "127.0.0.1:1", "0.0.0.0:{port}"])
    def test_a_request_under_another_host_name_is_refused(self, server: LocalServer, host: str) -> None:
        # A DNS-rebinding page in the developer's browser reaches 127.0.0.1 under its own name
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        try:
            connection.request(
                "GET", "/integrations", headers={"Host": host.format(port=server.port), "X-Org-Id": "o"}
            )
            response = connection.getresponse()
            assert response.status == 421
            assert json.loads(response.read())["error"]["code"] == "misdirected_request"
        finally:
            connection.close()

    def test_localhost_is_one_of_our_names(self, server: LocalServer) -> None:
        with httpx.Client(base_url=f"http://localhost:{server.port}", trust_env=False, timeout=10) as client:
            assert client.get("/integrations", headers={"X-Org-Id": "o"}).status_code == 200

    def test_moto_dynamodb_is_serialized_while_the_server_runs(self, server: LocalServer) -> None:
        # moto evaluates a condition and writes in two steps; the local server locks each item
        # call, as DynamoDB applies it atomically (else local refresh races show false invalid_grant)
        from moto.dynamodb.models import DynamoDBBackend

        assert hasattr(DynamoDBBackend.update_item, "__wrapped__")
        assert hasattr(DynamoDBBackend.put_item, "__wrapped__")

    def test_route_table_is_the_templates_http_api_events(self, server: LocalServer) -> None:
        expected = template_http_events(load_template(TEMPLATE_PATH))
        assert expected, "template.yaml declares no HttpApi event"
        assert route_set(server) == expected
        assert len(server.routes) == len(expected)

    def test_handlers_get_local_settings(self, server: LocalServer) -> None:
        assert os.environ["BYOC_LOCAL"] == "true"
        assert os.environ["TABLE_NAME"] == server.table_name
        assert os.environ["KMS_KEY_ID"] == server.kms_key_id
        assert os.environ["FRONTEND_URL"] == server.url
        assert os.environ["PUBLIC_API_URL"] == server.url
        assert os.environ["BROWSER_BINDING"] == "false"  # as deployed
        assert os.environ["ALLOW_LOCAL_HTTP"] == "true"
        assert os.environ["AWS_ENDPOINT_URL"] == server.moto_url
        assert os.environ["EVENT_BUS_NAME"] == "byoc-local"
        assert "POWERTOOLS_DEV" not in os.environ

    def test_list_integrations_with_org_header(self, client: httpx.Client) -> None:
        response = client.get("/integrations", headers={"X-Org-Id": "org-1"})
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "application/json"
        assert isinstance(response.json()["integrations"], list)

    def test_list_integrations_without_org_is_401(self, client: httpx.Client) -> None:
        response = client.get("/integrations")
        assert response.status_code == 401
        assert error_code(response) == "unauthorized"

    def test_unknown_path_is_404_json(self, client: httpx.Client) -> None:
        response = client.get("/no/such/route")
        assert response.status_code == 404
        assert error_code(response) == "not_found"

    def test_other_method_is_405_json(self, client: httpx.Client) -> None:
        response = client.put("/integrations", json={})
        assert response.status_code == 405
        assert error_code(response) == "method_not_allowed"
        assert set(response.headers["allow"].split(", ")) == {"GET", "POST"}

    def test_body_over_1_mib_is_413(self, client: httpx.Client) -> None:
        response = client.post(
            "/integrations",
            content=b"x" * (MAX_BODY_BYTES + 1),
            headers={"X-Org-Id": "org-1", "Content-Type": "application/json"},
        )
        assert response.status_code == 413
        assert error_code(response) == "payload_too_large"

    def test_save_then_start_redirects_without_a_binding_cookie(self, client: httpx.Client) -> None:
        # Binding is off, as deployed: the flow is completed by the page, not tied to a cookie
        headers = {"X-Org-Id": "org-cookie", "X-Org-Role": "admin"}
        saved = client.post(
            "/integrations",
            json={"provider": "github", "credentials": {"client_id": "cid-123", "client_secret": "shh"}},
            headers=headers,
        )
        assert saved.status_code == 200, saved.text
        started = client.get("/oauth/start", params={"provider": "github"}, headers=headers)
        assert started.status_code == 302  # not followed
        assert started.headers["location"].startswith("https://github.com/")
        assert started.headers.get_list("set-cookie") == []

    @pytest.mark.parametrize("target", TRAVERSALS)
    def test_static_path_traversal_is_refused(self, server: LocalServer, target: str) -> None:
        status, body = raw_get(server, target)
        assert status == 404
        assert b"[project]" not in body

    def test_access_log_has_no_query_string(self, client: httpx.Client, log: io.StringIO) -> None:
        client.get("/oauth/callback/github", params={"code": "SECRET-CODE", "state": "SECRET-STATE"})
        waited_until = time.monotonic() + 5  # the line is written once the response is sent
        while "/oauth/callback/github" not in log.getvalue() and time.monotonic() < waited_until:
            time.sleep(0.02)
        lines = [line for line in log.getvalue().splitlines() if "/oauth/callback/github" in line]
        assert lines, log.getvalue()
        assert lines[-1].split()[1:3] == ["GET", "/oauth/callback/github"]
        assert "SECRET" not in log.getvalue()
        assert "?" not in lines[-1]
        assert lines[-1].endswith("ms")

    def test_a_second_server_in_the_same_process_is_refused(self, server: LocalServer) -> None:
        with pytest.raises(RuntimeError, match="already running"):
            LocalServer(0).start()
        assert os.environ["TABLE_NAME"] == server.table_name


# ---------------------------------------------------------------------- a route added to a copy


@pytest.fixture(scope="class")
def ping_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of template.yaml with PingFunction added, next to the real functions and layer."""
    project = tmp_path_factory.mktemp("project")
    text = TEMPLATE_PATH.read_text(encoding="utf-8")
    assert "\nResources:\n" in text
    (project / "template.yaml").write_text(text.replace("\nResources:\n", "\n" + PING_RESOURCE, 1), "utf-8")
    for folder in ("functions", "layers"):
        (project / folder).symlink_to(ROOT / folder, target_is_directory=True)
    (project / "ping").mkdir()
    (project / "ping" / "app.py").write_text(PING_APP, "utf-8")
    static = project / "examples" / "dashboard"
    (static / "sub").mkdir(parents=True)
    (static / "index.html").write_text("<!doctype html><title>dashboard</title>", "utf-8")
    (static / "app.js").write_text("console.log('hi');", "utf-8")
    (static / "sub" / "data.json").write_text("{}", "utf-8")
    (static / ".env").write_text("SECRET=1", "utf-8")
    (project / "examples" / "outside.txt").write_text("outside the static folder", "utf-8")
    component = project / "clients" / "web" / "src"
    component.mkdir(parents=True)
    (component / "byoc-connect.js").write_text("export const COMPONENT = 1;", "utf-8")
    (component / "api.d.ts").write_text("export type NotServed = 1;", "utf-8")
    (project / "docs").mkdir()
    (project / "docs" / "openapi.json").write_text('{"openapi": "3.1.0"}', "utf-8")
    return project


class TestAddedRoute:
    @staticmethod
    def calls(server: LocalServer) -> list[str]:
        return sys.modules[server.functions["PingFunction"].module_name].CALLS

    def test_the_added_route_is_in_the_table(self, server: LocalServer, ping_project: Path) -> None:
        expected = template_http_events(load_template(TEMPLATE_PATH))
        expected |= {
            ("ANY", "/ping/{name}", "PingFunction", True),
            ("GET", "/files/{path+}", "PingFunction", False),
        }
        assert route_set(server) == expected
        assert routes_from_template(load_template(ping_project / "template.yaml")) == server.routes

    def test_event_is_built_like_api_gateway(self, server: LocalServer, client: httpx.Client) -> None:
        raw_query = "a=1&a=2&b=x%20y&c=%26%3D&flag&empty="
        body = bytes(range(256))
        response = client.post(
            f"/ping/w%C3%B6rld?{raw_query}",
            content=body,
            headers=[
                ("Content-Type", "application/octet-stream"),
                ("Cookie", "c1=v1; c2=v2"),
                ("X-Multi", "one"),
                ("X-Multi", "two"),
                ("X-Org-Id", "org-9"),
            ],
        )
        assert response.status_code == 200, response.text
        assert response.headers["x-ping"] == "pong"
        payload = response.json()
        event, context = payload["event"], payload["context"]
        assert event["version"] == "2.0"
        assert event["routeKey"] == "ANY /ping/{name}"
        assert event["rawPath"] == "/ping/wörld"
        assert event["rawQueryString"] == raw_query
        assert event["queryStringParameters"] == {"a": "1,2", "b": "x y", "c": "&=", "flag": "", "empty": ""}
        assert event["cookies"] == ["c1=v1", "c2=v2"]
        assert event["pathParameters"] == {"name": "wörld"}
        assert event["isBase64Encoded"] is True
        assert base64.b64decode(event["body"]) == body
        headers = event["headers"]
        assert all(name == name.lower() for name in headers)
        assert headers["x-multi"] == "one,two"
        assert headers["x-org-id"] == "org-9"
        assert headers["content-type"] == "application/octet-stream"
        assert "cookie" not in headers
        request_context = event["requestContext"]
        assert request_context["apiId"] == "local"
        assert request_context["domainName"] == f"127.0.0.1:{server.port}"
        assert request_context["http"]["method"] == "POST"
        assert request_context["http"]["path"] == "/ping/wörld"
        assert request_context["http"]["sourceIp"] == "127.0.0.1"
        assert request_context["http"]["userAgent"].startswith("python-httpx/")
        assert request_context["http"]["protocol"] == "HTTP/1.1"
        assert request_context["routeKey"] == "ANY /ping/{name}"
        assert request_context["stage"] == "$default"
        assert request_context["accountId"] and request_context["requestId"]
        assert isinstance(request_context["timeEpoch"], int) and request_context["time"]
        assert "authorizer" not in request_context  # Auth: NONE
        assert context["function_name"] == "PingFunction"
        memory_size = load_template(TEMPLATE_PATH)["Globals"]["Function"]["MemorySize"]
        assert context["memory_limit_in_mb"] == memory_size
        assert context["invoked_function_arn"].endswith(":function:PingFunction")
        assert 0 < context["remaining"] <= 15000
        assert context["aws_request_id"]

    def test_text_bodies_stay_text_and_empty_fields_are_left_out(self, client: httpx.Client) -> None:
        first = client.post("/ping/json", json={"hello": "wörld"}).json()["event"]
        assert first["isBase64Encoded"] is False
        assert json.loads(first["body"]) == {"hello": "wörld"}
        client.cookies.clear()  # the ping handler sets cookies
        second = client.get("/ping/plain").json()["event"]
        for absent in ("body", "cookies", "queryStringParameters"):
            assert absent not in second
        assert second["rawQueryString"] == ""
        form = client.post("/ping/form", data={"a": "b"}).json()["event"]
        assert form["isBase64Encoded"] is True  # API Gateway base64-encodes form posts too
        assert base64.b64decode(form["body"]) == b"a=b"

    def test_greedy_path_and_authorizer(self, client: httpx.Client) -> None:
        event = client.get("/files/a/b%20c/d.txt").json()["event"]
        assert event["routeKey"] == "GET /files/{path+}"
        assert event["pathParameters"] == {"path": "a/b c/d.txt"}
        assert event["requestContext"]["authorizer"] == {"jwt": {"claims": {}, "scopes": None}}

    def test_set_cookie_headers_pass_through_one_each(self, client: httpx.Client) -> None:
        response = client.get("/ping/cookies")
        assert response.headers.get_list("set-cookie") == [
            "first=1; Path=/; HttpOnly",
            "second=2; Path=/ping; SameSite=Lax",
        ]

    def test_redirects_are_returned_not_followed(self, client: httpx.Client) -> None:
        response = client.get("/ping/redirect")
        assert response.status_code == 302
        assert response.headers["location"] == "https://example.com/next?x=1"

    def test_result_without_status_code_is_200_json(self, client: httpx.Client) -> None:
        response = client.get("/ping/bare")
        assert response.status_code == 200
        assert response.json() == {"bare": True}

    def test_too_large_body_never_reaches_the_handler(
        self, server: LocalServer, client: httpx.Client
    ) -> None:
        before = len(self.calls(server))
        response = client.post("/ping/big", content=b"\0" * (MAX_BODY_BYTES + 1))
        assert response.status_code == 413
        assert error_code(response) == "payload_too_large"
        assert len(self.calls(server)) == before
        assert client.post("/ping/limit", content=b"\0" * MAX_BODY_BYTES).status_code == 200

    def test_chunked_body(self, client: httpx.Client) -> None:
        event = client.post("/ping/chunked", content=iter([b"ab", b"cd"])).json()["event"]
        assert "content-length" not in event["headers"]
        assert base64.b64decode(event["body"]) == b"abcd"  # no Content-Type: base64

    def test_static_files(self, client: httpx.Client) -> None:
        index = client.get("/")
        assert index.status_code == 200
        assert index.headers["content-type"] == "text/html; charset=utf-8"
        assert "dashboard" in index.text
        script = client.get("/app.js")
        assert script.headers["content-type"].startswith("text/javascript")
        assert client.get("/sub/data.json").headers["content-type"] == "application/json"
        assert client.get("/openapi.json").json() == {"openapi": "3.1.0"}
        assert client.get("/sub/").status_code == 404  # no index.html there, and no listing
        assert client.get("/.env").status_code == 404
        assert client.get("/missing.js").status_code == 404
        assert client.post("/app.js").status_code == 404

    def test_the_component_is_served_from_clients_web_at_one_path(self, client: httpx.Client) -> None:
        component = client.get("/byoc-connect.js")
        assert component.status_code == 200
        assert component.headers["content-type"] == "text/javascript; charset=utf-8"
        assert component.text == "export const COMPONENT = 1;"
        assert client.head("/byoc-connect.js").status_code == 200
        # that one file only: nothing else of clients/web, and the static folder is unchanged
        for other in (
            "/api.d.ts",
            "/clients/web/src/byoc-connect.js",
            "/byoc-connect.js/",
            "/BYOC-CONNECT.JS",
        ):
            assert client.get(other).status_code == 404, other
        assert client.get("/app.js").status_code == 200
        # read-only
        for method in ("POST", "PUT", "DELETE"):
            assert client.request(method, "/byoc-connect.js").status_code == 404, method

    @pytest.mark.parametrize(
        "target",
        [
            "/../outside.txt",
            "/%2e%2e/outside.txt",
            "/sub/..%2F..%2Foutside.txt",
            "/..%2Fclients/web/src/api.d.ts",
            "/byoc-connect.js/..%2Fapi.d.ts",
            "/byoc-connect.js%2F..%2F..%2Fsrc/api.d.ts",
        ],
    )
    def test_no_way_out_of_the_static_folder(self, server: LocalServer, target: str) -> None:
        status, body = raw_get(server, target)
        assert status == 404
        assert b"outside the static folder" not in body
        assert b"NotServed" not in body


# ---------------------------------------------------------------------- lifecycle and resources


def test_stop_restores_the_environment_and_drops_the_data(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FRONTEND_URL", "https://frontend.example")
    monkeypatch.delenv("TABLE_NAME", raising=False)
    with LocalServer(0, env_overrides={"ADMIN_CLAIM": "org_role=admin"}) as server:
        assert os.environ["FRONTEND_URL"] == "https://frontend.example"  # yours wins over the default
        assert os.environ["ADMIN_CLAIM"] == "org_role=admin"
        with httpx.Client(base_url=server.url, trust_env=False) as client:
            saved = client.post(
                "/integrations",
                json={"provider": "github", "credentials": {"client_id": "cid", "client_secret": "s"}},
                headers={"X-Org-Id": "org-1", "X-Org-Role": "admin"},
            )
            assert saved.status_code == 200, saved.text
    assert os.environ["FRONTEND_URL"] == "https://frontend.example"
    assert "TABLE_NAME" not in os.environ
    assert "AWS_ENDPOINT_URL" not in os.environ or os.environ["AWS_ENDPOINT_URL"] != server.moto_url
    with LocalServer(0) as again, httpx.Client(base_url=again.url, trust_env=False) as client:
        listed = client.get("/integrations", headers={"X-Org-Id": "org-1"}).json()["integrations"]
        assert [entry for entry in listed if entry["status"]] == []


def test_another_endpoint_gets_the_resources_and_moto_is_not_started() -> None:
    from moto.server import ThreadedMotoServer

    external = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    external.start()
    host, port = external.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    try:
        overrides = {"BYOC_AWS_ENDPOINT_URL": endpoint, "BYOC_TABLE_NAME": "byoc-elsewhere"}
        with LocalServer(0, env_overrides=overrides) as server:
            assert server.moto_url is None
            assert os.environ["AWS_ENDPOINT_URL"] == endpoint
            assert os.environ["TABLE_NAME"] == "byoc-elsewhere"
            dynamodb = boto3.client(
                "dynamodb",
                endpoint_url=endpoint,
                region_name="us-east-1",
                aws_access_key_id="t",
                aws_secret_access_key="t",
            )
            assert "byoc-elsewhere" in dynamodb.list_tables()["TableNames"]
            with httpx.Client(base_url=server.url, trust_env=False) as client:
                assert client.get("/integrations", headers={"X-Org-Id": "org-1"}).status_code == 200
    finally:
        httpx.post(f"{endpoint}/moto-api/reset")
        external.stop()


def test_use_aws_needs_table_and_key() -> None:
    before = dict(os.environ)
    with pytest.raises(ValueError, match="BYOC_TABLE_NAME"):
        LocalServer(0, env_overrides={"BYOC_USE_AWS": "true", "BYOC_TABLE_NAME": None}).start()
    assert dict(os.environ) == before


def test_create_resources_follows_the_template(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {"AWS_ACCESS_KEY_ID": "t", "AWS_SECRET_ACCESS_KEY": "t"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    template = load_template(TEMPLATE_PATH)
    props = template["Resources"]["ConnectionsTable"]["Properties"]
    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name="us-east-1")
        kms = boto3.client("kms", region_name="us-east-1")
        table, key = create_resources(template, dynamodb, kms, "t1")
        assert create_resources(template, dynamodb, kms, "t1") == (table, key)  # idempotent
        described = dynamodb.describe_table(TableName=table)["Table"]
        assert described["KeySchema"] == props["KeySchema"]
        assert {a["AttributeName"] for a in described["AttributeDefinitions"]} == {
            a["AttributeName"] for a in props["AttributeDefinitions"]
        }
        assert [i["IndexName"] for i in described.get("GlobalSecondaryIndexes", [])] == [
            i["IndexName"] for i in props.get("GlobalSecondaryIndexes", [])
        ]
        ttl = dynamodb.describe_time_to_live(TableName=table)["TimeToLiveDescription"]
        assert ttl["AttributeName"] == props["TimeToLiveSpecification"]["AttributeName"]
        assert kms.describe_key(KeyId=key)["KeyMetadata"]["Arn"] == key


def test_route_selection_prefers_the_most_specific_path() -> None:
    template = load_template(TEMPLATE_PATH)
    table = RouteTable(routes_from_template(template))
    match, _ = table.match("DELETE", "/integrations/github/tokens")
    assert match is not None and match.route.path == "/integrations/{provider}/tokens"
    match, _ = table.match("DELETE", "/integrations/git%2Fhub")
    assert match is not None and match.path_parameters == {"provider": "git/hub"}
    assert table.match("GET", "/integrations/")[0] is None
    assert table.match("PATCH", "/integrations/github")[1] == ["DELETE"]
