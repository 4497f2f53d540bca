"""Token revocation as data: an entry's ``revocation`` block says how its provider takes a token back.

Providers revoke in a handful of ways, and each is a row of data here rather than a
branch on a provider id: RFC 7009's form POST (``rfc7009``), a POST authenticated with
the token itself (``bearer_post``: Dropbox, Slack's ``auth.revoke``), a ``delete`` of a
URL naming the client or the token, a JSON body (``json_body``: Notion), the token in
the query string (``query``: Zoho), or ``none``, with the reason shown in the docs.

Each kind only sets defaults for four facts an entry may override: the HTTP ``method``,
where the token goes (``token_in``), which client ``auth`` goes with it, and which
``tokens`` are sent (the refresh token, the access token, or both). Building the
request is pure (tests assert the exact method, URL, headers and body); sending it is
``byoc.oauth.client``'s job, through ``byoc.outbound`` under the entry's host rules.

This module imports nothing of ``byoc.oauth``: the registry parses the block with it.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, quote_plus

KINDS = ("rfc7009", "bearer_post", "delete", "json_body", "query", "none")
METHODS = ("POST", "DELETE")
# "url": the token fills the URL template's ``{token}`` (in the path or the query string);
# "bearer": ``Authorization: Bearer <token>``; "form" / "json": a body member (``token_key``).
TOKEN_IN = ("form", "json", "url", "bearer")
# "client": as the entry's token requests (``client_auth``); "client_basic": an HTTP Basic header;
# "client_post": client_id and client_secret in the body; "none": no client credentials.
AUTHS = ("client", "client_basic", "client_post", "none")
TOKENS = ("both", "refresh", "access")
# What a kind means when the entry says nothing more: (method, token_in, auth).
DEFAULTS: dict[str, tuple[str, str, str]] = {
    "rfc7009": ("POST", "form", "client"),
    "bearer_post": ("POST", "bearer", "none"),
    "delete": ("DELETE", "url", "client_basic"),
    "json_body": ("POST", "json", "client_basic"),
    "query": ("POST", "url", "none"),
}
# The refresh token first: revoking it ends the grant at most providers.
_HINTS = {
    "both": ("refresh_token", "access_token"),
    "refresh": ("refresh_token",),
    "access": ("access_token",),
}
# Placeholders filled per request (the registry's ``{field}`` ones are filled from the org's settings).
REQUEST_PLACEHOLDERS = ("client_id", "token")
_PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)\}")
_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")


@dataclass(frozen=True, slots=True)
class RevocationSpec:
    """An entry's ``revocation`` block, checked when the registry loads."""

    kind: str = "none"
    url: str | None = None
    method: str = "POST"
    token_in: str = "form"
    auth: str = "client"
    tokens: str = "both"
    # The body member holding the token (``token``; GitHub: ``access_token``).
    token_key: str = "token"
    # Fixed members added to the body (no secrets: the client's own go through ``auth``).
    body: dict[str, str] = field(default_factory=dict)
    # Why there is no revocation (``none``), shown in docs/providers.md.
    reason: str | None = None
    # The provider's page the block was checked against.
    source: str | None = None

    @property
    def enabled(self) -> bool:
        return self.kind != "none"

    @property
    def hints(self) -> tuple[str, ...]:
        """The tokens to send, by RFC 7009 hint name, in the order they go."""
        return _HINTS[self.tokens] if self.enabled else ()


def parse(raw: Any) -> RevocationSpec:
    """The block as data, or ValueError naming what is wrong (a registry bug, caught by the tests)."""
    if not isinstance(raw, dict) or raw.get("kind") not in KINDS:
        raise ValueError(f"revocation: kind must be one of {KINDS}")
    data = dict(raw)
    kind = data.pop("kind")
    if kind == "none":
        if set(data) - {"reason", "source"} or not isinstance(data.get("reason"), str) or not data["reason"]:
            raise ValueError("revocation: kind none takes a reason (and a source) only")
        return RevocationSpec(kind="none", **data)
    method, token_in, auth = DEFAULTS[kind]
    try:
        spec = RevocationSpec(**{"kind": kind, "method": method, "token_in": token_in, "auth": auth, **data})
    except TypeError:
        raise ValueError(f"revocation: unknown keys in {sorted(data)}") from None
    _check(spec)
    return spec


