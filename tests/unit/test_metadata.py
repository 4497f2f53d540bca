"""The metadata declarations and their JSONPath subset; lookups' URLs and hosts."""

from __future__ import annotations

import httpx
import pytest

from byoc.errors import UnsafeUrl
from byoc.oauth import lookups
from byoc.oauth.metadata import Kept, extract, kept, lookup, public, readable
from byoc.oauth.registry import get_registry
from byoc.outbound import OutboundClient

DOC = {
    "team": {"id": "T1", "name": "Acme"},
    "accounts": [
        {"account_id": "a1", "is_default": False, "base_uri": "https://na1.docusign.net"},
        {"account_id": "a2", "is_default": True, "base_uri": "https://eu.docusign.net"},
    ],
    "items": [{"id": 7}, {"kind": "x"}],
}


@pytest.mark.parametrize(
    "path,value",
    [
        ("$.team.id", "T1"),
        ("$.accounts[1].account_id", "a2"),
        ("$.accounts[?(@.is_default==true)].base_uri", "https://eu.docusign.net"),
        ("$.accounts[?(@.account_id=='a1')].base_uri", "https://na1.docusign.net"),
        ("$.items[0].id", 7),
        ("$.items[5].id", None),
        ("$.team.missing", None),
        ("$.team[0]", None),
        ("$.accounts.id", None),
    ],
)
def test_the_path_subset_finds_what_it_names_and_nothing_else(path, value):
    assert extract(DOC, path) == value


@pytest.mark.parametrize(
    "raw",
    [
        {"name": "TeamId", "from": "token:$.team.id"},  # not snake_case
        {"name": "team_id", "from": "token:team.id"},  # not a path
        {"name": "team_id", "from": "token:$..id"},  # recursive descent is not in the subset
        {"name": "team_id", "from": "token:$.team[*]"},
        {"name": "team_id", "from": "token:$.a[?(@.b.__class__)]"},
        {"name": "team_id", "from": "header:x"},
        {"name": "team_id", "from": "token:$.team.id", "required": True},  # only lookups are asked again
    ],
)
def test_a_declaration_outside_the_format_is_refused_when_the_registry_loads(raw):
    with pytest.raises((ValueError, TypeError)):
        kept(raw)


def test_older_keys_read_under_todays_names_and_the_view_shows_only_declared_clear_values():
    items = (
        Kept("team_id", "token", "$.team.id", was="team.id"),
        Kept("webhook_url", "token", "$.w.url", secret=True, was="w.url"),
    )
    stored = {"team.id": "T1", "w.url": "https://hooks.example/x", "stray": "y"}
    assert readable(items, stored) == {
        "team_id": "T1",
        "webhook_url": "https://hooks.example/x",
        "stray": "y",
    }
    assert public(items, stored) == {"team_id": "T1"}


def test_a_lookup_host_outside_the_entrys_suffixes_is_refused_before_anything_is_sent():
    sent: list[httpx.Request] = []
    client = OutboundClient(transport=httpx.MockTransport(lambda r: sent.append(r) or httpx.Response(200)))
    atlassian = get_registry().oauth("atlassian")
    assert atlassian.oauth is not None
    hostile = lookup({"id": "resources", "url": "https://{site}/oauth/token/accessible-resources"})
    spec = atlassian.oauth
    url = lookups.lookup_url(spec, hostile, "at-1", {"site": "evil.example"})
    assert url == "https://evil.example/oauth/token/accessible-resources"
    with pytest.raises(UnsafeUrl):
        client.request("GET", url, max_bytes=1024, allowed_suffixes=spec.allowed_host_suffixes)
    assert sent == []


def test_a_templated_value_cannot_add_a_path_or_a_host():
    spec = get_registry().oauth("atlassian").oauth
    assert spec is not None
    templated = lookup({"id": "x", "url": "https://api.atlassian.com/ex/jira/{cloud_id}/rest"})
    url = lookups.lookup_url(spec, templated, "at-1", {"cloud_id": "../../evil.example/@x?y#z"})
    assert url == "https://api.atlassian.com/ex/jira/..%2F..%2Fevil.example%2F%40x%3Fy%23z/rest"
    assert lookups.lookup_url(spec, templated, "at-1", {}) is None  # a missing value: no request


def test_every_lookup_of_the_registry_stays_under_its_entrys_hosts():
    from byoc.outbound import check_url

    for provider in get_registry():
        spec = provider.oauth
        for item in spec.lookups if spec else ():
            values = {name: "v" for name in ("subdomain", "access_token")}
            url = lookups.lookup_url(spec, item, "at-1", values)
            assert url is not None, (provider.id, item.id)
            check_url(url, allowed_suffixes=spec.allowed_host_suffixes)
            names = {k.lookup for k in spec.metadata if k.source == "lookup"}
            assert item.id in names, f"{provider.id}: lookup {item.id} fills nothing"
        for k in spec.metadata if spec else ():
            if k.source == "lookup":
                assert k.lookup in {x.id for x in spec.lookups}, (provider.id, k.name)
