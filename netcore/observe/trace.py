"""nftables trace messages (``NFT_MSG_TRACE`` on ``NFNLGRP_NFTRACE``) to model values and ``Traced`` deltas.

Pure. The bytes are decoded by the packet walk's parser (``netcore.walk.nftrace``, pyroute2-free);
this module only turns its ``TraceEvent`` into frozen model values: the packet's headers become its
addresses and ports (a ``Tuple``, as conntrack names a flow), the raw bytes are left out. The kernel
sends a trace message only for a packet something marked with ``meta nftrace set 1`` (the packet walk
does, for its own flow), so a namespace nobody traces in sends none.

A trace message names a rule by its handle only: the rule's comment is in the ruleset, not in the
message (``nft -a list ruleset`` shows both).
"""

from __future__ import annotations

from collections.abc import Iterable

from netcore.flowtuple import Tuple, protocol_name
from netcore.observe.deltas import Traced
from netcore.observe.model import Trace
from netcore.walk.nftrace import NFNLGRP_NFTRACE, TRACE_MESSAGE, parse_message
from netcore.walk.packet import parse_ipv4, parse_transport, tuple_of

GROUPS = 1 << (NFNLGRP_NFTRACE - 1)  # the bind() mask of the trace group
FAMILIES = {1: "inet", 2: "ip", 3: "arp", 5: "netdev", 7: "bridge", 10: "ip6"}  # NFPROTO_*: the table's family


def trace(body: bytes) -> Trace | None:
    """Decode a trace message body (after the netlink header); None if it is not a usable trace.

    ``packet`` is there only on the first step of a base chain (the kernel sends the headers once per
    chain) and only for IPv4; for ICMP echo both ports are the echo id (as in conntrack entries).
    """
    event = parse_message("", body)
    if event is None:
        return None
    protocol = packet = None
    if event.network is not None:
        l3, _l4, _payload = parse_ipv4(event.network)  # the network header alone: the transport's is apart
        if l3 is not None:
            l4 = parse_transport(l3.protocol, event.transport)[0] if event.transport is not None else None
            protocol = l3.protocol
            packet = tuple_of(l3, l4) or Tuple(protocol_name(l3.protocol), l3.src, 0, l3.dst, 0)
    return Trace(
        id=event.id,
        family=FAMILIES.get(body[0], str(body[0])),
        table=event.table,
        chain=event.chain,
        type=event.type,
        handle=event.handle,
        verdict=event.verdict,
        target=event.target,
        iif=event.iif,
        oif=event.oif,
        mark=event.mark,
        protocol=protocol,
        packet=packet,
    )


def traced(host: str, messages: Iterable[tuple[int, bytes]]) -> list[Traced]:
    """Return one (unnumbered) ``Traced`` delta per trace message of a batch, in the kernel's order."""
    out = []
    for msg_type, body in messages:
        if msg_type == TRACE_MESSAGE and (event := trace(body)) is not None:
            out.append(Traced(host=host, event=event))
    return out
