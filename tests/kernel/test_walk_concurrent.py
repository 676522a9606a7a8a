"""Walks at the same time never mix: in two sandboxes (same names, same addresses), and within one.

Each sandbox has a client on node0, two web pods on node1 and an isolated pod (deny-all ingress):
a walk to it lasts its whole timeout, so the others all run while its observer watches the sandbox.
"""

from __future__ import annotations

import secrets
import threading
import time

import pytest

from netcore.kube import api
from netcore.walk.run import walk
from tests.kernel.kube_helpers import ClusterSandbox

OBJECTS = """
apiVersion: v1
kind: Pod
metadata: {name: client}
spec:
  nodeName: node0
  containers: [{name: client, image: curlimages/curl, command: [sleep, infinity]}]
---
apiVersion: v1
kind: Pod
metadata: {name: web-a, labels: {app: web}}
spec:
  nodeName: node1
  containers: [{name: web, image: hello-world, ports: [{containerPort: 80}]}]
---
apiVersion: v1
kind: Pod
metadata: {name: web-b, labels: {app: web}}
spec:
  nodeName: node1
  containers: [{name: web, image: hello-world, ports: [{containerPort: 80}]}]
---
apiVersion: v1
kind: Pod
metadata: {name: isolated, labels: {app: isolated}}
spec:
  nodeName: node1
  containers: [{name: web, image: hello-world, ports: [{containerPort: 80}]}]
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 80}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-all}
spec:
  podSelector: {matchLabels: {app: isolated}}
  policyTypes: [Ingress]
"""


@pytest.fixture(scope="module")
def sandboxes():
    made = []
    try:
        for _ in range(2):
            name = "t" + secrets.token_hex(5)
            api.create_cluster(name, nodes=2)
            made.append(ClusterSandbox(name))
            made[-1].apply(OBJECTS)
        yield made
    finally:
        for sandbox in made:
            sandbox.delete()


def start_walk(sandbox: str, source: str, destination: str, timeout: float, barrier=None):
    """Run a walk on a thread; return (thread, a list that will hold its result or error)."""
    holder: list = []

    def run():
        if barrier is not None:
            barrier.wait()
        try:
            holder.append(walk(sandbox=sandbox, source=source, destination=destination, timeout=timeout).walk)
        except Exception as error:  # noqa: BLE001 - raised in the test's thread
            holder.append(error)

    thread = threading.Thread(target=run)
    thread.start()
    return thread, holder


def wait_for_trace_table(sandbox: ClusterSandbox, host: str, deadline: float = 10.0) -> None:
    """Wait until a walk's observer watches the sandbox (its trace table is loaded)."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if "podpath-trace-" in sandbox.on_host(host, "nft", "list", "tables").stdout:
            return
    raise AssertionError("the long walk never started observing")


def outcome(thread, holder):
    thread.join(30)
    assert holder, "the walk did not finish"
    if isinstance(holder[0], Exception):
        raise holder[0]
    return holder[0]


def own_packets_only(result) -> None:
    """Every hop is the walk's request or its reply: the client's port (no NAT on these paths) and
    the SYN's sequence number, acknowledged on the way back."""
    leg = result.legs[-1]
    port, isn = leg.client.port, leg.request[0].layers.l4["seq"]
    for hop in leg.request:
        assert (hop.layers.l4["sport"], hop.layers.l4["seq"], hop.layers.l4["flags"]) == (port, isn, "S"), hop
    for hop in leg.reply:
        assert (hop.layers.l4["dport"], hop.layers.l4["ack"]) == (port, isn + 1), hop
    assert len({(h.place.host, h.interface, h.direction) for h in leg.request}) == len(leg.request)


def test_walks_in_two_sandboxes_and_within_one_stay_apart(sandboxes):
    first, second = sandboxes
    pods = {s.name: {p: s.pod(p)["status"]["podIP"] for p in ("web-a", "web-b", "isolated")} for s in sandboxes}
    jobs = [(first.name, "client", "isolated", 1.5)]
    jobs += [(s.name, "client", pod, 2.0) for s in sandboxes for pod in ("web-a", "web-b")]
    long_walk = start_walk(*jobs[0])
    wait_for_trace_table(first, "node1")
    barrier = threading.Barrier(len(jobs) - 1)  # the others start together, while the long one watches
    others = [start_walk(*job, barrier=barrier) for job in jobs[1:]]
    results = [outcome(*long_walk)] + [outcome(*other) for other in others]
    dropped, *delivered = results
    assert dropped.verdict.outcome == "dropped" and dropped.verdict.by.name == "default/deny-all"
    assert all(r.verdict.outcome == "delivered" for r in delivered), [r.verdict.text for r in delivered]
    for result, (sandbox, _, pod, _) in zip(results, jobs, strict=True):
        assert result.sandbox == sandbox
        own_packets_only(result)
        assert result.legs[-1].request[-1].layers.l3["dst"] == pods[sandbox][pod]
    # They really overlapped: every other walk's SYN left while the long walk was still waiting.
    start = dropped.legs[-1].request[0].time_ns
    assert all(r.legs[-1].request[0].time_ns < start + 1_500_000_000 for r in delivered)
    ports = [(r.sandbox, r.legs[-1].client.port) for r in results]
    assert len(set(ports)) == len(ports)
    for sandbox in sandboxes:
        for node in ("node0", "node1"):
            assert sandbox.on_host(node, "nft", "list", "tables").stdout.split() == ["table", "inet", "podpath"]
