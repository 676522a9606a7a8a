"""Workload kinds on the real kernel: the pods of a ReplicationController, a ReplicaSet and a DaemonSet
answer behind their Services like a Deployment's; an ExternalName Service resolves as a CNAME; a
manifest full of fields Podpath only stores (probes, resources) still runs."""

from __future__ import annotations

import json
import time

import pytest

from netcore.errors import PodpathError
from netcore.kube import api
from tests.conftest import new_sandbox_name
from tests.kernel.kube_helpers import AGNHOST, CLIENT_POD, ClusterSandbox, curl


def workload(kind: str, name: str, replicas: str, selector: str) -> str:
    api_version = "v1" if kind == "ReplicationController" else "apps/v1"
    return f"""
apiVersion: {api_version}
kind: {kind}
metadata: {{name: {name}}}
spec:
{replicas}{selector}  template:
    metadata: {{labels: {{app: {name}}}}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: agnhost
        image: {AGNHOST}
        args: [netexec, --http-port=8080]
        ports: [{{containerPort: 8080}}]
        resources: {{requests: {{cpu: 10m}}}}
        readinessProbe: {{httpGet: {{path: /healthz, port: 8080}}}}
---
apiVersion: v1
kind: Service
metadata: {{name: {name}}}
spec:
  selector: {{app: {name}}}
  ports: [{{name: http, port: 80, targetPort: 8080}}, {{name: sctp, port: 90, protocol: SCTP}}]
"""


STATEFUL = """
apiVersion: v1
kind: Service
metadata: {name: nginx}
spec: {clusterIP: None, selector: {app: nginx}, ports: [{port: 80, name: web}]}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: web}
spec:
  serviceName: nginx
  replicas: 2
  selector: {matchLabels: {app: nginx}}
  template:
    metadata: {labels: {app: nginx}}
    spec:
      containers: [{name: nginx, image: registry.k8s.io/nginx-slim:0.24, ports: [{containerPort: 80, name: web}]}]
"""
LOCAL_ONLY = """
apiVersion: v1
kind: Service
metadata: {name: ds-local}
spec: {internalTrafficPolicy: Local, selector: {app: ds}, ports: [{port: 80, targetPort: 8080}]}
---
apiVersion: v1
kind: Pod
metadata: {name: far, labels: {app: far}}
spec:
  nodeName: node1
  containers: [{name: a, image: AGNHOST, args: [netexec, --http-port=8080]}]
---
apiVersion: v1
kind: Service
metadata: {name: far-local}
spec: {internalTrafficPolicy: Local, selector: {app: far}, ports: [{port: 80, targetPort: 8080}]}
""".replace("AGNHOST", AGNHOST)
SCHEDULED = """
apiVersion: v1
kind: Pod
metadata: {name: on-node1}
spec:
  nodeSelector: {kubernetes.io/hostname: node1}
  containers: [{name: web, image: hello-world}]
---
apiVersion: v1
kind: Pod
metadata: {name: nowhere}
spec:
  nodeSelector: {disktype: ssd}
  containers: [{name: web, image: hello-world}]
"""
MANIFESTS = "\n---\n".join(
    [
        CLIENT_POD,
        workload("ReplicationController", "rc", "  replicas: 2\n", ""),
        workload("ReplicaSet", "rs", "  replicas: 2\n", "  selector: {matchLabels: {app: rs}}\n"),
        workload("DaemonSet", "ds", "", "  selector: {matchLabels: {app: ds}}\n"),
        "apiVersion: v1\nkind: Service\nmetadata: {name: outside}\n"
        "spec: {type: ExternalName, externalName: internet.example}\n",
        STATEFUL,
        LOCAL_ONLY,
        SCHEDULED,
    ]
)


@pytest.fixture(scope="module")
def cluster():
    name = new_sandbox_name()
    api.create_cluster(name, nodes=2)
    sandbox = ClusterSandbox(name)
    try:
        applied = sandbox.apply(MANIFESTS)
        assert (
            "spec.template.spec.containers[0].readinessProbe is stored but has no effect in Podpath"
            in applied.warnings[("ReplicationController", "default", "rc")]
        )
        yield sandbox
    finally:
        sandbox.delete()


@pytest.mark.parametrize(("name", "pods"), [("rc", 2), ("rs", 2), ("ds", 2)])
def test_every_pod_of_the_workload_answers_behind_its_service(cluster, name, pods):
    owned = sorted(
        p["metadata"]["name"]
        for p in cluster.cluster().list("Pod", "default")
        if p["metadata"].get("labels", {}).get("app") == name
    )
    assert len(owned) == pods
    seen = set()
    for _ in range(30):
        result = cluster.in_pod("client", *curl(f"http://{name}/hostname"))
        assert result.returncode == 0, result.stderr
        seen.add(result.stdout)
        if seen == set(owned):
            break
    assert seen == set(owned)


