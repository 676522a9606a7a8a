"""FakeKernel: an in-memory kernel with the side effects and refusals the planner relies on.

For unit tests without root. It runs through the same contract tests as LinuxKernel, so its rules are
checked against the real kernel: a device must exist before it gets an address, a route needs an up
device and a gateway on a connected subnet, deleting a namespace takes its devices (and veth peers)
with it, a device going down or losing its last address loses its routes, a new namespace's ``lo`` is
down, and a new namespace's sysctls are not yet Podpath's.
"""

from __future__ import annotations

import ipaddress
from dataclasses import replace

from netcore.errors import ApplyError
from netcore.kernel.base import Progress
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
from netcore.state import Address, Device, RouteFact, Ruleset, State
from netcore.topology.model import Endpoint
from netcore.topology.sysctls import base_sysctls

UNSET = "inherited"


class FakeKernel:
    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        """Forget everything: the state of a machine that was never touched."""
        self.hosts: set[str] = set()
        self.devices: dict[Endpoint, Device] = {}
        self.addresses: set[Address] = set()
        self.routes: set[RouteFact] = set()
        self.sysctls: dict[tuple[str, str], str] = {}
        self.rulesets: dict[str, Ruleset] = {}
        self.files: dict[tuple[str, str], str] = {}
        self.servers: set = set()
        self.data: dict[str, str] = {}
        self.applied: list[Operation] = []

    def read(self) -> State:
        return State(
            hosts=frozenset(self.hosts),
            devices=dict(self.devices),
            addresses=frozenset(self.addresses),
            routes=frozenset(self.routes),
            sysctls=dict(self.sysctls),
            rulesets=dict(self.rulesets),
            files=dict(self.files),
            servers=frozenset(self.servers),
            data=dict(self.data),
        )

    def apply(self, plan: Plan, progress: Progress | None = None) -> None:
        for done, op in enumerate(plan.ops, 1):
            self.run(op)
            self.applied.append(op)
            if progress is not None:
                progress(done, len(plan), op.summary())

    def destroy(self) -> None:
        self.reset()

    # -- operations -------------------------------------------------------------------------------

    def run(self, op: Operation) -> None:
        handler = getattr(self, "do_" + type(op).__name__)
        reason = handler(op)
        if reason:
            raise ApplyError(op, reason)

    def need_host(self, host: str) -> str | None:
        return None if host in self.hosts else f"no namespace for host {host}"

    def do_CreateNamespace(self, op: CreateNamespace) -> str | None:
        if op.host in self.hosts:
            return "File exists"
        self.hosts.add(op.host)
        self.devices[Endpoint(op.host, "lo")] = Device(kind="loopback", up=False)
        for key in base_sysctls():
            self.sysctls[(op.host, key)] = UNSET
        return None

    def do_DeleteNamespace(self, op: DeleteNamespace) -> str | None:
        self.hosts.discard(op.host)
        for end in list(self.devices):
            if end.host == op.host:
                self.remove_device(end)
        self.sysctls = {k: v for k, v in self.sysctls.items() if k[0] != op.host}
        self.rulesets.pop(op.host, None)
        self.files = {k: v for k, v in self.files.items() if k[0] != op.host}
        self.servers = {s for s in self.servers if s.host != op.host}
        return None

    def do_SetSysctl(self, op: SetSysctl) -> str | None:
        if (op.host, op.key) not in self.sysctls:
            return self.need_host(op.host) or "No such file or directory"
        self.sysctls[(op.host, op.key)] = op.value
        return None

    def do_CreateLink(self, op: CreateLink) -> str | None:
        end = Endpoint(op.host, op.name)
        missing = self.need_host(op.host) or (self.need_host(op.peer.host) if op.peer else None)
        if missing:
            return missing
        if end in self.devices or (op.peer is not None and op.peer in self.devices):
            return "File exists"
        if op.kind == "vxlan" and op.tunnel().dev and Endpoint(op.host, op.tunnel().dev or "") not in self.devices:
            return "No such device"
        self.devices[end] = Device(kind=op.kind, mac=op.mac, peer=op.peer, vxlan=op.vxlan, mtu=op.mtu, up=False)
        if op.kind == "veth":
            self.devices[op.veth_peer()] = Device(kind="veth", mac=op.peer_mac, peer=end, mtu=op.peer_mtu, up=False)
        return None

    def do_DeleteLink(self, op: DeleteLink) -> str | None:
        self.remove_device(Endpoint(op.host, op.name))
        return None

    def remove_device(self, end: Endpoint) -> None:
        device = self.devices.pop(end, None)
        if device is None:
            return
        self.addresses = {a for a in self.addresses if a.end != end}
        self.routes = {r for r in self.routes if Endpoint(r.host, r.dev) != end}
        for other, port in list(self.devices.items()):
            if other.host == end.host and port.master == end.ifname:
                self.devices[other] = replace(port, master=None, hairpin=False)
        if device.kind == "veth" and device.peer is not None:
            self.remove_device(device.peer)

    def do_SetLink(self, op: SetLink) -> str | None:
        end = Endpoint(op.host, op.name)
        device = self.devices.get(end)
        if device is None:
            return "No such device"
        if op.master is not None:
            bridge = self.devices.get(Endpoint(op.host, op.master))
            if bridge is None or bridge.kind != "bridge":
                return "No such device (master)"
        if op.hairpin and op.master is None:
            return "Operation not supported (hairpin needs a bridge port)"
        if device.up and not op.up:
            self.flush_routes(end)
        self.devices[end] = replace(device, up=op.up, master=op.master, hairpin=op.hairpin)
        return None

    def flush_routes(self, end: Endpoint) -> None:
        self.routes = {r for r in self.routes if Endpoint(r.host, r.dev) != end}

    def do_AddAddress(self, op: AddAddress) -> str | None:
        end = Endpoint(op.host, op.ifname)
        if end not in self.devices:
            return "No such device"
        address = Address(end, op.cidr)
        if address in self.addresses:
            return "File exists"
        self.addresses.add(address)
        return None

    def do_DeleteAddress(self, op: DeleteAddress) -> str | None:
        end = Endpoint(op.host, op.ifname)
        self.addresses.discard(Address(end, op.cidr))
        if not any(a.end == end for a in self.addresses):
            self.flush_routes(end)
        return None

    def do_AddRoute(self, op: AddRoute) -> str | None:
        end = Endpoint(op.host, op.dev)
        device = self.devices.get(end)
        if device is None:
            return "No such device"
        if not device.up:
            return "Network is down"
        if op.via is not None and not op.onlink:
            gateway = ipaddress.IPv4Address(op.via)
            if not any(a.end == end and gateway in ipaddress.IPv4Interface(a.cidr).network for a in self.addresses):
                return "Network is unreachable (Nexthop has invalid gateway)"
        route = RouteFact(op.host, op.dst, op.dev, op.via, op.metric, op.onlink)
        if any((r.host, r.dst, r.metric) == (op.host, op.dst, op.metric) for r in self.routes):
            return "File exists"
        self.routes.add(route)
        return None

    def do_DeleteRoute(self, op: DeleteRoute) -> str | None:
        self.routes.discard(RouteFact(op.host, op.dst, op.dev, op.via, op.metric, op.onlink))
        return None

    def do_FlushNeighbours(self, op: FlushNeighbours) -> str | None:
        return self.need_host(op.host)  # the fake keeps no neighbour tables

    def do_LoadRuleset(self, op: LoadRuleset) -> str | None:
        self.rulesets[op.host] = Ruleset(op.digest)
        return self.need_host(op.host)

    def do_DeleteRuleset(self, op: DeleteRuleset) -> str | None:
        self.rulesets.pop(op.host, None)
        return None

    def do_WriteFile(self, op: WriteFile) -> str | None:
        self.files[(op.host, op.name)] = op.content
        return self.need_host(op.host)

    def do_DeleteFile(self, op: DeleteFile) -> str | None:
        self.files.pop((op.host, op.name), None)
        return None

    def do_WriteData(self, op: WriteData) -> str | None:
        self.data[op.name] = op.content
        return None

    def do_DeleteData(self, op: DeleteData) -> str | None:
        self.data.pop(op.name, None)
        return None

    def do_StartServer(self, op: StartServer) -> str | None:
        missing = self.need_host(op.server.host)
        if missing:
            return missing
        if any(
            (s.host, s.protocol, s.port) == (op.server.host, op.server.protocol, op.server.port) for s in self.servers
        ):
            return "Address already in use"
        self.servers.add(op.server)
        return None

    def do_StopServer(self, op: StopServer) -> str | None:
        self.servers.discard(op.server)
        return None
