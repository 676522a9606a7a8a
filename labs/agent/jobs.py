"""What the agent can be asked to do, each a plain synchronous function over netcore.

A job gets its arguments and a progress callback and returns a JSON-able result or raises
PodpathError with a message for the page. The agent (``labs.agent.worker``) runs jobs on worker
threads; nothing here knows about Django, channels or browsers.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable

from labs import player
from labs.catalog import get_lab
from netcore import names
from netcore.errors import PodpathError
from netcore.kernel.base import Progress
from netcore.kube import api
from netcore.reconcile import Report
from netcore.sandbox import lifecycle
from netcore.sandbox.registry import read_record


def report_json(report: Report) -> dict:
    return {"operations": report.operations, "counts": report.counts, "summaries": list(report.summaries),
            "seconds": round(report.read_s + report.apply_s, 3), "describe": report.describe()}


def lab_start(*, sandbox: str, lab_id: str, step: int = 1, progress: Progress) -> dict:
    get_lab(lab_id).step(step)
    return {"step": step, "report": report_json(player.lab_start(sandbox=sandbox, lab_id=lab_id, step=step,
                                                                 progress=progress))}


def lab_step(*, sandbox: str, step: int, progress: Progress) -> dict:
    return {"step": step, "report": report_json(player.lab_step(sandbox=sandbox, step=step, progress=progress))}


def lab_reset(*, sandbox: str, progress: Progress) -> dict:
    return {"step": 1, "report": report_json(player.lab_reset(sandbox=sandbox, progress=progress))}


def delete(*, sandbox: str, progress: Progress) -> dict:
    lifecycle.delete_sandbox(sandbox)
    return {"deleted": sandbox}


def apply_manifests(*, sandbox: str, text: str, source: str = "editor", progress: Progress) -> dict:
    outcomes, report = api.apply_manifests(sandbox, text, source, progress)
    return {"outcomes": [[list(key), outcome] for key, outcome in outcomes], "report": report_json(report)}


def set_cni(*, sandbox: str, mode: str, progress: Progress) -> dict:
    return {"cni": mode, "report": report_json(api.set_cni(sandbox, mode, progress))}


JOBS: dict[str, Callable[..., dict]] = {
    "lab_start": lab_start,
    "lab_step": lab_step,
    "lab_reset": lab_reset,
    "delete": delete,
    "apply": apply_manifests,
    "cni": set_cni,
}


def run_job(name: str, arguments: dict, progress: Progress) -> dict:
    """Run one job by name; an unknown job is a PodpathError like any refusal."""
    job = JOBS.get(name)
    if job is None:
        raise PodpathError(f"unknown job {name!r} (jobs: {', '.join(sorted(JOBS))})")
    return job(**arguments, progress=progress)


KERNEL_TABS = {
    "links": ["ip", "-d", "-br", "link", "show"],
    "addresses": ["ip", "-br", "-4", "addr", "show"],
    "routes": ["ip", "route", "show", "table", "main"],
    "nftables": ["nft", "list", "ruleset"],
    "conntrack": ["conntrack", "-L"],
}


def kernel_view(*, sandbox: str, tab: str, progress: Progress) -> dict:
    """What the kernel says, per host, for one tab of the player (the real commands' output)."""
    if tab not in KERNEL_TABS:
        raise PodpathError(f"unknown tab {tab!r} (tabs: {', '.join(KERNEL_TABS)})")
    hosts = read_record(sandbox).hosts
    out = {}
    for host in hosts:
        result = subprocess.run(["ip", "netns", "exec", names.netns_name(sandbox, host), *KERNEL_TABS[tab]],
                                capture_output=True, text=True, timeout=10)
        out[host] = (result.stdout + result.stderr).strip()
    return {"tab": tab, "command": " ".join(KERNEL_TABS[tab]), "hosts": out}


JOBS["kernel_view"] = kernel_view


def collect_garbage(*, sandbox: str, progress: Progress) -> dict:
    """Remove leftovers no sandbox owns (``sandbox`` is ignored: the job is host-wide)."""
    return {"gc": lifecycle.collect_garbage().describe()}


JOBS["gc"] = collect_garbage


def console(*, sandbox: str, target: str, line: str, progress: Progress) -> dict:
    """Run one allowed console command in a host or pod (never a shell), with a time and size limit."""
    from labs.console import MAX_OUTPUT, TIME_LIMIT_S, Refused, parse_command
    from labs.tries import namespace_for

    try:
        command = parse_command(line)
    except Refused as error:
        raise PodpathError(str(error)) from None
    cluster = api.load_cluster(sandbox) if read_record(sandbox).meta.get("kind") == "cluster" else None
    namespace = namespace_for(sandbox, target, cluster)
    try:
        result = subprocess.run(["ip", "netns", "exec", namespace, *command.argv], capture_output=True,
                                timeout=TIME_LIMIT_S, stdin=subprocess.DEVNULL)
        output, code = result.stdout + result.stderr, result.returncode
    except subprocess.TimeoutExpired as expired:
        output, code = (expired.stdout or b"") + f"\n(stopped after {TIME_LIMIT_S} s)".encode(), 124
    text = output[:MAX_OUTPUT].decode(errors="replace")
    if len(output) > MAX_OUTPUT:
        text += f"\n(output cut at {MAX_OUTPUT // 1024} KB)"
    return {"target": target, "command": command.text(), "exit": code, "output": text}


JOBS["console"] = console


def packet_walk(*, sandbox: str, source: str, destination: str, protocol: str | None = None,
                port: int | None = None, progress: Progress) -> dict:
    """Send one real request and return its walk (podpath.walk/1), keeping its pcap for download."""
    import secrets

    from netcore.walk.pcap import render_pcap
    from netcore.walk.run import walk

    result = walk(sandbox=sandbox, source=source, destination=destination, protocol=protocol or None,
                  port=port or None)
    walk_id = secrets.token_hex(6)
    directory = names.sandbox_dir(sandbox) / "walks"
    directory.mkdir(exist_ok=True)
    (directory / f"{walk_id}.pcap").write_bytes(render_pcap(result.walk))
    return {"walk": result.walk.to_json(), "walk_id": walk_id}


JOBS["walk"] = packet_walk
