"""LinuxKernel: the only writer. Runs a plan on the real kernel, batching what it can.

Consecutive operations on one namespace go to the kernel as one netlink datagram; every namespace is
entered by the calling thread only for the ``socket()`` call that binds a channel to it. Veth pairs are
created with both ends born in their own namespaces (moving an end costs ~16 ms, creating it in place
under 1 ms). Tables load through ``nft -f``; servers through the sandbox's workload runner.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from itertools import groupby

from netcore import names
from netcore.errors import ApplyError, PodpathError
from netcore.kernel import decode, etc_files, inventory, messages, netlink, netns, nft
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
from netcore.state import State
from netcore.topology.model import Endpoint
from netcore.topology.sysctls import sysctl_path
from netcore.workloads import client as workloads

FILE_OPS = (WriteFile, DeleteFile)
BRIDGE_WAIT_S = 3.0
NETLINK_OPS = (AddAddress, AddRoute, CreateLink, DeleteAddress, DeleteLink, DeleteRoute, SetLink)
DELETES = (DeleteAddress, DeleteLink, DeleteRoute, FlushNeighbours)


def category(op: Operation) -> tuple[str, str | None]:
    """Group key: consecutive operations with the same key run as one batch."""
    if isinstance(op, (StartServer, StopServer)):
        return ("servers", None)
    if isinstance(op, (WriteData, DeleteData)):
        return ("data", None)
    if isinstance(op, NETLINK_OPS):
        return ("netlink", op.host)
    if isinstance(op, CreateNamespace):
        return ("CreateNamespace", None)  # all new namespaces in one pass
    return (type(op).__name__, op.host)


class LinuxKernel:
    """The Kernel protocol on Linux, for one sandbox."""

    def __init__(self, sandbox: str) -> None:
        self.sandbox = names.check_sandbox_name(sandbox)

    def namespace(self, host: str) -> str:
        return names.netns_name(self.sandbox, host)

    def read(self) -> State:
        state = inventory.read_state(self.sandbox)
        return replace(state, servers=workloads.running_servers(self.sandbox))

    def apply(self, plan: Plan, progress: Progress | None = None) -> None:
        # The /etc/netns files touch the disk, not the network: write them on another thread while
        # this one does the kernel work.
        file_ops = [op for op in plan.ops if isinstance(op, FILE_OPS)]
        kernel_ops = [op for op in plan.ops if not isinstance(op, FILE_OPS)]
        if any(isinstance(op, StartServer) for op in plan.ops):
            workloads.spawn_runner(self.sandbox)  # it starts up while the kernel work runs
        with ThreadPoolExecutor(max_workers=1) as pool:
            files_done = pool.submit(etc_files.apply_file_ops, self.sandbox, file_ops) if file_ops else None
            with ApplySession(self, kernel_ops) as session:
                done = 0
                for (kind, _host), group in groupby(kernel_ops, key=category):
                    ops = list(group)
                    session.run(kind, ops)
                    done += len(ops)
                    if progress is not None:
                        progress(done, len(plan), ops[-1].summary())
                session.wait_for_bridge_ports()
            if files_done is not None:
                files_done.result()
                if progress is not None:
                    progress(len(plan), len(plan), f"{len(file_ops)} /etc/netns files written")

    def destroy(self) -> None:
        """Stop the runner (its sockets pin namespaces), then unpin every namespace and its files."""
        workloads.stop_runner(self.sandbox)
        prefix = names.sandbox_prefix(self.sandbox)
        for namespace in netns.list_names(prefix):
            netns.delete(namespace)
        with contextlib.suppress(FileNotFoundError):
            for entry in os.listdir(names.ETC_NETNS_DIR):
                if entry.startswith(prefix):
                    etc_files.remove(entry)


class ApplySession:
    """Namespace fds and netlink channels opened during one apply, closed at its end."""

    def __init__(self, kernel: LinuxKernel, ops: Sequence[Operation] = ()) -> None:
        self.kernel = kernel
        # A new namespace's sysctls are written while creating it: the thread is inside it anyway.
        new = {op.host for op in ops if isinstance(op, CreateNamespace)}
        self.early_sysctls: dict[str, list[SetSysctl]] = {}
        for op in ops:
            if isinstance(op, SetSysctl) and op.host in new:
                self.early_sysctls.setdefault(op.host, []).append(op)
        self.fds: dict[str, int] = {}
        self.channels: dict[str, netlink.Channel] = {}
        # Veth ends waiting for the alias that names their peer; set with the end's next SetLink.
        self.pending_aliases: dict[Endpoint, str] = {}
        # Interface indexes by host; exact for the namespaces this session created ("fresh").
        self.indexes: dict[str, dict[str, int]] = {}
        self.fresh: set[str] = set()
        self.applied: list[Operation] = []

    def __enter__(self) -> ApplySession:
        return self

    def __exit__(self, exc_type, *exc: object) -> None:
        try:
            if exc_type is None:
                self.flush_aliases()
        finally:
            for host in list(self.fds):
                self.forget(host)

    def fd(self, host: str) -> int:
        if host not in self.fds:
            self.fds[host] = netns.open_fd(self.kernel.namespace(host))
        return self.fds[host]

    def channel(self, host: str) -> netlink.Channel:
        if host not in self.channels:
            self.channels[host] = netlink.Channel(netlink.NETLINK_ROUTE, self.fd(host))
        return self.channels[host]

    def forget(self, host: str) -> None:
        """Close what this session holds in a namespace: an open socket keeps a deleted one alive."""
        channel = self.channels.pop(host, None)
        if channel is not None:
            channel.close()
        fd = self.fds.pop(host, None)
        if fd is not None:
            os.close(fd)

    # -- dispatch ---------------------------------------------------------------------------------

    def run(self, kind: str, ops: Sequence[Operation]) -> None:
        """Run one batch of ``category`` ``kind``; all but the first kinds are of one host."""
        host = ops[0].host
        if kind == "servers":
            self.run_servers(ops)
        elif kind == "data":
            self.run_data([op for op in ops if isinstance(op, (WriteData, DeleteData))])
        elif kind == "netlink":
            self.run_netlink(host, ops)
        elif kind == "CreateNamespace":
            self.create_namespaces([op for op in ops if isinstance(op, CreateNamespace)])
        elif kind == "SetSysctl":
            if host not in self.early_sysctls:
                with netns.entered(self.fd(host)):
                    self.write_sysctls([op for op in ops if isinstance(op, SetSysctl)])
        elif kind == "FlushNeighbours" and isinstance(ops[0], FlushNeighbours):
            self.flush_neighbours(host, ops[0])
        else:
            for op in ops:
                self.run_one(op)

    def run_one(self, op: Operation) -> None:
        namespace = self.kernel.namespace(op.host)
        try:
            if isinstance(op, DeleteNamespace):
                self.forget(op.host)
                netns.delete(namespace)
                etc_files.remove(namespace)
            elif isinstance(op, LoadRuleset):
                nft.load(self.fd(op.host), op.text)
            elif isinstance(op, DeleteRuleset):
                nft.load(self.fd(op.host), None)
            else:
                raise TypeError(f"no handler for {op!r}")
        except FileNotFoundError as error:
            raise ApplyError(op, f"not found: {error.filename}") from None
        except (OSError, nft.NftError) as error:
            raise ApplyError(op, getattr(error, "strerror", None) or str(error)) from None

    def create_namespaces(self, ops: list[CreateNamespace]) -> None:
        """Create every new namespace in one pass, writing its sysctls and opening its socket inside."""
        by_namespace = {self.kernel.namespace(op.host): op for op in ops}

        def inside(namespace: str) -> None:
            op = by_namespace[namespace]
            self.write_sysctls(self.early_sysctls.get(op.host, []))
            self.channels[op.host] = netlink.Channel(netlink.NETLINK_ROUTE)  # born in this namespace
            self.fds[op.host] = os.open(netns.path_of(namespace), os.O_RDONLY | os.O_CLOEXEC)
            self.fresh.add(op.host)
            self.indexes[op.host] = {"lo": 1}

        try:
            netns.create_many(list(by_namespace), inside)
        except ApplyError:
            raise
        except (OSError, PodpathError) as error:
            raise ApplyError(ops[0], getattr(error, "strerror", None) or str(error)) from None

    @staticmethod
    def write_sysctls(ops: list[SetSysctl]) -> None:
        """Write sysctls in the namespace the thread is in: /proc/sys/net shows the opener's namespace."""
        for op in ops:
            try:
                fd = os.open(sysctl_path(op.key), os.O_WRONLY | os.O_CLOEXEC)  # unbuffered: one write
                try:
                    os.write(fd, op.value.encode())
                finally:
                    os.close(fd)
            except FileNotFoundError:
                raise ApplyError(op, "this kernel has no such sysctl") from None
            except OSError as error:
                raise ApplyError(op, error.strerror or str(error)) from None

    def flush_neighbours(self, host: str, op: FlushNeighbours) -> None:
        """Delete every learnt neighbour entry of a host in one batch."""
        channel = self.channel(host)
        neighbours = map(decode.neighbour, channel.dump_raw(*messages.dump_neighbours()))
        requests = [messages.delete_neighbour(n.index, n.address) for n in neighbours if n.learnt and n.address]
        self.send(channel, [op] * len(requests), requests)

    def run_data(self, ops: list[WriteData | DeleteData]) -> None:
        """Write sandbox data files atomically: workloads re-read them while running."""
        directory = names.data_dir(self.kernel.sandbox)
        for op in ops:
            try:
                if isinstance(op, WriteData):
                    directory.mkdir(parents=True, exist_ok=True)
                    staging = directory / f".{op.name}.new"
                    staging.write_text(op.content)
                    os.replace(staging, directory / op.name)
                else:
                    (directory / op.name).unlink(missing_ok=True)
            except OSError as error:
                raise ApplyError(op, error.strerror or str(error)) from None
        # Running servers that read these files (DNS records, nginx's configuration) pick them up now.
        workloads.notify_data_changed(self.kernel.sandbox, [op.name for op in ops])

    def run_servers(self, ops: Sequence[Operation]) -> None:
        start = [op.server for op in ops if isinstance(op, StartServer)]
        stop = [op.server for op in ops if isinstance(op, StopServer)]
        workloads.change_servers(self.kernel.sandbox, start=start, stop=stop)

    def run_netlink(self, host: str, ops: Sequence[Operation]) -> None:
        self.applied.extend(ops)
        self._run_netlink(host, ops)

    def _run_netlink(self, host: str, ops: Sequence[Operation]) -> None:
        """Send a host's operations in as few datagrams as possible.

        Interface indexes come from the session's own bookkeeping in namespaces it created, and from
        a dump elsewhere, read again only when a device was created or deleted since.
        """
        channel = self.channel(host)
        batch: list[Operation] = []
        requests: list[tuple] = []
        for op in ops:
            if needs_index(op) and host not in self.indexes:
                self.send(channel, batch, requests)
                batch, requests = [], []
                self.indexes[host] = link_indexes(channel)
            batch.append(op)
            requests.append(self.request(op, self.indexes.get(host, {})))
            if isinstance(op, SetLink) and op.master is not None:
                # Port settings apply once the device is a port: a second request, same batch.
                batch.append(op)
                requests.append(messages.set_hairpin(op))
        self.send(channel, batch, requests)

    def assign_index(self, host: str, name: str) -> int:
        """Pick the index of a new device in a namespace this session created (0 elsewhere)."""
        if host not in self.fresh:
            self.indexes.pop(host, None)  # the kernel picks; read the indexes again when needed
            return 0
        table = self.indexes[host]
        table[name] = max(table.values()) + 1
        return table[name]

    @staticmethod
    def send(channel: netlink.Channel, ops: Sequence[Operation], requests: list[tuple]) -> None:
        for failure in channel.request(requests):
            op = ops[failure.index]
            if isinstance(op, DELETES) and netlink.is_missing(failure):
                continue  # already gone: deleting is idempotent
            raise ApplyError(op, failure.reason())

    def request(self, op: Operation, index: dict[str, int]) -> tuple:
        if isinstance(op, CreateLink):
            own_index = self.assign_index(op.host, op.name)
            if op.kind == "veth":
                peer = op.veth_peer()
                self.pending_aliases[Endpoint(op.host, op.name)] = messages.peer_alias(peer)
                self.pending_aliases[peer] = messages.peer_alias(Endpoint(op.host, op.name))
                peer_index = self.assign_index(peer.host, peer.ifname)
                return messages.create_link(op, self.fd(peer.host), own_index, peer_index)
            if op.kind == "vxlan":
                dev = op.tunnel().dev
                return messages.create_vxlan(op, index.get(dev) if dev else None, own_index)
            return messages.create_link(op, index=own_index)
        if isinstance(op, DeleteLink):
            self.indexes.pop(op.host, None)
            self.fresh.discard(op.host)
            return messages.delete_link(op)
        if isinstance(op, SetLink):
            master = index[op.master] if op.master else 0
            alias = self.pending_aliases.pop(Endpoint(op.host, op.name), None)
            return messages.set_link(op, master, alias)
        if not isinstance(op, (AddAddress, DeleteAddress, AddRoute, DeleteRoute)):
            raise TypeError(f"no netlink request for {op!r}")
        device = op.ifname if isinstance(op, (AddAddress, DeleteAddress)) else op.dev
        ifindex = index.get(device) if device else None
        if ifindex is None:
            raise ApplyError(op, "no such interface")
        if isinstance(op, AddAddress):
            return messages.add_address(op, ifindex)
        if isinstance(op, DeleteAddress):
            return messages.delete_address(op, ifindex)
        if isinstance(op, AddRoute):
            return messages.add_route(op, ifindex)
        return messages.delete_route(op, ifindex)

    def wait_for_bridge_ports(self, limit_s: float = BRIDGE_WAIT_S) -> None:
        """Return once every bridge port with a carrier forwards.

        A port starts forwarding when the kernel's link watcher handles its carrier event, and the
        watcher handles only 100 events a run: with hundreds of ports coming up at once, the rest wait
        up to a second. Until then frames are dropped, so a sandbox is not ready before this.
        """
        touched = {op.host for op in self.applied if isinstance(op, SetLink) and op.master is not None}
        deadline = time.monotonic() + limit_s
        for host in sorted(touched):
            channel = self.channel(host)
            while True:
                links = [decode.link(b) for b in channel.dump_raw(*messages.dump_links())]
                waiting = [
                    link.name
                    for link in links
                    if link.port_state is not None
                    and link.carrier
                    and link.flags & 1
                    and link.port_state != decode.BR_STATE_FORWARDING
                ]
                if not waiting or time.monotonic() > deadline:
                    break
                time.sleep(0.01)

    def flush_aliases(self) -> None:
        """Set the aliases of veth ends no SetLink touched (created down and detached)."""
        by_host: dict[str, list[tuple[str, str]]] = {}
        for end, alias in self.pending_aliases.items():
            by_host.setdefault(end.host, []).append((end.ifname, alias))
        self.pending_aliases.clear()
        for host, aliases in sorted(by_host.items()):
            ops = [SetLink(host, ifname, up=False, master=None) for ifname, _ in aliases]
            requests = [messages.set_link(op, 0, alias) for op, (_, alias) in zip(ops, aliases, strict=True)]
            self.send(self.channel(host), ops, requests)


def needs_index(op: Operation) -> bool:
    if isinstance(op, (AddAddress, DeleteAddress, AddRoute, DeleteRoute)):
        return True
    if isinstance(op, SetLink):
        return op.master is not None
    return isinstance(op, CreateLink) and op.kind == "vxlan"


def link_indexes(channel: netlink.Channel) -> dict[str, int]:
    return {info.name: info.index for info in map(decode.link, channel.dump_raw(*messages.dump_links()))}
