"""The counts, groups and honesty lines of docs/providers.md (``scripts/gen_providers_doc.py``):
how many entries of each kind, what was checked of each, and the reference's providers we leave
out with the reason."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from byoc.oauth.registry import Provider

ROOT = Path(__file__).resolve().parents[1]
FACTS = ROOT / "tests" / "data" / "reference_facts.json"
CHECKS = ROOT / "tests" / "data" / "reference_verification.json"
SOURCE = ROOT / "layers" / "common" / "byoc" / "oauth" / "providers.json"
LEVELS = {
    "live": "connected for real by us",
    "facts": "matches the reference facts (and the provider's pages where cited)",
    "docs": "written from the provider's documentation, no reference to compare with",
}
# Auth modes of the reference this registry does not hold yet, and where they are planned.
MODES = {
    "OAUTH2_CC": "OAuth 2.0 client credentials (issue 16)",
    "TWO_STEP": "a token from a first request with other credentials (not planned yet)",
    "JWT": "JWT bearer / service accounts (issue 16)",
    "OAUTH1": "OAuth 1.0a (issue 16)",
    "APP": "GitHub App installations (issue 16)",
}


def _code(text: object) -> str:
    return f"`{text}`"


AUTH_TYPE_ROWS = {
    "oauth2": "OAuth 2.0 (authorization code)",
    "oauth2_cc": "OAuth 2.0 (client credentials: saving connects)",
    "api_key": "API key",
    "basic": "HTTP Basic",
}


def count_lines(providers: list[Provider]) -> list[str]:
    """The table of counts at the top of the page."""
    oauth = [p.oauth for p in providers if p.oauth is not None]
    keys = [p for p in providers if p.oauth is None]
    levels = Counter(str(p.verified.get("level", "docs")) for p in providers)
    auth_types = Counter(p.auth_type for p in providers)
    revoking = sum(spec.revocation.enabled for spec in oauth)
    checked = sum(spec.scopes_checked for spec in oauth)
    verifying = sum(_verifies(p) for p in keys)
    rows = [
        *((label, auth_types[auth_type]) for auth_type, label in AUTH_TYPE_ROWS.items()),
        ("Family members (`extends` another entry)", sum(bool(p.extends) for p in providers)),
        ("OAuth: revocation endpoint / none (with the reason)", f"{revoking} / {len(oauth) - revoking}"),
        (
            "OAuth: default scopes checked on the provider's pages / not (scope field open)",
            f"{checked} / {len(oauth) - checked}",
        ),
        (
            "Keys: verified at save by a request / saved unchecked (with the reason)",
            f"{verifying} / {len(keys) - verifying}",
        ),
        *((f"Verified level `{level}`: {LEVELS[level]}", levels[level]) for level in LEVELS),
    ]
    return ["| | Entries |", "|---|---|", *(f"| {name} | {count} |" for name, count in rows), ""]


def _verifies(provider: Provider) -> bool:
    return provider.verify is not None and provider.verify.enabled


def category_lines(providers: list[Provider]) -> list[str]:
    by_category: dict[str, list[str]] = {}
    for p in providers:
        by_category.setdefault(p.category or "other", []).append(p.id)
    lines = ["## By category", ""]
    for category in sorted(by_category):
        ids = by_category[category]
        lines.append(f"- **{category}** ({len(ids)}): " + ", ".join(_code(i) for i in ids))
    return [*lines, ""]


def verified_line(provider: Provider) -> str:
    """What was checked of the entry, in one line (its ``verified`` block)."""
    verified = provider.verified or {"level": "docs"}
    level = str(verified.get("level", "docs"))
    text = f"- Verified: `{level}` ({LEVELS[level]})"
    if verified.get("on"):
        text += f", on {verified['on']}: {verified.get('how', '')}"
    if verified.get("reference"):
        text += f"; reference: {verified['reference']}"
    deviations = verified.get("deviations") or {}
    if deviations:
        text += "; follows the provider, not the facts, on " + "; ".join(
            f"{_code(k)}: {v}" for k, v in sorted(deviations.items())
        )
    return text


def family_lines(provider: Provider) -> list[str]:
    lines = [
        f"- Category: {provider.category}" + (f" (tags: {', '.join(provider.tags)})" if provider.tags else "")
    ]
    if provider.extends:
        lines.append(f"- Extends: {_code(provider.extends)} (the same app model; its own API and scopes)")
    return lines


def verify_line(provider: Provider) -> list[str]:
    spec = provider.verify
    if provider.oauth is not None or spec is None:
        return []
    if spec.enabled:
        return [
            f"- Checked at save: {_code(f'{spec.method} {spec.path}')} (a refused key: 422, nothing stored)"
        ]
    return [f"- Not checked at save: {spec.reason}"]


def left_out_lines(registry_ids: set[str]) -> list[str]:
    """The reference's providers not in the registry: those of modes we do not hold, counted;
    the others each with the importer's reason."""
    from registry import importer

    facts = json.loads(FACTS.read_text(encoding="utf-8"))["providers"]
    checks = {p["id"]: p for p in json.loads(CHECKS.read_text(encoding="utf-8"))["providers"]}
    data = json.loads(SOURCE.read_text(encoding="utf-8"))
    missing = [f for f in facts if f["id"] not in registry_ids]
    lines = ["## Not in the registry, and why", ""]
    for mode in sorted(MODES):
        ids = [f["id"] for f in missing if f["auth_mode"] == mode]
        lines.append(
            f"- {len(ids)} `{mode}` providers, {MODES[mode]}: " + ", ".join(_code(i) for i in ids) + "."
        )
    for fact in missing:
        if fact["auth_mode"] not in MODES:
            lines.append(
                f"- {_code(fact['id'])} ({fact['auth_mode']}): {_reason(importer, fact, checks, data)}"
            )
    return [*lines, ""]


def _reason(importer: Any, fact: dict[str, Any], checks: dict[str, Any], data: dict[str, Any]) -> str:
    try:
        importer.checked_entry(fact, checks.get(fact["id"]), data)
    except importer.Skip as reason:
        return str(reason).replace("|", "\\|")
    return "expressible: run scripts/import_reference.py"
