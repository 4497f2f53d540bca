"""Where the local server keeps its data, and the settings it hands to the handlers.

Backends, chosen from the environment:
- default: an in-process moto server; data lives as long as the server;
- ``BYOC_AWS_ENDPOINT_URL=http://...``: another AWS-compatible endpoint (LocalStack,
  a moto server of your own ...); the table, key and bus are created there if missing;
- ``BYOC_USE_AWS=true``: real AWS with your usual credentials, the existing table
  ``BYOC_TABLE_NAME`` and key ``BYOC_KMS_KEY_ID`` (and ``BYOC_EVENT_BUS_NAME`` if set);
  nothing is created.

The handlers read their settings from ``os.environ``, which is process-wide:
``handler_environment`` computes the variables to set (a value) or unset (None).
Precedence, lowest first: the template's plain values (Globals and functions'
``Environment.Variables``, parameter defaults for ``!Ref``), the local defaults,
anything already in the environment, the backend's variables (always), then the
caller's overrides.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "LOCAL_EVENT_BUS",
    "LOCAL_TABLE_NAME",
    "Backend",
    "ConfigError",
    "admin_rule",
    "backend_from_env",
    "handler_environment",
    "template_environment",
]

LOCAL_TABLE_NAME = "byoc-local-connections"
LOCAL_EVENT_BUS = "byoc-local"
REGION = "us-east-1"
_TRUE = {"1", "true", "yes", "on"}


class ConfigError(ValueError):
    """The BYOC_* variables ask for something inconsistent."""


@dataclass(frozen=True, slots=True)
class Backend:
    mode: str  # "moto", "endpoint" or "aws"
    endpoint_url: str | None  # None for "moto" until its server runs, and for "aws"
    table_name: str
    kms_key_id: str | None  # given only with BYOC_USE_AWS; else created
    event_bus_name: str

    @property
    def creates_resources(self) -> bool:
        return self.mode != "aws"


# Development-only routes under /_local hand out tokens; against real AWS they hold real ones.
LOCAL_ROUTES_WITH_AWS = "BYOC_LOCAL_ROUTES_WITH_AWS"


def local_routes_refused(backend: Backend, environ: Mapping[str, str]) -> bool:
    """True when ``/_local`` routes must answer 403: the data is real AWS (``BYOC_USE_AWS``)
    and ``BYOC_LOCAL_ROUTES_WITH_AWS`` does not say otherwise."""
    allowed = environ.get(LOCAL_ROUTES_WITH_AWS, "").strip().lower() in _TRUE
    return backend.mode == "aws" and not allowed


def backend_from_env(source: Mapping[str, str]) -> Backend:
    use_aws = source.get("BYOC_USE_AWS", "").strip().lower() in _TRUE
    endpoint = source.get("BYOC_AWS_ENDPOINT_URL", "").strip()
    table = source.get("BYOC_TABLE_NAME", "").strip()
    if use_aws:
        if endpoint:
            raise ConfigError("set BYOC_USE_AWS=true or BYOC_AWS_ENDPOINT_URL, not both")
        key = source.get("BYOC_KMS_KEY_ID", "").strip()
        if not table or not key:
            raise ConfigError(
                "BYOC_USE_AWS=true needs BYOC_TABLE_NAME and BYOC_KMS_KEY_ID (nothing is created)"
            )
        return Backend("aws", None, table, key, source.get("BYOC_EVENT_BUS_NAME", "").strip())
    if endpoint and not endpoint.startswith(("http://", "https://")):
        raise ConfigError("BYOC_AWS_ENDPOINT_URL must be an http(s) URL")
    bus = source.get("BYOC_EVENT_BUS_NAME", "").strip() or LOCAL_EVENT_BUS
    return Backend("endpoint" if endpoint else "moto", endpoint or None, table or LOCAL_TABLE_NAME, None, bus)


def admin_rule(environ: Mapping[str, str]) -> str:
    """Who may save, start and disconnect locally, as the handlers decide it (``byoc.settings``).

    As in a deployment, ``ADMIN_CLAIM`` (``claim=value``) names the admin role and
    ``ANY_MEMBER_ADMIN=true`` lets every member in; locally the ``X-Org-Role`` header stands in
    for the role claim. With neither set, the local default is ``org_role=admin`` (send
    ``X-Org-Role: admin``), or every member with ``BYOC_LOCAL_ANY_MEMBER_ADMIN=true``.
    """
    claim = environ.get("ADMIN_CLAIM", "").strip()
    if environ.get("ANY_MEMBER_ADMIN", "").strip().lower() in _TRUE:
        return "every org member is an admin (ANY_MEMBER_ADMIN=true)"
    source = "ADMIN_CLAIM"
    if not claim:
        if environ.get("BYOC_LOCAL_ANY_MEMBER_ADMIN", "").strip().lower() in _TRUE:
            return "every org member is an admin (BYOC_LOCAL_ANY_MEMBER_ADMIN=true)"
        claim, source = "org_role=admin", "the local default; set ADMIN_CLAIM=claim=value to change it"
    name, _, value = claim.partition("=")
    return (
        f"admins send X-Org-Role: {value} (it stands in for the {name} claim; {source}); "
        "anyone else gets 403 on save, start and disconnect"
    )


def _plain(value: Any, parameters: Mapping[str, Any]) -> str | None:
    """A variable's value when it is plain data or a ``!Ref`` to a parameter with a default."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    if isinstance(value, dict) and list(value) == ["Ref"]:
        parameter = parameters.get(value["Ref"])
        if isinstance(parameter, dict) and "Default" in parameter:
            default = parameter["Default"]
            return ",".join(map(str, default)) if isinstance(default, list) else _plain(default, {})
    return None


