"""Write docs/providers.md from the provider registry (layers/common/byoc/oauth/providers.json).

Run: .venv/bin/python scripts/gen_providers_doc.py          (rewrites the file)
     .venv/bin/python scripts/gen_providers_doc.py --check  (exit 1 if the file is stale)

tests/unit/test_providers_doc.py fails when the committed file differs from what this prints.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "layers" / "common")]

from byoc.oauth.api import ApiSpec, placeholders  # noqa: E402
from byoc.oauth.metadata import Kept  # noqa: E402
from byoc.oauth.registry import (  # noqa: E402
    CLIENT_ID,
    CLIENT_SECRET,
    Field,
    OAuthSpec,
    Provider,
    Registry,
    get_registry,
)
from byoc.oauth.scopes import ScopeSet  # noqa: E402
from registry import overview  # noqa: E402

OUTPUT = ROOT / "docs" / "providers.md"
SOURCE = "layers/common/byoc/oauth/providers.json"
REDIRECT = "<API base URL>/oauth/callback/{id}"
AUTH_TYPES = {
    "oauth2": "OAuth 2.0 (authorization code)",
    "oauth2_cc": "OAuth 2.0 (client credentials)",
    "api_key": "API key",
    "basic": "HTTP Basic",
}
CLIENT_AUTH = {
    "client_secret_basic": "HTTP Basic header (client_secret_basic)",
    "client_secret_post": "in the request body (client_secret_post)",
}


def cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def code(text: object) -> str:
    return f"`{text}`" if text not in (None, "") else ""


def field_row(f: Field) -> str:
    kind = f.type + (" (secret)" if f.secret else "")
    if f.options:
        kind += ": " + ", ".join(code(o) for o in f.options)
    hint = []
    if f.default is not None:
        hint.append(f"default {code(f.default)}")
    if f.example is not None:
        hint.append(f"e.g. {code(f.example)}")
    if f.pattern:
        hint.append(f"pattern {code(f.pattern)}")
    required = "yes" if f.required and f.default is None else "no"
    cells = [code(f.name), cell(f.label), cell(kind), required, cell("; ".join(hint)), cell(f.help or "")]
    return "| " + " | ".join(cells) + " |"


def fields_table(provider: Provider) -> list[str]:
    lines = ["| Field | Label | Type | Required | Values | Help |", "|---|---|---|---|---|---|"]
    lines += [field_row(f) for f in provider.fields]
    return lines


def endpoint_lines(spec: OAuthSpec, provider_id: str) -> list[str]:
    if spec.authorize_url is None:  # client credentials: saving connects, no browser step
        lines = [
            "- Connects when saved: a token is minted with the app's own credentials"
            f" (grant_type {code(spec.grant_type or 'client_credentials')}); no redirect URI",
        ]
    else:
        lines = [
            f"- Redirect URI to register in your OAuth app: {code(REDIRECT.format(id=provider_id))}",
            f"- Authorize URL: {code(spec.authorize_url)}",
        ]
    lines.append(f"- Token URL: {code(spec.token_url)}")
    if spec.refresh_url:
        lines.append(f"- Refresh URL: {code(spec.refresh_url)}")
    lines.append(revocation_line(spec))
    for scope_set in spec.scope_sets:
        lines += scope_lines(scope_set, spec)
    lines.append(f"- PKCE (S256): {'yes' if spec.pkce else 'no'}")
    auth = CLIENT_AUTH[spec.client_auth]
    if spec.client_auth_field:
        auth += f", or as the org's {code(spec.client_auth_field)} field says"
    lines.append(f"- Client secret sent: {auth}; token request body: {spec.body_format}")
    return lines


REVOKED_TOKENS = {
    "both": "refresh and access tokens",
    "refresh": "the refresh token",
    "access": "the access token",
}
TOKEN_PLACES = {"form": "in the body", "json": "in a JSON body", "url": "in the URL", "bearer": "as bearer"}
REVOCATION_AUTH = {
    "client": "client auth as token requests",
    "client_basic": "client Basic auth",
    "client_post": "client id and secret in the body",
    "none": "no client auth",
}


def revocation_line(spec: OAuthSpec) -> str:
    """How disconnecting gives the tokens back: the kind and its request, or why there is none."""
    r = spec.revocation
    if not r.enabled:
        return f"- Revocation: none: {cell(r.reason or 'no reason given')}"
    line = f"- Revocation: {code(r.kind)}, {r.method} {code(r.url)}: {REVOKED_TOKENS[r.tokens]}"
    line += f" {TOKEN_PLACES[r.token_in]}, {REVOCATION_AUTH[r.auth]}"
    return line + (f" (checked against {r.source})" if r.source else "")


def scope_lines(scope_set: ScopeSet, spec: OAuthSpec) -> list[str]:
    """A scope set: what is asked by default, always, and what the org may choose."""
    default = " ".join(code(s) for s in scope_set.default) or "none (set on the provider's app)"
    line = f"- {scope_set.label} ({code(scope_set.param)}, separator {code(repr(scope_set.separator))}): "
    line += f"default {default}"
    if scope_set.required:
        line += "; always asked: " + " ".join(code(s) for s in scope_set.required)
    if scope_set.known:
        line += f"; {len(scope_set.known)} known scopes offered"
    line += "; other scopes allowed" if scope_set.allow_unknown else "; only the known scopes"
    checked = f"checked against {spec.scopes_source}" if spec.scopes_checked and spec.scopes_source else None
    line += f" ({checked or 'not checked against the provider docs'})"
    return [line]


def parameter_lines(spec: OAuthSpec) -> list[str]:
    lines = []
    for label, params in (
        ("Extra authorize parameters", spec.authorize_params),
        ("Extra token parameters", spec.token_params),
        ("Extra refresh parameters", spec.refresh_params),
        ("Extra token request headers", spec.token_headers),
    ):
        if params:
            lines.append(f"- {label}: " + ", ".join(code(f"{k}={v}") for k, v in params.items()))
    return lines


def response_lines(spec: OAuthSpec) -> list[str]:
    lines = []
    if spec.token_path:
        lines.append(f"- Token found under {code(spec.token_path)} when the top level has none")
    if spec.ok_field:
        lines.append(f"- HTTP 200 with {code(spec.ok_field + ': false')} is an error")
    if spec.expires_in_unit_seconds != 1:
        lines.append(f"- expires_in is in units of {spec.expires_in_unit_seconds} seconds")
    if spec.expires_at_field:
        lines.append(f"- Without expires_in, the absolute expiry is read from {code(spec.expires_at_field)}")
    if spec.introspection_url:
        lines.append(
            f"- Without expires_in, the expiry is introspected (RFC 7662): {code(spec.introspection_url)}"
        )
    kept = [_kept_text(k) for k in spec.metadata]
    if kept:
        lines.append("- Kept as metadata: " + ", ".join(kept))
    for lookup in spec.lookups:
        lines.append(f"- After connecting: {lookup.method} {code(lookup.url)} (lookup {code(lookup.id)})")
    return lines


def _kept_text(item: Kept) -> str:
    where = f"lookup {item.lookup}" if item.source == "lookup" else item.source
    flags = [f for f, on in (("required", item.required), ("secret: token function only", item.secret)) if on]
    suffix = f", {', '.join(flags)}" if flags else ""
    return f"{code(item.name)} ({where} {code(item.path)}{suffix})"


def host_lines(spec: OAuthSpec) -> list[str]:
    if spec.host_rule == "suffix":
        hosts = ", ".join(code(s) for s in spec.allowed_host_suffixes)
        lines = [f"- Hosts allowed: {hosts} (and subdomains)"]
    else:
        lines = [
            "- Hosts: chosen by the org; public https addresses only (no IP literals, no private ranges)"
        ]
    if spec.token_host_from:
        lines.append(
            f"- Token host taken from the metadata value {code(spec.token_host_from)}, "
            "only if it is one of the allowed hosts"
        )
    if spec.discovery:
        lines.append(
            "- Endpoints found by OpenID Connect discovery from the issuer when the credentials are saved"
        )
    return lines


def api_lines(provider: Provider) -> list[str]:
    """Where the entry's API calls go and how they carry the credential (never a credential)."""
    api = provider.api
    assert api is not None
    base = f"the origin of {code(api.base_url)}" if api.origin_only else code(api.base_url)
    optional = [n for n in placeholders(api.base_url) if _optional(provider, n)]
    if optional:
        base += " (unknown while " + ", ".join(code(n) for n in optional) + " is not set)"
    if api.host_rule == "suffix":
        hosts = "hosts " + ", ".join(code(s) for s in api.allowed_host_suffixes) + " (and subdomains)"
    else:
        hosts = "host chosen by the org, public https only"
    lines = [f"- API base: {base}; {hosts}", f"- API auth: {_auth_text(api)}"]
    if api.headers:
        lines.append("- API headers: " + ", ".join(code(f"{k}: {v}") for k, v in api.headers.items()))
    return lines


