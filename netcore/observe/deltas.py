"""Typed deltas of a sandbox's live state and the pure function that applies one.

The observer changes its state only by emitting a delta and applying it with ``apply_delta``, the
same function a subscriber runs on its snapshot: so a snapshot current to ``seq`` plus the deltas
``seq + 1, seq + 2, ...`` is the observer's state, delta for delta (DESIGN.md: snapshot + deltas ==
a fresh snapshot). Every delta names its host and carries the sandbox-wide sequence number the
observer gave it; a delta built by ``diff.py`` has ``seq`` 0 until the observer numbers it.

Every delta type but one changes the state. ``Traced`` (a step of a packet nftables traces) is an
event, not state: ``apply_delta`` returns the state as it was with only ``seq`` advanced, so the
invariant holds as it is (a fresh read of the kernel has no traces either), and a subscriber that
wants the events takes them from the deltas as they pass.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

from netcore.observe.model import (
    Address,
    ConntrackEntry,
    ConntrackKey,
    HostState,
    IfCounters,
    Link,
    Route,
    SandboxState,
    Trace,
)


class SequenceError(ValueError):
    """A delta that does not follow the state: one was missed, or this one was applied already."""


class ModelError(ValueError):
    """A delta about a host the state does not have."""


@dataclass(frozen=True, kw_only=True)
class Delta:
    host: str
    seq: int = 0


@dataclass(frozen=True, kw_only=True)
class HostAdded(Delta):
    """A namespace of the sandbox appeared; ``state`` is everything read from it at once."""

    state: HostState = field(default_factory=HostState)


@dataclass(frozen=True, kw_only=True)
class HostRemoved(Delta):
    pass


@dataclass(frozen=True, kw_only=True)
class LinkUpdated(Delta):
    """A link appeared or changed (state, carrier, name, master, MTU...): ``link`` is all of it."""

    link: Link


@dataclass(frozen=True, kw_only=True)
class LinkRemoved(Delta):
    """A link is gone, and with it its counters."""

    index: int


@dataclass(frozen=True, kw_only=True)
class AddressAdded(Delta):
    address: Address


@dataclass(frozen=True, kw_only=True)
class AddressRemoved(Delta):
    address: Address


@dataclass(frozen=True, kw_only=True)
class RouteAdded(Delta):
    route: Route


@dataclass(frozen=True, kw_only=True)
class RouteRemoved(Delta):
    route: Route


@dataclass(frozen=True, kw_only=True)
class Counters(Delta):
    """New counter values for the host's interfaces whose counters changed (by interface index)."""

    counters: Mapping[int, IfCounters]


@dataclass(frozen=True, kw_only=True)
class ConntrackUpdated(Delta):
    """A tracked connection appeared or changed (TCP state, status flags)."""

    entry: ConntrackEntry


@dataclass(frozen=True, kw_only=True)
class ConntrackRemoved(Delta):
    key: ConntrackKey


@dataclass(frozen=True, kw_only=True)
class Traced(Delta):
    """A step of a packet nftables traces in this host (an event, not state: applying it changes nothing
    but ``seq``). Made from the kernel's trace messages (trace.py), not by ``diff``."""

    event: Trace


DELTA_TYPES = (
    HostAdded,
    HostRemoved,
    LinkUpdated,
    LinkRemoved,
    AddressAdded,
    AddressRemoved,
    RouteAdded,
    RouteRemoved,
    Counters,
    ConntrackUpdated,
    ConntrackRemoved,
    Traced,
)


def apply_delta(state: SandboxState, delta: Delta) -> SandboxState:
    """Return ``state`` with ``delta`` applied; the delta must be the next one (``state.seq + 1``)."""
    if delta.seq != state.seq + 1:
        what = "was already applied" if delta.seq <= state.seq else f"skips {delta.seq - state.seq - 1}"
        raise SequenceError(f"delta {delta.seq} does not follow state {state.seq}: it {what}")
    if isinstance(delta, Traced):  # an event: the same hosts (not even copied), the next number
        if delta.host not in state.hosts:
            raise _unknown_host(delta)
        return SandboxState(state.sandbox, delta.seq, state.hosts)
    return SandboxState(state.sandbox, delta.seq, apply_change(state.hosts, delta))


def apply_deltas(state: SandboxState, deltas: Iterable[Delta]) -> SandboxState:
    for delta in deltas:
        state = apply_delta(state, delta)
    return state


def apply_change(hosts: Mapping[str, HostState], delta: Delta) -> dict[str, HostState]:
    """Return a copy of ``hosts`` with the delta's change made, sequence numbers aside."""
    out = dict(hosts)
    if isinstance(delta, HostAdded):
        out[delta.host] = delta.state
        return out
    if isinstance(delta, HostRemoved):
        out.pop(delta.host, None)
        return out
    try:
        host = hosts[delta.host]
    except KeyError:
        raise _unknown_host(delta) from None
    out[delta.host] = change_host(host, delta)
    return out


def _unknown_host(delta: Delta) -> ModelError:
    return ModelError(f"{type(delta).__name__} {delta.seq} is about host {delta.host!r}, which the state does not have")


def change_host(host: HostState, delta: Delta) -> HostState:
    """Return ``host`` with a host-level delta applied (everything but HostAdded/HostRemoved)."""
    if isinstance(delta, LinkUpdated):
        return replace(host, links={**host.links, delta.link.index: delta.link})
    if isinstance(delta, LinkRemoved):
        links = dict(host.links)
        links.pop(delta.index, None)
        counters = host.counters
        if delta.index in counters:
            counters = dict(counters)
            del counters[delta.index]
        return replace(host, links=links, counters=counters)
    if isinstance(delta, AddressAdded):
        return replace(host, addresses=host.addresses | {delta.address})
    if isinstance(delta, AddressRemoved):
        return replace(host, addresses=host.addresses - {delta.address})
    if isinstance(delta, RouteAdded):
        return replace(host, routes=host.routes | {delta.route})
    if isinstance(delta, RouteRemoved):
        return replace(host, routes=host.routes - {delta.route})
    if isinstance(delta, Counters):
        return replace(host, counters={**host.counters, **delta.counters})
    if isinstance(delta, ConntrackUpdated):
        return replace(host, conntrack={**host.conntrack, delta.entry.key: delta.entry})
    if isinstance(delta, ConntrackRemoved):
        conntrack = dict(host.conntrack)
        conntrack.pop(delta.key, None)
        return replace(host, conntrack=conntrack)
    if isinstance(delta, Traced):
        return host  # an event, not state
    raise TypeError(f"not a host-level delta: {delta!r}")
