"""Turning one provider of the reference facts into a registry entry (``scripts/import_reference.py``).

The facts (``providers_facts_all.json``, read from the reference registry at a named commit) say
where each provider's endpoints are, which parameters it takes and which tenant values shape its
URLs. This module writes an entry in our format from them, or says why it cannot:

* ``${connectionConfig.X}`` becomes ``{x}`` (snake_case). ``A || B`` takes the first alternative
  whose values we can hold. A value that is one host label before a fixed tail
  (``https://{subdomain}.zendesk.com``) becomes a field with the one-DNS-label pattern; a value
  that is a whole host becomes a field whose pattern keeps it under the registrable domain of the
  facts' example (``acme.service-now.com`` keeps it under ``service-now.com``); a value anywhere
  else in a host (``api.{extension}``) needs a ``select`` of known options and is refused
  without one. A value the token response or the callback carries becomes a ``metadata`` name.
* Client authentication, body format, PKCE, separator, parameters and the token path are copied.
* Revocation is ``none`` with the reason: the facts do not describe it, and an endpoint is only
  written where the provider's page was read (a maintainer's edit, not this tool's).
* Default scopes are the facts' (``scopes_checked: false``), else none.
* A key entry (``API_KEY``, ``BASIC``) sends its credential as the facts' proxy headers (or
  Basic) say, and verifies it with the reference registry's own verification request when
  ``verification`` (an extract of that registry's ``proxy.verification`` blocks) names one.

``Skip`` carries the reason an entry is left out; the CLI lists them. Nothing here reads the
network or the registry file: ``entry(fact, verification)`` is a pure function.
"""

from __future__ import annotations

import fnmatch
import re
from typing import Any

from registry import importer_parts as parts

REFERENCE = "NangoHQ/nango@2f4c0af (2026-08-21) packages/providers/providers.yaml"
NO_REVOCATION = (
    "The reference facts describe no revocation endpoint and none was confirmed on the provider's "
    "pages: disconnecting deletes our copy of the tokens, and the grant stays until the org removes "
    "the app at the provider"
)
IMPORTED = (
    "Imported from the reference facts (scripts/import_reference.py): endpoints, parameters and "
    "tenant fields match them; scopes and revocation were not checked on the provider's pages."
)
CATEGORY = {
    "crm": "crm",
    "support": "support",
    "ticketing": "support",
    "communication": "communication",
    "productivity": "productivity",
    "knowledge-base": "documents",
    "storage": "storage",
    "accounting": "finance",
    "erp": "finance",
    "invoicing": "finance",
    "payment": "finance",
    "banking": "finance",
    "hr": "hr",
    "ats": "hr",
    "dev-tools": "engineering",
    "marketing": "marketing",
    "e-commerce": "ecommerce",
    "legal": "legal",
    "analytics": "analytics",
    "design": "design",
    "iam": "identity",
    "social": "social",
    "video": "media",
    "surveys": "forms",
    "cms": "cms",
}

Skip = parts.Skip
AUTH_TYPES = {"OAUTH2": "oauth2", "OAUTH2_CC": "oauth2_cc", "API_KEY": "api_key", "BASIC": "basic"}

# Reference entries left out whatever the tool could write, and why.
EXCLUDED = {
    "sharepoint-online": "the reference platform mints a second SharePoint token in code; SharePoint "
    "through Microsoft Graph is the microsoft entry with Sites scopes",
    "microsoft-admin": "admin consent answers with the tenant, not a code: an app with application "
    "permissions takes tokens by the client-credentials grant (issue 16), not this flow",
    "stripe-app": "a Stripe App install, not an OAuth app the org brings",
    "stripe-app-sandbox": "a Stripe App install, not an OAuth app the org brings",
}
FAMILY_NOTE = "Shares the {name} app model (extends {id}); only its API and scopes differ."


def checked_entry(
    fact: dict[str, Any], verification: dict[str, Any] | None, data: dict[str, Any]
) -> dict[str, Any]:
    """``entry`` for ``fact`` validated alone against the schema (with its base, for a family
    member) within ``data``, the registry file's content; ``Skip`` with the schema's reason."""
    from registry.compiler import RegistryInvalid, validate

    have = {p["id"]: p for p in data["providers"]}
    base = have.get(fact.get("alias_of") or "")
    candidate = entry(fact, verification, base)
    alone = [candidate] if "extends" not in candidate else [base, candidate]
    try:
        validate({**data, "providers": alone})
    except RegistryInvalid as invalid:
        raise Skip("schema: " + "; ".join(invalid.problems)[:300]) from None
    return candidate


