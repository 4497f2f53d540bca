"""OAuth 2.0 as pure protocol code: PKCE, endpoints, the authorize URL, token requests and responses.

Every function here is a pure function of the registry entry and the org's values:
tests assert their exact output. Sending a request is ``byoc.oauth.client``'s job.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from dataclasses import dataclass
from urllib.parse import quote, quote_plus, urlencode, urlsplit, urlunsplit

from byoc.errors import ProviderError, UnsafeUrl
from byoc.model import reason
from byoc.oauth.metadata import readable
from byoc.oauth.registry import OAuthSpec, Provider, render_template, template_fields
from byoc.oauth.responses import SEALED_METADATA as SEALED_METADATA
from byoc.oauth.responses import TokenSet as TokenSet
from byoc.oauth.responses import parse_token_response as parse_token_response
from byoc.oauth.responses import reason_code as reason_code
from byoc.oauth.revocation import REQUEST_PLACEHOLDERS
from byoc.oauth.scopes import asked_fingerprint
from byoc.outbound import check_url

# An origin with no port, path, query or user info: ``https://accounts.zoho.eu``.
_ORIGIN_ONLY = re.compile(r"^https://[a-z0-9.-]{1,253}/?$")


# PKCE (RFC 7636) ---------------------------------------------------------------------


def new_code_verifier() -> str:
    """64 characters from 48 random bytes (RFC 7636 §4.1: 43 to 128 unreserved characters)."""
    return secrets.token_urlsafe(48)


def code_challenge(verifier: str) -> str:
    """S256: BASE64URL(SHA256(ASCII(verifier))) without padding. Never ``plain``."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


# Endpoints ---------------------------------------------------------------------------


# The config key discovery sets when the issuer sends ``iss`` on every authorization response.
ISS_SUPPORTED = "iss_parameter_supported"


@dataclass(frozen=True, slots=True)
class Endpoints:
    authorize_url: str
    token_url: str
    refresh_url: str
    revocation_url: str | None
    issuer: str | None
    # The callback must carry ``iss`` (RFC 9207: the registry or the discovery document says so).
    iss_required: bool = False
    # RFC 7662 introspection, asked for the expiry when the token answer gives none (Salesforce).
    introspection_url: str | None = None


_REQUEST_PLACEHOLDERS = {name: "{" + name + "}" for name in REQUEST_PLACEHOLDERS}


def _render_optional(template: str | None, values: dict[str, str]) -> str | None:
    if not template or not template_fields(template) <= values.keys():
        return None
    return render_template(template, values)


def resolve_endpoints(provider: Provider, config: dict[str, str], *, allow_local_http: bool) -> Endpoints:
    """Fill the entry's URL templates with the org's values and check every URL.

    Hosts stay under the provider's allowed suffixes (templated subdomains, shops,
    regions), or, for providers whose host the org picks freely, pass the generic
    rules (https, no user info, no IP literals). Raises UnsafeUrl.
    """
    spec = _spec(provider)
    values = template_values(spec, config)
    # client credentials have no browser step: no authorize URL ("")
    authorize = render_template(spec.authorize_url, values) if spec.authorize_url else None
    authorize_url = _checked(spec, authorize, allow_local_http) if authorize else ""
    token_url = _checked(spec, render_template(spec.token_url, values), allow_local_http)
    refresh_url = _checked(spec, _render_optional(spec.refresh_url, values) or token_url, allow_local_http)
    # {client_id} and {token} stay as they are: the revocation request fills them (never the host).
    revocation = _render_optional(spec.revocation.url, values | _REQUEST_PLACEHOLDERS)
    revocation_url = _checked(spec, revocation, allow_local_http) if revocation else None
    introspection = _render_optional(spec.introspection_url, values)
    introspection_url = _checked(spec, introspection, allow_local_http) if introspection else None
    issuer = spec.issuer or (config.get("issuer") if spec.discovery else None)
    iss_required = bool(issuer) and (
        spec.iss_parameter_supported or (spec.discovery and config.get(ISS_SUPPORTED) == "true")
    )
    return Endpoints(
        authorize_url, token_url, refresh_url, revocation_url, issuer, iss_required, introspection_url
    )


