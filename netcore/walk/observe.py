"""Watch a sandbox while a walk travels: packet sockets everywhere, nftables tracing where rules are.

The kernel side of the walk's sources, all opened before the request leaves and read once it is
answered (or timed out):

- one AF_PACKET socket per namespace, created inside it and bound to no interface, so it sees every
  interface of that namespace, both directions, each frame stamped by the kernel (SO_TIMESTAMPNS):
  the stamps order hops across namespaces;
- in each namespace with a ruleset, a table of the walk's own (``inet podpath-trace-<id>``) whose
  prerouting and output chains, at a priority before everything else, set ``meta nftrace`` on the
  walk's protocols, and a netfilter netlink socket subscribed to the trace group and to conntrack's
  new and destroy events; the kernel queues both while it processes the packet, so reading after the
  answer misses nothing (unlike ``nft monitor trace``, whose output would have to be waited for);
- after the exchange: each conntrack entry the events announced, read again by its tuple (its state
  now), and each namespace's rule listing with handles (libnftables, in-process).

The trace tables are removed on every way out (``close``); no process is started. Sockets are entered
into a namespace only for the ``socket()`` call (the fd keeps it).
"""

from __future__ import annotations

import os
import secrets
import select
import socket
import struct
import threading
import time

from netcore.errors import NotFound, PodpathError
from netcore.kernel import decode, netns, nft
from netcore.kernel.ctnetlink import CT_DELETE, CT_GET, CT_NEW, CTA_TUPLE_ORIG
from netcore.render import nftables
from netcore.walk.nftrace import NFNLGRP_NFTRACE
from netcore.walk.recording import Captured

ETH_P_ALL = 0x0003
SO_TIMESTAMPNS = 35
SO_RCVBUFFORCE = 33
SOL_NETLINK = 270
NETLINK_ADD_MEMBERSHIP = 1
NETLINK_NETFILTER = 12
NLM_F_REQUEST, NLM_F_DUMP = 0x1, 0x300
NLMSG_ERROR, NLMSG_DONE = 2, 3
BUFFER = 4 << 20
SNAPLEN = 512
CLOCK_PROBE = b"podpath-walk: are packets stamped yet?"
NFNLGRP_CONNTRACK_NEW, NFNLGRP_CONNTRACK_DESTROY = 1, 3


