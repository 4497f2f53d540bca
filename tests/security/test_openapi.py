"""The published OpenAPI 3.1 document: generated from the code's models, fresh, served locally,
and equal to template.yaml's routes; and the answers the handlers give match it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest
from openapi_spec_validator import validate
from pydantic import BaseModel

from byoc.api import schemas, validation
from devserver.routes import routes_from_template
from devserver.server import LocalServer
from devserver.template import load_template
from tests.helpers import body_of, load_script
from tests.security.conftest import ZENDESK

ROOT = Path(__file__).resolve().parents[2]
DOC_PATH = ROOT / "docs" / "openapi.json"
DOC: dict[str, Any] = json.loads(DOC_PATH.read_text(encoding="utf-8"))
ROUTES = routes_from_template(load_template(ROOT / "template.yaml"))


def generator() -> ModuleType:
    return load_script("gen_openapi")


def operations() -> dict[tuple[str, str], dict[str, Any]]:
    return {(method.upper(), path): op for path, item in DOC["paths"].items() for method, op in item.items()}


def test_the_committed_document_is_what_the_generator_writes():
    assert DOC_PATH.read_text(encoding="utf-8") == generator().render(), "stale: run make openapi"


def test_check_mode_reports_a_stale_document(tmp_path, monkeypatch):
    module = generator()
    monkeypatch.setattr(module, "OUTPUT", tmp_path / "docs" / "openapi.json")
    monkeypatch.setattr(module, "ROOT", tmp_path)
    assert module.main(["--check"]) == 1
    assert module.main([]) == 0
    assert module.main(["--check"]) == 0


def test_the_document_is_valid_openapi_3_1():
    assert DOC["openapi"] == "3.1.0"
    validate(DOC)


def test_its_operations_are_exactly_the_http_api_routes_of_the_template():
    assert set(operations()) == {(route.method, route.path) for route in ROUTES}


def test_every_route_needs_the_jwt_bearer_scheme_except_the_callback_and_the_catalogue():
    scheme = DOC["components"]["securitySchemes"]["bearerAuth"]
    assert (scheme["type"], scheme["scheme"], scheme["bearerFormat"]) == ("http", "bearer", "JWT")
    assert DOC["security"] == [{"bearerAuth": []}]
    unauthenticated = {key for key, op in operations().items() if op.get("security") == []}
    assert unauthenticated == {("GET", "/oauth/callback/{provider}"), ("GET", "/providers")}
    assert unauthenticated == {(route.method, route.path) for route in ROUTES if route.auth_none}


def test_the_body_schemas_are_the_models_json_schema():
    expected = generator().component_schemas()
    assert DOC["components"]["schemas"] == expected
    assert schemas.SaveCredentialsBody is validation.SaveCredentialsBody


def test_the_save_body_refuses_unknown_fields_in_the_document_too():
    assert DOC["components"]["schemas"]["SaveCredentialsBody"]["additionalProperties"] is False


def _conforms(model: type[BaseModel], response: dict[str, Any]) -> None:
    model.model_validate(body_of(response))


def test_the_list_answer_matches_its_schema(api, provider_mock):
    api.save("zendesk", ZENDESK)
    api.save("freshdesk", {"subdomain": "acme", "api_key": "fd-key"})
    api.connect("zendesk")
    listed = api.list()
    _conforms(schemas.ConnectionList, listed)
    assert {c["provider"] for c in body_of(listed)["integrations"]} == {"zendesk", "freshdesk"}
    _conforms(schemas.IntegrationList, api.list(query="include=catalog"))
    _conforms(schemas.Catalogue, api.providers())


def test_the_save_and_start_answers_match_their_schemas(api):
    _conforms(schemas.Integration, api.save("zendesk", ZENDESK))
    _conforms(schemas.AuthorizeUrl, api.start("zendesk"))


@pytest.mark.parametrize(
    "call",
    [
        lambda api: api.save("zendesk", {"subdomain": "x.y"}),
        lambda api: api.save("nope", {}),
        lambda api: api.start("github"),
        lambda api: api.callback("zendesk", "state=" + "A" * 43),
    ],
    ids=["validation_error", "unknown_provider", "not_configured", "invalid_state"],
)
def test_error_answers_match_the_error_schema(api, call):
    _conforms(schemas.ErrorBody, call(api))


def test_a_field_the_document_does_not_list_fails_the_schema():
    with pytest.raises(ValueError):
        schemas.AuthorizeUrl.model_validate({"authorize_url": "https://x", "client_secret": "s"})


def test_the_local_server_serves_the_document():
    with LocalServer(port=0, access_log=_Sink()) as server:
        answer = httpx.get(server.url + "/openapi.json", timeout=10)
    assert answer.status_code == 200
    assert answer.content == DOC_PATH.read_bytes()


class _Sink:
    def write(self, text: str) -> int:
        return len(text)

    def flush(self) -> None:
        pass


HEAVY_MODULES = ("pydantic", "httpx", "httpcore", "cryptography", "byoc.schemas")


@pytest.mark.parametrize("function", ["list_integrations", "list_providers"])
def test_the_list_functions_import_neither_pydantic_nor_httpx_nor_cryptography(function):
    app = ROOT / "functions" / function / "app.py"
    code = (
        "import importlib.util, sys\n"
        f"sys.path[:0] = [{str(ROOT / 'layers' / 'common')!r}, {str(ROOT)!r}]\n"
        f"spec = importlib.util.spec_from_file_location('app', {str(app)!r})\n"
        "module = importlib.util.module_from_spec(spec)\n"
        "spec.loader.exec_module(module)\n"
        "assert callable(module.lambda_handler)\n"
        f"print(sorted(n for n in {HEAVY_MODULES!r} if n in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.strip() == "[]"


def _nullable(prop: dict[str, Any]) -> bool:
    return (
        {"type": "null"} in prop.get("anyOf", [])
        or prop.get("type") == "null"
        or prop.get("default", 0) is None
    )


@pytest.mark.parametrize(
    "name", sorted(set(DOC["components"]["schemas"]) - {"SaveCredentialsBody", "CompleteBody"})
)
def test_one_rule_for_optional_keys_in_every_answer(name):
    """A key the server always sends is required (null when unknown); one it may leave out is not
    required and never null (docs/api.md, Optional fields)."""
    schema = DOC["components"]["schemas"][name]
    required = set(schema.get("required", []))
    for key, prop in schema.get("properties", {}).items():
        if key not in required:
            assert not _nullable(prop), f"{name}.{key}: optional, so it is left out, never null"


def test_the_servers_are_a_deployed_stack_and_make_dev():
    deployed, local = DOC["servers"]
    assert deployed["url"] == "https://{api_id}.execute-api.{region}.amazonaws.com"
    assert set(deployed["variables"]) == {"api_id", "region"}
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "PORT ?= 3000" in makefile and local["url"] == "http://127.0.0.1:3000"


def test_every_route_documents_api_gateways_own_answers():
    for (method, path), operation in operations().items():
        responses = operation["responses"]
        for status in ("429", "500", "503") + (() if operation.get("security") == [] else ("401",)):
            assert "GatewayMessage" in json.dumps(responses[status]), (method, path, status)
        if "requestBody" in operation:
            assert "GatewayMessage" in json.dumps(responses["413"]), (method, path)
