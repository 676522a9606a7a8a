"""Reads for hosts: which hosts are alive, where a sandbox lives, what its host last said about it.

The web tier's whole knowledge of a kernel host: rows its agent keeps current. Nothing here reads a
host's files.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db.models import Count
from django.utils import timezone

from hosts.errors import HostDown
from hosts.models import Host, Placement
from netcore.errors import NotFound


def host_alive(host: Host) -> bool:
    """Whether the host's agent has said it is alive recently (the embedded host always is: it is us)."""
    if settings.PODPATH_EMBEDDED_AGENT and host.host_id == settings.PODPATH_HOST_ID:
        return True
    if host.heartbeat is None:
        return False
    return timezone.now() - host.heartbeat <= timedelta(seconds=settings.PODPATH_HOST_TIMEOUT_S)


def host_silence_s(host: Host) -> float | None:
    return None if host.heartbeat is None else (timezone.now() - host.heartbeat).total_seconds()


@dataclass(frozen=True)
class HostStatus:
    host: Host
    placed: int
    alive: bool

    @property
    def state(self) -> str:
        if not self.alive:
            return "down"
        return "drained" if self.host.drained else "up"

    @property
    def room(self) -> int:
        return max(0, self.host.sandboxes - self.placed)


def host_list() -> list[HostStatus]:
    hosts = Host.objects.annotate(placed=Count("placements"))
    return [HostStatus(host=h, placed=h.placed, alive=host_alive(h)) for h in hosts]


def placement_get(*, name: str) -> Placement | None:
    return Placement.objects.select_related("host").filter(name=name).first()


def sandbox_host(*, name: str) -> str:
    """The id of the live host holding sandbox ``name``; raise HostDown at once if its agent is silent.

    A sandbox with no placement (made on the kernel host by hand before its agent saw it) belongs to the
    embedded host when there is one."""
    placement = placement_get(name=name)
    if placement is None:
        if settings.PODPATH_EMBEDDED_AGENT:
            return settings.PODPATH_HOST_ID
        raise NotFound(f"sandbox {name!r} is on no host (unknown to every agent)")
    host = placement.host
    if not host_alive(host):
        silence = host_silence_s(host)
        since = "has never said it is alive" if silence is None else f"silent for {silence:.0f} s"
        raise HostDown(f"host {host.host_id} is down ({since}): sandbox {name} is unavailable until it is back")
    return host.host_id


def placement_step(*, name: str) -> int | None:
    """The step the sandbox is on, or None while it is being built."""
    placement = Placement.objects.filter(name=name).only("step").first()
    return None if placement is None else placement.step


def sandbox_on_kernel(*, name: str) -> bool:
    """Whether the host holding sandbox ``name`` last said it is there (not still building, not missing)."""
    return Placement.objects.filter(name=name).exclude(health__in=("building", "missing")).exists()
