"""A small reachability prober for the NetworkPolicy kernel tests, until ``podpath probe`` takes over.

``probe(netns, targets)`` opens every ``(address, port, tcp|udp)`` target at once from one network
namespace (one process, asyncio inside) and says, per target, "ok", "timeout" (dropped: nothing
answered within the second) or "refused" (a RST or an ICMP port unreachable). ``probe_matrix`` does so
from every pod to every other in parallel; ``Reachability`` is the expected truth table, built like the
Kubernetes e2e suite's (test/e2e/network/netpol/reachability.go), and ``assert_reachability`` compares
and prints the table when they differ.
"""

from __future__ import annotations

import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

PROBE_TIMEOUT = 1.0

# Runs inside a source pod's network namespace: probe every target at once, print one result per target.
PROBE = """
import asyncio, json, sys

async def tcp(ip, port):
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection(ip, port), TIMEOUT)
    except asyncio.TimeoutError:
        return "timeout"
    except ConnectionRefusedError:
        return "refused"
    except OSError as error:
        return type(error).__name__
    writer.close()
    return "ok"

class Reply(asyncio.DatagramProtocol):
    def __init__(self, done):
        self.done = done
    def connection_made(self, transport):
        transport.sendto(b"hostname")
    def datagram_received(self, data, addr):
        self.done.done() or self.done.set_result("ok")
    def error_received(self, error):
        self.done.done() or self.done.set_result("refused")

async def udp(ip, port):
    loop = asyncio.get_running_loop()
    done = loop.create_future()
    transport, _ = await loop.create_datagram_endpoint(lambda: Reply(done), remote_addr=(ip, port))
    try:
        return await asyncio.wait_for(done, TIMEOUT)
    except asyncio.TimeoutError:
        return "timeout"
    finally:
        transport.close()

async def main(targets):
    return await asyncio.gather(*((tcp if proto == "tcp" else udp)(ip, port) for ip, port, proto in targets))

print(json.dumps(asyncio.run(main(json.loads(sys.argv[1])))))
"""


def probe(netns: str, targets: list[tuple[str, int, str]]) -> list[str]:
    """Probe ``(address, port, tcp|udp)`` targets from one network namespace, all at once."""
    argv = [
        "ip",
        "netns",
        "exec",
        netns,
        sys.executable,
        "-c",
        PROBE.replace("TIMEOUT", str(PROBE_TIMEOUT)),
        json.dumps(targets),
    ]
    result = subprocess.run(argv, capture_output=True, text=True, timeout=20)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def probe_matrix(
    netns: dict[str, str], ips: dict[str, str], pods: tuple[str, ...], port: int, protocol: str = "tcp"
) -> dict[tuple[str, str], str]:
    """Probe from every pod to every other pod (not itself: loopback never meets a policy)."""

    def one(source: str) -> list[tuple[tuple[str, str], str]]:
        others = [d for d in pods if d != source]
        outcomes = probe(netns[source], [(ips[d], port, protocol) for d in others])
        return [((source, d), outcome) for d, outcome in zip(others, outcomes, strict=True)]

    with ThreadPoolExecutor(len(pods)) as pool:
        return dict(pair for pairs in pool.map(one, pods) for pair in pairs)


class Reachability:
    """The expected truth table: everything allowed unless said otherwise."""

    def __init__(self, pods: tuple[str, ...]) -> None:
        self.pods = pods
        self.allowed = {(s, d): True for s in pods for d in pods if s != d}

    def expect(self, source: str, destination: str, allowed: bool) -> Reachability:
        """Set pairs by prefix: "x/a" one pod, "x/" a namespace, "" every pod."""
        for s, d in self.allowed:
            if s.startswith(source) and d.startswith(destination):
                self.allowed[s, d] = allowed
        return self


def assert_reachability(expected: Reachability, actual: dict[tuple[str, str], str], what: str) -> None:
    """Fail with both tables drawn when a probed pair went otherwise than expected."""
    wrong = sorted(pair for pair, ok in expected.allowed.items() if (actual[pair] == "ok") != ok)
    if not wrong:
        return
    pods = expected.pods
    rows = [f"{what:>14} " + " ".join(f"{d:>4}" for d in pods)]
    for s in pods:
        cells = [
            "   ." if s == d else ("   X" if (s, d) in wrong else ("   +" if actual[s, d] == "ok" else "   -"))
            for d in pods
        ]
        rows.append(f"{s:>14} " + " ".join(cells))
    details = ", ".join(f"{s}->{d}: {actual[s, d]}" for s, d in wrong)
    pytest.fail(
        "reachability differs (X: wrong, +: reached, -: blocked; rows: from, columns: to)\n"
        + "\n".join(rows)
        + "\n"
        + details
    )
