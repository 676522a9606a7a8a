"""A short run of ``bench/leaks.py``: 20 create/step/delete cycles through one agent, across every lab.

After a warm-up pass (pools, caches and sockets opened once), the agent's process holds no more file
descriptors or threads than before, within a stated tolerance, and nothing carrying the run's
sandbox names is left: no namespace, /etc/netns entry, runtime directory or process. The figure
from a long run is in docs/reliability.md.
"""

from __future__ import annotations

import asyncio
import importlib.util
import secrets
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "leaks.py"
CYCLES = 20
FD_TOLERANCE = 2  # a descriptor the channel layer or logging opens late is not a leak; one per cycle is
THREAD_TOLERANCE = 1


def load_bench():
    spec = importlib.util.spec_from_file_location("bench_leaks", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_twenty_cycles_leak_no_descriptors_threads_or_kernel_objects():
    leaks = load_bench()
    prefix = "lk" + secrets.token_hex(2)
    result = asyncio.run(leaks.run(CYCLES, 10, 0, prefix))
    assert result["cycles"] == CYCLES
    grown = leaks.growth(result)
    assert grown["fds"] <= FD_TOLERANCE, result["samples"]
    assert grown["threads"] <= THREAD_TOLERANCE, result["samples"]
    assert result["leftovers"] == {
        "namespaces": [],
        "etc_netns": [],
        "runtime": [],
        "locks": [],
        "processes": [],
        "children": [],
    }
