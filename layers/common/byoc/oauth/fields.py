"""Each credential value checked by its provider's field rules (from the registry).

Error messages name fields and rules, never the values given: a pasted secret
in the wrong box must not come back in a response or a log line.
"""

from __future__ import annotations

import re
import unicodedata

from byoc.errors import UnsafeUrl, ValidationFailed
from byoc.oauth.registry import Field as ProviderField
from byoc.oauth.registry import Provider


def _bad_characters(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates from JSON escapes
        return True
    return any(unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn") for ch in value)


def _check_field(spec: ProviderField, value: str, allow_local_http: bool) -> str | None:
    """The reason a value fails its field's rules, or None."""
    if _bad_characters(value):
        return "contains control or invalid characters"
    if len(value) < spec.min_length:
        return "is required" if not value else f"must be at least {spec.min_length} characters"
    if len(value) > spec.max_length:
        return f"must be at most {spec.max_length} characters"
    if spec.options is not None and value not in spec.options:
        return "must be one of: " + ", ".join(spec.options)
    if spec.pattern and not re.fullmatch(spec.pattern, value):
        return "has an invalid format" + (f" (example: {spec.example})" if spec.example else "")
    if spec.type == "url":
        from byoc.outbound import check_url  # only URL fields need the outbound rules

        try:
            check_url(value, allow_local_http=allow_local_http)
        except UnsafeUrl:
            return "must be a public https URL"
    return None


def validate_credentials(
    provider: Provider, values: dict[str, str], *, allow_local_http: bool = False
) -> dict[str, str]:
    """Check every value against the provider's fields; return the cleaned values.

    Unknown fields are refused; surrounding white space is trimmed (pasting adds it);
    an optional field left empty is dropped; a select's default fills a missing value.
    """
    problems: dict[str, str] = {}
    known = {f.name: f for f in provider.fields}
    for name in values:
        if name not in known:
            problems[name[:64]] = "is not a field of this provider"
    cleaned: dict[str, str] = {}
    for spec in provider.fields:
        value = values.get(spec.name, "").strip()
        if not value:
            if spec.default is not None:
                cleaned[spec.name] = spec.default
            elif spec.required:
                problems[spec.name] = "is required"
            continue
        reason = _check_field(spec, value, allow_local_http)
        if reason:
            problems[spec.name] = reason
        else:
            cleaned[spec.name] = value
    if problems:
        raise ValidationFailed(problems)
    return cleaned
