"""The raw-netlink floor: the single-switch topology built with as few syscalls as we know how, no Podpath.

This is the yardstick ``bench/build_teardown.py`` divides Podpath's times by. It shares no code with
netcore: namespaces are made with ``unshare`` + a bind mount through ctypes, rtnetlink requests are
packed by hand with ``struct``, and every namespace gets exactly one AF_NETLINK socket.

What the floor DOES (the same kernel state as Podpath's, minus the cosmetic attributes below):

- a named network namespace per host (``/run/netns/<name>``, what ``ip netns add`` makes): an empty
  file created with O_EXCL, ``unshare(CLONE_NEWNET)``, a bind mount of ``/proc/thread-self/ns/net``;
  the thread goes straight from one new namespace to the next (``unshare`` again) and returns home
  once at the end;
- the sysctls Podpath writes in every namespace (the bench passes netcore's own list, so the
  floor does the same writes; ``SYSCTLS`` is the default for standalone use), written while the
  thread is inside the namespace anyway (``sysctls={}`` skips them);
- in the switch: ``br0`` created already up; each veth pair created in one request with the switch
  end already up and enslaved to ``br0`` (IFLA_MASTER at creation) and the host end (``eth0``) born
  directly in the host's namespace (IFLA_NET_NS_FD) with an index we choose, so no lookup is needed;
  all of it in ONE sendmsg; ``lo`` up;
- in each host: ``lo`` up, ``eth0`` up and its address, in ONE sendmsg;
- only the last request of each datagram asks for an ACK: rtnetlink processes a datagram
  synchronously inside sendmsg and always reports errors, so one recv per socket confirms the batch
  (or returns the first error);
- teardown: ``umount2(MNT_DETACH)`` + ``unlink`` of each namespace file; the kernel destroys the
  namespaces (and every device in them) asynchronously.

What the floor does NOT do (Podpath does): /etc/netns files (resolv.conf, hosts), the sandbox record,
lock and runtime directory, MAC addresses / explicit MTUs / interface aliases (extra attributes in
requests that are sent anyway, so they cost bytes, not syscalls), no read-back, no planning, no
validation, no error recovery beyond removing what it created.

Requires root. Never touches the root network namespace: every interface is created inside a
namespace this module made, and the thread always returns to the namespace it started in.
"""

from __future__ import annotations

import ctypes
import errno
import os
import socket
import struct
import time

CLONE_NEWNET = 0x40000000
MS_BIND = 0x1000
MS_REC = 0x4000
MS_SHARED = 1 << 20
MNT_DETACH = 2
NETNS_DIR = "/run/netns"

NETLINK_ROUTE = 0
RTM_NEWLINK, RTM_DELLINK, RTM_GETLINK, RTM_NEWADDR = 16, 17, 18, 20
RTM_NEWNSID, RTM_DELNSID, RTM_GETNSID = 88, 89, 90
NETNSA_NSID, NETNSA_FD = 1, 3
NLMSG_DONE = 3
NLM_F_DUMP = 0x300
NLMSG_ERROR = 2
NLM_F_REQUEST, NLM_F_ACK, NLM_F_EXCL, NLM_F_CREATE = 0x1, 0x4, 0x200, 0x400
IFF_UP = 0x1
IFLA_IFNAME, IFLA_MASTER, IFLA_LINKINFO, IFLA_NET_NS_FD = 3, 10, 18, 28
IFLA_INFO_KIND, IFLA_INFO_DATA = 1, 2
VETH_INFO_PEER = 1
IFA_ADDRESS, IFA_LOCAL = 1, 2
RTMGRP_LINK = 1
RTNLGRP_NSID = 28

NLMSGHDR = struct.Struct("=IHHII")  # len, type, flags, seq, pid
IFINFOMSG = struct.Struct("=BxHiII")  # family, pad, type, index, flags, change
IFADDRMSG = struct.Struct("=BBBBi")  # family, prefixlen, flags, scope, index

