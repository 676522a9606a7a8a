"""Manifests the API server accepts and Podpath used to refuse, on the real kernel: a NetworkPolicy
allowing only SCTP still isolates its pods for TCP; a LoadBalancer turned ClusterIP with its
externalTrafficPolicy still in the manifest applies and serves."""

from __future__ import annotations

import pytest

from netcore.kube import api
from tests.conftest import new_sandbox_name
from tests.kernel.kube_helpers import AGNHOST, CLIENT_POD, ClusterSandbox, curl, netexec_deployment

SERVICE = """
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  type: LoadBalancer
  externalTrafficPolicy: Local
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
"""
SCTP_ONLY = """
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: sctp-only}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress:
  - ports: [{protocol: SCTP, port: 8080}]
"""


@pytest.fixture(scope="module")
def cluster():
    name = new_sandbox_name()
    api.create_cluster(name, nodes=1)
    sandbox = ClusterSandbox(name)
    try:
        sandbox.apply("\n---\n".join([CLIENT_POD, netexec_deployment("web", 1), SERVICE]))
        yield sandbox
    finally:
        sandbox.delete()


def test_a_load_balancer_turned_cluster_ip_keeps_serving_with_the_field_dropped(cluster):
    assert cluster.service("web")["spec"]["healthCheckNodePort"]
    outcomes = cluster.apply(SERVICE.replace("type: LoadBalancer", "type: ClusterIP")).outcomes
    assert outcomes == [(("Service", "default", "web"), "configured")]
    spec = cluster.service("web")["spec"]
    assert spec["type"] == "ClusterIP" and "externalTrafficPolicy" not in spec and "healthCheckNodePort" not in spec
    answer = cluster.in_pod("client", *curl("http://web/hostname"))
    assert answer.returncode == 0 and answer.stdout.startswith("web-")


def test_a_policy_allowing_only_sctp_isolates_its_pods_for_tcp(cluster):
    assert cluster.in_pod("client", *curl("http://web/hostname")).returncode == 0
    cluster.apply(SCTP_ONLY)
    try:
        blocked = cluster.in_pod("client", *curl("-m", "1", "http://web/hostname"))
        assert blocked.returncode == 28  # dropped: curl times out
    finally:
        api.delete_resources(cluster.name, [("NetworkPolicy", "default", "sctp-only")])
    assert cluster.in_pod("client", *curl("http://web/hostname")).returncode == 0


HOST_PORT = """
apiVersion: v1
kind: Pod
metadata: {name: published}
spec:
  containers: [{name: web, image: hello-world, ports: [{containerPort: 80, hostPort: 8080}]}]
"""


def test_a_host_port_answers_on_the_nodes_address(cluster):
    cluster.apply(HOST_PORT)
    node_ip = cluster.pod("published")["status"]["hostIP"]
    answer = cluster.on_host("external", *curl(f"http://{node_ip}:8080/"))
    assert answer.returncode == 0 and answer.stdout == "Hello World\n"


HOST_NETWORK = f"""
apiVersion: v1
kind: Pod
metadata: {{name: on-the-node, labels: {{app: hostnet}}}}
spec:
  hostNetwork: true
  containers:
  - {{name: a, image: {AGNHOST}, args: [netexec, --http-port=8090, --udp-port=-1], ports: [{{containerPort: 8090}}]}}
---
apiVersion: v1
kind: Service
metadata: {{name: hostnet}}
spec: {{selector: {{app: hostnet}}, ports: [{{port: 80, targetPort: 8090}}]}}
"""


def test_a_host_network_pod_serves_from_its_nodes_namespace(cluster):
    cluster.apply(HOST_NETWORK)
    pod = cluster.pod("on-the-node")
    assert pod["status"]["podIP"] == "172.18.0.2"
    assert cluster.in_pod("client", *curl("http://hostnet/hostname")).stdout == "node0"
    seen = cluster.on_host("external", *curl("http://172.18.0.2:8090/clientip"))
    assert seen.stdout.startswith("198.51.100.100:")
    inside = cluster.in_pod("on-the-node", "ip", "-4", "-o", "addr", "show", "eth0")
    assert "172.18.0.2/24" in inside.stdout


EXTERNAL_IP = """
apiVersion: v1
kind: Service
metadata: {name: web-external}
spec:
  selector: {app: web}
  externalIPs: [192.0.2.10]
  ports: [{port: 80, targetPort: 8080}]
"""


def test_a_service_answers_on_its_external_ip_from_outside_the_cluster(cluster):
    cluster.apply(EXTERNAL_IP)
    answer = cluster.on_host("external", *curl("http://192.0.2.10/hostname"))
    assert answer.returncode == 0 and answer.stdout.startswith("web-")


SOURCE_RANGES = """
apiVersion: v1
kind: Service
metadata: {name: guarded}
spec:
  type: LoadBalancer
  selector: {app: web}
  loadBalancerSourceRanges: [%s]
  ports: [{port: 80, targetPort: 8080}]
"""


def test_load_balancer_source_ranges_let_only_those_sources_in(cluster):
    cluster.apply(SOURCE_RANGES % "198.51.100.100/32")
    balancer = cluster.service("guarded")["status"]["loadBalancer"]["ingress"][0]["ip"]
    assert cluster.on_host("external", *curl(f"http://{balancer}/hostname")).stdout.startswith("web-")
    cluster.apply(SOURCE_RANGES % "192.0.2.0/24")
    shut = cluster.on_host("external", *curl("-m", "1", f"http://{balancer}/hostname"))
    assert shut.returncode == 28  # dropped before any NAT, as kube-proxy's firewall chain does
