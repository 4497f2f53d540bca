"""The provider registry's schema and its compiler: build and test tooling, never shipped.

``registry.schema`` describes ``layers/common/byoc/oauth/providers.json`` (pydantic,
``extra="forbid"`` at every level), ``registry.templates`` holds the cross checks of URL
templates and hosts, and ``registry.compiler`` turns a valid file into
``registry.compiled.json``, the only file Lambda reads (``make registry``). The layer never
imports this package: it loads the compiled data with ``json`` and dataclasses alone.
"""
