"""Gateway API on the real kernel: one Gateway, its own nginx in its own pod, reached from `external` at
its LoadBalancer address, routing HTTPRoutes to conformance echoservers (their JSON names the Service
and pod that answered). Each test sends real requests through nginx.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path

import pytest

from netcore.kube import api
from tests import ingress_conformance as cases
from tests.conftest import new_sandbox_name
from tests.gateway_manifests import GATEWAY_CLASS
from tests.kernel.kube_helpers import ClusterSandbox

GATEWAY = """
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: edge, namespace: infra}
spec:
  gatewayClassName: podpath
  listeners:
  - {name: http, port: 80, protocol: HTTP, allowedRoutes: {namespaces: {from: All}}}
  - name: https
    port: 443
    protocol: HTTPS
    hostname: shop.example
    tls: {certificateRefs: [{name: shop-tls}]}
    allowedRoutes: {namespaces: {from: All}}
"""
ROUTES = """
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: shop, namespace: apps}
spec:
  parentRefs: [{name: edge, namespace: infra}]
  hostnames: [shop.example]
  rules:
  - matches: [{path: {type: PathPrefix, value: /cart}}]
    backendRefs: [{name: cart, port: 8080}]
  - matches: [{path: {type: PathPrefix, value: /}, headers: [{name: x-canary, value: "always"}]}]
    backendRefs: [{name: canary, port: 8080}]
  - backendRefs: [{name: stable, port: 8080, weight: 90}, {name: canary, port: 8080, weight: 10}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: tools, namespace: apps}
spec:
  parentRefs: [{name: edge, namespace: infra, sectionName: http}]
  hostnames: [tools.example]
  rules:
  - matches: [{path: {type: Exact, value: /old}}]
    filters:
    - type: RequestRedirect
      requestRedirect: {path: {type: ReplaceFullPath, replaceFullPath: /new}, statusCode: 301}
  - matches: [{path: {type: PathPrefix, value: /moved}}]
    filters:
    - type: RequestRedirect
      requestRedirect: {path: {type: ReplacePrefixMatch, replacePrefixMatch: '/n$w'}, port: 8443, statusCode: 308}
  - matches: [{path: {type: PathPrefix, value: /secure}}]
    filters: [{type: RequestRedirect, requestRedirect: {scheme: https, hostname: shop.example}}]
  - matches: [{path: {type: PathPrefix, value: /api}}]
    filters:
    - type: URLRewrite
      urlRewrite: {hostname: backend.internal, path: {type: ReplacePrefixMatch, replacePrefixMatch: /v2}}
    - type: RequestHeaderModifier
      requestHeaderModifier:
        set: [{name: X-Team, value: tools}]
        add: [{name: X-Trace, value: gateway}]
        remove: [X-Secret]
    - {type: ResponseHeaderModifier, responseHeaderModifier: {set: [{name: X-Served-By, value: podpath-gateway}]}}
    backendRefs: [{name: stable, port: 8080}]
  - matches: [{path: {type: PathPrefix, value: /other-team}}]
    backendRefs: [{name: web, namespace: other, port: 8080}]
  - matches: [{path: {type: PathPrefix, value: /missing}}]
    backendRefs: [{name: nowhere, port: 8080}]
  - matches: [{path: {type: PathPrefix, value: /empty}}]
    backendRefs: [{name: empty, port: 8080}]
"""
GRANT = """
apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata: {name: from-apps, namespace: other}
spec:
  from: [{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: apps}]
  to: [{group: "", kind: Service}]
"""
EMPTY_SERVICE = (
    "apiVersion: v1\nkind: Service\nmetadata: {name: empty, namespace: apps}\n"
    "spec: {selector: {app: nothing-yet}, ports: [{port: 8080, targetPort: 3000}]}\n"
)
SETUP = "\n---\n".join(
    [
        GATEWAY_CLASS,
        cases.namespace("infra"),
        cases.namespace("apps"),
        cases.namespace("other"),
        GATEWAY,
        cases.tls_secret("infra", "shop-tls", "shop.example"),
        cases.echo_backend("apps", "gateway", "cart"),
        cases.echo_backend("apps", "gateway", "stable"),
        cases.echo_backend("apps", "gateway", "canary"),
        cases.echo_backend("other", "gateway", "web"),
        EMPTY_SERVICE,
        ROUTES,
    ]
)


@pytest.fixture(scope="module")
def cluster():
    name = new_sandbox_name()
    api.create_cluster(name, nodes=2)
    sandbox = ClusterSandbox(name)
    try:
        sandbox.apply(SETUP)
        yield sandbox
    finally:
        sandbox.delete()
    assert not gateway_nginx(name)


def gateway_nginx(sandbox: str) -> list[int]:
    """nginx masters of the sandbox's gateways (their command line names the gateway runtime prefix)."""
    mark = f"/run/podpath/{sandbox}/gateway-nginx/".encode()
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if mark in Path(f"/proc/{pid}/cmdline").read_bytes():
                found.append(int(pid))
        except OSError:
            continue
    return found


