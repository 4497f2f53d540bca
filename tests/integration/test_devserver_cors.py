"""CORS in the local server, over HTTP: preflights and answers as the deployed HTTP API's
``CorsConfiguration`` (template.yaml) gives them, for FRONTEND_URL's origins and any loopback
``http://localhost:<port>`` / ``http://127.0.0.1:<port>``; none for other origins, nor for
development-only ``/_local/*`` routes."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from devserver.server import LocalServer
from devserver.template import load_template

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_PATH = ROOT / "template.yaml"
FRONTENDS = "https://app.example.com,https://admin.example.com"
IDENTITY = {"X-Org-Id": "org-cors", "X-User-Id": "dev", "X-Org-Role": "admin"}
ALLOWED = [
    "https://app.example.com",
    "https://admin.example.com",
    "http://localhost:5173",
    "http://127.0.0.1:8080",
]
REFUSED = [
    "https://evil.example",
    "https://app.example.com.evil.example",
    "http://app.example.com",
    "https://localhost:5173",
    "http://localhost.evil.example:5173",
    "http://127.0.0.2:8080",
    "null",
]

LOCAL_TOKEN_APP = """
import json


def lambda_handler(event, context):
    headers = {"Content-Type": "application/json"}
    return {"statusCode": 200, "headers": headers, "body": json.dumps({"token": "t"})}
"""

LOCAL_TOKEN_RESOURCE = """Resources:
  LocalTokenFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: localtoken/
      Handler: app.lambda_handler
      Events:
        Token:
          Type: HttpApi
          Properties:
            ApiId: !Ref HttpApi
            Path: /_local/token
            Method: ANY
            Auth:
              Authorizer: NONE
