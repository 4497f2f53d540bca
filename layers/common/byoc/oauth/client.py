"""The one client of a provider's token endpoint: exchange, refresh, introspection and revocation.

Protocol apart from transport, as authlib does it: ``byoc.oauth.protocol`` builds each
request and reads each answer as pure functions; this module resolves the endpoints,
sends the request through ``byoc.outbound`` (the only module that opens connections)
under the entry's host rules, and hands the answer back to the protocol code. The use
cases keep only state handling (records, leases, retries).

Revocation is best effort and bounded in time: a provider without a revocation
endpoint, or one that fails, never blocks the user's action, and a failure is logged
without the token. Each entry says how its provider revokes (``byoc.oauth.revocation``:
RFC 7009, a bearer POST, a DELETE, a JSON body, the token in the query, or none).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from byoc.errors import OutboundError, ProviderError, UnsafeUrl
from byoc.model import Connection
from byoc.oauth import answers, protocol, revocation
from byoc.oauth.protocol import Endpoints, TokenRequest, TokenSet
from byoc.oauth.registry import OAuthSpec, Provider
from byoc.oauth.responses import UserToken
from byoc.observability import logger
from byoc.outbound import TOKEN_RESPONSE_MAX_BYTES, OutboundClient, OutboundResponse


@dataclass(frozen=True, slots=True)
class App:
    """The org's own OAuth app as the token endpoint sees it: the entry, client id and secret, settings."""

    provider: Provider
    client_id: str
    client_secret: str = field(repr=False)
    config: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, provider: Provider, connection: Connection, secrets: Mapping[str, Any]) -> App:
        """The app of a stored connection, given its opened secrets."""
        return cls(
            provider=provider.for_config(connection.config),
            client_id=connection.client_id or "",
            client_secret=str(secrets.get("client_secret", "")),
            config=connection.config,
        )


