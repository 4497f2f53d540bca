"""A plausible org for any registry entry, and the same org as the reference facts would hold it.

Hand-written samples (the tests' ``ORG_SAMPLES``) cover the entries whose field names matter; every
other entry gets one made here from its own fields: the example, else the default, else the first
option, else the first of a few common shapes that its pattern accepts. The facts name the same
values in camelCase (``${connectionConfig.subdomain}``, ``accountId``): ``facts_config`` maps our
snake_case names back through the facts' own field list, so the facts' templates can be rendered
without our importer's help.
"""

from __future__ import annotations

import re
from typing import Any

try:  # Python 3.11+: the parser is internal and moved
    from re import _parser  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover
    import sre_parse as _parser  # type: ignore[no-redef]

from byoc.oauth.registry import Field, Provider

CLOUD = "11111111-2222-3333-4444-555555555555"
# Values tried in turn against a field's pattern when it gives no example, default or option.
SHAPES = ("acme", "acme-1", "12345", "1234567890", "us", "acme.example", "Acme1", CLOUD, "a" * 16, "v1")
_FACT = re.compile(r"\$\{connectionConfig\.([A-Za-z0-9_.-]+)\}")


def snake(name: str) -> str:
    """``accountId`` → ``account_id``, as the registry names the facts' fields."""
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).replace("-", "_").replace(".", "_").lower()


def field_value(spec: Field) -> str:
    """A value the field accepts, as an admin would type it (the default when it has one)."""
    if spec.type == "url" and not spec.example:
        return "https://x.example.com"
    pattern = re.compile(spec.pattern) if spec.pattern else None
    candidates = [spec.default, spec.example, *(spec.options or ()), *SHAPES]
    for value in candidates:
        if value and (pattern is None or pattern.fullmatch(value)) and len(value) <= spec.max_length:
            return value
    assert pattern is not None
    return _from_pattern(spec.pattern or "", spec.max_length)


def _from_pattern(pattern: str, max_length: int) -> str:
    """A value matching a key's documented shape (``^[a-f0-9]{32}$``): each part of the regular
    expression at its shortest, its first choice; checked against the pattern."""
    value = "".join(_emit(item) for item in _parser.parse(pattern))
    if not re.fullmatch(pattern, value) or len(value) > max_length:
        raise AssertionError(f"no sample value fits {pattern}")
    return value


_CATEGORY = {"category_digit": "0", "category_word": "a", "category_space": " "}


def _emit(item: tuple[Any, Any]) -> str:
    op, arg = item
    name = str(op).lower()
    if name == "literal":
        return chr(arg)
    if name == "in":
        return _first_of(arg)
    if name in ("max_repeat", "min_repeat", "possessive_repeat"):
        low, _, body = arg
        return "".join(_emit(i) for i in body) * low
    if name == "subpattern":
        return "".join(_emit(i) for i in arg[-1])
    if name == "branch":
        return "".join(_emit(i) for i in arg[1][0])
    if name == "any":
        return "a"
    if name == "category":
        return _CATEGORY.get(str(arg).lower(), "a")
    return ""  # anchors and boundaries take no characters


def _first_of(items: list[tuple[Any, Any]]) -> str:
    for op, arg in items:
        name = str(op).lower()
        if name == "literal":
            return chr(arg)
        if name == "range":
            return chr(arg[0])
        if name == "category":
            return _CATEGORY.get(str(arg).lower(), "a")
    return "a"


def org_values(provider: Provider) -> dict[str, str]:
    """Every non-secret field of the entry (client id and secret aside), filled."""
    return {
        f.name: field_value(f)
        for f in provider.fields
        if not f.secret and f.name not in ("client_id", "client_secret")
    }


def metadata_values(provider: Provider) -> dict[str, str]:
    """What the provider would answer for each metadata name: an origin under the API's suffix for a
    name that starts the API base, else an opaque id."""
    if provider.oauth is None:
        return {}
    api = provider.api
    out = {}
    for name in provider.oauth.metadata_names:
        if api is not None and api.base_url.startswith("{" + name + "}"):
            out[name] = "https://" + (api.allowed_host_suffixes or ("x.example.com",))[0]
        else:
            out[name] = {"dc": "us6", "realm_id": "9130"}.get(name, CLOUD)
    return out


def facts_config(fact: dict[str, Any], values: dict[str, str]) -> dict[str, str]:
    """``values`` under the facts' own names: every connection-config name the facts use whose
    snake_case form is one of ours."""
    names = set(fact.get("connection_config_fields") or {}) | set(fact.get("templated_fields") or [])
    for key in ("authorization_url", "token_url", "refresh_url", "proxy_base_url"):
        names |= set(_FACT.findall(fact.get(key) or ""))
    for key in ("authorization_params", "token_params", "refresh_params", "proxy_headers"):
        names |= set(_FACT.findall(str(fact.get(key) or "")))
    return {name: values[snake(name)] for name in names if snake(name) in values}


def fact_text(value: Any) -> str:
    """A facts value as it goes on the wire: JSON's spelling for booleans."""
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def render_fact(template: str, config: dict[str, str]) -> str:
    """The facts' templating: ``A || B`` is A when all of A's placeholders have values, else B."""
    for alternative in template.split(" || "):
        names = _FACT.findall(alternative)
        if all(config.get(name) for name in names):
            return _FACT.sub(lambda m: config[m.group(1)], alternative.strip())
    raise AssertionError(f"no alternative of {template!r} renders with {config}")
