"""Per-container service objects, made on first use (never during init, so SnapStart-safe)."""

from __future__ import annotations

from functools import cache

from byoc.outbound import OutboundClient
from byoc.settings import get_settings


@cache
def outbound() -> OutboundClient:
    """One outbound HTTP client per container; its connection pool is created lazily."""
    settings = get_settings()
    return OutboundClient(allow_local_http=settings.allow_local_http)
