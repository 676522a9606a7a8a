"""Gateway API conformance cases (kubernetes-sigs/gateway-api ``conformance/``), transcribed as data.

The base (``conformance/base/manifests.yaml``): three namespaces, the Gateways ``same-namespace``,
``all-namespaces`` and ``backend-namespaces`` of the class under test, and echo-basic backends whose
JSON names the namespace and pod that answered (a backend is recognised by its pod's name prefix, as
the suite does). Each case is one upstream Core test: its manifests, the status conditions it asserts,
and the requests it sends with the answers it expects. The manifests are the upstream ones rewritten
compactly, with the class ``podpath``; the backends run one replica instead of two, which the suite
does not look at. ``{address}`` in an expected Location stands for the Gateway's address.
"""

from __future__ import annotations

from dataclasses import dataclass

from tests.ingress_conformance import certificate, tls_secret

INFRA = "gateway-conformance-infra"
APP = "gateway-conformance-app-backend"
WEB = "gateway-conformance-web-backend"
ECHO_IMAGE = "registry.k8s.io/gateway-api/conformance/echo-basic:v0.1.0"
GROUP = "gateway.networking.k8s.io/v1"
TLS_NAMES = ("example.org", "second-example.org", "unknown-example.org", "*.wildcard.org")


def backend(namespace: str, name: str) -> str:
    """An echo-basic Deployment and its Service (port 8080 to 3000), as the base manifests write them."""
    return f"""apiVersion: apps/v1
kind: Deployment
metadata: {{name: {name}, namespace: {namespace}, labels: {{app: {name}}}}}
spec:
  replicas: 1
  selector: {{matchLabels: {{app: {name}}}}}
  template:
    metadata: {{labels: {{app: {name}}}}}
    spec:
      containers:
      - name: {name}
        image: {ECHO_IMAGE}
        env:
        - {{name: POD_NAME, valueFrom: {{fieldRef: {{fieldPath: metadata.name}}}}}}
        - {{name: NAMESPACE, valueFrom: {{fieldRef: {{fieldPath: metadata.namespace}}}}}}
---
apiVersion: v1
kind: Service
metadata: {{name: {name}, namespace: {namespace}}}
spec:
  selector: {{app: {name}}}
  ports: [{{protocol: TCP, port: 8080, targetPort: 3000}}]
"""


def gateway(name: str, allowed: str) -> str:
    return (
        f"apiVersion: {GROUP}\nkind: Gateway\nmetadata: {{name: {name}, namespace: {INFRA}}}\n"
        f"spec:\n  gatewayClassName: podpath\n"
        f"  listeners: [{{name: http, port: 80, protocol: HTTP, allowedRoutes: {{namespaces: {allowed}}}}}]\n"
    )


HTTPS_GATEWAY_HEAD = (
    f"apiVersion: {GROUP}\nkind: Gateway\nmetadata: {{name: same-namespace-with-https-listener, namespace: {INFRA}}}\n"
)
HTTPS_GATEWAY_HEAD += "spec:\n  gatewayClassName: podpath\n  listeners:\n"
BASE = "\n---\n".join(
    [
        f"apiVersion: {GROUP}\nkind: GatewayClass\nmetadata: {{name: podpath}}\n"
        f"spec: {{controllerName: podpath.dev/gateway-controller}}\n",
        f"apiVersion: v1\nkind: Namespace\nmetadata: {{name: {INFRA}, labels: {{gateway-conformance: infra}}}}\n",
        f"apiVersion: v1\nkind: Namespace\nmetadata: {{name: {APP}, labels: {{gateway-conformance: backend}}}}\n",
        f"apiVersion: v1\nkind: Namespace\nmetadata: {{name: {WEB}, labels: {{gateway-conformance: backend}}}}\n",
        gateway("same-namespace", "{from: Same}"),
        gateway("all-namespaces", "{from: All}"),
        gateway("backend-namespaces", "{from: Selector, selector: {matchLabels: {gateway-conformance: backend}}}"),
        # The suite makes this certificate for "*", "*.org" and "*.wildcard.org"; curl (OpenSSL) accepts no
        # wildcard directly under a top-level domain, so the .org names the cases use are listed instead.
        tls_secret(INFRA, "tls-validity-checks-certificate", *TLS_NAMES),
        tls_secret(WEB, "certificate", "*.wildcard.org"),
        HTTPS_GATEWAY_HEAD
        + "".join(
            f"  - {{name: {name}, port: 443, protocol: HTTPS, {host}allowedRoutes: {{namespaces: {{from: Same}}}}, "
            f"tls: {{certificateRefs: [{{group: '', kind: Secret, name: tls-validity-checks-certificate, "
            f"namespace: {INFRA}}}]}}}}\n"
            for name, host in (
                ("https", ""),
                ("https-with-hostname", "hostname: second-example.org, "),
                ("https-with-wildcard-hostname", "hostname: '*.wildcard.org', "),
                ("https-with-hostname-matching-wildcard", "hostname: fourth-example.wildcard.org, "),
            )
        ),
        backend(INFRA, "infra-backend-v1"),
        backend(INFRA, "infra-backend-v2"),
        backend(INFRA, "infra-backend-v3"),
        backend(APP, "app-backend-v1"),
        backend(WEB, "web-backend"),
    ]
)


@dataclass(frozen=True)
class Expect:
    """One request the suite sends, and what must answer."""

    path: str = "/"
    host: str = ""
    headers: tuple[tuple[str, str], ...] = ()
    status: int = 200
    backend: str = ""  # the answering pod's name starts with it
    namespace: str = INFRA
    location: str = ""  # a redirect's Location header
    https: bool = False  # over TLS on 443, SNI the host, the certificate verified (CERTIFICATE)