def test_a_daemon_set_has_a_pod_on_each_node(cluster):
    nodes = sorted(
        p["spec"]["nodeName"]
        for p in cluster.cluster().list("Pod", "default")
        if p["metadata"].get("labels", {}).get("app") == "ds"
    )
    assert nodes == ["node0", "node1"]


def test_an_external_name_service_is_a_cname_the_client_follows(cluster):
    answer = cluster.in_pod("client", "dig", "+short", "outside.default.svc.cluster.local")
    assert answer.stdout.split() == ["internet.example.", "198.51.100.10"]
    reached = cluster.in_pod("client", *curl("http://outside/"))
    assert reached.returncode == 0 and reached.stdout


def test_a_request_typed_by_hand_with_nc_gets_gos_answer_at_once(cluster):
    start = time.monotonic()
    bad = cluster.in_pod("client", "sh", "-c", "echo hostName | nc -w 5 rc 80")
    assert time.monotonic() - start < 2  # not after nc's 5 s: the server answered and closed at once
    # (the helper reads text, so CRLF arrives as LF)
    assert bad.stdout.startswith("HTTP/1.1 400 Bad Request\n") and bad.stdout.endswith("\n\n400 Bad Request")
    start = time.monotonic()
    bare_lf = cluster.in_pod("client", "sh", "-c", r"printf 'GET /hostname HTTP/1.1\nHost: x\n\n' | nc -w 5 rc 80")
    assert time.monotonic() - start < 2
    assert bare_lf.stdout.startswith("HTTP/1.1 200 OK\n") and bare_lf.stdout.split("\n\n")[1].startswith("rc-")


def test_each_stateful_set_pod_answers_at_its_own_dns_name(cluster):
    for name in ("web-0", "web-1"):
        address = cluster.pod(name)["status"]["podIP"]
        found = cluster.in_pod("client", "dig", "+short", f"{name}.nginx.default.svc.cluster.local")
        assert found.stdout.split() == [address]
        page = cluster.in_pod("client", *curl(f"http://{name}.nginx/"))
        assert page.returncode == 0 and "Welcome to nginx" in page.stdout


def test_internal_traffic_policy_local_keeps_a_pods_traffic_on_its_node(cluster):
    (local,) = [
        p["metadata"]["name"]
        for p in cluster.cluster().list("Pod", "default")
        if p["metadata"].get("labels", {}).get("app") == "ds" and p["spec"]["nodeName"] == "node0"
    ]
    answers = {cluster.in_pod("client", *curl("http://ds-local/hostname")).stdout for _ in range(8)}
    assert answers == {local}  # the client runs on node0
    dropped = cluster.in_pod("client", *curl("-m", "1", "http://far-local/hostname"))
    assert dropped.returncode == 28  # its only endpoint is on node1: dropped, as kube-proxy does


def test_the_health_check_node_port_answers_with_each_nodes_endpoint_count(cluster):
    # ingress-nginx's Service is a LoadBalancer with externalTrafficPolicy Local; its one pod runs on node0.
    port = cluster.service("ingress-nginx-controller", "ingress-nginx")["spec"]["healthCheckNodePort"]
    answers = {}
    for node_ip in ("172.18.0.2", "172.18.0.3"):
        result = cluster.on_host(
            "external", "curl", "-s", "-m", "3", "-w", " %{http_code}", f"http://{node_ip}:{port}/"
        )
        body, _, code = result.stdout.rpartition(" ")
        answers[node_ip] = (code, json.loads(body)["localEndpoints"])
    assert answers == {"172.18.0.2": ("200", 1), "172.18.0.3": ("503", 0)}


def test_a_pod_runs_on_the_node_it_selects_and_one_no_node_fits_stays_pending(cluster):
    placed = cluster.pod("on-node1")
    assert placed["spec"]["nodeName"] == "node1" and placed["status"]["hostIP"] == "172.18.0.3"
    answer = cluster.in_pod("client", *curl(f"http://{placed['status']['podIP']}/"))
    assert answer.stdout == "Hello World\n"
    assert cluster.pod("nowhere")["status"]["phase"] == "Pending"
    with pytest.raises(PodpathError, match="does not have a host assigned"):
        cluster.in_pod("nowhere", "true")
