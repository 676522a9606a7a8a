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
from netcore.errors import NotFound


def host_register(*, host_id: str, sandboxes: int, memory_mb: int = 0, cores: int = 0) -> Host:
    """Say this host exists with this capacity (a restart keeps its drain flag and its sandboxes)."""
    now = timezone.now()
    host, _ = Host.objects.update_or_create(host_id=host_id, defaults={
        "sandboxes": sandboxes, "memory_mb": memory_mb, "cores": cores, "started": now, "heartbeat": now})
    return host


def host_heartbeat(*, host_id: str, memory_available_mb: int = 0, namespaces: int = 0, load: float = 0.0) -> None:
    Host.objects.filter(host_id=host_id).update(heartbeat=timezone.now(), memory_available_mb=memory_available_mb,
                                                namespaces=namespaces, load=load)


def host_drain(*, host_id: str, drained: bool = True) -> Host:
    """Drained: no new sandboxes go to the host; those it holds stay and keep working."""
    updated = Host.objects.filter(host_id=host_id).update(drained=drained)
    if not updated:
        raise NotFound(f"no host {host_id!r}")
    return Host.objects.get(host_id=host_id)


def local_host() -> Host:
    """The embedded run's one host, this process: registered on first use."""
    host, created = Host.objects.get_or_create(
        host_id=settings.PODPATH_HOST_ID, defaults={"sandboxes": settings.PODPATH_HOST_SANDBOXES})
    return host


def sandbox_place(*, name: str, desired: dict | None = None, lab: str = "", kind: str = "",
                  exclude: str = "") -> Placement:
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
    return (f"no capacity: every host is full ({', '.join(f'{h.host_id} {h.sandboxes}' for h in live)}); "
            "delete a sandbox or add a host")


def placement_forget(*, name: str) -> None:
    Placement.objects.filter(name=name).delete()


def placement_report(*, host_id: str, name: str, state: dict | None) -> None:
    """The agent's word on a sandbox it holds: its state, or None when it no longer exists there."""
    if state is None:
        Placement.objects.filter(name=name, host__host_id=host_id).delete()
        return
    host = Host.objects.get(host_id=host_id)
    Placement.objects.update_or_create(name=name, defaults={"host": host, "updated": timezone.now(), **state})