def _optional(provider: Provider, name: str) -> bool:
    f = provider.field(name)
    return f is not None and not f.required and f.default is None


def _auth_text(api: ApiSpec) -> str:
    auth = api.auth
    if auth.in_ == "basic":
        return f"HTTP Basic, user:password {code(auth.format)}"
    if auth.in_ == "query":
        return f"query parameter {code(f'{auth.name}={auth.format}')}"
    return f"header {code(f'{auth.name}: {auth.format}')}"


def oauth_lines(provider: Provider) -> list[str]:
    spec = provider.oauth
    assert spec is not None
    return [
        *endpoint_lines(spec, provider.id),
        *parameter_lines(spec),
        *naming_lines(spec),
        *response_lines(spec),
        *host_lines(spec),
    ]


def naming_lines(spec: OAuthSpec) -> list[str]:
    """Standard parameters under other names, the code's callback parameter, the variants."""
    lines = []
    for label, names in (("authorize", spec.authorize_param_names), ("token", spec.token_param_names)):
        for std, name in names.items():
            lines.append(
                f"- In {label} requests {code(std)} "
                + (f"is sent as {code(name)}" if name else "is not sent")
            )
    if spec.code_param:
        lines.append(f"- The code comes back as {code(spec.code_param)}")
    if spec.variant_field:
        options = ", ".join(code(v) for v in spec.variants)
        lines.append(f"- Variants chosen by the field {code(spec.variant_field)}: {options}")
    return lines


