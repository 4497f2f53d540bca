"""The frontend's origins: ``FRONTEND_URL`` is one origin or a comma-separated list of them.

Each is ``https://host[:port]`` (no path, query or credentials; a trailing ``/`` is
dropped), or ``http://localhost[:port]`` / ``http://127.0.0.1[:port]`` when local http
is allowed (``ALLOW_LOCAL_HTTP``, the local server). The first is the default: where
the browser lands after a flow that did not say which frontend started it.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from byoc.errors import ConfigurationError

LOCAL_HOSTS = ("localhost", "127.0.0.1")
_HOST = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$")
MAX_ORIGINS = 20


def _odd(value: str) -> bool:
    return not value or "\\" in value or any(c.isspace() or not c.isprintable() for c in value)


def parse_origin(value: str) -> str | None:
    """``scheme://host[:port]`` in lower case, if ``value`` is an http(s) origin; else None."""
    if _odd(value) or value.endswith(("?", "#")):
        return None
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        return None
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    extra = parts.username is not None or parts.path not in ("", "/") or parts.query or parts.fragment
    if scheme not in ("http", "https") or extra or not _HOST.match(host):
        return None
    return f"{scheme}://{host}" + (f":{port}" if port is not None else "")


def frontend_origins(raw: str, *, allow_local_http: bool) -> tuple[str, ...]:
    """The origins ``FRONTEND_URL`` names, in order, each checked; ConfigurationError if one is not."""
    found: list[str] = []
    for entry in raw.split(","):
        origin = parse_origin(entry.strip())
        if origin is None:
            raise ConfigurationError(
                "FRONTEND_URL must be an origin (https://app.example.com) or a comma-separated list of them"
            )
        if origin.startswith("http://") and not (allow_local_http and _is_local(origin)):
            raise ConfigurationError(
                "FRONTEND_URL must use https (http only for localhost or 127.0.0.1 with ALLOW_LOCAL_HTTP)"
            )
        if origin not in found:
            found.append(origin)
    if len(found) > MAX_ORIGINS:
        raise ConfigurationError(f"FRONTEND_URL names more than {MAX_ORIGINS} origins")
    return tuple(found)


def _is_local(origin: str) -> bool:
    host = urlsplit(origin).hostname
    return host in LOCAL_HOSTS


def origin_of(origin_header: str | None, referer: str | None) -> str | None:
    """The calling page's origin: the ``Origin`` header, else the ``Referer``'s scheme, host and port."""
    if origin_header and origin_header.strip() != "null":
        return parse_origin(origin_header.strip())
    if not referer:
        return None
    try:
        parts = urlsplit(referer.strip())
    except ValueError:
        return None
    if not parts.scheme or not parts.netloc:
        return None
    return parse_origin(f"{parts.scheme}://{parts.netloc}")
