"""Fresh access tokens for the product's own services, refreshed without races.

``TokenService.get_token`` is the only place a token leaves the store: ``{"access_token",
"token_type", "expires_at", "use_until", "token_version", "scopes", "metadata"}``, or
``IntegrationNotConfigured``, ``ReconnectRequired``, ``ProviderUnavailable``, ``InvalidRequest``.

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

import random
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from byoc import metrics
from byoc.aws.crypto import Cipher, DataKey
from byoc.aws.events import EventPublisher
from byoc.aws.store import Store
from byoc.errors import (
    ConcurrentUpdate,
    IntegrationNotConfigured,
    InvalidRequest,
    OutboundConnectError,
    OutboundError,
    OutboundTimeout,
    ProviderError,
    ProviderUnavailable,
    ReconnectRequired,
    UnknownProvider,
    UnsafeUrl,
)
from byoc.model import PERMANENT_REASONS, Connection, EventType, Status, TokenGrant, reason
from byoc.oauth.client import App, TokenEndpointClient
from byoc.oauth.grants.base import Grant, grant_for
from byoc.oauth.protocol import SEALED_METADATA, TokenSet, stored_values
from byoc.oauth.registry import Provider, Registry
from byoc.oauth.responses import user_token_answer
from byoc.oauth.scopes import granted_list
from byoc.observability import logger
from byoc.outbound import DEFAULT_DEADLINE_SECONDS
from byoc.settings import Settings
from byoc.usecases.metadata import complete_metadata
from byoc.usecases.retry import Transient, backoff, retry_after_seconds
from byoc.usecases.revocation import Revocations

# A lease outlives the longest refresh (the time budget below plus the writes), so a
# live holder never loses it; a crashed holder's lease lapses after this long.
LEASE_SECONDS = 30
# The provider calls of one refresh, retries and their waits included, end within this.
REFRESH_BUDGET_SECONDS = 12.0
REFRESH_ATTEMPTS = 3
# How long a reader waits for another container's refresh before answering anyway.
WAIT_SECONDS = 10.0
POLL_FIRST_SECONDS = 0.1
POLL_MAX_SECONDS = 1.0
# Lease attempts of one read: a record that changes under us several times gives up.
ROUNDS = 3
# The answers the token function documents (docs/lifecycle.md); anything else fails the invocation.
ERROR_CODES = (
    IntegrationNotConfigured.code,
    ReconnectRequired.code,
    ProviderUnavailable.code,
    InvalidRequest.code,
)


class _RefreshUnavailable(ProviderUnavailable):
    """A refresh failed for now (transient); the caller may still hold a valid token."""

    def __init__(self, reason: str):
        super().__init__()
        self.reason = reason


@dataclass
class TokenService:
    settings: Settings
    store: Store
    cipher: Cipher
    events: EventPublisher
    registry: Registry
    client: TokenEndpointClient
    revocations: Revocations
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

    def get_token(
        self, org_id: str, provider: str, *, force_refresh: bool = False, seen_version: int | None = None
    ) -> dict[str, Any]:
        """A usable access token of ``org_id``'s connection to ``provider``, refreshed if due.

        ``force_refresh``: the provider refused the token handed out as ``seen_version`` (a 401
        before its ``expires_at``). It is refreshed under the lease once per version: a caller
        whose version is already replaced gets the current token, and a storm of 401s causes
        one refresh (the others wait on the lease and read its result).
        """
        spec = self._oauth_provider(provider)
        connection = self.store.get_connection(org_id, spec.id)
        if connection is not None and connection.awaiting_metadata:
            connection = complete_metadata(self, spec, connection)
        connection = _readable(connection)
        now = self.now()
        if not grant_for(spec).renewable(connection):
            return self._token(spec, self._unrefreshable(spec, connection, now))
        forced = force_refresh and (seen_version is None or seen_version == connection.token_version)
        if forced or self._due(connection, now):
            connection = self._refreshed(spec, connection)
        return self._token(spec, connection)

    def _oauth_provider(self, provider_id: str) -> Provider:
        try:
            return self.registry.oauth(provider_id)
        except UnknownProvider:
            raise InvalidRequest("There is no such provider.") from None

    def _token(self, provider: Provider, connection: Connection) -> dict[str, Any]:
        tokens = self.cipher.open_tokens(connection)
        secret_metadata = tokens.get(SEALED_METADATA)
        return {
            "access_token": tokens["access_token"],
            "token_type": tokens.get("token_type") or "Bearer",
            "expires_at": connection.token_expires_at,
            "use_until": self._use_until(connection),
            "token_version": connection.token_version,
            "scopes": granted_list(connection.scopes),
            "metadata": {
                **stored_values(provider, connection.metadata),
                **(secret_metadata if isinstance(secret_metadata, dict) else {}),
            },
            **user_token_answer(tokens),
        }

    def _use_until(self, connection: Connection) -> int | None:
        """Until when the token may be used as handed out: a rotating provider may revoke it once we
        refresh, which happens from ``refresh_at``; a token without refresh token lives to its expiry."""
        if not connection.has_refresh_token:
            return connection.token_expires_at
        return self.refresh_at(connection)

    def _unrefreshable(self, provider: Provider, connection: Connection, now: int) -> Connection:
        """No refresh token: the token is handed out until the provider-given expiry passes."""
        expires_at = connection.token_expires_at
        if expires_at is None or expires_at > now:
            return connection
        self._fail(provider, connection, reason("token_expired"))
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

    def refresh_at(self, connection: Connection) -> int | None:
        """From when a read refreshes this token (so a holder's copy may be replaced then); None: now."""
        expires_at, lifetime = self.expiry(connection)
        if expires_at is None:
            return None  # a refresh token and no idea how old the token is: refresh it
        margin = self.settings.refresh_margin_seconds
        if lifetime is not None and lifetime > 0:
            margin = min(margin, lifetime // 2)
        return expires_at - margin

    def _due(self, connection: Connection, now: int) -> bool:
        refresh_at = self.refresh_at(connection)
        return refresh_at is None or now >= refresh_at

    def _valid(self, connection: Connection, now: int) -> bool:
        expires_at, _ = self.expiry(connection)
        return expires_at is None or expires_at > now

    # Refreshing ----------------------------------------------------------------------

    def refresh_under_lease(self, provider: Provider, connection: Connection) -> str:
        """Refresh one connection if its lease is free (idle refresh): "refreshed", "skipped" (being
        refreshed right now), "failed" (the grant is refused: status error) or "unavailable" (for now)."""
        now = self.now()
        owner = secrets.token_hex(8)
        if not self.store.take_lease(connection, owner=owner, until=now + self.lease_seconds, now=now):
            return "skipped"  # being refreshed right now
        try:
            self._refresh_holding_lease(provider, connection, owner)
        except (ReconnectRequired, IntegrationNotConfigured):
            return "failed"
        except ProviderUnavailable:
            return "unavailable"
        return "refreshed"

    def _refreshed(self, provider: Provider, connection: Connection) -> Connection:
        """The connection with a token that is not due, refreshed here or by another container."""
        for _ in range(ROUNDS):
            owner = secrets.token_hex(8)
            now = self.now()
            if self.store.take_lease(connection, owner=owner, until=now + self.lease_seconds, now=now):
                try:
                    return self._refresh_holding_lease(provider, connection, owner)
                except _RefreshUnavailable:
                    return self._still_valid(connection)
            current = self._wait_for_refresh(connection)
            if _same_version(current, connection):
                return self._still_valid(current)  # the holder gave up, or we waited long enough
            connection = current
            if not self._due(connection, self.now()) or self._valid(connection, self.now()):
                return connection  # refreshed by someone else: never refresh it again right away
        return self._still_valid(connection)

    def _still_valid(self, connection: Connection) -> Connection:
        if connection.tokens and self._valid(connection, self.now()):
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
            lease_live = current.lease_until is not None and current.lease_until > self.now()
            if not lease_live or self.monotonic() >= deadline:
                return current

    def _refresh_holding_lease(self, provider: Provider, connection: Connection, owner: str) -> Connection:
        started = self.monotonic()
        grant = grant_for(provider)
        try:
            key, secrets_ = self.cipher.open_secrets(connection)
            tokens = self.cipher.open_tokens(connection, key)
            app = App.of(provider, connection, secrets_)
            fresh = self._renew(grant, app, tokens, connection)
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
        updated = self._with_fresh(provider, connection, key, grant.kept_tokens(tokens, fresh), fresh)
        try:
            self.store.write_refreshed(updated, expected_token_version=connection.token_version)
        except ConcurrentUpdate:
            return self._lost_write(provider, connection, updated, key, fresh)
        metrics.refresh_latency(provider.id, (self.monotonic() - started) * 1000)
        self.events.publish(
            EventType.REFRESHED, org_id=connection.org_id, provider=provider.id, status=Status.ACTIVE
        )
        return updated

    def _with_fresh(
        self, provider: Provider, connection: Connection, key: DataKey, kept: dict[str, Any], fresh: TokenSet
    ) -> Connection:
        grant = TokenGrant(
            expires_at=fresh.renew_by,
            has_refresh_token=bool(kept.get("refresh_token")),
            scopes=fresh.scope or connection.scopes,
            metadata={**stored_values(provider, connection.metadata), **fresh.metadata},
        )
        return connection.with_tokens(self.cipher.seal_tokens(connection, key, kept), grant, self.now())

    def _renew(self, grant: Grant, app: App, tokens: dict[str, Any], connection: Connection) -> TokenSet:
        """The renewal request, retried on transient failures within the time budget."""
        budget_ends = self.monotonic() + min(self.refresh_budget_seconds, self.lease_seconds / 2)
        attempt = 0
        while True:
            attempt += 1
            outcome = self._attempt(grant, app, tokens, connection)
            if isinstance(outcome, TokenSet):
                return outcome
            delay = max(outcome.retry_after or 0.0, backoff(attempt, self.jitter()))
            out_of_time = self.monotonic() + delay + self.attempt_timeout_seconds > budget_ends
            if attempt >= self.max_attempts or out_of_time:
                raise _RefreshUnavailable(outcome.reason)
            self.sleep(delay)

    def _attempt(
        self, grant: Grant, app: App, tokens: dict[str, Any], connection: Connection
    ) -> TokenSet | Transient:
        """One renewal request. Raises ProviderError (grant refused) or _RefreshUnavailable."""
        try:
            return grant.renew(self.client, app, tokens, connection, self.now())
        except (OutboundTimeout, OutboundConnectError) as exc:
            return Transient(exc.code)
        except (OutboundError, UnsafeUrl) as exc:  # an unreadable answer, a refused host: not now
            raise _RefreshUnavailable(exc.code) from None
        except ProviderError as exc:
            if exc.transient:
                return Transient(exc.reason, retry_after_seconds(exc.retry_after, self.clock()))
            if exc.reason in PERMANENT_REASONS:
                raise
            raise _RefreshUnavailable(exc.reason) from None

    def _refused(self, provider: Provider, connection: Connection, code: str) -> Connection:
        """The provider refused the grant: error status, no more refreshes until reconnect.

        Unless the record moved on meanwhile (another caller refreshed, the org reconnected):
        then the refusal was of a grant already replaced, and the current token is the answer.
        """
        if self._fail(provider, connection, code):
            raise ReconnectRequired()
        current = _readable(self.store.get_connection(connection.org_id, connection.provider))
        if _same_version(current, connection) or not self._valid(current, self.now()):
            raise ReconnectRequired()
        return current

    def _fail(self, provider: Provider, connection: Connection, code: str) -> bool:
        """``status = error`` over the version read; False when the record had moved on."""
        metrics.refresh_failed(provider.id, code)
        logger.warning("connection needs reconnecting", extra={"provider": provider.id, "reason_code": code})
        if not self.store.fail_connection(connection, reason=code):
            return False
        self.events.publish(
            EventType.ERROR, org_id=connection.org_id, provider=provider.id, status=Status.ERROR, reason=code
        )
        return True

    def _release(self, connection: Connection, owner: str) -> None:
        try:
            self.store.release_lease(connection.org_id, connection.provider, owner=owner)
        except Exception as exc:  # the lease lapses by itself
            logger.warning("lease not released", extra={"error_type": type(exc).__name__})

    def _lost_write(
        self, provider: Provider, connection: Connection, updated: Connection, key: DataKey, fresh: TokenSet
    ) -> Connection:
        """Our refresh could not be written: the record moved on (deleted, tokens dropped, saved again)."""
        current = self.store.get_connection(connection.org_id, connection.provider)
        if _only_the_secret_rotated(current, connection):
            assert current is not None
            kept = self._write_over(current, updated)
            if kept is not None:
                return kept
        if current is None or not current.tokens or current.app_fingerprint != connection.app_fingerprint:
            # Nobody will ever use these tokens: revoke them where the provider allows.
            self.revocations.revoke(provider, connection, key=key, tokens=fresh.sealed_value())
        current = _readable(current)
        if not self._valid(current, self.now()):
            raise ProviderUnavailable()
        return current

    def _write_over(self, current: Connection, updated: Connection) -> Connection | None:
        """The refresh's tokens written over ``current`` (same app, newer secret); None if it moved again.

        A rotating provider has already invalidated the refresh token the record holds, so
        dropping these would kill the grant."""
        grant = TokenGrant(
            updated.token_expires_at, updated.has_refresh_token, updated.scopes, updated.metadata
        )
        assert updated.tokens is not None and updated.last_refreshed_at is not None
        kept = current.with_tokens(updated.tokens, grant, updated.last_refreshed_at)
        try:
            self.store.write_refreshed(kept, expected_token_version=current.token_version)
        except ConcurrentUpdate:
            return None
        return kept

    def now(self) -> int:
        return int(self.clock())


# Helpers ----------------------------------------------------------------------------


def _readable(connection: Connection | None) -> Connection:
    """The record if it holds a token we may hand out, else the error the caller gets."""
    if connection is None:
        raise IntegrationNotConfigured()
    if connection.status is Status.ERROR:
        raise ReconnectRequired(connection.reconnect_message())
    if not connection.is_active or not connection.tokens:
        raise IntegrationNotConfigured("This integration is not connected yet: connect it first.")
    return connection


def _only_the_secret_rotated(current: Connection | None, read: Connection) -> bool:
    """The record still holds the tokens we refreshed from, for the same app: only the secret changed."""
    return (
        current is not None
        and current.is_active
        and current.tokens == read.tokens
        and current.app_fingerprint == read.app_fingerprint
    )


def _same_version(a: Connection, b: Connection) -> bool:
    return a.token_version == b.token_version and a.credentials_id == b.credentials_id


def get_token(org_id: str, provider: str) -> dict[str, Any]:
    """For functions in this stack: the same as invoking GetTokenFunction, in process."""
    from byoc import container

    return container.token_service().get_token(org_id, provider)
