"""Benchmark: does a long-running agent leak? Create, step and delete sandboxes many times in ONE process.

Run from the repository root, as root:

    .venv/bin/python bench/leaks.py [--cycles 1000] [--every 100] [--minutes 0]
        [--out bench/results/leaks.json] [--markdown docs/reliability.md]

One cycle is one sandbox's life, through the real agent (``agent.worker.Agent`` serving on the
in-memory channel layer, jobs sent with ``agent.client.call``, as the web tier sends them): start a
lab at step 1, step to step 2 and to its last step, read a kernel tab, run a console line, delete it.
Cycles rotate over every lab of the catalog; the Kubernetes labs build cluster sandboxes (nodes, pods,
the workload runner process, nginx for the L7 steps), and on those the cycle also applies a manifest
through the ``apply`` job. Every ``--every`` cycles (and after a warm-up rotation, the baseline) it
records the process's open file descriptors, threads and resident memory. Afterwards it counts what
the run left behind: namespaces, ``/etc/netns`` entries, runtime directories and processes carrying
its sandboxes' names, and child processes of its own.

``--minutes`` stops early after that much wall time, whatever ``--cycles`` says (the figure states
how many cycles ran). Sandboxes are named ``lk<token><n>``; everything the run creates it deletes,
the root network namespace is never touched, and Podpath's garbage collector is never called.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import secrets
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "podpath.settings")

import django  # noqa: E402

django.setup()

from agent.client import call  # noqa: E402
from agent.protocol import LOCAL_HOST  # noqa: E402  (one agent here, the embedded host: no database)
from agent.worker import Agent  # noqa: E402
from labs.catalog import catalog  # noqa: E402
from netcore import names  # noqa: E402
from netcore.sandbox import lifecycle  # noqa: E402
from netcore.sandbox.registry import record_exists  # noqa: E402

POD = """apiVersion: v1
kind: Pod
metadata: {name: leak-probe, labels: {app: leak-probe}}
spec:
  containers: [{name: web, image: hello-world}]
"""


def fd_kinds() -> dict[str, int]:
    """Open file descriptors by kind: socket, pipe, anon_inode (eventfd, epoll...), file."""
    kinds: dict[str, int] = {}
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue  # the one listdir itself used
        kind = target.split(":", 1)[0] if ":" in target and not target.startswith("/") else "file"
        kinds[kind] = kinds.get(kind, 0) + 1
    return kinds


def process_figures() -> dict:
    """Open file descriptors, threads and resident memory (KiB) of this process, as the kernel counts them;
    and the descriptors still open after Python's cycle collector ran (garbage holds some until then)."""
    status = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines())
    figures = {
        "fds": len(os.listdir("/proc/self/fd")),
        "fd_kinds": fd_kinds(),
        "threads": int(status["Threads"]),
        "python_threads": threading.active_count(),
        "rss_kib": int(status["VmRSS"].split()[0]),
    }
    gc.collect()
    figures["fds_after_gc"] = len(os.listdir("/proc/self/fd"))
    return figures


