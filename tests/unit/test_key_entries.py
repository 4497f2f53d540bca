"""Every key-based entry (API key, Basic) against the reference facts: the verification request it
runs at save, and how it sends the credential, through ``httpx.MockTransport``.

The expectations are the facts' own (``tests/data/reference_facts.json``: ``proxy_base_url`` and
``proxy_headers``) and the reference registry's verification extract
(``tests/data/reference_verification.json``), rendered here for a sample org: never our entry.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from byoc.errors import ProviderStepFailed, ValidationFailed
from byoc.oauth.keys import verify_key
from byoc.oauth.registry import Provider, get_registry
from byoc.outbound import OutboundClient
from registry import importer
from tests.support.samples import facts_config, field_value, org_values, render_fact

ROOT = Path(__file__).resolve().parents[2]
FACTS = {p["id"]: p for p in json.loads((ROOT / "tests/data/reference_facts.json").read_text())["providers"]}
CHECKS = {
    p["id"]: p for p in json.loads((ROOT / "tests/data/reference_verification.json").read_text())["providers"]
}
REGISTRY = get_registry()
KEY_ENTRIES = [p for p in REGISTRY if p.auth_type in ("api_key", "basic")]
# Written by scripts/import_reference.py (the hand-written ones: tests/integration/test_key_verification.py).
IMPORTED = [p for p in KEY_ENTRIES if p.id in FACTS and importer.IMPORTED in p.notes]
VERIFIED = [p for p in IMPORTED if p.verify is not None and p.verify.enabled]


def secrets_of(provider: Provider) -> dict[str, str]:
    """A distinct value per secret field (and the Basic user name), as the admin pastes them."""
    return {
        f.name: (field_value(f) if f.pattern else f"{f.name}-value-1")
        for f in provider.fields
        if f.secret or f.name == "username"
    }


def render(template: str, fact: dict[str, Any], config: dict[str, str], secrets: dict[str, str]) -> str:
    text = template.replace("${apiKey}", secrets.get("api_key", "")).replace(
        "${accessToken}", secrets.get("api_key", "")
    )
    return render_fact(text, facts_config(fact, config))


def run(provider: Provider, status: int = 200) -> tuple[list[httpx.Request], bool]:
    sent: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(status, json={"ok": True})

    config = {k: v for k, v in org_values(provider).items() if k != "username"}
    secrets = secrets_of(provider)
    outbound = OutboundClient(transport=httpx.MockTransport(answer))
    ran = verify_key(outbound, provider, config, secrets, allow_local_http=False)
    return sent, ran


def test_there_are_at_least_150_key_entries_and_most_verify() -> None:
    assert len(KEY_ENTRIES) >= 150
    assert len(VERIFIED) >= 100


@pytest.mark.parametrize("provider", VERIFIED, ids=lambda p: p.id)
def test_the_verification_request_is_the_references(provider: Provider) -> None:
    fact, check = FACTS[provider.id], CHECKS[provider.id]["verification"]
    config = {k: v for k, v in org_values(provider).items() if k != "username"}
    secrets = secrets_of(provider)
    sent, ran = run(provider)
    assert ran and len(sent) == 1
    [request] = sent
    endpoint = (check.get("endpoints") or [check.get("endpoint")])[0]
    base = render(fact["proxy_base_url"], fact, config, secrets).rstrip("/")
    expected = urlsplit(base + "/" + render(endpoint, fact, config, secrets).lstrip("/"))
    got = urlsplit(str(request.url))
    assert (request.method, got.scheme, got.netloc, got.path) == (
        (check.get("method") or "GET").upper(),
        expected.scheme,
        expected.netloc,
        expected.path,
    )
    assert request.content == b""  # no body: a check, never a write


@pytest.mark.parametrize("provider", IMPORTED, ids=lambda p: p.id)
def test_the_credential_goes_where_the_facts_send_it(provider: Provider) -> None:
    fact = FACTS[provider.id]
    config = {k: v for k, v in org_values(provider).items() if k != "username"}
    secrets = secrets_of(provider)
    from byoc.oauth.api import api_headers

    headers = {k.lower(): v for k, v in (api_headers(provider, secrets, config, {}) or {}).items()}
    given = {k.lower(): v for k, v in (fact.get("proxy_headers") or {}).items()}
    given.pop("content-type", None)
    carrier = next((k for k, v in given.items() if "${apiKey}" in v), None)
    if carrier is not None:
        assert headers[carrier] == render(given[carrier], fact, config, secrets)
    elif fact["auth_mode"] == "BASIC":
        pair = f"{secrets['username']}:{secrets['password']}".encode()
        assert headers["authorization"] == "Basic " + base64.b64encode(pair).decode()
    for name, template in given.items():
        if (
            name != carrier
            and "${connectionConfig." in template
            and "${" not in template.replace("${connectionConfig.", "")
        ):
            assert headers[name] == render(template, fact, {**config, **secrets}, secrets)


@pytest.mark.parametrize("status", [401, 403])
def test_a_refused_key_is_a_validation_failure_for_every_verifying_entry(status: int) -> None:
    for provider in VERIFIED:
        with pytest.raises(ValidationFailed):
            run(provider, status)


def test_a_provider_that_cannot_answer_is_a_provider_step_failure() -> None:
    with pytest.raises(ProviderStepFailed):
        run(VERIFIED[0], 503)


@pytest.mark.parametrize(
    "provider", [p for p in KEY_ENTRIES if p.verify is None or not p.verify.enabled], ids=lambda p: p.id
)
def test_an_entry_without_verification_sends_nothing_and_says_why(provider: Provider) -> None:
    sent, ran = run(provider)
    assert (sent, ran) == ([], False)
    assert provider.verify is not None and provider.verify.reason
