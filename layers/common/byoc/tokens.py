"""Fresh access tokens for the product's own services, refreshed without races.

``TokenService.get_token(org_id, provider)`` is the only place a token leaves the
store. It answers ``{"access_token", "token_type", "expires_at", "scopes",
"metadata"}`` or raises ``IntegrationNotConfigured``, ``ReconnectRequired``,
``ProviderUnavailable`` or ``InvalidRequest``.

Warm read: one consistent GetItem and, while the record's data key is cached
(``byoc.crypto.DATA_KEY_CACHE``: bounded, short-lived, empty at start-up), no KMS
call.

When to refresh: when the access token expires within the margin
(``REFRESH_MARGIN_SECONDS``, at most half the token's lifetime so a short-lived
token is not refreshed on every read). A provider that sent no ``expires_in`` is
taken to have issued a token for ``DEFAULT_TOKEN_LIFETIME_SECONDS`` from when it
was obtained; a record with a refresh token and no time at all is refreshed. A
token is never "never refreshed" when a refresh token exists.

One refresh per connection at a time, across every container: the refresher
takes a lease with one conditional UpdateItem (no live lease, record active and
still the ``token_version`` it read), calls the provider, and writes the result
with one UpdateItem conditioned on that ``token_version`` (which also ends the
lease). Everyone else re-reads with short jittered sleeps, for a bounded time,
instead of calling the provider, so a rotating refresh token is used once.

Failures: ``invalid_grant`` (and ``invalid_client``, ``unauthorized_client``) set
``status = error`` with the reason, publish ``connection.error`` and stop every
further refresh until the org reconnects (the lease needs ``status = active``);
callers get ``reconnect_required`` at once from then on. Transient failures (5xx,
429, timeouts, unreachable) are retried a few times with jittered backoff,
honouring ``Retry-After`` within the refresh's time budget, and leave ``status``
alone; the caller gets the current token while it is still valid, else
``provider_unavailable``.
"""

from __future__ import annotations

import email.utils
import os
import random
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from byoc import metrics, oauth
from byoc.crypto import SECRETS_ATTRIBUTE, TOKENS_ATTRIBUTE, encryption_context
from byoc.errors import (
    ByocError,
    ConcurrentUpdate,
    ConfigurationError,
    IntegrationNotConfigured,
    InvalidRequest,
    OutboundConnectError,
    OutboundError,
    OutboundTimeout,
    ProviderError,
    ProviderUnavailable,
    ReconnectRequired,
    UnknownProvider,
)
from byoc.observability import logger
from byoc.outbound import DEFAULT_DEADLINE_SECONDS
from byoc.registry import Provider
from byoc.services import UseCase
from byoc.store import Connection, now_iso

# A lease outlives the longest refresh (the time budget below plus the writes), so a
# live holder never loses it; a crashed holder's lease lapses after this long.
LEASE_SECONDS = 30
# The provider calls of one refresh, retries and their waits included, end within this.
REFRESH_BUDGET_SECONDS = 12.0
REFRESH_ATTEMPTS = 3
BACKOFF_BASE_SECONDS = 0.5
BACKOFF_CAP_SECONDS = 4.0
# How long a reader waits for another container's refresh before answering anyway.
WAIT_SECONDS = 10.0
POLL_FIRST_SECONDS = 0.1
POLL_MAX_SECONDS = 1.0
# Lease attempts of one read: a record that changes under us several times gives up.
ROUNDS = 3
# Grant-level refusals: refreshing again cannot help, the org must reconnect.
PERMANENT_REASONS = frozenset({"invalid_grant", "invalid_client", "unauthorized_client"})
# A token without refresh token whose provider-given expiry passed.
TOKEN_EXPIRED = "token_expired"
ERROR_CODES = (
    IntegrationNotConfigured.code,
    ReconnectRequired.code,
    ProviderUnavailable.code,
    InvalidRequest.code,
)
_ID = re.compile(r"^[A-Za-z0-9._:@|+=/-]{1,128}$")
_PROVIDER_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


