"""Which packets belong to the walk: the flow's shapes across NAT, and the one request and its reply.

Pure. The source's socket fixes the flow's first shape (the tuple it sent). Conntrack entries whose
tuples meet a known shape add theirs (before, between and after each rewrite), until nothing new
comes: that set recognises the flow in every namespace, whatever NAT did to it. Within the flow, the
request is one packet: the TCP SYN with the connection's initial sequence number, the UDP datagram
with its IP id, the ICMP echo with its sequence number; the reply is the packet that answers exactly
that one (SYN-ACK or RST acknowledging it, the first datagram back, the echo reply, or an ICMP error
quoting it). Retransmissions and the rest of the connection are never hops.

TCP needs no shapes at all: the initial sequence number is 32 random bits that no NAT rewrites, so
the SYN is recognised in every namespace by it alone, and the answer by acknowledging it. That holds
even when conntrack forgets the connection at once (a reset in SYN_SENT deletes the entry).
"""

from __future__ import annotations

from dataclasses import dataclass

from netcore.flowtuple import Tuple
from netcore.walk.ctparse import CtEntry
from netcore.walk.packet import ACK, ICMP_ECHO, ICMP_ECHO_REPLY, L3, L4, RST, SYN, tuple_of


@dataclass(frozen=True)
class Identity:
    """What singles out the request among the flow's packets."""

    protocol: str
    isn: int | None = None  # TCP: the SYN's sequence number
    ip_id: int | None = None  # UDP: the datagram's IP identification
    icmp_seq: int | None = None  # ICMP: the echo's sequence number


def flow_forms(client: Tuple, entries: list[CtEntry]) -> tuple[frozenset[Tuple], list[CtEntry]]:
    """Return every shape of the flow's original direction, and the conntrack entries that gave them."""
    forms = {client}
    used: list[CtEntry] = []
    remaining = [e for e in entries if e.orig.protocol == client.protocol]
    grew = True
    while grew:
        grew = False
        for entry in list(remaining):
            shapes = entry.forms()
            if shapes & forms:
                forms |= shapes
                used.append(entry)
                remaining.remove(entry)
                grew = True
    return frozenset(forms), used


def matches_request(l3: L3 | None, l4: L4 | None, forms: frozenset[Tuple], identity: Identity) -> bool:
    flow = tuple_of(l3, l4)
    if flow is None or l3 is None or l4 is None:
        return False
    if identity.protocol == "tcp":
        return flow.protocol == "tcp" and bool(l4.flags & SYN) and not l4.flags & ACK and l4.seq == identity.isn
    if flow not in forms:
        return False
    if identity.protocol == "udp":
        return l3.ident == identity.ip_id
    return l4.icmp_type == ICMP_ECHO and l4.seq == identity.icmp_seq


def matches_reply(l3: L3 | None, l4: L4 | None, forms: frozenset[Tuple], identity: Identity) -> bool:
    if l4 is not None and l4.is_icmp_error and l4.quoted is not None:
        return matches_request(*l4.quoted, forms, identity)
    flow = tuple_of(l3, l4)
    if flow is None or l4 is None:
        return False
    if identity.protocol == "tcp":
        answers_syn = (
            flow.protocol == "tcp" and bool(l4.flags & ACK) and l4.ack == ((identity.isn or 0) + 1) & 0xFFFFFFFF
        )
        return answers_syn and bool(l4.flags & (SYN | RST))
    if flow.reversed() not in forms:
        return False
    if identity.protocol == "udp":
        return True
    return l4.icmp_type == ICMP_ECHO_REPLY and l4.seq == identity.icmp_seq


def identity_from(l3: L3, l4: L4, protocol: str) -> Identity:
    """The request's identity, read from the packet the source sent."""
    if protocol == "tcp":
        return Identity("tcp", isn=l4.seq)
    if protocol == "udp":
        return Identity("udp", ip_id=l3.ident)
    return Identity("icmp", icmp_seq=l4.seq)


def is_first_send(l3: L3 | None, l4: L4 | None, client: Tuple, icmp_seq: int | None) -> bool:
    """True for the request as it leaves the source: the client's own tuple, and a SYN or echo."""
    if l4 is None or tuple_of(l3, l4) != client:
        return False
    if client.protocol == "tcp":
        return bool(l4.flags & SYN) and not l4.flags & ACK
    if client.protocol == "icmp":
        return l4.icmp_type == ICMP_ECHO and (icmp_seq is None or l4.seq == icmp_seq)
    return True