def leftovers(prefix: str) -> dict:
    """What carries the run's sandbox prefix after the run: namespaces, /etc/netns, runtime dirs, processes."""
    netns = [n for n in os.listdir("/run/netns") if n.startswith(f"pp-{prefix}")] if Path("/run/netns").is_dir() else []
    etc = [n for n in os.listdir("/etc/netns") if n.startswith(f"pp-{prefix}")] if Path("/etc/netns").is_dir() else []
    runtime = (
        [n for n in os.listdir(names.runtime_root()) if n.startswith(prefix)] if names.runtime_root().is_dir() else []
    )
    locks = (
        [n for n in os.listdir(names.runtime_root() / "locks") if n.startswith(prefix)]
        if (names.runtime_root() / "locks").is_dir()
        else []
    )
    processes, children = [], []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            ppid = int(Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue  # exited meanwhile
        if prefix in cmdline:
            processes.append(f"{entry} {cmdline[:80]}")
        if ppid == os.getpid():
            children.append(f"{entry} {cmdline[:80]}")
    return {
        "namespaces": netns,
        "etc_netns": etc,
        "runtime": runtime,
        "locks": locks,
        "processes": processes,
        "children": children,
    }


def plan() -> list[tuple[str, int, bool]]:
    """The rotation: (lab, its last step, whether it builds a cluster)."""
    return [(lab.id, len(lab.steps), lab.steps[0].cluster is not None) for lab in catalog().values()]


async def one_cycle(name: str, lab_id: str, last: int, cluster: bool) -> None:
    await call("lab_start", name, {"lab_id": lab_id, "step": 1}, timeout=300, host=LOCAL_HOST)
    await call("lab_step", name, {"step": min(2, last)}, timeout=300, host=LOCAL_HOST)
    await call("lab_step", name, {"step": last}, timeout=300, host=LOCAL_HOST)
    await call("kernel_view", name, {"tab": "links"}, timeout=60, host=LOCAL_HOST)
    if cluster:
        await call("apply", name, {"text": POD, "source": "leaks.yaml"}, timeout=300, host=LOCAL_HOST)
    await call("delete", name, timeout=300, host=LOCAL_HOST)


async def run(cycles: int, every: int, minutes: float, prefix: str, on_sample=None) -> dict:
    agent = Agent(workers=4)
    serving = asyncio.create_task(agent.serve())
    rotation = plan()
    samples: list[dict] = []
    seconds: list[float] = []
    started = time.monotonic()
    done = 0
    current = ""
    try:
        # Warm-up: one pass over every lab, so that pools, caches and lazily opened sockets exist.
        for index, (lab_id, last, cluster) in enumerate(rotation):
            current = f"{prefix}w{index}"
            await one_cycle(current, lab_id, last, cluster)
        samples.append({"cycle": 0, "seconds": 0.0, **process_figures()})
        for cycle in range(1, cycles + 1):
            lab_id, last, cluster = rotation[(cycle - 1) % len(rotation)]
            current = f"{prefix}{cycle:x}"
            began = time.monotonic()
            await one_cycle(current, lab_id, last, cluster)
            seconds.append(time.monotonic() - began)
            done = cycle
            if cycle % every == 0 or cycle == cycles:
                sample = {"cycle": cycle, "seconds": round(time.monotonic() - started, 1), **process_figures()}
                samples.append(sample)
                if on_sample:
                    on_sample(sample)
            if minutes and time.monotonic() - started > minutes * 60:
                if samples[-1]["cycle"] != cycle:
                    samples.append(
                        {"cycle": cycle, "seconds": round(time.monotonic() - started, 1), **process_figures()}
                    )
                break
    finally:
        if current and record_exists(current):
            lifecycle.delete_sandbox(current)  # a failed cycle still leaves nothing
        serving.cancel()
        await asyncio.gather(serving, return_exceptions=True)
        await agent.close()
        agent.pool.shutdown(wait=True)
    return {
        "cycles": done,
        "rotation": [lab for lab, _, _ in rotation],
        "samples": samples,
        "cycle_seconds": sorted(seconds),
        "wall_s": round(time.monotonic() - started, 1),
        "leftovers": leftovers(prefix),
    }


def growth(result: dict) -> dict:
    base, last = result["samples"][0], result["samples"][-1]
    return {key: last[key] - base[key] for key in ("fds", "fds_after_gc", "threads", "python_threads", "rss_kib")}


def markdown(result: dict) -> str:
    import common

    rows = "\n".join(
        f"| {s['cycle']} | {s['seconds']} | {s['fds']} | {s['threads']} | {s['rss_kib'] / 1024:.1f} |"
        for s in result["samples"]
    )
    left = result["leftovers"]
    per_cycle = common.spread(result["cycle_seconds"]) if result["cycle_seconds"] else None
    grown = growth(result)
    return f"""### Leaks: {result["cycles"]} create/step/delete cycles in one agent process

Command: `.venv/bin/python bench/leaks.py --cycles {result["args"]["cycles"]} --every {result["args"]["every"]} \
--minutes {result["args"]["minutes"]}` (as root). Machine: {result["machine"]}; commit {result["commit"]}.

Each cycle: `lab_start` step 1, `lab_step` to 2 and to the last step, `kernel_view`, on a cluster an `apply`,
then `delete`, through the agent on the in-memory channel layer; labs in rotation: {", ".join(result["rotation"])}.
Cycle 0 is the baseline after one warm-up pass over every lab.

| cycle | seconds | open fds | threads | RSS (MiB) |
| ---: | ---: | ---: | ---: | ---: |
{rows}

Growth from the baseline to cycle {result["cycles"]}: **{grown["fds"]:+d} file descriptors, {grown["threads"]:+d}
threads, {grown["rss_kib"] / 1024:+.1f} MiB RSS**. One cycle took {per_cycle["p50"]:.2f} s at the median
(p95 {per_cycle["p95"]:.2f} s). Left behind after the run: **{len(left["namespaces"])} namespaces,
{len(left["etc_netns"])} /etc/netns entries, {len(left["runtime"])} runtime directories,
{len(left["locks"])} lock files, {len(left["processes"]) + len(left["children"])} processes**.
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cycles", type=int, default=1000)
    parser.add_argument("--every", type=int, default=100)
    parser.add_argument("--minutes", type=float, default=0, help="stop after this long (0: no limit)")
    parser.add_argument("--out", default="bench/results/leaks.json")
    parser.add_argument("--markdown", default="", help="replace the <!-- leaks --> section of this document")
    args = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("run as root: the cycles build real namespaces")
    import common

    prefix = "lk" + secrets.token_hex(2)
    result = asyncio.run(
        run(
            args.cycles,
            args.every,
            args.minutes,
            prefix,
            on_sample=lambda s: print(f"cycle {s['cycle']}: {s}", flush=True),
        )
    )
    result.update(args=vars(args), machine=common.machine(), commit=common.commit(["agent", "netcore", "bench"]))
    result["growth"] = growth(result)
    common.write_json(args.out, result)
    text = markdown(result)
    print(text)
    if args.markdown:
        write_section(Path(args.markdown), "leaks", text)


def write_section(path: Path, name: str, text: str) -> None:
    """Replace the text between ``<!-- name -->`` and ``<!-- /name -->`` in a document."""
    start, end = f"<!-- {name} -->", f"<!-- /{name} -->"
    document = path.read_text()
    before, _, rest = document.partition(start)
    _, found, after = rest.partition(end)
    if not found:
        raise SystemExit(f"{path} has no {start} ... {end} section")
    path.write_text(f"{before}{start}\n{text}{end}{after}")


if __name__ == "__main__":
    main()