def address(cluster: ClusterSandbox) -> str:
    return cluster.cluster().get("Gateway", "infra", "edge")["status"]["addresses"][0]["value"]


def curl(cluster: ClusterSandbox, host: str, path: str = "/", *options: str) -> tuple[int, str, str]:
    """One request from `external` to the Gateway's address: (status, body, response headers)."""
    result = cluster.on_host(
        "external",
        "curl",
        "-s",
        "-m",
        "3",
        "-D",
        "/dev/stderr",
        "-w",
        "\n%{http_code}",
        "-H",
        f"Host: {host}",
        *options,
        f"http://{address(cluster)}{path}",
    )
    body, _, status = result.stdout.rpartition("\n")
    return int(status or 0), body, result.stderr


def echo(cluster: ClusterSandbox, host: str, path: str = "/", *options: str) -> dict:
    status, body, _ = curl(cluster, host, path, *options)
    assert status == 200, (host, path, status, body)
    return json.loads(body)


def conditions(obj: dict) -> dict[str, str]:
    return {c["type"]: c["reason"] for c in obj["conditions"]}


def test_the_gateway_is_programmed_at_a_load_balancer_address(cluster):
    gateway = cluster.cluster().get("Gateway", "infra", "edge")
    assert conditions(gateway["status"]) == {"Accepted": "Accepted", "Programmed": "Programmed"}
    assert address(cluster).startswith("203.0.113.")
    assert {item["name"]: item["attachedRoutes"] for item in gateway["status"]["listeners"]} == {"http": 2, "https": 1}
    assert len(gateway_nginx(cluster.name)) == 1


def test_host_and_path_pick_the_rule(cluster):
    assert echo(cluster, "shop.example", "/cart/items")["service"] == "cart"
    assert echo(cluster, "shop.example", "/cart")["service"] == "cart"
    assert echo(cluster, "shop.example", "/cartoon")["service"] in ("stable", "canary")  # not /cart's
    assert curl(cluster, "unknown.example", "/cart")[0] == 404


def test_a_header_match_wins_over_the_weighted_rule(cluster):
    assert {echo(cluster, "shop.example", "/", "-H", "x-canary: always")["service"] for _ in range(10)} == {"canary"}


def test_a_90_10_split_holds_over_1000_requests(cluster):
    # One curl, 1,000 requests on one connection: nginx draws each request's backend at random (split_clients
    # over $request_id). 10 % of 1,000 is 100 with a standard deviation of 9.5; ±40 is more than 4 of them.
    argv = ["curl", "-s", "-m", "60", "-H", "Host: shop.example", "-w", "\n@@@\n"]
    argv += [f"http://{address(cluster)}/?n={n}" for n in range(1000)]
    result = cluster.on_host("external", *argv, timeout=90)
    bodies = [part.strip() for part in result.stdout.split("@@@") if part.strip()]
    services = Counter(json.loads(body)["service"] for body in bodies)
    assert sum(services.values()) == 1000
    assert 60 <= services["canary"] <= 140 and services["stable"] == 1000 - services["canary"], services


def test_redirects_answer_with_the_location_the_filter_says(cluster):
    status, _, headers = curl(cluster, "tools.example", "/old?x=1")
    assert status == 301 and "location: http://tools.example/new?x=1" in headers.lower()
    status, _, headers = curl(cluster, "tools.example", "/moved/x?y=1")
    assert status == 308 and "location: http://tools.example:8443/n$w/x?y=1" in headers.lower()
    status, _, headers = curl(cluster, "tools.example", "/secure/page")
    assert status == 302 and "location: https://shop.example/secure/page" in headers.lower()


