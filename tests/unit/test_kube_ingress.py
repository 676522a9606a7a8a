"""The ingress controller as the cluster sees it, and the routes it builds, without a kernel: system
objects, class resolution, status, and each Ingress semantic walked through ``match_request`` (nginx's
server and location choice) on the conformance features' manifests."""

from __future__ import annotations

import pytest

from netcore.errors import SpecError
from netcore.kube import images
from netcore.kube.api import is_user_object, parse_manifests
from netcore.kube.cluster import ClusterConfig, apply_objects, delete_objects, new_cluster
from netcore.kube.compile.ingress import CONTROLLER_404, compile_routes, ingress_servers, match_request
from netcore.kube.compile.network import compile_cluster
from netcore.kube.ingress import INGRESS_ADDRESS, INGRESS_IMAGE, served_ingresses
from tests import ingress_conformance as cases
from tests.talk import TALK_INGRESS, TALK_LOAD_BALANCER, TALK_POD

NOW = "2026-11-26T10:00:00Z"
LATER = "2026-11-26T10:05:00Z"


def cluster_with(*texts: str, nodes: int = 2, now: str = NOW):
    cluster = new_cluster(ClusterConfig(nodes=nodes), NOW)
    for text in texts:
        cluster, _ = apply_objects(cluster, parse_manifests(text, "test.yaml"), now)
    return cluster


def answer(routes, host: str, path: str) -> str | int:
    """The Service that answers, or the status nginx answers itself."""
    backend = match_request(routes, host, path).backend
    return backend.service if backend.upstream else backend.status


# -- the controller's objects -------------------------------------------------------------------------


def test_every_cluster_has_the_controller_its_service_and_the_default_class():
    cluster = new_cluster(ClusterConfig(nodes=2), NOW)
    assert cluster.get("Namespace", "", "ingress-nginx")["status"]["phase"] == "Active"
    ingress_class = cluster.get("IngressClass", "", "nginx")
    assert ingress_class["spec"]["controller"] == "k8s.io/ingress-nginx"
    assert ingress_class["metadata"]["annotations"]["ingressclass.kubernetes.io/is-default-class"] == "true"
    service = cluster.get("Service", "ingress-nginx", "ingress-nginx-controller")
    assert [(p["name"], p["port"]) for p in service["spec"]["ports"]] == [("http", 80), ("https", 443)]
    assert service["status"]["loadBalancer"]["ingress"][0]["ip"] == INGRESS_ADDRESS
    (pod,) = cluster.list("Pod", "ingress-nginx")
    assert pod["spec"]["containers"][0]["image"] == INGRESS_IMAGE and pod["spec"]["nodeName"] == "node0"
    assert pod["metadata"]["labels"]["app.kubernetes.io/name"] == "ingress-nginx"
    endpoints = cluster.get("Endpoints", "ingress-nginx", "ingress-nginx-controller")
    assert [a["ip"] for a in endpoints["subsets"][0]["addresses"]] == [pod["status"]["podIP"]]


def test_the_system_keeps_its_addresses_and_the_talks_load_balancer_still_gets_the_first_of_the_pool():
    cluster = cluster_with(TALK_POD + "---\n" + TALK_LOAD_BALANCER)
    assert cluster.get("Service", "kube-system", "kube-dns")["spec"]["clusterIP"] == "10.96.0.10"
    talk = cluster.get("Service", "default", "hello-world")
    assert talk["status"]["loadBalancer"]["ingress"][0]["ip"] == "203.0.113.10"
    assert {p["spec"]["nodeName"] for p in cluster.list("Pod", "kube-system")} == {"node0"}


def test_a_requested_load_balancer_address_is_kept_for_its_service_and_pending_when_taken():
    asking = (
        "apiVersion: v1\nkind: Service\nmetadata: {{name: {}}}\nspec: {{type: LoadBalancer, loadBalancerIP: {}, "
        "selector: {{app: a}}, ports: [{{port: 80}}]}}\n"
    )
    cluster = cluster_with(asking.format("mine", "203.0.113.50"), asking.format("thief", INGRESS_ADDRESS))
    assert cluster.get("Service", "default", "mine")["status"]["loadBalancer"]["ingress"][0]["ip"] == "203.0.113.50"
    assert cluster.get("Service", "default", "thief")["status"]["loadBalancer"] == {}


def test_lab_steps_never_delete_the_controller():
    cluster = new_cluster(ClusterConfig(nodes=2), NOW)
    mine = [o for o in cluster.objects.values() if is_user_object(o)]
    assert not [o for o in mine if "ingress" in o["metadata"]["name"] or o["kind"] == "IngressClass"]


