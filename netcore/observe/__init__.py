"""Observers of a sandbox: its live kernel state as a snapshot plus numbered deltas, kept only while watched.

    observer = observer_for("s1")              # or SandboxObserver("s1")
    with observer.subscribe() as sub:          # the first subscriber starts it
        state = sub.snapshot                   # current to sub.snapshot.seq
        async for delta in sub:                # seq + 1, seq + 2, ... no gaps, no repeats
            state = apply_delta(state, delta)

Pure: ``model`` (the state), ``deltas`` (delta types, ``apply_delta``), ``diff`` (the only maker of
state deltas), ``fold`` (event batches into a host's state), ``rtnl``/``conntrack``/``procnet`` (kernel
bytes to model values), ``trace`` (nftables trace messages to ``Traced`` deltas: events, which
change nothing but ``seq``). Shell: ``host`` (one namespace's sockets and fds), ``discovery`` (/run/netns),
``shared`` (what all observers of a loop share), ``observer`` (the asyncio side), ``subscription``,
``api`` (``observer_for``, ``read_live_state``). See README.md.
"""

from netcore.observe.api import forget_observer, observer_for, read_live_state
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
    ModelError,
    RouteAdded,
    RouteRemoved,
    SequenceError,
    Traced,
    apply_delta,
    apply_deltas,
)
from netcore.observe.model import (
    Address,
    ConntrackEntry,
    HostState,
    IfCounters,
    Link,
    Route,
    SandboxState,
    Trace,
    Tuple,
)
from netcore.observe.observer import SandboxObserver, SnapshotTooOld
from netcore.observe.subscription import SubscriberLagged, Subscription

__all__ = [
    "Address",
    "AddressAdded",
    "AddressRemoved",
    "ConntrackEntry",
    "ConntrackRemoved",
    "ConntrackUpdated",
    "Counters",
    "Delta",
    "HostAdded",
    "HostRemoved",
    "HostState",
    "IfCounters",
    "Link",
    "LinkRemoved",
    "LinkUpdated",
    "ModelError",
    "Route",
    "RouteAdded",
    "RouteRemoved",
    "SandboxObserver",
    "SandboxState",
    "SequenceError",
    "SnapshotTooOld",
    "SubscriberLagged",
    "Subscription",
    "Trace",
    "Traced",
    "Tuple",
    "apply_delta",
    "apply_deltas",
    "forget_observer",
    "observer_for",
    "read_live_state",
]
