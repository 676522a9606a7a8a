"""Writes for hosts: an agent registers and beats; the web tier places a sandbox; an admin drains a host.

Placement happens in the web tier, inside the transaction that creates the sandbox's row: a full fleet
refuses with NoCapacity and nothing is built, so there is never a half-made sandbox.
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from hosts.errors import NoCapacity
from hosts.models import Host, Placement
from hosts.selectors import host_alive
from netcore.errors import NotFound, PodpathError


def host_register(*, host_id: str, sandboxes: int, memory_mb: int = 0, cores: int = 0) -> Host:
    """Say this host exists with this capacity (a restart keeps its drain flag and its sandboxes)."""
    now = timezone.now()
    host, _ = Host.objects.update_or_create(
        host_id=host_id,
        defaults={"sandboxes": sandboxes, "memory_mb": memory_mb, "cores": cores, "started": now, "heartbeat": now},
    )
    return host


def host_heartbeat(*, host_id: str, memory_available_mb: int = 0, namespaces: int = 0, load: float = 0.0) -> None:
    Host.objects.filter(host_id=host_id).update(
        heartbeat=timezone.now(), memory_available_mb=memory_available_mb, namespaces=namespaces, load=load
    )


def host_drain(*, host_id: str, drained: bool = True) -> Host:
    """Drained: no new sandboxes go to the host; those it holds stay and keep working."""
    updated = Host.objects.filter(host_id=host_id).update(drained=drained)
    if not updated:
        raise NotFound(f"no host {host_id!r}")
    return Host.objects.get(host_id=host_id)


def local_host() -> Host:
    """The embedded run's one host, this process: registered on first use."""
    host, created = Host.objects.get_or_create(
        host_id=settings.PODPATH_HOST_ID, defaults={"sandboxes": settings.PODPATH_HOST_SANDBOXES}
    )
    return host


def sandbox_place(
    *, name: str, desired: dict | None = None, lab: str = "", kind: str = "", exclude: str = ""
) -> Placement:
    """Put a new sandbox on the least-loaded live, undrained host with room; raise NoCapacity if none.

    The candidate hosts are locked for the transaction, so two placements at once cannot both take a
    host's last place."""
    if settings.PODPATH_EMBEDDED_AGENT:
        local_host()
    with transaction.atomic():
        hosts = list(Host.objects.select_for_update().filter(drained=False).exclude(host_id=exclude))
        best, best_load = None, 2.0
        for host in hosts:
            if not host_alive(host) or host.sandboxes == 0:
                continue
            placed = Placement.objects.filter(host=host).count()
            load = placed / host.sandboxes
            if placed < host.sandboxes and load < best_load:
                best, best_load = host, load
        if best is None:
            raise NoCapacity(no_capacity_message(hosts))
        return Placement.objects.create(name=name, host=best, lab=lab, kind=kind, desired=desired or {})


def no_capacity_message(hosts: list[Host]) -> str:
    live = [h for h in hosts if host_alive(h)]
    if not live:
        return "no capacity: no kernel host is up to build a new sandbox; try again when an agent is running"
    return (
        f"no capacity: every host is full ({', '.join(f'{h.host_id} {h.sandboxes}' for h in live)}); "
        "delete a sandbox or add a host"
    )


def placement_forget(*, name: str) -> None:
    Placement.objects.filter(name=name).delete()


def placement_report(*, host_id: str, name: str, state: dict | None, claim: bool = False) -> None:
    """The agent's word on a sandbox it holds: its state, or None when it no longer exists there.

    Only the host holding a sandbox updates its row, unless it ``claim``s it: the host that has just built
    it (a move builds on the new host, which takes the row, before the old host deletes its copy)."""
    existing = Placement.objects.filter(name=name).select_related("host").first()
    if existing is not None and existing.host.host_id != host_id and not claim:
        return  # another host holds it now: this one's copy is on its way out
    if state is None:
        if existing is not None:
            existing.delete()
        return
    host = Host.objects.get(host_id=host_id)
    Placement.objects.update_or_create(name=name, defaults={"host": host, "updated": timezone.now(), **state})


def sandbox_move_target(*, name: str, to: str = "") -> tuple[Placement, Host, dict]:
    """Where and how to rebuild a sandbox elsewhere: (its placement, the new host, the job that builds it).

    The new host is ``to``, else the least-loaded live undrained host with room other than its own. What
    is rebuilt is its desired state: its lab on the step it is on, else the job that first built it (a
    cluster's objects applied by hand are not carried over)."""
    placement = Placement.objects.select_related("host").filter(name=name).first()
    if placement is None:
        raise NotFound(f"no sandbox {name!r} on any host")
    if to:
        target = Host.objects.filter(host_id=to).first()
        if target is None:
            raise NotFound(f"no host {to!r}")
        if target.host_id == placement.host.host_id:
            raise PodpathError(f"sandbox {name} is already on host {to}")
        if not host_alive(target):
            raise NoCapacity(f"no capacity: host {to} is down")
    else:
        candidates = [
            h
            for h in Host.objects.filter(drained=False).exclude(host_id=placement.host.host_id)
            if host_alive(h) and Placement.objects.filter(host=h).count() < h.sandboxes
        ]
        if not candidates:
            raise NoCapacity(no_capacity_message(list(Host.objects.exclude(host_id=placement.host.host_id))))
        target = min(candidates, key=lambda h: Placement.objects.filter(host=h).count() / h.sandboxes)
    if placement.lab and placement.step:
        job = {"job": "lab_start", "args": {"lab_id": placement.lab, "step": placement.step}}
    elif placement.desired.get("job"):
        job = placement.desired
    else:
        raise PodpathError(f"sandbox {name}: nothing says how to build it again (made by hand on its host?)")
    return placement, target, job
