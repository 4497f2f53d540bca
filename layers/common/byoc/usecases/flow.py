"""The authorization-code flow with the org's own OAuth app: start and callback.

Start (``GET /oauth/start``): one GetItem (the org's record: the client id is
stored in clear, so no KMS call), one PutItem (the state, keyed by its hash).

Callback (``GET /oauth/callback/{provider}``): one conditional DeleteItem consumes
the state (single use, expiry and provider in the condition), one GetItem, one
Decrypt (the client secret; the tokens are sealed under the same data key with a
fresh nonce), the token request, and one conditional PutItem. The browser always
ends at a configured frontend origin (the one that started the flow, when
``FRONTEND_URL`` lists it; else the first) plus a path checked at start.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from urllib.parse import parse_qsl, urlencode, urlsplit

from byoc import metrics
from byoc.aws.crypto import Cipher
from byoc.aws.events import EventPublisher
from byoc.aws.faults import as_error, error_code
from byoc.aws.store import Store
from byoc.errors import (
    ConcurrentUpdate,
    ConfigurationError,
    IntegrationNotConfigured,
    InvalidRequest,
    InvalidState,
    NotInteractive,
    OutboundError,
    ProviderError,
    ServiceUnavailable,
    StorageFailed,
    UnsafeUrl,
)
from byoc.model import (
    Connection,
    EventType,
    OAuthState,
    Principal,
    Status,
    TokenGrant,
    reason,
    reason_message,
    require_admin,
)
from byoc.oauth import protocol
from byoc.oauth.client import App, TokenEndpointClient
from byoc.oauth.lookups import with_lookups
from byoc.oauth.registry import Provider, Registry, redirect_uri
from byoc.observability import logger
from byoc.settings import Settings
from byoc.usecases.revocation import Revocations

STATE_TTL_SECONDS = 600
BINDING_COOKIE = "byoc_oauth_binding"
_STATE_SHAPE = re.compile(r"^[A-Za-z0-9_-]{20,128}$")
# The callback's status when the code waits for the user who started (POST /oauth/complete).
PENDING_COMPLETION = "pending_completion"
# The query parameters the callback adds to the frontend URL; return_to may not carry them.
RESERVED_PARAMETERS = frozenset({"integration", "status", "error", "completion"})
_RETURN_PATH = re.compile(r"^/[A-Za-z0-9\-._~!$&'()*+,;=:@%/?]*$")


def state_hash(value: str) -> str:
    return hashlib.sha256(value.encode("ascii")).hexdigest()


def check_return_to(value: str | None) -> str:
    """A same-origin path (with an optional query) on the frontend; anything else is refused.

    Refuses scheme-relative (``//evil.com``), backslash (``/\\evil.com``), schemes
    (``javascript:``), fragments and control characters.
    """
    if value is None or value == "":
        return "/"
    if len(value) > 512 or not _RETURN_PATH.match(value) or value.startswith("//"):
        raise InvalidRequest("return_to must be a path on the frontend, such as /settings/integrations.")
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or parts.fragment:
        raise InvalidRequest("return_to must be a path on the frontend, such as /settings/integrations.")
    reserved = {name for name, _ in parse_qsl(parts.query, keep_blank_values=True)} & RESERVED_PARAMETERS
    if reserved:  # they would shadow the outcome the callback adds for a frontend reading the first value
        names = ", ".join(sorted(reserved))
        raise InvalidRequest(f"return_to must not carry the parameters the callback adds ({names}).")
    return value


@dataclass(frozen=True, slots=True)
class StartResult:
    authorize_url: str
    cookie: str | None


@dataclass(frozen=True, slots=True)
class CallbackParams:
    state: str | None
    code: str | None
    error: str | None
    iss: str | None
    extra: dict[str, str]
    binding_cookie: str | None


@dataclass
class FlowService:
    settings: Settings
    store: Store
    cipher: Cipher
    events: EventPublisher
    registry: Registry
    client: TokenEndpointClient
    revocations: Revocations
    clock: Callable[[], float] = time.time

    def _now(self) -> float:
        return float(self.clock())

    # Start ---------------------------------------------------------------------------

    def start(
        self,
        principal: Principal,
        provider_id: str | None,
        return_to: str | None,
        api_base_url: str,
        origin: str | None = None,
    ) -> StartResult:
        """The authorize URL (and binding cookie); ``origin`` is the calling page's, kept when listed."""
        provider, connection = self._configured(principal, provider_id)
        path = check_return_to(return_to)
        endpoints = protocol.resolve_endpoints(
            provider, connection.config, allow_local_http=self.settings.allow_local_http
        )
        state = secrets.token_urlsafe(32)
        verifier = protocol.new_code_verifier() if provider.oauth and provider.oauth.pkce else None
        binding = secrets.token_urlsafe(32) if self.settings.browser_binding else None
        callback_uri = redirect_uri(api_base_url, provider.id)
        self.store.put_state(
            OAuthState(
                state_hash=state_hash(state),
                org_id=principal.org_id,
                user_id=principal.user_id,
                provider=provider.id,
                redirect_uri=callback_uri,
                token_url=endpoints.token_url,
                credentials_id=connection.credentials_id,
                app_fingerprint=connection.app_fingerprint,
                return_to=path,
                expires_at=int(self._now()) + STATE_TTL_SECONDS,
                code_verifier=verifier,
                issuer=endpoints.issuer,
                iss_required=endpoints.iss_required,
                binding_hash=state_hash(binding) if binding else None,
                scopes_asked=protocol.scopes_asked(provider, connection.config),
                frontend_origin=origin if origin in self.settings.frontend_origins else None,
            )
        )
        url = self._authorize_url(provider, connection, endpoints, callback_uri, state, verifier)
        return StartResult(authorize_url=url, cookie=self._binding_cookie(binding, callback_uri))

    def _configured(self, principal: Principal, provider_id: str | None) -> tuple[Provider, Connection]:
        require_admin(principal)
        if not provider_id:
            raise InvalidRequest("Name the provider: /oauth/start?provider=<id>.")
        provider = self.registry.oauth(provider_id)
        if not provider.interactive:
            raise NotInteractive()
        connection = self.store.get_connection(principal.org_id, provider.id)
        if connection is None or not connection.client_id:
            raise IntegrationNotConfigured()
        return provider.for_config(connection.config), connection

    def _authorize_url(
        self,
        provider: Provider,
        connection: Connection,
        endpoints: protocol.Endpoints,
        callback_uri: str,
        state: str,
        verifier: str | None,
    ) -> str:
        assert connection.client_id is not None
        return protocol.build_authorize_url(
            provider,
            authorize_url=endpoints.authorize_url,
            client_id=connection.client_id,
            redirect_uri=callback_uri,
            state=state,
            code_verifier=verifier,
            scopes=protocol.requested_scopes(provider, connection.config),
            config=connection.config,
        )

    def _binding_cookie(self, value: str | None, callback_uri: str) -> str | None:
        if value is None:
            return None
        parts = urlsplit(callback_uri)
        secure = "; Secure" if parts.scheme == "https" else ""
        return (
            f"{BINDING_COOKIE}={value}; Path={parts.path}; Max-Age={STATE_TTL_SECONDS}; "
            f"HttpOnly; SameSite=Lax{secure}"
        )

    # Callback ------------------------------------------------------------------------

    def callback(self, provider_id: str, params: CallbackParams) -> str:
        """Finish the flow; returns where to send the browser (always on the frontend origin)."""
        provider = self.registry.get(provider_id)
        if not provider.interactive or not params.state or not _STATE_SHAPE.match(params.state):
            raise InvalidState()
        # A fault before this point answers 503 (the state is intact: the browser may retry the URL).
        state = self.store.consume_state(state_hash(params.state), provider.id, int(self._now()))
        if provider.oauth and provider.oauth.code_param and not params.code:  # Amazon's spapi_oauth_code
            params = replace(params, code=params.extra.get(provider.oauth.code_param))
        completion = None
        try:
            outcome, completion = self._finish(provider, state, params)
        except Exception as exc:
            outcome = self._faulted(state, exc)
        if completion is None:
            self._count(provider, outcome)
        return self._frontend_location(state, provider.id, outcome, completion)

    def _count(self, provider: Provider, outcome: str | None) -> None:
        if outcome is None:
            metrics.connection_activated(provider.id)
        else:
            metrics.exchange_failed(provider.id, outcome)

    def _finish(
        self, provider: Provider, state: OAuthState, params: CallbackParams
    ) -> tuple[str | None, str | None]:
        """Run the checks, then exchange (a cookie-bound flow) or park the code for its user:
        (an error code or None, the completion handle of a parked code)."""
        if not _same_browser(state, params):
            return reason("browser_binding_failed"), None
        if params.error is not None:  # the provider's answer: the connection records it
            denied = protocol.reason_code(params.error, default=reason("authorization_failed"))
            self._record_failure(state, denied)
            return denied, None
        refused = _callback_refusal(state, params)
        if refused is not None:
            self._record_failure(state, refused, _refusal_message(state, params, refused))
            return refused, None
        connection = self.store.get_connection(state.org_id, state.provider)
        if connection is None or not same_app(state, connection):
            return reason("credentials_changed"), None
        if not state.binding_hash:  # nothing ties this browser to the user who started: they complete
            from byoc.usecases.completion import park

            return None, park(self, state, params, connection)
        return self.exchange(provider, state, params, connection), None

    def exchange(
        self, provider: Provider, state: OAuthState, params: CallbackParams, connection: Connection
    ) -> str | None:
        """Exchange the code and store the tokens; an error code (recorded), or None on success."""
        try:
            complete = self._exchange_and_store(provider, state, params, connection)
        except ProviderError as exc:
            self._record_failure(state, exc.reason)
            return exc.reason
        except OutboundError as exc:
            self._record_failure(state, exc.code)
            return exc.code
        except UnsafeUrl as exc:  # the host's DNS moved to a private address since it was saved
            self._record_failure(state, exc.code)
            return exc.code
        except ConcurrentUpdate:
            return reason("credentials_changed")
        except StorageFailed:
            self._record_failure(state, StorageFailed.code)
            return StorageFailed.code
        return None if complete else reason("metadata_unavailable")

    def _exchange_and_store(
        self, provider: Provider, state: OAuthState, params: CallbackParams, connection: Connection
    ) -> bool:
        """Exchange, look up, store; whether every required metadata value was found."""
        key, secrets_ = self.cipher.open_secrets(connection)
        app = App.of(provider, connection, secrets_)
        tokens = self.client.exchange(
            app,
            token_url=state.token_url,
            code=params.code or "",
            redirect_uri=state.redirect_uri,
            code_verifier=state.code_verifier,
            callback_params=params.extra,
            now=self._now(),
        )
        tokens, complete = with_lookups(self.client.outbound, provider, dict(connection.config), tokens)
        has_refresh = tokens.refresh_token is not None
        grant = TokenGrant(
            tokens.renew_by, has_refresh, tokens.scope, tokens.metadata, asked=state.scopes_asked
        )
        sealed = self.cipher.seal_tokens(connection, key, tokens.sealed_value())
        try:
            self._store_tokens(connection, sealed, grant, complete)
        except ConcurrentUpdate:
            # The app changed while the user was at the provider: these tokens belong to an
            # app the org no longer uses. Drop them, revoking where possible.
            self.revocations.revoke(provider, connection, key=key, tokens=tokens.sealed_value())
            raise
        except Exception as exc:
            # Retries (boto3 standard mode) are spent. The code is used up, so the user must
            # reconnect; the saved client id and secret are untouched, the tokens revoked.
            logger.error(
                "token write failed", extra={"provider": provider.id, "error_type": type(exc).__name__}
            )
            self.revocations.revoke(provider, connection, key=key, tokens=tokens.sealed_value())
            raise StorageFailed() from None
        self._connected(provider, connection, complete)
        return complete

    def _store_tokens(self, connection: Connection, sealed: bytes, grant: TokenGrant, complete: bool) -> None:
        """Write the tokens over the record read; once more over a newer one of the same app (a
        secret rotated during the exchange); ConcurrentUpdate when the app itself changed."""
        now = int(self._now())
        try:
            self.store.replace_connection(
                connection.with_tokens(sealed, grant, now).settled(metadata_complete=complete),
                expected_token_version=connection.token_version,
                expected_credentials_id=connection.credentials_id,
            )
            return
        except ConcurrentUpdate:
            current = self.store.get_connection(connection.org_id, connection.provider)
            if current is None or current.app_fingerprint != connection.app_fingerprint:
                raise
        self.store.replace_connection(
            current.with_tokens(sealed, grant, now).settled(metadata_complete=complete),
            expected_token_version=current.token_version,
            expected_credentials_id=current.credentials_id,
        )

    def _connected(self, provider: Provider, connection: Connection, complete: bool) -> None:
        """After the write: the replaced grant revoked, and ``connection.active`` when the status changed."""
        if connection.tokens:  # a reconnect over a working grant: the previous tokens go
            self.revocations.revoke(provider, connection)
        if complete and not connection.is_active:
            self.events.publish(
                EventType.ACTIVE, org_id=connection.org_id, provider=connection.provider, status=Status.ACTIVE
            )

    def _record_failure(self, state: OAuthState, code: str, message: str | None = None) -> None:
        """``status = error`` with the reason, unless the connection is active (it keeps working)."""
        try:
            changed = self.store.set_status(
                state.org_id,
                state.provider,
                Status.ERROR,
                reason=code,
                message=message or reason_message(code),
                expected_credentials_id=state.credentials_id,
                unless_active=True,
            )
        except Exception as exc:
            logger.error(
                "status write failed", extra={"provider": state.provider, "error_type": type(exc).__name__}
            )
            return
        if changed:
            self.events.publish(
                EventType.ERROR,
                org_id=state.org_id,
                provider=state.provider,
                status=Status.ERROR,
                reason=code,
            )

    def _faulted(self, state: OAuthState, exc: Exception) -> str:
        """After the state is spent, an AWS fault still ends at the frontend, recorded best effort."""
        error = as_error(exc)
        if error is None or error.code not in (ServiceUnavailable.code, ConfigurationError.code):
            raise exc
        logger.error(
            "callback failed",
            extra={"provider": state.provider, "error_code": error.code, "aws_error": error_code(exc)},
        )
        self._record_failure(state, error.code)
        return error.code

    def _frontend_location(
        self, state: OAuthState, provider_id: str, error: str | None, completion: str | None = None
    ) -> str:
        query = {"integration": provider_id, "status": (Status.ERROR if error else Status.ACTIVE).value}
        if completion:
            query.update(status=PENDING_COMPLETION, completion=completion)
        if error:
            query["error"] = error
        joiner = "&" if "?" in state.return_to else "?"
        # The origin is checked again: FRONTEND_URL may have changed since the flow started.
        frontend = self.settings.frontend_origin_for(state.frontend_origin)
        return frontend + state.return_to + joiner + urlencode(query)


def same_app(state: OAuthState, connection: Connection) -> bool:
    """The record still holds the app the flow started with (a rotated secret is the same app)."""
    if state.app_fingerprint is None:  # a state written by the previous release
        return connection.credentials_id == state.credentials_id
    return connection.app_fingerprint == state.app_fingerprint


def _same_browser(state: OAuthState, params: CallbackParams) -> bool:
    """The callback carries the binding cookie of the browser that started (when binding is on)."""
    if not state.binding_hash:
        return True
    return bool(params.binding_cookie) and state_hash(params.binding_cookie or "") == state.binding_hash


def _callback_refusal(state: OAuthState, params: CallbackParams) -> str | None:
    """Why a callback with no provider error still cannot be exchanged, or None."""
    if state.issuer and params.iss is not None and params.iss != state.issuer:
        return reason("issuer_mismatch")
    if state.iss_required and params.iss is None:  # (a provider's error callback is reported before)
        return reason("issuer_missing")
    if not params.code:
        return reason("invalid_callback")
    return None


_PRINTABLE_ISSUER = re.compile(r"^[\x21-\x7e]{1,200}$")


def _refusal_message(state: OAuthState, params: CallbackParams, code: str) -> str | None:
    """Which issuer the callback named against the one the org's discovery document names."""
    if code != reason("issuer_mismatch") or not state.issuer:
        return None
    named = params.iss if params.iss and _PRINTABLE_ISSUER.match(params.iss) else "an unreadable value"
    return (
        f"The callback names the issuer {named}, but the org's discovery document names "
        f"{state.issuer}: check the issuer URL saved for this integration."
    )
