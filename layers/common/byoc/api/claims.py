"""Reading the caller's claims exactly: types intact, names found one way, roles matched whole.

On a JWT route the HTTP API's authorizer has verified the bearer token (signature,
issuer, audience, expiry) before the function runs, but it hands the function the
claims *rendered as strings*: an array becomes ``"[a b c]"``, an object a string. So
the claims are read from the token's own JSON payload, decoded without verifying
again (the authorizer did; a request cannot reach the function otherwise), and only
when it is the token the authorizer verified: its ``sub`` (and ``iat`` when
rendered) must equal the rendered ones. Without a token (tests, ``sam local``, the
local server) the rendered claims are used.

A claim setting is an exact top-level name (``org_id``,
``https://example.com/org_id``), else the longest top-level name that prefixes it
followed by ``.key`` segments into nested objects (``app_metadata.org_id``). A role
claim matches when the value, or one element of an array, equals the admin value
exactly. In the rendered fallback an array ``"[a b]"`` is split on spaces (the
rendering cannot tell one role with a space from two roles), so role values with
spaces or commas are not supported there: give roles single-word values at the
identity provider.
"""

from __future__ import annotations

import base64
import json
from typing import Any

MAX_TOKEN_BYTES = 16 * 1024


def token_payload(authorization: str | None, rendered: dict[str, Any]) -> dict[str, Any] | None:
    """The bearer token's JSON payload, if it is the token the authorizer verified; else None."""
    if not authorization or not rendered or len(authorization) > MAX_TOKEN_BYTES:
        return None
    scheme, _, token = authorization.partition(" ")
    parts = token.strip().split(".")
    if scheme.lower() != "bearer" or len(parts) != 3:
        return None
    try:
        raw = base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4))
        payload = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    if not isinstance(payload, dict) or not _same_token(payload, rendered):
        return None
    return payload


def _same_token(payload: dict[str, Any], rendered: dict[str, Any]) -> bool:
    for name in ("sub", "iat"):
        if name in rendered and str(payload.get(name)) != str(rendered[name]):
            return False
    return "sub" in rendered


def claim(claims: dict[str, Any], name: str) -> Any:
    """The claim ``name``: an exact top-level name, else the longest top-level prefix + ``.key`` path."""
    if name in claims:
        return claims[name]
    prefixes = [key for key in claims if name.startswith(key + ".")]
    if not prefixes:
        return None
    top = max(prefixes, key=len)
    value: Any = claims[top]
    for key in name[len(top) + 1 :].split("."):
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value


def role_values(value: Any) -> tuple[str, ...]:
    """The roles a claim value names: a string, an array, a JSON array string, or ``"[a b]"``."""
    if isinstance(value, list | tuple):
        return tuple(v for v in value if isinstance(v, str))
    if not isinstance(value, str):
        return ()
    text = value.strip()
    if text.startswith("[") and text.endswith("]"):
        try:
            parsed = json.loads(text)
        except ValueError:
            return tuple(text[1:-1].split(" "))  # the HTTP API's rendering of an array
        return role_values(parsed) if isinstance(parsed, list) else ()
    return (text,)
