"""devserver.cors: the policy read from a template's HTTP API CorsConfiguration."""

from __future__ import annotations

from devserver.cors import cors_applies, cors_policy

TEMPLATE = {
    "Resources": {
        "Api": {
            "Type": "AWS::Serverless::HttpApi",
            "Properties": {
                "CorsConfiguration": {
                    "AllowOrigins": {"Fn::Split": [",", {"Ref": "FrontendUrl"}]},
                    "AllowCredentials": False,
                    "AllowHeaders": ["Authorization", "X-Org-Id"],
                    "AllowMethods": ["get", "POST"],
                    "ExposeHeaders": ["ETag"],
                    "MaxAge": 60,
                }
            },
        }
    }
}


def test_the_policy_follows_the_template_and_frontend_url() -> None:
    policy = cors_policy(TEMPLATE, "https://App.example.com/, https://b.example.com")
    assert policy is not None
    assert policy.origins == ("https://app.example.com", "https://b.example.com")
    assert policy.allow_methods == ("GET", "POST")
    # the local identity headers are added once
    assert policy.allow_headers == ("authorization", "x-org-id", "x-user-id", "x-org-role")
    assert policy.preflight("https://b.example.com", "post", "X-Org-Role") == [
        ("Access-Control-Allow-Origin", "https://b.example.com"),
        ("Access-Control-Allow-Methods", "GET, POST"),
        ("Access-Control-Allow-Headers", "authorization, x-org-id, x-user-id, x-org-role"),
        ("Access-Control-Max-Age", "60"),
    ]
    assert policy.response("http://localhost") == [
        ("Access-Control-Allow-Origin", "http://localhost"),
        ("Access-Control-Expose-Headers", "etag"),
    ]
    assert policy.preflight("https://c.example.com", "GET", None) == []
    assert policy.response(None) == []


def test_a_template_without_cors_gives_no_policy() -> None:
    assert (
        cors_policy({"Resources": {"Api": {"Type": "AWS::Serverless::HttpApi", "Properties": {}}}}, "")
        is None
    )


def test_local_only_paths() -> None:
    assert not cors_applies("/_local") and not cors_applies("/_local/token")
    assert cors_applies("/_localx") and cors_applies("/providers") and cors_applies("/")
