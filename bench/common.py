"""What every benchmark here shares: percentiles and spreads, the machine and commit lines, writing results.

Benchmarks run as scripts (``python bench/NAME.py``), so this directory is on ``sys.path`` and they
``import common``.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def percentile(values: list[float], p: float) -> float:
    """The ``p``-th percentile (0-100), interpolated between the two nearest ranks."""
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100
    low, high = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (k - low)


def spread(values: list[float]) -> dict:
    """Latency-style figures: p50, p95, p99, min, max, mean and how many."""
    return {
        "p50": percentile(values, 50),
        "p95": percentile(values, 95),
        "p99": percentile(values, 99),
        "min": min(values),
        "max": max(values),
        "mean": statistics.fmean(values),
        "n": len(values),
    }


def median_range(values: list[float | None]) -> dict | None:
    """Run-style figures: median, min and max of the runs that produced a value (None if none did)."""
    values = [v for v in values if v is not None]
    if not values:
        return None
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "n": len(values)}


def machine() -> str:
    return f"{os.cpu_count()} cores, kernel {os.uname().release}, Python {sys.version.split()[0]}"


def commit(paths: list[str]) -> str:
    """The short commit, and which of ``paths`` had uncommitted changes when the run started."""
    head = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    dirty = subprocess.run(
        ["git", "-C", str(REPO), "status", "--porcelain", "--", *paths], capture_output=True, text=True
    ).stdout.splitlines()
    touched = sorted({p for line in dirty for p in paths if line[3:].startswith(p.rstrip("/") + "/") or line[3:] == p})
    return head.stdout.strip() + (f" with uncommitted changes in {', '.join(touched)}" if touched else "")


def write_json(path: str | Path, result: dict) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(result, indent=2) + "\n")
