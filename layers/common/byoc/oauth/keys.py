"""The verification request of a key entry (``verify``): one cheap call, made when an org saves an
API key or a Basic pair, so that a wrong key is a 422 at save and not a surprise later.

The request goes to the entry's API (``api.base_url`` for this org, plus ``verify.path``) with the
credential exactly as the ``api`` block sends it, through the SSRF-guarded ``OutboundClient``
(redirects are not followed; a redirect is not a success). The answer's body is never read
beyond its cap and never shown: only its status decides.

* 2xx: the key works.
* 401, 403 and other 4xx (save 408 and 429): the provider refused what the org typed:
  ``ValidationFailed`` naming the entry's secret fields (and the fields that shape the address,
  which a 404 may be about), nothing stored.
* 408, 429, 5xx, 3xx, a timeout or an unreachable host: the provider could not say for now:
  ``ProviderStepFailed("verification")`` (424 ``provider_unavailable``, retryable), nothing stored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from byoc.errors import (
    OutboundError,
    ProviderStepFailed,
    UnsafeUrl,
    ValidationFailed,
)
from byoc.oauth import api

if TYPE_CHECKING:
    from byoc.oauth.registry import Provider
    from byoc.outbound import OutboundClient

# A verification answer is read only for its status; a larger body is cut off, not read.
MAX_ANSWER_BYTES = 64 * 1024


@dataclass(frozen=True, slots=True)
class VerifySpec:
    """An entry's ``verify`` block: the request, or why there is none."""

    kind: str = "none"  # "request" or "none"
    method: str = "GET"
    path: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    reason: str | None = None
    source: str | None = None

    @property
    def enabled(self) -> bool:
        return self.kind == "request"


def verify_spec(raw: dict[str, Any]) -> VerifySpec:
    spec = VerifySpec(**raw)
    if spec.kind not in ("request", "none") or spec.enabled != bool(spec.path):
        raise ValueError(f"bad verify block {raw!r}")
    return spec


def verify_key(
    outbound: OutboundClient,
    provider: Provider,
    config: dict[str, str],
    secret_values: dict[str, str],
    *,
    allow_local_http: bool,
) -> bool:
    """Run the entry's verification request; True when it ran and passed, False when the entry
    has none. Raises ``ValidationFailed`` (the key was refused) or ``ProviderStepFailed``."""
    spec = provider.verify
    if spec is None or not spec.enabled or spec.path is None:
        return False
    refused = _blamed_fields(provider)
    url, params, headers = _request(provider, spec, config, secret_values, refused, allow_local_http)
    try:
        answer = outbound.request(
            spec.method,
            url,
            params=params,
            headers=headers,
            max_bytes=MAX_ANSWER_BYTES,
            allowed_suffixes=api.suffixes(provider),
        )
    except UnsafeUrl:
        raise ValidationFailed(dict.fromkeys(refused, "gives an address we refuse to call")) from None
    except OutboundError as exc:  # a timeout, an unreachable host, an answer over the cap
        raise ProviderStepFailed("verification", exc.code) from None
    return _judged(answer.status_code, refused)


def _request(
    provider: Provider,
    spec: VerifySpec,
    config: dict[str, str],
    secret_values: dict[str, str],
    refused: list[str],
    allow_local_http: bool,
) -> tuple[str, dict[str, str], dict[str, str]]:
    """The verification request's URL, query and headers, or ``ValidationFailed`` blaming ``refused``."""
    try:
        base = api.api_base_url(provider, config, {}, allow_local_http=allow_local_http)
        headers = api.api_headers(provider, secret_values, config, {})
        query = api.api_query(provider, secret_values)
        path = api.fill_path(spec.path or "", provider, config)
    except (UnsafeUrl, ValueError):
        raise ValidationFailed(dict.fromkeys(refused, "gives an address or header we cannot send")) from None
    extra = api.fill(spec.headers, {**config, **secret_values})
    if base is None or headers is None or query is None or extra is None or path is None:
        raise ValidationFailed(dict.fromkeys(refused, "is needed to check the key"))
    return base.rstrip("/") + path, query, {"Accept": "application/json", **extra, **headers}


def _judged(status: int, refused: list[str]) -> bool:
    if 200 <= status < 300:
        return True
    if 400 <= status < 500 and status not in (408, 429):
        raise ValidationFailed(dict.fromkeys(refused, f"the provider refused it (HTTP {status})"))
    raise ProviderStepFailed("verification", f"http_{status}")


def _blamed_fields(provider: Provider) -> list[str]:
    """The fields a refusal is about: the secrets, and the fields that shape the address."""
    spec = provider.api
    shaping = set(api.placeholders(spec.base_url)) if spec is not None else set()
    return [f.name for f in provider.fields if f.secret or f.name in shaping]
