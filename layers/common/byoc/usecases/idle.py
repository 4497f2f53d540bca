"""Idle refresh: keep rarely used grants alive (several providers expire an unused refresh token).

Each run refreshes connections not refreshed for ``IDLE_REFRESH_DAYS``, at most
``IDLE_REFRESH_BATCH_SIZE``, oldest first, each under the same lease as a token read.
"""

from __future__ import annotations

from collections.abc import Callable

from byoc.usecases.tokens import TokenService


def refresh_idle(
    service: TokenService, *, idle_days: int, batch_size: int, time_left_ms: Callable[[], int] | None = None
) -> dict[str, int]:
    """Refresh what is due; counts of connections found, refreshed, skipped and failed."""
    cutoff = service.now() - idle_days * 86400
    counts = {"found": 0, "refreshed": 0, "skipped": 0, "failed": 0}
    for org_id, provider_id in service.store.list_idle(cutoff, batch_size):
        counts["found"] += 1
        if time_left_ms is not None and time_left_ms() < (service.refresh_budget_seconds + 2) * 1000:
            counts["skipped"] += 1
            continue
        counts[_refresh_one(service, org_id, provider_id, cutoff)] += 1
    return counts


def _refresh_one(service: TokenService, org_id: str, provider_id: str, cutoff: int) -> str:
    if provider_id not in service.registry:
        return "skipped"
    provider = service.registry.get(provider_id)
    connection = service.store.get_connection(org_id, provider_id)
    if (
        connection is None
        or not connection.is_active
        or not connection.tokens
        or not connection.has_refresh_token
        or (connection.last_refreshed_at or 0) >= cutoff
    ):
        return "skipped"
    return service.refresh_under_lease(provider, connection)
