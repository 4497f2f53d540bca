"""The human table of a bench run, and the list of targets it missed."""

from __future__ import annotations

from typing import Any


def _table(headers: list[str], rows: list[list[Any]]) -> str:
    cells = [[str(h) for h in headers]] + [["" if c is None else str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _mark(ok: bool | None) -> str:
    return "" if ok is None else ("ok" if ok else "MISS")


def _heavy(flags: dict[str, bool] | None) -> str:
    if not flags:
        return ""
    names = [name.split(".")[0] if "." not in name else "resolver" for name, on in flags.items() if on]
    return ",".join(names) or "-"


def _functions(results: dict[str, Any]) -> list[str]:
    return [
        name
        for name in results["imports"]
        if not name.startswith(("alt:", "bare", "floor", "boto3")) and "[" not in name
    ]


def imports_section(results: dict[str, Any]) -> str:
    targets = results["targets"]["import_ratio"]
    table = results["imports"]
    rows = []
    for name in _functions(results) + [n for n in table if n.startswith("alt:")]:
        row = table[name]
        target = targets.get(name)
        source = table.get(f"{name} [no .pyc]", {}).get("ratio")
        rows.append(
            [
                name,
                row["ratio"],
                row["ratio_cpu"],
                target,
                _mark(None if target is None else row["ratio"] <= target),
                source,
                _heavy(row.get("imports")),
            ]
        )
    for name in ("boto3 import only", "boto3 + Powertools Logger"):
        rows.append([name, table[name]["ratio"], table[name]["ratio_cpu"], None, "", None, ""])
    floor = table["floor"]
    head = (
        f"Import ratio: (import - bare) / (boto3 + DynamoDB and KMS clients - bare); floor "
        f"{floor['median_wall_ms'] - table['bare']['median_wall_ms']:.0f} ms here, medians of {floor['runs']}"
    )
    return (
        head + "\n" + _table(["function", "ratio", "(cpu)", "target", "", "no .pyc", "heavy imports"], rows)
    )


def calls_section(results: dict[str, Any]) -> str:
    rows = []
    for row in results["calls"]:
        counts = " ".join(f"{k}={v}" for k, v in row["counts"].items())
        usd = row.get("cost", {}).get("aws_calls_usd_per_million_requests")
        rows.append([row["scenario"], counts, _mark(row["within_budget"]), usd])
    return "AWS calls per request (moto, before-call hook) against the budget\n" + _table(
        ["request", "calls", "budget", "$/1M (AWS calls)"], rows
    )


def cpu_section(results: dict[str, Any]) -> str:
    rows = []
    for name, row in results["cpu"].items():
        shares = ", ".join(f"{k} {v:.0%}" for k, v in list(row["profile_shares"].items())[:4])
        rows.append(
            [
                name,
                round(row["handler_us_per_request"]),
                round(row["floor_us_per_request"]),
                row["ratio"],
                _mark(row["ratio"] <= results["targets"]["cpu_ratio"]) if not name.startswith("alt:") else "",
                row.get("ratio_without_log_line"),
                shares,
            ]
        )
    return f"CPU per warm request (Stubber), target <= {results['targets']['cpu_ratio']}\n" + _table(
        ["function", "us/req", "floor us", "ratio", "", "w/o log line", "where the CPU goes"], rows
    )


def memory_section(results: dict[str, Any]) -> str:
    mem = results["memory"]
    rows = [
        [
            name,
            row["rss_after_import_mb"],
            row["rss_peak_mb"],
            row["ratio"],
            _mark(row["ratio"] <= results["targets"]["memory_ratio"])
            if name not in ("floor",) and not name.startswith("alt:")
            else "",
        ]
        for name, row in mem.items()
    ]
    return (
        f"Peak RSS after import and one request, target <= {results['targets']['memory_ratio']}\n"
        + _table(["function", "MB after import", "MB peak", "ratio", ""], rows)
    )


def package_section(results: dict[str, Any]) -> str:
    pkg = results["package"]
    if "error" in pkg:
        return f"Package: {pkg['error']}"
    mb = 1024 * 1024
    share, target = pkg["share_of_limit"], results["targets"]["package_share"]
    built = "sam build" if pkg["built_now"] else "existing sam build"
    functions_kb = sum(pkg["functions_bytes"].values()) / 1024
    lines = [
        f"Package ({built}): layer {pkg['layer_bytes'] / mb:.1f} MB, functions {functions_kb:.0f} KB, "
        f"total {pkg['total_bytes'] / mb:.1f} MB = {share:.1%} of 250 MB (target <= {target:.0%}) "
        f"{_mark(share <= target)}",
        f"boto3 bundled: {'yes' if pkg['boto3_bundled'] else 'no'} (the runtime provides it; "
        f"its closure would add {pkg['boto3_closure_bytes_if_bundled'] / mb:.0f} MB = "
        f"{pkg['boto3_share_of_limit_if_bundled']:.0%} of the limit); "
        f".pyc files in the build: {pkg['bytecode_files_in_build']}",
    ]
    if pkg.get("build_error"):
        lines.append("make build failed: " + pkg["build_error"][-300:])
    return "\n".join(lines)


def model_section(results: dict[str, Any]) -> str:
    model = results["memory_model"]["functions"]
    if not model:
        return ""
    sizes = list(next(iter(model.values())).keys())
    rows = [
        [name] + [f"{v[s]['cpu_bound_cold_start_ms']} / {v[s]['warm_cpu_ms']}" for s in sizes]
        for name, v in model.items()
    ]
    return (
        "CPU-bound cold start ms / warm CPU ms, by MemorySize (CPU share = MB/1769, this machine's core)\n"
        + _table(["function"] + [f"{s} MB" for s in sizes], rows)
    )


def render(results: dict[str, Any]) -> str:
    m = results["machine"]
    head = (
        f"byoc bench {m['date']} - {m['nproc']} x {m['cpu_model']} ({m['arch']}), Python {m['python']}, "
        f"load {m['load_average_at_start']} -> {results['load_average_at_end']}, {results['elapsed_s']} s"
    )
    sections = [
        head,
        imports_section(results),
        calls_section(results),
        cpu_section(results),
        memory_section(results),
        package_section(results),
        model_section(results),
    ]
    sections += [f"note: {n}" for n in results.get("notes", [])]
    return "\n\n".join(s for s in sections if s)


def misses(results: dict[str, Any]) -> list[str]:
    found = []
    targets = results["targets"]
    for name, target in targets["import_ratio"].items():
        row = results["imports"].get(name)
        if row and row["ratio"] > target:
            found.append(f"import {name} {row['ratio']} > {target}")
    for row in results["calls"]:
        if row["within_budget"] is False:
            found.append(f"calls {row['scenario']}")
    for name, row in results["cpu"].items():
        if not name.startswith("alt:") and row["ratio"] > targets["cpu_ratio"]:
            found.append(f"cpu {name} {row['ratio']}")
    for name, row in results["memory"].items():
        if name != "floor" and not name.startswith("alt:") and row["ratio"] > targets["memory_ratio"]:
            found.append(f"memory {name} {row['ratio']}")
    pkg = results["package"]
    if "share_of_limit" in pkg and pkg["share_of_limit"] > targets["package_share"]:
        found.append(f"package {pkg['share_of_limit']:.1%}")
    return found
