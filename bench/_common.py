"""Helpers the benchmark scripts share: machine facts, percentiles, memory, and writing results."""

from __future__ import annotations

import json
import os
import platform
import sqlite3
import statistics
import subprocess
from collections.abc import Sequence
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "memory_gib": round(_meminfo_kib("MemTotal") / 1024 / 1024, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "sqlite": sqlite3.sqlite_version,
        "sqlalchemy": _version("sqlalchemy"),
        "phonenumbers": _version("phonenumbers"),
    }


def source() -> dict[str, Any]:
    """Which buyerguard was measured: its path, and the commit and dirty src files of this repo."""
    import buyerguard

    repo = Path(__file__).resolve().parent.parent
    package = Path(buyerguard.__file__).resolve().parent
    found: dict[str, Any] = {
        "package": str(package),
        "from_this_repo": package.is_relative_to(repo),
    }
    try:
        found["repo_commit"] = subprocess.run(
            ["git", "-C", str(repo), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(repo), "status", "--porcelain", "--", "src"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.splitlines()
        found["repo_src_changes"] = len(dirty)
    except (OSError, subprocess.CalledProcessError):
        pass
    return found


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "-"


def _meminfo_kib(field: str) -> int:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def rss_mib() -> dict[str, float]:
    """This process's resident memory now and at its peak (Linux /proc), in MiB."""
    found = {"rss_mib": 0.0, "peak_rss_mib": 0.0}
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                found["rss_mib"] = round(int(line.split()[1]) / 1024, 1)
            elif line.startswith("VmHWM:"):
                found["peak_rss_mib"] = round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return found


def summary_ms(samples_ns: Sequence[int]) -> dict[str, float]:
    """Median, p90, p99, mean, min and max of durations in nanoseconds, in milliseconds."""
    values = sorted(v / 1e6 for v in samples_ns)
    if len(values) < 2:
        only = values[0] if values else 0.0
        return dict.fromkeys(("median", "p90", "p99", "mean", "min", "max"), only) | {
            "n": len(values)
        }
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return {
        "n": len(values),
        "median": round(statistics.median(values), 4),
        "p90": round(cuts[89], 4),
        "p99": round(cuts[98], 4),
        "mean": round(statistics.fmean(values), 4),
        "min": round(values[0], 4),
        "max": round(values[-1], 4),
    }


def human_bytes(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(n) < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GiB"


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def write_results(name: str, payload: dict[str, Any], markdown: str) -> tuple[Path, Path]:
    """bench/results/<name>.json and .md; returns both paths."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    json_path = RESULTS / f"{name}.json"
    md_path = RESULTS / f"{name}.md"
    json_path.write_text(json.dumps(payload, indent=2, default=str) + "\n")
    md_path.write_text(markdown.rstrip() + "\n")
    return json_path, md_path
