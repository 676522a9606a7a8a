"""What other code calls: the one observer of a sandbox, and a one-off read of its live state.

The agent takes ``observer_for(sandbox)`` for the sandbox's group, so that the observer is the only
sender to it (DESIGN.md, "Two one-way flows"). ``read_live_state`` reads everything once, without
events or a loop: the fresh snapshot that snapshot + deltas must equal.
"""

from __future__ import annotations

from netcore import names
from netcore.observe.discovery import list_hosts
from netcore.observe.host import HostWatch
from netcore.observe.model import SandboxState
from netcore.observe.observer import SandboxObserver

_observers: dict[str, SandboxObserver] = {}


def observer_for(sandbox: str) -> SandboxObserver:
    """Return this process's one observer of ``sandbox`` (it runs only while subscribed to)."""
    observer = _observers.get(sandbox)
    if observer is None:
        observer = _observers[sandbox] = SandboxObserver(sandbox)
    return observer


async def forget_observer(sandbox: str) -> None:
    """Stop and drop the observer of a sandbox that is gone (its state and history go with it)."""
    observer = _observers.pop(sandbox, None)
    if observer is not None:
        await observer.close()


def read_live_state(sandbox: str) -> SandboxState:
    """Read a sandbox's live state from the kernel once (a fresh snapshot: ``seq`` 0)."""
    prefix = names.sandbox_prefix(sandbox)
    found, _pending = list_hosts(prefix)
    hosts = {}
    for host in sorted(found):
        watch = HostWatch.open(host, prefix + host)
        if watch is None:
            continue
        try:
            hosts[host] = watch.read_host()
        finally:
            watch.close()
    return SandboxState(sandbox, 0, hosts)
