"""The upstream Gateway API conformance cases (tests/gateway_conformance.py) on the real kernel: each case's
manifests applied on the base, the status it asserts, its requests sent from `external` through the
Gateway's nginx to echo-basic backends, then its objects deleted, as the suite runs them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from netcore.kube import api
from netcore.kube.manifests import load_documents
from tests import gateway_conformance as conformance
from tests.conftest import new_sandbox_name
from tests.kernel.kube_helpers import ClusterSandbox
from tests.unit.test_gateway_conformance import check_conditions


@pytest.fixture(scope="module")
def cluster():
    name = new_sandbox_name()
    api.create_cluster(name, nodes=2)
    sandbox = ClusterSandbox(name)
    try:
        sandbox.apply(conformance.BASE)
        yield sandbox
    finally:
        sandbox.delete()


def keys(text: str) -> list[tuple[str, str, str]]:
    out = []
    for document in load_documents(text, "case.yaml"):
        meta = document["metadata"]
        out.append(
            (
                document["kind"],
                "" if document["kind"] == "GatewayClass" else meta.get("namespace", "default"),
                meta["name"],
            )
        )
    return out


def send(cluster: ClusterSandbox, address: str, expect: conformance.Expect, ca: Path) -> str:
    """Send one request as the suite does; return what is wrong with the answer, or ""."""
    argv = ["curl", "-s", "-m", "3", "-D", "/dev/stderr", "-w", "\n%{http_code}"]
    if expect.https:  # SNI and Host the name, the certificate checked against the Secret's
        url = f"https://{expect.host}{expect.path}"
        argv += ["--cacert", str(ca), "--resolve", f"{expect.host}:443:{address}"]
    else:
        url = f"http://{address}{expect.path}"
        argv += ["-H", f"Host: {expect.host}"] if expect.host else []
    for name, value in expect.headers:
        argv += ["-H", f"{name}: {value}"]
    result = cluster.on_host("external", *argv, url)
    if result.returncode not in (0, 22):
        return f"curl failed ({result.returncode}): {result.stderr.strip()[-200:]}"
    body, _, status_text = result.stdout.rpartition("\n")
    status = int(status_text or 0)
    if status != expect.status:
        return f"status {status}, expected {expect.status}"
    if expect.location:
        wanted = expect.location.format(address=address)
        if f"location: {wanted}".lower() not in result.stderr.lower().splitlines():
            return f"no Location {wanted} in {result.stderr!r}"
    if expect.backend:
        echo = json.loads(body)
        if not echo["pod"].startswith(expect.backend) or echo["namespace"] != expect.namespace:
            return f"answered by {echo['namespace']}/{echo['pod']}, expected {expect.namespace}/{expect.backend}-..."
        if echo["path"] != expect.path:
            return f"the backend saw path {echo['path']}"
    return ""


@pytest.mark.parametrize("case", conformance.CASES, ids=lambda case: case.name)
def test_the_conformance_case_passes_through_nginx(cluster, case: conformance.Case, tmp_path: Path):
    ca = tmp_path / "ca.pem"
    ca.write_bytes(conformance.CERTIFICATE)
    cluster.apply(case.manifests)
    try:
        state = cluster.cluster()
        check_conditions(state, case.manifests, case.conditions)
        if case.gateway:
            status = state.get("Gateway", conformance.INFRA, case.gateway)["status"]
            address = status["addresses"][0]["value"]
            failures = [
                f"{expect}: {problem}" for expect in case.expects if (problem := send(cluster, address, expect, ca))
            ]
            assert not failures, "\n".join(failures)
        for then in case.then:
            cluster.apply(then.manifests)
            check_conditions(cluster.cluster(), then.manifests, then.conditions)
    finally:
        api.delete_resources(cluster.name, keys(case.manifests))
