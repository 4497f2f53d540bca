"""``GET /providers``: the catalogue, the same for every org, built once per container and API URL.

The body (every entry's id, name, category, auth type, fields with their known scopes,
docs URL and the redirect URI to register, sorted by name) depends only on the registry and the API's
public URL, so it is encoded once: compact JSON, its gzip, and a strong ``ETag`` (a hash
of the JSON). A request then costs a dictionary lookup and a header comparison: an
``If-None-Match`` naming the ETag answers ``304`` with no body; a client that accepts
gzip gets the compressed bytes. ``Cache-Control: public, max-age=300`` lets a browser
and a CDN keep it for five minutes and revalidate after.

No DynamoDB, no KMS, no JWT: the catalogue is not secret (the docs list the same
providers) and caching it in front of the API (a CDN) needs it to be the same for
everyone.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from base64 import b64encode
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from byoc.api.views import provider_view
from byoc.oauth.registry import Provider, Registry, callback_path, ensure_current, redirect_uri

CACHE_CONTROL = "public, max-age=300"
CATALOGUE_FILE = "catalogue.compiled.json"
# The API's URL in the body make registry writes; no deployed API has it (.invalid, RFC 2606).
BASE_PLACEHOLDER = "https://api-base-url.invalid"
GZIP_LEVEL = 9  # encoded once per container: the smallest body is worth the few milliseconds


@dataclass(frozen=True, slots=True)
class Catalogue:
    body: str
    gzipped_base64: str
    etag: str


def provider_entry(provider: Provider, api_base_url: str) -> dict[str, Any]:
    """One entry of the catalogue: the part of the deprecated list entry that is the same for every
    org, with the provider's category."""
    return {**provider_view(provider, api_base_url), "category": provider.category}


def catalogue_body(registry: Registry, api_base_url: str) -> str:
    """The catalogue's JSON, built from every entry (``make registry`` does it once, with
    ``BASE_PLACEHOLDER`` for the API's URL; ``precomputed`` fills it in)."""
    return json.dumps(
        {"providers": [provider_entry(p, api_base_url) for p in sorted(registry, key=_by_name)]},
        separators=(",", ":"),
        ensure_ascii=False,
    )


@lru_cache(maxsize=4)
def catalogue(registry: Registry, api_base_url: str) -> Catalogue:
    """The catalogue built from ``registry`` (tests, other registries); the function answers from
    ``precomputed``, which is the same bytes for the shipped registry."""
    return _encoded(catalogue_body(registry, api_base_url))


@lru_cache(maxsize=4)
def precomputed(api_base_url: str) -> Catalogue:
    """The shipped registry's catalogue from the body ``make registry`` wrote
    (``catalogue.compiled.json``, beside the compiled registry), with this API's URL in each
    redirect URI: no entry is parsed or built in the container. The file's first line names the
    providers.json it came from; in a checkout, where that file sits beside it, they must agree
    (``StaleRegistry``)."""
    text = resources.files("byoc.oauth").joinpath(CATALOGUE_FILE).read_text(encoding="utf-8")
    head, _, template = text.partition("\n")
    ensure_current(CATALOGUE_FILE, json.loads(head)["source_sha256"])
    base = json.dumps(redirect_uri(api_base_url, "x").removesuffix(callback_path("x")))[1:-1]
    return _encoded(template.rstrip("\n").replace(json.dumps(BASE_PLACEHOLDER)[1:-1], base))


def _encoded(body: str) -> Catalogue:
    raw = body.encode()
    return Catalogue(
        body=body,
        gzipped_base64=b64encode(gzip.compress(raw, compresslevel=GZIP_LEVEL, mtime=0)).decode(),
        etag='"' + hashlib.sha256(raw).hexdigest()[:32] + '"',
    )


def _by_name(provider: Provider) -> tuple[str, str]:
    """The catalogue's order: by name as a person reads it (case-insensitive), then id."""
    return (provider.name.casefold(), provider.id)


def answer(found: Catalogue, if_none_match: str | None, accept_encoding: str | None) -> dict[str, Any]:
    """The HTTP answer for a request with these headers."""
    headers = {
        "Content-Type": "application/json",
        "Cache-Control": CACHE_CONTROL,
        "ETag": found.etag,
        "Vary": "Accept-Encoding",
        "X-Content-Type-Options": "nosniff",
    }
    if _matches(if_none_match, found.etag):
        del headers["Content-Type"]
        return {"statusCode": 304, "headers": headers, "body": ""}
    if _accepts_gzip(accept_encoding):
        return {
            "statusCode": 200,
            "headers": {**headers, "Content-Encoding": "gzip"},
            "body": found.gzipped_base64,
            "isBase64Encoded": True,
        }
    return {"statusCode": 200, "headers": headers, "body": found.body}


def _matches(if_none_match: str | None, etag: str) -> bool:
    """RFC 9110 §13.1.2: ``*`` or any listed tag, compared weakly (a ``W/`` prefix is ignored)."""
    if not if_none_match:
        return False
    tags = [tag.strip() for tag in if_none_match.split(",")]
    return any(tag == "*" or tag.removeprefix("W/") == etag for tag in tags)


def _accepts_gzip(accept_encoding: str | None) -> bool:
    """``gzip`` (or ``*``) listed without ``q=0``."""
    for part in (accept_encoding or "").lower().split(","):
        coding, _, params = part.partition(";")
        params = params.strip()
        if coding.strip() in ("gzip", "*") and _weight(params[2:] if params.startswith("q=") else "1") > 0:
            return True
    return False


def _weight(q: str) -> float:
    try:
        return float(q)
    except ValueError:
        return 0.0
