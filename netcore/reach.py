"""Reachability: try many real connections at once, each from inside its own namespace.

Every probe's socket is created while the thread is inside the source's namespace, so the connection
really starts there (a pod, a lab host); the connections then run concurrently on one asyncio loop, so
a matrix of hundreds of probes takes about one timeout, not one timeout per blocked probe.

TCP counts as connected when the handshake completes; a reset is "refused", silence "timeout" (a
dropped packet: what a NetworkPolicy does). UDP counts as connected when the server answers the
datagram; an ICMP port-unreachable is "refused", silence "no reply".
"""

from __future__ import annotations

import asyncio
import os
import socket
import time
from collections.abc import Sequence
from dataclasses import dataclass

from netcore.kernel import netns

UDP_PAYLOAD = b"hostname\n"  # agnhost netexec answers its hostname; porter answers any datagram


@dataclass(frozen=True)
class Probe:
    namespace: str  # the network namespace the connection starts in
    ip: str
    port: int
    protocol: str = "TCP"


@dataclass(frozen=True)
class Outcome:
    probe: Probe
    connected: bool
    detail: str  # connected, refused, timeout, no reply, unreachable, error: ...
    seconds: float
    reply: str = ""


def open_socket(namespace_fd: int, protocol: str) -> socket.socket:
    with netns.entered(namespace_fd):
        kind = socket.SOCK_STREAM if protocol == "TCP" else socket.SOCK_DGRAM
        sock = socket.socket(socket.AF_INET, kind)
    sock.setblocking(False)
    return sock


async def attempt(probe: Probe, fd: int, timeout: float) -> Outcome:
    started = time.monotonic()
    loop = asyncio.get_running_loop()
    sock = open_socket(fd, probe.protocol)
    try:
        if probe.protocol == "TCP":
            await asyncio.wait_for(loop.sock_connect(sock, (probe.ip, probe.port)), timeout)
            return Outcome(probe, True, "connected", time.monotonic() - started)
        await loop.sock_connect(sock, (probe.ip, probe.port))  # UDP: fixes the peer, sends nothing
        await loop.sock_sendall(sock, UDP_PAYLOAD)
        reply = await asyncio.wait_for(loop.sock_recv(sock, 2048), timeout)
        return Outcome(probe, True, "connected", time.monotonic() - started, reply.decode(errors="replace").strip())
    except TimeoutError:
        return Outcome(probe, False, "timeout" if probe.protocol == "TCP" else "no reply", time.monotonic() - started)
    except ConnectionRefusedError:
        return Outcome(probe, False, "refused", time.monotonic() - started)
    except OSError as error:
        detail = "unreachable" if error.errno in (113, 101) else f"error: {error.strerror or error}"
        return Outcome(probe, False, detail, time.monotonic() - started)
    finally:
        sock.close()


async def attempt_all(probes: Sequence[Probe], timeout: float) -> list[Outcome]:
    fds = {name: netns.open_fd(name) for name in {p.namespace for p in probes}}
    try:
        return list(await asyncio.gather(*(attempt(p, fds[p.namespace], timeout) for p in probes)))
    finally:
        for fd in fds.values():
            os.close(fd)


def probe_all(probes: Sequence[Probe], timeout: float = 1.0) -> list[Outcome]:
    """Run every probe concurrently; return their outcomes in the same order."""
    return asyncio.run(attempt_all(probes, timeout))
