"""A refused apply changes nothing: the cluster store and the kernel are byte-for-byte what they were.

A real cluster sandbox runs two pods and a Service. Then manifests that must be refused are applied:
a valid document followed by an invalid one (validation is all or nothing), an unknown image (checked
after the schema), a YAML alias bomb, a 10 MB document, a NUL byte, a name one character past the
API server's limit, a change to an immutable field. After each refusal the sandbox's files (the
cluster store, the record, DNS, /etc/netns) and every namespace's links, addresses, routes and
nftables ruleset read exactly as before, asked of the kernel.
"""

from __future__ import annotations

import re
import subprocess
import time
from pathlib import Path

import pytest

from netcore import names
from netcore.errors import PodpathError, SpecError
from netcore.kube import api
from tests.kernel.kube_helpers import ClusterSandbox

WEB = """
apiVersion: v1
kind: Pod
metadata: {name: web, labels: {app: web}}
spec:
  containers: [{name: web, image: hello-world}]
---
apiVersion: v1
kind: Pod
metadata: {name: client}
spec:
  containers: [{name: curl, image: curlimages/curl, command: [sleep, infinity]}]
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 8080, targetPort: 80}]
"""
NEW_POD = "apiVersion: v1\nkind: Pod\nmetadata: {{name: {name}}}\nspec:\n  containers: [{{name: c, image: {image}}}]\n"


def bomb() -> str:
    lines = ['    l0: &l0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"    l{n}: &l{n} [" + ",".join([f"*l{n - 1}"] * 9) + "]" for n in range(1, 9)]
    return NEW_POD.format(name="bomb", image="nginx").replace(
        "metadata: {name: bomb}", "metadata:\n  name: bomb\n  annotations:\n" + "\n".join(lines)
    )


REFUSED = {
    "a valid pod then an invalid service": NEW_POD.format(name="extra", image="nginx")
    + "---\napiVersion: v1\nkind: Service\nmetadata: {name: bad}\nspec:\n  ports: [{port: 99999}]\n",
    "an unknown image": NEW_POD.format(name="extra", image="nginx")
    + "---\n"
    + NEW_POD.format(name="unknown", image="example.com/not-in-the-catalog"),
    "an alias bomb": bomb(),
    "10 MB": NEW_POD.format(name="big", image="nginx").replace(
        "metadata: {name: big}", "metadata:\n  name: big\n  annotations: {big: " + "x" * 10_000_000 + "}"
    ),
    "a NUL byte": NEW_POD.format(name="nul\x00", image="nginx"),
    "a name past the 253-character limit": NEW_POD.format(name="a" * 254, image="nginx"),
    "a Service's clusterIP changed (immutable)": None,  # filled in from the live Service below
}


def run(*argv: str) -> str:
    return subprocess.run(argv, capture_output=True, text=True, check=True).stdout


def namespaces_of(sandbox: str) -> list[str]:
    prefix = names.sandbox_prefix(sandbox)
    return sorted(line.split()[0] for line in run("ip", "netns", "list").splitlines() if line.startswith(prefix))


def files_under(directory: Path) -> dict[str, bytes]:
    skip = {"workloads.log", "workloads.sock", "workloads.pid"}  # the runner's own log and socket
    return {
        str(p.relative_to(directory)): p.read_bytes()
        for p in sorted(directory.rglob("*"))
        if p.is_file() and p.name not in skip
    }


def snapshot(sandbox: str) -> dict:
    """Everything a refused apply must leave alone, read from the disk and asked of the kernel."""
    state: dict = {"files": files_under(names.sandbox_dir(sandbox))}
    for namespace in namespaces_of(sandbox):
        etc = names.etc_netns_dir(namespace)
        state[namespace] = {
            "etc": files_under(etc) if etc.is_dir() else {},
            # a bridge's timers tick on their own: everything else of each link, in detail
            "links": re.sub(r"(\w*timer) +[\d.]+", r"\1", run("ip", "-n", namespace, "-d", "-o", "link", "show")),
            "addresses": run("ip", "-n", namespace, "-o", "addr", "show"),
            "routes": run("ip", "-n", namespace, "route", "show", "table", "all"),
            "rules": run("ip", "-n", namespace, "rule", "show"),
            "nftables": run("ip", "netns", "exec", namespace, "nft", "list", "ruleset"),
        }
    return state


def settled(sandbox: str, within_s: float = 20) -> None:
    """Wait for the kernel's own changes after a build (a new link's carrier comes up: UNKNOWN, then UP)."""
    deadline = time.monotonic() + within_s
    previous = snapshot(sandbox)
    while time.monotonic() < deadline:
        time.sleep(1)
        current = snapshot(sandbox)
        if current == previous:
            return
        previous = current
    raise AssertionError("the sandbox's kernel state did not settle")


@pytest.fixture(scope="module")
def cluster():
    from tests.conftest import new_sandbox_name

    name = new_sandbox_name()
    api.create_cluster(name, nodes=2)
    sandbox = ClusterSandbox(name)
    try:
        sandbox.apply(WEB)
        settled(name)
        yield sandbox
    finally:
        sandbox.delete()


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_a_refused_apply_leaves_the_store_and_the_kernel_as_they_were(cluster, case):
    text = REFUSED[case]
    if text is None:
        service = cluster.service("web")
        octets = service["spec"]["clusterIP"].split(".")
        moved = ".".join([*octets[:3], str((int(octets[3]) + 7) % 250 + 2)])
        text = (
            "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n  selector: {app: web}\n"
            f"  clusterIP: {moved}\n  ports: [{{port: 8080, targetPort: 80}}]\n"
        )
    before = snapshot(cluster.name)
    assert len(before) > 3  # the files and the nodes' namespaces at least
    with pytest.raises(PodpathError) as refused:
        cluster.apply(text)
    if isinstance(refused.value, SpecError):  # names the document (the file's, or the object's) and why
        assert refused.value.source.startswith(("test.yaml", "Service default/web")) and refused.value.expected
    after = snapshot(cluster.name)
    assert after.keys() == before.keys()
    for part in before:
        assert after[part] == before[part], f"{case}: {part} changed"


def test_the_sandbox_still_works_after_the_refusals(cluster):
    outcomes = cluster.apply(NEW_POD.format(name="late", image="nginx")).outcomes
    assert [text for _, text in outcomes] == ["created"]
    assert cluster.pod("late")["status"]["podIP"].startswith("10.244.")