@dataclass(frozen=True, slots=True)
class _Transient:
    """A token request that may work if repeated: why it failed, and Retry-After if given."""

    reason: str
    retry_after: float | None = None


class _RefreshUnavailable(ProviderUnavailable):
    """A refresh failed for now (transient); the caller may still hold a valid token."""

    def __init__(self, reason: str):
        super().__init__()
        self.reason = reason


@dataclass
class TokenService(UseCase):
    clock: Callable[[], float] = time.time
    monotonic: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    # From the OS at each call: the random module's state is seeded at init, so with SnapStart
    # every environment restored from one snapshot would draw the same "random" waits.
    jitter: Callable[[], float] = random.SystemRandom().random
    lease_seconds: int = LEASE_SECONDS
    refresh_budget_seconds: float = REFRESH_BUDGET_SECONDS
    attempt_timeout_seconds: float = DEFAULT_DEADLINE_SECONDS
    max_attempts: int = REFRESH_ATTEMPTS
    wait_seconds: float = WAIT_SECONDS

    # Reading -------------------------------------------------------------------------

    def get_token(self, org_id: str, provider: str) -> dict[str, Any]:
        """A usable access token of ``org_id``'s connection to ``provider``, refreshed if due."""
        spec = self._oauth_provider(provider)
        connection = _readable(self.store.get_connection(org_id, spec.id))
        now = self._now()
        if not connection.has_refresh_token:
            return self._token(self._unrefreshable(spec, connection, now))
        if self._due(connection, now):
            connection = self._refreshed(spec, connection)
        return self._token(connection)

    def _oauth_provider(self, provider_id: str) -> Provider:
        try:
            provider = self.registry.get(provider_id)
        except UnknownProvider:
            raise InvalidRequest("There is no such provider.") from None
        if not provider.is_oauth:
            raise InvalidRequest("This provider does not use OAuth: it has no access token.")
        return provider

    def _token(self, connection: Connection) -> dict[str, Any]:
        assert connection.tokens is not None
        context = encryption_context(connection.org_id, connection.provider)
        tokens = self.cipher.open(connection.tokens, context, TOKENS_ATTRIBUTE)
        return {
            "access_token": tokens["access_token"],
            "token_type": tokens.get("token_type") or "Bearer",
            "expires_at": connection.token_expires_at,
            "scopes": _scope_list(connection.scopes),
            "metadata": dict(connection.metadata),
        }

    def _unrefreshable(self, provider: Provider, connection: Connection, now: int) -> Connection:
        """No refresh token: the token is handed out until the provider-given expiry passes."""
        expires_at = connection.token_expires_at
        if expires_at is None or expires_at > now:
            return connection
        self._fail(provider, connection, TOKEN_EXPIRED)
        raise ReconnectRequired()

    # When ----------------------------------------------------------------------------

    def expiry(self, connection: Connection) -> tuple[int | None, int | None]:
        """(when the access token expires, its lifetime), estimated when the provider did not say."""
        obtained = connection.last_refreshed_at
        if connection.token_expires_at is not None:
            lifetime = connection.token_expires_at - obtained if obtained is not None else None
            return connection.token_expires_at, lifetime
        if obtained is not None:
            lifetime = self.settings.default_token_lifetime_seconds
            return obtained + lifetime, lifetime
        return None, None

    def _due(self, connection: Connection, now: int) -> bool:
        expires_at, lifetime = self.expiry(connection)
        if expires_at is None:
            return True  # a refresh token and no idea how old the token is: refresh it
        margin = self.settings.refresh_margin_seconds
        if lifetime is not None and lifetime > 0:
            margin = min(margin, lifetime // 2)
        return expires_at - now <= margin

    def _valid(self, connection: Connection, now: int) -> bool:
        expires_at, _ = self.expiry(connection)
        return expires_at is None or expires_at > now

    # Refreshing ----------------------------------------------------------------------

    def _refreshed(self, provider: Provider, connection: Connection) -> Connection:
        """The connection with a token that is not due, refreshed here or by another container."""
        for _ in range(ROUNDS):
            owner = secrets.token_hex(8)
            now = self._now()
            if self.store.take_lease(connection, owner=owner, until=now + self.lease_seconds, now=now):
                try:
                    return self._refresh_holding_lease(provider, connection, owner)
                except _RefreshUnavailable:
                    return self._still_valid(connection)
            current = self._wait_for_refresh(connection)
            if _same_version(current, connection):
                return self._still_valid(current)  # the holder gave up, or we waited long enough
            connection = current
            if not self._due(connection, self._now()) or self._valid(connection, self._now()):
                return connection  # refreshed by someone else: never refresh it again right away
        return self._still_valid(connection)

    def _still_valid(self, connection: Connection) -> Connection:
        if connection.tokens and self._valid(connection, self._now()):
            return connection
        raise ProviderUnavailable()

    def _wait_for_refresh(self, seen: Connection) -> Connection:
        """Re-read until the record moves on, its lease ends, or the wait is over."""
        deadline = self.monotonic() + self.wait_seconds
        pause = POLL_FIRST_SECONDS
        while True:
            self.sleep(pause * (0.5 + self.jitter()))
            pause = min(pause * 1.5, POLL_MAX_SECONDS)
            current = _readable(self.store.get_connection(seen.org_id, seen.provider))
            if not _same_version(current, seen):
                return current
            lease_live = current.lease_until is not None and current.lease_until > self._now()
            if not lease_live or self.monotonic() >= deadline:
                return current

    def _refresh_holding_lease(self, provider: Provider, connection: Connection, owner: str) -> Connection:
        started = self.monotonic()
        try:
            context = encryption_context(connection.org_id, connection.provider)
            assert connection.tokens is not None and connection.secrets is not None
            key = self.cipher.data_key_of(connection.tokens, context)
            tokens = self.cipher.open(connection.tokens, context, TOKENS_ATTRIBUTE, key=key)
            client_secret = self.cipher.open(connection.secrets, context, SECRETS_ATTRIBUTE)
            fresh = self._call_provider(provider, connection, tokens, client_secret)
        except ProviderError as exc:
            self._release(connection, owner)
            return self._refused(provider, connection, exc.reason)
        except _RefreshUnavailable as exc:
            self._release(connection, owner)
            metrics.refresh_failed(provider.id, exc.reason)
            logger.warning("refresh failed", extra={"provider": provider.id, "reason_code": exc.reason})
            raise
        except BaseException:
            self._release(connection, owner)
            raise
        merged = {k: v for k, v in tokens.items() if k in ("refresh_token", "id_token")}
        merged.update(fresh.sealed_value())  # no new refresh token in the answer: the old one stays
        now = self._now()
        updated = replace(
            connection,
            tokens=self.cipher.seal(key, context, TOKENS_ATTRIBUTE, merged),
            token_version=connection.token_version + 1,
            token_expires_at=fresh.expires_at,
            has_refresh_token=bool(merged.get("refresh_token")),
            scopes=fresh.scope or connection.scopes,
            metadata={**connection.metadata, **fresh.metadata},
            last_refreshed_at=now,
            updated_at=now_iso(now),
            lease_until=None,
        )
        try:
            self.store.write_refreshed(updated, expected_token_version=connection.token_version)
        except ConcurrentUpdate:
            return self._lost_write(provider, connection, client_secret, fresh)
        metrics.refresh_latency(provider.id, (self.monotonic() - started) * 1000)
        self.events.publish("refreshed", org_id=connection.org_id, provider=provider.id, status="active")
        return updated

    def _call_provider(
        self,
        provider: Provider,
        connection: Connection,
        tokens: dict[str, Any],
        client_secret: dict[str, Any],
    ) -> oauth.TokenSet:
        """The refresh request, retried on transient failures within the time budget."""
        endpoints = oauth.resolve_endpoints(
            provider, connection.config, allow_local_http=self.settings.allow_local_http
        )
        request = oauth.build_token_request(
            provider,
            url=oauth.callback_token_url(provider, endpoints.refresh_url, connection.metadata),
            client_id=connection.client_id or "",
            client_secret=str(client_secret.get("client_secret", "")),
            client_auth=oauth.client_auth_method(provider, connection.config),
            params=oauth.refresh_params(provider, refresh_token=str(tokens.get("refresh_token", ""))),
        )
        budget_ends = self.monotonic() + min(self.refresh_budget_seconds, self.lease_seconds / 2)
        attempt = 0
        while True:
            attempt += 1
            outcome = self._attempt(provider, request)
            if isinstance(outcome, oauth.TokenSet):
                return outcome
            delay = max(outcome.retry_after or 0.0, _backoff(attempt, self.jitter()))
            out_of_time = self.monotonic() + delay + self.attempt_timeout_seconds > budget_ends
            if attempt >= self.max_attempts or out_of_time:
                raise _RefreshUnavailable(outcome.reason)
            self.sleep(delay)

    def _attempt(self, provider: Provider, request: oauth.TokenRequest) -> oauth.TokenSet | _Transient:
        """One token request. Raises ProviderError (grant refused) or _RefreshUnavailable."""
        try:
            response = oauth.post_token_request(self.outbound, provider, request)
        except (OutboundTimeout, OutboundConnectError) as exc:
            return _Transient(exc.code)
        except OutboundError as exc:  # an answer we cannot read: not worth repeating now
            raise _RefreshUnavailable(exc.code) from None
        try:
            return oauth.parse_token_response(
                provider, response.status_code, response.headers, response.body, now=self._now()
            )
        except ProviderError as exc:
            if exc.transient:
                return _Transient(
                    exc.reason, retry_after_seconds(response.headers.get("retry-after"), self.clock())
                )
            if exc.reason in PERMANENT_REASONS:
                raise
            raise _RefreshUnavailable(exc.reason) from None

    def _refused(self, provider: Provider, connection: Connection, reason: str) -> Connection:
        """The provider refused the grant: error status, no more refreshes until reconnect."""
        self._fail(provider, connection, reason)
        raise ReconnectRequired()

    def _fail(self, provider: Provider, connection: Connection, reason: str) -> None:
        metrics.refresh_failed(provider.id, reason)
        logger.warning(
            "connection needs reconnecting", extra={"provider": provider.id, "reason_code": reason}
        )
        if self.store.fail_connection(connection, reason=reason):
            self.events.publish(
                "error", org_id=connection.org_id, provider=provider.id, status="error", reason=reason
            )

    def _release(self, connection: Connection, owner: str) -> None:
        try:
            self.store.release_lease(connection.org_id, connection.provider, owner=owner)
        except Exception as exc:  # the lease lapses by itself
            logger.warning("lease not released", extra={"error_type": type(exc).__name__})

    def _lost_write(
        self,
        provider: Provider,
        connection: Connection,
        client_secret: dict[str, Any],
        fresh: oauth.TokenSet,
    ) -> Connection:
        """Our refresh could not be written: the record moved on (deleted, tokens dropped, saved again)."""
        current = self.store.get_connection(connection.org_id, connection.provider)
        if current is None or not current.tokens or current.credentials_id != connection.credentials_id:
            # Nobody will ever use these tokens: revoke them where the provider allows.
            self.revoker.revoke(
                provider,
                connection.config,
                connection.client_id or "",
                str(client_secret.get("client_secret", "")),
                fresh.sealed_value(),
            )
        current = _readable(current)
        if not self._valid(current, self._now()):
            raise ProviderUnavailable()
        return current

    # Idle connections ----------------------------------------------------------------

    def refresh_idle(
        self, *, idle_days: int, batch_size: int, time_left_ms: Callable[[], int] | None = None
    ) -> dict[str, int]:
        """Refresh connections not refreshed for ``idle_days``: at most ``batch_size``, same lease."""
        cutoff = self._now() - idle_days * 86400
        counts = {"found": 0, "refreshed": 0, "skipped": 0, "failed": 0}
        for org_id, provider_id in self.store.list_idle(cutoff, batch_size):
            counts["found"] += 1
            if time_left_ms is not None and time_left_ms() < (self.refresh_budget_seconds + 2) * 1000:
                counts["skipped"] += 1
                continue
            counts[self._refresh_one_idle(org_id, provider_id, cutoff)] += 1
        return counts

    def _refresh_one_idle(self, org_id: str, provider_id: str, cutoff: int) -> str:
        if provider_id not in self.registry:
            return "skipped"
        provider = self.registry.get(provider_id)
        connection = self.store.get_connection(org_id, provider_id)
        if (
            connection is None
            or connection.status != "active"
            or not connection.tokens
            or not connection.has_refresh_token
            or (connection.last_refreshed_at or 0) >= cutoff
        ):
            return "skipped"
        now = self._now()
        owner = secrets.token_hex(8)
        if not self.store.take_lease(connection, owner=owner, until=now + self.lease_seconds, now=now):
            return "skipped"  # being refreshed right now
        try:
            self._refresh_holding_lease(provider, connection, owner)
        except (ReconnectRequired, ProviderUnavailable, IntegrationNotConfigured):
            return "failed"
        return "refreshed"

    def _now(self) -> int:
        return int(self.clock())


# Helpers ----------------------------------------------------------------------------


def _readable(connection: Connection | None) -> Connection:
    """The record if it holds a token we may hand out, else the error the caller gets."""
    if connection is None:
        raise IntegrationNotConfigured()
    if connection.status == "error":
        raise ReconnectRequired()
    if connection.status != "active" or not connection.tokens:
        raise IntegrationNotConfigured("This integration is not connected yet: connect it first.")
    return connection


def _same_version(a: Connection, b: Connection) -> bool:
    return a.token_version == b.token_version and a.credentials_id == b.credentials_id


def _scope_list(scopes: str | None) -> list[str]:
    if not scopes:
        return []
    return [s for s in re.split(r"[\s,]+", scopes) if s]


def _backoff(attempt: int, jitter: float) -> float:
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


# The Lambda invoke contract ---------------------------------------------------------


def parse_invoke_event(event: Any) -> tuple[str, str]:
    """``{"org_id": ..., "provider": ...}`` -> (org_id, provider); anything else is InvalidRequest."""
    if not isinstance(event, dict) or set(event) - {"org_id", "provider"}:
        raise InvalidRequest('Send exactly {"org_id": "...", "provider": "..."}.')
    org_id, provider = event.get("org_id"), event.get("provider")
    if not isinstance(org_id, str) or not _ID.match(org_id):
        raise InvalidRequest("org_id is missing or malformed.")
    if not isinstance(provider, str) or not _PROVIDER_ID.match(provider):
        raise InvalidRequest("provider is missing or malformed.")
    return org_id, provider


def error_body(error: ByocError) -> dict[str, Any]:
    return {"error": {"code": error.code, "message": error.message}}


def idle_settings(env: dict[str, str] | None = None) -> tuple[int, int]:
    """(IDLE_REFRESH_DAYS, IDLE_REFRESH_BATCH_SIZE) from the environment (template parameters)."""
    source = os.environ if env is None else env
    values = []
    for name, default, low, high in (
        ("IDLE_REFRESH_DAYS", 14, 1, 3650),
        ("IDLE_REFRESH_BATCH_SIZE", 50, 1, 1000),
    ):
        raw = source.get(name, "").strip()
        try:
            value = int(raw) if raw else default
        except ValueError:
            raise ConfigurationError(f"{name} must be a whole number") from None
        if not low <= value <= high:
            raise ConfigurationError(f"{name} must be between {low} and {high}")
        values.append(value)
    return values[0], values[1]


def get_token(org_id: str, provider: str) -> dict[str, Any]:
    """For functions in this stack: the same as invoking GetTokenFunction, in process."""
    from byoc import services
    from byoc.settings import get_settings

    return TokenService.from_settings(get_settings(), services.outbound()).get_token(org_id, provider)
