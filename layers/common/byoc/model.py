"""The connection model: records, statuses, reason codes and event types, apart from any storage.

Everything here is plain data with no AWS, HTTP or crypto import, so every layer
(the DynamoDB store, the use cases, the views) can share it. The reason codes are
the one list of what ``status_reason``, ``detail.reason`` of ``connection.error``
and the callback's ``error=`` may say; ``docs/api.md``'s table is generated from it.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from dataclasses import dataclass, field, replace
from enum import StrEnum

from byoc.errors import Forbidden

# Org and user ids: printable ASCII without the separators our keys use; generous but bounded.
ID_PATTERN = re.compile(r"^[A-Za-z0-9._:@|+=/-]{1,128}$")
PROVIDER_ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


class Status(StrEnum):
    """A connection's lifecycle state (docs/lifecycle.md)."""

    PENDING_SETUP = "pending_setup"
    ACTIVE = "active"
    ERROR = "error"


class EventType(StrEnum):
    """``connection.<type>`` on the stack's event bus."""

    PENDING_SETUP = "pending_setup"
    ACTIVE = "active"
    ERROR = "error"
    REFRESHED = "refreshed"
    DISCONNECTED = "disconnected"


# Records written before ``status`` existed read as active (the plan's default).
DEFAULT_STATUS = Status.ACTIVE


@dataclass(frozen=True, slots=True)
class Reason:
    """A stable code for why a connection attempt, refresh or token read failed."""

    code: str
    message: str
    # From the provider: an OAuth error code passed on as it was sent (RFC 6749, OpenID Connect).
    oauth: bool = False
    # Refreshing again cannot help: the org must reconnect.
    permanent: bool = False


_REASONS = (
    # OAuth error codes a provider may send (RFC 6749 §4.1.2.1 and §5.2, OpenID Connect Core §3.1.2.6).
    Reason("access_denied", "The user or the provider declined the authorization.", oauth=True),
    Reason("invalid_client", "The provider refused the client id or secret.", oauth=True, permanent=True),
    Reason("invalid_grant", "The grant was revoked, expired or already used.", oauth=True, permanent=True),
    Reason("invalid_request", "The provider found the request malformed.", oauth=True),
    Reason("invalid_scope", "The provider refused the scopes asked for.", oauth=True),
    Reason(
        "unauthorized_client",
        "The provider does not allow this app to use this grant.",
        oauth=True,
        permanent=True,
    ),
    Reason("unsupported_grant_type", "The provider does not support this grant.", oauth=True),
    Reason("unsupported_response_type", "The provider does not support this response type.", oauth=True),
    Reason("server_error", "The provider failed while authorizing.", oauth=True),
    Reason("temporarily_unavailable", "The provider is temporarily unavailable.", oauth=True),
    Reason("interaction_required", "The provider needs the user to interact.", oauth=True),
    Reason("login_required", "The provider needs the user to sign in.", oauth=True),
    Reason("consent_required", "The provider needs the user's consent.", oauth=True),
    Reason("account_selection_required", "The provider needs the user to pick an account.", oauth=True),
    Reason("invalid_request_uri", "The provider refused the request URI.", oauth=True),
    Reason("invalid_request_object", "The provider refused the request object.", oauth=True),
    Reason("request_not_supported", "The provider does not support request objects.", oauth=True),
    Reason("registration_not_supported", "The provider does not support registration.", oauth=True),
    # Ours: the callback's own checks.
    Reason("authorization_failed", "The provider reported an error it did not name."),
    Reason("browser_binding_failed", "The callback came from another browser than the one that started."),
    Reason("issuer_mismatch", "The callback names another issuer than the org's."),
    Reason("issuer_missing", "The callback carries no issuer (iss), which this issuer always sends."),
    Reason("invalid_callback", "The callback carried neither a code nor an error."),
    Reason("credentials_changed", "The org saved other credentials while the user was at the provider."),
    Reason("storage_failed", "The tokens could not be saved: connect again."),
    # Ours: the provider's answer.
    Reason("provider_error", "The provider answered with an error it did not name."),
    Reason("invalid_token_response", "The provider's token answer could not be used."),
    Reason("untrusted_token_host", "The provider named a token host outside its allowed hosts."),
    Reason(
        "metadata_unavailable",
        "Connected, but the provider did not say what calling its API needs (an account or site id): "
        "the next token read asks again.",
    ),
    Reason("provider_unavailable", "The provider is unavailable (5xx or 429)."),
    Reason("provider_call_failed", "The provider did not answer properly."),
    Reason("provider_timeout", "The provider did not answer in time."),
    Reason("provider_unreachable", "The provider could not be reached."),
    Reason("provider_response_too_large", "The provider's answer is larger than allowed."),
    Reason("provider_bad_response", "The provider's answer could not be read."),
    Reason(
        "unsafe_url",
        "The provider's address is not allowed now (for example it resolves to a private network).",
    ),
    # Ours: an AWS service we use failed.
    Reason("service_unavailable", "The service was briefly unavailable: connect again in a moment."),
    Reason("misconfigured", "The service is not configured correctly: ask its operator to check it."),
    # Ours: the token read.
    Reason("token_expired", "The token expired and there is no refresh token: reconnect."),
)

