"""ctnetlink dump replies to conntrack entries: both tuples, the NAT flags, the TCP state.

Pure. The entry is the kernel's own record of a NAT mapping: the original tuple is the packet as it
arrived (before any rewrite), the reply tuple is what the answer will look like (after the rewrite),
so ``orig.dst != reply.src`` means DNAT and ``orig.src != reply.dst`` means SNAT. The bytes are
decoded by ``netcore.kernel.ctnetlink``, shared with the observers.
"""

from __future__ import annotations

from dataclasses import dataclass

from netcore.flowtuple import Tuple, from_conntrack
from netcore.kernel import ctnetlink

CT_NEW, CT_GET, CT_DELETE = ctnetlink.CT_NEW, ctnetlink.CT_GET, ctnetlink.CT_DELETE
IPS_SEEN_REPLY, IPS_SRC_NAT, IPS_DST_NAT = ctnetlink.IPS_SEEN_REPLY, ctnetlink.IPS_SRC_NAT, ctnetlink.IPS_DST_NAT


@dataclass(frozen=True)
class CtEntry:
    """One conntrack entry of one namespace (``host``)."""

    host: str
    orig: Tuple
    reply: Tuple
    status: int = 0
    tcp_state: str | None = None
    mark: int = 0

    @property
    def dnat(self) -> bool:
        return bool(self.status & IPS_DST_NAT) or (self.orig.dst, self.orig.dport) != (self.reply.src, self.reply.sport)

    @property
    def snat(self) -> bool:
        return bool(self.status & IPS_SRC_NAT) or (self.orig.src, self.orig.sport) != (self.reply.dst, self.reply.dport)

    def forms(self) -> set[Tuple]:
        """Every shape the original direction takes in this namespace: before, between and after NAT."""
        after = self.reply.reversed()
        return {
            self.orig,
            after,
            Tuple(self.orig.protocol, self.orig.src, self.orig.sport, after.dst, after.dport),
            Tuple(self.orig.protocol, after.src, after.sport, self.orig.dst, self.orig.dport),
        }

    def to_json(self) -> dict:
        return {
            "host": self.host,
            "original": str(self.orig),
            "reply": str(self.reply),
            "dnat": self.dnat,
            "snat": self.snat,
            "state": self.tcp_state,
        }


def parse_entry(host: str, body: bytes) -> CtEntry | None:
    """Decode one ctnetlink message body (after the netlink header)."""
    raw = ctnetlink.decode_entry(body)
    if raw is None:
        return None
    state = None if raw.tcp_state is None else ctnetlink.tcp_state_name(raw.tcp_state)
    return CtEntry(host, from_conntrack(raw.orig), from_conntrack(raw.reply), raw.status, state, raw.mark)
