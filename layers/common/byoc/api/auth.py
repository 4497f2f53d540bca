"""Who is calling: the org and user from the JWT authorizer's claims, never from the body.

Only a local run (``BYOC_LOCAL`` / ``AWS_SAM_LOCAL``) reads the ``X-Org-Id``,
``X-User-Id`` and ``X-Org-Role`` headers instead; a deployed stack ignores them.
"""

from __future__ import annotations

from byoc.api.http import Request
from byoc.errors import Unauthorized
from byoc.model import ID_PATTERN, Principal
from byoc.settings import Settings


def _claim_values(raw: object) -> tuple[str, ...]:
    """HTTP API passes array claims as a string like "[admin member]"."""
    if isinstance(raw, list | tuple):
        return tuple(str(v) for v in raw)
    if not isinstance(raw, str):
        return ()
    text = raw.strip()
    if text.startswith("[") and text.endswith("]"):
        return tuple(text[1:-1].replace(",", " ").split())
    return (text,)


def principal_from(request: Request, settings: Settings) -> Principal:
    claims = dict(request.claims)
    role_claim, _, admin_value = settings.admin_claim.partition("=")
    if settings.local_mode:
        local = {
            settings.org_claim: request.header("x-org-id"),
            "sub": request.header("x-user-id") or ("local-user" if request.header("x-org-id") else None),
            (role_claim or "org_role"): request.header("x-org-role"),
        }
        claims.update({k: v for k, v in local.items() if v})
    org_id = claims.get(settings.org_claim)
    user_id = claims.get("sub")
    if not isinstance(org_id, str) or not ID_PATTERN.match(org_id):
        raise Unauthorized()
    if not isinstance(user_id, str) or not ID_PATTERN.match(user_id):
        raise Unauthorized("Sign in first: the request carries no user.")
    roles = _claim_values(claims.get(role_claim)) if role_claim else ()
    is_admin = not settings.admin_claim or admin_value in roles
    return Principal(org_id=org_id, user_id=user_id, is_admin=is_admin)
