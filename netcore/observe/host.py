"""One host's kernel handles: event sockets, dump sockets and the counters file, opened inside its namespace.

The thread enters the namespace once, for the ``socket()`` and ``open()`` calls that bind these
handles to it (a socket's namespace is fixed when it is created), and leaves. Every handle pins the
namespace: a deleted namespace lives on, devices and all, until ``close()``; the observer closes a
host as soon as its name leaves /run/netns.

Per host: an rtnetlink socket subscribed to link, IPv4 address and IPv4 route events; a netfilter
socket subscribed to conntrack NEW/UPDATE/DESTROY; another subscribed to nftables trace events; one
rtnetlink and one netfilter socket for dumps (so dump replies never interleave with events);
``/proc/thread-self/net/dev`` for counters; and ``nf_conntrack_count``, which says in one read
whether a conntrack dump (costly) can find anything.
"""

from __future__ import annotations

import errno
import itertools
import os
import socket
import struct
from collections.abc import Mapping
from concurrent.futures import Future

from netcore.errors import NotFound
from netcore.kernel import decode, netlink, netns
from netcore.observe import conntrack, procnet, rtnl, trace
from netcore.observe.model import Address, ConntrackEntry, ConntrackKey, HostState, IfCounters, Link, Route

NSFS_DEV = os.stat("/proc/self/ns/net").st_dev  # every namespace file lives on this device
SO_RCVBUFFORCE = 33
NETLINK_GET_STRICT_CHK = 12
NLM_F_DUMP_INTR = 0x10
EVENT_BUFFER = 4 << 20  # a 200-host build queues ~1 MB of link events in a switch's namespace
RECV_SIZE = 65536  # larger than any netlink datagram the kernel builds (dumps stop at 32 KB)
CONNTRACK_COUNT = "/proc/sys/net/netfilter/nf_conntrack_count"
GET_BATCH = 256  # conntrack lookups per datagram
DUMP_TIMEOUT = 5.0


class DumpInterrupted(Exception):
    pass


def read_to_end(fd: int) -> bytes:
    """Re-read a seq_file from its start: the kernel hands out about a page per ``read()``."""
    os.lseek(fd, 0, os.SEEK_SET)
    chunks = []
    while chunk := os.read(fd, 65536):
        chunks.append(chunk)
    return b"".join(chunks)


def namespace_inode(namespace: str) -> int | None:
    """Return the inode of a named namespace, or None if the name is missing or not yet mounted.

    ``ip netns add`` and the writer create the file first and bind-mount the namespace on it next;
    in between the name exists but is an empty file.
    """
    try:
        st = os.stat(netns.path_of(namespace))
    except FileNotFoundError:
        return None
    return st.st_ino if st.st_dev == NSFS_DEV else None


def _event_socket(protocol: int) -> socket.socket:
    sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW | socket.SOCK_NONBLOCK | socket.SOCK_CLOEXEC, protocol)
    try:
        sock.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, EVENT_BUFFER)
    except OSError:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, EVENT_BUFFER)
    return sock


