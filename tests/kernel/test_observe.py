"""Observers on real sandboxes: kernel changes arrive as deltas, and snapshot + deltas == a fresh snapshot.

Changes are made the way a student or a lab step makes them (``ip`` inside a namespace, a reconcile
from another thread) while the observer runs on the test's event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import re
import subprocess
import time

import pytest

from netcore import names
from netcore.kernel import netns
from netcore.observe import (
    Address,
    AddressAdded,
    ConntrackRemoved,
    ConntrackUpdated,
    Counters,
    HostAdded,
    HostRemoved,
    LinkUpdated,
    RouteAdded,
    RouteRemoved,
    SandboxObserver,
    Traced,
    apply_delta,
    read_live_state,
)
from netcore.sandbox import lifecycle
from netcore.walk import nftrace
from netcore.walk.run import walk
from tests.topologies import CONTAINERS, CONTAINERS_ONE, switch_topology, topology

FULL = topology(CONTAINERS)
ONE = topology(CONTAINERS_ONE)
SIOCGSKNS = 0x894C  # a socket's network namespace, as a new fd


@pytest.fixture
def sandbox(sandbox_name):
    lifecycle.create_sandbox(sandbox_name, FULL)
    yield sandbox_name
    if names.record_path(sandbox_name).exists():
        lifecycle.delete_sandbox(sandbox_name)


def run(coroutine):
    return asyncio.run(asyncio.wait_for(coroutine, 60))


async def sh(sandbox: str, host: str, *argv: str, check: bool = True) -> subprocess.CompletedProcess:
    """Run a command inside a host's namespace on a worker thread, so the loop keeps observing."""
    return await asyncio.to_thread(
        subprocess.run,
        ["ip", "netns", "exec", names.netns_name(sandbox, host), *argv],
        capture_output=True,
        text=True,
        timeout=20,
        check=check,
    )


async def until(sub, predicate, timeout: float = 3.0) -> list:
    """Collect deltas until one satisfies ``predicate``; return all of them (the match last)."""
    seen = []
    async with asyncio.timeout(timeout):
        while True:
            delta = await sub.get()
            seen.append(delta)
            if predicate(delta):
                return seen


def link_update(host: str, name: str):
    return lambda d: isinstance(d, LinkUpdated) and d.host == host and d.link.name == name


def test_a_link_set_down_arrives_with_its_operational_state_and_the_routes_it_took(sandbox):
    async def scenario():
        observer = SandboxObserver(sandbox)
        with observer.subscribe() as sub:
            c1 = sub.snapshot.hosts["c1"]
            assert c1.link_named("eth0").operstate == "UP"
            assert any(r.dst == "0.0.0.0/0" for r in c1.routes)
            await sh(sandbox, "c1", "ip", "link", "set", "dev", "eth0", "down")
            seen = await until(sub, lambda d: isinstance(d, LinkUpdated) and d.host == "c1")
            assert seen[-1].link.name == "eth0" and not seen[-1].link.up and seen[-1].link.operstate == "DOWN"
            # The kernel flushes the routes through eth0 without an RTM_DELROUTE: they still go.
            seen = await until(sub, lambda d: isinstance(d, RouteRemoved) and d.route.dst == "0.0.0.0/0")
            assert seen[-1].host == "c1"
            # The host's end of the pair loses its carrier.
            seen = await until(sub, link_update("host", "veth-c1"))
            assert seen[-1].link.up and seen[-1].link.operstate in ("DOWN", "LOWERLAYERDOWN")
            await sh(sandbox, "c1", "ip", "link", "set", "dev", "eth0", "up")
            seen = await until(sub, lambda d: isinstance(d, LinkUpdated) and d.host == "c1" and d.link.up)
            assert seen[-1].link.name == "eth0"
        assert not observer.running

    run(scenario())


def test_an_address_and_a_route_added_by_hand_arrive(sandbox):
    async def scenario():
        observer = SandboxObserver(sandbox)
        with observer.subscribe() as sub:
            eth0 = sub.snapshot.hosts["internet"].link_named("eth0").index
            await sh(sandbox, "internet", "ip", "addr", "add", "192.0.2.1/24", "dev", "eth0")
            seen = await until(sub, lambda d: isinstance(d, AddressAdded))
            assert (seen[-1].host, seen[-1].address.index, seen[-1].address.cidr) == ("internet", eth0, "192.0.2.1/24")
            seen = await until(sub, lambda d: isinstance(d, RouteAdded))
            assert seen[-1].route.dst == "192.0.2.0/24" and seen[-1].route.protocol == "kernel"
            await sh(sandbox, "internet", "ip", "route", "add", "10.99.0.0/16", "via", "198.51.100.2")
            seen = await until(sub, lambda d: isinstance(d, RouteAdded) and d.route.dst == "10.99.0.0/16")
            route = seen[-1].route
            assert (route.gateway, route.oif, route.protocol) == ("198.51.100.2", eth0, "boot")

    run(scenario())