"""

CORS = load_template(TEMPLATE_PATH)["Resources"]["HttpApi"]["Properties"]["CorsConfiguration"]


def preflight(
    client: httpx.Client, path: str, origin: str, method: str = "GET", headers: str = ""
) -> httpx.Response:
    asked = {"Origin": origin, "Access-Control-Request-Method": method}
    if headers:
        asked["Access-Control-Request-Headers"] = headers
    return client.options(path, headers=asked)


def cors_headers(response: httpx.Response) -> dict[str, str]:
    return {name: value for name, value in response.headers.items() if name.startswith("access-control-")}


@pytest.fixture(scope="class")
def local_route_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """template.yaml with a development-only route (/_local/token) added, next to the real code."""
    project = tmp_path_factory.mktemp("project")
    text = TEMPLATE_PATH.read_text(encoding="utf-8")
    (project / "template.yaml").write_text(
        text.replace("\nResources:\n", "\n" + LOCAL_TOKEN_RESOURCE, 1), "utf-8"
    )
    for folder in ("functions", "layers"):
        (project / folder).symlink_to(ROOT / folder, target_is_directory=True)
    (project / "localtoken").mkdir()
    (project / "localtoken" / "app.py").write_text(LOCAL_TOKEN_APP, "utf-8")
    return project


@pytest.fixture(scope="class")
def server(request: pytest.FixtureRequest) -> Iterator[LocalServer]:
    """One per class (one LocalServer per process at a time)."""
    template = TEMPLATE_PATH
    if request.cls is TestLocalOnlyRoutes:
        template = request.getfixturevalue("local_route_project") / "template.yaml"
    overrides = {"FRONTEND_URL": FRONTENDS, "ADMIN_CLAIM": "org_role=admin"}
    with LocalServer(0, template_path=template, access_log=io.StringIO(), env_overrides=overrides) as server:
        yield server


@pytest.fixture(scope="class")
def client(server: LocalServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=15, trust_env=False) as client:
        yield client


class TestTheTemplatesCors:
    @pytest.mark.parametrize("origin", ALLOWED)
    def test_a_preflight_from_an_allowed_origin_is_answered_as_deployed(self, client, origin) -> None:
        answer = preflight(client, "/integrations", origin, "POST", "content-type, x-org-id, X-Org-Role")
        assert answer.status_code == 204
        assert answer.content == b""
        assert cors_headers(answer) == {
            "access-control-allow-origin": origin,
            "access-control-allow-credentials": "true",
            "access-control-allow-methods": ", ".join(CORS["AllowMethods"]),
            "access-control-allow-headers": ", ".join(
                [*CORS["AllowHeaders"], "x-org-id", "x-user-id", "x-org-role"]
            ),
            "access-control-max-age": str(CORS["MaxAge"]),
        }
        assert "if-none-match" in answer.headers["access-control-allow-headers"]
        assert answer.headers["vary"] == "Origin"

    @pytest.mark.parametrize("origin", REFUSED)
    def test_a_preflight_from_another_origin_gets_no_cors_headers(self, client, origin) -> None:
        answer = preflight(client, "/integrations", origin, "POST", "content-type")
        assert answer.status_code == 204
        assert cors_headers(answer) == {}

    @pytest.mark.parametrize(
        ("method", "headers"),
        [("PUT", ""), ("PATCH", "content-type"), ("GET", "x-custom"), ("GET", "cookie")],
    )
    def test_a_preflight_asking_for_another_method_or_header_gets_none(self, client, method, headers) -> None:
        answer = preflight(client, "/integrations", "https://app.example.com", method, headers)
        assert cors_headers(answer) == {}

    def test_an_options_request_that_is_no_preflight_is_still_405(self, client) -> None:
        assert client.options("/integrations").status_code == 405
        assert (
            client.options("/integrations", headers={"Origin": "https://app.example.com"}).status_code == 405
        )

    def test_a_routes_answer_carries_the_origin_and_the_exposed_headers(self, client) -> None:
        answer = client.get("/providers", headers={"Origin": "http://localhost:5173"})
        assert answer.status_code == 200
        assert cors_headers(answer) == {
            "access-control-allow-origin": "http://localhost:5173",
            "access-control-allow-credentials": "true",
            "access-control-expose-headers": "etag, retry-after",
        }
        assert "Origin" in answer.headers["vary"] and "etag" in answer.headers
        # ... a conditional request (If-None-Match, allowed by the preflight) gets its 304 the same way
        again = client.get(
            "/providers", headers={"Origin": "http://localhost:5173", "If-None-Match": answer.headers["etag"]}
        )
        assert again.status_code == 304
        assert again.headers["access-control-allow-origin"] == "http://localhost:5173"

    def test_the_header_identity_answers_a_listed_frontend(self, client) -> None:
        answer = client.get("/integrations", headers={"Origin": "https://admin.example.com", **IDENTITY})
        assert answer.status_code == 200
        assert answer.headers["access-control-allow-origin"] == "https://admin.example.com"

    def test_errors_carry_cors_headers_too(self, client) -> None:
        # the frontend can read why: 401 from a function, 404 and 405 from the server
        for answer in (
            client.get("/integrations", headers={"Origin": "https://app.example.com"}),
            client.get("/no/such/route", headers={"Origin": "https://app.example.com"}),
            client.put("/integrations", headers={"Origin": "https://app.example.com"}),
        ):
            assert answer.status_code in (401, 404, 405)
            assert answer.headers["access-control-allow-origin"] == "https://app.example.com"

    @pytest.mark.parametrize("origin", REFUSED)
    def test_an_answer_to_another_origin_has_no_cors_headers(self, client, origin) -> None:
        answer = client.get("/providers", headers={"Origin": origin})
        assert answer.status_code == 200
        assert cors_headers(answer) == {}

    def test_without_an_origin_there_are_no_cors_headers(self, client) -> None:
        answer = client.get("/providers")
        assert cors_headers(answer) == {} and "vary" in answer.headers

    def test_a_keep_alive_connection_does_not_carry_cors_headers_over(self, client, server) -> None:
        assert client.get("/providers", headers={"Origin": "http://localhost:1"}).headers[
            "access-control-allow-origin"
        ]
        refused = client.get("/providers", headers={"Host": "evil.example"})
        assert refused.status_code == 421
        assert cors_headers(refused) == {}

    def test_local_only_paths_get_no_cors_headers(self, client) -> None:
        assert cors_headers(preflight(client, "/_local/token", "http://localhost:5173")) == {}
        assert cors_headers(client.get("/_local/token", headers={"Origin": "http://localhost:5173"})) == {}


class TestLocalOnlyRoutes:
    def test_a_local_route_that_hands_out_tokens_gets_no_cors_headers(self, client) -> None:
        answer = client.get("/_local/token", headers={"Origin": "http://localhost:5173"})
        assert answer.status_code == 200 and answer.json() == {"token": "t"}  # the route works
        assert cors_headers(answer) == {}
        asked = preflight(client, "/_local/token", "http://localhost:5173", "POST", "content-type")
        assert cors_headers(asked) == {}
        assert asked.status_code != 204  # not answered as a preflight: the route gets it (ANY)

    def test_the_other_routes_still_get_them(self, client) -> None:
        answer = client.get("/providers", headers={"Origin": "http://localhost:5173"})
        assert answer.headers["access-control-allow-origin"] == "http://localhost:5173"


@pytest.mark.parametrize("allowed", [False, True], ids=["refused", "allowed-by-setting"])
def test_local_routes_are_refused_against_real_aws_unless_a_setting_says_so(local_route_project, allowed):
    # Given the local server pointed at real AWS (BYOC_USE_AWS; nothing is called before a request)
    overrides = {
        "BYOC_USE_AWS": "true",
        "BYOC_TABLE_NAME": "byoc-real",
        "BYOC_KMS_KEY_ID": "arn:aws:kms:us-east-1:123456789012:key/real",
        "BYOC_LOCAL_ROUTES_WITH_AWS": "true" if allowed else None,
    }
    template = local_route_project / "template.yaml"
    with (
        LocalServer(0, template_path=template, access_log=io.StringIO(), env_overrides=overrides) as server,
        httpx.Client(base_url=server.url, timeout=15, trust_env=False) as client,
    ):
        # When a development-only route is called
        answer = client.get("/_local/token")
    # Then it is refused with a stable code, unless BYOC_LOCAL_ROUTES_WITH_AWS says otherwise
    if allowed:
        assert answer.status_code == 200 and answer.json() == {"token": "t"}
    else:
        assert answer.status_code == 403
        assert answer.json()["error"]["code"] == "local_route_refused"
        assert "BYOC_LOCAL_ROUTES_WITH_AWS" in answer.json()["error"]["message"]
