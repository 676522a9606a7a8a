"""Two sandboxes on one machine are as apart as two machines: nothing of B is reachable from A.

For every lab and every pod network mode of a cluster, two sandboxes A and B are built alike. B's every
host listens on a TCP and a UDP port, and so does the machine's loopback; then every host and pod of A
sends TCP, UDP and ICMP to every address of B, to the machine's loopback and to an address outside the
sandbox plan. Sandboxes reuse one address plan, so A's packets to "B's" addresses land on A's own
hosts; what matters is that B hears nothing: no connection accepted, no datagram, no echo request
counted by B's kernel (/proc/net/snmp of each of B's namespaces), and the machine's listener neither.
"""

from __future__ import annotations

import asyncio
import errno
import os
import secrets
import socket
import time
from contextlib import ExitStack

import pytest

from agent.jobs import console
from labs import stepper
from labs.catalog import load_catalog
from netcore import names
from netcore.errors import PodpathError
from netcore.kernel import netns
from netcore.kube import api
from netcore.reach import Probe, probe_all
from netcore.sandbox import lifecycle
from tests.conftest import new_sandbox_name
from tests.talk import TALK_CLUSTER_IP, TALK_POD

OUTSIDE_THE_PLAN = "192.0.2.1"  # TEST-NET-1: no sandbox route leads there, and nothing leaves the sandbox
PORT = 47000 + secrets.randbelow(1000)


def build_lab(name: str, lab_id: str) -> None:
    lab = load_catalog()[lab_id]
    stepper.lab_start(sandbox=name, lab_id=lab_id, step=lab.steps[-1].number)  # the most hosts


def build_cluster(name: str, cni: str) -> None:
    api.create_cluster(name, nodes=2, cni=cni)
    api.apply_manifests(name, TALK_POD + "---\n" + TALK_CLUSTER_IP, "talk.yaml")


CASES = [pytest.param(build_lab, lab_id, id=lab_id) for lab_id in load_catalog()] + [
    pytest.param(build_cluster, cni, id=f"cluster-{cni}") for cni in ("bridge", "vxlan", "nat")
]


def namespaces_of(sandbox: str) -> list[str]:
    return netns.list_names(names.sandbox_prefix(sandbox))


def addresses_of(sandbox: str) -> set[str]:
    state = lifecycle.read_sandbox_state(sandbox)
    return {address.cidr.split("/")[0] for address in state.addresses} - {"127.0.0.1"}


def echo_requests_heard(namespace: str) -> int:
    """ICMP echo requests this namespace's kernel received (per namespace: /proc/thread-self/net)."""
    with netns.entered_name(namespace), open("/proc/thread-self/net/snmp") as handle:
        header, values = [line.split() for line in handle if line.startswith("Icmp:")][:2]
    return int(values[header.index("InEchos")])


def listen(stack: ExitStack, namespace: str | None) -> list[socket.socket]:
    """A TCP listener and a UDP socket on PORT, in a namespace of B (or the machine's loopback)."""

    def make() -> list[socket.socket]:
        tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        host = "127.0.0.1" if namespace is None else "0.0.0.0"
        tcp.bind((host, PORT))
        tcp.listen()
        udp.bind((host, PORT))
        return [tcp, udp]

    if namespace is None:
        sockets = make()
    else:
        with netns.entered_name(namespace):
            sockets = make()
    for sock in sockets:
        sock.setblocking(False)
        stack.callback(sock.close)
    return sockets


def heard_anything(sock: socket.socket) -> bool:
    try:
        if sock.type == socket.SOCK_STREAM:
            sock.accept()[0].close()
        else:
            sock.recvfrom(2048)
    except BlockingIOError:
        return False
    return True


async def send_echoes(pairs: list[tuple[str, str]]) -> None:
    """One ICMP echo request from each namespace to each address, fired without waiting for replies."""

    def fire(namespace: str, targets: list[str]) -> None:
        with netns.entered_name(namespace):
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_ICMP)
        with sock:
            for target in targets:
                try:
                    sock.sendto(b"\x08\x00\x00\x00\x00\x01\x00\x01podpath", (target, 0))
                except OSError as error:  # no route: the sandbox has nowhere to send it, which is the point
                    assert error.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH, errno.EINVAL), error

    by_source: dict[str, list[str]] = {}
    for namespace, target in pairs:
        by_source.setdefault(namespace, []).append(target)
    await asyncio.gather(*(asyncio.to_thread(fire, ns, targets) for ns, targets in by_source.items()))


@pytest.mark.parametrize("build, variant", CASES)
def test_nothing_of_another_sandbox_or_the_machine_is_reachable(build, variant):
    a, b = new_sandbox_name(), new_sandbox_name()
    try:
        build(a, variant)
        build(b, variant)
        targets = sorted(addresses_of(b) | {"127.0.0.1", OUTSIDE_THE_PLAN})
        with ExitStack() as stack:
            listeners = {ns: listen(stack, ns) for ns in namespaces_of(b)}
            machine = listen(stack, None)
            echoes_before = {ns: echo_requests_heard(ns) for ns in listeners}
            probes = [
                Probe(ns, target, PORT, protocol)
                for ns in namespaces_of(a)
                for target in targets
                for protocol in ("TCP", "UDP")
            ]
            outcomes = probe_all(probes, timeout=0.5)
            asyncio.run(send_echoes([(ns, target) for ns in namespaces_of(a) for target in targets]))
            time.sleep(0.3)
            assert len(probes) >= 2 * len(targets) and not any(outcome.connected for outcome in outcomes)
            for namespace, sockets in listeners.items():
                assert not any(heard_anything(sock) for sock in sockets), f"{namespace} of B was reached"
                assert echo_requests_heard(namespace) == echoes_before[namespace], f"{namespace} of B was pinged"
            assert not any(heard_anything(sock) for sock in machine), "the machine's loopback was reached"
            # The control: the same listeners and counters do hear B's own traffic.
            own = next(iter(listeners))
            assert probe_all([Probe(own, "127.0.0.1", PORT, "TCP")], timeout=1)[0].connected
            assert heard_anything(listeners[own][0])
            asyncio.run(send_echoes([(own, "127.0.0.1")]))
            time.sleep(0.1)
            assert echo_requests_heard(own) == echoes_before[own] + 1
    finally:
        for name in (a, b):
            if os.path.exists(names.record_path(name)):
                lifecycle.delete_sandbox(name)


def test_a_console_cannot_name_another_sandboxs_hosts():
    a, b = new_sandbox_name(), new_sandbox_name()
    try:
        for name in (a, b):
            build_lab(name, "connecting-containers")
        other = names.netns_name(b, "c1")
        for target in (other, f"../{b}/c1", f"{b}-c1", "c1;id", "/run/netns/" + other):
            with pytest.raises(PodpathError):
                console(sandbox=a, target=target, line="ip addr show", progress=lambda *_: None)
    finally:
        for name in (a, b):
            lifecycle.delete_sandbox(name)