class Observer:
    """Packet sockets in ``hosts``, trace tables and trace sockets in ``rule_hosts``; a context manager."""

    def __init__(
        self, sandbox: str, hosts: list[str], rule_hosts: list[str], protocols: set[str], clock_host: str | None = None
    ) -> None:
        self.sandbox = sandbox
        self.clock_host = clock_host
        self.hosts = hosts
        self.rule_hosts = [h for h in rule_hosts if h in hosts]
        self.protocols = protocols
        self.table = nftables.TRACE_TABLE_PREFIX + secrets.token_hex(4)
        self.fds: dict[str, int] = {}
        self.packet: dict[str, socket.socket] = {}
        self.trace: dict[str, socket.socket] = {}
        self.conntrack: dict[str, socket.socket] = {}
        self.tables: list[str] = []  # hosts where the trace table is loaded

    def __enter__(self) -> Observer:
        try:
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self) -> None:
        from netcore import names

        for host in self.hosts:
            try:
                self.fds[host] = netns.open_fd(names.netns_name(self.sandbox, host))
            except NotFound:
                continue  # gone since the sandbox was read (a pod deleted meanwhile)
        for host, fd in self.fds.items():
            with netns.entered(fd):
                sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW | socket.SOCK_NONBLOCK, socket.htons(ETH_P_ALL))
                if host in self.rule_hosts:
                    trace = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW | socket.SOCK_NONBLOCK, NETLINK_NETFILTER)
                    self.trace[host] = trace
                    self.conntrack[host] = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER)
            self.packet[host] = sock
            sock.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, BUFFER)
            sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        for host, trace in self.trace.items():
            trace.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, BUFFER)
            trace.bind((0, 0))
            # Conntrack events too: an entry can die before the dump (a reset in SYN_SENT deletes it).
            for group in (NFNLGRP_NFTRACE, NFNLGRP_CONNTRACK_NEW, NFNLGRP_CONNTRACK_DESTROY):
                trace.setsockopt(SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, group)
            self.tables.append(host)  # before loading: a half-done load is still removed
            nft.add_trace_table(self.fds[host], self.table, self.protocols)
        if self.clock_host in self.packet:
            self.await_timestamps(self.clock_host)

    def close(self) -> None:
        """Remove the trace tables and close every socket, whatever happened before."""
        errors = []
        for host in self.tables:
            try:
                nft.delete_trace_table(self.fds[host], self.table)
            except PodpathError as error:
                errors.append(f"{host}: {error}")
        self.tables.clear()
        close_later([*self.packet.values(), *self.trace.values(), *self.conntrack.values()])
        self.packet.clear()
        self.trace.clear()
        self.conntrack.clear()
        for fd in self.fds.values():
            os.close(fd)
        self.fds.clear()
        if errors:
            raise PodpathError("could not remove the walk's trace table: " + "; ".join(errors))

    def await_timestamps(self, host: str, deadline: float = 1.0) -> bool:
        """Return once the kernel stamps packets as they pass (True), or after ``deadline`` (False).

        The first socket asking for timestamps switches them on through a work queue, later; until
        then a packet carries no stamp and recvmsg stamps it when it is read, after the exchange, which
        scrambles the hops' order. A datagram to the discard port on the host's loopback, read back
        from its packet socket, shows which: a stamp from before the read means they are on.
        """
        sock = self.packet[host]
        end = time.monotonic() + deadline
        with netns.entered(self.fds[host]):
            probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)
        try:
            while time.monotonic() < end:
                try:
                    probe.sendto(CLOCK_PROBE, ("127.0.0.1", 9))
                except OSError:
                    return False  # no loopback there: go on without the check
                sent = time.time_ns()
                while select.select([sock], [], [], max(0.0, end - time.monotonic()))[0]:
                    stamp, data = read_one(sock)
                    if data is not None and CLOCK_PROBE in data:
                        if stamp <= sent:
                            return True
                        break  # stamped on reading: not on yet, ask again
                    if data is None:
                        break
            return False
        finally:
            probe.close()

    # -- reading ---------------------------------------------------------------------------------

    def read_captures(self) -> list[Captured]:
        out = []
        buffer = bytearray(SNAPLEN)
        for host, sock in self.packet.items():
            while True:
                try:
                    size, ancdata, _flags, address = sock.recvmsg_into([buffer], ANCILLARY, socket.MSG_TRUNC)
                except BlockingIOError:
                    break
                out.append(
                    Captured(host, address[0], address[2], stamp_of(ancdata), bytes(buffer[: min(size, SNAPLEN)]), size)
                )
        return out

    def read_events(self) -> tuple[dict[str, list[bytes]], dict[str, list[bytes]]]:
        """Return (trace datagrams, conntrack event bodies) per namespace, as queued so far."""
        traces: dict[str, list[bytes]] = {}
        events: dict[str, list[bytes]] = {}
        for host, sock in self.trace.items():
            datagrams, entries = traces.setdefault(host, []), events.setdefault(host, [])
            while True:
                try:
                    data = sock.recv(1 << 20)
                except BlockingIOError:
                    break
                datagrams.append(data)
                entries += [body for kind, _seq, body, _flags in decode.messages(data) if kind in (CT_NEW, CT_DELETE)]
        return traces, events

    def read_conntrack(self, events: dict[str, list[bytes]], traces: dict[str, list[bytes]]) -> dict[str, list[bytes]]:
        """The conntrack entries made during the walk, as they stand after the exchange.

        Every entry the walk made was announced by an event (its tuples final once confirmed); each is
        read again by its original tuple (the state now), and the event stands for one already gone
        (a reset in SYN_SENT deletes it). A whole dump walks every bucket of the namespace's hash
        table (9 ms each, however few entries): it is the fallback for a namespace that traced
        packets but sent no conntrack event (events switched off there).
        """
        out = {}
        for host, sock in self.conntrack.items():
            announced = events.get(host, [])
            try:
                if announced:
                    out[host] = read_entries(sock, announced) + announced
                elif traces.get(host):
                    out[host] = dump_conntrack(sock)
            except OSError:
                out[host] = announced  # no conntrack in that namespace
        return out

    def read_rules(self, hosts: set[str]) -> dict[str, str]:
        out = {}
        for host in sorted(hosts & set(self.fds)):
            try:
                out[host] = nft.run_in(
                    self.fds[host],
                    "list table inet podpath",
                    nft.OUTPUT_STATELESS | nft.OUTPUT_HANDLE | nft.OUTPUT_TERSE,
                )
            except PodpathError:
                out[host] = ""
        return out