def test_a_lab_step_that_adds_a_host_arrives_as_host_added_then_its_links(sandbox_name):
    lifecycle.create_sandbox(sandbox_name, ONE)
    try:

        async def scenario():
            observer = SandboxObserver(sandbox_name)
            with observer.subscribe() as sub:
                assert sorted(sub.snapshot.hosts) == ["c1", "host", "internet"]
                state, seen = sub.snapshot, []

                def c2_ready() -> bool:
                    c2 = state.hosts.get("c2")
                    eth0 = c2.link_named("eth0") if c2 else None
                    return (
                        eth0 is not None
                        and eth0.operstate == "UP"
                        and Address(eth0.index, "172.17.0.3/16") in c2.addresses
                        and any(r.dst == "0.0.0.0/0" for r in c2.routes)
                    )

                step = asyncio.ensure_future(asyncio.to_thread(lifecycle.apply_to_sandbox, sandbox_name, FULL))
                async with asyncio.timeout(5):
                    while not c2_ready():  # whether its links came in HostAdded or after it, by LinkUpdated
                        seen.append(await sub.get())
                        state = apply_delta(state, seen[-1])
                await step
                about_c2 = [d for d in seen if d.host == "c2"]
                assert isinstance(about_c2[0], HostAdded)
                assert state.hosts["c2"].link_named("eth0").peer == "host:veth-c2"
                await observer.settle()  # the host's side may come a little later: another namespace
                while (delta := sub.get_nowait()) is not None:
                    state = apply_delta(state, delta)
                assert state == await observer.snapshot()
                host = state.hosts["host"]
                assert host.link_named("veth-c2").master == host.link_named("docker0").index

        run(scenario())
    finally:
        lifecycle.delete_sandbox(sandbox_name)


def test_counters_move_after_a_ping(sandbox):
    async def scenario():
        observer = SandboxObserver(sandbox)
        with observer.subscribe() as sub:
            c1 = sub.snapshot.hosts["c1"]
            eth0 = c1.link_named("eth0").index
            before = c1.counters[eth0]
            await sh(sandbox, "c1", "ping", "-c", "3", "-i", "0.2", "-W", "1", "172.17.0.1")
            seen = await until(
                sub,
                lambda d: (
                    isinstance(d, Counters)
                    and d.host == "c1"
                    and eth0 in d.counters
                    and d.counters[eth0].tx_packets >= before.tx_packets + 3
                ),
                timeout=3,
            )
            after = seen[-1].counters[eth0]
            assert after.rx_packets >= before.rx_packets + 3 and after.tx_bytes > before.tx_bytes

    run(scenario())


def test_a_connection_through_the_masquerading_host_shows_in_its_conntrack(sandbox):
    async def scenario():
        observer = SandboxObserver(sandbox)
        with observer.subscribe() as sub:
            reply = await sh(sandbox, "c1", "curl", "-s", "-m", "3", "http://198.51.100.10/")
            assert "198.51.100.2" in reply.stdout
            seen = await until(
                sub,
                lambda d: (
                    isinstance(d, ConntrackUpdated)
                    and d.host == "host"
                    and d.entry.protocol == 6
                    and d.entry.orig.dport == 80
                    and "SRC_NAT" in d.entry.status
                ),
            )
            entry = seen[-1].entry
            assert (entry.orig.src, entry.orig.dst) == ("172.17.0.2", "198.51.100.10")
            assert (entry.reply.src, entry.reply.dst, entry.reply.sport) == ("198.51.100.10", "198.51.100.2", 80)
            await observer.settle()
            final = (await observer.snapshot()).hosts["host"].conntrack[entry.key]
            assert final.state in ("TIME_WAIT", "CLOSE", "FIN_WAIT", "LAST_ACK", "CLOSE_WAIT", "ESTABLISHED")
            assert {"SRC_NAT", "SEEN_REPLY"} <= final.status

    run(scenario())


