"""A Gateway's routes compiled for its nginx: virtual hosts, listener isolation, splits, the rendered config."""

from __future__ import annotations

import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from netcore.kube.cluster import Cluster, ClusterConfig, apply_objects, new_cluster
from netcore.kube.defaults import apply_defaults
from netcore.kube.gateway.attach import resolve_gateways
from netcore.kube.gateway.match import Request
from netcore.kube.gateway.nginx import render_gateway_conf
from netcore.kube.gateway.routes import GatewayRoutes, compile_gateway, route_request
from netcore.kube.kinds import resolve_kind
from netcore.kube.manifests import load_documents, validate_objects
from netcore.kube.printers import render_table
from tests.gateway_manifests import GATEWAY_CLASS

NOW = "2026-01-01T00:00:00Z"
# The upstream conformance test "gateway-http-listener-isolation", reduced: one listener per hostname
# specificity, a route on each; a request goes to the most specific listener only.
ISOLATION = (
    GATEWAY_CLASS
    + """
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: iso}
spec:
  gatewayClassName: podpath
  listeners:
  - {name: empty, port: 80, protocol: HTTP}
  - {name: wildcard-example, port: 80, protocol: HTTP, hostname: "*.example.com"}
  - {name: wildcard-foo, port: 80, protocol: HTTP, hostname: "*.foo.example.com"}
  - {name: abc-foo, port: 80, protocol: HTTP, hostname: abc.foo.example.com}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec: {selector: {app: web}, ports: [{port: 80}]}
"""
    + "".join(
        f"""
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {{name: {listener}}}
spec:
  parentRefs: [{{name: iso, sectionName: {listener}}}]
  rules: [{{matches: [{{path: {{type: PathPrefix, value: /{listener}}}}}], backendRefs: [{{name: web, port: 80}}]}}]
"""
        for listener in ("empty", "wildcard-example", "wildcard-foo", "abc-foo")
    )
    + """
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: split}
spec:
  parentRefs: [{name: iso, sectionName: empty}]
  hostnames: [split.org]
  rules:
  - backendRefs: [{name: web, port: 80, weight: 3}, {name: gone, port: 80, weight: 1}, {name: web, port: 80, weight: 0}]
"""
)


def compiled(text: str, name: str) -> tuple[Cluster, GatewayRoutes]:
    cluster = new_cluster(ClusterConfig(nodes=1), NOW)
    objects = [apply_defaults(o) for o in validate_objects(load_documents(text, "t.yaml"), "t.yaml")]
    cluster, _ = apply_objects(cluster, objects, NOW)
    world = resolve_gateways(cluster)
    return cluster, compile_gateway(cluster, world, world.gateways[("default", name)])


def served_by(routes: GatewayRoutes, host: str, path: str) -> str:
    virtual_host, target = route_request(routes, 80, Request(host, path))
    return f"{virtual_host.listener}:{target.route if target else 404}" if virtual_host else "none"


@pytest.mark.parametrize(
    "host, path, expected",
    [
        ("bar.com", "/empty", "empty:default/empty"),
        ("bar.example.com", "/wildcard-example", "wildcard-example:default/wildcard-example"),
        ("bar.example.com", "/empty", "wildcard-example:404"),  # isolated: not the empty listener's route
        ("bar.foo.example.com", "/wildcard-foo", "wildcard-foo:default/wildcard-foo"),
        ("bar.foo.example.com", "/wildcard-example", "wildcard-foo:404"),
        ("abc.foo.example.com", "/abc-foo", "abc-foo:default/abc-foo"),
        ("abc.foo.example.com", "/wildcard-foo", "abc-foo:404"),
        ("split.org", "/", "empty:default/split"),
    ],
)
def test_each_request_reaches_the_most_specific_listener_only(host, path, expected):
    _, routes = compiled(ISOLATION, "iso")
    assert served_by(routes, host, path) == expected


def test_weights_become_shares_and_broken_refs_keep_theirs_as_500():
    _, routes = compiled(ISOLATION, "iso")
    split = next(t for t in routes.targets if t.route == "default/split")
    # web has no pods yet (503), gone does not exist (500), weight 0 gets nothing
    assert [(s.weight, s.upstream, s.status) for s in split.splits] == [(3, None, 503), (1, None, 500)]
    conf = render_gateway_conf(routes, certificate_dir="/d", fake_certificate="/f.pem")
    assert "75% @503;" in conf and "* @500;" in conf


NO_WORKING_LISTENER = (
    GATEWAY_CLASS
    + """
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: none}
spec: {gatewayClassName: podpath, listeners: [{name: dns, port: 53, protocol: UDP}]}
"""
)


