"""The kubectl-shaped commands, end to end, as a user types them."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import new_sandbox_name
from tests.talk import TALK_CLUSTER_IP, TALK_POD

PODPATH = [sys.executable, "-m", "podpath.cli"]
CLIENT = """
apiVersion: v1
kind: Pod
metadata: {name: client}
spec:
  containers:
  - {name: curl, image: curlimages/curl, command: [sleep, infinity]}
  - {name: box, image: busybox, command: [sleep, infinity]}
"""


def podpath(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([*PODPATH, *args], input=stdin, capture_output=True, text=True, timeout=120)


def created(name: str) -> str:
    result = podpath("sandbox", "create", name, "--cluster", "--nodes", "2")
    assert result.returncode == 0, result.stderr
    assert f"sandbox {name}: cluster with 2 nodes, pod network bridge" in result.stdout
    return name


@pytest.fixture
def cluster(sandbox_name):
    yield created(sandbox_name)
    podpath("sandbox", "delete", sandbox_name)


@pytest.fixture(scope="module")
def shared():
    name = created(new_sandbox_name())
    yield name
    podpath("sandbox", "delete", name)


def test_apply_get_describe_exec_delete(cluster, tmp_path):
    manifest = tmp_path / "talk.yaml"
    manifest.write_text("---\n".join([TALK_POD, TALK_CLUSTER_IP]))
    applied = podpath("apply", "-s", cluster, "-f", str(manifest))
    assert applied.stdout.splitlines() == ["pod/hello-world created", "service/hello-world-service created"]
    again = podpath("apply", "-s", cluster, "-f", "-", stdin=CLIENT)
    assert again.stdout.strip() == "pod/client created"

    table = podpath("get", "-s", cluster, "pods", "-o", "wide").stdout.splitlines()
    assert table[0].split()[:5] == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    rows = {line.split()[0]: line.split() for line in table[1:]}
    assert rows["client"][1:3] == ["2/2", "Running"] and rows["hello-world"][5].startswith("10.244.")

    service = json.loads(podpath("get", "-s", cluster, "svc", "hello-world-service", "-o", "json").stdout)
    assert service["spec"]["clusterIP"].startswith("10.")
    described = podpath("describe", "-s", cluster, "svc", "hello-world-service").stdout
    assert "Selector:" in described and "app=hello-world" in described
    assert f"Endpoints:                {rows['hello-world'][5]}:80" in described

    ran = podpath(
        "exec", "-s", cluster, "client", "-c", "box", "--", "wget", "-qO-", "-T", "3", "hello-world-service:8080"
    )
    assert ran.returncode == 0 and ran.stdout == "Hello World\n"
    on_node = podpath("exec", "-s", cluster, "--host", "node0", "--", "nft", "list", "ruleset")
    assert "default/hello-world-service" in on_node.stdout

    deleted = podpath("delete", "-s", cluster, "-f", str(manifest))
    assert deleted.stdout.splitlines() == ['pod "hello-world" deleted', 'service "hello-world-service" deleted']
    empty = podpath("get", "-s", cluster, "svc")
    assert empty.stdout == "" and empty.stderr.strip() == "No resources found in default namespace."


def test_switching_the_pod_network_and_listing_every_namespace(cluster):
    switched = podpath("cni", "-s", cluster, "vxlan")
    assert switched.returncode == 0 and "pod network vxlan" in switched.stdout
    listing = podpath("get", "-s", cluster, "pods", "-A").stdout.splitlines()
    assert listing[0].split()[0] == "NAMESPACE" and any(line.startswith("kube-system") for line in listing)
    nodes = podpath("get", "-s", cluster, "nodes").stdout
    assert "node0" in nodes and "node1" in nodes and "Ready" in nodes


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (("get", "pods", "nosuchpod"), None, 'Error from server (NotFound): pods "nosuchpod" not found'),
        (("get", "frobs"), None, 'the server doesn\'t have a resource type "frobs"'),
        (
            ("apply", "-f", "-"),
            "apiVersion: v1\nkind: Pod\nmetadata: {name: x}\nspec:\n  hostNetwork: 'yes'\n"
            "  containers: [{name: a, image: busybox}]\n",
            '<stdin>: document 1 (Pod default/x): spec.hostNetwork: true or false, got string "yes"',
        ),
        (
            ("apply", "-n", "default", "-f", "-"),
            "apiVersion: v1\nkind: Pod\nmetadata: {name: x, namespace: other}\n"
            "spec:\n  containers: [{name: a, image: busybox}]\n",
            "you must pass '--namespace=other' to perform this operation",
        ),
        (
            ("apply", "-f", "-"),
            "apiVersion: v1\nkind: Pod\nmetadata: {name: x}\nspec:\n  containers: [{name: a, image: redis}]\n",
            "spec.containers[0].image",
        ),
        (("exec", "nosuchpod", "--", "true"), None, 'pods "nosuchpod" not found in namespace "default"'),
        (("delete", "pod", "nosuchpod"), None, 'pods "nosuchpod" not found'),
    ],
)
def test_errors_read_like_kubectl_and_change_nothing(shared, args, stdin, message):
    before = podpath("get", "-s", shared, "pods", "-A", "-o", "json").stdout
    result = podpath(args[0], "-s", shared, *args[1:], stdin=stdin)
    assert result.returncode != 0
    assert message in result.stderr
    assert podpath("get", "-s", shared, "pods", "-A", "-o", "json").stdout == before


TEAM = """
apiVersion: v1
kind: Pod
metadata: {name: web, labels: {app: web}}
spec:
  containers:
  - name: web
    image: hello-world
    resources: {limits: {memory: 64Mi}}
    readinessProbe: {httpGet: {path: /, port: 80}}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 80}]
