"""Retry timing for provider calls: backoff with jitter, and ``Retry-After``."""

from __future__ import annotations

import email.utils
from dataclasses import dataclass

BACKOFF_BASE_SECONDS = 0.5
BACKOFF_CAP_SECONDS = 4.0


@dataclass(frozen=True, slots=True)
class Transient:
    """A token request that may work if repeated: why it failed, and Retry-After if given."""

    reason: str
    retry_after: float | None = None


def backoff(attempt: int, jitter: float) -> float:
    """Exponential backoff with equal jitter: half fixed, half random."""
    ceiling = min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2 ** (attempt - 1))
    return ceiling / 2 + ceiling / 2 * jitter


def retry_after_seconds(value: str | None, now: float) -> float | None:
    """``Retry-After`` as seconds from now: delay-seconds or an HTTP date (RFC 9110 §10.2.3)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, when.timestamp() - now)