class TokenEndpointClient:
    """Token-endpoint requests for an org's app, each sent once (retry policy is the caller's)."""

    def __init__(self, outbound: OutboundClient, *, allow_local_http: bool):
        self.outbound = outbound
        self.allow_local_http = allow_local_http

    def endpoints(self, app: App) -> Endpoints:
        """The app's endpoints, every URL checked (raises UnsafeUrl)."""
        return protocol.resolve_endpoints(
            app.provider, dict(app.config), allow_local_http=self.allow_local_http
        )

    # Grants ------------------------------------------------------------------------

    def exchange(
        self,
        app: App,
        *,
        token_url: str,
        code: str,
        redirect_uri: str,
        code_verifier: str | None,
        callback_params: dict[str, str],
        now: float,
    ) -> TokenSet:
        """Exchange an authorization code: one POST (never repeated, a code is single use)."""
        params = protocol.code_exchange_params(
            app.provider,
            code=code,
            redirect_uri=redirect_uri,
            code_verifier=code_verifier,
            config=dict(app.config),
        )
        url = protocol.callback_token_url(
            app.provider, token_url, protocol.callback_values(app.provider, callback_params)
        )
        tokens = self.request_tokens(
            app.provider, self._request(app, url, params), now=now, callback_params=callback_params
        )
        return self._with_expiry(app, tokens, now)

    def refresh(self, app: App, *, refresh_token: str, metadata: dict[str, str], now: float) -> TokenSet:
        """One refresh request; a transient refusal is a ``ProviderError`` with ``retry_after``."""
        endpoints = self.endpoints(app)
        url = protocol.callback_token_url(
            app.provider, endpoints.refresh_url, protocol.stored_values(app.provider, metadata)
        )
        params = protocol.refresh_params(app.provider, refresh_token=refresh_token, config=dict(app.config))
        tokens = self.request_tokens(app.provider, self._request(app, url, params), now=now)
        return self._with_expiry(app, tokens, now)

    def client_credentials(self, app: App, *, now: float) -> TokenSet:
        """Mint a token with the app's own credentials (RFC 6749 §4.4): one POST, no refresh token."""
        url = self.endpoints(app).token_url
        params = protocol.client_credentials_params(app.provider, dict(app.config))
        tokens = self.request_tokens(app.provider, self._request(app, url, params), now=now)
        return self._with_expiry(app, tokens, now)

    def refresh_user(
        self, app: App, fresh: TokenSet, *, refresh_token: str, metadata: dict[str, str], now: float
    ) -> TokenSet:
        """``fresh`` with the user token refreshed too (Slack: the same endpoint, the user's refresh
        token). The main token is already renewed (and its refresh token rotated), so a failure
        here keeps ``fresh`` as it is: the stored user token stays until the next refresh."""
        try:
            user = self.refresh(app, refresh_token=refresh_token, metadata=metadata, now=now)
        except (ProviderError, OutboundError, UnsafeUrl) as exc:
            logger.warning(
                "user token refresh failed",
                extra={"provider": app.provider.id, "error_type": type(exc).__name__},
            )
            return fresh
        return replace(fresh, user=UserToken(user.access_token, user.refresh_token, user.expires_at))

    def _with_expiry(self, app: App, tokens: TokenSet, now: float) -> TokenSet:
        """An answer without an expiry: the entry's introspection endpoint (RFC 7662) may give ``exp``.

        Optional and bounded: no endpoint, a failure or an unbelievable ``exp`` keeps the
        default lifetime (``expires_at`` None), and the token is never logged.
        """
        if tokens.expires_at is not None or not (app.provider.oauth and app.provider.oauth.introspection_url):
            return tokens
        try:
            url = self.endpoints(app).introspection_url
            if not url:
                return tokens
            params = {"token": tokens.access_token, "token_type_hint": "access_token"}
            response = self.post(app.provider, self._request(app, url, params))
        except Exception as exc:
            logger.warning(
                "introspection failed", extra={"provider": app.provider.id, "error_type": type(exc).__name__}
            )
            return tokens
        expires_at = (
            answers.introspected_expiry(response.body, int(now)) if response.status_code == 200 else None
        )
        if expires_at is None:
            logger.warning(
                "introspection gave no expiry",
                extra={"provider": app.provider.id, "status_code": response.status_code},
            )
            return tokens
        return replace(tokens, expires_at=expires_at)

    def revoke(self, app: App, tokens: Mapping[str, Any]) -> dict[str, str]:
        """Revoke the tokens the entry's ``revocation`` block names, the way it says.

        Returns the tokens worth trying again later (no answer, a 5xx or a 429);
        an accepted token, a refused one (4xx: the provider will not take it) and an
        entry without revocation (``none``) leave nothing to retry.
        """
        spec = app.provider.oauth
        if spec is None or not spec.revocation.enabled:
            return {}
        try:
            url = self.endpoints(app).revocation_url
        except Exception as exc:
            logger.warning(
                "revocation skipped", extra={"provider": app.provider.id, "error_type": type(exc).__name__}
            )
            return {}
        if not url:
            return {}
        left: dict[str, str] = {}
        for hint in spec.revocation.hints:
            token = tokens.get(hint)
            if isinstance(token, str) and token and not self._revoke_one(app, spec, url, token, hint):
                left[hint] = token
        return left

    # Transport ---------------------------------------------------------------------

    def post(self, provider: Provider, request: TokenRequest) -> OutboundResponse:
        """POST a token-endpoint request under the provider's host rules."""
        return self.send(provider, "POST", request.url, request.headers, request.form, request.json)

    def send(
        self,
        provider: Provider,
        method: str,
        url: str,
        headers: Mapping[str, str],
        form: Mapping[str, str] | None,
        json: Mapping[str, str] | None,
    ) -> OutboundResponse:
        """One request to the provider's auth server; the host is checked against its rules first."""
        return self.outbound.request(
            method,
            url,
            headers=headers,
            data=form,
            json=json,
            max_bytes=TOKEN_RESPONSE_MAX_BYTES,
            allowed_suffixes=protocol.allowed_suffixes(provider),
        )

    def request_tokens(
        self,
        provider: Provider,
        request: TokenRequest,
        *,
        now: float,
        callback_params: dict[str, str] | None = None,
    ) -> TokenSet:
        """POST once and read the answer, or raise ProviderError / OutboundError."""
        response = self.post(provider, request)
        try:
            return protocol.parse_token_response(
                provider,
                response.status_code,
                response.headers,
                response.body,
                now=now,
                callback_params=callback_params,
            )
        except ProviderError as exc:
            if exc.transient:
                exc.retry_after = response.headers.get("retry-after")
            raise

    def _request(self, app: App, url: str, params: dict[str, str]) -> TokenRequest:
        return protocol.build_token_request(
            app.provider,
            url=url,
            client_id=app.client_id,
            client_secret=app.client_secret,
            client_auth=protocol.client_auth_method(app.provider, dict(app.config)),
            params=params,
        )

    def _revoke_one(self, app: App, spec: OAuthSpec, url: str, token: str, hint: str) -> bool:
        """One revocation request; False when it is worth trying again later. Never logs the token or URL."""
        client = revocation.ClientAuth(
            client_id=app.client_id,
            client_secret=app.client_secret,
            method=protocol.client_auth_method(app.provider, dict(app.config)),
            body_format=spec.body_format,
            headers=dict(spec.token_headers),
        )
        request = revocation.build_request(spec.revocation, url, token=token, hint=hint, client=client)
        try:
            response = self.send(
                app.provider, request.method, request.url, request.headers, request.form, request.json
            )
        except UnsafeUrl:
            logger.warning(
                "revocation refused", extra={"provider": app.provider.id, "reason_code": "unsafe_url"}
            )
            return True  # our rule, not the provider's state: retrying cannot help
        except Exception as exc:
            logger.warning(
                "revocation failed", extra={"provider": app.provider.id, "error_type": type(exc).__name__}
            )
            return False
        outcome = revocation.outcome(response.status_code)
        if outcome != "done":
            logger.warning(
                "revocation refused", extra={"provider": app.provider.id, "status_code": response.status_code}
            )
        return outcome != "retry"