def test_connections_made_before_observing_are_dumped_then_followed_without_events(sandbox):
    async def scenario():
        await sh(sandbox, "c1", "curl", "-s", "-m", "3", "http://198.51.100.10/")
        observer = SandboxObserver(sandbox)
        with observer.subscribe() as sub:
            state = sub.snapshot
            await observer.settle()  # the table is dumped off the loop: its entries come as deltas
            while (delta := sub.get_nowait()) is not None:
                state = apply_delta(state, delta)
            web = [e for e in state.hosts["host"].conntrack.values() if e.protocol == 6 and e.orig.dport == 80]
            assert len(web) == 1 and "SRC_NAT" in web[0].status
            # Born before anything listened, the entry sends no event when it goes: lookups notice.
            await sh(sandbox, "host", "conntrack", "-D", "-p", "tcp", "--dport", "80")
            seen = await until(sub, lambda d: isinstance(d, ConntrackRemoved) and d.key == web[0].key, timeout=5)
            for delta in seen:
                state = apply_delta(state, delta)
            await observer.settle()
            while (delta := sub.get_nowait()) is not None:
                state = apply_delta(state, delta)
            assert state.hosts["host"].conntrack == read_live_state(sandbox).hosts["host"].conntrack

    run(scenario())


async def settle(observer: SandboxObserver) -> int:
    """Wait until the observer is idle: two reads 100 ms apart that find nothing new."""
    seq = await observer.settle()
    while True:
        await asyncio.sleep(0.1)
        again = await observer.settle()
        if again == seq:
            return seq
        seq = again


async def converged(observer: SandboxObserver, sub, state, sandbox: str, seen: list | None = None):
    """Apply deltas until the observer is idle and agrees with the kernel, or 3 s; return (state, fresh).

    The kernel finishes some changes on its own workers (carrier changes through linkwatch, the
    destruction of a namespace), so a fresh read may run ahead of the events for a moment; a real
    difference stays.
    """
    deadline = time.monotonic() + 3
    while True:
        await settle(observer)
        while (delta := sub.get_nowait()) is not None:
            state = apply_delta(state, delta)
            if seen is not None:
                seen.append(delta)
        fresh = read_live_state(sandbox)
        if comparable(state) == comparable(fresh) or time.monotonic() > deadline:
            return state, fresh
        await asyncio.sleep(0.2)


def comparable(state) -> dict:
    """Every host as observed, counters' values aside (traffic moves them; which interfaces have them counts)."""
    return {host: hs.without_counter_values() for host, hs in state.hosts.items()}


def test_snapshot_plus_deltas_equals_a_fresh_snapshot(sandbox):
    async def scenario():
        observer = SandboxObserver(sandbox)
        with observer.subscribe() as sub:
            snapshot = sub.snapshot
            # By hand: link state, a new veth pair, rename, MTU, master, addresses, routes, replace.
            await sh(sandbox, "c2", "ip", "link", "set", "dev", "eth0", "down")
            await sh(sandbox, "host", "ip", "link", "add", "x1", "type", "veth", "peer", "name", "x2")
            await sh(sandbox, "host", "ip", "link", "set", "dev", "x1", "master", "docker0", "mtu", "1400", "up")
            await sh(sandbox, "host", "ip", "link", "set", "dev", "x2", "name", "x3")
            await sh(sandbox, "host", "ip", "addr", "add", "10.5.0.1/24", "dev", "x3")
            await sh(sandbox, "host", "ip", "link", "set", "dev", "x3", "up")
            await sh(sandbox, "host", "ip", "route", "add", "10.6.0.0/16", "via", "10.5.0.2")
            await sh(sandbox, "host", "ip", "route", "replace", "10.6.0.0/16", "via", "10.5.0.3", "metric", "0")
            await sh(sandbox, "internet", "ip", "addr", "add", "192.0.2.1/24", "dev", "eth0")
            await sh(sandbox, "internet", "ip", "route", "add", "10.7.0.0/16", "via", "192.0.2.9", "src", "192.0.2.1")
            await sh(sandbox, "internet", "ip", "route", "add", "10.8.0.0/16", "via", "192.0.2.9")
            # Flushes 10.7.0.0/16 (its source address goes); 10.8.0.0/16 stays, its gateway unreachable.
            await sh(sandbox, "internet", "ip", "addr", "del", "192.0.2.1/24", "dev", "eth0")
            await sh(sandbox, "c1", "curl", "-s", "-m", "3", "http://198.51.100.10/")
            await sh(sandbox, "c1", "ping", "-c", "2", "-i", "0.2", "-W", "1", "198.51.100.10", check=False)
            await sh(sandbox, "host", "ip", "link", "del", "x1")
            # By reconciling: a step back (c2 and the NAT go) and forward again (c2 comes back, new).
            await asyncio.to_thread(lifecycle.apply_to_sandbox, sandbox, ONE)
            await sh(sandbox, "c1", "ip", "route", "del", "default")
            await asyncio.to_thread(lifecycle.apply_to_sandbox, sandbox, FULL)
            await sh(sandbox, "c2", "ip", "link", "set", "dev", "eth0", "mtu", "1300")

            deltas = []
            replayed, fresh = await converged(observer, sub, snapshot, sandbox, deltas)
            assert [d.seq for d in deltas] == list(range(snapshot.seq + 1, observer.seq + 1))  # no gap, no repeat
            kinds = {type(d).__name__ for d in deltas}
            assert {
                "HostRemoved",
                "HostAdded",
                "LinkUpdated",
                "LinkRemoved",
                "AddressAdded",
                "AddressRemoved",
                "RouteAdded",
                "RouteRemoved",
                "Counters",
                "ConntrackUpdated",
            } <= kinds
            assert replayed == await observer.snapshot()
            assert replayed.hosts.keys() == fresh.hosts.keys()
            for host in fresh.hosts:  # host by host, for a readable failure
                assert comparable(replayed)[host] == comparable(fresh)[host], host

    run(scenario())


