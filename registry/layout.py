"""The layout providers.json is written in by the tools that edit it (``scripts/import_reference.py``):
two-space indents, and any object or list that fits in ``WIDTH`` columns on its line kept on it."""

from __future__ import annotations

import json
from typing import Any

WIDTH = 110


def dumps(value: Any) -> str:
    return _dump(value, 0, 0) + "\n"


def _dump(value: Any, indent: int, used: int) -> str:
    """``value`` at ``indent`` spaces, on a line where ``used`` columns are already taken."""
    flat = json.dumps(value, ensure_ascii=False)
    if not isinstance(value, (dict, list)) or not value or used + len(flat) <= WIDTH:
        return flat
    inner = indent + 2
    if isinstance(value, dict):
        items = []
        for key, item in value.items():
            head = " " * inner + json.dumps(key, ensure_ascii=False) + ": "
            items.append(head + _dump(item, inner, len(head)))
    else:
        items = [" " * inner + _dump(item, inner, inner) for item in value]
    opener, closer = ("{", "}") if isinstance(value, dict) else ("[", "]")
    return opener + "\n" + ",\n".join(items) + "\n" + " " * indent + closer
