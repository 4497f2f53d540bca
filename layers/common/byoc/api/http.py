"""HTTP API (payload 2.0) events in, responses out, and the one place errors become JSON.

Handlers stay a dozen lines: they parse with ``Request``, call the layer, and
return ``json_response`` or ``redirect``. ``api_handler`` maps every
``ByocError`` to ``{"error": {"code", "message"}}`` with its status, an AWS fault to
503 ``service_unavailable`` (with ``Retry-After``) or 500 ``misconfigured``, and
anything else to a 500 whose log line names the exception type only. Each request
runs under one deadline (``byoc.deadline``).
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps
from typing import Any
from urllib.parse import parse_qs

from byoc import deadline
from byoc.aws.faults import as_error, error_code
from byoc.errors import ByocError, InvalidRequest, PayloadTooLarge
from byoc.observability import logger
from byoc.origins import origin_of

JSON_HEADERS = {
    "Content-Type": "application/json",
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
}
# One encoder for every answer: ``json.dumps`` with arguments builds a new one per call.
_COMPACT = json.JSONEncoder(separators=(",", ":"))
REDIRECT_HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


@dataclass(slots=True)  # not frozen: built once per request, and a frozen init costs twice as much
class Request:
    route_key: str
    path: str
    headers: dict[str, str]
    raw_query: str
    path_params: dict[str, str]
    cookies: dict[str, str]
    body: bytes
    domain: str
    stage: str
    claims: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_event(cls, event: dict[str, Any]) -> Request:
        context = event.get("requestContext") or {}
        http = context.get("http") or {}
        return cls(
            route_key=str(event.get("routeKey", "")),
            path=str(http.get("path") or event.get("rawPath") or "/"),
            headers={str(k).lower(): str(v) for k, v in (event.get("headers") or {}).items()},
            raw_query=str(event.get("rawQueryString") or ""),
            path_params={str(k): str(v) for k, v in (event.get("pathParameters") or {}).items()},
            cookies=_parse_cookies(event.get("cookies") or []),
            body=_body(event),
            domain=str(context.get("domainName", "")),
            stage=str(context.get("stage", "$default")),
            claims=_claims(context),
        )

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def query(self) -> dict[str, list[str]]:
        """Query parameters from ``rawQueryString``: repeated names keep every value.

        (``queryStringParameters`` joins repeats with commas, which would hide them.)
        """
        if not self.raw_query:
            return {}
        try:
            return parse_qs(self.raw_query, keep_blank_values=True, strict_parsing=False, max_num_fields=32)
        except ValueError:
            raise InvalidRequest("Too many query parameters.") from None

    def single(self, name: str, query: dict[str, list[str]] | None = None) -> str | None:
        """One query value; a repeated parameter is an error, never "take the first"."""
        values = (self.query() if query is None else query).get(name)
        if not values:
            return None
        if len(values) > 1:
            raise InvalidRequest(f"The query parameter {name} appears more than once.")
        return values[0]

    def json_body(self, max_bytes: int) -> Any:
        if len(self.body) > max_bytes:
            raise PayloadTooLarge(f"The request body is larger than {max_bytes} bytes.")
        content_type = (self.header("content-type") or "application/json").split(";")[0].strip().lower()
        if content_type != "application/json":
            raise InvalidRequest("Send the body as application/json.")
        try:
            return json.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):  # "[" * 5000 fits in 16 KiB
            raise InvalidRequest("The request body is not valid JSON.") from None

    def origin(self) -> str | None:
        """The calling page's origin: the ``Origin`` header, else the ``Referer``'s (None if neither)."""
        return origin_of(self.header("origin"), self.header("referer"))

    def wants_json(self) -> bool:
        return "application/json" in (self.header("accept") or "")

    def api_base_url(self, public_api_url: str) -> str:
        """The API's public base URL: the configured one, else the request's domain (+ stage)."""
        if public_api_url:
            return public_api_url
        stage = "" if self.stage in ("", "$default") else f"/{self.stage}"
        return f"https://{self.domain}{stage}"


def _body(event: dict[str, Any]) -> bytes:
    body = event.get("body") or ""
    if not event.get("isBase64Encoded"):
        return body.encode("utf-8", errors="surrogatepass") if isinstance(body, str) else b""
    try:
        return base64.b64decode(body, validate=True)
    except ValueError:
        raise InvalidRequest("The request body is not valid base64.") from None


def _claims(context: dict[str, Any]) -> dict[str, Any]:
    """The JWT authorizer's claims, as the HTTP API renders them."""
    authorizer = context.get("authorizer") or {}
    return dict((authorizer.get("jwt") or {}).get("claims") or {})


def _parse_cookies(cookies: list[str]) -> dict[str, str]:
    jar: dict[str, str] = {}
    for entry in cookies:
        for part in str(entry).split(";"):
            name, sep, value = part.strip().partition("=")
            if sep and name and name not in jar:
                jar[name] = value
    return jar


def json_response(status: int, body: Any, *, cookies: list[str] | None = None) -> dict[str, Any]:
    response: dict[str, Any] = {
        "statusCode": status,
        "headers": dict(JSON_HEADERS),
        "body": _COMPACT.encode(body),
    }
    if cookies:
        response["cookies"] = cookies
    return response


def empty_response(status: int = 204) -> dict[str, Any]:
    return {"statusCode": status, "headers": {"Cache-Control": "no-store"}, "body": ""}


def redirect(location: str, *, cookies: list[str] | None = None) -> dict[str, Any]:
    response: dict[str, Any] = {
        "statusCode": 302,
        "headers": {**REDIRECT_HEADERS, "Location": location},
        "body": "",
    }
    if cookies:
        response["cookies"] = cookies
    return response


def error_response(error: ByocError) -> dict[str, Any]:
    body: dict[str, Any] = {"code": error.code, "message": error.message}
    if error.details:
        body["details"] = error.details
    response = json_response(error.status, {"error": body})
    response["headers"].update(error.headers())
    return response


def as_known_error(exc: Exception) -> ByocError:
    """Any exception as the error to answer: a ``ByocError`` as it is, an AWS fault mapped
    (503 ``service_unavailable`` or 500 ``misconfigured``), anything else a bare 500."""
    error = as_error(exc)
    if error is None:  # the last line of defence: never echo the exception
        logger.error("unhandled error", extra={"error_type": type(exc).__name__})
        return ByocError()
    if error is not exc:
        logger.error(
            "aws call failed",
            extra={"error_code": error.code, "error_type": type(exc).__name__, "aws_error": error_code(exc)},
        )
    return error


def api_handler(handler: Callable[[Request], dict[str, Any]]) -> Handler:
    """Wrap a handler taking a ``Request``: logging context, error mapping, one access line."""

    @wraps(handler)
    def wrapper(event: dict[str, Any], context: Any) -> dict[str, Any]:
        started = time.perf_counter()
        request_id = str((event.get("requestContext") or {}).get("requestId", ""))
        logger.set_correlation_id(request_id or None)
        try:
            with deadline.invocation(context, limit_seconds=deadline.HTTP_LIMIT_SECONDS):
                response = handler(Request.from_event(event))
        except ByocError as error:
            response = error_response(error)
            if error.status >= 500:
                logger.error("request failed", extra={"error_code": error.code})
        except Exception as exc:
            response = error_response(as_known_error(exc))
        logger.info(
            "request",
            extra={
                "method": str(((event.get("requestContext") or {}).get("http") or {}).get("method", "")),
                "route": str(event.get("routeKey", "")),
                "status_code": response["statusCode"],
                "duration_ms": round((time.perf_counter() - started) * 1000, 1),
            },
        )
        return response

    return wrapper
