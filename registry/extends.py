"""``extends``: an entry written as another entry plus what it changes (the Google and Microsoft
families, Zoho's products), resolved before validation so the rest of the schema sees whole entries.

An entry with ``"extends": "<id>"`` starts from that entry (itself resolved first: chains are
allowed, cycles are not) and applies its own keys over it: an object merges key by key, at any
depth; anything else (a string, ``null``, a list such as ``fields`` or ``known_scopes``) replaces
the inherited value whole. Nothing is removed: an entry that must drop a block of another does
not extend it. ``id`` and ``name`` are always the
entry's own, and ``verified`` is never inherited (each entry states what was checked of it).
The resolved entry keeps ``extends`` so the docs can show the family.
"""

from __future__ import annotations

from typing import Any

# Keys an entry never takes from the one it extends.
OWN_KEYS = ("id", "name", "verified")


class ExtendsProblem(ValueError):
    """An ``extends`` that names no entry, or a cycle; ``problems`` has one line each."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


def resolve(entries: list[Any]) -> list[Any]:
    """Every entry whole, in the same order; entries that are not objects are left for the schema."""
    by_id = {e["id"]: e for e in entries if isinstance(e, dict) and isinstance(e.get("id"), str)}
    done: dict[str, dict[str, Any]] = {}
    problems: list[str] = []
    resolved = []
    for entry in entries:
        if isinstance(entry, dict) and isinstance(entry.get("extends"), str):
            resolved.append(_resolved(entry, by_id, done, (), problems))
        else:
            resolved.append(entry)
    if problems:
        raise ExtendsProblem(sorted(set(problems)))
    return resolved


def _resolved(
    entry: dict[str, Any],
    by_id: dict[str, Any],
    done: dict[str, dict[str, Any]],
    chain: tuple[str, ...],
    problems: list[str],
) -> dict[str, Any]:
    own_id = entry["id"]
    if own_id in done:
        return done[own_id]
    base_id = entry.get("extends")
    if not isinstance(base_id, str):
        return entry
    if base_id in chain or base_id == own_id:
        problems.append(f"{own_id}: extends: {' -> '.join((*chain, own_id, base_id))} is a cycle")
        return entry
    base = by_id.get(base_id)
    if base is None:
        problems.append(f"{own_id}: extends: {base_id!r} is no entry of this file")
        return entry
    base = _resolved(base, by_id, done, (*chain, own_id), problems)
    inherited = {k: v for k, v in base.items() if k not in OWN_KEYS and k != "extends"}
    done[own_id] = merged(inherited, entry)
    return done[own_id]


def merged(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """``over`` applied to ``base``: objects merged at every depth, anything else replaces."""
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merged(out[key], value)
        else:
            out[key] = value
    return out
