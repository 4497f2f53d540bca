from urllib.parse import parse_qs, urlsplit

from byoc.oauth import protocol as oauth
from byoc.oauth.registry import get_registry


def test_code_challenge_matches_rfc7636_appendix_b():
    # Given the verifier from RFC 7636 Appendix B
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    # When / Then
    assert oauth.code_challenge(verifier) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def test_code_verifier_is_fresh_and_within_rfc_length_and_alphabet():
    verifiers = {oauth.new_code_verifier() for _ in range(50)}
    assert len(verifiers) == 50
    for verifier in verifiers:
        assert 43 <= len(verifier) <= 128
        assert set(verifier) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")


def test_authorize_url_carries_s256_challenge_state_and_exact_redirect_uri():
    provider = get_registry().get("zendesk")
    url = oauth.build_authorize_url(
        provider,
        authorize_url="https://acme.zendesk.com/oauth/authorizations/new",
        client_id="cid",
        redirect_uri="https://api.example.com/oauth/callback/zendesk",
        state="st",
        code_verifier="dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
        scopes={"scope": ["read", "write"]},
    )
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    assert (parts.scheme, parts.netloc, parts.path) == (
        "https",
        "acme.zendesk.com",
        "/oauth/authorizations/new",
    )
    assert query["code_challenge"] == ["E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"]
    assert query["code_challenge_method"] == ["S256"]
    assert query["redirect_uri"] == ["https://api.example.com/oauth/callback/zendesk"]
    assert query["scope"] == ["read write"]
    assert query["response_type"] == ["code"]
    assert "code_verifier" not in query


def test_authorize_url_without_pkce_has_no_challenge():
    provider = get_registry().get("slack")
    url = oauth.build_authorize_url(
        provider,
        authorize_url="https://slack.com/oauth/v2/authorize",
        client_id="c",
        redirect_uri="https://x/cb",
        state="s",
        code_verifier=None,
        scopes={"scope": ["a", "b"]},
    )
    query = parse_qs(urlsplit(url).query)
    assert "code_challenge" not in query
    assert query["scope"] == ["a,b"]