# The sysctls Podpath writes in every namespace (netcore/topology/sysctls.py BASE, without the optional
# br_netfilter one), for standalone use; the bench passes netcore's actual list instead.
SYSCTLS: dict[str, str] = {
    "net.ipv6.conf.all.disable_ipv6": "1",
    "net.ipv6.conf.default.disable_ipv6": "1",
    "net.ipv4.ip_forward": "0",
    "net.ipv4.conf.all.rp_filter": "0",
    "net.ipv4.conf.default.rp_filter": "0",
    "net.ipv4.conf.all.promote_secondaries": "1",
    "net.ipv4.conf.default.promote_secondaries": "1",
}


def sysctl_paths(sysctls: dict[str, str]) -> list[tuple[str, bytes]]:
    return [("/proc/sys/" + k.replace(".", "/"), v.encode()) for k, v in sysctls.items()]


_libc = ctypes.CDLL(None, use_errno=True)
_libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_void_p]
_libc.umount2.argtypes = [ctypes.c_char_p, ctypes.c_int]


def _check(result: int, what: str) -> None:
    if result != 0:
        code = ctypes.get_errno()
        raise OSError(code, f"{what}: {os.strerror(code)}")


# -- netlink packing ---------------------------------------------------------------------------------


def attr(kind: int, payload: bytes) -> bytes:
    length = 4 + len(payload)
    return struct.pack("=HH", length, kind) + payload + b"\0" * (-length % 4)


def u32(kind: int, value: int) -> bytes:
    return attr(kind, struct.pack("=I", value))


def name_attr(kind: int, name: str) -> bytes:
    return attr(kind, name.encode() + b"\0")


def message(msg_type: int, flags: int, seq: int, body: bytes) -> bytes:
    return NLMSGHDR.pack(NLMSGHDR.size + len(body), msg_type, flags | NLM_F_REQUEST, seq, 0) + body


def ifinfo(index: int = 0, flags: int = 0, change: int = 0) -> bytes:
    return IFINFOMSG.pack(socket.AF_UNSPEC, 0, index, flags, change)


def link_up(seq: int, index: int, ack: bool = False) -> bytes:
    return message(RTM_NEWLINK, NLM_F_ACK if ack else 0, seq, ifinfo(index, IFF_UP, IFF_UP))


def new_bridge(seq: int, name: str, index: int, ack: bool = False) -> bytes:
    body = (
        ifinfo(index, IFF_UP, IFF_UP)
        + name_attr(IFLA_IFNAME, name)
        + attr(IFLA_LINKINFO, name_attr(IFLA_INFO_KIND, "bridge"))
    )
    return message(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL | (NLM_F_ACK if ack else 0), seq, body)


def new_veth(
    seq: int,
    name: str,
    index: int,
    peer: str,
    peer_index: int,
    peer_fd: int | None,
    master: int = 0,
    up: bool = True,
    ack: bool = False,
) -> bytes:
    """A veth pair; the peer is born in ``peer_fd``'s namespace (it cannot be brought up here: ENOTCONN).

    The kernel honours the peer's requested index only when the first end's index is requested too.
    """
    peer_attrs = name_attr(IFLA_IFNAME, peer)
    if peer_fd is not None:
        peer_attrs += u32(IFLA_NET_NS_FD, peer_fd)
    info = name_attr(IFLA_INFO_KIND, "veth") + attr(
        IFLA_INFO_DATA, attr(VETH_INFO_PEER, ifinfo(peer_index) + peer_attrs)
    )
    body = ifinfo(index, IFF_UP if up else 0, IFF_UP if up else 0) + name_attr(IFLA_IFNAME, name)
    if master:
        body += u32(IFLA_MASTER, master)
    body += attr(IFLA_LINKINFO, info)
    return message(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL | (NLM_F_ACK if ack else 0), seq, body)


