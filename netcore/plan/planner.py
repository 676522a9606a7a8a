"""The planner: (actual, desired) -> the ordered operations that turn one into the other.

Pure. Applying a plan and reading the kernel back gives ``desired``; planning again then gives an empty
plan. Only differences become operations, so stepping a lab forward or back touches only what the
step changes.

The planner models the kernel's side effects it relies on, instead of emitting work the kernel
already did or would refuse:

- deleting a namespace destroys its devices, but a veth whose peer lives on in another namespace is
  deleted explicitly (namespace teardown is asynchronous; the peer's name must be free at once);
- deleting one veth end deletes the other; deleting a bridge releases its ports;
- the kernel flushes the routes of a device that goes down, loses its last address or is deleted;
- a new namespace starts with ``lo`` down.

Order: stop servers, delete routes, addresses, devices, tables, files and namespaces; then create
namespaces, write sysctls, create bridges, veth pairs and tunnels, configure each host (link state,
addresses, routes, grouped by host so the adapter can batch them), load tables, write files, start
servers. Sandbox data files (read by workloads, like the DNS records) are written just before the
servers start.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

from netcore.plan.ops import (
    AddAddress,
    AddRoute,
    CreateLink,
    CreateNamespace,
    DeleteAddress,
    DeleteData,
    DeleteFile,
    DeleteLink,
    DeleteNamespace,
    DeleteRoute,
    DeleteRuleset,
    FlushNeighbours,
    LoadRuleset,
    Operation,
    Plan,
    SetLink,
    SetSysctl,
    StartServer,
    StopServer,
    WriteData,
    WriteFile,
)
from netcore.state import Address, Device, RouteFact, State
from netcore.topology.model import Endpoint, Server

LOOPBACK_DOWN = Device(kind="loopback", up=False)
# Changes after which a surviving host may hold a stale neighbour entry (an address now behind another MAC).
L2_L3_CHANGES = (AddAddress, DeleteAddress, CreateLink, DeleteLink, SetLink)
CREATE_ORDER = {"bridge": 0, "veth": 1, "vxlan": 2}


def plan_changes(actual: State, desired: State) -> Plan:
    """Return the operations that change ``actual`` into ``desired``."""
    gone = actual.hosts - desired.hosts
    new = desired.hosts - actual.hosts
    ops: list[Operation] = []

    ops += [StopServer(s) for s in sorted(actual.servers - desired.servers, key=server_key)]

    doomed, device_deletes = devices_to_delete(actual, desired, gone)
    devices = surviving_devices(actual, gone, doomed)
    for host in sorted(new):
        devices[Endpoint(host, "lo")] = LOOPBACK_DOWN

    addresses = {a for a in actual.addresses if a.end in devices}
    address_deletes = sorted(addresses - desired.addresses)
    routes = {r for r in actual.routes if Endpoint(r.host, r.dev) in devices}
    route_deletes = sorted(routes - desired.routes)
    kept_addresses = addresses - set(address_deletes)
    flushed = flushed_devices(devices, desired, addresses, kept_addresses)
    kept_routes = {r for r in routes - set(route_deletes) if Endpoint(r.host, r.dev) not in flushed}

    ops += [DeleteRoute(r.host, r.dst, r.dev, r.via, r.metric, r.onlink) for r in route_deletes]
    ops += [DeleteAddress(a.end.host, a.end.ifname, a.cidr) for a in address_deletes]
    ops += device_deletes
    ops += [DeleteRuleset(h) for h in sorted(actual.rulesets) if h not in gone and h not in desired.rulesets]
    ops += [DeleteFile(h, n) for (h, n) in sorted(actual.files) if h not in gone and (h, n) not in desired.files]
    ops += [DeleteNamespace(h) for h in sorted(gone)]

    ops += [CreateNamespace(h) for h in sorted(new)]
    ops += [
        SetSysctl(host, key, value)
        for (host, key), value in sorted(desired.sysctls.items())
        if actual.sysctls.get((host, key)) != value or host in new
    ]
    ops += create_links(desired, devices)
    ops += configure_hosts(desired, devices, kept_addresses, kept_routes)
    if any(isinstance(op, L2_L3_CHANGES) for op in ops):
        ops += [FlushNeighbours(h) for h in sorted(actual.hosts & desired.hosts)]
    ops += [
        LoadRuleset(host, ruleset.digest, ruleset.text or "")
        for host, ruleset in sorted(desired.rulesets.items())
        if actual.rulesets.get(host) != ruleset or host in new
    ]
    ops += [
        WriteFile(host, name, content)
        for (host, name), content in sorted(desired.files.items())
        if actual.files.get((host, name)) != content or host in new
    ]
    ops += [DeleteData(n) for n in sorted(actual.data) if n not in desired.data]
    ops += [WriteData(n, c) for n, c in sorted(desired.data.items()) if actual.data.get(n) != c]
    ops += [StartServer(s) for s in sorted(desired.servers - actual.servers, key=server_key)]
    return Plan(tuple(ops))


def devices_to_delete(actual: State, desired: State, gone: frozenset[str]) -> tuple[set[Endpoint], list[DeleteLink]]:
    """Return the endpoints that disappear (explicitly or with a peer) and the deletes to emit."""
    doomed: set[Endpoint] = set()
    deletes: list[DeleteLink] = []
    for end, device in sorted(actual.devices.items()):
        if end in doomed or device.kind == "loopback":
            continue
        if end.host in gone:
            peer = device.peer
            if device.kind == "veth" and peer is not None and peer.host not in gone and peer in actual.devices:
                deletes.append(DeleteLink(peer.host, peer.ifname))
                doomed.update((end, peer))
            continue
        wanted = desired.devices.get(end)
        if wanted is None or wanted.identity() != device.identity():
            deletes.append(DeleteLink(end.host, end.ifname))
            doomed.add(end)
            if device.kind == "veth" and device.peer is not None:
                doomed.add(device.peer)
    return doomed, deletes


def surviving_devices(actual: State, gone: frozenset[str], doomed: set[Endpoint]) -> dict[Endpoint, Device]:
    """Return the devices left after the deletes, with ports of deleted bridges released."""
    survivors = {e: d for e, d in actual.devices.items() if e.host not in gone and e not in doomed}
    for end, device in survivors.items():
        if device.master is not None and Endpoint(end.host, device.master) not in survivors:
            survivors[end] = replace(device, master=None, hairpin=False)
    return survivors


def flushed_devices(
    devices: dict[Endpoint, Device], desired: State, before: set[Address], after: set[Address]
) -> set[Endpoint]:
    """Return devices whose routes the kernel flushes: set down, or left without an address."""
    out = set()
    for end, device in devices.items():
        wanted = desired.devices.get(end)
        if wanted is not None and device.up and not wanted.up:
            out.add(end)
    had = {a.end for a in before}
    has = {a.end for a in after}
    return out | (had - has)


def create_links(desired: State, devices: dict[Endpoint, Device]) -> list[CreateLink]:
    """Create missing devices: bridges, then veth pairs (once, from the busier end), then tunnels."""
    degree = Counter(end.host for end, d in desired.devices.items() if d.kind == "veth")
    creates: list[CreateLink] = []
    for end, device in sorted(desired.devices.items()):
        if end in devices or device.kind == "loopback":
            continue
        if device.kind == "veth":
            peer = device.peer
            if peer is None or not creator_is(end, peer, degree):
                continue
            peer_device = desired.devices[peer]
            creates.append(
                CreateLink(
                    end.host,
                    end.ifname,
                    "veth",
                    device.mac,
                    device.mtu,
                    peer=peer,
                    peer_mac=peer_device.mac,
                    peer_mtu=peer_device.mtu,
                )
            )
        else:
            creates.append(CreateLink(end.host, end.ifname, device.kind, device.mac, device.mtu, vxlan=device.vxlan))
    return sorted(creates, key=lambda op: (CREATE_ORDER.get(op.kind, 9), op.host, op.name))


def creator_is(end: Endpoint, peer: Endpoint, degree: Counter) -> bool:
    """Create a veth pair from the host with more veths, so a switch's ports go in one batch."""
    return (-degree[end.host], end) < (-degree[peer.host], peer)


