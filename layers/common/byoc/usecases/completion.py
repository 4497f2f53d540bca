"""Completing a flow nothing ties to a browser: the code waits for the user who started it.

Without the binding cookie (cross-site deployments, and the default), the callback cannot
tell the browser that returns from the provider from any other: an attacker could start a
flow in their org and have a victim consent, and the attacker's org would hold the
victim's grant. So the callback never exchanges an unbound code. It seals the code under
the record's data key (AES-GCM, the record's encryption context, attribute
``completion``) in a ``COMPLETION#<sha256(handle)>`` item bound to the state's org, user
and provider (single use, 5 minutes), and sends the browser to the frontend with
``status=pending_completion&completion=<handle>``. The frontend then calls
``POST /oauth/complete`` with the user's own JWT: only the user who started the flow, in
the same org, may complete it (anyone else: 403 ``flow_not_yours``, and the handle stays
usable by its owner); only then is the code exchanged.

AWS calls: the callback adds a ``Decrypt`` (unless the record's data key is cached) and a
``PutItem``; completion is one ``GetItem``, one conditional ``DeleteItem``, then what the
direct exchange does (``GetItem``, ``PutItem``, and ``PutEvents`` on a status change).
"""

from __future__ import annotations

import re
import secrets
from typing import TYPE_CHECKING, Any

from byoc.aws.crypto import encryption_context
from byoc.errors import FlowNotYours, InvalidCompletion, InvalidRequest
from byoc.model import Connection, OAuthState, Principal, Status, reason

if TYPE_CHECKING:
    from byoc.usecases.flow import CallbackParams, FlowService

COMPLETION_TTL_SECONDS = 300
COMPLETION_ATTRIBUTE = "completion"
# secrets.token_urlsafe(32): 43 characters of base64url (docs/openapi.json's CompleteBody).
HANDLE_PATTERN = r"^[A-Za-z0-9_-]{43}$"
_HANDLE_SHAPE = re.compile(HANDLE_PATTERN)


def park(flow: FlowService, state: OAuthState, params: CallbackParams, connection: Connection) -> str:
    """Seal the callback's code for the user who started; returns the completion handle."""
    from byoc.usecases.flow import state_hash

    key, _ = flow.cipher.open_secrets(connection)
    value = {"code": params.code or "", "extra": dict(params.extra)}
    sealed = flow.cipher.seal(key, _context(state), COMPLETION_ATTRIBUTE, value)
    handle = secrets.token_urlsafe(32)
    flow.store.put_completion(state, state_hash(handle), sealed, int(flow._now()) + COMPLETION_TTL_SECONDS)
    return handle


def complete(flow: FlowService, principal: Principal, body: Any) -> dict[str, Any]:
    """``POST /oauth/complete``: exchange a parked code for the user who started the flow."""
    from byoc.usecases.flow import CallbackParams, same_app, state_hash

    handle = _handle_of(body)
    now = int(flow._now())
    pending = flow.store.get_completion(state_hash(handle), now)
    if pending is None:
        raise InvalidCompletion()
    state, sealed = pending
    if (state.org_id, state.user_id) != (principal.org_id, principal.user_id):
        raise FlowNotYours()  # not consumed: its owner may still complete it
    if not flow.store.consume_completion(state_hash(handle), principal.org_id, principal.user_id, now):
        raise InvalidCompletion()
    provider = flow.registry.oauth(state.provider)
    opened = flow.cipher.open(sealed, _context(state), COMPLETION_ATTRIBUTE)
    params = CallbackParams(
        state=None,
        code=str(opened.get("code", "")),
        error=None,
        iss=None,
        extra={str(k): str(v) for k, v in (opened.get("extra") or {}).items()},
        binding_cookie=None,
    )
    connection = flow.store.get_connection(state.org_id, state.provider)
    if connection is None or not same_app(state, connection):
        error: str | None = reason("credentials_changed")
    else:
        error = flow.exchange(provider, state, params, connection)
    flow._count(provider, error)
    answer: dict[str, Any] = {
        "integration": provider.id,
        "status": (Status.ERROR if error else Status.ACTIVE).value,
    }
    if error:
        answer["error"] = error
    return answer


def _handle_of(body: Any) -> str:
    if not isinstance(body, dict) or set(body) != {"completion"} or not isinstance(body["completion"], str):
        raise InvalidRequest('Send {"completion": "<the completion parameter of the redirect>"}.')
    if not _HANDLE_SHAPE.match(body["completion"]):
        raise InvalidCompletion()
    return body["completion"]


def _context(state: OAuthState) -> dict[str, str]:
    return encryption_context(state.org_id, state.provider)
