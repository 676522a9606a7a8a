"""nftables trace events (``NFT_MSG_TRACE`` on the ``NFNLGRP_NFTRACE`` group) to model values.

Pure. The kernel sends one message per step of a traced packet through a base chain: the first step
of each base chain carries the packet's headers (network header up to 40 bytes, transport header up
to 20), later steps only the chain, the rule handle and the verdict. ``passes`` groups the steps of
one base chain evaluation. Trace ids are not unique (the kernel reuses them, and a packet's id can
change between hooks), so a pass is tied to a flow by its headers, never by id alone. Numbers are
from linux/netfilter/nf_tables.h.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from netcore.kernel import decode
from netcore.walk.packet import L3, L4, parse_ipv4, parse_transport

NFNL_SUBSYS_NFTABLES = 10
NFT_MSG_TRACE = 17
TRACE_MESSAGE = (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_TRACE
NFNLGRP_NFTRACE = 9
NFGENMSG_SIZE = 4

(
    TRACE_TABLE,
    TRACE_CHAIN,
    TRACE_RULE_HANDLE,
    TRACE_TYPE,
    TRACE_VERDICT,
    TRACE_ID,
    TRACE_LL_HEADER,
    TRACE_NETWORK_HEADER,
    TRACE_TRANSPORT_HEADER,
    TRACE_IIF,
    TRACE_IIFTYPE,
    TRACE_OIF,
    TRACE_OIFTYPE,
    TRACE_MARK,
    TRACE_NFPROTO,
    TRACE_POLICY,
) = range(1, 17)
TRACE_CT_ID, TRACE_CT_DIRECTION, TRACE_CT_STATUS, TRACE_CT_STATE = 18, 19, 20, 21
VERDICT_CODE, VERDICT_CHAIN = 1, 2
TRACE_TYPES = {1: "policy", 2: "return", 3: "rule"}
VERDICTS = {
    0: "drop",
    1: "accept",
    2: "stolen",
    3: "queue",
    4: "repeat",
    5: "stop",
    -1: "continue",
    -2: "break",
    -3: "jump",
    -4: "goto",
    -5: "return",
}


@dataclass(frozen=True)
class TraceEvent:
    """One step of a traced packet in one namespace (``host``)."""

    host: str
    id: int
    table: str
    chain: str
    type: str  # rule | policy | return
    handle: int | None = None
    verdict: str | None = None  # accept, drop, jump, goto, continue, return ...
    target: str | None = None  # the chain a jump or goto goes to
    iif: int | None = None
    oif: int | None = None
    network: bytes | None = None
    transport: bytes | None = None
    mark: int | None = None

    @property
    def carries_packet(self) -> bool:
        return self.network is not None


@dataclass
class TracePass:
    """One evaluation of a base chain: the packet as the chain saw it, then each step."""

    host: str
    id: int
    l3: L3 | None
    l4: L4 | None
    iif: int | None
    oif: int | None
    events: list[TraceEvent] = field(default_factory=list)

    @property
    def base_chain(self) -> str:
        return self.events[0].chain

    @property
    def table(self) -> str:
        return self.events[0].table

    def final(self) -> TraceEvent:
        return self.events[-1]


def _u32(value: bytes | None) -> int | None:
    return None if value is None else struct.unpack("!I", value[:4])[0]


def parse_message(host: str, body: bytes) -> TraceEvent | None:
    """Decode a trace message body (after the netlink header); None if it is not a usable trace."""
    attrs = decode.attributes(body, NFGENMSG_SIZE)
    table, chain = decode.text(attrs.get(TRACE_TABLE)), decode.text(attrs.get(TRACE_CHAIN))
    trace_id = _u32(attrs.get(TRACE_ID))
    if table is None or chain is None or trace_id is None:
        return None
    verdict = target = None
    if TRACE_VERDICT in attrs:
        nested = decode.attributes(attrs[TRACE_VERDICT])
        code = nested.get(VERDICT_CODE)
        if code is not None:
            number = struct.unpack("!i", code[:4])[0]
            verdict = VERDICTS.get(number if number < 0 else number & 0xFF, str(number))
        target = decode.text(nested.get(VERDICT_CHAIN))
    elif TRACE_POLICY in attrs:
        policy = _u32(attrs[TRACE_POLICY])
        verdict = VERDICTS.get(policy & 0xFF) if policy is not None else None
    handle = attrs.get(TRACE_RULE_HANDLE)
    return TraceEvent(
        host=host,
        id=trace_id,
        table=table,
        chain=chain,
        type=TRACE_TYPES.get(_u32(attrs.get(TRACE_TYPE)) or 0, "unknown"),
        handle=struct.unpack("!Q", handle[:8])[0] if handle else None,
        verdict=verdict,
        target=target,
        iif=_u32(attrs.get(TRACE_IIF)),
        oif=_u32(attrs.get(TRACE_OIF)),
        network=attrs.get(TRACE_NETWORK_HEADER),
        transport=attrs.get(TRACE_TRANSPORT_HEADER),
        mark=_u32(attrs.get(TRACE_MARK)),
    )


def parse_datagrams(host: str, datagrams: list[bytes]) -> list[TraceEvent]:
    """Decode every trace message in the datagrams read from one namespace's trace socket, in order."""
    events = []
    for data in datagrams:
        for msg_type, _seq, body, _flags in decode.messages(data):
            if msg_type == TRACE_MESSAGE:
                event = parse_message(host, body)
                if event is not None:
                    events.append(event)
    return events


def passes(events: list[TraceEvent], ignore_tables: tuple[str, ...] = ()) -> list[TracePass]:
    """Group one namespace's events into base chain evaluations, in the order they happened.

    Events of tables named in ``ignore_tables`` (the walk's own trace table) are left out.
    """
    out: list[TracePass] = []
    open_by_id: dict[int, TracePass] = {}
    for event in events:
        if event.table.startswith(ignore_tables) if ignore_tables else False:
            continue
        if event.network is not None:  # carries_packet
            l3, _l4, _ = parse_ipv4(event.network)
            l4 = None
            if l3 is not None and event.transport is not None:
                l4, _ = parse_transport(l3.protocol, event.transport)
            current = TracePass(event.host, event.id, l3, l4, event.iif, event.oif, [event])
            out.append(current)
            open_by_id[event.id] = current
        elif event.id in open_by_id:
            open_by_id[event.id].events.append(event)
    return out
