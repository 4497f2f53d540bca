"""What API Gateway (HTTP API, payload format 2.0) does around a Lambda invocation.

``build_event`` turns a raw HTTP request into the event API Gateway would send,
``LambdaContext`` stands in for the Lambda context object, and
``response_from_result`` reads a handler's return value the way API Gateway
does (a dict without ``statusCode`` is a 200 JSON body).

Details mirrored from API Gateway:
- header names are lower-cased and repeated headers joined with commas; the
  Cookie header is not in ``headers`` but split into ``cookies``;
- ``rawQueryString`` is the query exactly as received; ``queryStringParameters``
  holds decoded values, a repeated name's values joined with commas;
- ``rawPath`` and ``pathParameters`` are percent-decoded;
- the body is text only for ``text/*``, ``application/json``, ``application/xml``
  and ``application/javascript``; anything else (form posts and a missing
  Content-Type included) arrives base64-encoded with ``isBase64Encoded: true``;
- fields with nothing in them (``cookies``, ``queryStringParameters``,
  ``pathParameters``, ``body``) are left out.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, unquote

from devserver.routes import Route

__all__ = [
    "ACCOUNT_ID",
    "API_ID",
    "REGION",
    "HttpResponse",
    "LambdaContext",
    "build_event",
    "is_textual",
    "response_from_result",
]

ACCOUNT_ID = "123456789012"
API_ID = "local"
REGION = "us-east-1"
_HOP_BY_HOP = frozenset({"content-length", "connection", "transfer-encoding", "keep-alive"})
_TEXT_TYPES = frozenset({"application/json", "application/xml", "application/javascript"})


def is_textual(content_type: str | None) -> bool:
    """Whether API Gateway hands this body over as text (else base64)."""
    media = (content_type or "").split(";")[0].strip().lower()
    return media.startswith("text/") or media in _TEXT_TYPES


def _joined_headers(headers: list[tuple[str, str]]) -> tuple[dict[str, str], list[str]]:
    joined: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in headers:
        key = name.lower()
        if key == "cookie":
            cookies.extend(part.strip() for part in value.split(";") if part.strip())
            continue
        joined[key] = f"{joined[key]},{value}" if key in joined else value
    return joined, cookies


def _query_parameters(raw_query: str) -> dict[str, str]:
    params: dict[str, str] = {}
    for name, value in parse_qsl(raw_query, keep_blank_values=True):
        params[name] = f"{params[name]},{value}" if name in params else value
    return params


def build_event(
    *,
    method: str,
    raw_path: str,
    raw_query: str,
    headers: list[tuple[str, str]],
    body: bytes,
    route: Route,
    path_parameters: dict[str, str],
    domain: str,
    source_ip: str,
    protocol: str = "HTTP/1.1",
    port: int | None = None,
) -> dict[str, Any]:
    """The payload 2.0 event for one request (``headers`` as received, repeats included)."""
    joined, cookies = _joined_headers(headers)
    forwarded = joined.get("x-forwarded-for")
    joined["x-forwarded-for"] = f"{forwarded}, {source_ip}" if forwarded else source_ip
    joined["x-forwarded-proto"] = "http"
    if port is not None:
        joined["x-forwarded-port"] = str(port)
    now = datetime.now(UTC)
    path = unquote(raw_path, errors="replace")
    request_context: dict[str, Any] = {
        "accountId": ACCOUNT_ID,
        "apiId": API_ID,
        "domainName": domain,
        "domainPrefix": domain.split(".")[0].split(":")[0],
        "http": {
            "method": method,
            "path": path,
            "protocol": protocol,
            "sourceIp": source_ip,
            "userAgent": joined.get("user-agent", ""),
        },
        "requestId": str(uuid.uuid4()),
        "routeKey": route.route_key,
        "stage": "$default",
        "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
        "timeEpoch": int(now.timestamp() * 1000),
    }
    if route.authorizer is not None:
        # Local mode: no JWT is checked; the handlers read X-Org-Id / X-User-Id / X-Org-Role.
        request_context["authorizer"] = {"jwt": {"claims": {}, "scopes": None}}
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route.route_key,
        "rawPath": path,
        "rawQueryString": raw_query,
        "headers": joined,
        "requestContext": request_context,
        "isBase64Encoded": False,
    }
    if cookies:
        event["cookies"] = cookies
    query = _query_parameters(raw_query)
    if query:
        event["queryStringParameters"] = query
    if path_parameters:
        event["pathParameters"] = dict(path_parameters)
    if body:
        text: str | None = None
        if is_textual(joined.get("content-type")):
            try:
                text = body.decode("utf-8")
            except UnicodeDecodeError:
                text = None
        if text is None:
            event["body"] = base64.b64encode(body).decode("ascii")
            event["isBase64Encoded"] = True
        else:
            event["body"] = text
    return event


@dataclass
class LambdaContext:
    """The attributes of the Lambda context object that handlers and Powertools read."""

    function_name: str
    memory_limit_in_mb: int = 128
    timeout_seconds: int = 3
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_version: str = "$LATEST"
    identity: Any = None
    client_context: Any = None
    _deadline: float = field(default=0.0, repr=False)

    def __post_init__(self) -> None:
        self._deadline = time.monotonic() + self.timeout_seconds

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{self.function_name}"

    @property
    def log_group_name(self) -> str:
        return f"/aws/lambda/{self.function_name}"

    @property
    def log_stream_name(self) -> str:
        return f"{datetime.now(UTC):%Y/%m/%d}/[$LATEST]local"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


@dataclass
class HttpResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


class InvalidResponse(ValueError):
    """The handler returned something API Gateway would answer with a 500."""


def _json(value: Any) -> str:
    try:
        return json.dumps(value)
    except (TypeError, ValueError):
        raise InvalidResponse("the response is not JSON-serializable") from None


def _header_value(value: Any) -> str:
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, str | int | float):
        text = str(value)
    else:
        text = _json(value)
    if "\r" in text or "\n" in text:
        raise InvalidResponse("a response header holds a line break")
    return text


def _response_body(result: dict[str, Any]) -> bytes:
    raw = result.get("body")
    if raw is None:
        return b""
    if result.get("isBase64Encoded"):
        try:
            return base64.b64decode(str(raw), validate=True)
        except ValueError:
            raise InvalidResponse("the body is not valid base64") from None
    return (raw if isinstance(raw, str) else _json(raw)).encode("utf-8")


def response_from_result(result: Any) -> HttpResponse:
    """API Gateway's reading of a payload 2.0 response; raises InvalidResponse."""
    if not isinstance(result, dict) or "statusCode" not in result:
        # No statusCode: API Gateway assumes 200 and sends the whole result as JSON.
        text = result if isinstance(result, str) else _json(result)
        return HttpResponse(200, [("Content-Type", "application/json")], text.encode("utf-8"))
    try:
        status = int(result["statusCode"])
    except (TypeError, ValueError):
        raise InvalidResponse("statusCode is not a number") from None
    if not 100 <= status <= 599:
        raise InvalidResponse("statusCode is out of range")
    headers: list[tuple[str, str]] = []
    for name, value in (result.get("headers") or {}).items():
        name = str(name)
        if not name or any(c in name for c in "\r\n: ") or name.lower() in _HOP_BY_HOP:
            continue
        headers.append((name, _header_value(value)))
    for cookie in result.get("cookies") or []:
        headers.append(("Set-Cookie", _header_value(str(cookie))))
    return HttpResponse(status, headers, _response_body(result))
