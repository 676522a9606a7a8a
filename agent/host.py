"""The agent as a kernel host: what it holds, told to the database the web tier reads.

Kernel side (runs in the agent, reads this host's records and namespaces). On start the agent registers
its capacity and reconciles every sandbox placed on it back to its desired state (a restart after a
crash, or a reboot that emptied /run); while it runs it beats, and after each job it reports the
sandbox's state (lab, step, hosts, health, a cluster's objects) so pages never read this host's files.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path

from hosts import services
from hosts.models import Placement
from netcore import names
from netcore.errors import NotFound, PodpathError
from netcore.kernel import netns
from netcore.kube.api import cluster_path
from netcore.sandbox import lifecycle
from netcore.sandbox.registry import record_exists

log = logging.getLogger("podpath.agent")


def meminfo_mb() -> tuple[int, int]:
    """(total, available) memory in MB, from /proc/meminfo."""
    values = {}
    for line in Path("/proc/meminfo").read_text().splitlines():
        key, _, value = line.partition(":")
        values[key] = int(value.split()[0])
    return values.get("MemTotal", 0) // 1024, values.get("MemAvailable", 0) // 1024


def register(host_id: str, sandboxes: int) -> None:
    total, _ = meminfo_mb()
    services.host_register(host_id=host_id, sandboxes=sandboxes, memory_mb=total, cores=os.cpu_count() or 0)


def heartbeat(host_id: str) -> None:
    _, available = meminfo_mb()
    services.host_heartbeat(
        host_id=host_id,
        memory_available_mb=available,
        namespaces=len(netns.list_names(names.PREFIX + "-")),
        load=os.getloadavg()[0],
    )


def sandbox_state(name: str, *, with_cluster: bool = True) -> dict | None:
    """What the pages show of a sandbox on this host, or None if it does not exist here."""
    try:
        status = lifecycle.get_sandbox(name)
    except NotFound:
        return None
    meta = status.record.meta
    state = {
        "kind": meta.get("kind", ""),
        "step": int(meta.get("step") or 0),
        "net_hosts": list(status.record.hosts),
        "namespaces": status.namespaces,
        "health": status.health,
        "meta": meta,
    }
    if meta.get("lab"):
        state["lab"] = meta["lab"]
    if with_cluster and meta.get("kind") == "cluster":
        path = cluster_path(name)
        state["cluster"] = path.read_text() if path.exists() else ""
    return state


def report(host_id: str, name: str, *, deleted: bool = False, claim: bool = False) -> None:
    """Tell the database what sandbox ``name`` is now. Gone after a delete, its placement goes too; gone
    otherwise (a first build that failed), it stays, marked missing, so it can be built again."""
    state = sandbox_state(name)
    if state is None and not deleted:
        Placement.objects.filter(name=name, host__host_id=host_id).exclude(health="missing").update(health="missing")
        return
    services.placement_report(host_id=host_id, name=name, state=state, claim=claim)


def sweep(host_id: str, last: dict[str, tuple]) -> None:
    """Bring every placement of this host up to date with the kernel, writing only what changed.

    A sandbox built here by hand (the CLI on this machine) gets a placement; one whose record is gone
    without a delete (a reboot) is marked missing until the agent rebuilds it."""
    present = set()
    for status in lifecycle.list_sandboxes():
        name = status.record.name
        present.add(name)
        state = sandbox_state(name, with_cluster=False)
        if state is None:
            continue
        key = (state["step"], state["health"], state["namespaces"], tuple(state["net_hosts"]))
        if last.get(name) != key:
            services.placement_report(host_id=host_id, name=name, state=state)
            last[name] = key
    gone = Placement.objects.filter(host__host_id=host_id).exclude(name__in=present).exclude(health="building")
    gone.exclude(health="missing").update(health="missing")
    for name in set(last) - present:
        last.pop(name, None)


def reconcile(host_id: str, run: Callable[[str, dict], dict]) -> list[str]:
    """Put every sandbox placed on this host back to its desired state; return what was done, one line each.

    ``run(job, arguments)`` runs a job as the agent would. A sandbox whose record survived is moved to its
    own step again (which repairs whatever is missing); one that is gone is built from its desired job."""
    done = []
    for placement in Placement.objects.filter(host__host_id=host_id):
        name = placement.name
        try:
            if record_exists(name) and lifecycle.get_sandbox(name).record.meta.get("lab"):
                step = int(lifecycle.get_sandbox(name).record.meta.get("step") or 1)
                run("lab_step", {"sandbox": name, "step": step})
                done.append(f"{name}: back on step {step}")
            elif record_exists(name):
                done.append(f"{name}: kept as it is")
            elif placement.desired.get("job"):
                args = dict(placement.desired.get("args", {}))
                if placement.lab and placement.step:
                    args["step"] = placement.step
                run(placement.desired["job"], {"sandbox": name, **args})
                done.append(f"{name}: rebuilt ({placement.desired['job']})")
            else:
                done.append(f"{name}: missing, and nothing says how to build it")
        except PodpathError as error:
            done.append(f"{name}: failed: {error}")
        report(host_id, name)
    return done