ANCILLARY = socket.CMSG_SPACE(16)


def stamp_of(ancdata) -> int:
    for level, kind, data in ancdata:
        if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS:
            seconds, nanoseconds = struct.unpack("qq", data[:16])
            return seconds * 1_000_000_000 + nanoseconds
    return 0


def read_one(sock: socket.socket) -> tuple[int, bytes | None]:
    """Read one frame from a packet socket: (its stamp, its first bytes), or (0, None) if none waits."""
    buffer = bytearray(SNAPLEN)
    try:
        size, ancdata, _flags, _address = sock.recvmsg_into([buffer], ANCILLARY, socket.MSG_TRUNC)
    except BlockingIOError:
        return 0, None
    return stamp_of(ancdata), bytes(buffer[: min(size, SNAPLEN)])


def close_later(sockets: list[socket.socket], workers: int = 16) -> None:
    """Close sockets in the background, several at once.

    Closing a packet socket waits for an RCU grace period (synchronize_net) and a netlink socket
    costs milliseconds too: one after the other, a cluster's sockets took 130 ms. Nothing waits for
    them, and closed from several threads the grace periods overlap.
    """

    def close_all(chunk: list[socket.socket]) -> None:
        for sock in chunk:
            sock.close()

    for index in range(min(workers, len(sockets))):
        threading.Thread(target=close_all, args=(sockets[index::workers],), name="walk-close", daemon=True).start()


def read_entries(sock: socket.socket, announced: list[bytes], timeout: float = 1.0) -> list[bytes]:
    """Ask for each announced entry by its original tuple; return the bodies of those still there."""
    bound(sock)
    requests, wanted = [], set()
    for seq, body in enumerate(announced, start=1):
        original = original_tuple_attribute(body)
        if original is None:
            continue
        payload = bytes([socket.AF_INET, 0, 0, 0]) + original
        requests.append(decode.nlmsg(CT_GET, NLM_F_REQUEST, seq, payload))
        wanted.add(seq)
    if not requests:
        return []
    sock.sendall(b"".join(requests))
    out = []
    while wanted:
        ready, _, _ = select.select([sock], [], [], timeout)
        if not ready:
            break
        data = sock.recv(1 << 20)
        for msg_type, seq, body, _flags in decode.messages(data):
            if msg_type == CT_NEW:
                out.append(body)
            wanted.discard(seq)  # an answer, or an error (ENOENT: gone since the event)
    return out


def original_tuple_attribute(body: bytes) -> bytes | None:
    """The raw CTA_TUPLE_ORIG attribute of a ctnetlink message body (header included)."""
    offset = 4  # nfgenmsg
    while offset + 4 <= len(body):
        length, kind = struct.unpack_from("=HH", body, offset)
        if length < 4:
            return None
        if kind & 0x3FFF == CTA_TUPLE_ORIG:
            return body[offset : offset + ((length + 3) & ~3)]
        offset += (length + 3) & ~3
    return None


def bound(sock: socket.socket) -> None:
    if sock.getsockname()[0] == 0:
        sock.bind((0, 0))


def dump_conntrack(sock: socket.socket, timeout: float = 1.0) -> list[bytes]:
    """Return the body of every conntrack entry (IPv4) of the socket's namespace."""
    bound(sock)
    sock.sendall(decode.nlmsg(CT_GET, NLM_F_REQUEST | NLM_F_DUMP, 1, bytes([socket.AF_INET, 0, 0, 0])))
    out: list[bytes] = []
    while True:
        ready, _, _ = select.select([sock], [], [], timeout)
        if not ready:
            raise OSError("conntrack dump: no answer")
        for msg_type, _seq, body, _flags in decode.messages(sock.recv(1 << 20)):
            if msg_type == NLMSG_DONE:
                return out
            if msg_type == NLMSG_ERROR:
                code = -struct.unpack_from("=i", body)[0]
                if code:
                    raise OSError(code, os.strerror(code))
                return out
            out.append(body)
