"""``extends`` (registry/extends.py): an entry written on top of another, resolved before validation."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from registry.compiler import RegistryInvalid, compiled_provider, validate
from registry.extends import ExtendsProblem, merged, resolve

ROOT = Path(__file__).resolve().parents[2]
SOURCE = json.loads((ROOT / "layers/common/byoc/oauth/providers.json").read_text(encoding="utf-8"))


def test_objects_merge_at_every_depth_and_everything_else_replaces() -> None:
    base = {"a": {"b": 1, "c": {"d": 2, "e": 3}}, "l": [1, 2], "s": "x", "n": 1}
    over = {"a": {"c": {"e": 4}}, "l": [3], "s": None}
    assert merged(base, over) == {"a": {"b": 1, "c": {"d": 2, "e": 4}}, "l": [3], "s": None, "n": 1}
    assert base["a"]["c"] == {"d": 2, "e": 3}, "the base is not changed"


def test_a_chain_resolves_in_order_and_own_keys_are_never_inherited() -> None:
    entries = [
        {"id": "c", "extends": "b", "name": "C", "x": {"k": "c"}},
        {"id": "a", "name": "A", "verified": {"level": "docs"}, "x": {"k": "a", "m": "a"}, "y": 1},
        {"id": "b", "extends": "a", "name": "B", "x": {"m": "b"}},
    ]
    c, a, b = resolve(entries)
    assert a is entries[1]
    assert b == {"id": "b", "extends": "a", "name": "B", "x": {"k": "a", "m": "b"}, "y": 1}
    assert c == {"id": "c", "extends": "b", "name": "C", "x": {"k": "c", "m": "b"}, "y": 1}
    assert "verified" not in b and "verified" not in c


@pytest.mark.parametrize(
    ("entries", "problem"),
    [
        ([{"id": "a", "extends": "a"}], "a: extends: a -> a is a cycle"),
        ([{"id": "a", "extends": "b"}, {"id": "b", "extends": "a"}], "is a cycle"),
        ([{"id": "a", "extends": "nope"}], "a: extends: 'nope' is no entry of this file"),
    ],
)
def test_a_cycle_or_an_unknown_base_is_refused(entries, problem) -> None:
    with pytest.raises(ExtendsProblem) as caught:
        resolve(entries)
    assert any(problem in line for line in caught.value.problems), caught.value.problems


def test_a_family_member_compiles_like_the_copy_it_replaces() -> None:
    """Writing Google Drive as ``google`` plus its changes gives the entry a full copy would."""
    data = copy.deepcopy(SOURCE)
    google = next(p for p in data["providers"] if p["id"] == "google")
    copied = {**copy.deepcopy(google), "id": "google-copy", "name": "Google copy"}
    copied["oauth"]["default_scopes"] = ["openid", "email", "https://www.googleapis.com/auth/drive.file"]
    member = {
        "id": "google-member",
        "name": "Google copy",
        "extends": "google",
        "verified": google["verified"],
        "oauth": {"default_scopes": copied["oauth"]["default_scopes"]},
    }
    data["providers"] += [copied, member]
    model = {p.id: p for p in validate(data).providers}
    as_copy = compiled_provider(model["google-copy"])
    as_member = compiled_provider(model["google-member"])
    assert as_member.pop("extends") == "google"
    assert {**as_member, "id": "google-copy"} == as_copy


def test_a_member_is_validated_whole_naming_itself() -> None:
    data = copy.deepcopy(SOURCE)
    data["providers"].append(
        {
            "id": "google-broken",
            "name": "Google broken",
            "extends": "google",
            "verified": {"level": "docs"},
            "oauth": {"token_url": "https://oauth2.evil.test/token"},
        }
    )
    with pytest.raises(RegistryInvalid) as caught:
        validate(data)
    assert all(p.startswith("google-broken: ") for p in caught.value.problems), caught.value.problems
    assert any("oauth.token_url" in p for p in caught.value.problems)