def template_environment(template: Mapping[str, Any]) -> dict[str, str]:
    """The functions' environment variables that the template gives plain values.

    A variable two functions set to different values is left out (all handlers share
    one process environment here).
    """
    parameters = template.get("Parameters") or {}
    globals_fn = (template.get("Globals") or {}).get("Function") or {}
    found: dict[str, str] = {}
    for name, value in ((globals_fn.get("Environment") or {}).get("Variables") or {}).items():
        plain = _plain(value, parameters)
        if plain is not None:
            found[name] = plain
    per_function: dict[str, set[str]] = {}
    for resource in (template.get("Resources") or {}).values():
        if not isinstance(resource, dict) or resource.get("Type") != "AWS::Serverless::Function":
            continue
        variables = ((resource.get("Properties") or {}).get("Environment") or {}).get("Variables") or {}
        for name, value in variables.items():
            plain = _plain(value, parameters)
            if plain is not None:
                per_function.setdefault(name, set()).add(plain)
    for name, values in per_function.items():
        if len(values) == 1:
            found[name] = values.pop()
        else:
            found.pop(name, None)
    return found


def _backend_variables(backend: Backend, environ: Mapping[str, str]) -> dict[str, str | None]:
    if backend.mode == "aws":
        return {}
    variables: dict[str, str | None] = {
        "AWS_ENDPOINT_URL": backend.endpoint_url,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        # Dummy credentials: with a local endpoint nothing may reach a real account.
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_SESSION_TOKEN": None,
        "AWS_SECURITY_TOKEN": None,
        "AWS_PROFILE": None,
        "AWS_DEFAULT_PROFILE": None,
        "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": None,
    }
    # Service-specific endpoints (AWS_ENDPOINT_URL_DYNAMODB ...) would win over ours.
    variables.update({name: None for name in environ if name.startswith("AWS_ENDPOINT_URL_")})
    if any(environ.get(name) for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy")):
        for name in ("NO_PROXY", "no_proxy"):
            current = environ.get(name, "")
            variables[name] = ",".join(filter(None, [current, "127.0.0.1", "localhost"]))
    return variables


def handler_environment(
    *,
    template: Mapping[str, Any],
    url: str,
    backend: Backend,
    table_name: str,
    kms_key_id: str,
    event_bus_name: str,
    overrides: Mapping[str, str | None] | None = None,
    environ: Mapping[str, str] | None = None,
) -> dict[str, str | None]:
    """The variables to set (str) or unset (None) in ``os.environ`` before loading the handlers."""
    environ = os.environ if environ is None else environ
    defaults = template_environment(template)
    defaults.update(
        {
            "FRONTEND_URL": url,
            "PUBLIC_API_URL": url,
            # As deployed: the callback parks the code and the frontend completes the flow.
            "BROWSER_BINDING": "false",
            "ALLOW_LOCAL_HTTP": "true",
            "POWERTOOLS_SERVICE_NAME": "byoc",
            "POWERTOOLS_METRICS_NAMESPACE": "Byoc",
            # The server prints one access line per request; the functions' own JSON logs
            # and EMF metrics would double it. Set these to see them.
            "POWERTOOLS_LOG_LEVEL": "WARNING",
            "POWERTOOLS_METRICS_DISABLED": "true",
        }
    )
    # The template's own TABLE_NAME etc. are !Ref/!GetAtt, so never plain; these are ours.
    changes: dict[str, str | None] = {k: v for k, v in defaults.items() if k not in environ}
    changes.update(
        {
            "BYOC_LOCAL": "true",
            "TABLE_NAME": table_name,
            "KMS_KEY_ID": kms_key_id,
            "EVENT_BUS_NAME": event_bus_name,
            "POWERTOOLS_DEV": None,
        }
    )
    changes.update(_backend_variables(backend, environ))
    changes.update(dict(overrides or {}))
    return changes
