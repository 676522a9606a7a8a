"""Outgoing traffic from inside a pod's namespace: what agnhost's /dial needs.

A socket belongs to the namespace that was current when it was created, so each one is created while
the thread is inside the pod's namespace, then driven by the event loop like any other. Names are
resolved as the pod would resolve them: its hosts file, then the nameservers of its resolv.conf (the
files `ip netns exec` mounts from /etc/netns/<namespace>/), asked from inside the namespace. The
runner's own resolver is never used: it would ask the machine's DNS, from the root namespace.
dnslib is imported on the first name lookup: a runner that never resolves does not carry it.
"""

from __future__ import annotations

import asyncio
import os
import socket
import time
from dataclasses import dataclass

from netcore import names
from netcore.ipv4 import is_ipv4
from netcore.kernel import netns

MAX_RESPONSE_BYTES = 1024 * 1024
DNS_TIMEOUT_S = 2.0


class LookupFailed(Exception):
    """A name the pod cannot resolve; the message reads like Go's (``lookup x on 10.96.0.10:53: ...``)."""


class ExchangeFailed(Exception):
    """A datagram exchange that got no answer; carries our end's address, which Go's message names."""

    def __init__(self, local: tuple[str, int], cause: BaseException) -> None:
        super().__init__(str(cause))
        self.local = local
        self.cause = cause


@dataclass(frozen=True)
class ResolvConf:
    nameservers: tuple[str, ...] = ()
    search: tuple[str, ...] = ()
    ndots: int = 1


def parse_resolv_conf(text: str) -> ResolvConf:
    nameservers, search, ndots = [], [], 1
    for line in text.splitlines():
        words = line.split("#", 1)[0].split()
        if len(words) < 2:
            continue
        if words[0] == "nameserver" and is_ipv4(words[1]):
            nameservers.append(words[1])
        elif words[0] in ("search", "domain"):
            search = [w.rstrip(".") for w in words[1:]]
        elif words[0] == "options":
            for option in words[1:]:
                if option.startswith("ndots:") and option[6:].isdigit():
                    ndots = min(int(option[6:]), 15)
    return ResolvConf(tuple(nameservers), tuple(search), ndots)


