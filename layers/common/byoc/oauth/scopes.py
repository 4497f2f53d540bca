"""What an org asks its provider for: scope sets from the registry, the org's choice, checked.

Each OAuth entry has one scope set (the authorize request's ``scope``) and Slack a
second (``user_scope``). A set declares what is asked when the org chooses nothing
(``default``), what is always asked (``required``: ``openid`` for OpenID Connect,
``offline_access`` where refresh needs it), the provider's documented scopes offered as
choices (``known``), and whether others may be asked (``allow_unknown``; each is then
checked against RFC 6749 §3.3's ``scope-token`` syntax, with bounded count and length).

The org's choice is kept in the record's clear settings (``config["scopes"]``, a
space-joined list: a space is never part of a scope token), outside the app's
fingerprint: changing it keeps the tokens, and the next start asks for the new scopes.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

from byoc.errors import ValidationFailed

# RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
SCOPE_TOKEN = re.compile(r"[\x21\x23-\x5b\x5d-\x7e]{1,256}")
MAX_SCOPES = 100
MAX_JOINED_LENGTH = 4000


@dataclass(frozen=True, slots=True)
class KnownScope:
    name: str
    description: str

    def public(self) -> dict[str, str]:
        return {"name": self.name, "description": self.description}


@dataclass(frozen=True, slots=True)
class ScopeSet:
    """One set of scopes an entry asks for, and what the org may choose."""

    name: str = "scopes"  # the save body's key and the record's setting
    param: str = "scope"  # the authorize request's parameter
    label: str = "Scopes"
    default: tuple[str, ...] = ()
    required: tuple[str, ...] = ()
    known: tuple[KnownScope, ...] = ()
    allow_unknown: bool = True
    separator: str = " "

    def chosen(self, config: dict[str, str]) -> list[str]:
        """What start asks for: the required scopes, then the org's choice (or the defaults)."""
        saved = config.get(self.name)
        choice = saved.split() if saved is not None else list(self.default)
        return _unique([*self.required, *choice])

    def check(self, value: Any) -> tuple[str, ...]:
        """The org's choice (a JSON list of strings), checked; ``ValidationFailed`` names this set."""
        if not isinstance(value, list) or not all(isinstance(s, str) for s in value):
            raise ValidationFailed({self.name: "must be a list of strings"})
        scopes = _unique([s.strip() for s in value if s.strip()])
        problem = self._problem(scopes)
        if problem:
            raise ValidationFailed({self.name: problem})
        return tuple(scopes)

    def _problem(self, scopes: list[str]) -> str | None:
        if len(scopes) > MAX_SCOPES:
            return f"must hold at most {MAX_SCOPES} scopes"
        if len(" ".join(scopes)) > MAX_JOINED_LENGTH:
            return f"must be at most {MAX_JOINED_LENGTH} characters in all"
        bad = [s for s in scopes if not SCOPE_TOKEN.fullmatch(s) or self.separator in s]
        if bad:
            return "holds a value that is not a scope (RFC 6749 §3.3: visible ASCII, no space, quote or \\)"
        if not self.allow_unknown:
            names = {k.name for k in self.known} | set(self.required)
            unknown = sorted(s for s in scopes if s not in names)
            if unknown:
                return "may only hold this provider's known scopes; not known: " + ", ".join(unknown[:5])
        return None

    def public(self) -> dict[str, Any]:
        """The set as a field of the catalogue (``type: "scopes"``)."""
        return {
            "name": self.name,
            "label": self.label,
            "type": "scopes",
            "required": False,
            "secret": False,
            "default": list(self.default),
            "required_scopes": list(self.required),
            "known_scopes": [k.public() for k in self.known],
            "allow_unknown": self.allow_unknown,
        }


def scope_set(raw: dict[str, Any], *, name: str, param: str, label: str, separator: str) -> ScopeSet:
    """A set from the registry's keys (``default_scopes``, ``required_scopes``, ``known_scopes``,
    ``allow_unknown_scopes``)."""
    return ScopeSet(
        name=name,
        param=param,
        label=label,
        default=tuple(raw.get("default_scopes", ())),
        required=tuple(raw.get("required_scopes", ())),
        known=tuple(KnownScope(**k) for k in raw.get("known_scopes", ())),
        allow_unknown=bool(raw.get("allow_unknown_scopes", True)),
        separator=separator,
    )


def asked_fingerprint(sets: tuple[ScopeSet, ...], config: dict[str, str]) -> str:
    """What a start asks for, as a short hash: a connection whose grant was asked for other
    scopes than the org's current choice needs authorizing again."""
    asked = [[s.param, s.chosen(config)] for s in sets]
    canonical = json.dumps(asked, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


# (provider id, each set's saved choice) -> fingerprint: the list view asks for every active
# connection of every request. Bounded: cleared when full (an entry costs one hash to rebuild).
_BY_CHOICE: dict[tuple[str, tuple[str | None, ...]], str] = {}
_BY_CHOICE_MAX = 1024


def cached_fingerprint(provider_id: str, sets: tuple[ScopeSet, ...], config: dict[str, str]) -> str:
    """``asked_fingerprint``, cached per provider and saved choice (``chosen`` reads nothing else)."""
    key = (provider_id, tuple(config.get(s.name) for s in sets))
    found = _BY_CHOICE.get(key)
    if found is None:
        if len(_BY_CHOICE) >= _BY_CHOICE_MAX:
            _BY_CHOICE.clear()
        found = _BY_CHOICE[key] = asked_fingerprint(sets, config)
    return found


def granted_list(scopes: str | None) -> list[str]:
    """A token answer's ``scope`` as a list (providers join with spaces or commas)."""
    if not scopes:
        return []
    return scopes.split() if "," not in scopes else [s for s in re.split(r"[\s,]+", scopes) if s]


def _unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))
