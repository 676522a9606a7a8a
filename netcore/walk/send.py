"""Send the walk's one request from inside the source namespace and wait, bounded, for its answer.

TCP: connect (non-blocking, so the source address and port are known the moment the SYN leaves), then
a small HTTP GET when the destination speaks HTTP and the first line of the answer. UDP: one datagram
and its answer (an ICMP port unreachable comes back as "refused"). ICMP: one echo request on a raw
socket, and the echo reply or an ICMP error quoting it. DNS: one UDP query, built and read with dnslib.
Every socket is created inside the namespace (the fd keeps it); nothing waits longer than ``timeout``.
"""

from __future__ import annotations

import errno
import os
import select
import socket
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass

from netcore.flowtuple import Tuple
from netcore.kernel import netns
from netcore.walk.layers import icmp_words
from netcore.walk.packet import ICMP_ECHO, ICMP_ECHO_REPLY, parse_ipv4
from netcore.walk.recording import Exchange

UNREACHABLE = (errno.ENETUNREACH, errno.EHOSTUNREACH)
ANSWER_MAX = 160


@dataclass(frozen=True)
class Request:
    purpose: str
    summary: str
    source_host: str
    protocol: str
    address: str
    port: int | None
    timeout: float
    http_host: str | None = None  # send an HTTP GET with this Host header
    path: str = "/"
    payload: bytes = b"hostname\n"
    server_label: str | None = None
    decode: Callable[[bytes], str] | None = None  # a UDP answer in words (DNS: the records)
    source_address: str = "0.0.0.0"  # the source's own address, if the kernel picks none (no route)


def text_of(data: bytes) -> str:
    return data.decode(errors="replace").strip()[:ANSWER_MAX]


def send(request: Request, fd: int) -> Exchange:
    if request.protocol == "tcp":
        return send_tcp(request, fd)
    if request.protocol == "udp":
        return send_udp(request, fd)
    return send_icmp(request, fd)


def exchange(
    request: Request,
    client: Tuple,
    sent: int,
    outcome: str,
    answer: str | None,
    started: float,
    icmp_seq: int | None = None,
) -> Exchange:
    return Exchange(
        request.purpose,
        request.summary,
        request.protocol,
        request.source_host,
        client,
        sent,
        outcome,
        answer,
        (time.monotonic() - started) * 1000.0,
        icmp_seq,
        request.server_label,
    )


def open_in(fd: int, kind: int, protocol: int = 0) -> socket.socket:
    with netns.entered(fd):
        sock = socket.socket(socket.AF_INET, kind | socket.SOCK_CLOEXEC, protocol)
    sock.setblocking(False)
    return sock


def wait(sock: socket.socket, deadline: float, writable: bool = False) -> bool:
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        return False
    readers, writers, _ = select.select([] if writable else [sock], [sock] if writable else [], [], remaining)
    return bool(readers or writers)


def source_of(sock: socket.socket, fallback: str) -> tuple[str, int]:
    try:
        address, port = sock.getsockname()
    except OSError:
        return fallback, 0
    return (address if address != "0.0.0.0" else fallback), port


def port_of(request: Request) -> int:
    if request.port is None:
        raise ValueError(f"a {request.protocol} request needs a port")  # resolve_target always gives one
    return request.port


def send_tcp(request: Request, fd: int) -> Exchange:
    port = port_of(request)
    started = time.monotonic()
    deadline = started + request.timeout
    sock = open_in(fd, socket.SOCK_STREAM)
    try:
        sent = time.time_ns()
        code = sock.connect_ex((request.address, port))
        src, sport = source_of(sock, request.source_address)
        client = Tuple("tcp", src, sport, request.address, port)
        if code in UNREACHABLE:
            return exchange(request, client, sent, "unreachable", os.strerror(code), started)
        if code not in (0, errno.EINPROGRESS):
            return exchange(request, client, sent, "error", os.strerror(code), started)
        if not wait(sock, deadline, writable=True):
            return exchange(request, client, sent, "timeout", None, started)
        code = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        if code == errno.ECONNREFUSED:
            return exchange(request, client, sent, "refused", "connection refused", started)
        if code:
            outcome = "unreachable" if code in UNREACHABLE else "timeout" if code == errno.ETIMEDOUT else "error"
            return exchange(request, client, sent, outcome, os.strerror(code), started)
        if request.http_host is None:
            return exchange(request, client, sent, "connected", "connected", started)
        sock.sendall(http_get(request.http_host, request.path))
        return exchange(request, client, sent, "answered", read_http(sock, deadline), started)
    finally:
        sock.close()


