"""GET /providers: the catalogue, precomputed once, cacheable, revalidated with ETag, gzip on request."""

from __future__ import annotations

import base64
import gzip
import json

from tests.helpers import aws_calls, body_of


def test_the_catalogue_needs_no_token_and_no_aws_call(api):
    with aws_calls() as calls:
        answer = api.providers()
    assert answer["statusCode"] == 200
    assert calls == []
    headers = answer["headers"]
    assert headers["Cache-Control"] == "public, max-age=300"
    assert headers["ETag"].startswith('"') and headers["ETag"].endswith('"')
    assert headers["Vary"] == "Accept-Encoding"
    entry = next(e for e in body_of(answer)["providers"] if e["id"] == "slack")
    assert [f["name"] for f in entry["fields"] if f["type"] == "scopes"] == ["scopes", "user_scopes"]
    assert entry["redirect_uri"] == "https://api.example.com/oauth/callback/slack"


def test_a_held_etag_is_answered_304_without_a_body(api):
    etag = api.providers()["headers"]["ETag"]
    for held in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        answer = api.providers(headers={"If-None-Match": held})
        assert (answer["statusCode"], answer["body"]) == (304, ""), held
        assert answer["headers"]["ETag"] == etag
    assert api.providers(headers={"If-None-Match": '"stale"'})["statusCode"] == 200


def test_a_client_that_accepts_gzip_gets_the_same_body_compressed(api):
    plain = api.providers()
    packed = api.providers(headers={"Accept-Encoding": "br, gzip;q=0.8"})
    assert packed["headers"]["Content-Encoding"] == "gzip" and packed["isBase64Encoded"] is True
    assert json.loads(gzip.decompress(base64.b64decode(packed["body"]))) == json.loads(plain["body"])
    assert len(packed["body"]) < len(plain["body"]) / 3
    refused = api.providers(headers={"Accept-Encoding": "gzip;q=0"})
    assert "Content-Encoding" not in refused["headers"]


def test_the_etag_follows_the_api_url_in_the_body(api):
    here = api.providers()
    there = api.providers(domain="api.other.example")
    assert here["headers"]["ETag"] != there["headers"]["ETag"]
    assert "api.other.example" in there["body"]


def test_the_catalogue_is_sorted_by_name_as_a_person_reads_it(api):
    names = [e["name"] for e in body_of(api.providers())["providers"]]
    assert names == sorted(names, key=str.casefold)
    assert len(names) == len(set(names))
