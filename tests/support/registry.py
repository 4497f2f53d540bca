"""A registry entry written in the source format (providers.json), as the layer loads it:
validated by the schema and compiled, the way ``make registry`` does for the real file."""

from __future__ import annotations

from typing import Any

from byoc.oauth.registry import Provider, Registry


def entry_from_source(raw: dict[str, Any]) -> Provider:
    from registry.compiler import compiled_provider
    from registry.schema import ProviderModel

    source = {
        "category": "other",
        "docs_url": "https://example.com/docs",
        "verified": {"level": "docs"},
        **raw,
    }
    model = ProviderModel.model_validate(source)
    return Registry.from_data({"providers": [compiled_provider(model)]}).get(raw["id"])
