"""Connection metadata as data: what an entry keeps, each value under a snake_case name.

A value comes from the token response (``token:$.team.id``), the callback query
(``callback:realmId``) or a post-connection lookup (``lookup:resources:$[0].id``: a
request the entry declares, made with the new access token). Templates, the
connection view and the token function's ``metadata`` use the name. A ``secret``
value (Slack's incoming webhook URL is a credential) is sealed with the tokens and
handed out only by the token function; ``was`` names the key a previous release
stored it under, so older records read the same.

Extraction is a small, safe JSONPath subset with no code: ``$``, ``.key``, ``[n]``
and ``[?(@.key==value)]`` (the first element whose key equals a JSON scalar).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from byoc.oauth import answers

# A metadata value (a tenant id, a region, an instance URL) longer than this is not kept.
MAX_METADATA_CHARS = 512
NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
SOURCES = ("token", "callback", "lookup")
_KEY = r"[A-Za-z0-9_-]{1,64}"
_STEP = re.compile(
    rf"\.({_KEY})|\[(\d{{1,3}})\]|\[\?\(@\.({_KEY})==(true|false|-?\d{{1,15}}|'[^']{{0,64}}')\)\]"
)
_PATH = re.compile(
    rf"^\$(?:\.{_KEY}|\[\d{{1,3}}\]|\[\?\(@\.{_KEY}==(?:true|false|-?\d{{1,15}}|'[^']{{0,64}}')\)\])*$"
)


@dataclass(frozen=True, slots=True)
class Kept:
    """One value an entry keeps: ``name`` from ``source`` at ``path``."""

    name: str
    source: str
    path: str  # the JSONPath subset; for the callback, the query parameter's name
    lookup: str | None = None  # the lookup's id (source "lookup")
    required: bool = False  # no value: the connection is not usable (metadata_unavailable)
    secret: bool = False
    was: str | None = None


@dataclass(frozen=True, slots=True)
class Lookup:
    """A request made after the exchange, whose JSON answer fills ``Kept`` values."""

    id: str
    url: str  # ``{field}`` and metadata-name placeholders; ``{access_token}`` when token_in is "path"
    method: str = "GET"
    token_in: str = "header"  # "header": Authorization; "path": the URL holds {access_token}
    auth_format: str = "Bearer {access_token}"
    headers: tuple[tuple[str, str], ...] = ()


def kept(raw: dict[str, Any]) -> Kept:
    """A registry ``metadata`` item: ``{"name", "from", "required"?, "secret"?, "was"?}``."""
    source, _, rest = str(raw["from"]).partition(":")
    lookup = None
    if source == "lookup":
        lookup, _, rest = rest.partition(":")
    if source not in SOURCES or not NAME.match(raw["name"]):
        raise ValueError(f"bad metadata item {raw!r}")
    if source != "callback" and not _PATH.match(rest):
        raise ValueError(f"bad metadata path {rest!r}")
    if raw.get("required") and source != "lookup":  # only a lookup can be asked again
        raise ValueError(f"only lookup values can be required: {raw!r}")
    extra = {k: raw[k] for k in ("required", "secret", "was") if k in raw}
    return Kept(name=raw["name"], source=source, path=rest, lookup=lookup, **extra)


def lookup(raw: dict[str, Any]) -> Lookup:
    data = dict(raw)
    data["headers"] = tuple(sorted(data.get("headers", {}).items()))
    return Lookup(**data)


def extract(value: Any, path: str) -> Any:
    """The value at ``path`` (the subset above) in a parsed JSON value, or None."""
    for key, index, field, literal in _STEP.findall(path[1:]):
        if key:
            value = value.get(key) if isinstance(value, dict) else None
        elif index:
            value = value[int(index)] if isinstance(value, list) and int(index) < len(value) else None
        else:
            value = _first_where(value, field, literal)
        if value is None:
            return None
    return value


def _first_where(value: Any, field: str, literal: str) -> Any:
    if not isinstance(value, list):
        return None
    wanted = json.loads(literal.replace("'", '"')) if literal.startswith("'") else json.loads(literal)
    return next((v for v in value if isinstance(v, dict) and v.get(field) == wanted), None)


def value_text(value: Any) -> str | None:
    """A kept value as stored: a short printable string or an integer, as text."""
    return answers.text(value, MAX_METADATA_CHARS) if not isinstance(value, float) else None


def kept_values(
    items: tuple[Kept, ...], source: str, answer: Any, *, lookup_id: str | None = None
) -> dict[str, str]:
    """The values of ``items`` that ``answer`` (of ``source``) holds, by name."""
    found: dict[str, str] = {}
    for item in items:
        if item.source != source or item.lookup != lookup_id:
            continue
        if source == "callback":
            raw = answer.get(item.path) if isinstance(answer, dict) else None
        else:
            raw = extract(answer, item.path)
        text = value_text(raw)
        if text is not None:
            found[item.name] = text
    return found


def split(items: tuple[Kept, ...], values: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """(the values kept in clear on the record, the secret ones sealed with the tokens)."""
    secret = {i.name for i in items if i.secret}
    return (
        {k: v for k, v in values.items() if k not in secret},
        {k: v for k, v in values.items() if k in secret},
    )


def readable(items: tuple[Kept, ...], stored: dict[str, str]) -> dict[str, str]:
    """A record's metadata under today's names (a previous release's ``was`` keys renamed)."""
    if not stored:
        return {}
    renamed = dict(stored)
    for item in items:
        if item.was and item.was in renamed:
            value = renamed.pop(item.was)
            renamed.setdefault(item.name, value)
    return renamed


def public(items: tuple[Kept, ...], stored: dict[str, str]) -> dict[str, str]:
    """What the connection view shows: declared, non-secret names only."""
    if not stored:
        return {}
    shown = {i.name for i in items if not i.secret}
    return {k: v for k, v in readable(items, stored).items() if k in shown}


def missing_required(items: tuple[Kept, ...], values: dict[str, str]) -> tuple[str, ...]:
    return tuple(i.name for i in items if i.required and i.name not in values)
