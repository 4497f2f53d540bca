"""scripts/import_reference.py's converter (registry.importer) on small facts written here, the
compiled registry's index, and the precomputed GET /providers body."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from byoc.api.catalog import catalogue, precomputed
from byoc.oauth.registry import Registry, compiled_lines, get_registry
from registry import importer

ROOT = Path(__file__).resolve().parents[2]
COMPILED = ROOT / "layers/common/byoc/oauth/registry.compiled.json"

OAUTH_FACT: dict[str, Any] = {
    "id": "acme-crm",
    "display_name": "Acme CRM",
    "alias_of": None,
    "auth_mode": "OAUTH2",
    "categories": ["crm", "popular"],
    "docs": "https://docs.acme.example/oauth",
    "authorization_url": "https://${connectionConfig.subdomain}.acmecrm.com/oauth/authorize",
    "token_url": "https://api.acmecrm.com/oauth/token",
    "refresh_url": None,
    "scope_separator": ",",
    "default_scopes": ["contacts.read", "bad scope"],
    "pkce": False,
    "token_auth_method": "basic",
    "body_format": "json",
    "authorization_params": {"response_type": "code", "prompt": "consent", "offline": True},
    "token_params": {"grant_type": "authorization_code", "audience": "api"},
    "refresh_params": None,
    "token_headers": None,
    "connection_config_fields": {
        "subdomain": {"title": "Subdomain", "pattern": "^[a-z0-9_-]+$", "example": "acme"}
    },
    "credentials_fields": None,
    "token_response_metadata": None,
    "redirect_uri_metadata": None,
    "authorization_code_param_in_callback": None,
    "authorization_url_replacements": None,
    "alternate_access_token_response_path": None,
    "proxy_base_url": "https://api.acmecrm.com/v2",
    "proxy_headers": None,
}
KEY_FACT: dict[str, Any] = {
    **{k: None for k in OAUTH_FACT},
    "id": "acme-mail",
    "display_name": "Acme Mail",
    "auth_mode": "API_KEY",
    "categories": ["marketing"],
    "docs": "https://docs.acme.example/keys",
    "proxy_base_url": "https://${connectionConfig.region}.acmemail.com/v3",
    "proxy_headers": {"x-api-key": "${apiKey}", "content-type": "application/json"},
    "credentials_fields": {"apiKey": {"title": "API key", "pattern": "^am_[a-f0-9]{8}$"}},
    "connection_config_fields": {"region": {"title": "Region"}},
}
KEY_CHECK = {
    "id": "acme-mail",
    "verification": {"method": "GET", "endpoints": ["/me"]},
    "enums": {"region": ["us", "eu"]},
}


def test_an_oauth_fact_becomes_an_entry_with_its_keys_and_an_honest_note() -> None:
    out = importer.entry(copy.deepcopy(OAUTH_FACT))
    oauth = out["oauth"]
    assert (out["auth_type"], out["category"], out["tags"]) == ("oauth2", "crm", ["crm", "popular"])
    assert oauth["authorize_url"] == "https://{subdomain}.acmecrm.com/oauth/authorize"
    assert (oauth["client_auth"], oauth["body_format"], oauth["scope_separator"]) == (
        "client_secret_basic",
        "json",
        ",",
    )
    assert oauth["pkce"] is False and any("PKCE off" in n for n in out["notes"])
    assert oauth["default_scopes"] == ["contacts.read"]  # "bad scope" is no scope token
    assert oauth["scopes_checked"] is False
    assert oauth["authorize_params"] == {"prompt": "consent", "offline": "true"}  # booleans as JSON
    assert oauth["token_params"] == {"audience": "api"}  # grant_type is the flow's
    assert oauth["revocation"] == {"kind": "none", "reason": importer.NO_REVOCATION}
    assert oauth["allowed_host_suffixes"] == ["acmecrm.com", "api.acmecrm.com"] or oauth[
        "allowed_host_suffixes"
    ] == ["acmecrm.com"]
    [field] = out["fields"]
    assert field["pattern"] == importer.parts.DNS_LABEL  # one label, stricter than the facts'
    assert out["verified"]["level"] == "facts" and "fields" in out["verified"]["deviations"]
    assert importer.is_imported(out)


def test_a_key_fact_becomes_an_entry_with_its_header_its_select_and_its_check() -> None:
    out = importer.entry(copy.deepcopy(KEY_FACT), KEY_CHECK)
    assert out["api"]["base_url"] == "https://{region}.acmemail.com/v3"
    assert out["api"]["auth"] == {"in": "header", "name": "X-Api-Key", "format": "{api_key}"}
    assert "headers" not in out["api"]  # the content type is ours to send
    region, key = out["fields"]
    assert (region["type"], region["options"]) == ("select", ["us", "eu"])
    assert (key["name"], key["secret"], key["pattern"]) == ("api_key", True, "^am_[a-f0-9]{8}$")
    assert out["verify"]["kind"] == "request" and out["verify"]["path"] == "/me"


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"auth_mode": "OAUTH1"}, "auth mode OAUTH1"),
        ({"docs": "http://insecure.example"}, "https documentation"),
        ({"authorization_params": {"nonce": "${random}"}}, "made per request"),
        ({"authorization_url_replacements": {"state=": "st="}}, "renames 'state'"),
        (
            {"token_url": "https://api.acmecrm.${connectionConfig.tld}/oauth/token"},
            "needs the list of its values",
        ),
        ({"authorization_url": "https://${connectionConfig.host}/authorize"}, "no example"),
        (
            {
                "authorization_url": "https://${connectionConfig.host}/authorize",
                "connection_config_fields": {"host": {"example": "crm.example.com"}},
            },
            "own server",
        ),
        ({"proxy_base_url": None}, "nowhere where its API lives"),
        ({"token_auth_method": "private_key_jwt"}, "not one of ours"),
    ],
)
def test_what_the_format_cannot_hold_is_skipped_with_the_reason(change: dict, reason: str) -> None:
    with pytest.raises(importer.Skip, match=reason):
        importer.entry({**copy.deepcopy(OAUTH_FACT), **change})


def test_a_key_without_a_known_check_is_saved_unchecked_with_the_reason() -> None:
    out = importer.entry(copy.deepcopy(KEY_FACT), {**KEY_CHECK, "verification": None})
    assert out["verify"] == {"kind": "none", "reason": importer.parts.NO_VERIFY}
    with_body = {**KEY_CHECK, "verification": {"method": "POST", "endpoints": ["/q"], "data": {"a": 1}}}
    assert importer.entry(copy.deepcopy(KEY_FACT), with_body)["verify"]["kind"] == "none"


def test_a_member_of_a_family_extends_its_base_and_adds_only_what_differs() -> None:
    base = next(p for p in json.loads(importer_source())["providers"] if p["id"] == "google")
    fact = {
        **copy.deepcopy(OAUTH_FACT),
        "id": "google-widgets",
        "display_name": "Google Widgets",
        "alias_of": "google",
        "authorization_url": base["oauth"]["authorize_url"],
        "token_url": base["oauth"]["token_url"],
        "authorization_params": {"access_type": "offline", "prompt": "consent", "hd": "acme.example"},
        "token_params": None,
        "default_scopes": ["https://www.googleapis.com/auth/widgets"],
        "proxy_base_url": "https://widgets.googleapis.com",
    }
    out = importer.entry(fact, None, base)
    assert out["extends"] == "google"
    assert out["oauth"] == {
        "authorize_params": {"hd": "acme.example"},
        "default_scopes": ["https://www.googleapis.com/auth/widgets"],
        "scopes_checked": False,
    }
    assert out["api"] == {
        "base_url": "https://widgets.googleapis.com",
        "allowed_host_suffixes": ["widgets.googleapis.com"],
    }
    # a member that would drop a parameter of its base is written whole instead
    lacking = {**fact, "authorization_params": {"access_type": "offline"}}
    assert "extends" not in importer.entry(lacking, None, base)


def importer_source() -> str:
    return (ROOT / "layers/common/byoc/oauth/providers.json").read_text(encoding="utf-8")


def test_the_shipped_registry_is_what_the_importer_writes_from_the_facts() -> None:
    # every imported entry is exactly what the tool writes from tests/data's copy of the facts today
    data = json.loads(importer_source())
    facts = {
        p["id"]: p for p in json.loads((ROOT / "tests/data/reference_facts.json").read_text())["providers"]
    }
    checks = {
        p["id"]: p
        for p in json.loads((ROOT / "tests/data/reference_verification.json").read_text())["providers"]
    }
    by_id = {p["id"]: p for p in data["providers"]}
    imported = [p for p in data["providers"] if importer.is_imported(p)]
    assert len(imported) >= 500
    for entry in imported:
        fact = facts[entry["id"]]
        assert importer.entry(fact, checks.get(entry["id"]), by_id.get(fact["alias_of"] or "")) == entry


# --------------------------------------------------------------------------- compiled index


def test_the_compiled_index_slices_every_entry_and_nothing_else() -> None:
    raw = COMPILED.read_bytes()
    head, lines = compiled_lines(raw)
    whole = json.loads(raw)
    assert "index" not in head and head["format"] == whole["format"]
    assert [json.loads(lines[p["id"]]) for p in whole["providers"]] == whole["providers"]
    assert len(lines) == len(whole["providers"]) == len(get_registry())


def test_a_compiled_file_without_an_index_is_read_whole() -> None:
    whole = json.loads(COMPILED.read_bytes())
    head, lines = compiled_lines(json.dumps(whole).encode())
    assert set(lines) == {p["id"] for p in whole["providers"]}


# --------------------------------------------------------------------------- GET /providers


@pytest.mark.parametrize(
    "base",
    [
        "https://api.acme.example",
        "https://api.acme.example/",
        "https://h.example/prod",
        'https://q.example/"x',
    ],
)
def test_the_precomputed_catalogue_is_the_one_built_from_the_registry(base: str) -> None:
    built = catalogue(get_registry(), base)
    found = precomputed(base)
    assert json.loads(found.body) == json.loads(built.body)
    assert (found.body, found.etag) == (built.body, built.etag)


def test_the_catalogue_lists_every_entry_once() -> None:
    body = json.loads(precomputed("https://api.acme.example").body)
    ids = [p["id"] for p in body["providers"]]
    assert sorted(ids) == sorted(p.id for p in get_registry()) and len(ids) == len(set(ids))


def test_a_registry_other_than_the_shipped_one_builds_its_own() -> None:
    other = Registry.from_data({"providers": [json.loads(importer_source())["providers"][0]]})
    assert len(json.loads(catalogue(other, "https://a.example").body)["providers"]) == 1
