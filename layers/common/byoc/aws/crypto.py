"""KMS envelope encryption for connection secrets.

One KMS ``GenerateDataKey`` makes a 256-bit data key; the secrets are sealed
with AES-256-GCM under it and a fresh 96-bit nonce from ``os.urandom``. The
encryption context (org, provider, purpose) binds the data key to its record:
KMS refuses to decrypt it under another org's context, and the same context
bytes (plus the attribute name) are the AES-GCM associated data, so a sealed
value copied into another record or attribute fails to open.

Stored format (bytes)::

    version (1) | len(encrypted data key) (2, big-endian) | encrypted data key | nonce (12) | ciphertext+tag

Tokens are sealed under the same data key as the credentials with a fresh
nonce, so the OAuth callback needs one ``Decrypt`` and no second
``GenerateDataKey``. Plaintext data keys are cached briefly (bounded size,
short TTL, empty at start-up) so warm token reads make no KMS call.
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from byoc.aws import clients
from byoc.errors import ByocError
from byoc.model import Connection

FORMAT_VERSION = 1
NONCE_BYTES = 12
PURPOSE = "connection-secrets"
# The attributes sealed values live in; each is part of its value's associated data.
SECRETS_ATTRIBUTE = "secrets"
TOKENS_ATTRIBUTE = "tokens"
_HEADER = struct.Struct(">BH")


class CredentialsUnreadable(ByocError):
    code = "credentials_unreadable"
    default_message = "The stored credentials could not be read. Save them again."


@dataclass(frozen=True, slots=True)
class DataKey:
    plaintext: bytes
    encrypted: bytes

    def __repr__(self) -> str:  # never print key material
        return f"DataKey(encrypted={len(self.encrypted)} bytes)"


def encryption_context(org_id: str, provider: str) -> dict[str, str]:
    return {"org_id": org_id, "provider": provider, "purpose": PURPOSE}


def _aad(context: dict[str, str], attribute: str) -> bytes:
    canonical = json.dumps(context, sort_keys=True, separators=(",", ":"))
    return canonical.encode() + b"\x00" + attribute.encode()


class DataKeyCache:
    """Plaintext data keys by (encrypted key, context): bounded, short-lived, thread-safe."""

    def __init__(
        self, max_entries: int = 256, ttl_seconds: float = 300.0, clock: Callable[[], float] = time.monotonic
    ):
        self._max = max_entries
        self._ttl = ttl_seconds
        self._clock = clock
        self._entries: OrderedDict[bytes, tuple[float, bytes]] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def _key(encrypted: bytes, context: dict[str, str]) -> bytes:
        return hashlib.sha256(encrypted + _aad(context, "")).digest()

    def get(self, encrypted: bytes, context: dict[str, str]) -> bytes | None:
        key = self._key(encrypted, context)
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if entry[0] <= self._clock():
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return entry[1]

    def put(self, encrypted: bytes, context: dict[str, str], plaintext: bytes) -> None:
        key = self._key(encrypted, context)
        with self._lock:
            self._entries[key] = (self._clock() + self._ttl, plaintext)
            self._entries.move_to_end(key)
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


# Shared by every cipher in the container; empty until the first request fills it.
DATA_KEY_CACHE = DataKeyCache()


class Cipher:
    """Seals and opens JSON objects under KMS data keys."""

    def __init__(self, key_id: str, kms_client: Any = None, cache: DataKeyCache | None = None):
        self._key_id = key_id
        self._kms = kms_client
        self._cache = DATA_KEY_CACHE if cache is None else cache

    @property
    def kms(self) -> Any:
        if self._kms is None:
            self._kms = clients.client("kms")
        return self._kms

    def new_data_key(self, context: dict[str, str]) -> DataKey:
        """One ``GenerateDataKey`` call."""
        answer = self.kms.generate_data_key(KeyId=self._key_id, KeySpec="AES_256", EncryptionContext=context)
        key = DataKey(plaintext=answer["Plaintext"], encrypted=answer["CiphertextBlob"])
        self._cache.put(key.encrypted, context, key.plaintext)
        return key

    def seal(self, key: DataKey, context: dict[str, str], attribute: str, value: dict[str, Any]) -> bytes:
        """Encrypt ``value`` under ``key`` with a fresh nonce. No KMS call."""
        nonce = os.urandom(NONCE_BYTES)
        plaintext = json.dumps(value, separators=(",", ":")).encode()
        sealed = AESGCM(key.plaintext).encrypt(nonce, plaintext, _aad(context, attribute))
        return _HEADER.pack(FORMAT_VERSION, len(key.encrypted)) + key.encrypted + nonce + sealed

    def data_key_of(self, blob: bytes, context: dict[str, str]) -> DataKey:
        """The data key a sealed value was made with: from the cache, else one ``Decrypt``."""
        encrypted, _, _ = _split(blob)
        plaintext = self._cache.get(encrypted, context)
        if plaintext is None:
            try:
                answer = self.kms.decrypt(
                    CiphertextBlob=encrypted, EncryptionContext=context, KeyId=self._key_id
                )
            except Exception as exc:  # KMS refuses foreign contexts and tampered keys alike
                if _is_client_error(exc, {"InvalidCiphertextException", "IncorrectKeyException"}):
                    raise CredentialsUnreadable() from None
                raise
            plaintext = answer["Plaintext"]
            self._cache.put(encrypted, context, plaintext)
        return DataKey(plaintext=plaintext, encrypted=encrypted)

    def open(
        self, blob: bytes, context: dict[str, str], attribute: str, key: DataKey | None = None
    ) -> dict[str, Any]:
        """Decrypt a sealed value; ``key`` skips the lookup when the caller has it already."""
        encrypted, nonce, sealed = _split(blob)
        if key is None or key.encrypted != encrypted:
            key = self.data_key_of(blob, context)
        try:
            plaintext = AESGCM(key.plaintext).decrypt(nonce, sealed, _aad(context, attribute))
        except InvalidTag:
            raise CredentialsUnreadable() from None
        value = json.loads(plaintext)
        if not isinstance(value, dict):
            raise CredentialsUnreadable()
        return value

    # A connection's two sealed attributes ------------------------------------------------

    def open_secrets(self, connection: Connection) -> tuple[DataKey, dict[str, Any]]:
        """The record's data key and its sealed secrets (client secret, keys): at most one ``Decrypt``."""
        if connection.secrets is None:
            raise CredentialsUnreadable()
        context = encryption_context(connection.org_id, connection.provider)
        key = self.data_key_of(connection.secrets, context)
        return key, self.open(connection.secrets, context, SECRETS_ATTRIBUTE, key=key)

    def open_tokens(self, connection: Connection, key: DataKey | None = None) -> dict[str, Any]:
        if connection.tokens is None:
            raise CredentialsUnreadable()
        context = encryption_context(connection.org_id, connection.provider)
        return self.open(connection.tokens, context, TOKENS_ATTRIBUTE, key=key)

    def seal_secrets(self, org_id: str, provider: str, value: dict[str, Any]) -> tuple[DataKey, bytes]:
        """Secrets under a fresh data key (one ``GenerateDataKey``)."""
        context = encryption_context(org_id, provider)
        key = self.new_data_key(context)
        return key, self.seal(key, context, SECRETS_ATTRIBUTE, value)

    def seal_tokens(self, connection: Connection, key: DataKey, value: dict[str, Any]) -> bytes:
        """Tokens under the record's data key, with a fresh nonce: no KMS call."""
        return self.seal(
            key, encryption_context(connection.org_id, connection.provider), TOKENS_ATTRIBUTE, value
        )


def _split(blob: bytes) -> tuple[bytes, bytes, bytes]:
    if len(blob) < _HEADER.size:
        raise CredentialsUnreadable()
    version, key_length = _HEADER.unpack_from(blob)
    if version != FORMAT_VERSION:
        raise CredentialsUnreadable()
    start = _HEADER.size
    encrypted = blob[start : start + key_length]
    nonce = blob[start + key_length : start + key_length + NONCE_BYTES]
    sealed = blob[start + key_length + NONCE_BYTES :]
    if len(encrypted) != key_length or len(nonce) != NONCE_BYTES or len(sealed) < 16:
        raise CredentialsUnreadable()
    return encrypted, nonce, sealed


def _is_client_error(exc: Exception, codes: set[str]) -> bool:
    response = getattr(exc, "response", None)
    return isinstance(response, dict) and response.get("Error", {}).get("Code") in codes
