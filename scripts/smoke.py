"""Smoke test of a deployed stack: the public steps of the flow, over HTTPS.

    make smoke API_URL=https://abc123.execute-api.eu-west-1.amazonaws.com TOKEN=<user JWT>

Steps (each prints one line and stops the run at the first failure):

1. ``GET /integrations`` without a token is refused (401: the JWT authorizer is on);
2. ``GET /integrations`` with the token lists the provider;
3. ``POST /integrations`` saves the org's credentials for the provider (from the
   environment, below) and answers ``pending_setup`` (or the kept status);
4. ``GET /oauth/start`` with ``Accept: application/json`` answers an authorize URL,
   which is printed: open it in a browser to finish the connection by hand (the
   callback needs a real user at the provider, so this script cannot do it).

Environment:

- ``API_URL`` (required): the stack output ``ApiUrl``;
- ``TOKEN`` (required): a JWT of a user of your identity provider, an org admin
  when the stack's ``AdminClaim`` is set;
- ``PROVIDER``: the provider id, ``generic_oidc`` by default;
- the credentials to save: ``SMOKE_CREDENTIALS`` as a JSON object of the
  provider's fields (``{"client_id": "...", "client_secret": "...", ...}``), or,
  for ``generic_oidc``, ``SMOKE_ISSUER``, ``SMOKE_CLIENT_ID`` and
  ``SMOKE_CLIENT_SECRET``;
- ``RETURN_TO``: the frontend path to come back to, ``/`` by default.

The client secret and the token are never printed. Clean up afterwards with
``curl -X DELETE "$API_URL/integrations/$PROVIDER" -H "Authorization: Bearer $TOKEN"``.
Exit status: 0 when every step passed, 1 when one failed, 2 for a usage error.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from typing import Any

import httpx

TIMEOUT_SECONDS = 20.0


class StepFailed(Exception):
    pass


def credentials_from(env: Mapping[str, str], provider: str) -> dict[str, str]:
    raw = env.get("SMOKE_CREDENTIALS", "").strip()
    if raw:
        value = json.loads(raw)
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            raise ValueError("SMOKE_CREDENTIALS must be a JSON object of strings")
        return value
    if provider != "generic_oidc":
        raise ValueError(f"set SMOKE_CREDENTIALS to the fields of {provider} as a JSON object")
    names = {"issuer": "SMOKE_ISSUER", "client_id": "SMOKE_CLIENT_ID", "client_secret": "SMOKE_CLIENT_SECRET"}
    missing = [variable for variable in names.values() if not env.get(variable, "").strip()]
    if missing:
        raise ValueError("set " + ", ".join(missing) + " (or SMOKE_CREDENTIALS)")
    return {field: env[variable].strip() for field, variable in names.items()}


def check(condition: bool, message: str) -> None:
    if not condition:
        raise StepFailed(message)


def body(answer: httpx.Response) -> Any:
    try:
        return answer.json()
    except ValueError:
        raise StepFailed(f"HTTP {answer.status_code} with a body that is not JSON") from None


def error_code(answer: httpx.Response) -> str:
    try:
        return str(answer.json()["error"]["code"])
    except (ValueError, KeyError, TypeError):
        return "no error code"


def step_unauthenticated(http: httpx.Client) -> None:
    answer = http.get("/integrations")
    check(answer.status_code == 401, f"without a token: expected 401, got {answer.status_code}")
    print("ok   GET /integrations without a token is 401")


def step_list(http: httpx.Client, auth: dict[str, str], provider: str) -> None:
    answer = http.get("/integrations", headers=auth)
    check(answer.status_code == 200, f"GET /integrations: HTTP {answer.status_code} ({error_code(answer)})")
    check(answer.headers.get("cache-control") == "no-store", "GET /integrations: no Cache-Control: no-store")
    entries = {entry["id"]: entry for entry in body(answer)["integrations"]}
    check(provider in entries, f"GET /integrations does not list {provider}")
    print(f"ok   GET /integrations lists {len(entries)} providers; {provider}: {entries[provider]['status']}")


def step_save(http: httpx.Client, auth: dict[str, str], provider: str, credentials: dict[str, str]) -> None:
    answer = http.post("/integrations", headers=auth, json={"provider": provider, "credentials": credentials})
    check(answer.status_code == 200, f"POST /integrations: HTTP {answer.status_code} ({error_code(answer)})")
    view = body(answer)
    check("client_secret" not in json.dumps(view), "POST /integrations answered a client secret")
    print(
        f"ok   POST /integrations saved {provider}: status {view['status']}, "
        f"client id {view['client_id_masked']}, redirect URI {view['redirect_uri']}"
    )


def step_start(http: httpx.Client, auth: dict[str, str], provider: str, return_to: str) -> str:
    answer = http.get(
        "/oauth/start",
        params={"provider": provider, "return_to": return_to},
        headers={**auth, "Accept": "application/json"},
    )
    check(answer.status_code == 200, f"GET /oauth/start: HTTP {answer.status_code} ({error_code(answer)})")
    url = body(answer).get("authorize_url", "")
    check(url.startswith("https://"), "GET /oauth/start: no https authorize_url")
    print("ok   GET /oauth/start answered the authorize URL")
    return str(url)


def run(env: Mapping[str, str]) -> int:
    api_url, token = env.get("API_URL", "").strip().rstrip("/"), env.get("TOKEN", "").strip()
    provider = env.get("PROVIDER", "").strip() or "generic_oidc"
    if not api_url.startswith("https://") or not token:
        print("usage: make smoke API_URL=https://<stack ApiUrl> TOKEN=<user JWT> (see scripts/smoke.py)")
        return 2
    try:
        credentials = credentials_from(env, provider)
    except ValueError as exc:
        print(f"usage: {exc}")
        return 2
    auth = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=api_url, timeout=TIMEOUT_SECONDS, follow_redirects=False) as http:
        try:
            step_unauthenticated(http)
            step_list(http, auth, provider)
            step_save(http, auth, provider, credentials)
            url = step_start(http, auth, provider, env.get("RETURN_TO", "").strip() or "/")
        except StepFailed as exc:
            print(f"FAIL {exc}")
            return 1
        except httpx.HTTPError as exc:
            print(f"FAIL the API could not be reached ({type(exc).__name__})")
            return 1
    print("\nOpen this URL in a browser to finish connecting (valid for 10 minutes, single use):")
    print(url)
    return 0


if __name__ == "__main__":
    sys.exit(run(os.environ))