def parse_hosts(text: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for line in text.splitlines():
        words = line.split("#", 1)[0].split()
        if len(words) >= 2 and is_ipv4(words[0]):
            for name in words[1:]:
                found.setdefault(name.lower(), words[0])
    return found


def candidates(name: str, conf: ResolvConf) -> list[str]:
    """Return the names to ask, in the order a glibc or Go resolver would."""
    if name.endswith("."):
        return [name.rstrip(".")]
    searched = [f"{name}.{domain}" for domain in conf.search]
    return [name, *searched] if name.count(".") >= conf.ndots else [*searched, name]


class PodNetwork:
    """Open sockets inside one namespace and close whatever is still open when its server stops."""

    __slots__ = ("namespace", "open")

    def __init__(self, namespace: str) -> None:
        self.namespace = namespace
        self.open: set[socket.socket] | None = None

    def open_socket(self, kind: int) -> socket.socket:
        """Create a non-blocking IPv4 socket inside the namespace."""
        fd = netns.open_fd(self.namespace)
        try:
            with netns.entered(fd):
                sock = socket.socket(socket.AF_INET, kind)
        finally:
            os.close(fd)
        sock.setblocking(False)
        if self.open is None:
            self.open = set()
        self.open.add(sock)
        return sock

    def release(self, sock: socket.socket) -> None:
        if self.open is not None:
            self.open.discard(sock)
        sock.close()

    def close(self) -> None:
        """Close every socket still open: a socket pins its namespace."""
        for sock in list(self.open or ()):
            self.release(sock)

    def etc_file(self, name: str) -> str | None:
        try:
            return (names.etc_netns_dir(self.namespace) / name).read_text()
        except OSError:
            return None

    async def resolve(self, host: str) -> str:
        """Return the IPv4 address of ``host`` as seen from the pod, or raise LookupFailed."""
        from dnslib import DNSError

        if host == "":
            return "127.0.0.1"  # Go dials the local system for an empty host
        if is_ipv4(host):
            return host
        hosts = parse_hosts(self.etc_file("hosts") or "")
        if host.lower() in hosts:
            return hosts[host.lower()]
        if host.lower() == "localhost":
            return "127.0.0.1"
        conf = parse_resolv_conf(self.etc_file("resolv.conf") or "")
        if not conf.nameservers:
            raise LookupFailed(f"lookup {host}: no nameserver in the pod's resolv.conf")
        failure = "no such host"
        for name in candidates(host, conf):
            for server in conf.nameservers:
                try:
                    address, final = await self.query_a(server, name)
                except (TimeoutError, OSError, DNSError) as error:
                    failure = "i/o timeout" if isinstance(error, asyncio.TimeoutError) else describe(error)
                    continue
                if address:
                    return address
                if final:
                    break  # the server answered: no such name, try the next candidate
        raise LookupFailed(f"lookup {host} on {conf.nameservers[0]}:53: {failure}")

    async def query_a(self, server: str, name: str) -> tuple[str | None, bool]:
        """Ask one nameserver for an A record: (address or None, whether the server answered)."""
        from dnslib import QTYPE, RCODE, DNSRecord

        query = DNSRecord.question(name, "A")
        sock = self.open_socket(socket.SOCK_DGRAM)
        loop = asyncio.get_running_loop()
        try:
            await loop.sock_connect(sock, (server, 53))
            await loop.sock_sendall(sock, query.pack())
            deadline = time.monotonic() + DNS_TIMEOUT_S
            while True:
                data = await asyncio.wait_for(loop.sock_recv(sock, 4096), max(0.0, deadline - time.monotonic()))
                reply = DNSRecord.parse(data)
                if reply.header.id == query.header.id:
                    break
        finally:
            self.release(sock)
        if reply.header.rcode not in (RCODE.NOERROR, RCODE.NXDOMAIN):
            raise OSError(f"server misbehaving ({RCODE.get(reply.header.rcode)})")
        address = next((str(rr.rdata) for rr in reply.rr if rr.rtype == QTYPE.A), None)
        return address, True

    async def http_get(self, address: tuple[str, int], target: str, timeout: float) -> bytes:
        """GET ``target`` from ``address`` over a connection made inside the pod; return the body."""
        sock = self.open_socket(socket.SOCK_STREAM)
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(timeout):
                await loop.sock_connect(sock, address)
                request = (
                    f"GET {target} HTTP/1.1\r\nHost: {address[0]}:{address[1]}\r\n"
                    "User-Agent: Go-http-client/1.1\r\nConnection: close\r\n\r\n"
                )
                await loop.sock_sendall(sock, request.encode("latin-1", "replace"))
                return await read_http_body(loop, sock)
        finally:
            self.release(sock)

    async def udp_exchange(self, address: tuple[str, int], payload: bytes, timeout: float, size: int = 2048) -> bytes:
        """Send one datagram from inside the pod and wait for one answer; raise ExchangeFailed if none."""
        sock = self.open_socket(socket.SOCK_DGRAM)
        loop = asyncio.get_running_loop()
        try:
            await loop.sock_connect(sock, address)  # connected: an ICMP error comes back as ECONNREFUSED
            local = sock.getsockname()
            try:
                await loop.sock_sendall(sock, payload)
                return await asyncio.wait_for(loop.sock_recv(sock, size), timeout)
            except (TimeoutError, OSError) as error:
                raise ExchangeFailed(local, error) from error
        finally:
            self.release(sock)


async def read_http_body(loop: asyncio.AbstractEventLoop, sock: socket.socket) -> bytes:
    """Read one HTTP/1.1 response and return its body (Content-Length, chunked, or up to EOF)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = await loop.sock_recv(sock, 65536)
        if not chunk:
            raise ConnectionResetError(104, "EOF before the response headers")
        data += chunk
        if len(data) > MAX_RESPONSE_BYTES:
            raise OSError("response headers too long")
    head, _, body = data.partition(b"\r\n\r\n")
    headers = {}
    for line in head.decode("latin-1").split("\r\n")[1:]:
        key, _, value = line.partition(":")
        headers[key.strip().lower()] = value.strip()
    length = headers.get("content-length", "")
    chunked = "chunked" in headers.get("transfer-encoding", "").lower()
    while True:
        if length.isdigit() and len(body) >= int(length):
            return body[: int(length)]
        if chunked and (decoded := dechunk(body)) is not None:
            return decoded
        chunk = await loop.sock_recv(sock, 65536)
        if not chunk:
            return body
        body += chunk
        if len(body) > MAX_RESPONSE_BYTES:
            raise OSError("response body too long")


def dechunk(data: bytes) -> bytes | None:
    """Decode a complete chunked body, or return None while it is incomplete."""
    out, position = b"", 0
    while True:
        end = data.find(b"\r\n", position)
        if end < 0:
            return None
        try:
            size = int(data[position:end].split(b";")[0], 16)
        except ValueError:
            return data  # not really chunked: give what came
        if size == 0:
            return out
        if len(data) < end + 2 + size + 2:
            return None
        out += data[end + 2 : end + 2 + size]
        position = end + 2 + size + 2


def describe(error: BaseException) -> str:
    """Render an OS error the way Go's net package does (``connection refused``)."""
    if isinstance(error, OSError) and error.errno is not None:
        text = os.strerror(error.errno)
        return text[:1].lower() + text[1:]
    return str(error) or type(error).__name__