def test_a_big_step_and_its_undoing_keep_snapshot_plus_deltas_exact(sandbox_name):
    lifecycle.create_sandbox(sandbox_name, switch_topology(2))
    try:

        async def scenario():
            observer = SandboxObserver(sandbox_name)
            with observer.subscribe() as sub:
                state = sub.snapshot
                # 60 namespaces appear (taken in slices), a switch gets 60 ports (~600 link events).
                await asyncio.to_thread(lifecycle.apply_to_sandbox, sandbox_name, switch_topology(60))
                state, fresh = await converged(observer, sub, state, sandbox_name)
                assert len(state.hosts) == 61 and comparable(state) == comparable(fresh)
                await asyncio.to_thread(lifecycle.apply_to_sandbox, sandbox_name, switch_topology(2))
                state, fresh = await converged(observer, sub, state, sandbox_name)
                assert sorted(state.hosts) == ["h0", "h1", "sw"] and comparable(state) == comparable(fresh)
                assert state == await observer.snapshot()

        run(scenario())
    finally:
        lifecycle.delete_sandbox(sandbox_name)


def test_a_subscriber_can_resume_after_a_snapshot_taken_while_stopped(sandbox):
    async def scenario():
        observer = SandboxObserver(sandbox)
        snapshot = await observer.snapshot()  # starts, reads, stops
        assert not observer.running
        await sh(sandbox, "c1", "ip", "link", "set", "dev", "eth0", "mtu", "1280")
        with observer.subscribe(after=snapshot.seq) as sub:
            # The restart's reading continues the numbering: the change made meanwhile is a delta.
            seen = await until(sub, link_update("c1", "eth0"), timeout=1)
            assert seen[-1].link.mtu == 1280 and seen[0].seq == snapshot.seq + 1
            state = snapshot
            for delta in seen:
                state = apply_delta(state, delta)
            await observer.settle()
            while (delta := sub.get_nowait()) is not None:
                state = apply_delta(state, delta)
            assert state == await observer.snapshot()

    run(scenario())


