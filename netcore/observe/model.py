"""The observed live state of a sandbox, as plain values: what the dashboard's kernel tabs show.

Pure: no sockets here. The observer (``observer.py``) builds these values from netlink messages and
``/proc/net/dev``; subscribers rebuild them from a snapshot and deltas (``deltas.py``). Values are
frozen and never mutated in place, so a snapshot handed out stays what it was.

Interfaces are keyed by their index in the host's namespace, as the kernel keys them: a renamed link
keeps its index, its addresses, routes and counters. Addresses and routes name their interface by
index too; ``HostState.ifname`` resolves it.

``Trace`` is the one value here that is no part of a state: a step of a traced packet, carried by a
``Traced`` delta and gone once handed out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from netcore.flowtuple import Tuple
from netcore.kernel.ctnetlink import TCP_STATES, tcp_state_name  # noqa: F401 - part of the model's vocabulary

OPERSTATES = ("UNKNOWN", "NOTPRESENT", "DOWN", "LOWERLAYERDOWN", "TESTING", "DORMANT", "UP")  # IF_OPER_*
ROUTE_PROTOCOLS = {0: "unspec", 1: "redirect", 2: "kernel", 3: "boot", 4: "static"}  # RTPROT_*
ROUTE_SCOPES = {0: "global", 200: "site", 253: "link", 254: "host", 255: "nowhere"}  # RT_SCOPE_*
ROUTE_TYPES = {
    1: "unicast",
    2: "local",
    3: "broadcast",
    4: "anycast",
    5: "multicast",
    6: "blackhole",
    7: "unreachable",
    8: "prohibit",
    9: "throw",
    10: "nat",
}  # RTN_*


@dataclass(frozen=True)
class Link:
    """An interface: ``up`` is the admin state (IFF_UP), ``operstate`` what the kernel reports (carrier)."""

    index: int
    name: str
    kind: str  # "loopback", "veth", "bridge", "vxlan", ... or "other"
    mac: str | None
    mtu: int | None
    up: bool
    operstate: str  # one of OPERSTATES
    master: int | None = None  # the bridge's index
    peer: str | None = None  # "host:ifname", from the alias the writer gives each veth end


@dataclass(frozen=True, order=True)
class Address:
    """An IPv4 address on an interface, as ``10.0.0.1/24``."""

    index: int
    cidr: str


@dataclass(frozen=True, order=True)
class Route:
    """A route of the main table, whoever added it (``protocol`` ``kernel`` for connected ones)."""

    dst: str  # "0.0.0.0/0" for the default route
    oif: int | None
    gateway: str | None = None
    protocol: str = "static"
    scope: str = "global"
    type: str = "unicast"
    metric: int = 0
    prefsrc: str | None = None
    onlink: bool = False


@dataclass(frozen=True)
class IfCounters:
    rx_bytes: int
    rx_packets: int
    tx_bytes: int
    tx_packets: int


@dataclass(frozen=True)
class ConntrackEntry:
    """A tracked connection: ``status`` holds flag names such as ``SRC_NAT``, ``DST_NAT``, ``ASSURED``.

    The timeout is left out on purpose: it changes every second without an event.
    """

    protocol: int  # IP protocol number: 1 ICMP, 6 TCP, 17 UDP
    orig: Tuple
    reply: Tuple
    status: frozenset[str] = frozenset()
    state: str | None = None  # TCP only, one of TCP_STATES
    zone: int = 0

    @property
    def key(self) -> ConntrackKey:
        return (self.zone, self.protocol, self.orig)


ConntrackKey = tuple  # (zone, protocol, orig Tuple): what the kernel identifies an entry by


@dataclass(frozen=True)
class Trace:
    """One step of a packet nftables traces (``meta nftrace set 1``): an event, not part of any state.

    The kernel reports each rule that matched, a chain's policy, and returns from jumped-to chains.
    The first step of each base chain carries the packet as the chain saw it (``protocol`` and
    ``packet``, IPv4 only), later ones only the rule and its verdict; ``id`` ties them together (the
    kernel reuses ids, so a flow is told by its packet, not by id alone). ``iif``/``oif`` are interface
    indexes in the host's namespace, as everywhere in the model.
    """

    id: int
    family: str  # the table's: "inet", "ip", "ip6", "bridge", "arp", "netdev"
    table: str
    chain: str
    type: str  # "rule", "policy" or "return"
    handle: int | None = None  # the rule's handle (``nft -a list ruleset``); messages carry no comment
    verdict: str | None = None  # "accept", "drop", "jump", "goto", "continue", "return" ...
    target: str | None = None  # the chain a jump or goto goes to
    iif: int | None = None
    oif: int | None = None
    mark: int | None = None
    protocol: int | None = None  # IP protocol number of the packet, when the step carries it
    packet: Tuple | None = None  # its addresses and ports (ICMP echo: the id), when it carries it


@dataclass(frozen=True)
class HostState:
    """One host (one network namespace). Counters exist only for interfaces among ``links``."""

    links: Mapping[int, Link] = field(default_factory=dict)
    addresses: frozenset[Address] = frozenset()
    routes: frozenset[Route] = frozenset()
    counters: Mapping[int, IfCounters] = field(default_factory=dict)
    conntrack: Mapping[ConntrackKey, ConntrackEntry] = field(default_factory=dict)

    def ifname(self, index: int | None) -> str | None:
        link = self.links.get(index) if index is not None else None
        return link.name if link is not None else None

    def link_named(self, name: str) -> Link | None:
        return next((link for link in self.links.values() if link.name == name), None)

    def without_counter_values(self) -> HostState:
        """The same host with every counter zeroed: which interfaces have counters, not their values."""
        zero = IfCounters(0, 0, 0, 0)
        return HostState(self.links, self.addresses, self.routes, {i: zero for i in self.counters}, self.conntrack)


@dataclass(frozen=True)
class SandboxState:
    """Every host of a sandbox, current to delta number ``seq`` (0: nothing observed yet)."""

    sandbox: str
    seq: int = 0
    hosts: Mapping[str, HostState] = field(default_factory=dict)

    def host(self, name: str) -> HostState:
        return self.hosts[name]

    def without_counter_values(self) -> SandboxState:
        return SandboxState(self.sandbox, self.seq, {h: s.without_counter_values() for h, s in self.hosts.items()})


def operstate_name(value: int) -> str:
    return OPERSTATES[value] if 0 <= value < len(OPERSTATES) else str(value)


def route_protocol_name(value: int) -> str:
    return ROUTE_PROTOCOLS.get(value, str(value))


def route_scope_name(value: int) -> str:
    return ROUTE_SCOPES.get(value, str(value))


def route_type_name(value: int) -> str:
    return ROUTE_TYPES.get(value, str(value))
