"""Post-connection lookups: the requests an entry declares to learn what calling its API needs.

Atlassian's ``cloud_id`` comes from accessible-resources, Xero's ``tenant_id`` from its
connections, Mailchimp's ``dc`` from its metadata endpoint: each is a ``Lookup`` of the
entry (``byoc.oauth.metadata``), made once after an exchange with the new access token,
its host under the entry's allowed suffixes, its answer read through the parsing
boundary. A failed lookup leaves its values out; whether that matters is the entry's
``required`` flag, decided by the caller.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from urllib.parse import quote

from byoc.errors import OutboundError, UnsafeUrl
from byoc.oauth import answers
from byoc.oauth.metadata import Lookup, kept_values, missing_required, split
from byoc.oauth.protocol import TokenSet
from byoc.oauth.registry import OAuthSpec, Provider, render_template, template_fields
from byoc.outbound import TOKEN_RESPONSE_MAX_BYTES, OutboundClient

logger = logging.getLogger("byoc")

ACCESS_TOKEN = "access_token"


@dataclass(frozen=True, slots=True)
class Found:
    """What the lookups of one connection gave: values by name, and the required names missing."""

    metadata: dict[str, str]
    secret_metadata: dict[str, str]
    missing: tuple[str, ...]

    @property
    def complete(self) -> bool:
        return not self.missing


def lookup_url(spec: OAuthSpec, lookup: Lookup, access_token: str, values: dict[str, str]) -> str | None:
    """The lookup's URL filled from the org's fields and metadata; None when a value is missing."""
    names = template_fields(lookup.url)
    filled = dict(values)
    if lookup.token_in == "path":
        filled[ACCESS_TOKEN] = access_token
    if not names <= filled.keys():
        return None
    return render_template(lookup.url, {k: quote(v, safe="") for k, v in filled.items() if k in names})


def lookup_headers(lookup: Lookup, access_token: str) -> dict[str, str]:
    headers = {"Accept": "application/json", **dict(lookup.headers)}
    if lookup.token_in == "header":
        headers["Authorization"] = lookup.auth_format.replace("{access_token}", access_token)
    return headers


def run(outbound: OutboundClient, provider: Provider, access_token: str, values: dict[str, str]) -> Found:
    """Make every lookup of ``provider`` once; ``values`` are the org's fields and metadata so far."""
    spec = provider.oauth
    assert spec is not None
    found: dict[str, str] = {}
    for lookup in spec.lookups:
        answer = _answer(outbound, provider, spec, lookup, access_token, {**values, **found})
        if answer is not None:
            found.update(kept_values(spec.metadata, "lookup", answer, lookup_id=lookup.id))
    clear, secret = split(spec.metadata, found)
    return Found(clear, secret, missing_required(spec.metadata, {**values, **found}))


def _answer(
    outbound: OutboundClient,
    provider: Provider,
    spec: OAuthSpec,
    lookup: Lookup,
    access_token: str,
    values: dict[str, str],
) -> object | None:
    url = lookup_url(spec, lookup, access_token, values)
    if url is None:
        return None
    suffixes = None if spec.host_rule == "public" else spec.allowed_host_suffixes
    try:
        response = outbound.request(
            lookup.method,
            url,
            headers=lookup_headers(lookup, access_token),
            max_bytes=TOKEN_RESPONSE_MAX_BYTES,
            allowed_suffixes=suffixes,
        )
    except (OutboundError, UnsafeUrl) as exc:
        _failed(provider, lookup, type(exc).__name__)
        return None
    if response.status_code != 200:
        _failed(provider, lookup, f"status {response.status_code}")
        return None
    value = answers.json_value(response.body)
    if value is None:
        _failed(provider, lookup, "not JSON")
    return value


def _failed(provider: Provider, lookup: Lookup, why: str) -> None:
    # Never the URL: a lookup may carry the token in its path (HubSpot).
    logger.warning("lookup failed", extra={"provider": provider.id, "lookup": lookup.id, "error_type": why})


def with_lookups(
    outbound: OutboundClient, provider: Provider, config: dict[str, str], tokens: TokenSet
) -> tuple[TokenSet, bool]:
    """``tokens`` with what the entry's lookups found added to its metadata, and whether every
    required value is there (an entry without lookups: nothing to ask, always complete)."""
    spec = provider.oauth
    if spec is None or not spec.lookups:
        return tokens, True
    found = run(outbound, provider, tokens.access_token, {**config, **tokens.metadata})
    merged = replace(
        tokens,
        metadata={**tokens.metadata, **found.metadata},
        secret_metadata={**tokens.secret_metadata, **found.secret_metadata},
    )
    return merged, found.complete
