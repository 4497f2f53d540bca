"""Who is calling: the org and user from the verified token's claims (``byoc.api.claims``), never
from the body. Admin is an exact role match on ``AdminClaim``; ``AnyMemberIsAdmin`` says
explicitly that every member may manage integrations.

Only a local run (``BYOC_LOCAL`` / ``AWS_SAM_LOCAL``) reads the ``X-Org-Id``,
``X-User-Id`` and ``X-Org-Role`` headers instead; a deployed stack ignores them.
"""

from __future__ import annotations

from byoc.api.claims import claim, role_values, token_payload
from byoc.api.http import Request
from byoc.errors import Unauthorized
from byoc.model import ID_PATTERN, Principal
from byoc.settings import Settings


def _claims(request: Request, settings: Settings) -> dict[str, object]:
    """The verified token's claims (or the rendered ones); locally the X- headers stand in."""
    rendered = dict(request.claims)
    claims = token_payload(request.header("authorization"), rendered) or rendered
    if not settings.local_mode:
        return claims
    role_claim = settings.admin_claim.partition("=")[0] or "org_role"
    local = {
        settings.org_claim: request.header("x-org-id"),
        "sub": request.header("x-user-id") or ("local-user" if request.header("x-org-id") else None),
        role_claim: request.header("x-org-role"),
    }
    return {**claims, **{k: v for k, v in local.items() if v}}


def principal_from(request: Request, settings: Settings) -> Principal:
    claims = _claims(request, settings)
    role_claim, _, admin_value = settings.admin_claim.partition("=")
    org_id = claim(claims, settings.org_claim)
    user_id = claims.get("sub")
    if not isinstance(org_id, str) or not ID_PATTERN.match(org_id):
        raise Unauthorized()
    if not isinstance(user_id, str) or not ID_PATTERN.match(user_id):
        raise Unauthorized("Sign in first: the request carries no user.")
    if settings.any_member_admin:
        return Principal(org_id=org_id, user_id=user_id, is_admin=True)
    is_admin = bool(role_claim) and admin_value in role_values(claim(claims, role_claim))
    return Principal(org_id=org_id, user_id=user_id, is_admin=is_admin)
