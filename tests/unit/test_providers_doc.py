"""docs/providers.md is generated from the registry: it must be current, and say what it must."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

from byoc.oauth.registry import Registry, get_registry
from tests.helpers import load_script

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "providers.md"
GUIDE = ROOT / "docs" / "adding-a-provider.md"


def generator() -> ModuleType:
    return load_script("gen_providers_doc")


def test_providers_md_is_current() -> None:
    expected = generator().render(get_registry())
    assert DOC.read_text(encoding="utf-8") == expected, (
        "docs/providers.md is stale: run .venv/bin/python scripts/gen_providers_doc.py"
    )


def test_check_mode_reports_a_stale_file(tmp_path: Path, monkeypatch) -> None:
    module = generator()
    monkeypatch.setattr(module, "OUTPUT", tmp_path / "providers.md")
    monkeypatch.setattr(module, "ROOT", tmp_path)
    assert module.main(["--check"]) == 1
    assert module.main([]) == 0
    assert module.main(["--check"]) == 0


def test_providers_md_lists_every_provider_with_its_redirect_uri_fields_and_notes() -> None:
    text = DOC.read_text(encoding="utf-8")
    registry: Registry = get_registry()
    for provider in registry:
        assert f"(`{provider.id}`)" in text
        if provider.interactive:
            assert f"`<API base URL>/oauth/callback/{provider.id}`" in text
        elif provider.is_oauth:  # client credentials: connected by saving, no redirect URI
            assert f"`<API base URL>/oauth/callback/{provider.id}`" not in text
        for field in provider.fields:
            assert field.label in text
        for note in provider.notes:
            assert note in text


def test_providers_md_says_oauth1_is_out_of_scope() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert "OAuth 1.0a" in text and "`trello`" in text and "`twitter`" in text


def test_the_guide_documents_every_key_of_the_format() -> None:
    from registry.schema import blocks

    guide = GUIDE.read_text(encoding="utf-8")
    # every key the schema accepts, as the file spells it (``from``, ``in``)
    keys = {spec.alias or key for block in blocks() for key, spec in block.model_fields.items()}
    missing = sorted(key for key in keys if f"`{key}`" not in guide)
    assert not missing, f"docs/adding-a-provider.md does not document: {missing}"