def _check(spec: RevocationSpec) -> None:
    problems = [
        f"{name} must be one of {allowed}"
        for name, value, allowed in (
            ("method", spec.method, METHODS),
            ("token_in", spec.token_in, TOKEN_IN),
            ("auth", spec.auth, AUTHS),
            ("tokens", spec.tokens, TOKENS),
        )
        if value not in allowed
    ]
    problems += _url_problems(spec)
    if spec.token_in == "bearer" and spec.auth in ("client_basic", "client"):
        problems.append("a bearer token and client Basic auth would share the Authorization header")
    if not _KEY.match(spec.token_key) or not all(
        _KEY.match(k) and isinstance(v, str) for k, v in spec.body.items()
    ):
        problems.append("token_key and body keys must be plain names, body values strings")
    if problems:
        raise ValueError("revocation: " + "; ".join(problems))


def _url_problems(spec: RevocationSpec) -> list[str]:
    if not isinstance(spec.url, str) or not spec.url.startswith(("https://", "{")):
        return ["url must be an https URL template, or start with a URL field"]
    if set(_PLACEHOLDER.findall(_host_part(spec.url))) & set(REQUEST_PLACEHOLDERS):
        return ["{client_id} and {token} may not shape the host"]
    if ("{token}" in spec.url) != (spec.token_in == "url"):
        return ["{token} belongs in the url exactly when token_in is url"]
    return []


def _host_part(template: str) -> str:
    """What may shape the host: the authority, or a leading ``{field}`` holding a whole URL."""
    rest = template.split("://", 1)[1] if "://" in template else template
    return rest.split("/", 1)[0].split("?", 1)[0]


# Requests ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ClientAuth:
    """The org's app as a revocation request needs it."""

    client_id: str
    client_secret: str = field(repr=False)
    # The entry's token-request settings: ``client_auth`` (for auth "client"), ``body_format``, headers.
    method: str = "client_secret_post"
    body_format: str = "form"
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RevocationRequest:
    method: str
    url: str
    headers: dict[str, str] = field(repr=False)
    form: dict[str, str] | None = field(default=None, repr=False)
    json: dict[str, str] | None = field(default=None, repr=False)


def basic_auth(client_id: str, client_secret: str) -> str:
    """RFC 6749 §2.3.1: both parts form-urlencoded before base64 (as token requests send it)."""
    pair = f"{quote_plus(client_id)}:{quote_plus(client_secret)}".encode()
    return "Basic " + base64.b64encode(pair).decode("ascii")


def fill_url(url: str, *, client_id: str, token: str) -> str:
    """The checked URL with its request placeholders filled, each value percent-encoded whole.

    ``url`` has passed the host checks with the placeholders in it; they may not shape the
    host (``parse`` refuses that), so filling them cannot move the request elsewhere.
    """
    return url.replace("{client_id}", quote(client_id, safe="")).replace("{token}", quote(token, safe=""))


def build_request(
    spec: RevocationSpec, url: str, *, token: str, hint: str, client: ClientAuth
) -> RevocationRequest:
    """One revocation request for ``token`` (``hint``: refresh_token or access_token)."""
    headers = {"Accept": "application/json", **client.headers}
    body = dict(spec.body)
    if spec.token_in in ("form", "json"):
        body[spec.token_key] = token
    if spec.kind == "rfc7009":
        body["token_type_hint"] = hint
    if spec.token_in == "bearer":
        headers["Authorization"] = f"Bearer {token}"
    auth = spec.auth
    if auth == "client":
        auth = "client_basic" if client.method == "client_secret_basic" else "client_post"
    if auth == "client_basic":
        headers["Authorization"] = basic_auth(client.client_id, client.client_secret)
    elif auth == "client_post":
        body.update(client_id=client.client_id, client_secret=client.client_secret)
    filled = fill_url(url, client_id=client.client_id, token=token if spec.token_in == "url" else "")
    if _body_format(spec, client) == "json":
        return RevocationRequest(spec.method, filled, headers, json=body)
    return RevocationRequest(spec.method, filled, headers, form=body or None)


def _body_format(spec: RevocationSpec, client: ClientAuth) -> str:
    if spec.token_in == "json" or spec.kind == "json_body":
        return "json"
    return client.body_format if spec.kind == "rfc7009" else "form"


# Answers -----------------------------------------------------------------------------


def outcome(status_code: int) -> str:
    """ "done" (2xx), "retry" (5xx, 429: the provider may take it later) or "refused" (any other answer).

    RFC 7009 §2.2 answers 200 for a token that is already invalid, so a refusal is a
    request the provider will never take (a 400 ``unsupported_token_type``, a 401 for a
    rotated secret): trying again cannot help, and neither can a redirect (never followed).
    """
    if 200 <= status_code < 300:
        return "done"
    if status_code >= 500 or status_code == 429:
        return "retry"
    return "refused"
