"""The deltas that turn one observed state into another: the only place state deltas are made.

(``Traced``, which changes no state, is made from trace messages by ``trace.py``.)

Pure. The observer computes the new state of a host from what the kernel just said (an event batch,
a dump, a counters read), then emits ``diff_host(old, new)``: a change the kernel reports twice, or
reports without changing anything the model holds, yields no delta at all. Order within a host: links
appear first and disappear last, so a consumer never sees an address or route on a link it does not
know.
"""

from __future__ import annotations

from netcore.observe.deltas import (
    AddressAdded,
    AddressRemoved,
    ConntrackRemoved,
    ConntrackUpdated,
    Counters,
    Delta,
    HostAdded,
    HostRemoved,
    LinkRemoved,
    LinkUpdated,
    RouteAdded,
    RouteRemoved,
)
from netcore.observe.model import HostState, SandboxState


def diff_host(host: str, old: HostState, new: HostState) -> list[Delta]:
    """Return the deltas (unnumbered) that make ``old`` into ``new``.

    Counters of an interface that stays but has none in ``new`` are kept, not removed: counters leave
    only with their link.
    """
    out: list[Delta] = []
    links_differ = old.links is not new.links
    if links_differ:
        # Identity first: a folded state shares every untouched Link with the old one, and comparing
        # dataclasses field by field is what a switch with 200 ports would spend its time on.
        out += [
            LinkUpdated(host=host, link=link)
            for index, link in sorted(new.links.items())
            if (was := old.links.get(index)) is not link and was != link
        ]
    if old.addresses is not new.addresses:
        out += [AddressRemoved(host=host, address=a) for a in sorted(old.addresses - new.addresses)]
        out += [AddressAdded(host=host, address=a) for a in sorted(new.addresses - old.addresses)]
    if old.routes is not new.routes:
        out += [RouteRemoved(host=host, route=r) for r in sorted(old.routes - new.routes, key=_route_key)]
        out += [RouteAdded(host=host, route=r) for r in sorted(new.routes - old.routes, key=_route_key)]
    if old.conntrack is not new.conntrack:
        out += [ConntrackRemoved(host=host, key=key) for key in old.conntrack if key not in new.conntrack]
        out += [
            ConntrackUpdated(host=host, entry=entry)
            for key, entry in new.conntrack.items()
            if old.conntrack.get(key) != entry
        ]
    if old.counters is not new.counters:
        changed = {
            index: value
            for index, value in new.counters.items()
            if index in new.links and (before := old.counters.get(index)) is not value and before != value
        }
        if changed:
            out.append(Counters(host=host, counters=changed))
    if links_differ:
        out += [LinkRemoved(host=host, index=index) for index in sorted(old.links.keys() - new.links.keys())]
    return out


def diff_states(old: SandboxState, new: SandboxState) -> list[Delta]:
    """Return the deltas (unnumbered) that make every host of ``old`` into that of ``new``."""
    out: list[Delta] = [HostRemoved(host=host) for host in sorted(old.hosts) if host not in new.hosts]
    for host, state in sorted(new.hosts.items()):
        if host in old.hosts:
            out += diff_host(host, old.hosts[host], state)
        else:
            out.append(HostAdded(host=host, state=state))
    return out


def _route_key(route) -> tuple:
    # Route fields may be None; sort on a key that never compares None with a value.
    return (
        route.dst,
        route.oif or 0,
        route.gateway or "",
        route.metric,
        route.protocol,
        route.scope,
        route.type,
        route.prefsrc or "",
        route.onlink,
    )
