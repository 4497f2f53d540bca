"""Token-endpoint answers: what a provider sent, read as untrusted input into a ``TokenSet``.

The answer's JSON (or form-encoded body) goes through the parsing boundary
(``byoc.oauth.answers``); the entry says where the token sits (``token_path``), what
signals failure with a 200 (``ok_field``), how expiry is given, and what is kept as
metadata (``byoc.oauth.metadata``). Anything unusable is a ``ProviderError`` with a
stable reason.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from byoc.errors import ProviderError
from byoc.model import OAUTH_ERROR_CODES, reason
from byoc.oauth import answers
from byoc.oauth.metadata import kept_values, split
from byoc.oauth.registry import OAuthSpec, Provider


def reason_code(raw: object, default: str = "provider_error") -> str:
    """A stable reason for a provider's error value: known OAuth codes pass, others do not."""
    if isinstance(raw, str) and raw in OAUTH_ERROR_CODES:
        return raw
    return default


# Token responses ---------------------------------------------------------------------

# The key of the sealed token value holding the secret metadata values.
SEALED_METADATA = "metadata"


# Sealed beside the main token when the provider issues a second, user token (Slack).
USER_TOKEN_KEYS = ("user_access_token", "user_refresh_token", "user_expires_at")


@dataclass(frozen=True, slots=True)
class UserToken:
    """A second token of the same grant, acting as the person (Slack's ``authed_user`` token)."""

    access_token: str = field(repr=False)
    refresh_token: str | None = field(default=None, repr=False)
    expires_at: int | None = None

    def sealed(self) -> dict[str, Any]:
        values = (self.access_token, self.refresh_token, self.expires_at)
        return {k: v for k, v in zip(USER_TOKEN_KEYS, values, strict=True) if v is not None}


def user_token_answer(sealed: dict[str, Any]) -> dict[str, Any]:
    """The token function's ``user_access_token`` and ``user_expires_at``, when there is a user token."""
    if not isinstance(sealed.get("user_access_token"), str):
        return {}
    return {
        "user_access_token": sealed["user_access_token"],
        "user_expires_at": sealed.get("user_expires_at"),
    }


@dataclass(frozen=True, slots=True)
class TokenSet:
    access_token: str
    token_type: str = "Bearer"
    refresh_token: str | None = None
    expires_at: int | None = None
    scope: str | None = None
    id_token: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    # Values the entry marks secret (Slack's incoming webhook URL): sealed with the tokens.
    secret_metadata: dict[str, str] = field(default_factory=dict)
    user: UserToken | None = None

    @property
    def renew_by(self) -> int | None:
        """When a refresh is needed: the earlier expiry of the token and the user token."""
        known = [t for t in (self.expires_at, self.user.expires_at if self.user else None) if t is not None]
        return min(known) if known else None

    def __repr__(self) -> str:  # never print tokens
        return f"TokenSet(token_type={self.token_type!r}, expires_at={self.expires_at})"

    def sealed_value(self) -> dict[str, Any]:
        value: dict[str, Any] = {"access_token": self.access_token, "token_type": self.token_type}
        for name in ("refresh_token", "id_token"):
            if getattr(self, name):
                value[name] = getattr(self, name)
        if self.secret_metadata:
            value[SEALED_METADATA] = dict(self.secret_metadata)
        if self.user is not None:
            value.update(self.user.sealed())
        return value


def _decode_body(headers: Any, body: bytes) -> dict[str, Any]:
    content_type = str(headers.get("content-type", "")).lower()
    text = body.decode("utf-8", errors="replace")
    if "application/x-www-form-urlencoded" in content_type or "text/plain" in content_type:
        try:
            return dict(parse_qsl(text, keep_blank_values=True, max_num_fields=64))
        except ValueError:
            raise ProviderError(reason("invalid_token_response")) from None
    value = answers.json_value(body)
    if value is None:
        # Some providers (GitHub without Accept) answer form-encoded with another type.
        pairs = parse_qsl(text, keep_blank_values=True, max_num_fields=64) if "=" in text else []
        if pairs:
            return dict(pairs)
        raise ProviderError(reason("invalid_token_response"))
    if not isinstance(value, dict):
        raise ProviderError(reason("invalid_token_response"))
    return value