def new_address(seq: int, index: int, ip: str, prefixlen: int, ack: bool = False) -> bytes:
    packed = socket.inet_aton(ip)
    body = IFADDRMSG.pack(socket.AF_INET, prefixlen, 0, 0, index) + attr(IFA_LOCAL, packed) + attr(IFA_ADDRESS, packed)
    return message(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL | (NLM_F_ACK if ack else 0), seq, body)


def new_nsid(seq: int, netns_fd: int, nsid: int) -> bytes:
    """Give the namespace behind ``netns_fd`` the id ``nsid`` in the socket's namespace (ack requested)."""
    body = (
        struct.pack("=Bxxx", socket.AF_UNSPEC) + u32(NETNSA_FD, netns_fd) + attr(NETNSA_NSID, struct.pack("=i", nsid))
    )
    return message(RTM_NEWNSID, NLM_F_ACK, seq, body)


def dump_nsids(seq: int) -> bytes:
    return message(RTM_GETNSID, NLM_F_DUMP, seq, struct.pack("=Bxxx", socket.AF_UNSPEC))


def expect_ack(sock: socket.socket, last_seq: int, what: str) -> None:
    """Read the one answer a batch produces: the last request's ACK, or the first error."""
    data = sock.recv(65536)
    _length, msg_type, _flags, seq, _pid = NLMSGHDR.unpack_from(data)
    if msg_type != NLMSG_ERROR:
        raise OSError(errno.EPROTO, f"{what}: unexpected netlink message type {msg_type}")
    code = -struct.unpack_from("=i", data, NLMSGHDR.size)[0]
    if code:
        raise OSError(code, f"{what}: request {seq} refused: {os.strerror(code)}")
    if seq != last_seq:
        raise OSError(errno.EPROTO, f"{what}: ack for {seq}, expected {last_seq}")


def route_socket() -> socket.socket:
    """A NETLINK_ROUTE socket in the calling thread's current namespace (it keeps that namespace)."""
    return socket.socket(socket.AF_NETLINK, socket.SOCK_RAW | socket.SOCK_CLOEXEC, NETLINK_ROUTE)


# -- named namespaces --------------------------------------------------------------------------------


def ensure_netns_dir() -> None:
    """Make sure /run/netns exists and is a shared mount point, as `ip netns add` does (idempotent)."""
    os.makedirs(NETNS_DIR, exist_ok=True)
    with open("/proc/self/mountinfo") as handle:
        if any(line.split()[4] == NETNS_DIR for line in handle):
            return
    target = NETNS_DIR.encode()
    _check(_libc.mount(target, target, b"none", MS_BIND | MS_REC, None), "bind /run/netns")
    _check(_libc.mount(b"", target, b"none", MS_SHARED | MS_REC, None), "share /run/netns")


def current_netns_fd() -> int:
    return os.open("/proc/thread-self/ns/net", os.O_RDONLY | os.O_CLOEXEC)


def setns(fd: int) -> None:
    _check(_libc.setns(fd, CLONE_NEWNET), "setns")


def new_named_netns(name: str) -> None:
    """Create /run/netns/<name> and move the calling thread into the new namespace (no way back here)."""
    path = f"{NETNS_DIR}/{name}"
    os.close(os.open(path, os.O_RDONLY | os.O_CREAT | os.O_EXCL, 0))
    try:
        _check(_libc.unshare(CLONE_NEWNET), f"unshare for {name}")
        _check(_libc.mount(b"/proc/thread-self/ns/net", path.encode(), b"none", MS_BIND, None), f"pin {name}")
    except BaseException:
        os.unlink(path)
        raise


def delete_named_netns(name: str) -> bool:
    """Unpin a named namespace; True if it existed. The kernel frees it once nothing else holds it."""
    path = f"{NETNS_DIR}/{name}"
    if _libc.umount2(path.encode(), MNT_DETACH) != 0 and ctypes.get_errno() not in (errno.EINVAL, errno.ENOENT):
        _check(-1, f"umount {name}")
    try:
        os.unlink(path)
    except FileNotFoundError:
        return False
    return True


