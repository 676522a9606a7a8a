"""Everything a walk observed, as plain data: what the stitcher reads, and what unit tests replay.

Pure. A recording holds the raw material exactly as the kernel gave it (captured frames, trace
netlink datagrams, conntrack dump messages, each namespace's rule listing) plus the facts about the
sandbox the stitcher needs to name things (hosts and roles, addresses, routes, bridge ports, the
cluster's Services and pods). Its JSON form (bytes as hex) is the fixture format of the unit tests:
record a real walk once, then replay its stitching without root.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

from netcore.flowtuple import Tuple

PACKET_OUTGOING = 4


@dataclass(frozen=True)
class Captured:
    """A frame one packet socket saw: where, which way, when (kernel time, ns) and its first bytes."""

    host: str
    interface: str
    pkttype: int
    time_ns: int
    data: bytes
    wire_length: int

    @property
    def direction(self) -> str:
        return "out" if self.pkttype == PACKET_OUTGOING else "in"


@dataclass(frozen=True)
class RouteEntry:
    dst: str  # CIDR
    dev: str
    via: str | None = None
    metric: int = 0
    connected: bool = False


@dataclass(frozen=True)
class Facts:
    """What the stitcher knows about the sandbox besides the packets."""

    names: dict[str, str] = field(default_factory=dict)  # host -> how the walk names it
    roles: dict[str, str] = field(default_factory=dict)  # host -> pod, node, switch, router, ...
    addresses: dict[str, str] = field(default_factory=dict)  # ip -> host owning it
    routes: dict[str, tuple[RouteEntry, ...]] = field(default_factory=dict)  # host -> its main table
    masters: dict[str, str] = field(default_factory=dict)  # "host:ifname" -> bridge it is a port of
    vxlan_ports: tuple[int, ...] = (4789,)
    services: dict[str, str] = field(default_factory=dict)  # "ip:port/proto" and "*:nodeport/proto" -> ns/name
    pods: dict[str, str] = field(default_factory=dict)  # pod ip -> ns/name
    peers: dict[str, str] = field(default_factory=dict)  # "host:ifname" -> "host:ifname" at the cable's other end

    def name(self, host: str) -> str:
        return self.names.get(host, host)

    def role(self, host: str) -> str:
        return self.roles.get(host, "host")

    def service_at(self, ip: str, port: int, protocol: str) -> str | None:
        return self.services.get(f"{ip}:{port}/{protocol}") or (
            self.services.get(f"*:{port}/{protocol}") if self.addresses.get(ip) else None
        )

    def to_json(self) -> dict:
        return {
            "names": self.names,
            "roles": self.roles,
            "addresses": self.addresses,
            "routes": {h: [r.__dict__ for r in rs] for h, rs in self.routes.items()},
            "masters": self.masters,
            "vxlan_ports": list(self.vxlan_ports),
            "services": self.services,
            "pods": self.pods,
            "peers": self.peers,
        }

    @staticmethod
    def from_json(data: dict) -> Facts:
        return Facts(
            data["names"],
            data["roles"],
            data["addresses"],
            {h: tuple(RouteEntry(**r) for r in rs) for h, rs in data["routes"].items()},
            data["masters"],
            tuple(data["vxlan_ports"]),
            data["services"],
            data["pods"],
            data.get("peers", {}),
        )


def lookup_route(routes: tuple[RouteEntry, ...], destination: str) -> RouteEntry | None:
    """Longest prefix match, then the lowest metric: the route the kernel's main table picks."""
    address = ipaddress.IPv4Address(destination)
    best: tuple[int, int, RouteEntry] | None = None
    for route in routes:
        network = ipaddress.IPv4Network(route.dst, strict=False)
        if address in network:
            key = (network.prefixlen, -route.metric)
            if best is None or key > best[:2]:
                best = (*key, route)
    return best[2] if best else None


@dataclass(frozen=True)
class Exchange:
    """What the sender did and got: the flow as the source sent it, and the application's answer.

    ``client`` is the tuple the source's socket used (ICMP: the echo id as both ports), ``icmp_seq``
    the echo's sequence number; ``outcome`` is answered, connected, refused, timeout, unreachable or
    error; ``answer`` what came back (an HTTP status line and first body line, a DNS answer...).
    """

    purpose: str
    summary: str
    protocol: str
    source_host: str
    client: Tuple
    sent_ns: int
    outcome: str
    answer: str | None = None
    elapsed_ms: float = 0.0
    icmp_seq: int | None = None
    server_label: str | None = None

    def to_json(self) -> dict:
        return {
            "purpose": self.purpose,
            "summary": self.summary,
            "protocol": self.protocol,
            "source_host": self.source_host,
            "client": self.client.__dict__,
            "sent_ns": self.sent_ns,
            "outcome": self.outcome,
            "answer": self.answer,
            "elapsed_ms": self.elapsed_ms,
            "icmp_seq": self.icmp_seq,
            "server_label": self.server_label,
        }

    @staticmethod
    def from_json(data: dict) -> Exchange:
        return Exchange(
            data["purpose"],
            data["summary"],
            data["protocol"],
            data["source_host"],
            Tuple(**data["client"]),
            data["sent_ns"],
            data["outcome"],
            data.get("answer"),
            data.get("elapsed_ms", 0.0),
            data.get("icmp_seq"),
            data.get("server_label"),
        )


@dataclass
class Recording:
    captures: list[Captured] = field(default_factory=list)
    traces: dict[str, list[bytes]] = field(default_factory=dict)  # host -> trace netlink datagrams
    conntrack: dict[str, list[bytes]] = field(default_factory=dict)  # host -> ctnetlink message bodies
    rules: dict[str, str] = field(default_factory=dict)  # host -> `nft -a -t list table` output
    facts: Facts = field(default_factory=Facts)
    exchanges: list[Exchange] = field(default_factory=list)
    trace_table: str = ""

    def to_json(self) -> dict:
        return {
            "captures": [
                {
                    "host": c.host,
                    "interface": c.interface,
                    "pkttype": c.pkttype,
                    "time_ns": c.time_ns,
                    "data": c.data.hex(),
                    "wire_length": c.wire_length,
                }
                for c in self.captures
            ],
            "traces": {h: [d.hex() for d in ds] for h, ds in self.traces.items()},
            "conntrack": {h: [d.hex() for d in ds] for h, ds in self.conntrack.items()},
            "rules": self.rules,
            "facts": self.facts.to_json(),
            "exchanges": [e.to_json() for e in self.exchanges],
            "trace_table": self.trace_table,
        }

    @staticmethod
    def from_json(data: dict) -> Recording:
        return Recording(
            captures=[
                Captured(
                    c["host"], c["interface"], c["pkttype"], c["time_ns"], bytes.fromhex(c["data"]), c["wire_length"]
                )
                for c in data["captures"]
            ],
            traces={h: [bytes.fromhex(d) for d in ds] for h, ds in data["traces"].items()},
            conntrack={h: [bytes.fromhex(d) for d in ds] for h, ds in data["conntrack"].items()},
            rules=data["rules"],
            facts=Facts.from_json(data["facts"]),
            exchanges=[Exchange.from_json(e) for e in data["exchanges"]],
            trace_table=data.get("trace_table", ""),
        )