def _dig(value: Any, path: str) -> Any:
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def parse_token_response(
    provider: Provider,
    status_code: int,
    headers: Any,
    body: bytes,
    *,
    now: float | None = None,
    callback_params: dict[str, str] | None = None,
) -> TokenSet:
    """Read a token response, or raise ProviderError with a stable reason."""
    spec = _spec(provider)
    if status_code >= 500 or status_code == 429:
        raise ProviderError(reason("provider_unavailable"), transient=True)
    data = _decode_body(headers, body)
    _raise_refusal(spec, status_code, data)
    holder = _token_holder(spec, data)
    clear, secret = split(spec.metadata, _metadata(spec, data, callback_params or {}))
    access_token = answers.token(holder.get("access_token"))
    kind = answers.token_type(holder.get("token_type"))
    if access_token is None or kind is None:
        raise ProviderError(reason("invalid_token_response"))
    return TokenSet(
        access_token=access_token,
        token_type=kind,
        refresh_token=answers.token(holder.get("refresh_token")),
        expires_at=_expires_at(spec, holder, now),
        scope=answers.text(holder.get("scope")) if isinstance(holder.get("scope"), str) else None,
        id_token=answers.token(data.get("id_token")),
        metadata=clear,
        secret_metadata=secret,
        user=_user_token(spec, data, holder, now),
    )


def _user_token(
    spec: OAuthSpec, data: dict[str, Any], holder: dict[str, Any], now: float | None
) -> UserToken | None:
    """The second token under ``user_token_path`` when the top level holds its own (Slack bot + user)."""
    if not spec.user_token_path or holder is not data:
        return None
    nested = _dig(data, spec.user_token_path)
    token = answers.token(nested.get("access_token")) if isinstance(nested, dict) else None
    if token is None or not isinstance(nested, dict):
        return None
    return UserToken(token, answers.token(nested.get("refresh_token")), _expires_at(spec, nested, now))


def _raise_refusal(spec: OAuthSpec, status_code: int, data: dict[str, Any]) -> None:
    """An error answer: an HTTP error, an ``error`` member, or the entry's ``ok_field`` not true."""
    refused = status_code >= 400 or "error" in data
    if refused or (spec.ok_field and data.get(spec.ok_field) is not True):
        raise ProviderError(reason_code(data.get("error")))


def _token_holder(spec: OAuthSpec, data: dict[str, Any]) -> dict[str, Any]:
    """The object holding ``access_token`` & co: the top level, or the entry's ``token_path``."""
    if data.get("access_token") or not spec.token_path:
        return data
    nested = _dig(data, spec.token_path)
    return nested if isinstance(nested, dict) else {}


def _expires_at(spec: OAuthSpec, holder: dict[str, Any], now: float | None) -> int | None:
    """When the token expires: ``expires_in``, else the entry's absolute ``expires_at_field``;
    None (the default lifetime applies, or introspection asks) for a missing or unbelievable value."""
    at = int(time.time() if now is None else now)
    seconds = answers.lifetime_seconds(holder.get("expires_in"), spec.expires_in_unit_seconds)
    if seconds is not None:
        return at + seconds
    if spec.expires_at_field:
        return answers.expiry_epoch(holder.get(spec.expires_at_field), at)
    return None


def _metadata(spec: OAuthSpec, data: dict[str, Any], callback_params: dict[str, str]) -> dict[str, str]:
    """The entry's values from this token response and its callback, by name (secret ones too)."""
    return {
        **kept_values(spec.metadata, "callback", callback_params),
        **kept_values(spec.metadata, "token", data),
    }


def _spec(provider: Provider) -> OAuthSpec:
    if provider.oauth is None:
        raise ValueError(f"{provider.id} is not an OAuth provider")
    return provider.oauth