def template_values(spec: OAuthSpec, config: dict[str, str]) -> dict[str, str]:
    """The org's values as the URL templates use them (``spec.template_values`` applied)."""
    values = dict(config)
    for name, mapping in spec.template_values.items():
        if name in values and values[name] in mapping:
            values[name] = mapping[values[name]]
    return values


def callback_token_url(provider: Provider, token_url: str, values: dict[str, str]) -> str:
    """The token URL for this callback (or refresh): ``token_url``, or its host moved to the one
    the provider named in the callback (``spec.token_host_from``: Zoho's ``accounts_server``).

    The client secret goes to that host, so the value is never trusted as given: it must be
    ``https://`` plus a host name and nothing else, and the host must be under the entry's
    ``allowed_host_suffixes``. Anything else raises ``ProviderError("untrusted_token_host")``.
    ``values`` are the metadata kept from the callback, or the connection's when refreshing.
    """
    spec = _spec(provider)
    name = spec.token_host_from
    raw = values.get(name) if name else None
    if not raw:
        return token_url
    if not spec.allowed_host_suffixes or not _ORIGIN_ONLY.match(raw):
        raise ProviderError(reason("untrusted_token_host"))
    try:
        origin = check_url(raw.rstrip("/"), allowed_suffixes=spec.allowed_host_suffixes)
    except UnsafeUrl:
        raise ProviderError(reason("untrusted_token_host")) from None
    parts = urlsplit(token_url)
    moved = urlunsplit(("https", urlsplit(origin).netloc, parts.path, parts.query, ""))
    return check_url(moved, allowed_suffixes=spec.allowed_host_suffixes)


def callback_values(provider: Provider, params: dict[str, str]) -> dict[str, str]:
    """This callback's query values, by the metadata name the entry gives them; unfiltered, for
    ``callback_token_url``, which refuses a bad host outright (the stored copy is filtered)."""
    items = _spec(provider).metadata
    return {k.name: params[k.path] for k in items if k.source == "callback" and k.path in params}


def stored_values(provider: Provider, stored: dict[str, str]) -> dict[str, str]:
    """A record's metadata under today's names (a previous release's keys renamed)."""
    return readable(_spec(provider).metadata, stored)


def _checked(spec: OAuthSpec, url: str, allow_local_http: bool) -> str:
    if spec.host_rule == "public":
        return check_url(url, allow_local_http=allow_local_http)
    return check_url(url, allowed_suffixes=spec.allowed_host_suffixes)


def _spec(provider: Provider) -> OAuthSpec:
    if provider.oauth is None:
        raise ValueError(f"{provider.id} is not an OAuth provider")
    return provider.oauth


def client_auth_method(provider: Provider, config: dict[str, str]) -> str:
    spec = _spec(provider)
    if spec.client_auth_field and config.get(spec.client_auth_field):
        return config[spec.client_auth_field]
    return spec.client_auth


def requested_scopes(provider: Provider, config: dict[str, str]) -> dict[str, list[str]]:
    """What start asks for, by authorize parameter (``scope``, and Slack's ``user_scope``)."""
    return {s.param: s.chosen(config) for s in _spec(provider).scope_sets}


def scopes_asked(provider: Provider, config: dict[str, str]) -> str:
    """The fingerprint of what start asks for (a grant asked for less needs authorizing again)."""
    return asked_fingerprint(_spec(provider).scope_sets, config)


# Authorize ---------------------------------------------------------------------------


def build_authorize_url(
    provider: Provider,
    *,
    authorize_url: str,
    client_id: str,
    redirect_uri: str,
    state: str,
    code_verifier: str | None,
    scopes: dict[str, list[str]],
    config: dict[str, str] | None = None,
) -> str:
    spec = _spec(provider)
    params: dict[str, str] = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "state": state,
    }
    literal_plus = spec.scope_separator == "+"
    for param, asked in scopes.items():
        if asked and not literal_plus:
            params[param] = spec.scope_separator.join(asked)
    if code_verifier is not None:
        params["code_challenge"] = code_challenge(code_verifier)
        params["code_challenge_method"] = "S256"
    params.update(rendered_params(provider, spec.authorize_params, config or {}))
    query = urlencode(renamed(params, spec.authorize_param_names), quote_via=quote)
    if literal_plus:  # a literal "+" between scopes, each scope percent-encoded (the provider splits on it)
        query += "".join(
            f"&{param}=" + "+".join(quote(s, safe="") for s in asked)
            for param, asked in scopes.items()
            if asked
        )
    joiner = "&" if "?" in authorize_url else "?"
    return authorize_url + joiner + query


