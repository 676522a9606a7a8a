"""Faults on a real cluster sandbox: changes racing each other, a workload runner killed.

- Two requests that change the same sandbox at once are serialised by the sandbox's lock: eight
  applies sent together through the agent (which runs them on its worker threads) all land, each
  read the cluster the previous one saved (no lost update), and the kernel has every pod.
- A workload runner killed with SIGKILL: its pods should come back on their own, as a kubelet
  restarts containers. They do not yet (see the xfail below and docs/reliability.md): the servers come
  back at the sandbox's next change, and until then the pods still read Running and ready.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time

import pytest
from channels.layers import get_channel_layer

from agent.client import call
from agent.protocol import LOCAL_HOST
from agent.worker import Agent
from netcore.kube import api
from netcore.workloads import client as workloads
from tests.kernel.kube_helpers import ClusterSandbox

WEB = """apiVersion: v1
kind: Pod
metadata: {name: web, labels: {app: web}}
spec:
  containers: [{name: web, image: hello-world}]
---
apiVersion: v1
kind: Pod
metadata: {name: client}
spec:
  containers: [{name: c, image: curlimages/curl, command: [sleep, infinity]}]
"""
POD = "apiVersion: v1\nkind: Pod\nmetadata: {{name: {name}}}\nspec:\n  containers: [{{name: c, image: nginx}}]\n"


@pytest.fixture
def cluster(sandbox_name):
    api.create_cluster(sandbox_name, nodes=2)
    sandbox = ClusterSandbox(sandbox_name)
    try:
        sandbox.apply(WEB)
        yield sandbox
    finally:
        sandbox.delete()


def hello(cluster: ClusterSandbox) -> str:
    ip = cluster.pod("web")["status"]["podIP"]
    return cluster.in_pod("client", "curl", "-s", "-m", "2", f"http://{ip}/").stdout.strip()


def test_changes_sent_at_once_to_one_sandbox_are_serialised_and_none_is_lost(cluster):
    async def race() -> list[dict]:
        layer = get_channel_layer()
        agent = Agent(layer, workers=4)
        serving = asyncio.create_task(agent.serve())
        try:
            return await asyncio.gather(
                *(
                    call(
                        "apply",
                        cluster.name,
                        {"text": POD.format(name=f"racer{n}"), "source": f"racer{n}.yaml"},
                        timeout=120,
                        host=LOCAL_HOST,
                    )
                    for n in range(8)
                )
            )
        finally:
            serving.cancel()
            await asyncio.gather(serving, return_exceptions=True)
            agent.pool.shutdown(wait=True)

    results = asyncio.run(race())
    assert len(results) == 8
    stored = cluster.cluster()
    for n in range(8):  # every apply read what the one before it saved: none overwrote another
        pod = stored.get("Pod", "default", f"racer{n}")
        assert pod["status"]["podIP"].startswith("10.244.")
        assert cluster.in_pod(f"racer{n}", "ip", "-o", "addr", "show", "eth0").stdout.count(pod["status"]["podIP"]) == 1
    addresses = [stored.get("Pod", "default", f"racer{n}")["status"]["podIP"] for n in range(8)]
    assert len(set(addresses)) == 8  # no two racers were given the same address


@pytest.mark.xfail(
    strict=True,
    reason="no supervisor restarts a killed workload runner: its pods come back "
    "at the sandbox's next change (docs/reliability.md, Faults)",
)
def test_a_killed_workload_runner_brings_its_pods_back_on_its_own(cluster):
    assert hello(cluster) == "Hello World"
    os.kill(workloads.runner_pid(cluster.name), signal.SIGKILL)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and hello(cluster) != "Hello World":
        time.sleep(1)
    assert hello(cluster) == "Hello World"


def test_a_killed_workload_runner_is_replaced_by_the_sandboxs_next_change(cluster):
    """What holds today: the next change reads no servers running, plans them again and serves."""
    assert hello(cluster) == "Hello World"
    os.kill(workloads.runner_pid(cluster.name), signal.SIGKILL)
    time.sleep(0.5)
    assert hello(cluster) == ""
    cluster.apply(POD.format(name="nudge"))
    assert hello(cluster) == "Hello World"


def test_a_killed_ingress_nginx_comes_back_and_the_ingress_serves_again(sandbox_name):
    """Found by this test: nginx killed in the controller pod stayed dead until the next change. The
    workload runner's watchdog now starts it again within a few seconds."""
    from netcore.kube.ingress import INGRESS_ADDRESS
    from tests.kernel.test_kube_ingress import TALK_BACKENDS, masters
    from tests.talk import TALK_INGRESS

    api.create_cluster(sandbox_name, nodes=2)
    cluster = ClusterSandbox(sandbox_name)

    def through_ingress() -> str:
        return cluster.on_host(
            "external", "curl", "-s", "-m", "2", "-H", "Host: world.hello.org", f"http://{INGRESS_ADDRESS}/"
        ).stdout

    try:
        cluster.apply("\n---\n".join([TALK_BACKENDS, TALK_INGRESS]))
        assert through_ingress() == "Hello World\n"
        (master,) = masters(sandbox_name)
        os.killpg(os.getpgid(master), signal.SIGKILL)  # the master and its workers
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and through_ingress() != "Hello World\n":
            time.sleep(0.5)
        assert through_ingress() == "Hello World\n"
        assert masters(sandbox_name) and master not in masters(sandbox_name)
    finally:
        cluster.delete()
