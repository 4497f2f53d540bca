"""Where an entry's API lives, as data: its base URL template, hosts and how a call is authorized.

Every registry entry has an ``api`` block (docs/adding-a-provider.md). The base URL is a
template filled from the org's non-secret fields and the connection's metadata names
(``{subdomain}``, ``{cloud_id}``, ``{instance_url}``), and the result must pass the same
outbound checks as every other URL: under the block's ``allowed_host_suffixes``, or, for
the entries whose host the org picks (``host_rule`` "public"), https to a public host name.

A value is one of two kinds, told apart by where its placeholder stands:

* the template's first thing (``{instance_url}/services/data``): a whole origin. Under the
  suffix rule (a value the provider answered: Salesforce's ``instance_url``, Pipedrive's
  ``api_domain``) it must be ``https://`` plus a lower-case host name and nothing else. Under
  the public rule (the org's own server) an optional port and plain path segments are
  allowed too (a self-managed GitLab under ``/gitlab``), still no user info, query, fragment,
  ``%`` or trailing slash. ``origin_only`` keeps just ``scheme://host[:port]`` (generic_oidc's
  issuer, whose path is not where its API lives).
* anywhere else: one host label or path segment. It is used only if URL-quoting leaves it as
  it is (letters, digits, ``-._~``) and it is not ``.`` or ``..``: a value that would need
  encoding (``evil.example/``, ``@evil``, ``%2F``) is refused, not encoded, because no id or
  subdomain we expect needs it. The entry's ``template_values`` then apply (Intercom's region).

Pure functions only: nothing here sends a request. ``check_url`` is imported where it is
used because byoc.outbound loads httpx, which the list functions must not import.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from byoc.errors import UnsafeUrl

if TYPE_CHECKING:
    from byoc.oauth.registry import Provider

AUTH_IN = ("header", "query", "basic")
API_HOST_RULES = ("suffix", "public")
# The credential an OAuth entry's auth format names; other entries name their secret fields.
ACCESS_TOKEN = "access_token"

_PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)\}")
# \Z, not $: "$" also matches before a final newline.
_HOST_ONLY = re.compile(r"^https://[a-z0-9.-]{1,253}\Z")
_ORIGIN_VALUE = re.compile(r"^https?://[a-z0-9.-]{1,253}(?::[0-9]{1,5})?(?:/[A-Za-z0-9._~-]+)*\Z")
_ORIGIN = re.compile(r"^https?://[a-z0-9.-]{1,253}(?::[0-9]{1,5})?(?=/|\Z)")
# What a header value may hold: visible ASCII and spaces (no CR/LF: no header injection).
_HEADER_VALUE = re.compile(r"^[\x20-\x7e]*\Z")


@dataclass(frozen=True, slots=True)
class ApiAuth:
    """How a call carries the credential: ``in`` a header, a query parameter, or HTTP Basic."""

    in_: str
    name: str  # the header or query parameter ("Authorization" for basic)
    format: str  # "Bearer {access_token}", "{api_key}"; for basic the "user:password" pair


@dataclass(frozen=True, slots=True)
class ApiSpec:
    """An entry's ``api`` block."""

    base_url: str
    auth: ApiAuth
    allowed_host_suffixes: tuple[str, ...] = ()
    host_rule: str = "suffix"
    # Header values may name fields and metadata (Xero's ``Xero-Tenant-Id: {tenant_id}``).
    headers: dict[str, str] = field(default_factory=dict)
    # The leading value counts only for its origin (generic_oidc: the issuer's origin).
    origin_only: bool = False


def api_spec(raw: dict[str, Any]) -> ApiSpec:
    """A registry ``api`` block; a malformed one fails when the registry loads."""
    data = dict(raw)
    auth = dict(data.pop("auth"))
    spec = ApiSpec(
        auth=ApiAuth(in_=auth.pop("in"), name=auth.pop("name"), format=auth.pop("format"), **auth),
        allowed_host_suffixes=tuple(data.pop("allowed_host_suffixes", ())),
        **data,
    )
    public = spec.host_rule == "public"
    if spec.auth.in_ not in AUTH_IN or spec.host_rule not in API_HOST_RULES:
        raise ValueError(f"bad api block {raw!r}")
    if public == bool(spec.allowed_host_suffixes):  # suffix rule needs suffixes; public has none
        raise ValueError(f"api allowed_host_suffixes do not fit host_rule {spec.host_rule!r}")
    if spec.origin_only and not spec.base_url.startswith("{"):
        raise ValueError("origin_only needs a template starting with a placeholder")
    return spec


def placeholders(template: str) -> list[str]:
    """The ``{name}`` placeholders of a template, in order."""
    return _PLACEHOLDER.findall(template)


