"""Gateway API objects are validated as the API server validates them with the upstream CRDs."""

from __future__ import annotations

import pytest

from netcore.kube.defaults import apply_defaults
from netcore.kube.kinds import resolve_kind
from netcore.kube.manifests import InvalidManifest, check_documents, load_documents, validate_objects
from tests.gateway_manifests import ALL, ROUTE, SHOP


def validate(text: str) -> list[dict]:
    return validate_objects(load_documents(text, "gw.yaml"), "gw.yaml")


def errors(text: str) -> list[str]:
    with pytest.raises(InvalidManifest) as caught:
        validate(text)
    return [str(error) for error in caught.value.errors]


def test_the_four_kinds_validate_and_answer_to_kubectls_names():
    kinds = [obj["kind"] for obj in validate(ALL)]
    assert kinds == ["GatewayClass", "Gateway", "HTTPRoute", "ReferenceGrant"]
    assert resolve_kind("gtw").kind == "Gateway"
    assert resolve_kind("httproutes.gateway.networking.k8s.io").kind == "HTTPRoute"
    assert resolve_kind("gc").kind == "GatewayClass"
    assert resolve_kind("refgrant").api_version == "gateway.networking.k8s.io/v1beta1"


def test_crd_defaults_are_written_in():
    gateway, route = (apply_defaults(obj) for obj in validate(SHOP + "\n---\n" + ROUTE))
    http = gateway["spec"]["listeners"][0]
    assert http["allowedRoutes"] == {"namespaces": {"from": "Same"}}
    assert gateway["spec"]["listeners"][1]["tls"]["mode"] == "Terminate"
    assert gateway["spec"]["listeners"][1]["tls"]["certificateRefs"] == [
        {"name": "shop-tls", "group": "", "kind": "Secret"}
    ]
    spec = route["spec"]
    assert spec["parentRefs"] == [{"name": "shop", "group": "gateway.networking.k8s.io", "kind": "Gateway"}]
    assert spec["rules"][0]["backendRefs"][0] | {} == {
        "name": "hello-world",
        "port": 8080,
        "weight": 90,
        "group": "",
        "kind": "Service",
    }
    assert spec["rules"][0]["matches"][0]["headers"][0]["type"] == "Exact"
    assert spec["rules"][1]["matches"] == [{"path": {"type": "PathPrefix", "value": "/"}}]
    assert spec["rules"][1]["filters"][0]["requestRedirect"]["statusCode"] == 302


def test_a_route_without_rules_gets_the_catch_all_rule():
    route = apply_defaults(
        validate(
            "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\n"
            "metadata: {name: r}\nspec: {parentRefs: [{name: shop}]}\n"
        )[0]
    )
    assert route["spec"]["rules"] == [{"matches": [{"path": {"type": "PathPrefix", "value": "/"}}]}]


@pytest.mark.parametrize(
    "change, expected",
    [
        ("value: /cart}", "spec.rules[0].matches[0].path.value: value must be an absolute path and start with"),
        ("value: /c//art}", "spec.rules[0].matches[0].path.value: must not contain '//'"),
        ("weight: 10}", "spec.rules[0].backendRefs[1].colour: unknown field"),
        ("weight: 90}", "spec.rules[0].backendRefs[0].weight: "),
        ("port: 8080, weight: 90}", "spec.rules[0].backendRefs[0].port: Must have port for Service reference"),
        ("requestRedirect: {scheme: https}", "spec.rules[1].filters[0].requestRedirect.scheme: one of"),
        ("{type: RequestRedirect,", "spec.rules[1].filters: RequestRedirect filter must not be used together with"),
        ("hostnames: [shop.example]", "spec.hostnames[0]: "),
    ],
)
def test_a_route_the_api_server_refuses_is_refused_with_its_reason(change, expected):
    broken = {
        "value: /cart}": ROUTE.replace("value: /cart}", "value: cart}"),
        "value: /c//art}": ROUTE.replace("value: /cart}", "value: /c//art}"),
        "weight: 10}": ROUTE.replace("weight: 10}", "weight: 10, colour: red}"),
        "weight: 90}": ROUTE.replace("weight: 90}", "weight: 1000001}"),
        "port: 8080, weight: 90}": ROUTE.replace("port: 8080, weight: 90}", "weight: 90}"),
        "requestRedirect: {scheme: https}": ROUTE.replace("scheme: https", "scheme: ftp"),
        "{type: RequestRedirect,": ROUTE.replace(
            "  - filters: [", "  - backendRefs: [{name: a, port: 1}]\n    filters: ["
        ),
        "hostnames: [shop.example]": ROUTE.replace("[shop.example]", "[Shop.Example]"),
    }[change]
    assert any(expected in line for line in errors(broken)), errors(broken)


@pytest.mark.parametrize(
    "listeners, expected",
    [
        (
            "[{name: a, port: 80, protocol: HTTP}, {name: a, port: 81, protocol: HTTP}]",
            "spec.listeners[1].name: Listener name must be unique within the Gateway",
        ),
        (
            "[{name: a, port: 80, protocol: HTTP}, {name: b, port: 80, protocol: HTTP}]",
            "spec.listeners[0]: Combination of port, protocol and hostname must be unique",
        ),
        (
            "[{name: a, port: 80, protocol: HTTP, tls: {certificateRefs: [{name: x}]}}]",
            "spec.listeners[0].tls: tls must not be specified for protocols ['HTTP', 'TCP', 'UDP']",
        ),
        (
            "[{name: a, port: 443, protocol: HTTPS, tls: {}}]",
            "spec.listeners[0].tls: certificateRefs or options must be specified when mode is Terminate",
        ),
        ("[{name: a, port: 70000, protocol: HTTP}]", "spec.listeners[0].port: "),
        ("[]", "spec.listeners: "),
    ],
)
def test_a_gateway_the_api_server_refuses_is_refused_with_its_reason(listeners, expected):
    text = (
        "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: g}\n"
        f"spec:\n  gatewayClassName: podpath\n  listeners: {listeners}\n"
    )
    assert any(expected in line for line in errors(text)), errors(text)


def test_an_unsupported_protocol_is_accepted_for_the_status_to_refuse():
    text = (
        "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: g}\n"
        "spec:\n  gatewayClassName: podpath\n  listeners: [{name: udp, port: 53, protocol: UDP}]\n"
    )
    assert validate(text)[0]["spec"]["listeners"][0]["protocol"] == "UDP"


def test_a_filter_the_api_server_accepts_but_podpath_does_not_run_is_stored_with_warnings():
    mirrored = ROUTE.replace(
        "{type: RequestRedirect, requestRedirect: {scheme: https}}",
        "{type: RequestMirror, requestMirror: {backendRef: {name: a, port: 1}}}",
    )
    [(route, warnings)] = check_documents(load_documents(mirrored, "gw.yaml"), "gw.yaml")
    assert route["spec"]["rules"][1]["filters"][0]["requestMirror"] == {"backendRef": {"name": "a", "port": 1}}
    assert warnings == [
        'spec.rules[1].filters[0].type "RequestMirror" is stored but has no effect in Podpath',
        "spec.rules[1].filters[0].requestMirror is stored but has no effect in Podpath",
    ]
