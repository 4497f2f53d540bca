"""CORS as the deployed HTTP API answers it, from template.yaml's ``CorsConfiguration``.

API Gateway answers a preflight (``OPTIONS`` with ``Origin`` and
``Access-Control-Request-Method``) itself, and adds ``Access-Control-Allow-Origin``
(the caller's origin, echoed), ``-Allow-Credentials`` and ``-Expose-Headers`` to the
routes' answers, for an allowed origin only. The local server does the same with the
template's allowed methods, headers, exposed headers and max age, and:

- the allowed origins are ``FRONTEND_URL``'s (one or a comma-separated list), plus any
  ``http://localhost[:port]`` and ``http://127.0.0.1[:port]``, so a frontend on its own
  dev server (another port) can call ``make dev``;
- the local identity headers (``X-Org-Id``, ``X-User-Id``, ``X-Org-Role``) are allowed
  too: they stand in for the ``Authorization`` header a deployment gets;
- development-only routes under ``/_local/`` (any that hand out tokens) get no CORS
  headers at all: no other page may read them.

A disallowed origin, method or header gets an answer without any ``Access-Control-*``
header, which the browser turns into a CORS failure, as against the deployed API.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["LOCAL_IDENTITY_HEADERS", "CorsPolicy", "cors_applies", "cors_policy"]

LOCAL_IDENTITY_HEADERS = ("x-org-id", "x-user-id", "x-org-role")
LOCAL_ONLY_PREFIX = "/_local"
_LOOPBACK_ORIGIN = re.compile(r"^http://(localhost|127\.0\.0\.1)(:[0-9]{1,5})?$")


def cors_applies(raw_path: str) -> bool:
    """False for the development-only routes (``/_local`` and below): they never get CORS headers."""
    return raw_path != LOCAL_ONLY_PREFIX and not raw_path.startswith(LOCAL_ONLY_PREFIX + "/")


def _names(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        return ()
    return tuple(
        str(item).strip().lower() for item in value if isinstance(item, str | int) and str(item).strip()
    )


@dataclass(frozen=True, slots=True)
class CorsPolicy:
    origins: tuple[str, ...]
    allow_methods: tuple[str, ...]
    allow_headers: tuple[str, ...]
    expose_headers: tuple[str, ...]
    max_age: int | None
    allow_credentials: bool

    def allows(self, origin: str | None) -> bool:
        if not origin:
            return False
        origin = origin.strip().lower()
        return origin in self.origins or bool(_LOOPBACK_ORIGIN.match(origin))

    def _credentials(self) -> list[tuple[str, str]]:
        return [("Access-Control-Allow-Credentials", "true")] if self.allow_credentials else []

    def preflight(self, origin: str | None, method: str, requested: str | None) -> list[tuple[str, str]]:
        """The headers of a preflight's answer: none unless origin, method and every header are allowed."""
        headers = [name.strip().lower() for name in (requested or "").split(",") if name.strip()]
        if not self.allows(origin) or method.strip().upper() not in self.allow_methods:
            return []
        if any(name not in self.allow_headers for name in headers):
            return []
        assert origin is not None
        answer = [
            ("Access-Control-Allow-Origin", origin.strip()),
            *self._credentials(),
            ("Access-Control-Allow-Methods", ", ".join(self.allow_methods)),
            ("Access-Control-Allow-Headers", ", ".join(self.allow_headers)),
        ]
        if self.max_age is not None:
            answer.append(("Access-Control-Max-Age", str(self.max_age)))
        return answer

    def response(self, origin: str | None) -> list[tuple[str, str]]:
        """The headers added to an answer for a request from ``origin`` (none if it is not allowed)."""
        if not self.allows(origin):
            return []
        assert origin is not None
        answer = [("Access-Control-Allow-Origin", origin.strip()), *self._credentials()]
        if self.expose_headers:
            answer.append(("Access-Control-Expose-Headers", ", ".join(self.expose_headers)))
        return answer


def _http_api_cors(template: Mapping[str, Any]) -> dict[str, Any]:
    for resource in (template.get("Resources") or {}).values():
        if isinstance(resource, dict) and resource.get("Type") == "AWS::Serverless::HttpApi":
            cors = (resource.get("Properties") or {}).get("CorsConfiguration")
            if isinstance(cors, dict):
                return cors
    return {}


def frontend_origins(frontend_url: str) -> tuple[str, ...]:
    """``FRONTEND_URL``'s origins (the handlers check them; here they are only compared)."""
    entries = (entry.strip().rstrip("/").lower() for entry in frontend_url.split(","))
    return tuple(entry for entry in entries if entry)


def cors_policy(template: Mapping[str, Any], frontend_url: str) -> CorsPolicy | None:
    """The template's HTTP API CORS configuration with the local origins; None if it has none."""
    cors = _http_api_cors(template)
    if not cors:
        return None
    max_age = cors.get("MaxAge")
    allow_headers = _names(cors.get("AllowHeaders"))
    return CorsPolicy(
        origins=frontend_origins(frontend_url),
        allow_methods=tuple(name.upper() for name in _names(cors.get("AllowMethods"))),
        allow_headers=allow_headers + tuple(h for h in LOCAL_IDENTITY_HEADERS if h not in allow_headers),
        expose_headers=_names(cors.get("ExposeHeaders")),
        max_age=int(max_age) if isinstance(max_age, int | str) and str(max_age).isdigit() else None,
        allow_credentials=cors.get("AllowCredentials") is True or str(cors.get("AllowCredentials")) == "true",
    )