REASONS: dict[str, Reason] = {reason.code: reason for reason in _REASONS}
OAUTH_ERROR_CODES = frozenset(code for code, reason in REASONS.items() if reason.oauth)
PERMANENT_REASONS = frozenset(code for code, reason in REASONS.items() if reason.permanent)


def reason(code: str) -> str:
    """``code`` itself, checked against the list (a typo fails the first test that reaches it)."""
    if code not in REASONS:
        raise ValueError(f"unknown reason code {code}")
    return code


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: an org and a user, from the authorizer's claims (``byoc.api.auth``)."""

    org_id: str
    user_id: str
    is_admin: bool = False


def require_admin(principal: Principal) -> None:
    if not principal.is_admin:
        raise Forbidden()


def reason_message(code: str) -> str | None:
    """What a person reads beside ``status_reason``: what happened and what to do."""
    known = REASONS.get(code)
    return known.message if known else None


# Settings that shape what is asked for, not which app answers (per-org scopes): not in the fingerprint.
_NOT_THE_APP = frozenset({"scopes", "user_scopes", "iss_parameter_supported"})


def app_fingerprint(provider: str, client_id: str | None, config: dict[str, str]) -> str:
    """ "Same app" decided once: a hash of the provider entry (and so its grant), the client id and
    the settings that resolve the endpoints (tenant fields, issuer and discovered endpoints, variant).

    A rotated client secret keeps it, so the tokens stay; any other change of the app gives another
    fingerprint, and the tokens are dropped and revoked. It is computed from the record's clear
    fields, so records of every release have one without a migration.
    """
    app = {k: v for k, v in sorted(config.items()) if k not in _NOT_THE_APP}
    canonical = json.dumps(["app-v1", provider, client_id or "", app], separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:32]


def now_iso(now: float | None = None) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() if now is None else now))


@dataclass(slots=True)
class ListedConnection:
    """What the list reads of a connection (its projection): no sealed secrets, no tokens.

    Not frozen and only these fields: the list function builds one per connection per request.
    """

    provider: str
    status: Status
    client_id: str | None
    config: dict[str, str]
    metadata: dict[str, str]
    scopes: str | None  # granted
    scopes_asked: str | None
    status_reason: str | None
    status_message: str | None
    updated_at: str

    @property
    def is_active(self) -> bool:
        return self.status is Status.ACTIVE


