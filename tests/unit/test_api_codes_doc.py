"""docs/api.md's error and reason codes, and docs/openapi.json's enums, come from the one list of
each in the code (byoc.errors.ERROR_CODES, byoc.model.REASONS), which covers every code we emit."""

from __future__ import annotations

import importlib
import json
import pkgutil
from pathlib import Path
from types import ModuleType

import pytest

import byoc
from byoc import errors
from byoc.errors import CODES, ERROR_CODES, HTTP_ERROR_CODES, ByocError
from byoc.model import OAUTH_ERROR_CODES, PERMANENT_REASONS, REASONS, reason
from byoc.usecases.flow import StorageFailed
from tests.helpers import load_script

ROOT = Path(__file__).resolve().parents[2]


def generator() -> ModuleType:
    return load_script("gen_api_codes")


def test_the_reason_table_in_api_md_is_current() -> None:
    doc = ROOT / "docs" / "api.md"
    text = doc.read_text(encoding="utf-8")
    assert generator().render(text) == text, (
        "docs/api.md is stale: run .venv/bin/python scripts/gen_api_codes.py"
    )
    for code in REASONS:
        assert f"| `{code}` |" in text
    for entry in ERROR_CODES:
        assert f"| `{entry.code}` | {entry.when} |" in text


def test_check_mode_reports_a_stale_table(tmp_path, monkeypatch) -> None:
    module = generator()
    doc = tmp_path / "api.md"
    text = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    doc.write_text(text.replace("| `unsafe_url` |", "| `unsafe_uri` |"), encoding="utf-8")
    monkeypatch.setattr(module, "DOC", doc)
    monkeypatch.setattr(module, "ROOT", tmp_path)
    assert module.main(["--check"]) == 1
    assert module.main([]) == 0
    assert module.main(["--check"]) == 0


def _every_error_class() -> list[type[ByocError]]:
    for module in pkgutil.walk_packages(byoc.__path__, "byoc."):
        importlib.import_module(module.name)
    found: list[type[ByocError]] = [ByocError]
    for cls in found:
        found.extend(cls.__subclasses__())
    return found


def test_every_error_class_has_a_listed_code_and_status() -> None:
    classes = _every_error_class()
    assert len(classes) > 20
    for cls in classes:
        assert cls.code in CODES, cls
        assert cls.status in CODES[cls.code].statuses, cls
    assert {cls.code for cls in classes} == set(CODES), "a listed code no error class carries"
    assert len(CODES) == len(ERROR_CODES), "a code listed twice"


def test_an_error_class_with_an_unlisted_code_or_status_fails_at_definition() -> None:
    with pytest.raises(TypeError, match="not in byoc.errors.ERROR_CODES"):

        class Unlisted(ByocError):
            code = "not_a_listed_code"

    with pytest.raises(TypeError, match="not in byoc.errors.ERROR_CODES"):

        class WrongStatus(ByocError):
            status = 418
            code = "unsafe_url"


def test_the_openapi_enums_are_the_lists() -> None:
    document = json.loads((ROOT / "docs" / "openapi.json").read_text(encoding="utf-8"))
    components = document["components"]["schemas"]
    assert components["ErrorCode"]["enum"] == list(HTTP_ERROR_CODES)
    assert components["StatusReason"]["enum"] == list(REASONS)
    assert "unsafe_url" in HTTP_ERROR_CODES and "unsafe_url" in REASONS


def test_every_outbound_failure_code_is_a_listed_reason() -> None:
    outbound = [errors.OutboundError, *errors.OutboundError.__subclasses__()]
    assert {cls.code for cls in outbound} <= set(REASONS)
    assert StorageFailed.code in REASONS


def test_the_permanent_reasons_are_the_grant_level_refusals() -> None:
    assert PERMANENT_REASONS == {"invalid_grant", "invalid_client", "unauthorized_client"}
    assert PERMANENT_REASONS <= OAUTH_ERROR_CODES


def test_an_unlisted_code_is_refused() -> None:
    assert reason("token_expired") == "token_expired"
    with pytest.raises(ValueError):
        reason("tokn_expired")