def configure_hosts(
    desired: State, devices: dict[Endpoint, Device], addresses: set[Address], routes: set[RouteFact]
) -> list[Operation]:
    """Return link settings, addresses and routes, grouped by host."""
    by_host: dict[str, list[Operation]] = {}
    for end, device in sorted(desired.devices.items()):
        current = devices.get(end)
        # A created device starts down and detached.
        current_settings = current.settings() if current is not None else (False, None, False)
        if current_settings != device.settings():
            by_host.setdefault(end.host, []).append(
                SetLink(end.host, end.ifname, device.up, device.master, device.hairpin)
            )
    for address in sorted(desired.addresses - addresses):
        by_host.setdefault(address.end.host, []).append(AddAddress(address.end.host, address.end.ifname, address.cidr))
    for route in sorted(desired.routes - routes, key=route_order):
        by_host.setdefault(route.host, []).append(
            AddRoute(route.host, route.dst, route.dev, route.via, route.metric, route.onlink)
        )
    return [op for host in sorted(by_host) for op in by_host[host]]


def route_order(route: RouteFact) -> tuple:
    """Add device routes before gateway routes, so a gateway reached by a device route resolves."""
    return (route.host, route.via is not None, route.dst, route.dev, route.via or "", route.metric, route.onlink)


def server_key(server: Server) -> tuple:
    return (server.host, server.protocol, server.port, server.kind, server.options)
