"""Shared helpers for the cluster tests: a cluster fixture factory and real clients inside pods."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass

from netcore import names
from netcore.kube import api
from netcore.sandbox import lifecycle

AGNHOST = "registry.k8s.io/e2e-test-images/agnhost:2.47"


@dataclass
class ClusterSandbox:
    name: str

    def apply(self, manifest: str):
        return api.apply_manifests(self.name, manifest, "test.yaml")

    def cluster(self):
        return api.load_cluster(self.name)

    def pod(self, name: str, namespace: str = "default") -> dict:
        return self.cluster().get("Pod", namespace, name)

    def service(self, name: str, namespace: str = "default") -> dict:
        return self.cluster().get("Service", namespace, name)

    def in_pod(
        self, pod: str, *argv: str, namespace: str = "default", timeout: float = 20
    ) -> subprocess.CompletedProcess:
        return run(api.pod_namespace(self.name, namespace, pod), argv, timeout)

    def on_host(self, host: str, *argv: str, timeout: float = 20) -> subprocess.CompletedProcess:
        return run(names.netns_name(self.name, host), argv, timeout)

    def delete(self) -> None:
        lifecycle.delete_sandbox(self.name)


def run(namespace: str, argv, timeout: float) -> subprocess.CompletedProcess:
    return subprocess.run(["ip", "netns", "exec", namespace, *argv], capture_output=True, text=True, timeout=timeout)


def curl(*args: str) -> tuple[str, ...]:
    return ("curl", "-s", "-m", "3", *args)


def netexec_deployment(name: str, replicas: int, labels: str = "", port: int = 8080, udp: int = 8081) -> str:
    """agnhost netexec pods, as the Kubernetes e2e service tests run them."""
    return f"""
apiVersion: apps/v1
kind: Deployment
metadata: {{name: {name}}}
spec:
  replicas: {replicas}
  selector: {{matchLabels: {{app: {name}}}}}
  template:
    metadata: {{labels: {{app: {name}{labels}}}}}
    spec:
      containers:
      - name: agnhost
        image: {AGNHOST}
        args: [netexec, --http-port={port}, --udp-port={udp}]
        ports:
        - {{name: http, containerPort: {port}}}
        - {{name: udp, containerPort: {udp}, protocol: UDP}}
"""


CLIENT_POD = """
apiVersion: v1
kind: Pod
metadata: {name: client}
spec:
  nodeName: node0
  containers:
  - {name: client, image: curlimages/curl, command: [sleep, infinity]}
"""
