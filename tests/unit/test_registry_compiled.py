"""The compiled registry (layers/common/byoc/oauth/registry.compiled.json, written by ``make registry``):
current, loaded with no schema library, refused when stale, and the same registry as its source says.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import MISSING, fields
from pathlib import Path
from types import ModuleType
from typing import Any, get_args

import pytest

from byoc.errors import UnknownProvider
from byoc.oauth import registry as runtime
from byoc.oauth import revocation
from byoc.oauth.metadata import kept, lookup
from byoc.oauth.registry import CLIENT_ID, CLIENT_SECRET, Field, OAuthSpec, Provider, Registry, get_registry
from byoc.oauth.scopes import ScopeSet
from registry import schema
from registry.compiler import compile_source, validate
from tests.helpers import load_script

ROOT = Path(__file__).resolve().parents[2]
FOLDER = ROOT / "layers" / "common" / "byoc" / "oauth"
SOURCE = FOLDER / "providers.json"
COMPILED = FOLDER / "registry.compiled.json"


@pytest.fixture
def fresh_registry() -> Iterator[None]:
    """get_registry is cached: read the files again in the test, and again after it."""
    get_registry.cache_clear()
    yield
    get_registry.cache_clear()


def script() -> ModuleType:
    return load_script("compile_registry")


def test_the_compiled_registry_is_current() -> None:
    expected = compile_source(SOURCE.read_bytes())
    assert COMPILED.read_text(encoding="utf-8") == expected, (
        "layers/common/byoc/oauth/registry.compiled.json is not current: run make registry"
    )


def test_check_mode_reports_a_stale_file_and_writing_makes_it_current(tmp_path: Path, monkeypatch) -> None:
    module = script()
    (tmp_path / "providers.json").write_bytes(SOURCE.read_bytes())
    monkeypatch.setattr(module, "ROOT", tmp_path)
    monkeypatch.setattr(module, "SOURCE", tmp_path / "providers.json")
    monkeypatch.setattr(module, "OUTPUT", tmp_path / "registry.compiled.json")
    monkeypatch.setattr(module, "CATALOGUE", tmp_path / "catalogue.compiled.json")
    assert module.main(["--check"]) == 1
    assert module.main([]) == 0
    assert module.main(["--check"]) == 0
    assert (tmp_path / "registry.compiled.json").read_text(encoding="utf-8") == COMPILED.read_text(
        encoding="utf-8"
    )


def test_an_invalid_source_is_reported_and_nothing_is_written(tmp_path: Path, monkeypatch, capsys) -> None:
    module = script()
    data = json.loads(SOURCE.read_text(encoding="utf-8"))
    broken = next(p for p in data["providers"] if "oauth" in p and "pkce" not in p["oauth"])
    broken["oauth"]["pkce"] = "yes"
    (tmp_path / "providers.json").write_text(json.dumps(data), encoding="utf-8")
    monkeypatch.setattr(module, "SOURCE", tmp_path / "providers.json")
    monkeypatch.setattr(module, "OUTPUT", tmp_path / "registry.compiled.json")
    monkeypatch.setattr(module, "CATALOGUE", tmp_path / "catalogue.compiled.json")
    assert module.main([]) == 1
    assert not (tmp_path / "registry.compiled.json").exists()
    assert f"{broken['id']}: oauth.pkce: Input should be a valid boolean" in capsys.readouterr().err


def _layer_copy(tmp_path: Path, source: bytes | None) -> Path:
    """A byoc/oauth folder with the real compiled file, and ``source`` as its providers.json (or none)."""
    folder = tmp_path / "oauth"
    folder.mkdir()
    (folder / "registry.compiled.json").write_bytes(COMPILED.read_bytes())
    if source is not None:
        (folder / "providers.json").write_bytes(source)
    return folder


def test_a_source_edited_without_make_registry_is_refused_with_what_to_run(
    tmp_path: Path, monkeypatch, fresh_registry
) -> None:
    # Given a checkout where providers.json changed after the last make registry
    edited = SOURCE.read_bytes().replace(b'"name": "Zendesk"', b'"name": "Zendesk Suite"')
    folder = _layer_copy(tmp_path, edited)
    monkeypatch.setattr(runtime.resources, "files", lambda package: folder)
    # When the registry is read, Then it is refused: no test runs on the old data
    with pytest.raises(runtime.StaleRegistry, match=r"run `make registry`"):
        get_registry()


def test_without_the_source_beside_it_the_compiled_file_is_loaded_as_it_is(
    tmp_path: Path, monkeypatch, fresh_registry
) -> None:
    # Given the layer as the build ships it: the compiled file only
    folder = _layer_copy(tmp_path, None)
    monkeypatch.setattr(runtime.resources, "files", lambda package: folder)
    # When it is read, Then every provider is there
    assert [p.id for p in get_registry()] == [p["id"] for p in json.loads(SOURCE.read_bytes())["providers"]]


def test_the_compiled_registry_holds_what_the_source_says() -> None:
    # Given the source as the schema reads it (defaults applied), and the registry Lambda loads
    model = validate(json.loads(SOURCE.read_bytes()))
    registry = get_registry()
    assert [p.id for p in registry] == [p.id for p in model.providers]
    for entry in model.providers:
        provider = registry.get(entry.id)
        for key in ("name", "auth_type", "category", "docs_url", "notes"):
            assert _same(getattr(provider, key), getattr(entry, key)), (entry.id, key)
        given = [(f.name, f.model_dump()) for f in entry.fields]
        client = [CLIENT_ID, CLIENT_SECRET] if entry.oauth else []
        assert list(provider.fields[: len(client)]) == client
        for built, (name, keys) in zip(provider.fields[len(client) :], given, strict=True):
            assert built.name == name and all(_same(getattr(built, k), v) for k, v in keys.items()), name
        assert (provider.oauth is None) == (entry.oauth is None)
        if entry.oauth is not None and provider.oauth is not None:
            _assert_same_oauth(entry.id, provider.oauth, entry.oauth)


def _assert_same_oauth(provider_id: str, spec: OAuthSpec, block: schema.OAuthModel) -> None:
    scope_keys = {*schema.ScopeKeys.model_fields, "user_scopes"}
    nested = {"metadata", "lookups", "revocation", "variants"}
    for key, value in block.model_dump(exclude=scope_keys | nested).items():
        assert _same(getattr(spec, key), value), (provider_id, key)
    # The nested blocks, read by the layer's own parsers from the source form
    assert spec.metadata == tuple(
        kept(m.model_dump(by_alias=True, exclude_none=True)) for m in block.metadata
    )
    assert spec.lookups == tuple(lookup(x.model_dump(exclude_none=True)) for x in block.lookups)
    if block.revocation is not None:
        assert spec.revocation == revocation.parse(block.revocation.model_dump(exclude_none=True))
    assert set(spec.variants) == set(block.variants.options if block.variants else ())
    sets = [(spec.scopes, block), *([(spec.scope_sets[1], block.user_scopes)] if block.user_scopes else [])]
    assert len(spec.scope_sets) == len(sets)
    for built, keys in sets:
        assert keys is not None
        assert built.default == tuple(keys.default_scopes) and built.required == tuple(keys.required_scopes)
        assert [(k.name, k.description) for k in built.known] == [
            (k.name, k.description) for k in keys.known_scopes
        ]
        assert built.allow_unknown == keys.allow_unknown_scopes and built.separator == block.scope_separator


def _same(built: Any, given: Any) -> bool:
    return built == (tuple(given) if isinstance(given, list) else given)


def _defaults(cls: type) -> dict[str, Any]:
    found = {}
    for spec in fields(cls):
        if spec.default is not MISSING:
            found[spec.name] = spec.default
        elif spec.default_factory is not MISSING:
            found[spec.name] = spec.default_factory()
    return found


@pytest.mark.parametrize(
    ("model", "cls", "renamed"),
    [
        (schema.FieldModel, Field, {}),
        (schema.OAuthModel, OAuthSpec, {"metadata": "-", "lookups": "-", "variants": "-", "revocation": "-"}),
        (schema.ProviderModel, Provider, {}),
        (
            schema.ScopeKeys,
            ScopeSet,
            {
                "default_scopes": "default",
                "required_scopes": "required",
                "allow_unknown_scopes": "allow_unknown",
            },
        ),
    ],
    ids=lambda v: getattr(v, "__name__", ""),
)
def test_the_schema_defaults_are_the_dataclass_defaults(
    model: type, cls: type, renamed: dict[str, str]
) -> None:
    # The guide has one Default column: a key left out means the same to the schema and the runtime
    dataclass = _defaults(cls)
    for name, spec in model.model_fields.items():
        target = renamed.get(name, name)
        if target in dataclass and not spec.is_required():
            assert _same(dataclass[target], spec.get_default(call_default_factory=True)), (
                model.__name__,
                name,
            )


def test_the_schema_enums_are_the_layer_constants() -> None:
    assert get_args(schema.AuthType) == runtime.AUTH_TYPES
    assert get_args(schema.FieldType) == runtime.FIELD_TYPES
    assert get_args(schema.ClientAuth) == runtime.CLIENT_AUTH_METHODS
    assert get_args(schema.HostRule) == runtime.HOST_RULES


def test_the_registry_builds_each_entry_once_in_file_order() -> None:
    data = json.loads(COMPILED.read_text(encoding="utf-8"))
    registry = Registry.from_data(data)
    assert len(registry) == len(data["providers"]) and "zendesk" in registry
    first = registry.get("zendesk")
    assert registry.get("zendesk") is first
    assert [p.id for p in registry] == [p["id"] for p in data["providers"]]
    assert next(p for p in registry if p.id == "zendesk") is first
    for unknown in ("nope", ["zendesk"]):
        with pytest.raises(UnknownProvider):
            registry.get(unknown)  # type: ignore[arg-type]


# Runs in a fresh interpreter: load every provider as Lambda does, report what was imported.
LOADED = r"""
import json, sys
from byoc.oauth.registry import get_registry
providers = list(get_registry())
assert len(providers) > 40 and all(p.fields for p in providers)
print(json.dumps(sorted(name.split(".")[0] for name in sys.modules)))
"""


def test_loading_the_registry_imports_no_schema_http_or_crypto_library() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["PYTHONPATH"] = str(ROOT / "layers" / "common")  # the layer only, as in Lambda
    done = subprocess.run(
        [sys.executable, "-c", LOADED],
        env=env,
        cwd=ROOT / "layers",
        capture_output=True,
        text=True,
        check=True,
    )
    modules = set(json.loads(done.stdout))
    assert {"pydantic", "pydantic_core", "registry", "httpx", "cryptography"} & modules == set()


def test_the_build_compiles_the_registry_first_and_ships_only_the_compiled_file() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    build = re.search(r"^build: (.*)\n((?:\t.*\n)+)", makefile, re.MULTILINE)
    assert build is not None
    assert "registry" in build.group(1).split()
    steps = build.group(2).splitlines()
    sam = next(i for i, s in enumerate(steps) if " build " in s)
    assert any("rm -f .aws-sam/build/CommonLayer/python/byoc/oauth/providers.json" in s for s in steps[sam:])
