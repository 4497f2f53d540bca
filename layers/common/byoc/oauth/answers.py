"""The one parsing boundary for what a provider sends: every answer is untrusted input.

A provider is outside our trust boundary (an org may point the generic entries at any
public host it runs), so its JSON is read like a request body: bounded in depth and
size, numbers finite and in range, strings free of control characters. Anything that
fails is ``None`` here, and the caller turns it into a provider-error outcome.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

# Nesting deeper than this is not an OAuth answer (token responses are flat; discovery is 2 deep).
MAX_DEPTH = 16
# An access token's lifetime above this is not believed: the default lifetime applies instead.
MAX_EXPIRES_IN_SECONDS = 366 * 86400
MAX_TOKEN_CHARS = 16 * 1024
MAX_TEXT_CHARS = 4096
# Tokens are visible ASCII (RFC 6750 b64token and JWTs are within it); no spaces, no controls.
_TOKEN = re.compile(r"^[\x21-\x7e]+$")
# Scopes, metadata values: visible ASCII, and spaces between.
_TEXT = re.compile(r"^[\x20-\x7e]+$")


def json_value(body: bytes) -> Any:
    """The JSON value of ``body``, or None when it is not JSON or nests deeper than MAX_DEPTH."""
    try:
        value = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
    return value if _depth_within(value, MAX_DEPTH) else None


def json_object(body: bytes) -> dict[str, Any] | None:
    value = json_value(body)
    return value if isinstance(value, dict) else None


def _depth_within(value: Any, limit: int) -> bool:
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > limit:
                return False
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return True


def token(value: Any) -> str | None:
    """A token string (access, refresh, id token), or None."""
    if isinstance(value, str) and len(value) <= MAX_TOKEN_CHARS and _TOKEN.match(value):
        return value
    return None


def text(value: Any, max_chars: int = MAX_TEXT_CHARS) -> str | None:
    """A short printable string (a scope list, a metadata value), or None."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    rendered = value if isinstance(value, str) else str(value)
    if 0 < len(rendered) <= max_chars and _TEXT.match(rendered):
        return rendered
    return None


def _whole_number(value: Any) -> int | None:
    """A positive number, or digit string of at most 12 digits, as an int; else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        value = int(value) if value.isascii() and value.isdigit() and len(value) <= 12 else None
    if isinstance(value, float):
        value = int(value) if math.isfinite(value) and value < 1e12 else None
    return value if isinstance(value, int) and 0 < value < 10**12 else None


def lifetime_seconds(value: Any, unit: int) -> int | None:
    """``expires_in`` as whole seconds: a positive number (or digit string) under the ceiling, else None."""
    number = _whole_number(value)
    if number is None:
        return None
    seconds = number * unit
    return seconds if seconds <= MAX_EXPIRES_IN_SECONDS else None


def expiry_epoch(value: Any, now: int) -> int | None:
    """An absolute expiry (``expires_at``, introspection's ``exp``) in epoch seconds, or None.

    Believed only in the future and under the same ceiling as ``expires_in``: a clock in
    milliseconds, a past time or a date decades away leaves the default lifetime.
    """
    at = _whole_number(value)
    if at is None or at <= now:
        return None
    return at if at - now <= MAX_EXPIRES_IN_SECONDS else None


def introspected_expiry(body: bytes, now: int) -> int | None:
    """RFC 7662 §2.2: ``exp`` of an active token, as ``expiry_epoch`` believes it; else None."""
    document = json_object(body)
    if document is None or document.get("active") is not True:
        return None
    return expiry_epoch(document.get("exp"), now)


# Token types that need a proof we cannot make (RFC 9449 DPoP, the MAC drafts): refused.
PROOF_OF_POSSESSION_TYPES = frozenset({"dpop", "mac", "pop"})
_TOKEN_TYPE = re.compile(r"^[A-Za-z0-9._~+/-]{1,32}$")


def token_type(value: Any) -> str | None:
    """RFC 6749 §7.1 ``token_type`` as we hand it on: ``Bearer``, or None (refused).

    Missing, "bearer" in any case, and provider-specific names for bearer tokens
    (Slack's "bot" and "user") read as ``Bearer``; a proof-of-possession type (DPoP,
    MAC) is refused rather than passed on as a bearer token, and so is a value that is
    not a type name at all (control characters, not a string).
    """
    if value is None or value == "":
        return "Bearer"
    if not isinstance(value, str) or not _TOKEN_TYPE.match(value):
        return None
    return None if value.lower() in PROOF_OF_POSSESSION_TYPES else "Bearer"