@dataclass(frozen=True)
class Condition:
    """A condition the suite asserts: on a route's parent entry (``route``) or on a Gateway or listener."""

    kind: str  # Route, Gateway or Listener
    name: str  # namespace/name of the route or Gateway
    type: str
    status: str
    reason: str
    listener: str = ""  # the listener; for a route's condition, the parent Gateway's name


@dataclass(frozen=True)
class Then:
    """A change the suite makes after the first checks (the changed objects, applied again), and what then holds."""

    manifests: str
    conditions: tuple[Condition, ...] = ()


@dataclass(frozen=True)
class Case:
    name: str
    manifests: str
    gateway: str = "same-namespace"
    expects: tuple[Expect, ...] = ()
    conditions: tuple[Condition, ...] = ()
    then: tuple[Then, ...] = ()


def attached(gateway_name: str, listener: str, count: int) -> Condition:
    """A listener's attachedRoutes, checked as a condition would be."""
    return Condition("Listener", f"{INFRA}/{gateway_name}", "AttachedRoutes", str(count), "", listener)


def https_listener(name: str = "https") -> str:
    return (
        f"  - name: {name}\n    port: 443\n    protocol: HTTPS\n    hostname: secure.test.com\n"
        f"    allowedRoutes: {{namespaces: {{from: All}}}}\n"
        f"    tls: {{certificateRefs: [{{group: '', kind: Secret, name: tls-validity-checks-certificate, "
        f"namespace: {INFRA}}}]}}\n"
    )


def plain_gateway(name: str, listeners: str) -> str:
    return (
        f"apiVersion: {GROUP}\nkind: Gateway\nmetadata: {{name: {name}, namespace: {INFRA}}}\n"
        f"spec:\n  gatewayClassName: podpath\n  listeners:\n{listeners}"
    )


HTTP_LISTENER = "  - {name: http, port: 80, protocol: HTTP, allowedRoutes: {namespaces: {from: All}}}\n"


def route(
    name: str, rules: str, parents: str = "[{name: same-namespace}]", namespace: str = INFRA, hostnames: str = ""
) -> str:
    host_line = f"  hostnames: {hostnames}\n" if hostnames else ""
    return (
        f"apiVersion: {GROUP}\nkind: HTTPRoute\nmetadata: {{name: {name}, namespace: {namespace}}}\n"
        f"spec:\n  parentRefs: {parents}\n{host_line}  rules:\n{rules}"
    )


def v(n: int) -> str:
    return f"infra-backend-v{n}"


def to(n: int) -> str:
    return f"backendRefs: [{{name: {v(n)}, port: 8080}}]"


def resolved(
    route_name: str, gateway_name: str = "same-namespace", reason: str = "ResolvedRefs", status: str = "True"
) -> Condition:
    return Condition("Route", route_name, "ResolvedRefs", status, reason, gateway_name)


def accepted(
    route_name: str, gateway_name: str = "same-namespace", reason: str = "Accepted", status: str = "True"
) -> Condition:
    return Condition("Route", route_name, "Accepted", status, reason, gateway_name)


CERTIFICATE = certificate(*TLS_NAMES)[0]
LONG_NAME = "gateway-name-maximum-length-" + "a" * 225  # 253 characters, a DNS subdomain's most


def secret_gateway(name: str) -> str:
    """A Gateway whose HTTPS listener uses the Secret ``certificate`` of the web-backend namespace."""
    return (
        f"apiVersion: {GROUP}\nkind: Gateway\nmetadata: {{name: {name}, namespace: {INFRA}}}\n"
        f"spec:\n  gatewayClassName: podpath\n  listeners:\n  - name: https\n    port: 443\n"
        f"    protocol: HTTPS\n    allowedRoutes: {{namespaces: {{from: All}}}}\n"
        f"    tls: {{certificateRefs: [{{group: '', kind: Secret, name: certificate, namespace: {WEB}}}]}}\n"
    )


def secret_grant(
    name: str,
    namespace: str,
    from_group: str,
    from_kind: str,
    from_namespace: str,
    to_group: str,
    to_kind: str,
    to_name: str,
) -> str:
    target = f", name: {to_name}" if to_name else ""
    return (
        f"---\napiVersion: gateway.networking.k8s.io/v1beta1\nkind: ReferenceGrant\n"
        f"metadata: {{name: {name}, namespace: {namespace}}}\n"
        f"spec:\n  from: [{{group: {from_group}, kind: {from_kind}, namespace: {from_namespace}}}]\n"
        f"  to: [{{group: '{to_group}', kind: {to_kind}{target}}}]\n"
    )