def test_the_controller_pod_runs_nginx_from_the_sandbox_configuration():
    cluster = new_cluster(ClusterConfig(nodes=2), NOW)
    topology = compile_cluster(cluster, "k1", images)
    (host,) = [h for h in topology.hosts if h.label.startswith("pod ingress-nginx/")]
    (server,) = host.servers
    assert (server.kind, server.port, server.option("config")) == (
        "ingress-nginx",
        80,
        "/run/podpath/k1/data/ingress-nginx.conf",
    )
    assert dict(topology.data)["ingress-nginx.conf"].startswith("# podpath ingress-nginx generation ")
    images.check_pod(cluster.list("Pod", "ingress-nginx")[0])  # its image is in the catalog
    assert server == ingress_servers({}, host.name, "k1")[0]


# -- classes and status ---------------------------------------------------------------------------------


def test_a_classless_ingress_gets_the_default_class_on_create_and_keeps_it_on_update():
    cluster = cluster_with(cases.CLASSES)
    assert cluster.get("Ingress", "ingress-class", "default-class")["spec"]["ingressClassName"] == "nginx"
    # the legacy annotation stands for a class: admission leaves those alone
    assert "ingressClassName" not in cluster.get("Ingress", "ingress-class", "legacy-nginx")["spec"]
    again, outcomes = apply_objects(cluster, parse_manifests(cases.CLASSES, "test.yaml"), LATER)
    assert dict(((k[2], o) for k, o in outcomes))["default-class"] == "unchanged"
    assert again.get("Ingress", "ingress-class", "default-class")["spec"]["ingressClassName"] == "nginx"


def test_only_ingresses_of_our_class_are_served_and_get_the_controllers_address():
    cluster = cluster_with(cases.CLASSES)
    assert {i["metadata"]["name"] for i in served_ingresses(cluster)} == cases.SERVED_CLASSES
    for ingress in cluster.list("Ingress", "ingress-class"):
        status = ingress["status"]["loadBalancer"]
        if ingress["metadata"]["name"] in cases.SERVED_CLASSES:
            assert status == {"ingress": [{"ip": INGRESS_ADDRESS}]}
        else:
            assert status == {}, ingress["metadata"]["name"]
    routes = compile_routes(cluster)
    assert {s.host for s in routes.servers} == {"_"} | cases.SERVED_CLASSES


def test_without_a_default_class_a_classless_ingress_is_ignored_and_two_defaults_are_refused():
    cluster, _ = delete_objects(new_cluster(ClusterConfig(nodes=1), NOW), [("IngressClass", "", "nginx")], NOW)
    cluster, _ = apply_objects(cluster, parse_manifests(cases.CLASSES, "test.yaml"), NOW)
    assert "ingressClassName" not in cluster.get("Ingress", "ingress-class", "default-class")["spec"]
    assert cluster.get("Ingress", "ingress-class", "default-class")["status"]["loadBalancer"] == {}
    # the class nginx is gone: only the legacy annotation still says nginx
    assert [i["metadata"]["name"] for i in served_ingresses(cluster)] == ["legacy-nginx"]
    second = (
        "apiVersion: networking.k8s.io/v1\nkind: IngressClass\nmetadata: {name: second, annotations: "
        "{ingressclass.kubernetes.io/is-default-class: 'true'}}\nspec: {controller: k8s.io/ingress-nginx}\n"
    )
    with pytest.raises(SpecError, match="2 default IngressClasses"):
        cluster_with(second, cases.classed("late", "late").replace("ingress-class", "default"))


# -- routes: the conformance features ----------------------------------------------------------------------


def test_host_rules_exact_wildcard_of_one_label_and_no_match():
    routes = compile_routes(cluster_with(cases.HOST_RULES))
    for host, service in cases.HOST_CASES:
        assert answer(routes, host, "/") == (service or 404), host
    assert answer(routes, "FOO.bar.com:80", "/") == "foo-bar-com"


@pytest.mark.parametrize("host,path,service", cases.PATH_CASES)
def test_path_rules(host, path, service):
    routes = compile_routes(cluster_with(cases.PATH_RULES))
    assert answer(routes, host, path) == (service or 404)


def test_default_backend_catches_every_host_and_path():
    routes = compile_routes(cluster_with(cases.DEFAULT_BACKEND))
    for host, path in [("my-host", "/"), ("my-host", "/sub-path"), ("", "/resource"), ("some-host", "/x")]:
        assert answer(routes, host, path) == "echo-service"


def test_a_default_backend_beside_rules_serves_what_the_rules_leave_on_its_hosts_only():
    text = cases.PATH_RULES.replace(
        "spec:\n  rules:", "spec:\n  defaultBackend: {service: {name: aaa-prefix, port: {number: 8080}}}\n  rules:"
    )
    routes = compile_routes(cluster_with(text))
    assert answer(routes, "exact-path-rules", "/bar") == "aaa-prefix"
    assert answer(routes, "exact-path-rules", "/foo") == "foo-exact"
    assert answer(routes, "unknown-host", "/") == 404


