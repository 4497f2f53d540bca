"""Revoking tokens nobody will use again, at the provider: now if time allows, else queued.

How each provider takes a token back (RFC 7009, a bearer POST, a DELETE, ...) is its
entry's ``revocation`` block, sent by ``byoc.oauth.client``; this module keeps the state.

Tokens are dropped when an org disconnects, drops its tokens, saves another app,
reconnects over a working grant, or loses a write race after a refresh or an
exchange. ``Revocations.revoke`` tries the provider inline when the invocation has
time for it (``INLINE_MIN_SECONDS``) while keeping ``QUEUE_RESERVE_SECONDS`` to queue
what is left; tokens not revoked then (no time, no answer, a 5xx or 429, KMS
unavailable to open them) wait in a ``REVOKE#<id>`` item sealed exactly as they were
in the record (TTL ``RETENTION_SECONDS``), and the queue message names only the ids.
``revoke_waiting`` is the consumer's side: open, revoke, delete; a transient failure
leaves the item for SQS's next delivery (then its dead-letter queue).
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, replace
from typing import Any

from byoc import deadline
from byoc.aws.crypto import Cipher, CredentialsUnreadable, DataKey
from byoc.aws.queue import RevocationQueue
from byoc.aws.store import Store
from byoc.model import Connection
from byoc.oauth.client import App, TokenEndpointClient
from byoc.oauth.grants.base import grant_for
from byoc.oauth.registry import Provider, Registry
from byoc.observability import logger

# Two revocation calls fit in this when the provider answers normally (each is capped by what is left).
INLINE_MIN_SECONDS = 3.0
# Kept back from inline revocation for sealing, writing the item and sending the message.
QUEUE_RESERVE_SECONDS = 2.0
RETENTION_SECONDS = 7 * 86400


@dataclass
class Revocations:
    cipher: Cipher
    client: TokenEndpointClient
    store: Store
    queue: RevocationQueue | None
    registry: Registry

    def revoke(
        self,
        provider: Provider,
        connection: Connection,
        *,
        key: DataKey | None = None,
        tokens: dict[str, Any] | None = None,
    ) -> str:
        """Revoke the tokens sealed in ``connection``, or ``tokens`` (fresh ones never stored, with
        the record's data ``key``): "revoked", "queued" (some or all wait for the consumer) or "none"."""
        if not provider.is_oauth or not connection.secrets or not (tokens or connection.tokens):
            return "none"
        if not _time_for_inline():
            return self._enqueue(connection, key, tokens)
        with deadline.holding_back(QUEUE_RESERVE_SECONDS):
            opened = self._open(provider, connection, tokens)
            if opened is None:  # KMS unavailable: the sealed tokens wait as they are
                return self._enqueue(connection, key, tokens)
            opened_key, app, plain = opened
            left = grant_for(provider).revoke(self.client, app, plain)
        return self._enqueue(connection, key or opened_key, left) if left else "revoked"

    def _open(
        self, provider: Provider, connection: Connection, tokens: dict[str, Any] | None
    ) -> tuple[DataKey, App, dict[str, Any]] | None:
        try:
            key, secrets_ = self.cipher.open_secrets(connection)
            plain = tokens if tokens is not None else self.cipher.open_tokens(connection, key)
        except Exception as exc:
            logger.warning(
                "revocation deferred", extra={"provider": provider.id, "error_type": type(exc).__name__}
            )
            return None
        return key, App.of(provider, connection, secrets_), plain

    def _enqueue(self, connection: Connection, key: DataKey | None, tokens: dict[str, Any] | None) -> str:
        """Write the ``REVOKE#`` item and send its ids; ``tokens`` None: the record's sealed tokens."""
        try:
            if tokens is None:
                sealed = connection.tokens
            elif key is not None:
                sealed = self.cipher.seal_tokens(connection, key, tokens)
            else:  # fresh tokens always come with their key: nothing to seal them with is a bug
                raise ValueError("no data key")
            revocation_id = secrets.token_hex(16)
            self.store.put_revocation(
                replace(connection, tokens=sealed), revocation_id, int(time.time()) + RETENTION_SECONDS
            )
            if self.queue is None:
                logger.warning("revocation queue not configured", extra={"provider": connection.provider})
                return "queued"
            self.queue.send(connection.org_id, connection.provider, revocation_id)
        except Exception as exc:
            logger.error(
                "revocation not queued",
                extra={"provider": connection.provider, "error_type": type(exc).__name__},
            )
            return "none"
        logger.info("revocation queued", extra={"provider": connection.provider})
        return "queued"

    def revoke_waiting(self, org_id: str, provider_id: str, revocation_id: str) -> bool:
        """The consumer: revoke a waiting item's tokens; True when done (nothing left to retry)."""
        waiting = self.store.get_revocation(org_id, revocation_id)
        if waiting is None or waiting.provider != provider_id:
            return True  # done by an earlier delivery, or expired
        provider = self.registry.oauth(provider_id)
        try:
            key, secrets_ = self.cipher.open_secrets(waiting)
            tokens = self.cipher.open_tokens(waiting, key)
        except CredentialsUnreadable:  # sealed for another record: it will never open
            logger.error("revocation impossible", extra={"provider": provider_id})
            self.store.delete_revocation(org_id, revocation_id)
            return True
        left = grant_for(provider).revoke(self.client, App.of(provider, waiting, secrets_), tokens)
        if left:
            return False
        self.store.delete_revocation(org_id, revocation_id)
        return True


def _time_for_inline() -> bool:
    left = deadline.remaining()
    return left is None or left >= INLINE_MIN_SECONDS + QUEUE_RESERVE_SECONDS
