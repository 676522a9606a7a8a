"""Kernel-level facts of one sandbox: what the planner compares and the kernel adapter reads back.

A State is the same shape whether it was compiled from a Topology (desired) or read from the kernel
(actual), so ``plan_changes(actual, desired)`` is a pure comparison. Everything is keyed by host-level
names; the sandbox prefix belongs to the kernel adapter.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from netcore.topology.model import Endpoint, Server, Vxlan


@dataclass(frozen=True)
class Device:
    """An interface as the kernel knows it.

    ``kind``, ``mac``, ``peer``, ``vxlan`` and ``mtu`` fix the device's identity: when one differs the
    device is recreated. ``up``, ``master`` and a bridge port's ``hairpin`` change in place.
    """

    kind: str
    mac: str | None = None
    peer: Endpoint | None = None
    vxlan: Vxlan | None = None
    mtu: int | None = None
    up: bool = True
    master: str | None = None
    hairpin: bool = False

    def identity(self) -> tuple:
        return (self.kind, self.mac, self.peer, self.vxlan, self.mtu)

    def settings(self) -> tuple:
        return (self.up, self.master, self.hairpin)


@dataclass(frozen=True, order=True)
class Address:
    """An IPv4 address with its prefix on one interface."""

    end: Endpoint
    cidr: str


@dataclass(frozen=True, order=True)
class RouteFact:
    """A static route in a host's main table; ``dev`` is always resolved."""

    host: str
    dst: str
    dev: str
    via: str | None = None
    metric: int = 0
    onlink: bool = False

    def summary(self) -> str:
        via = f" via {self.via}" if self.via else ""
        metric = f" metric {self.metric}" if self.metric else ""
        return f"{self.dst}{via} dev {self.dev}{metric}{' onlink' if self.onlink else ''}"


@dataclass(frozen=True)
class Ruleset:
    """A host's nftables table; compared by digest (the kernel keeps the digest as the table comment)."""

    digest: str
    text: str | None = field(default=None, compare=False)


@dataclass(frozen=True)
class State:
    """Every fact of a sandbox that Podpath manages."""

    hosts: frozenset[str] = frozenset()
    devices: dict[Endpoint, Device] = field(default_factory=dict)
    addresses: frozenset[Address] = frozenset()
    routes: frozenset[RouteFact] = frozenset()
    sysctls: dict[tuple[str, str], str] = field(default_factory=dict)
    rulesets: dict[str, Ruleset] = field(default_factory=dict)
    files: dict[tuple[str, str], str] = field(default_factory=dict)
    servers: frozenset[Server] = frozenset()
    data: dict[str, str] = field(default_factory=dict)

    def without_servers(self) -> State:
        return replace(self, servers=frozenset())

    def differences(self, other: State) -> list[str]:
        """Return a readable list of what differs from ``other`` (empty when they are equal)."""
        out: list[str] = []
        for name in ("hosts", "addresses", "routes", "servers"):
            mine, theirs = getattr(self, name), getattr(other, name)
            out += [f"{name}: only here {x}" for x in sorted(mine - theirs, key=str)]
            out += [f"{name}: only there {x}" for x in sorted(theirs - mine, key=str)]
        for name in ("devices", "sysctls", "rulesets", "files", "data"):
            mine, theirs = getattr(self, name), getattr(other, name)
            for key in sorted(set(mine) | set(theirs), key=str):
                if mine.get(key) != theirs.get(key):
                    out.append(f"{name}[{key}]: {mine.get(key)!r} != {theirs.get(key)!r}")
        return out