def test_load_balancing_uses_every_endpoint_of_the_service():
    cluster = cluster_with(cases.LOAD_BALANCING, nodes=3)
    routes = compile_routes(cluster)
    (upstream,) = routes.upstreams
    pods = [p for p in cluster.list("Pod", "load-balancing")]
    assert upstream.name == "load-balancing-echo-service-8080"
    assert sorted(upstream.endpoints) == sorted(f"{p['status']['podIP']}:3000" for p in pods) and len(pods) == 10


def test_backends_by_port_name_and_unavailable_backends_answer_503():
    cluster = cluster_with(cases.HOST_RULES, cases.UNAVAILABLE)
    routes = compile_routes(cluster)
    (pod,) = [
        p for p in cluster.list("Pod", "host-rules") if p["metadata"]["labels"]["app"] == "host-rules-foo-bar-com"
    ]
    upstream = next(u for u in routes.upstreams if u.name == "host-rules-foo-bar-com-http")
    assert upstream.endpoints == (f"{pod['status']['podIP']}:3000",)
    for path in ("/no-endpoints", "/no-service", "/no-port"):
        assert answer(routes, "unavailable", path) == 503


def test_the_oldest_ingress_wins_a_contested_path_and_exact_beats_an_implied_exact():
    first = (
        cases.classed("first", "contested")
        .replace("ingress-class-prefix", "aaa-prefix")
        .replace("namespace: ingress-class", "namespace: path-rules")
    )
    second = (
        first.replace("name: first", "name: second").replace("aaa-prefix", "foo-prefix")
        + "      - {path: /x, pathType: Exact, backend: {service: {name: foo-exact, port: {number: 8080}}}}\n"
    )
    third = first.replace("name: first", "name: third").replace(
        "{path: /, pathType: Prefix", "{path: /x, pathType: Prefix"
    )
    cluster = cluster_with(cases.PATH_RULES, first, now=NOW)
    cluster, _ = apply_objects(cluster, parse_manifests(third, "t"), LATER)
    cluster, _ = apply_objects(cluster, parse_manifests(second, "t"), "2026-11-26T10:10:00Z")
    routes = compile_routes(cluster)
    assert answer(routes, "contested", "/") == "aaa-prefix"  # first (oldest) holds /
    assert answer(routes, "contested", "/x") == "foo-exact"  # second's Exact beats third's implied = /x
    assert answer(routes, "contested", "/x/y") == "aaa-prefix"  # third's Prefix /x/


def test_the_talks_ingress_routes_hosts_and_everything_under_void():
    services = "\n---\n".join(
        f"apiVersion: v1\nkind: Service\nmetadata: {{name: {name}}}\n"
        f"spec: {{selector: {{app: {name}}}, ports: [{{port: 8080, targetPort: 80}}]}}\n"
        for name in ("hello-world", "hello-darkness")
    )
    darkness = TALK_POD.replace("hello-world", "hello-darkness")
    routes = compile_routes(cluster_with("\n---\n".join([TALK_POD, darkness, services, TALK_INGRESS])))
    assert answer(routes, "world.hello.org", "/anything") == "hello-world"
    assert answer(routes, "darkness.hello.org", "/void/") == "hello-darkness"
    assert answer(routes, "darkness.hello.org", "/void/a/b") == "hello-darkness"
    assert answer(routes, "darkness.hello.org", "/") == 404
    assert answer(routes, "other.hello.org", "/") == 404


def test_tls_hosts_get_their_secrets_certificate_and_others_the_fake_one():
    other_key = cases.tls_secret("sni", "x", "another.host").split("tls.key: ")[1].split("\n")[0]
    # three.tls.test's certificate with another certificate's key
    broken = cases.tls_secret("sni", "missing", "three.tls.test").replace("tls.key: ", f"tls.key: {other_key}\n  old: ")
    routes = compile_routes(cluster_with(cases.SNI, broken))
    by_host = {s.host: s.certificate for s in routes.servers}
    assert by_host == {
        "_": None,
        "one.tls.test": "ingress-tls-sni.one.pem",
        "two.tls.test": "ingress-tls-sni.two.pem",
        "three.tls.test": None,
    }  # its Secret's key belongs to another certificate
    assert [name for name, _ in routes.certificates] == ["ingress-tls-sni.one.pem", "ingress-tls-sni.two.pem"]
    pem = dict(routes.certificates)["ingress-tls-sni.one.pem"]
    assert pem.startswith("-----BEGIN CERTIFICATE-----") and "-----BEGIN PRIVATE KEY-----" in pem


def test_an_ingress_without_rules_or_served_ingresses_leaves_only_the_controllers_404():
    routes = compile_routes(new_cluster(ClusterConfig(nodes=1), NOW))
    (server,) = routes.servers
    assert server.host == "_" and [loc.backend for loc in server.locations.values()] == [CONTROLLER_404]