def renamed(params: dict[str, str], names: dict[str, str | None]) -> dict[str, str]:
    """``params`` with the standard names the provider calls otherwise (None: not sent)."""
    if not names:
        return params
    out: dict[str, str] = {}
    for key, value in params.items():
        name = names.get(key, key)
        if name is not None:
            out[name] = value
    return out


def rendered_params(provider: Provider, params: dict[str, str], config: dict[str, str]) -> dict[str, str]:
    """Fixed parameters with ``{field}`` placeholders filled from the org's fields (BigCommerce's
    ``context=stores/{store_hash}``); each value must still match its field's pattern. A value
    cannot move a host: it is a parameter value, URL-encoded like any other."""
    rendered: dict[str, str] = {}
    for key, template in params.items():
        names = template_fields(template)
        for name in names:
            _check_field_value(provider, name, config.get(name))
        rendered[key] = render_template(template, config) if names else template
    return rendered


def _check_field_value(provider: Provider, name: str, value: str | None) -> None:
    field_ = provider.field(name)
    pattern = field_.pattern if field_ else None
    if value is None or field_ is None or field_.secret or (pattern and not re.fullmatch(pattern, value)):
        raise UnsafeUrl(f"The {name} setting is missing or not in its expected form.")


# Token requests ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TokenRequest:
    url: str
    headers: dict[str, str]
    form: dict[str, str] | None = None
    json: dict[str, str] | None = None


def _basic(client_id: str, client_secret: str) -> str:
    # RFC 6749 §2.3.1: both parts form-urlencoded before base64.
    pair = f"{quote_plus(client_id)}:{quote_plus(client_secret)}".encode()
    return "Basic " + base64.b64encode(pair).decode("ascii")


def build_token_request(
    provider: Provider,
    *,
    url: str,
    client_id: str,
    client_secret: str,
    client_auth: str,
    params: dict[str, str],
) -> TokenRequest:
    """A token-endpoint request with the provider's client auth and body format."""
    spec = _spec(provider)
    headers = {"Accept": "application/json", **spec.token_headers}
    body = dict(params)
    if client_auth == "client_secret_basic":
        headers["Authorization"] = _basic(client_id, client_secret)
    else:
        body["client_id"] = client_id
        body["client_secret"] = client_secret
    body = renamed(body, spec.token_param_names)
    if spec.body_format == "json":
        return TokenRequest(url=url, headers=headers, json=body)
    return TokenRequest(url=url, headers=headers, form=body)


def code_exchange_params(
    provider: Provider,
    *,
    code: str,
    redirect_uri: str,
    code_verifier: str | None,
    config: dict[str, str] | None = None,
) -> dict[str, str]:
    params = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
    if code_verifier is not None:
        params["code_verifier"] = code_verifier
    params.update(rendered_params(provider, _spec(provider).token_params, config or {}))
    return params


def refresh_params(
    provider: Provider, *, refresh_token: str, config: dict[str, str] | None = None
) -> dict[str, str]:
    spec = _spec(provider)
    params = {"grant_type": "refresh_token", "refresh_token": refresh_token}
    params.update(rendered_params(provider, spec.refresh_params, config or {}))
    return params


def client_credentials_params(provider: Provider, config: dict[str, str]) -> dict[str, str]:
    """A client-credentials token request (RFC 6749 §4.4.2): the grant type, the org's scopes
    (none chosen and no default: no ``scope``, the app's configured permissions apply), the
    entry's parameters (Zoom's ``account_id``)."""
    spec = _spec(provider)
    params = {"grant_type": spec.grant_type or "client_credentials"}
    asked = spec.scopes.chosen(config)
    if asked:
        params["scope"] = spec.scope_separator.join(asked)
    params.update(rendered_params(provider, spec.token_params, config))
    return params


def allowed_suffixes(provider: Provider) -> tuple[str, ...] | None:
    spec = _spec(provider)
    return None if spec.host_rule == "public" else spec.allowed_host_suffixes
