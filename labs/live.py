"""What the live picture needs from a sandbox's observed kernel state: which cables are down, which
hosts exist, how much traffic each host has seen (pure).

Computed by the agent from the observer's state after every change and sent to the sandbox's group as
plain JSON-able data, whatever the channel layer; the consumer redraws the picture with it.
"""

from __future__ import annotations

from dataclasses import dataclass

from labs.diagram import link_id
from netcore.observe.model import SandboxState


@dataclass(frozen=True)
class LiveView:
    seq: int
    hosts: frozenset[str]
    down: frozenset[str]  # line ids of cables with an end that is not operationally up
    counters: dict[str, str]  # host -> short traffic text

    def to_message(self) -> dict:
        return {"seq": self.seq, "hosts": sorted(self.hosts), "down": sorted(self.down), "counters": self.counters}

    def differs_in_shape(self, other: LiveView) -> bool:
        """Cables or hosts changed (sent at once), not only traffic figures (sent at most once a second)."""
        return self.down != other.down or self.hosts != other.hosts

    @classmethod
    def from_message(cls, message: dict) -> LiveView:
        return cls(message["seq"], frozenset(message["hosts"]), frozenset(message["down"]), dict(message["counters"]))


def human_bytes(count: int) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if count < 1000 or unit == "GB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1000
    return f"{count} B"


def live_view(state: SandboxState) -> LiveView:
    """Reduce the observed state to what the picture shows."""
    down: set[str] = set()
    counters: dict[str, str] = {}
    for host, host_state in state.hosts.items():
        for link in host_state.links.values():
            if link.kind != "veth" or not link.peer:  # peer: "host:ifname", from the writer's alias
                continue
            if not link.up or link.operstate not in ("UP", "UNKNOWN"):
                down.add(link_id(f"{host}.{link.name}", link.peer.replace(":", ".")))
        total = sum(
            c.rx_bytes + c.tx_bytes
            for index, c in host_state.counters.items()
            if host_state.links.get(index) and host_state.links[index].kind != "loopback"
        )
        if total:
            counters[host] = "⇅ " + human_bytes(total)
    return LiveView(state.seq, frozenset(state.hosts), frozenset(down), counters)