"""


def test_apply_warns_about_stored_fields_and_takes_a_namespace_like_kubectl(shared):
    assert (
        podpath(
            "apply", "-s", shared, "-f", "-", stdin="apiVersion: v1\nkind: Namespace\nmetadata: {name: team}\n"
        ).returncode
        == 0
    )
    applied = podpath("apply", "-s", shared, "-n", "team", "-f", "-", stdin=TEAM)
    assert applied.returncode == 0, applied.stderr
    assert applied.stderr.splitlines() == [
        "Warning: spec.containers[0].resources is stored but has no effect in Podpath",
        "Warning: spec.containers[0].readinessProbe is stored but has no effect in Podpath",
    ]
    assert applied.stdout.splitlines() == ["pod/web created", "service/web created"]
    again = podpath(
        "apply", "-s", shared, "-n", "team", "-f", "-", stdin=TEAM.replace("app: web}\n  ports", "app: web}\n  ports")
    )
    assert again.stdout.splitlines() == ["pod/web unchanged", "service/web unchanged"]
    relabelled = podpath(
        "apply",
        "-s",
        shared,
        "-n",
        "team",
        "-f",
        "-",
        stdin=TEAM.replace("metadata: {name: web}", "metadata: {name: web, labels: {tier: front}}"),
    )
    assert relabelled.stdout.splitlines() == ["pod/web unchanged", "service/web configured"]

    stored = json.loads(podpath("get", "-s", shared, "pod", "-n", "team", "web", "-o", "json").stdout)
    assert stored["spec"]["containers"][0]["resources"] == {"limits": {"memory": "64Mi"}}
    named = podpath("get", "-s", shared, "svc", "-n", "team", "web", "-o", "name")
    assert named.returncode == 0 and named.stdout == "service/web\n"
    missing = podpath("get", "-s", shared, "svc", "-n", "team", "nosuch")
    assert missing.returncode == 1 and missing.stdout == ""
    assert missing.stderr == 'Error from server (NotFound): services "nosuch" not found\n'
