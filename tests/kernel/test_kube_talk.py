"""The talk's hands-on part, as written: its Pod, its Services, its LoadBalancer, on the real kernel."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from netcore.kube import api
from tests.kernel.kube_helpers import CLIENT_POD, ClusterSandbox, curl
from tests.talk import TALK_CLUSTER_IP, TALK_LOAD_BALANCER, TALK_POD


@pytest.fixture
def talk(sandbox_name):
    api.create_cluster(sandbox_name, nodes=2)
    sandbox = ClusterSandbox(sandbox_name)
    try:
        sandbox.apply("\n---\n".join([TALK_POD, CLIENT_POD, TALK_CLUSTER_IP, TALK_LOAD_BALANCER]))
        yield sandbox
    finally:
        sandbox.delete()


def test_pod_and_cluster_ip_answer_hello_world_by_address_and_by_name(talk):
    pod_ip = talk.pod("hello-world")["status"]["podIP"]
    assert pod_ip.startswith("10.244.")
    assert talk.in_pod("client", *curl(pod_ip)).stdout == "Hello World\n"
    cluster_ip = talk.service("hello-world-service")["spec"]["clusterIP"]
    assert cluster_ip.startswith("10.") and talk.in_pod("client", *curl(f"{cluster_ip}:8080")).stdout == "Hello World\n"
    assert talk.in_pod("client", *curl("hello-world-service:8080")).stdout == "Hello World\n"


def test_the_load_balancer_gets_an_external_address_the_outside_reaches(talk):
    ingress = talk.service("hello-world")["status"]["loadBalancer"]["ingress"]
    assert ingress[0]["ip"].startswith("203.0.113.")
    assert talk.on_host("external", *curl(f"http://{ingress[0]['ip']}/")).stdout == "Hello World\n"


def test_get_pods_json_shows_status_like_the_api_server(talk):
    result = subprocess.run(
        [sys.executable, "-m", "podpath.cli", "get", "-s", talk.name, "pods", "-o", "json"],
        capture_output=True,
        text=True,
        check=True,
    )
    listing = json.loads(result.stdout)
    assert listing["kind"] == "List"
    pod = next(p for p in listing["items"] if p["metadata"]["name"] == "hello-world")
    assert pod["status"]["podIP"] == talk.pod("hello-world")["status"]["podIP"]
    assert pod["status"]["phase"] == "Running"
    assert pod["status"]["hostIP"].startswith("172.18.0.")
    services = json.loads(
        subprocess.run(
            [sys.executable, "-m", "podpath.cli", "get", "-s", talk.name, "svc", "hello-world", "-o", "json"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    assert services["kind"] == "Service" and services["spec"]["ports"][0]["nodePort"] >= 30000
    assert services["status"]["loadBalancer"]["ingress"][0]["ip"].startswith("203.0.113.")
