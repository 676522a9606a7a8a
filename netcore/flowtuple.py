"""One direction of a flow, as conntrack names it: protocol, source and destination (pure).

The one flow-tuple model of netcore: the packet walk reads it from packets and from conntrack entries
(the shapes a flow takes through NAT), the observers key conntrack entries and name traced packets by
it. Ports are 0 for protocols without them; ICMP echo carries its identifier as both ports, so a
request's tuple reversed is its reply's, and an echo request and its reply are one flow.
"""

from __future__ import annotations

from dataclasses import dataclass

from netcore.kernel.ctnetlink import IPPROTO_ICMP, RawTuple

IPPROTO = {1: "icmp", 6: "tcp", 17: "udp"}
PROTO_NUMBER = {name: number for number, name in IPPROTO.items()}


def protocol_name(number: int) -> str:
    return IPPROTO.get(number, f"proto-{number}")


@dataclass(frozen=True, order=True)
class Tuple:
    """A flow in one direction: protocol, source and destination (ports, or the ICMP echo id)."""

    protocol: str
    src: str
    sport: int
    dst: str
    dport: int

    def reversed(self) -> Tuple:
        return Tuple(self.protocol, self.dst, self.dport, self.src, self.sport)

    def __str__(self) -> str:
        if self.protocol == "icmp":
            return f"icmp {self.src} -> {self.dst} id {self.sport}"
        return f"{self.protocol} {self.src}:{self.sport} -> {self.dst}:{self.dport}"


def from_conntrack(raw: RawTuple) -> Tuple:
    """A conntrack entry's direction as a ``Tuple``: ICMP echo's identifier stands for both ports."""
    if raw.protocol == IPPROTO_ICMP:
        return Tuple("icmp", raw.src, raw.ident, raw.dst, raw.ident)
    return Tuple(protocol_name(raw.protocol), raw.src, raw.sport, raw.dst, raw.dport)