def test_rewrite_and_header_modifiers_reach_the_backend(cluster):
    status, body, headers = curl(
        cluster, "tools.example", "/api/users?id=7", "-H", "X-Secret: s3cret", "-H", "X-Trace: client"
    )
    assert status == 200
    seen = json.loads(body)
    assert (seen["service"], seen["path"], seen["host"]) == ("stable", "/v2/users?id=7", "backend.internal")
    sent = {name.lower(): value for name, value in seen["headers"].items()}
    assert sent["x-team"] == ["tools"] and sent["x-trace"] == ["client,gateway"] and "x-secret" not in sent
    assert sent["x-forwarded-for"] == ["198.51.100.100"]  # externalTrafficPolicy Local: the client's own address
    assert "x-served-by: podpath-gateway" in headers.lower()


def test_a_cross_namespace_backend_needs_a_reference_grant(cluster):
    route = cluster.cluster().get("HTTPRoute", "apps", "tools")
    assert conditions(route["status"]["parents"][0])["ResolvedRefs"] == "RefNotPermitted"
    assert curl(cluster, "tools.example", "/other-team")[0] == 500
    cluster.apply(GRANT)
    try:
        assert echo(cluster, "tools.example", "/other-team")["namespace"] == "other"
    finally:
        api.delete_resources(cluster.name, [("ReferenceGrant", "other", "from-apps")])
    assert curl(cluster, "tools.example", "/other-team")[0] == 500


def test_invalid_backends_answer_500_and_services_without_endpoints_503(cluster):
    assert curl(cluster, "tools.example", "/missing")[0] == 500
    assert curl(cluster, "tools.example", "/empty")[0] == 503


def test_endpoints_are_followed_live(cluster):
    backend = cases.echo_backend("apps", "gateway", "empty").split("---")[0].replace("gateway-empty", "nothing-yet")
    cluster.apply(backend)
    try:
        assert echo(cluster, "tools.example", "/empty")["service"] == "empty"
    finally:
        api.delete_resources(cluster.name, [("Deployment", "apps", "nothing-yet")])
    assert curl(cluster, "tools.example", "/empty")[0] == 503


def test_the_https_listener_terminates_tls_with_its_secret(cluster, tmp_path):
    ca = tmp_path / "shop.pem"
    ca.write_bytes(cases.certificate("shop.example")[0])
    result = cluster.on_host(
        "external",
        "curl",
        "-s",
        "-m",
        "3",
        "--cacert",
        str(ca),
        "--resolve",
        f"shop.example:443:{address(cluster)}",
        "https://shop.example/cart",
    )
    assert result.returncode == 0 and json.loads(result.stdout)["service"] == "cart"


def test_the_walk_through_the_gateway_names_the_rule_and_follows_nginx_to_the_backend(cluster):
    from netcore.walk.run import walk

    result = walk(sandbox=cluster.name, source="external", destination="http://shop.example/cart/items").walk
    request, upstream = result.legs
    assert request.request[0].layers.l3["dst"] == address(cluster)
    assert request.verdict.at.name.startswith("pod infra/edge-podpath")
    assert upstream.purpose == "upstream" and upstream.request[-1].place.host.startswith("apps-gateway-cart")
    notes = "\n".join(result.notes)
    assert "Gateway infra/edge" in result.notes[0]
    assert "listener http, hostname shop.example" in notes
    assert "matched apps/shop rule 0 (PathPrefix /cart)" in notes
    assert "backends: apps/cart:8080 weight 1 (100 %)" in notes
    split = walk(sandbox=cluster.name, source="external", destination="http://shop.example/").walk
    notes = "\n".join(split.notes)
    assert "not apps/shop rule 0 (PathPrefix /cart): path / is not PathPrefix /cart" in notes
    assert "not apps/shop rule 1 (PathPrefix /, header x-canary=always): header x-canary is absent" in notes
    assert "apps/stable:8080 weight 90 (90 %); apps/canary:8080 weight 10 (10 %)" in notes
    secure = walk(sandbox=cluster.name, source="external", destination="https://shop.example/cart").walk
    notes = "\n".join(secure.notes)  # no TLS in the walk: it connects, and the notes name the HTTPS listener
    assert "listener https, hostname shop.example" in notes and "matched apps/shop rule 0 (PathPrefix /cart)" in notes
    assert secure.legs[0].request[0].layers.l4["dport"] == 443 and secure.verdict.outcome == "delivered"