# Values nginx would read as variables or syntax, names it has no variable for, every filter.
AWKWARD = (
    GATEWAY_CLASS
    + """
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: awkward}
spec: {gatewayClassName: podpath, listeners: [{name: http, port: 8080, protocol: HTTP, hostname: "*.example.com"}]}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: awkward}
spec:
  parentRefs: [{name: awkward}]
  rules:
  - matches:
    - path: {type: RegularExpression, value: '/v[0-9]+/.*'}
      headers: [{name: X.Dot, value: a}, {name: x-re, type: RegularExpression, value: '^(a|b)"{2}$'}]
      queryParams: [{name: q, value: 'x y;z'}]
    filters:
    - {type: RequestHeaderModifier, requestHeaderModifier: {set: [{name: X-Cost, value: 'a$b"c; d'}],
                                                             add: [{name: X.Dot, value: '${x}'}]}}
    - {type: ResponseHeaderModifier, responseHeaderModifier: {add: [{name: X-Semi, value: 'a;b {c}'}]}}
    - {type: URLRewrite, urlRewrite: {path: {type: ReplaceFullPath, replaceFullPath: '/new path/$1'}}}
  - matches: [{path: {type: PathPrefix, value: /old}}]
    filters:
    - type: RequestRedirect
      requestRedirect: {path: {type: ReplacePrefixMatch, replacePrefixMatch: '/n$w'}, port: 8443}
"""
)


@pytest.mark.skipif(shutil.which("nginx") is None, reason="needs the machine's nginx")
@pytest.mark.parametrize("text, name", [(ISOLATION, "iso"), (NO_WORKING_LISTENER, "none"), (AWKWARD, "awkward")])
def test_nginx_accepts_the_rendered_configuration(tmp_path: Path, text: str, name: str):
    from tests.ingress_conformance import certificate

    cert, key = certificate("fake.example")
    (tmp_path / "fake.pem").write_bytes(cert + key)
    _, routes = compiled(text, name)
    conf = tmp_path / "nginx.conf"
    text = render_gateway_conf(routes, certificate_dir=str(tmp_path), fake_certificate=str(tmp_path / "fake.pem"))
    conf.write_text(text.replace("user nobody nogroup;", ""))
    result = subprocess.run(
        ["nginx", "-t", "-q", "-p", f"{tmp_path}/", "-c", str(conf), "-e", str(tmp_path / "e.log")],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr


def test_kubectl_get_prints_the_crds_columns():
    cluster, _ = compiled(ISOLATION, "iso")
    now = datetime(2026, 1, 1, 0, 5, tzinfo=UTC)
    table = render_table(resolve_kind("gtw"), cluster.list("Gateway"), now=now)
    assert table.splitlines() == [
        "NAME   CLASS     ADDRESS        PROGRAMMED   AGE",
        "iso    podpath   203.0.113.10   True         5m",
    ]
    routes = render_table(resolve_kind("httproute"), [cluster.get("HTTPRoute", "default", "split")], now=now)
    assert routes.splitlines()[1].split() == ["split", '["split.org"]', "5m"]


def test_the_walk_is_told_which_listener_and_rule_take_a_request_and_why_not_the_others():
    from netcore.kube.gateway.explain import explain_request

    cluster, _ = compiled(ISOLATION, "iso")
    found = explain_request(cluster, "abc.foo.example.com", 80, "/wildcard-foo")
    assert found is not None and (found.address, found.gateway, found.listener) == (
        "203.0.113.10",
        "default/iso",
        "abc-foo",
    )
    assert found.notes == (
        "listener abc-foo, hostname abc.foo.example.com",
        "not default/abc-foo rule 0 (PathPrefix /abc-foo): path /wildcard-foo is not PathPrefix /abc-foo",
        "no rule matches: the Gateway answers 404",
    )
    assert explain_request(cluster, "unknown.org", 80) is None  # only hosts a listener or route names
    split = explain_request(cluster, "split.org", 80)
    assert split is not None and split.notes[-1] == (
        "backends: default/web:80 weight 3 (75 %): no ready endpoints, answers 503; "
        "default/gone:80 weight 1 (25 %): BackendNotFound, answers 500"
    )


def test_describe_spells_out_spec_and_status_as_kubectl_does_for_custom_resources():
    from netcore.kube.printers import render_describe

    cluster, _ = compiled(ISOLATION, "iso")
    page = render_describe(cluster.get("Gateway", "default", "iso"), {})
    assert "API Version:  gateway.networking.k8s.io/v1" in page and "Gateway Class Name:  podpath" in page
    lines = [line.split() for line in page.splitlines()]
    assert ["Attached", "Routes:", "1"] in lines and ["Events:", "<none>"] in lines
    assert ["Value:", "203.0.113.10"] in lines
