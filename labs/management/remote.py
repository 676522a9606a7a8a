"""`podpath sandbox` on a deployment of several machines: through the agents, from any machine.

When the settings name shared Redis and PostgreSQL (PODPATH_EMBEDDED_AGENT off), a sandbox command does
not touch this machine's kernel: it places a new sandbox on a host (or refuses with ``no capacity``), asks
the agent holding the sandbox to do the work and waits for its answer, and lists sandboxes and hosts from
the rows the agents keep current. The same command on a kernel host of the embedded run drives its kernel
directly (labs/management/commands/sandbox.py).
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction

from agent.client import call_sync
from hosts.selectors import host_list, placement_get
from hosts.services import host_drain, sandbox_place
from labs.catalog import get_lab
from netcore import names
from netcore.errors import AlreadyExists, NotFound

BUILD_TIMEOUT_S = 600.0


def through_agents() -> bool:
    return not settings.PODPATH_EMBEDDED_AGENT


def create(*, name: str, lab: str | None, step: int, cluster: bool, nodes: int, cni: str) -> dict:
    """Place a new sandbox and have its host build it; return the agent's result and the host."""
    names.check_sandbox_name(name)
    if placement_get(name=name) is not None:
        raise AlreadyExists(f"sandbox {name!r} already exists")
    if cluster:
        job, args = "cluster_start", {"nodes": nodes, "cni": cni}
    else:
        assert lab is not None
        get_lab(lab).step(step)  # refuse an unknown lab or step before placing anything
        job, args = "lab_start", {"lab_id": lab, "step": step}
    with transaction.atomic():
        placement = sandbox_place(
            name=name, lab=lab or "", kind="cluster" if cluster else "", desired={"job": job, "args": args}
        )
    return {"host": placement.host.host_id, **call_sync(job, name, args, timeout=BUILD_TIMEOUT_S)}


def run(job: str, name: str, args: dict | None = None) -> dict:
    if placement_get(name=name) is None:
        raise NotFound(f"no sandbox {name!r} on any host")
    return call_sync(job, name, args or {}, timeout=BUILD_TIMEOUT_S)


def hosts_text() -> str:
    lines = [f"{'HOST':16} {'STATE':8} {'SANDBOXES':>9} {'MEMORY FREE':>12} {'CORES':>5} {'LOAD':>5}"]
    for status in host_list():
        host = status.host
        lines.append(
            f"{host.host_id:16} {status.state:8} {f'{status.placed}/{host.sandboxes}':>9} "
            f"{f'{host.memory_available_mb} MB':>12} {host.cores:>5} {host.load:>5.2f}"
        )
    return "\n".join(lines)


def drain(host_id: str, drained: bool) -> str:
    host_drain(host_id=host_id, drained=drained)
    return f"host {host_id} {'drained: no new sandboxes go there' if drained else 'back in service'}"
