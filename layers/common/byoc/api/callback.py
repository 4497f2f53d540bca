"""The OAuth callback's query as the flow reads it: our control parameters, and the provider's extras."""

from __future__ import annotations

from byoc.api.http import Request
from byoc.usecases.flow import BINDING_COOKIE, CallbackParams

# Parameters of the authorization response (RFC 6749 §4.1.2, RFC 9207); the rest are the provider's.
_CONTROL = ("state", "code", "error", "error_description", "error_uri", "iss")


def callback_params(request: Request) -> CallbackParams:
    """A repeated control parameter is an error (``InvalidRequest``), never "take the first"."""
    query = request.query()
    return CallbackParams(
        state=request.single("state", query),
        code=request.single("code", query),
        error=request.single("error", query),
        iss=request.single("iss", query),
        extra={k: v[0] for k, v in query.items() if k not in _CONTROL and len(v) == 1},
        binding_cookie=request.cookies.get(BINDING_COOKIE),
    )
