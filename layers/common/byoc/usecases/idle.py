"""Idle refresh: keep rarely used grants alive (several providers expire an unused refresh token).

Connections wait in a queue keyed by their next attempt (``RefreshQueueIndex``): a token
obtained at *t* comes due at *t* + ``IDLE_REFRESH_DAYS``. Each run takes at most
``IDLE_REFRESH_BATCH_SIZE`` due connections, earliest first, and refreshes each under the
same lease as a token read. A refresh that fails for now moves the connection back in the
queue with a growing backoff (``retry_delay``), so a dead or black-holing provider never
blocks other orgs' connections at the head of the queue. Within one run, one token host
gets at most ``HOST_FAILURES`` failures and ``HOST_SECONDS`` of the run; its remaining
connections are deferred to a later run, so one slow host cannot eat the run.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from urllib.parse import urlsplit

from byoc.model import Connection
from byoc.oauth import protocol
from byoc.oauth.registry import Provider
from byoc.usecases.tokens import TokenService

HOST_FAILURES = 2
HOST_SECONDS = 60.0
RETRY_FIRST_SECONDS = 3600
RETRY_MAX_SECONDS = 86400
# A host whose connections were deferred this run is tried again after this long.
HOST_PAUSE_SECONDS = 3600


def retry_delay(failures: int, jitter: float) -> int:
    """After ``failures`` failures in a row: 1 h, 2 h, 4 h ... up to a day, spread by ±25 %."""
    base = min(RETRY_FIRST_SECONDS * 2 ** max(failures - 1, 0), RETRY_MAX_SECONDS)
    return int(base * (0.75 + 0.5 * jitter))


class _HostBudget:
    """Failures and seconds spent per token host during one run."""

    def __init__(self, monotonic: Callable[[], float]) -> None:
        self._monotonic = monotonic
        self.failures: Counter[str] = Counter()
        self.seconds: defaultdict[str, float] = defaultdict(float)

    def exhausted(self, host: str) -> bool:
        return self.failures[host] >= HOST_FAILURES or self.seconds[host] >= HOST_SECONDS

    def spend(self, host: str, started: float, failed: bool) -> None:
        self.seconds[host] += self._monotonic() - started
        if failed:
            self.failures[host] += 1


def refresh_idle(
    service: TokenService, *, idle_days: int, batch_size: int, time_left_ms: Callable[[], int] | None = None
) -> dict[str, int]:
    """Refresh what is due; counts of connections found, refreshed, skipped, deferred and failed."""
    now = service.now()
    keys = service.store.list_due(now, batch_size)
    if len(keys) < batch_size:  # records of the previous release, until each has been written once
        legacy = service.store.list_idle_legacy(now - idle_days * 86400, batch_size - len(keys))
        keys += [key for key in legacy if key not in keys]
    counts = {"found": len(keys), "refreshed": 0, "skipped": 0, "deferred": 0, "failed": 0}
    hosts = _HostBudget(service.monotonic)
    for org_id, provider_id in keys:
        if time_left_ms is not None and time_left_ms() < (service.refresh_budget_seconds + 2) * 1000:
            counts["skipped"] += 1  # still due: first in line next run
            continue
        counts[_refresh_one(service, hosts, org_id, provider_id, now)] += 1
    return counts


def _refresh_one(service: TokenService, hosts: _HostBudget, org_id: str, provider_id: str, now: int) -> str:
    if provider_id not in service.registry:
        return "skipped"
    provider = service.registry.get(provider_id)
    connection = service.store.get_connection(org_id, provider_id)
    if (
        connection is None
        or not connection.is_active
        or not connection.tokens
        or not connection.has_refresh_token
    ):
        return "skipped"
    host = _token_host(service, provider, connection)
    if hosts.exhausted(host):
        service.store.defer_refresh(connection, until=now + HOST_PAUSE_SECONDS)
        return "deferred"
    started = service.monotonic()
    outcome = service.refresh_under_lease(provider, connection)
    hosts.spend(host, started, failed=outcome in ("unavailable", "failed"))
    if outcome == "unavailable":
        delay = retry_delay(connection.refresh_failures + 1, service.jitter())
        service.store.defer_refresh(connection, until=now + delay)
        return "deferred"
    return outcome


def _token_host(service: TokenService, provider: Provider, connection: Connection) -> str:
    try:
        endpoints = protocol.resolve_endpoints(
            provider, connection.config, allow_local_http=service.settings.allow_local_http
        )
    except Exception:
        return "?"
    return urlsplit(endpoints.token_url).hostname or "?"