def http_get(host: str, path: str) -> bytes:
    return (
        f"GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: podpath-walk\r\nAccept: */*\r\nConnection: close\r\n\r\n"
    ).encode()


def read_http(sock: socket.socket, deadline: float) -> str:
    """Read the status line and the first line of the body (or what came before the deadline)."""
    data = b""
    while wait(sock, deadline):
        try:
            chunk = sock.recv(4096)
        except (BlockingIOError, InterruptedError):
            continue
        except ConnectionError as error:
            return summary_of(data) or f"connection broken: {error.strerror}"
        if not chunk:
            break
        data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        if body.strip() or len(data) > 8192:
            break
    return summary_of(data) or "no answer before the deadline"


def summary_of(data: bytes) -> str:
    head, _, body = data.partition(b"\r\n\r\n")
    status = head.split(b"\r\n", 1)[0].decode(errors="replace").strip()
    first = " ".join(body.decode(errors="replace").split())  # a JSON or HTML body on one line
    text = f"{status}: {first}" if status and first else status or first
    return text[:ANSWER_MAX]


def send_udp(request: Request, fd: int) -> Exchange:
    port = port_of(request)
    started = time.monotonic()
    deadline = started + request.timeout
    sock = open_in(fd, socket.SOCK_DGRAM)
    try:
        sent = time.time_ns()
        try:
            sock.connect((request.address, port))  # picks the source address, sends nothing
        except OSError as error:
            client = Tuple("udp", request.source_address, 0, request.address, port)
            outcome = "unreachable" if error.errno in UNREACHABLE else "error"
            return exchange(request, client, sent, outcome, error.strerror, started)
        src, sport = source_of(sock, request.source_address)
        client = Tuple("udp", src, sport, request.address, port)
        sent = time.time_ns()
        sock.send(request.payload)
        if not wait(sock, deadline):
            return exchange(request, client, sent, "timeout", None, started)
        try:
            answer = sock.recv(4096)
        except ConnectionRefusedError:
            return exchange(request, client, sent, "refused", "port unreachable", started)
        except OSError as error:
            outcome = "unreachable" if error.errno in UNREACHABLE else "error"
            return exchange(request, client, sent, outcome, error.strerror, started)
        return exchange(request, client, sent, "answered", (request.decode or text_of)(answer), started)
    finally:
        sock.close()


def checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    total = (total >> 16) + (total & 0xFFFF)
    total += total >> 16
    return ~total & 0xFFFF


def send_icmp(request: Request, fd: int) -> Exchange:
    started = time.monotonic()
    deadline = started + request.timeout
    ident, seq = int.from_bytes(os.urandom(2), "big") or 1, 1
    probe = open_in(fd, socket.SOCK_DGRAM)  # a UDP connect tells the source address the route picks
    try:
        probe.connect((request.address, 9))
        src = probe.getsockname()[0]
    except OSError as error:
        client = Tuple("icmp", request.source_address, ident, request.address, ident)
        return exchange(
            request,
            client,
            time.time_ns(),
            "unreachable" if error.errno in UNREACHABLE else "error",
            error.strerror,
            started,
            seq,
        )
    finally:
        probe.close()
    client = Tuple("icmp", src, ident, request.address, ident)
    sock = open_in(fd, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    try:
        body = struct.pack("!BBHHH", ICMP_ECHO, 0, 0, ident, seq) + b"podpath walk"
        body = body[:2] + struct.pack("!H", checksum(body)) + body[4:]
        sent = time.time_ns()
        try:
            sock.sendto(body, (request.address, 0))
        except OSError as error:
            outcome = "unreachable" if error.errno in UNREACHABLE else "error"
            return exchange(request, client, sent, outcome, error.strerror, started, seq)
        while wait(sock, deadline):
            packet = sock.recv(4096)
            l3, l4, _ = parse_ipv4(packet)
            if l3 is None or l4 is None or l4.protocol != "icmp":
                continue
            if l4.icmp_type == ICMP_ECHO_REPLY and l4.sport == ident and l4.seq == seq:
                return exchange(request, client, sent, "answered", f"echo reply from {l3.src}", started, seq)
            quoted = l4.quoted
            if l4.is_icmp_error and quoted and quoted[1].protocol == "icmp" and quoted[1].sport == ident:
                outcome = "unreachable" if l4.icmp_type == 3 and l4.icmp_code in (0, 1) else "refused"
                return exchange(request, client, sent, outcome, f"{icmp_words(l4)} from {l3.src}", started, seq)
        return exchange(request, client, sent, "timeout", None, started, seq)
    finally:
        sock.close()