def api_base_url(
    provider: Provider,
    config: dict[str, str],
    metadata: dict[str, str],
    *,
    allow_local_http: bool = False,
) -> str | None:
    """The entry's API base for this org and connection, checked; None when a value it names
    is not known (an optional field left empty, metadata not found yet). Raises UnsafeUrl."""
    spec = _spec(provider)
    values = _values(provider, config, metadata)
    names = placeholders(spec.base_url)
    if not set(names) <= values.keys():
        return None
    leading = names[0] if spec.base_url.startswith("{") else None
    filled = {n: _segment(provider, n, values[n]) for n in names if n != leading}
    if leading is not None:
        filled[leading] = _origin(spec, values[leading])
    url = _PLACEHOLDER.sub(lambda m: filled[m.group(1)], spec.base_url)
    from byoc.outbound import check_url  # loads httpx: only when a URL is built

    suffixes = spec.allowed_host_suffixes if spec.host_rule == "suffix" else None
    return check_url(url, allowed_suffixes=suffixes, allow_local_http=allow_local_http)


def api_headers(
    provider: Provider, credentials: dict[str, str], config: dict[str, str], metadata: dict[str, str]
) -> dict[str, str] | None:
    """The headers of an API call: the block's ``headers`` and the credential (``auth`` in a
    header or Basic); None when a value they name is missing. ``credentials``: the access token
    (OAuth) or the entry's secret fields. A value with CR, LF or other controls: ValueError."""
    spec = _spec(provider)
    values = {**_values(provider, config, metadata), **credentials}
    templates = dict(spec.headers)
    if spec.auth.in_ == "header":
        templates[spec.auth.name] = spec.auth.format
    headers = fill(templates, values)
    if headers is not None and spec.auth.in_ == "basic":
        pair = fill({spec.auth.name: spec.auth.format}, values)
        if pair is None:
            return None
        headers[spec.auth.name] = "Basic " + base64.b64encode(pair[spec.auth.name].encode()).decode("ascii")
    return headers


def api_query(provider: Provider, credentials: dict[str, str]) -> dict[str, str] | None:
    """The query parameters carrying the credential (``auth.in`` "query"; else none).

    A credential in a URL ends up in logs along the way: the caller must never log that URL."""
    auth = _spec(provider).auth
    if auth.in_ != "query":
        return {}
    return fill({auth.name: auth.format}, credentials)


def fill_path(path: str, provider: Provider, config: dict[str, str]) -> str | None:
    """A path template (``verify.path``) filled from the org's non-secret fields, each value one
    segment (``_segment``'s rule: refused, never encoded, when it would need quoting); None when
    a value it names is not set."""
    values = _values(provider, config, {})
    if not set(placeholders(path)) <= values.keys():
        return None
    return _PLACEHOLDER.sub(lambda m: _segment(provider, m.group(1), values[m.group(1)]), path)


def suffixes(provider: Provider) -> tuple[str, ...] | None:
    """The hosts the entry's API calls may go to (None: the public rule, any public host)."""
    spec = _spec(provider)
    return spec.allowed_host_suffixes if spec.host_rule == "suffix" else None


def _spec(provider: Provider) -> ApiSpec:
    if provider.api is None:
        raise ValueError(f"{provider.id} has no api block")  # a registry bug: every entry has one
    return provider.api


def _values(provider: Provider, config: dict[str, str], metadata: dict[str, str]) -> dict[str, str]:
    """The org's non-secret field values (defaults filling empty ones), then the metadata."""
    values = {f.name: config.get(f.name) or f.default for f in provider.fields if not f.secret}
    return {**{k: v for k, v in values.items() if v}, **{k: v for k, v in metadata.items() if v}}


def _segment(provider: Provider, name: str, value: str) -> str:
    """One host label or path segment: unchanged by URL-quoting, else refused."""
    if quote(value, safe="") != value or value in (".", ".."):
        raise UnsafeUrl("A value of this connection cannot be part of the API address.")
    mapping = provider.oauth.template_values.get(name, {}) if provider.oauth else {}
    return mapping.get(value, value)


def _origin(spec: ApiSpec, value: str) -> str:
    """A whole-origin value: ``https://host`` (suffix rule), ``https://host[:port][/path]``
    (public rule), or just the origin of it (``origin_only``)."""
    if spec.origin_only:
        match = _ORIGIN.match(value)
    else:
        match = (_HOST_ONLY if spec.host_rule == "suffix" else _ORIGIN_VALUE).match(value)
    dots = not spec.origin_only and any(part in (".", "..") for part in value.split("/")[3:])
    if match is None or dots:
        raise UnsafeUrl("A value of this connection is not a plain https address.")
    return match.group(0)


def fill(templates: dict[str, str], values: dict[str, str]) -> dict[str, str] | None:
    """Header values with their placeholders filled; None when a value they name is missing."""
    filled: dict[str, str] = {}
    for key, template in templates.items():
        if not set(placeholders(template)) <= values.keys():
            return None
        filled[key] = _PLACEHOLDER.sub(lambda m: values[m.group(1)], template)
        if not _HEADER_VALUE.match(filled[key]):
            raise ValueError(f"the value for {key} has characters a header cannot carry")
    return filled
