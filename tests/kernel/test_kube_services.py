"""Services on the real kernel, checked the way the Kubernetes e2e suite (test/e2e/network/service.go)
checks them: agnhost netexec backends, real clients, answers that name the pod or the client address.

One cluster serves the whole module: 3 nodes; `web` (3 netexec pods, none on node0, where the client
runs) behind several Services; `solo` (one pod) for hairpin.
"""

from __future__ import annotations

import re
import time

import pytest

from netcore.kube import api
from tests.conftest import new_sandbox_name
from tests.kernel.kube_helpers import CLIENT_POD, ClusterSandbox, curl, netexec_deployment


def service(name: str, body: str) -> str:
    return f"""
apiVersion: v1
kind: Service
metadata: {{name: {name}}}
spec:
{body}"""


SERVICES = [
    service(
        "web",
        """  selector: {app: web}
  ports:
  - {name: http, port: 80, targetPort: http}
  - {name: udp, port: 90, targetPort: udp, protocol: UDP}""",
    ),
    service(
        "web-affinity",
        """  selector: {app: web}
  sessionAffinity: ClientIP
  sessionAffinityConfig: {clientIP: {timeoutSeconds: 60}}
  ports: [{port: 80, targetPort: 8080}]""",
    ),
    service(
        "web-nodeport",
        """  type: NodePort
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]""",
    ),
    service(
        "web-local",
        """  type: LoadBalancer
  externalTrafficPolicy: Local
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]""",
    ),
    service(
        "empty",
        """  selector: {app: nothing-has-this-label}
  ports: [{port: 80, targetPort: 8080}]""",
    ),
    service(
        "headless",
        """  clusterIP: None
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]""",
    ),
    service(
        "solo",
        """  selector: {app: solo}
  ports: [{port: 80, targetPort: 8080}]""",
    ),
]


@pytest.fixture(scope="module")
def cluster():
    name = new_sandbox_name()
    api.create_cluster(name, nodes=3)
    sandbox = ClusterSandbox(name)
    try:
        sandbox.apply(
            "\n---\n".join([CLIENT_POD, netexec_deployment("web", 3), netexec_deployment("solo", 1), *SERVICES])
        )
        yield sandbox
    finally:
        sandbox.delete()


def hostnames(cluster, url: str, count: int, pod: str = "client") -> list[str]:
    answers = []
    for _ in range(count):
        result = cluster.in_pod(pod, *curl(url))
        answers.append(result.stdout if result.returncode == 0 else f"exit {result.returncode}")
    return answers


def web_pods(cluster) -> list[dict]:
    return [p for p in cluster.cluster().list("Pod", "default") if p["metadata"].get("labels", {}).get("app") == "web"]


def test_the_backends_are_spread_over_the_other_nodes(cluster):
    nodes = sorted(p["spec"]["nodeName"] for p in web_pods(cluster))
    assert "node0" not in nodes and set(nodes) == {"node1", "node2"}


def test_load_spreads_across_every_endpoint(cluster):
    answers = hostnames(cluster, "http://web/hostname", 30)
    assert set(answers) == {p["metadata"]["name"] for p in web_pods(cluster)}


def test_session_affinity_client_ip_sticks_with_its_timeout(cluster):
    answers = hostnames(cluster, "http://web-affinity/hostname", 10)
    assert len(set(answers)) == 1 and not answers[0].startswith("exit")
    ruleset = cluster.on_host("node0", "nft", "list", "ruleset").stdout
    assert "timeout 1m" in ruleset or "timeout 60s" in ruleset


def test_a_service_without_endpoints_rejects_at_once(cluster):
    ip = cluster.service("empty")["spec"]["clusterIP"]
    started = time.monotonic()
    result = cluster.in_pod("client", *curl(f"http://{ip}/"))
    assert result.returncode == 7  # curl: connection refused, not a timeout
    assert time.monotonic() - started < 1.0


def test_udp_through_a_service_with_a_named_target_port(cluster):
    result = cluster.in_pod("client", "sh", "-c", "echo hostname | nc -u -w 1 web 90")
    assert result.stdout in {p["metadata"]["name"] for p in web_pods(cluster)}


def test_dns_names_of_a_service_and_of_a_headless_service(cluster):
    ip = cluster.service("web")["spec"]["clusterIP"]
    for name in ("web", "web.default", "web.default.svc", "web.default.svc.cluster.local"):
        result = cluster.in_pod("client", "getent", "hosts", name)
        assert result.stdout.split()[0] == ip, name
    answer = cluster.in_pod("client", "dig", "+short", "+search", "headless").stdout.split()
    assert sorted(answer) == sorted(p["status"]["podIP"] for p in web_pods(cluster))
    missing = cluster.in_pod("client", "dig", "+search", "no-such-service")
    assert "NXDOMAIN" in missing.stdout


def test_node_port_answers_on_every_node_and_masquerades_with_cluster_policy(cluster):
    port = cluster.service("web-nodeport")["spec"]["ports"][0]["nodePort"]
    for node_ip in ("172.18.0.2", "172.18.0.3", "172.18.0.4"):
        result = cluster.on_host("external", *curl(f"http://{node_ip}:{port}/clientip"))
        assert result.returncode == 0, node_ip
        # externalTrafficPolicy Cluster: the client address is rewritten to a node's.
        # the node address on its way out: eth0 towards another node, cni0 towards a local pod
        assert re.match(r"(172\.18\.0\.\d+|10\.244\.\d+\.1):\d+$", result.stdout), result.stdout