CASES: tuple[Case, ...] = (
    Case(
        "HTTPRouteSimpleSameNamespace",
        route("gateway-conformance-infra-test", f"  - {to(1)}\n"),
        expects=(Expect("/", backend=v(1)),),
        conditions=(
            accepted(f"{INFRA}/gateway-conformance-infra-test"),
            resolved(f"{INFRA}/gateway-conformance-infra-test"),
        ),
    ),
    Case(
        "HTTPRouteExactPathMatching",
        route(
            "exact-matching",
            f"  - {{matches: [{{path: {{type: Exact, value: /one}}}}], {to(1)}}}\n"
            f"  - {{matches: [{{path: {{type: Exact, value: /two}}}}], {to(2)}}}\n",
        ),
        expects=(
            Expect("/one", backend=v(1)),
            Expect("/two", backend=v(2)),
            Expect("/", status=404),
            Expect("/one/example", status=404),
            Expect("/two/", status=404),
            Expect("/Two", status=404),
        ),
    ),
    Case(
        "HTTPRouteHeaderMatching",
        route(
            "header-matching",
            f"  - {{matches: [{{headers: [{{name: version, value: one}}]}}], {to(1)}}}\n"
            f"  - {{matches: [{{headers: [{{name: version, value: two}}]}}], {to(2)}}}\n"
            f"  - {{matches: [{{headers: [{{name: version, value: two}}, {{name: color, value: orange}}]}}], "
            f"{to(1)}}}\n"
            f"  - {{matches: [{{headers: [{{name: color, value: blue}}]}}, "
            f"{{headers: [{{name: color, value: green}}]}}], {to(1)}}}\n"
            f"  - {{matches: [{{headers: [{{name: color, value: red}}]}}, "
            f"{{headers: [{{name: color, value: yellow}}]}}], {to(2)}}}\n",
        ),
        expects=(
            Expect(headers=(("Version", "one"),), backend=v(1)),
            Expect(headers=(("Version", "two"),), backend=v(2)),
            Expect(headers=(("Version", "two"), ("Color", "orange")), backend=v(1)),
            Expect(headers=(("Version", "two"), ("Color", "blue")), backend=v(2)),
            Expect(headers=(("Color", "orange"),), status=404),
            Expect(headers=(("Some-Other-Header", "one"),), status=404),
            Expect(headers=(("Color", "blue"),), backend=v(1)),
            Expect(headers=(("Color", "green"),), backend=v(1)),
            Expect(headers=(("Color", "red"),), backend=v(2)),
            Expect(headers=(("Color", "yellow"),), backend=v(2)),
            Expect(headers=(("Color", "purple"),), status=404),
        ),
    ),
    Case(
        "HTTPRouteMatching",
        route(
            "matching",
            f"  - {{matches: [{{path: {{type: PathPrefix, value: /}}}}, "
            f"{{headers: [{{name: version, value: one}}]}}], {to(1)}}}\n"
            f"  - {{matches: [{{path: {{type: PathPrefix, value: /v2}}}}, "
            f"{{headers: [{{name: version, value: two}}]}}], {to(2)}}}\n",
        ),
        expects=(
            Expect("/", backend=v(1)),
            Expect("/example", backend=v(1)),
            Expect("/", headers=(("Version", "one"),), backend=v(1)),
            Expect("/v2", backend=v(2)),
            Expect("/v2/example", backend=v(2)),
            Expect("/", headers=(("Version", "two"),), backend=v(2)),
            Expect("/v2/", backend=v(2)),
            Expect("/v2example", backend=v(1)),
            Expect("/foo/v2/example", backend=v(1)),
        ),
    ),
    Case(
        "HTTPRouteMatchingAcrossRoutes",
        route(
            "matching-part1",
            f"  - {{matches: [{{path: {{type: PathPrefix, value: /}}}}, "
            f"{{headers: [{{name: version, value: one}}]}}], {to(1)}}}\n",
            hostnames="[example.com, example.net]",
        )
        + "---\n"
        + route(
            "matching-part2",
            f"  - {{matches: [{{path: {{type: PathPrefix, value: /v2}}}}, "
            f"{{headers: [{{name: version, value: two}}]}}], {to(2)}}}\n",
            hostnames="[example.com]",
        ),
        expects=(
            Expect("/", "example.com", backend=v(1)),
            Expect("/example", "example.com", backend=v(1)),
            Expect("/example", "example.net", backend=v(1)),
            Expect("/example", "example.com", (("Version", "one"),), backend=v(1)),
            Expect("/v2", "example.com", backend=v(2)),
            Expect("/v2", "example.net", backend=v(1)),
            Expect("/v2/example", "example.com", backend=v(2)),
            Expect("/", "example.com", (("Version", "two"),), backend=v(2)),
        ),
    ),
    Case(
        "HTTPRoutePathMatchOrder",
        route(
            "path-matching-order",
            f"  - {{matches: [{{path: {{type: Exact, value: /match}}}}], {to(1)}}}\n"
            f"  - {{matches: [{{path: {{type: Exact, value: /match/exact}}}}], {to(2)}}}\n"
            f"  - {{matches: [{{path: {{type: Exact, value: /match/exact/one}}}}], {to(3)}}}\n"
            f"  - {{matches: [{{path: {{type: PathPrefix, value: /match/}}}}], {to(3)}}}\n"
            f"  - {{matches: [{{path: {{type: PathPrefix, value: /match/prefix/}}}}], {to(1)}}}\n"
            f"  - {{matches: [{{path: {{type: PathPrefix, value: /match/prefix/one}}}}], {to(2)}}}\n",
        ),
        expects=(
            Expect("/match/exact/one", backend=v(3)),
            Expect("/match/exact", backend=v(2)),
            Expect("/match", backend=v(1)),
            Expect("/match/prefix/one/any", backend=v(2)),
            Expect("/match/prefix/any", backend=v(1)),
            Expect("/match/any", backend=v(3)),
        ),
    ),
    Case(
        "HTTPRouteListenerHostnameMatching",
        f"apiVersion: {GROUP}\nkind: Gateway\nmetadata: {{name: httproute-listener-hostname-matching, "
        f"namespace: {INFRA}}}\nspec:\n  gatewayClassName: podpath\n  listeners:\n"
        + "".join(
            f"  - {{name: listener-{i}, port: 80, protocol: HTTP, hostname: '{h}', "
            f"allowedRoutes: {{namespaces: {{from: Same}}}}}}\n"
            for i, h in enumerate(("bar.com", "foo.bar.com", "*.bar.com", "*.foo.com"), 1)
        )
        + "---\n"
        + "---\n".join(
            route(
                f"backend-v{n}",
                f"  - {to(n)}\n",
                parents="["
                + ", ".join(
                    f"{{name: httproute-listener-hostname-matching, namespace: {INFRA}, sectionName: listener-{s}}}"
                    for s in sections
                )
                + "]",
            )
            for n, sections in ((1, (1,)), (2, (2,)), (3, (3, 4)))
        ),
        gateway="httproute-listener-hostname-matching",
        expects=(
            Expect(host="bar.com", backend=v(1)),
            Expect(host="foo.bar.com", backend=v(2)),
            Expect(host="baz.bar.com", backend=v(3)),
            Expect(host="boo.bar.com", backend=v(3)),
            Expect(host="multiple.prefixes.bar.com", backend=v(3)),
            Expect(host="multiple.prefixes.foo.com", backend=v(3)),
            Expect(host="foo.com", status=404),
            Expect(host="no.matching.host", status=404),
        ),
    ),
    Case(
        "HTTPRouteHostnameIntersection",
        f"apiVersion: {GROUP}\nkind: Gateway\nmetadata: {{name: httproute-hostname-intersection, "
        f"namespace: {INFRA}}}\nspec:\n  gatewayClassName: podpath\n  listeners:\n"
        + "".join(
            f"  - {{name: listener-{i}, port: 80, protocol: HTTP, hostname: '{h}', "
            f"allowedRoutes: {{namespaces: {{from: Same}}}}}}\n"
            for i, h in enumerate(("very.specific.com", "*.wildcard.io", "*.anotherwildcard.io"), 1)
        )
        + "---\n"
        + "---\n".join(
            route(
                name,
                f"  - {{matches: [{{path: {{type: PathPrefix, value: /{prefix}}}}}], {to(n)}}}\n",
                parents=f"[{{name: httproute-hostname-intersection, namespace: {INFRA}}}]",
                hostnames=hosts,
            )
            for name, hosts, prefix, n in (
                (
                    "specific-host-matches-listener-specific-host",
                    "[non.matching.com, '*.nonmatchingwildcard.io', very.specific.com]",
                    "s1",
                    1,
                ),
                (
                    "specific-host-matches-listener-wildcard-host",
                    "[non.matching.com, wildcard.io, foo.wildcard.io, bar.wildcard.io, foo.bar.wildcard.io]",
                    "s2",
                    2,
                ),
                ("wildcard-host-matches-listener-specific-host", "[non.matching.com, '*.specific.com']", "s3", 3),
                ("wildcard-host-matches-listener-wildcard-host", "['*.anotherwildcard.io']", "s4", 1),
                ("no-intersecting-hosts", "[specific.but.wrong.com, wildcard.io]", "s5", 2),
            )
        ),
        gateway="httproute-hostname-intersection",
        expects=(
            Expect("/s1", "very.specific.com", backend=v(1)),
            Expect("/s1", "very.specific.com:1234", backend=v(1)),
            Expect("/s1", "non.matching.com", status=404),
            Expect("/s1", "foo.nonmatchingwildcard.io", status=404),
            Expect("/s1", "foo.wildcard.io", status=404),
            Expect("/non-matching-prefix", "very.specific.com", status=404),
            Expect("/s2", "foo.wildcard.io", backend=v(2)),
            Expect("/s2", "bar.wildcard.io", backend=v(2)),
            Expect("/s2", "foo.bar.wildcard.io", backend=v(2)),
            Expect("/s2", "non.matching.com", status=404),
            Expect("/s2", "wildcard.io", status=404),
            Expect("/s2", "very.specific.com", status=404),
            Expect("/s3", "very.specific.com", backend=v(3)),
            Expect("/s3", "non.matching.com", status=404),
            Expect("/s3", "foo.specific.com", status=404),
            Expect("/s3", "foo.wildcard.io", status=404),
            Expect("/s4", "foo.anotherwildcard.io", backend=v(1)),
            Expect("/s4", "bar.anotherwildcard.io", backend=v(1)),
            Expect("/s4", "foo.bar.anotherwildcard.io", backend=v(1)),
            Expect("/s4", "anotherwildcard.io", status=404),
            Expect("/s4", "foo.wildcard.io", status=404),
            Expect("/s5", "specific.but.wrong.com", status=404),
            Expect("/s5", "wildcard.io", status=404),
        ),
        conditions=(
            accepted(
                f"{INFRA}/no-intersecting-hosts",
                "httproute-hostname-intersection",
                "NoMatchingListenerHostname",
                "False",
            ),
        ),
    ),
    Case(
        "HTTPRouteCrossNamespace",
        route(
            "cross-namespace",
            "  - backendRefs: [{name: web-backend, port: 8080}]\n",
            parents=f"[{{name: backend-namespaces, namespace: {INFRA}}}]",
            namespace=WEB,
        ),
        gateway="backend-namespaces",
        expects=(Expect(backend="web-backend", namespace=WEB),),
        conditions=(
            accepted(f"{WEB}/cross-namespace", "backend-namespaces"),
            resolved(f"{WEB}/cross-namespace", "backend-namespaces"),
        ),
    ),
    Case(
        "HTTPRouteRedirects",  # HTTPRoute303Redirect, 307, 308 and HTTPRouteRedirectHostAndStatus
        route(
            "redirects",
            "  - {matches: [{path: {type: PathPrefix, value: /see-other}}], "
            "filters: [{type: RequestRedirect, requestRedirect: {statusCode: 303}}]}\n"
            "  - {matches: [{path: {type: PathPrefix, value: /temporary}}], "
            "filters: [{type: RequestRedirect, requestRedirect: {statusCode: 307}}]}\n"
            "  - {matches: [{path: {type: PathPrefix, value: /permanent}}], "
            "filters: [{type: RequestRedirect, requestRedirect: {statusCode: 308}}]}\n"
            "  - {matches: [{path: {type: PathPrefix, value: /hostname-redirect}}], "
            "filters: [{type: RequestRedirect, requestRedirect: {hostname: example.org}}]}\n"
            "  - {matches: [{path: {type: PathPrefix, value: /host-and-status}}], "
            "filters: [{type: RequestRedirect, requestRedirect: {statusCode: 301, hostname: example.org}}]}\n",
        ),
        expects=(
            Expect("/see-other", status=303, location="http://{address}/see-other"),
            Expect("/temporary", status=307, location="http://{address}/temporary"),
            Expect("/permanent", status=308, location="http://{address}/permanent"),
            Expect("/hostname-redirect", status=302, location="http://example.org/hostname-redirect"),
            Expect("/host-and-status", status=301, location="http://example.org/host-and-status"),
        ),
    ),
    Case(
        "HTTPRouteOmittedBackendRefs",
        route(
            "omitted-backendrefs",
            "  - {matches: [{path: {type: Exact, value: /omitted-no-forward}}]}\n"
            "  - {matches: [{path: {type: Exact, value: /empty-no-forward}}], backendRefs: []}\n"
            f"  - {{matches: [{{path: {{type: PathPrefix, value: /}}}}], {to(1)}}}\n",
        ),
        expects=(
            Expect("/forward", backend=v(1)),
            Expect("/omitted-no-forward", status=500),
            Expect("/empty-no-forward", status=500),
        ),
    ),
    Case(
        "HTTPRouteInvalidBackendRefUnknownKind",
        route(
            "invalid-backend-ref-unknown-kind",
            "  - backendRefs: [{group: unknownkind.example.com, "
            "kind: NonExistent, name: infra-backend-v1, port: 8080}]\n",
        ),
        expects=(Expect("/v2", status=500),),
        conditions=(resolved(f"{INFRA}/invalid-backend-ref-unknown-kind", reason="InvalidKind", status="False"),),
    ),
    Case(
        "HTTPRouteInvalidNonExistentBackendRef",
        route(
            "invalid-nonexistent-backend-ref",
            f"  - backendRefs: [{{name: nonexistent, namespace: {INFRA}, port: 8080}}]\n",
        ),
        expects=(Expect("/", status=500),),
        conditions=(resolved(f"{INFRA}/invalid-nonexistent-backend-ref", reason="BackendNotFound", status="False"),),
    ),
    Case(
        "HTTPRouteInvalidCrossNamespaceBackendRef",
        route(
            "invalid-cross-namespace-backend-ref",
            f"  - backendRefs: [{{name: web-backend, namespace: {WEB}, port: 8080}}]\n",
        ),
        expects=(Expect("/", status=500),),
        conditions=(
            resolved(f"{INFRA}/invalid-cross-namespace-backend-ref", reason="RefNotPermitted", status="False"),
        ),
    ),
    Case(
        "HTTPRouteReferenceGrant",
        f"apiVersion: gateway.networking.k8s.io/v1beta1\nkind: ReferenceGrant\n"
        f"metadata: {{name: reference-grant, namespace: {WEB}}}\n"
        f"spec:\n  from: [{{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: {INFRA}}}]\n"
        f"  to: [{{group: '', kind: Service, name: web-backend}}]\n---\n"
        + route("reference-grant", f"  - backendRefs: [{{name: web-backend, namespace: {WEB}, port: 8080}}]\n"),
        expects=(Expect(backend="web-backend", namespace=WEB),),
        conditions=(resolved(f"{INFRA}/reference-grant"),),
    ),
    Case(
        "HTTPRouteInvalidParentRefNotMatchingSectionName",
        route(
            "httproute-listener-not-matching-section-name",
            f"  - {to(1)}\n",
            parents=f"[{{name: same-namespace, namespace: {INFRA}, port: 80, sectionName: http1}}]",
        ),
        conditions=(
            accepted(
                f"{INFRA}/httproute-listener-not-matching-section-name", reason="NoMatchingParent", status="False"
            ),
        ),
    ),
    Case(
        "HTTPRouteMultipleGateways",
        route(
            "multiple-gateways-shared-route",
            f"  - {{matches: [{{path: {{type: PathPrefix, value: /shared}}}}], {to(1)}}}\n",
            parents="[{name: same-namespace}, {name: all-namespaces}]",
        )
        + "---\n"
        + route("same-namespace-dedicated-route", f"  - {to(2)}\n")
        + "---\n"
        + route("all-namespaces-dedicated-route", f"  - {to(3)}\n", parents="[{name: all-namespaces}]"),
        expects=(Expect("/shared", backend=v(1)), Expect("/", backend=v(2))),
    ),
    Case(
        "HTTPRouteMultipleGateways (all-namespaces)",
        route(
            "multiple-gateways-shared-route",
            f"  - {{matches: [{{path: {{type: PathPrefix, value: /shared}}}}], {to(1)}}}\n",
            parents="[{name: same-namespace}, {name: all-namespaces}]",
        )
        + "---\n"
        + route("all-namespaces-dedicated-route", f"  - {to(3)}\n", parents="[{name: all-namespaces}]"),
        gateway="all-namespaces",
        expects=(Expect("/shared", backend=v(1)), Expect("/", backend=v(3))),
    ),
    Case(
        "HTTPRouteHTTPSListener",
        route(
            "httproute-https-test",
            f"  - {to(1)}\n",
            parents="[{name: same-namespace-with-https-listener}]",
            hostnames="[example.org]",
        )
        + "---\n"
        + route(
            "httproute-https-test-no-hostname",
            f"  - {to(2)}\n",
            parents="[{name: same-namespace-with-https-listener, sectionName: https-with-hostname}]",
        ),
        gateway="same-namespace-with-https-listener",
        expects=(
            Expect(host="example.org", backend=v(1), https=True),
            Expect(host="unknown-example.org", status=404, https=True),
            Expect(host="second-example.org", backend=v(2), https=True),
        ),
        conditions=(
            resolved(f"{INFRA}/httproute-https-test", "same-namespace-with-https-listener"),
            resolved(f"{INFRA}/httproute-https-test-no-hostname", "same-namespace-with-https-listener"),
        ),
    ),
    Case(
        "HTTPRoutePartiallyInvalidViaInvalidReferenceGrant",
        f"apiVersion: gateway.networking.k8s.io/v1beta1\nkind: ReferenceGrant\n"
        f"metadata: {{name: invalid-reference-grant, namespace: {APP}}}\n"
        f"spec:\n  from: [{{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: {INFRA}}}]\n"
        f"  to: [{{group: '', kind: Service, name: app-backend-v1}}]\n---\n"
        + route(
            "invalid-reference-grant",
            f"  - {{matches: [{{path: {{type: PathPrefix, value: /v2}}}}], "
            f"backendRefs: [{{name: app-backend-v2, namespace: {APP}, port: 8080}}]}}\n"
            f"  - backendRefs: [{{name: app-backend-v1, namespace: {APP}, port: 8080}}]\n",
        ),
        expects=(Expect("/v2", status=500), Expect("/", backend="app-backend-v1", namespace=APP)),
        conditions=(resolved(f"{INFRA}/invalid-reference-grant", reason="RefNotPermitted", status="False"),),
    ),
    Case(
        "HTTPRouteInvalidReferenceGrant",
        "---\n".join(
            f"apiVersion: gateway.networking.k8s.io/v1beta1\nkind: ReferenceGrant\n"
            f"metadata: {{name: reference-grant-wrong-{what}, namespace: {namespace}}}\n"
            f"spec:\n  from: [{{group: {from_group}, kind: {from_kind}, namespace: {from_namespace}}}]\n"
            f"  to: [{{group: '{to_group}', kind: {to_kind}, name: {to_name}}}]\n"
            for what, namespace, from_group, from_kind, from_namespace, to_group, to_kind, to_name in (
                ("namespace", INFRA, "gateway.networking.k8s.io", "HTTPRoute", INFRA, "", "Service", "web-backend"),
                (
                    "from-group",
                    WEB,
                    "not-the-group-youre-looking-for",
                    "HTTPRoute",
                    INFRA,
                    "",
                    "Service",
                    "web-backend",
                ),
                ("from-kind", WEB, "gateway.networking.k8s.io", "Gateway", INFRA, "", "Service", "web-backend"),
                (
                    "from-namespace",
                    WEB,
                    "gateway.networking.k8s.io",
                    "HTTPRoute",
                    "not-the-namespace-youre-looking-for",
                    "",
                    "Service",
                    "web-backend",
                ),
                (
                    "to-group",
                    WEB,
                    "gateway.networking.k8s.io",
                    "HTTPRoute",
                    INFRA,
                    "not-the-group-youre-looking-for",
                    "Service",
                    "web-backend",
                ),
                ("to-kind", WEB, "gateway.networking.k8s.io", "HTTPRoute", INFRA, "", "Secret", "web-backend"),
                (
                    "to-name",
                    WEB,
                    "gateway.networking.k8s.io",
                    "HTTPRoute",
                    INFRA,
                    "",
                    "Secret",
                    "not-the-service-youre-looking-for",
                ),
            )
        )
        + "---\n"
        + route("reference-grant", f"  - backendRefs: [{{name: web-backend, namespace: {WEB}, port: 8080}}]\n"),
        expects=(Expect("/", status=500),),
        conditions=(resolved(f"{INFRA}/reference-grant", reason="RefNotPermitted", status="False"),),
    ),
    Case(
        "HTTPRouteInvalidCrossNamespaceParentRef",
        route(
            "invalid-cross-namespace-parent-ref",
            "  - backendRefs: [{name: web-backend, port: 8080}]\n",
            parents=f"[{{name: same-namespace, namespace: {INFRA}}}]",
            namespace=WEB,
        ),
        conditions=(
            accepted(f"{WEB}/invalid-cross-namespace-parent-ref", reason="NotAllowedByListeners", status="False"),
            resolved(f"{WEB}/invalid-cross-namespace-parent-ref"),
        ),
    ),
    Case(
        "GatewayInvalidTLSConfiguration",
        "---\n".join(
            f"apiVersion: {GROUP}\nkind: Gateway\nmetadata: {{name: gateway-certificate-{name}, namespace: {INFRA}}}\n"
            f"spec:\n  gatewayClassName: podpath\n  listeners: [{{name: https, port: 443, protocol: HTTPS, "
            f"allowedRoutes: {{namespaces: {{from: All}}}}, tls: {{certificateRefs: [{ref}]}}}}]\n"
            for name, ref in (
                ("nonexistent-secret", "{group: '', kind: Secret, name: nonexistent-certificate}"),
                (
                    "unsupported-group",
                    "{group: wrong.group.company.io, kind: Secret, name: tls-validity-checks-certificate}",
                ),
                ("unsupported-kind", "{group: '', kind: WrongKind, name: tls-validity-checks-certificate}"),
                ("malformed-secret", "{group: '', kind: Secret, name: malformed-certificate}"),
            )
        )
        + f"---\napiVersion: v1\nkind: Secret\nmetadata: {{name: malformed-certificate, namespace: {INFRA}}}\n"
        f"type: kubernetes.io/tls\ndata: {{tls.crt: SGVsbG8gd29ybGQK, tls.key: SGVsbG8gd29ybGQK}}\n",
        gateway="",
        conditions=tuple(
            Condition(
                "Listener",
                f"{INFRA}/gateway-certificate-{name}",
                "ResolvedRefs",
                "False",
                "InvalidCertificateRef",
                "https",
            )
            for name in ("nonexistent-secret", "unsupported-group", "unsupported-kind", "malformed-secret")
        ),
    ),
    Case(
        "GatewayInvalidParametersRef",
        f"apiVersion: {GROUP}\nkind: Gateway\nmetadata: {{name: gateway-invalid-parameters-ref, namespace: {INFRA}}}\n"
        f"spec:\n  gatewayClassName: podpath\n  listeners: [{{name: http, port: 80, protocol: HTTP}}]\n"
        f"  infrastructure: {{parametersRef: {{group: invalid.io, kind: InvalidParameters, name: invalid}}}}\n",
        gateway="",
        conditions=(
            Condition("Gateway", f"{INFRA}/gateway-invalid-parameters-ref", "Accepted", "False", "InvalidParameters"),
        ),
    ),
    Case(
        "GatewayNameMaximumLength",
        f"apiVersion: {GROUP}\nkind: Gateway\nmetadata: {{name: {LONG_NAME}, namespace: {INFRA}}}\n"
        f"spec:\n  gatewayClassName: podpath\n  listeners: [{{name: http, port: 80, protocol: HTTP}}]\n",
        gateway="",
        conditions=(
            Condition("Gateway", f"{INFRA}/{LONG_NAME}", "Accepted", "True", "Accepted"),
            Condition("Gateway", f"{INFRA}/{LONG_NAME}", "Programmed", "True", "Programmed"),
        ),
    ),
    *(
        Case(
            f"GatewaySecretReferenceGrant{title}",
            secret_gateway(name) + grants,
            gateway="",
            conditions=(
                Condition("Listener", f"{INFRA}/{name}", "ResolvedRefs", status, reason, "https"),
                *(
                    [Condition("Listener", f"{INFRA}/{name}", "Programmed", "True", "Programmed", "https")]
                    if status == "True"
                    else []
                ),
            ),
        )
        for title, name, grants, status, reason in (
            (
                "Specific",
                "gateway-secret-reference-grant-specific",
                secret_grant(
                    "reference-grant-specific",
                    WEB,
                    "gateway.networking.k8s.io",
                    "Gateway",
                    INFRA,
                    "",
                    "Secret",
                    "certificate",
                ),
                "True",
                "ResolvedRefs",
            ),
            (
                "AllInNamespace",
                "gateway-secret-reference-grant-all-in-namespace",
                secret_grant(
                    "reference-grant-all-in-namespace",
                    WEB,
                    "gateway.networking.k8s.io",
                    "Gateway",
                    INFRA,
                    "",
                    "Secret",
                    "",
                ),
                "True",
                "ResolvedRefs",
            ),
            (
                "Invalid",
                "gateway-secret-invalid-reference-grant",
                "".join(
                    secret_grant(f"reference-grant-wrong-{what}", *rest)
                    for what, *rest in (
                        ("namespace", APP, "gateway.networking.k8s.io", "Gateway", INFRA, "", "Secret", "certificate"),
                        (
                            "from-group",
                            WEB,
                            "not-the-group-youre-looking-for",
                            "Gateway",
                            INFRA,
                            "",
                            "Secret",
                            "certificate",
                        ),
                        (
                            "from-kind",
                            WEB,
                            "gateway.networking.k8s.io",
                            "HTTPRoute",
                            INFRA,
                            "",
                            "Secret",
                            "certificate",
                        ),
                        (
                            "from-namespace",
                            WEB,
                            "gateway.networking.k8s.io",
                            "Gateway",
                            "not-the-namespace-youre-looking-for",
                            "",
                            "Secret",
                            "certificate",
                        ),
                        (
                            "to-group",
                            WEB,
                            "gateway.networking.k8s.io",
                            "Gateway",
                            INFRA,
                            "not-the-group-youre-looking-for",
                            "Secret",
                            "not-the-certificate-youre-looking-for",
                        ),
                        ("to-kind", WEB, "gateway.networking.k8s.io", "Gateway", INFRA, "", "Service", "certificate"),
                        (
                            "to-name",
                            WEB,
                            "gateway.networking.k8s.io",
                            "Gateway",
                            INFRA,
                            "",
                            "Secret",
                            "not-the-certificate-youre-looking-for",
                        ),
                    )
                ),
                "False",
                "RefNotPermitted",
            ),
        )
    ),
    Case(
        "GatewayModifyListeners (add)",
        plain_gateway("gateway-add-listener", https_listener())
        + "---\n"
        + route(
            "http-route-1",
            f"  - {to(1)}\n",
            parents=f"[{{kind: Gateway, name: gateway-add-listener, namespace: {INFRA}}}]",
        ),
        gateway="",
        conditions=(attached("gateway-add-listener", "https", 1),),
        then=(
            Then(
                plain_gateway("gateway-add-listener", https_listener() + HTTP_LISTENER),
                (
                    attached("gateway-add-listener", "https", 1),
                    attached("gateway-add-listener", "http", 1),
                    Condition("Listener", f"{INFRA}/gateway-add-listener", "Accepted", "True", "Accepted", "http"),
                    Condition(
                        "Listener", f"{INFRA}/gateway-add-listener", "ResolvedRefs", "True", "ResolvedRefs", "http"
                    ),
                ),
            ),
        ),
    ),
    Case(
        "GatewayModifyListeners (remove)",
        plain_gateway("gateway-remove-listener", https_listener() + HTTP_LISTENER)
        + "---\n"
        + route(
            "http-route-2",
            f"  - {to(1)}\n",
            parents=f"[{{kind: Gateway, name: gateway-remove-listener, namespace: {INFRA}}}]",
        ),
        gateway="",
        conditions=(attached("gateway-remove-listener", "https", 1), attached("gateway-remove-listener", "http", 1)),
        then=(
            Then(
                plain_gateway("gateway-remove-listener", HTTP_LISTENER),
                (attached("gateway-remove-listener", "http", 1),),
            ),
        ),
    ),
    Case(
        "GatewayObservedGenerationBump",
        plain_gateway(
            "gateway-observed-generation-bump",
            "  - {name: http, hostname: bar.com, port: 80, protocol: HTTP, allowedRoutes: {namespaces: {from: All}}}\n",
        ),
        gateway="",
        then=(
            Then(
                plain_gateway(
                    "gateway-observed-generation-bump",
                    "  - {name: http, hostname: bar.com, port: 80, protocol: HTTP, "
                    "allowedRoutes: {namespaces: {from: All}}}\n"
                    "  - {name: http-2, hostname: foo.com, port: 80, protocol: HTTP, "
                    "allowedRoutes: {namespaces: {from: All}}}\n",
                )
            ),
        ),
    ),
    Case(
        "GatewayInvalidRouteKind",
        "\n---\n".join(
            f"apiVersion: {GROUP}\nkind: Gateway\nmetadata: {{name: {name}, namespace: {INFRA}}}\n"
            f"spec:\n  gatewayClassName: podpath\n  listeners: [{{name: http, port: 80, protocol: HTTP, "
            f"allowedRoutes: {{namespaces: {{from: All}}, kinds: {kinds}}}}}]\n"
            for name, kinds in (
                ("gateway-only-invalid-route-kind", "[{kind: InvalidRoute}]"),
                ("gateway-supported-and-invalid-route-kind", "[{kind: InvalidRoute}, {kind: HTTPRoute}]"),
            )
        ),
        gateway="",
        conditions=(
            Condition(
                "Listener",
                f"{INFRA}/gateway-only-invalid-route-kind",
                "ResolvedRefs",
                "False",
                "InvalidRouteKinds",
                "http",
            ),
            Condition(
                "Listener",
                f"{INFRA}/gateway-supported-and-invalid-route-kind",
                "ResolvedRefs",
                "False",
                "InvalidRouteKinds",
                "http",
            ),
        ),
    ),
    Case(
        "GatewayInvalidListenersUnsupportedProtocol",
        f"apiVersion: {GROUP}\nkind: Gateway\nmetadata: {{name: gateway-only-unsupported-protocols, "
        f"namespace: {INFRA}}}\nspec:\n  gatewayClassName: podpath\n"
        f"  listeners: [{{name: invalid, port: 1111, protocol: INVALID}}]\n---\n"
        f"apiVersion: {GROUP}\nkind: Gateway\nmetadata: {{name: gateway-supported-and-unsupported-protocols, "
        f"namespace: {INFRA}}}\nspec:\n  gatewayClassName: podpath\n"
        f"  listeners: [{{name: http, port: 80, protocol: HTTP}}, {{name: invalid, port: 1111, protocol: INVALID}}]\n",
        gateway="",
        conditions=(
            Condition(
                "Gateway", f"{INFRA}/gateway-only-unsupported-protocols", "Accepted", "False", "ListenersNotValid"
            ),
            Condition(
                "Listener",
                f"{INFRA}/gateway-only-unsupported-protocols",
                "Accepted",
                "False",
                "UnsupportedProtocol",
                "invalid",
            ),
            Condition(
                "Gateway",
                f"{INFRA}/gateway-supported-and-unsupported-protocols",
                "Accepted",
                "True",
                "ListenersNotValid",
            ),
            Condition(
                "Listener",
                f"{INFRA}/gateway-supported-and-unsupported-protocols",
                "Accepted",
                "True",
                "Accepted",
                "http",
            ),
            Condition(
                "Listener",
                f"{INFRA}/gateway-supported-and-unsupported-protocols",
                "Accepted",
                "False",
                "UnsupportedProtocol",
                "invalid",
            ),
        ),
    ),
    Case(
        "GatewaySecretMissingReferenceGrant",
        f"apiVersion: {GROUP}\nkind: Gateway\nmetadata: {{name: gateway-secret-missing-reference-grant, "
        f"namespace: {INFRA}}}\nspec:\n  gatewayClassName: podpath\n  listeners:\n"
        f"  - name: https\n    port: 443\n    protocol: HTTPS\n    allowedRoutes: {{namespaces: {{from: All}}}}\n"
        f"    tls: {{certificateRefs: [{{group: '', kind: Secret, name: certificate, namespace: {WEB}}}]}}\n",
        gateway="",
        conditions=(
            Condition(
                "Listener",
                f"{INFRA}/gateway-secret-missing-reference-grant",
                "ResolvedRefs",
                "False",
                "RefNotPermitted",
                "https",
            ),
        ),
    ),
)