def write_sysctls(paths: list[tuple[str, bytes]]) -> None:
    for path, value in paths:
        fd = os.open(path, os.O_WRONLY)
        try:
            os.write(fd, value)
        finally:
            os.close(fd)


# -- the topology ------------------------------------------------------------------------------------


def host_address(i: int) -> str:
    """Address of host i (h0 = 10.0.0.1) in 10.0.0.0/16; the same plan the bench gives Podpath."""
    return f"10.0.{(i + 1) // 256}.{(i + 1) % 256}"


class RawSwitch:
    """One single-switch topology built by hand; namespaces are ``<prefix>switch`` and ``<prefix>h<i>``."""

    def __init__(self, prefix: str, n: int, sysctls: dict[str, str] | None = None) -> None:
        """``sysctls``: written in every namespace (default ``SYSCTLS``; ``{}`` for none)."""
        self.prefix = prefix
        self.n = n
        self.sysctl_paths = sysctl_paths(SYSCTLS if sysctls is None else sysctls)
        self.created: list[str] = []  # namespace names, in creation order
        self.phases: dict[str, float] = {}

    def namespaces(self) -> list[str]:
        return [self.prefix + "switch"] + [f"{self.prefix}h{i}" for i in range(self.n)]

    def build(self) -> None:
        """Build it; on failure remove whatever was created and re-raise."""
        n = self.n
        fds: list[int] = []
        socks: list[socket.socket] = []
        sysctl_s = 0.0
        t0 = time.perf_counter()
        home = current_netns_fd()
        try:
            try:
                for name in self.namespaces():
                    new_named_netns(name)
                    self.created.append(name)
                    if self.sysctl_paths:
                        s = time.perf_counter()
                        write_sysctls(self.sysctl_paths)
                        sysctl_s += time.perf_counter() - s
                    socks.append(route_socket())
                    fds.append(current_netns_fd())
            finally:
                setns(home)
            t1 = time.perf_counter()
            # Switch: lo up, br0 (index 2) up, port p<i> (index 3+i) up in br0, its peer eth0 (index 2 in
            # the host's fresh namespace: lo is 1) born in the host. One datagram, one ACK.
            parts = [link_up(1, 1), new_bridge(2, "br0", 2, ack=n == 0)]
            for i in range(n):
                parts.append(new_veth(3 + i, f"p{i}", 3 + i, "eth0", 2, fds[1 + i], master=2, ack=i == n - 1))
            socks[0].sendall(b"".join(parts))
            expect_ack(socks[0], 2 + n, "switch")
            t2 = time.perf_counter()
            for i in range(n):
                sock = socks[1 + i]
                sock.sendall(link_up(1, 1) + link_up(2, 2) + new_address(3, 2, host_address(i), 16, ack=True))
                expect_ack(sock, 3, f"host h{i}")
            t3 = time.perf_counter()
        except BaseException:
            self._close(socks, fds)
            os.close(home)
            self.teardown()
            raise
        self._close(socks, fds)
        os.close(home)
        t4 = time.perf_counter()
        self.phases = {
            "namespaces (file, unshare, mount, socket)": t1 - t0 - sysctl_s,
            "sysctls": sysctl_s,
            "switch batch (bridge, veths)": t2 - t1,
            "host batches (lo, eth0, address)": t3 - t2,
            "close sockets and fds": t4 - t3,
        }

    @staticmethod
    def _close(socks: list[socket.socket], fds: list[int]) -> None:
        for sock in socks:
            sock.close()
        for fd in fds:
            os.close(fd)
        socks.clear()
        fds.clear()

    def teardown(self) -> None:
        """Unpin every namespace this object created, in sorted name order (as Podpath deletes)."""
        for name in sorted(self.created):
            delete_named_netns(name)
        self.created.clear()
