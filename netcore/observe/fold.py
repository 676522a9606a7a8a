"""Kernel event messages folded into a host's state: what the observer does with a batch of events.

Pure: (old state, queued messages) -> new state; the observer then emits ``diff_host(old, new)``.
Links and addresses come from the events themselves (a link event carries the whole link); routes do
not, because the kernel flushes routes without telling (a link going down, its last address going),
so the caller passes the main table as it just dumped it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from netcore.kernel import ctnetlink
from netcore.observe import conntrack, rtnl
from netcore.observe.model import ConntrackEntry, ConntrackKey, HostState, Route


def fold_rtnl(old: HostState, messages: Sequence[tuple[int, bytes]], routes: frozenset[Route]) -> HostState:
    """Apply RTM_NEWLINK/DELLINK/NEWADDR/DELADDR messages, in order, and take ``routes`` as the table."""
    links = dict(old.links)
    addresses = set(old.addresses)
    # A link message carries the whole link, so only the last one about each index counts: decode
    # just those (a switch with 200 ports gets ~2000 link messages while a lab step builds it).
    last = {}
    for position, (msg_type, body) in enumerate(messages):
        if msg_type in rtnl.LINK_TYPES and body[0] == rtnl.AF_UNSPEC:  # not a bridge port's AF_BRIDGE copy
            last[rtnl.link_index(body)] = position
    final = set(last.values())
    for position, (msg_type, body) in enumerate(messages):
        if msg_type in rtnl.LINK_TYPES:
            if position not in final:
                continue
            if msg_type == rtnl.RTM_NEWLINK:
                link = rtnl.link(body)
                links[link.index] = link
            else:
                links.pop(rtnl.link_index(body), None)
        elif msg_type in rtnl.ADDRESS_TYPES:
            address = rtnl.address(body)
            if address is None:
                continue
            if msg_type == rtnl.RTM_NEWADDR:
                addresses.add(address)
            else:
                addresses.discard(address)
    return HostState(
        links=links,
        addresses=frozenset(a for a in addresses if a.index in links),
        routes=routes,
        counters={i: c for i, c in old.counters.items() if i in links},
        conntrack=old.conntrack,
    )


def fold_conntrack(
    old: Mapping[ConntrackKey, ConntrackEntry],
    messages: Iterable[tuple[int, bytes]],
) -> tuple[dict[ConntrackKey, ConntrackEntry], set[ConntrackKey]]:
    """Apply conntrack NEW/UPDATE (CT_NEW) and DESTROY (CT_DELETE) events, in order.

    Return the new table and the keys the events were about.
    """
    table = dict(old)
    seen = set()
    for msg_type, body in messages:
        entry = conntrack.entry(body)
        if entry is None:
            continue
        seen.add(entry.key)
        if msg_type == ctnetlink.CT_DELETE:
            table.pop(entry.key, None)
        elif msg_type == ctnetlink.CT_NEW:
            table[entry.key] = conntrack.merge(table.get(entry.key), entry)
    return table, seen


def fold_lookups(
    old: Mapping[ConntrackKey, ConntrackEntry], found: Mapping[ConntrackKey, ConntrackEntry | None]
) -> dict[ConntrackKey, ConntrackEntry]:
    """Apply the answers of lookups by tuple: an entry as found, or (None) gone."""
    table = dict(old)
    for key, entry in found.items():
        if entry is None:
            table.pop(key, None)
        else:
            table[key] = conntrack.merge(table.get(key), entry)
    return table
