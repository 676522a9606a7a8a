"""Pods, namespaces and apply semantics on the real kernel."""

from __future__ import annotations

import pytest

from netcore.errors import PodpathError, SpecError
from netcore.kube import api
from tests.kernel.kube_helpers import ClusterSandbox, curl


@pytest.fixture
def cluster(sandbox_name):
    api.create_cluster(sandbox_name, nodes=2)
    sandbox = ClusterSandbox(sandbox_name)
    try:
        yield sandbox
    finally:
        sandbox.delete()


TWO_CONTAINERS = """
apiVersion: v1
kind: Pod
metadata: {name: duo}
spec:
  containers:
  - name: web
    image: nginx
    ports: [{containerPort: 80}]
  - name: sidecar
    image: busybox
    command: [sleep, infinity]
"""


def test_containers_of_a_pod_share_one_network_namespace(cluster):
    cluster.apply(TWO_CONTAINERS)
    page = cluster.in_pod("duo", *curl("http://localhost/"))
    assert "Welcome to nginx!" in page.stdout
    addresses = cluster.in_pod("duo", "ip", "-br", "-4", "addr", "show", "eth0").stdout
    assert cluster.pod("duo")["status"]["podIP"] in addresses


def test_an_invalid_document_changes_nothing_even_after_valid_ones(cluster):
    before = cluster.cluster().to_json()
    broken = (
        TWO_CONTAINERS
        + """
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  ports: [{port: "eighty"}]
"""
    )
    with pytest.raises(SpecError) as caught:
        cluster.apply(broken)
    assert "document 2" in str(caught.value) and "spec.ports[0].port" in str(caught.value)
    assert cluster.cluster().to_json() == before
    assert cluster.cluster().get("Pod", "default", "duo") is None


def test_an_unknown_image_is_refused_with_the_catalog(cluster):
    with pytest.raises(PodpathError) as caught:
        cluster.apply(TWO_CONTAINERS.replace("image: nginx", "image: redis:7"))
    assert "redis" in str(caught.value) and "hello-world" in str(caught.value)


def test_namespaces_carry_their_name_label_and_their_pods_resolve_with_their_search_path(cluster):
    cluster.apply("""
apiVersion: v1
kind: Namespace
metadata: {name: team-a}
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: team-a, labels: {app: web}}
spec:
  containers: [{name: web, image: hello-world, ports: [{containerPort: 80}]}]
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: team-a}
spec:
  selector: {app: web}
  ports: [{port: 80}]
---
apiVersion: v1
kind: Pod
metadata: {name: probe}
spec:
  containers: [{name: probe, image: busybox, command: [sleep, infinity]}]
""")
    namespace = cluster.cluster().get("Namespace", "", "team-a")
    assert namespace["metadata"]["labels"]["kubernetes.io/metadata.name"] == "team-a"
    assert cluster.in_pod("probe", *curl("http://web.team-a/")).stdout == "Hello World\n"
    assert cluster.in_pod("web", *curl("http://web/"), namespace="team-a").stdout == "Hello World\n"
    assert cluster.in_pod("probe", "curl", "-s", "-m", "2", "http://web/").returncode != 0  # not in default
    resolv = cluster.in_pod("web", "cat", "/etc/resolv.conf", namespace="team-a").stdout
    assert "search team-a.svc.cluster.local svc.cluster.local cluster.local" in resolv
    assert "nameserver 10.96.0.10" in resolv


def test_a_deleted_deployment_pod_is_replaced_and_deleting_a_namespace_deletes_its_pods(cluster):
    cluster.apply("""
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: hello-world, ports: [{containerPort: 80}]}]
""")
    pods = [p["metadata"]["name"] for p in cluster.cluster().list("Pod", "default")]
    api.delete_resources(cluster.name, [("Pod", "default", pods[0])])
    after = [p["metadata"]["name"] for p in cluster.cluster().list("Pod", "default")]
    assert len(after) == 2 and pods[0] not in after
    api.delete_resources(cluster.name, [("Deployment", "default", "web")])
    assert cluster.cluster().list("Pod", "default") == []
