#!/usr/bin/env python3
"""Add the reference facts' providers that providers.json lacks, as entries of our format.

    .venv/bin/python scripts/import_reference.py [FACTS.json] [--verification V.json ...] [--write]

FACTS is the reference's facts (default: the copy in ``tests/data/reference_facts.json``); each
``--verification`` file is an extract of the reference registry's ``proxy.verification`` blocks
(``{"providers": [{"id", "verification", "enums"}]}``; default
``tests/data/reference_verification.json``). Entries already in providers.json are never touched (a written
entry is the maintainer's), except with ``--replace-imported``: the entries this tool wrote
and nobody edited since (their notes still carry its line) are written again. Without
``--write`` it prints what it would add and what it skips, and why; with it, the new entries
are merged in by id and the file is rewritten in its layout.
Then run ``make registry``: the schema has the last word on every imported entry.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "layers" / "common")]

from registry import importer, layout  # noqa: E402

SOURCE = ROOT / "layers" / "common" / "byoc" / "oauth" / "providers.json"
DATA = ROOT / "tests" / "data"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("facts", type=Path, nargs="?", default=DATA / "reference_facts.json")
    parser.add_argument("--verification", type=Path, action="append")
    parser.add_argument("--write", action="store_true")
    parser.add_argument("--only", nargs="*", help="import only these ids")
    parser.add_argument(
        "--replace-imported",
        action="store_true",
        help="write again the entries this tool wrote and nobody edited",
    )
    args = parser.parse_args(argv)
    facts = json.loads(args.facts.read_text(encoding="utf-8"))["providers"]
    checks = {}
    for path in args.verification or [DATA / "reference_verification.json"]:
        checks.update({p["id"]: p for p in json.loads(path.read_text(encoding="utf-8"))["providers"]})
    data = json.loads(SOURCE.read_text(encoding="utf-8"))
    if args.replace_imported:
        data["providers"] = [p for p in data["providers"] if not importer.is_imported(p)]
    added, skipped = imported(data, facts, checks, set(args.only or []))
    for fact_id, reason in sorted(skipped.items()):
        print(f"skip {fact_id}: {reason}")
    print(f"{len(added)} entries to add, {len(skipped)} skipped")
    if args.write and added:
        data["providers"] = sorted(data["providers"] + added, key=lambda p: p["id"])
        SOURCE.write_text(layout.dumps(data), encoding="utf-8")
        print(f"wrote {SOURCE.relative_to(ROOT)}: run make registry")
    return 0


def imported(
    data: dict, facts: list[dict], checks: dict, only: set[str]
) -> tuple[list[dict], dict[str, str]]:
    """The entries to add (each one valid in the file as it is), and the reasons for the others."""
    have = {p["id"]: p for p in data["providers"]}
    added: list[dict] = []
    skipped: dict[str, str] = {}
    # members last, so that a base imported in the same run is there for them to extend
    for fact in sorted(facts, key=lambda f: bool(f.get("alias_of"))):
        if fact["id"] in have or (only and fact["id"] not in only):
            continue
        try:
            within = {**data, "providers": data["providers"] + added}
            candidate = importer.checked_entry(fact, checks.get(fact["id"]), within)  # its problems only
        except importer.Skip as reason:
            skipped[fact["id"]] = str(reason)
            continue
        added.append(candidate)
    return added, skipped


if __name__ == "__main__":
    raise SystemExit(main())