def test_a_walks_trace_events_arrive_as_traced_deltas_and_untraced_traffic_brings_none(sandbox):
    async def scenario():
        observer = SandboxObserver(sandbox)
        with observer.subscribe() as sub:
            state, seen = sub.snapshot, []
            # Traffic nobody traces (no ``meta nftrace`` anywhere): no trace event, whatever else moves.
            await sh(sandbox, "c1", "curl", "-s", "-m", "3", "http://198.51.100.10/")
            state, _ = await converged(observer, sub, state, sandbox, seen)
            assert seen and not [d for d in seen if isinstance(d, Traced)]

            # A walk traces its own flow where there are rules: the host, whose NAT masquerades it.
            result = await asyncio.to_thread(
                walk, sandbox=sandbox, source="c1", destination="198.51.100.10", protocol="tcp", port=80
            )
            assert result.walk.verdict.outcome == "delivered"
            seen = []
            state, fresh = await converged(observer, sub, state, sandbox, seen)
            traced = [d for d in seen if isinstance(d, Traced)]
            walked = {host for host, datagrams in result.recording.traces.items() if datagrams}
            assert walked == {"host"} and {d.host for d in traced} == walked
            chains = {(d.event.table, d.event.chain) for d in traced}
            assert (result.recording.trace_table, "prerouting") in chains  # the walk's table, which marks it
            assert ("podpath", "postrouting") in chains  # the masquerade, the packet's first pass through NAT
            masquerade = [d.event for d in traced if d.event.chain == "postrouting" and d.event.table == "podpath"]
            assert masquerade[0].packet.src == "172.17.0.2" and masquerade[0].packet.dst == "198.51.100.10"
            assert masquerade[0].protocol == 6 and masquerade[0].packet.dport == 80
            assert masquerade[0].verdict == "accept" and masquerade[0].handle is not None
            host = state.hosts["host"]
            assert host.ifname(masquerade[0].iif) == "docker0" and host.ifname(masquerade[0].oif) == "eth0"
            # Every step the walk's own trace socket read, the observer's read too (both listen to the group).
            steps = {
                (d.event.id, d.event.table, d.event.chain, d.event.type, d.event.handle, d.event.verdict)
                for d in traced
            }
            for event in nftrace.parse_datagrams("host", result.recording.traces["host"]):
                assert (event.id, event.table, event.chain, event.type, event.handle, event.verdict) in steps
            # Events, not state: snapshot + deltas is still the kernel's state and the observer's.
            assert comparable(state) == comparable(fresh)
            assert state == await observer.snapshot()

            # The walk's trace table gone, the same traffic is traced no more.
            seen = []
            await sh(sandbox, "c1", "curl", "-s", "-m", "3", "http://198.51.100.10/")
            await asyncio.sleep(0.3)
            state, _ = await converged(observer, sub, state, sandbox, seen)
            assert seen and not [d for d in seen if isinstance(d, Traced)]
            assert state == await observer.snapshot()

    run(scenario())


def namespace_inodes(sandbox: str) -> set[int]:
    return {os.stat(netns.path_of(n)).st_ino for n in netns.list_names(names.sandbox_prefix(sandbox))}


def pinning_fds(inodes: set[int]) -> list[str]:
    """This process's fds that hold one of these namespaces: namespace files, sockets, /proc/net files."""
    found = []
    for entry in os.listdir("/proc/self/fd"):
        fd = int(entry)
        try:
            target = os.readlink(f"/proc/self/fd/{entry}")
            if target.startswith("net:[") and int(target[5:-1]) in inodes:
                found.append(f"{fd} -> {target}")
            elif re.fullmatch(r"/proc/\d+(/task/\d+)?/net/.*", target):
                found.append(f"{fd} -> {target}")
            elif target.startswith("socket:["):
                with contextlib.suppress(OSError):
                    ns = fcntl.ioctl(fd, SIOCGSKNS)
                    try:
                        if os.fstat(ns).st_ino in inodes:
                            found.append(f"{fd} -> {target} in a sandbox namespace")
                    finally:
                        os.close(ns)
        except (FileNotFoundError, ValueError):
            continue
    return found


def test_stopping_the_observer_leaves_nothing_pinning_the_namespaces(sandbox):
    inodes = namespace_inodes(sandbox)
    assert len(inodes) == 4

    async def scenario():
        observer = SandboxObserver(sandbox)
        with observer.subscribe():
            await observer.settle()
            assert len(pinning_fds(inodes)) >= 4 * 5  # the check sees what the observer holds
        assert pinning_fds(inodes) == []

    run(scenario())
    lifecycle.delete_sandbox(sandbox)
    assert netns.list_names(names.sandbox_prefix(sandbox)) == []
    assert sandbox not in subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    assert pinning_fds(inodes) == []


def test_deleting_a_watched_sandbox_unpins_its_namespaces_at_once(sandbox):
    inodes = namespace_inodes(sandbox)

    async def scenario():
        observer = SandboxObserver(sandbox)
        with observer.subscribe() as sub:
            await asyncio.to_thread(lifecycle.delete_sandbox, sandbox)
            removed = set()
            async with asyncio.timeout(3):
                while removed != {"c1", "c2", "host", "internet"}:
                    delta = await sub.get()
                    if isinstance(delta, HostRemoved):
                        removed.add(delta.host)
            assert pinning_fds(inodes) == []
            assert (await observer.snapshot()).hosts == {}

    run(scenario())
    assert netns.list_names(names.sandbox_prefix(sandbox)) == []