@dataclass(frozen=True, slots=True)
class Connection:
    """One org's connection to one provider. ``secrets`` and ``tokens`` are sealed bytes."""

    org_id: str
    provider: str
    status: Status
    credentials_id: str
    client_id: str | None = None
    config: dict[str, str] = field(default_factory=dict)
    secrets: bytes | None = None
    tokens: bytes | None = None
    token_version: int = 0
    token_expires_at: int | None = None
    has_refresh_token: bool = False
    scopes: str | None = None  # what the provider granted (its token answer's ``scope``)
    # What the grant was asked for (``byoc.oauth.scopes.asked_fingerprint``); None before this existed.
    scopes_asked: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    status_reason: str | None = None
    status_message: str | None = None
    created_at: str = ""
    updated_at: str = ""
    last_refreshed_at: int | None = None
    lease_until: int | None = None
    # Idle refreshes that failed for now in a row (the refresh queue's backoff); 0 after a success.
    refresh_failures: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "status", Status(self.status))

    @property
    def is_active(self) -> bool:
        return self.status is Status.ACTIVE

    def reconnect_message(self) -> str | None:
        """What a token caller reads about an ``error`` connection: the reason, and whether it had a grant."""
        recorded = self.status_message or reason_message(self.status_reason or "")
        if not self.tokens:  # it never had a grant: nothing was revoked or expired
            why = recorded or "no reason was recorded."
            return f"Connecting failed: {why} Fix the app if needed, then connect."
        return f"{recorded} Reconnect the integration." if recorded else None

    @property
    def app_fingerprint(self) -> str:
        """Which app this record's tokens belong to (``app_fingerprint``); the secret is not part of it."""
        return app_fingerprint(self.provider, self.client_id, self.config)

    def with_tokens(self, sealed: bytes, grant: TokenGrant, now: int) -> Connection:
        """This record holding newly obtained tokens (an exchange or a refresh): the next version."""
        return replace(
            self,
            tokens=sealed,
            token_version=self.token_version + 1,
            token_expires_at=grant.expires_at,
            has_refresh_token=grant.has_refresh_token,
            scopes=grant.scopes,
            scopes_asked=grant.asked or self.scopes_asked,
            metadata=grant.metadata,
            last_refreshed_at=now,
            refresh_failures=0,
            updated_at=now_iso(now),
            lease_until=None,
        )

    def activated(self) -> Connection:
        """This record as ``active``, with no reason left from an earlier failure."""
        return replace(self, status=Status.ACTIVE, status_reason=None, status_message=None)

    def settled(self, *, metadata_complete: bool) -> Connection:
        """After new tokens: ``active``, or ``error`` with ``metadata_unavailable`` (tokens kept) when a
        required lookup did not answer."""
        if metadata_complete:
            return self.activated()
        code = "metadata_unavailable"
        return replace(self, status=Status.ERROR, status_reason=code, status_message=reason_message(code))

    @property
    def awaiting_metadata(self) -> bool:
        return (
            self.status is Status.ERROR and self.status_reason == "metadata_unavailable" and bool(self.tokens)
        )

    def carrying_tokens_of(self, existing: Connection) -> Connection:
        """These new credentials with ``existing``'s tokens and status (a rotated secret)."""
        return replace(
            self,
            status=existing.status,
            status_reason=existing.status_reason,
            status_message=existing.status_message,
            tokens=existing.tokens,
            token_version=existing.token_version + 1,
            token_expires_at=existing.token_expires_at,
            has_refresh_token=existing.has_refresh_token,
            scopes=existing.scopes,
            scopes_asked=existing.scopes_asked,
            metadata=existing.metadata,
            last_refreshed_at=existing.last_refreshed_at,
        )


@dataclass(frozen=True, slots=True)
class TokenGrant:
    """What a record keeps in clear about its tokens (the tokens themselves are sealed)."""

    expires_at: int | None
    has_refresh_token: bool
    scopes: str | None
    metadata: dict[str, str]
    # What this grant was asked for (an exchange; a refresh keeps the record's).
    asked: str | None = None


@dataclass(frozen=True, slots=True)
class OAuthState:
    """What the callback needs, saved at start under the hash of the state value."""

    state_hash: str
    org_id: str
    user_id: str
    provider: str
    redirect_uri: str
    token_url: str
    credentials_id: str
    return_to: str
    expires_at: int
    code_verifier: str | None = None
    issuer: str | None = None
    binding_hash: str | None = None
    # The app the flow started with (states written before it existed have none).
    app_fingerprint: str | None = None
    # The callback must carry ``iss`` (RFC 9207).
    iss_required: bool = False
    # What the authorize request asked for (``byoc.oauth.scopes.asked_fingerprint``).
    scopes_asked: str | None = None
    # The frontend origin that started the flow, when FRONTEND_URL lists it (states written
    # before it existed, or started from an unlisted page, have none: the first origin is used).
    frontend_origin: str | None = None