class HostWatch:
    """The handles of one host; ``read_*`` ask the kernel now, ``drain_*`` take the queued events."""

    def __init__(self, host: str, namespace: str, inode: int) -> None:
        self.host = host
        self.namespace = namespace
        self.inode = inode
        self._handles: list = []
        self._seq = itertools.count(1)  # request numbers; next() is atomic under the GIL
        self.events: socket.socket
        self.ct_events: socket.socket
        self.nft_events: socket.socket
        self.route: netlink.Channel
        self.netfilter: netlink.Channel
        self.counters_fd: int
        self.ct_count_fd: int | None = None
        self.last_net_dev: bytes | None = None
        # Entries known from a dump only: created before anything listened, they send no events (the
        # kernel's default nf_conntrack_events=2 gives events only to entries born with a listener),
        # so they are looked up one by one until they are gone.
        self.untracked: set[ConntrackKey] = set()
        self.untracked_checked: tuple[float, int | None] = (0.0, -1)  # (when, conntrack count then)
        self.dump: Future | None = None  # a conntrack dump running on a worker thread, using ``netfilter``

    @classmethod
    def open(cls, host: str, namespace: str) -> HostWatch | None:
        """Open a host's handles; None if its namespace is gone or not mounted yet."""
        try:
            fd = netns.open_fd(namespace)
        except NotFound:
            return None
        try:
            st = os.fstat(fd)
            if st.st_dev != NSFS_DEV:
                return None
            watch = cls(host, namespace, st.st_ino)
            try:
                with netns.entered(fd):
                    watch._open_inside()
                watch.events.bind((0, rtnl.GROUPS))
                watch.ct_events.bind((0, conntrack.GROUPS))
                watch.nft_events.bind((0, trace.GROUPS))
            except BaseException:
                watch.close()
                raise
        finally:
            os.close(fd)
        return watch

    def _open_inside(self) -> None:
        self.events = self._keep(_event_socket(netlink.NETLINK_ROUTE))
        self.ct_events = self._keep(_event_socket(netlink.NETLINK_NETFILTER))
        # Trace events get a socket of their own, not a group more on ``ct_events``: that socket's
        # reader pauses while the conntrack table is dumped, and its overflow means "dump the table
        # again". Traces are events with nothing to read again, and a flood of them (someone tracing
        # all traffic) must neither push conntrack events out of the buffer nor cost dumps. Apart,
        # each path stays as simple as it is; an idle socket costs an fd and nothing else.
        self.nft_events = self._keep(_event_socket(netlink.NETLINK_NETFILTER))
        self.route = self._keep(netlink.Channel(netlink.NETLINK_ROUTE))
        # Strict checking makes the kernel honour the table in a route dump request: main table only.
        self.route.sock.setsockopt(netlink.SOL_NETLINK, NETLINK_GET_STRICT_CHK, 1)
        self.netfilter = self._keep(netlink.Channel(netlink.NETLINK_NETFILTER))
        for channel in (self.route, self.netfilter):
            channel.sock.settimeout(DUMP_TIMEOUT)  # a lost answer fails the host, never hangs the loop
        self.counters_fd = os.open("/proc/thread-self/net/dev", os.O_RDONLY | os.O_CLOEXEC)
        self._handles.append(self.counters_fd)
        try:  # net sysctls resolve to the namespace of the thread that opens them, and stay bound to it
            self.ct_count_fd = os.open(CONNTRACK_COUNT, os.O_RDONLY | os.O_CLOEXEC)
            self._handles.append(self.ct_count_fd)
        except FileNotFoundError:  # a kernel without conntrack
            self.ct_count_fd = None

    def _keep(self, handle):
        self._handles.append(handle)
        return handle

    def close(self) -> None:
        """Close every handle, so nothing of this process pins the namespace any more."""
        for handle in self._handles:
            if isinstance(handle, int):
                os.close(handle)
            else:
                handle.close()
        self._handles.clear()

    def __del__(self) -> None:
        # A dropped observer must not leave raw fds pinning namespaces (sockets close themselves).
        self.close()

    # -- reading the kernel now -------------------------------------------------------------------

    def read_host(self, conntrack: bool = True) -> HostState:
        """Read everything of the host now (``conntrack=False``: all but its conntrack table)."""
        links = self.read_links()
        return HostState(
            links=links,
            addresses=self.read_addresses(links),
            routes=self.read_routes(),
            counters=self.read_counters(links, force=True) or {},
            conntrack=self.read_conntrack(if_any=True) if conntrack else {},
        )

    def read_links(self) -> dict[int, Link]:
        return {link.index: link for link in map(rtnl.link, self._dump(self.route.sock, rtnl.RTM_GETLINK))}

    def read_addresses(self, links: dict[int, Link]) -> frozenset[Address]:
        found = (rtnl.address(body) for body in self._dump(self.route.sock, rtnl.RTM_GETADDR))
        return frozenset(a for a in found if a is not None and a.index in links)

    def read_routes(self) -> frozenset[Route]:
        found = (rtnl.route(body) for body in self._dump(self.route.sock, rtnl.RTM_GETROUTE))
        return frozenset(r for r in found if r is not None)

    def read_counters(self, links: Mapping[int, Link], force: bool = False) -> dict[int, IfCounters] | None:
        """Return counters of the given links; None when the file's bytes did not change since the last read."""
        raw = read_to_end(self.counters_fd)
        if raw == self.last_net_dev and not force:
            return None
        self.last_net_dev = raw
        by_name = procnet.parse_net_dev(raw)
        return {index: by_name[link.name] for index, link in links.items() if link.name in by_name}

    def conntrack_count(self) -> int | None:
        """Return how many connections the namespace tracks (O(1)); None if the kernel has no conntrack."""
        if self.ct_count_fd is None:
            return None
        return int(os.pread(self.ct_count_fd, 32, 0))

    def read_conntrack(self, if_any: bool = False) -> dict[ConntrackKey, ConntrackEntry]:
        """Dump the namespace's conntrack table; with ``if_any``, skip the dump when it tracks nothing.

        A dump walks the hash table every namespace shares (~14 ms here), the count is one read.
        """
        if if_any and not self.conntrack_count():
            return {}
        found = (conntrack.entry(body) for body in self._dump(self.netfilter.sock, None))
        return {e.key: e for e in found if e is not None}

    def get_conntrack(self, keys: list[ConntrackKey]) -> dict[ConntrackKey, ConntrackEntry | None]:
        """Look entries up by tuple (None: gone); requests go out many to a datagram."""
        out: dict[ConntrackKey, ConntrackEntry | None] = {}
        sock = self.netfilter.sock
        for start in range(0, len(keys), GET_BATCH):
            wanted: dict[int, ConntrackKey] = {}
            requests = []
            for key in keys[start : start + GET_BATCH]:
                seq = next(self._seq)
                wanted[seq] = key
                requests.append(conntrack.get_request(key, seq))
            sock.sendall(b"".join(requests))
            while wanted:
                for reply_type, seq, body, _flags in decode.messages(sock.recv(RECV_SIZE)):
                    answered = wanted.pop(seq, None)
                    if answered is None:
                        continue
                    if reply_type == netlink.NLMSG_ERROR:
                        code = -struct.unpack_from("=i", body)[0]
                        if code not in (errno.ENOENT, 0):
                            raise OSError(code, f"conntrack lookup in {self.namespace}: {os.strerror(code)}")
                        out[answered] = None
                    else:
                        out[answered] = conntrack.entry(body)
        return out

    def _dump(self, sock: socket.socket, msg_type: int | None) -> list[bytes]:
        for _attempt in range(5):
            try:
                return self._dump_once(sock, msg_type)
            except DumpInterrupted:
                continue  # the table changed under the dump: the kernel says so; read it again
        return self._dump_once(sock, msg_type, tolerate=True)

    def _dump_once(self, sock: socket.socket, msg_type: int | None, tolerate: bool = False) -> list[bytes]:
        wanted = next(self._seq)  # a conntrack dump runs on a worker thread: never share the number
        request = conntrack.dump_request(wanted) if msg_type is None else rtnl.dump_request(msg_type, wanted)
        sock.sendall(request)
        out: list[bytes] = []
        interrupted = False
        while True:
            data = sock.recv(RECV_SIZE)
            for reply_type, seq, body, flags in decode.messages(data):
                if seq != wanted:
                    continue  # the tail of an abandoned dump
                interrupted |= bool(flags & NLM_F_DUMP_INTR)
                if reply_type == netlink.NLMSG_DONE:
                    if interrupted and not tolerate:
                        raise DumpInterrupted()
                    return out
                if reply_type == netlink.NLMSG_ERROR:
                    code = -struct.unpack_from("=i", body)[0]
                    if code:
                        raise OSError(code, f"netlink dump in {self.namespace}: {os.strerror(code)}")
                    return out
                out.append(body)

    # -- taking queued events ---------------------------------------------------------------------

    @staticmethod
    def drain(sock: socket.socket, limit: int | None = None) -> tuple[list[tuple[int, bytes]], bool]:
        """Return every queued (type, body) and whether the kernel dropped some (ENOBUFS).

        With a ``limit``, stop after that many datagrams: the rest stays queued for the next wakeup.
        """
        messages: list[tuple[int, bytes]] = []
        overflow = False
        for _ in itertools.repeat(None) if limit is None else range(limit):
            try:
                data = sock.recv(RECV_SIZE)
            except BlockingIOError:
                return messages, overflow
            except OSError as error:
                if error.errno != errno.ENOBUFS:
                    raise
                overflow = True
                continue
            messages += [(msg_type, body) for msg_type, _seq, body, _flags in decode.messages(data)]
        return messages, overflow
