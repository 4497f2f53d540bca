"""Validate layers/common/byoc/oauth/providers.json and write the registry the layer loads.

Run: make registry                                     (validates, rewrites registry.compiled.json)
     .venv/bin/python scripts/compile_registry.py --check  (exit 1 if invalid or not current)

The schema is ``registry.schema`` (pydantic, build and test tooling only); the output,
``layers/common/byoc/oauth/registry.compiled.json``, is read by ``byoc.oauth.registry`` with
``json`` alone. tests/unit/test_registry_compiled.py fails when the committed file is not
what this writes.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "layers" / "common")]

from registry.compiler import RegistryInvalid, compile_catalogue, compile_source  # noqa: E402

FOLDER = ROOT / "layers" / "common" / "byoc" / "oauth"
SOURCE = FOLDER / "providers.json"
OUTPUT = FOLDER / "registry.compiled.json"
CATALOGUE = FOLDER / "catalogue.compiled.json"


def main(argv: list[str]) -> int:
    try:
        text = compile_source(SOURCE.read_bytes())
    except RegistryInvalid as error:
        print(error, file=sys.stderr)
        return 1
    outputs = {OUTPUT: text, CATALOGUE: compile_catalogue(text)}
    stale = [path for path, wanted in outputs.items() if _current(path) != wanted]
    if "--check" in argv:
        for path in stale:
            print(f"{path.relative_to(ROOT)} is not current: run make registry", file=sys.stderr)
        return 1 if stale else 0
    for path in stale:
        path.write_text(outputs[path], encoding="utf-8")
    count = len(json.loads(text)["providers"])
    print(f"{SOURCE.relative_to(ROOT)} is valid; {OUTPUT.relative_to(ROOT)} is current ({count} providers)")
    return 0


def _current(path: Path) -> str | None:
    return path.read_text(encoding="utf-8") if path.exists() else None


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
