"""docs/api.md's reason codes come from the one list in byoc.model, which covers every code we emit."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest

from byoc import errors
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