def provider_section(provider: Provider) -> list[str]:
    lines = [f"### {provider.name} (`{provider.id}`)", ""]
    lines.append(f"- Auth type: {AUTH_TYPES[provider.auth_type]}")
    lines.append(overview.verified_line(provider))
    lines += overview.family_lines(provider)
    if provider.docs_url:
        lines.append(f"- Provider docs (where to create the app): <{provider.docs_url}>")
    lines += overview.verify_line(provider)
    if provider.oauth is not None:
        lines += oauth_lines(provider)
    lines += api_lines(provider)
    lines += ["", *fields_table(provider), ""]
    if provider.notes:
        lines += ["Notes:", "", *(f"- {note}" for note in provider.notes), ""]
    return lines


def scope_check_lines(providers: list[Provider]) -> list[str]:
    """How many OAuth entries had their default and known scopes checked against the provider's docs."""
    oauth = [p for p in providers if p.oauth is not None and not p.id.startswith("generic_")]
    unchecked = [p.id for p in oauth if p.oauth is not None and not p.oauth.scopes_checked]
    return [
        "",
        "## Scopes",
        "",
        f"Default and known scopes checked against the provider's own documentation: "
        f"{len(oauth) - len(unchecked)} of {len(oauth)} OAuth entries (the generic entries have none). "
        "Not checked (their scope field stays open to any scope): "
        + (", ".join(code(i) for i in unchecked) or "none")
        + ".",
        "",
    ]


def render(registry: Registry) -> str:
    providers = list(registry)
    lines = [
        "# Providers",
        "",
        f"<!-- Generated by scripts/gen_providers_doc.py from {SOURCE}: do not edit. -->",
        "",
        f"{len(providers)} providers. For every OAuth 2.0 provider, register this redirect URI "
        "in your OAuth app:",
        "",
        f"    {REDIRECT.format(id='<id>')}",
        "",
        "where `<id>` is the provider id below and `<API base URL>` is this service's public API address.",
        f"Every OAuth 2.0 provider also asks for the fields {code(CLIENT_ID.name)} ({CLIENT_ID.label}) and "
        f"{code(CLIENT_SECRET.name)} ({CLIENT_SECRET.label}, stored encrypted and never shown again).",
        "How to add a provider: [adding-a-provider.md](adding-a-provider.md).",
        "",
        *overview.count_lines(providers),
        *overview.category_lines(providers),
        *scope_check_lines(providers),
        *overview.left_out_lines({p.id for p in providers}),
        "## Summary",
        "",
        "| Id | Provider | Category | Auth type | Verified | Fields the customer fills | Redirect URI |",
        "|---|---|---|---|---|---|---|",
    ]
    for p in providers:
        filled = ", ".join(cell(f.label) for f in p.fields)
        redirect = code(REDIRECT.format(id=p.id)) if p.interactive else "n/a"
        level = p.verified.get("level", "docs")
        lines.append(
            f"| `{p.id}` | {cell(p.name)} | {p.category} | {AUTH_TYPES[p.auth_type]} | {level} | {filled} "
            f"| {redirect} |"
        )
    lines += ["", "## Details", ""]
    for p in providers:
        lines += provider_section(p)
    return "\n".join(lines).rstrip("\n") + "\n"


def main(argv: list[str]) -> int:
    text = render(get_registry())
    if "--check" in argv:
        if not OUTPUT.exists() or OUTPUT.read_text(encoding="utf-8") != text:
            print(
                f"{OUTPUT.relative_to(ROOT)} is stale: run .venv/bin/python scripts/gen_providers_doc.py",
                file=sys.stderr,
            )
            return 1
        return 0
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUTPUT.relative_to(ROOT)} ({len(list(get_registry()))} providers)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