def test_load_balancer_with_local_policy_keeps_the_client_address(cluster):
    ip = cluster.service("web-local")["status"]["loadBalancer"]["ingress"][0]["ip"]
    result = cluster.on_host("external", *curl(f"http://{ip}/clientip"))
    assert result.stdout.startswith("198.51.100.100:")


def test_local_policy_node_port_is_dropped_on_a_node_without_endpoints(cluster):
    port = cluster.service("web-local")["spec"]["ports"][0]["nodePort"]
    assert cluster.on_host("external", *curl(f"http://172.18.0.3:{port}/clientip")).stdout.startswith("198.51.100.100:")
    dropped = cluster.on_host("external", "curl", "-s", "-m", "1", f"http://172.18.0.2:{port}/clientip")
    assert dropped.returncode == 28  # node0 has no web pod: the packet is dropped, the client times out


def test_hairpin_a_pod_reaches_itself_through_its_service(cluster):
    solo = next(
        p for p in cluster.cluster().list("Pod", "default") if p["metadata"].get("labels", {}).get("app") == "solo"
    )
    name = solo["metadata"]["name"]
    answers = hostnames(cluster, "http://solo/hostname", 5, pod=name)
    assert answers == [name] * 5
    # Kubernetes masquerades hairpin traffic: the pod sees its node's bridge address as the client.
    seen = cluster.in_pod(name, *curl("http://solo/clientip")).stdout
    assert seen.startswith(solo["status"]["podIP"].rsplit(".", 1)[0] + ".1:")


def test_pods_reach_the_internet_with_their_node_address(cluster):
    answer = cluster.in_pod("client", *curl("http://198.51.100.10/"))
    assert '"client_address": "172.18.0.2"' in answer.stdout


def test_endpoints_and_endpoint_slices_are_readable(cluster):
    objects = cluster.cluster()
    endpoints = objects.get("Endpoints", "default", "web")
    addresses = sorted(a["ip"] for s in endpoints["subsets"] for a in s["addresses"])
    assert addresses == sorted(p["status"]["podIP"] for p in web_pods(cluster))
    slices = [
        s
        for s in objects.list("EndpointSlice", "default")
        if s["metadata"]["labels"]["kubernetes.io/service-name"] == "web"
    ]
    assert {p["name"] for p in slices[0]["ports"]} == {"http", "udp"}
    assert not objects.get("Endpoints", "default", "empty").get("subsets")


def test_scaling_a_deployment_changes_the_endpoints_and_traffic_reaches_new_pods(sandbox_name):
    api.create_cluster(sandbox_name, nodes=2)
    sandbox = ClusterSandbox(sandbox_name)
    try:
        sandbox.apply("\n---\n".join([CLIENT_POD, netexec_deployment("web", 2), SERVICES[0]]))
        sandbox.apply(netexec_deployment("web", 5))
        pods = web_pods(sandbox)
        assert len(pods) == 5
        endpoints = sandbox.cluster().get("Endpoints", "default", "web")
        assert len(endpoints["subsets"][0]["addresses"]) == 5
        assert set(hostnames(sandbox, "http://web/hostname", 60)) == {p["metadata"]["name"] for p in pods}
        sandbox.apply(netexec_deployment("web", 1))
        assert len(web_pods(sandbox)) == 1
        assert set(hostnames(sandbox, "http://web/hostname", 5)) == {web_pods(sandbox)[0]["metadata"]["name"]}
    finally:
        sandbox.delete()


def test_cluster_ip_traffic_keeps_the_source_pod_address(cluster):
    # e2e: "should preserve source pod IP for traffic thru service cluster IP"
    client_ip = cluster.pod("client")["status"]["podIP"]
    assert cluster.in_pod("client", *curl("http://web/clientip")).stdout.startswith(client_ip + ":")


def test_switching_affinity_and_type_takes_effect_and_releases_the_node_port(sandbox_name):
    # e2e: "should be able to switch session affinity for service" and "should release NodePorts on delete"
    api.create_cluster(sandbox_name, nodes=2)
    sandbox = ClusterSandbox(sandbox_name)
    sticky = SERVICES[1].replace("web-affinity", "web") + "\n  type: NodePort"
    try:
        sandbox.apply("\n---\n".join([CLIENT_POD, netexec_deployment("web", 3), sticky]))
        assert len(set(hostnames(sandbox, "http://web/hostname", 10))) == 1
        port = sandbox.service("web")["spec"]["ports"][0]["nodePort"]
        assert sandbox.on_host("external", *curl(f"http://172.18.0.2:{port}/hostname")).returncode == 0

        spread = service(
            "web",
            """  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]""",
        )
        sandbox.apply(spread)
        assert sandbox.service("web")["spec"].get("sessionAffinity") == "None"
        assert len(set(hostnames(sandbox, "http://web/hostname", 30))) == 3
        assert "nodePort" not in sandbox.service("web")["spec"]["ports"][0]
        refused = sandbox.on_host("external", "curl", "-s", "-m", "2", f"http://172.18.0.2:{port}/hostname")
        assert refused.returncode == 7  # the NodePort is gone: nothing listens there any more
    finally:
        sandbox.delete()