def is_imported(entry: dict[str, Any]) -> bool:
    """Written by this tool and not edited since (its notes still say so)."""
    notes = entry.get("notes") or []
    return IMPORTED in notes or any(n.startswith("Shares the ") and "(extends " in n for n in notes)


def entry(
    fact: dict[str, Any],
    verification: dict[str, Any] | None = None,
    base: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The registry entry for ``fact``, or ``Skip`` with the reason. ``base``: our entry for the
    facts' ``alias_of``, when we have one: the result then ``extends`` it where the endpoints agree."""
    if fact["id"] in EXCLUDED:
        raise Skip(EXCLUDED[fact["id"]])
    if base is not None and fact["auth_mode"] == "OAUTH2":
        member = family(fact, base)
        if member is not None:
            return member
    mode = fact["auth_mode"]
    if mode not in ("OAUTH2", "OAUTH2_CC", "API_KEY", "BASIC"):
        raise Skip(f"auth mode {mode} is not one this registry expresses yet")
    if "${credentials." in str(fact.get("proxy_headers")) or "${now" in str(fact.get("proxy_headers")):
        raise Skip("its API calls are signed per request (credentials interpolated into a header)")
    ctx = parts.Context(fact, verification)
    head = _head(fact, ctx)
    if mode == "OAUTH2":
        body = _oauth_entry(fact, ctx)
    elif mode == "OAUTH2_CC":
        body = _client_credentials_entry(fact, ctx)
    else:
        body = _key_entry(fact, ctx, verification)
    api = _api(fact, ctx, mode in ("OAUTH2", "OAUTH2_CC"))
    fields = ctx.fields()  # before _verified: a field's pattern may be a deviation
    out: dict[str, Any] = {**head, "verified": _verified(ctx), "api": api, **body}
    if fields:
        out["fields"] = fields + out.pop("fields", [])
    out["notes"] = [*ctx.notes, IMPORTED]
    return _ordered(out)


_ANY_VALUE = re.compile(r"\$\{[^}]*\}|\{[a-z_][a-z0-9_]*\}")


def family(fact: dict[str, Any], base: dict[str, Any]) -> dict[str, Any] | None:
    """``fact`` as a member of our entry ``base`` (Google Docs on ``google``): its name, groups,
    API base and default scopes over the base's, when its endpoints are the base's (placeholders
    aside, which the facts test renders); None otherwise."""
    oauth = base.get("oauth") or {}
    params = _member_params(fact, oauth)
    if params is None or not _same_endpoints(fact, base):
        return None
    ctx = parts.Context(fact)
    head = {k: v for k, v in _head(fact, ctx).items() if k != "auth_type"}
    out: dict[str, Any] = {
        **head,
        "extends": base["id"],
        "verified": {"level": "facts", "reference": REFERENCE},
    }
    out.update(_member_api(fact, base))
    scopes = [s for s in fact.get("default_scopes") or [] if parts.is_scope(s)]
    if scopes:
        params.update(default_scopes=scopes, scopes_checked=False)
    if params:
        out["oauth"] = params
    out["notes"] = [FAMILY_NOTE.format(name=base["name"], id=base["id"])]
    return _ordered(out)


def _member_api(fact: dict[str, Any], base: dict[str, Any]) -> dict[str, Any]:
    """The member's own API base, when the facts give a fixed one other than the base's."""
    api_base = (fact.get("proxy_base_url") or "").rstrip("/")
    if not api_base or "${" in api_base or api_base == base["api"]["base_url"]:
        return {}
    return {"api": {"base_url": api_base, "allowed_host_suffixes": [api_base.split("/")[2]]}}


def _same_endpoints(fact: dict[str, Any], base: dict[str, Any]) -> bool:
    """The facts' authorize and token URLs are the base's: the same with every value a wildcard,
    or the facts' (values as wildcards) matching the base's rendered with its defaults (Zoho's
    ``accounts.zoho.${extension}`` and our ``accounts.{region}`` with ``com`` → ``zoho.com``)."""
    oauth = base.get("oauth") or {}
    mapped = oauth.get("template_values") or {}
    defaults = {
        f["name"]: mapped.get(f["name"], {}).get(f["default"], f["default"])
        for f in base.get("fields", [])
        if f.get("default")
    }
    for fact_key, ours in (("authorization_url", "authorize_url"), ("token_url", "token_url")):
        first = _ANY_VALUE.sub("*", (fact.get(fact_key) or "").split(" || ")[0])
        template = oauth.get(ours, "")
        with_defaults = re.sub(
            r"\{([a-z_][a-z0-9_]*)\}", lambda m: defaults.get(m.group(1), m.group(0)), template
        )
        if first != _ANY_VALUE.sub("*", template) and not fnmatch.fnmatchcase(with_defaults, first):
            return False
    return True


_PARAMS = (
    ("authorize_params", "authorization_params", "response_type"),
    ("token_params", "token_params", "grant_type"),
    ("refresh_params", "refresh_params", "grant_type"),
)


def _member_params(fact: dict[str, Any], oauth: dict[str, Any]) -> dict[str, Any] | None:
    """The parameters a member adds over its base's; None when it lacks one the base sends (a
    member cannot remove what it inherits) or names a value (only whole entries hold fields)."""
    out: dict[str, Any] = {}
    for ours, theirs, drop in _PARAMS:
        given = {k: parts.fact_text(v) for k, v in (fact.get(theirs) or {}).items() if k != drop}
        inherited = oauth.get(ours) or {}
        if set(inherited) - set(given) or any("${" in v for v in given.values()):
            return None
        added = {k: v for k, v in given.items() if inherited.get(k) != v}
        if added:
            out[ours] = added
    return out


def _head(fact: dict[str, Any], ctx: parts.Context) -> dict[str, Any]:
    tags = [t for t in fact["categories"] if re.fullmatch(r"[a-z][a-z-]{0,31}", t)]
    category = next((CATEGORY[t] for t in tags if t in CATEGORY), "other")
    docs = fact.get("docs") or ""
    if not docs.startswith("https://"):
        raise Skip("the facts give no https documentation page")
    auth_type = AUTH_TYPES[fact["auth_mode"]]
    return {
        "id": fact["id"],
        "name": fact["display_name"],
        "auth_type": auth_type,
        "category": category,
        "tags": tags,
        "docs_url": docs,
    }


def _verified(ctx: parts.Context) -> dict[str, Any]:
    out: dict[str, Any] = {"level": "facts", "reference": REFERENCE}
    if ctx.deviations:
        out["deviations"] = dict(ctx.deviations)
    return out


def _oauth_entry(fact: dict[str, Any], ctx: parts.Context) -> dict[str, Any]:
    authorize = ctx.url(fact["authorization_url"], "authorize_url")
    token = ctx.url(fact["token_url"], "token_url")
    oauth: dict[str, Any] = {"authorize_url": authorize, "token_url": token}
    if fact.get("refresh_url"):
        refresh = ctx.url(fact["refresh_url"], "refresh_url")
        if refresh != token:
            oauth["refresh_url"] = refresh
    return {"oauth": _token_side(fact, ctx, oauth)}


def _token_side(fact: dict[str, Any], ctx: parts.Context, oauth: dict[str, Any]) -> dict[str, Any]:
    """``oauth`` (its URLs) with what both grants take from the facts the same way: revocation
    none, the default scopes, client auth, body, parameters, metadata and the allowed hosts."""
    oauth["revocation"] = {"kind": "none", "reason": NO_REVOCATION}
    scopes = [s for s in fact.get("default_scopes") or [] if parts.is_scope(s)]
    if scopes:
        oauth["default_scopes"] = scopes
    oauth["scopes_checked"] = False
    oauth.update(parts.protocol_keys(fact, ctx))
    oauth.update(parts.parameters(fact, ctx))
    metadata = ctx.metadata()
    if metadata:
        oauth["metadata"] = metadata
    oauth["allowed_host_suffixes"] = ctx.suffixes("oauth")
    return oauth


def _client_credentials_entry(fact: dict[str, Any], ctx: parts.Context) -> dict[str, Any]:
    """An ``oauth2_cc`` entry: the token request only (no browser step, no PKCE, no refresh)."""
    grant_type = _client_credentials_grant(fact)
    oauth: dict[str, Any] = {"token_url": ctx.url(fact["token_url"] or "", "token_url")}
    if grant_type != "client_credentials":
        oauth["grant_type"] = grant_type
    oauth = _token_side(fact, ctx, oauth)
    oauth["pkce"] = False  # no authorization code to protect (the schema requires it off)
    return {"oauth": oauth}


def _client_credentials_grant(fact: dict[str, Any]) -> str:
    """The grant_type an ``OAUTH2_CC`` fact sends, or Skip when it is not the client-credentials grant."""
    if fact.get("credentials_fields") and set(fact["credentials_fields"]) - {"client_id", "client_secret"}:
        raise Skip("its credentials are not a client id and secret (a private key or a password)")
    grant_type = parts.fact_text((fact.get("token_params") or {}).get("grant_type") or "client_credentials")
    if grant_type not in ("client_credentials", "account_credentials"):
        raise Skip(f"grant_type {grant_type!r} is not the client-credentials grant")
    return grant_type


def _key_entry(
    fact: dict[str, Any], ctx: parts.Context, verification: dict[str, Any] | None
) -> dict[str, Any]:
    fields = parts.credential_fields(fact)
    verify = verify_block(fact, ctx, verification)
    return {"verify": verify, "fields": fields}


def verify_block(
    fact: dict[str, Any], ctx: parts.Context, verification: dict[str, Any] | None
) -> dict[str, Any]:
    found = (verification or {}).get("verification") or {}
    request = _verify_request(found, ctx)
    if request is None:
        return {"kind": "none", "reason": parts.NO_VERIFY}
    return {**request, "source": parts.YAML}


def _verify_request(found: dict[str, Any], ctx: parts.Context) -> dict[str, Any] | None:
    """The reference's verification as our ``verify`` request, or None when it is not one we
    send as is (a body, another base URL, a method other than GET or POST, values we lack)."""
    endpoint, method = _plain_request(found)
    if endpoint is None:
        return None
    try:
        path = ctx.value("/" + endpoint.lstrip("/"))
        given = {k: v for k, v in (found.get("headers") or {}).items() if k.lower() != "content-type"}
        headers = {parts.header_name(k): ctx.value(str(v)) for k, v in given.items()}
    except parts.Skip:
        return None
    if not re.fullmatch(r"/[A-Za-z0-9._~/:{}=&?,@-]*", path):
        return None
    out: dict[str, Any] = {"kind": "request", "method": method, "path": path}
    if headers:
        out["headers"] = headers
    return out


def _plain_request(found: dict[str, Any]) -> tuple[str | None, str]:
    """The first endpoint and the method of a verification we can send as is (no body, the
    entry's own base URL, GET or POST); (None, method) otherwise."""
    endpoints = found.get("endpoints") or ([found["endpoint"]] if found.get("endpoint") else [])
    method = (found.get("method") or "GET").upper()
    if not endpoints or found.get("base_url_override") or found.get("data") or method not in ("GET", "POST"):
        return None, method
    return str(endpoints[0]), method


def _api(fact: dict[str, Any], ctx: parts.Context, oauth: bool) -> dict[str, Any]:
    base = fact.get("proxy_base_url")
    if not base:
        raise Skip("the facts say nowhere where its API lives (no proxy_base_url)")
    url = ctx.url(base, "api").rstrip("/")
    api: dict[str, Any] = {"base_url": url}
    suffixes = ctx.suffixes("api")
    if suffixes:
        api["allowed_host_suffixes"] = suffixes
    api["auth"], headers = parts.api_auth(fact, ctx, oauth)
    if headers:
        api["headers"] = headers
    return api


ORDER = (
    "id",
    "name",
    "auth_type",
    "category",
    "tags",
    "docs_url",
    "extends",
    "verified",
    "api",
    "verify",
    "fields",
    "oauth",
    "notes",
)


def _ordered(entry: dict[str, Any]) -> dict[str, Any]:
    return {k: entry[k] for k in ORDER if k in entry}
