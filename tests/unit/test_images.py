"""Pods' images: which image a reference names, what its containers run, and what is refused where."""

from __future__ import annotations

import pytest

from netcore.errors import SpecError
from netcore.kube.images import catalog_names, check_pod, expand, image_repository, pod_listeners, pod_servers
from netcore.topology.model import Server
from netcore.workloads.catalog import CATALOG, check_server_options

AGNHOST = "registry.k8s.io/e2e-test-images/agnhost:2.47"


def pod(*containers: dict, name: str = "web-0", **spec) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": "shop", "uid": "u-1", "labels": {"app": "web"}},
        "spec": {"nodeName": "node-2", "containers": list(containers), **spec},
        "status": {"podIP": "10.244.2.7", "hostIP": "172.18.0.3"},
    }


def servers(*containers: dict, **spec) -> list[tuple]:
    return [(s.kind, s.protocol, s.port, dict(s.options)) for s in pod_servers(pod(*containers, **spec), "p1")]


def refusal(*containers: dict) -> SpecError:
    with pytest.raises(SpecError) as caught:
        check_pod(pod(*containers))
    assert caught.value.source == ""
    return caught.value


@pytest.mark.parametrize(
    ("image", "repository"),
    [
        ("registry.k8s.io/e2e-test-images/agnhost:2.47", "agnhost"),
        (
            "docker.io/library/nginx:1.25@sha256:0d17b565c37bcbd895e9d92315a05c1c3c9a29f762b011a10c54a66cd53c9b31",
            "nginx",
        ),
        ("nginx", "nginx"),
        ("curlimages/curl:8.4.0", "curlimages/curl"),
        ("docker.io/curlimages/curl", "curlimages/curl"),
        ("curl:latest", "curlimages/curl"),
        ("hello-world:1.0", "hello-world"),
        ("gcr.io/k8s-staging-ingressconformance/echoserver:v20221109-7ee2f3e", "echoserver"),
        ("registry.k8s.io/e2e-test-images/busybox:1.29-4", "busybox"),
        ("localhost:5000/team/redis:7", "team/redis"),
        ("Redis", "redis"),
    ],
)
def test_an_image_is_named_by_its_repository_whatever_its_registry_tag_or_digest(image, repository):
    assert image_repository(image) == repository


def test_the_catalog_names_every_image():
    assert {"agnhost", "busybox", "curlimages/curl", "echoserver", "hello-darkness", "hello-world", "nginx"} <= set(
        catalog_names()
    )


def test_hello_world_serves_each_declared_tcp_port_and_80_by_default():
    assert servers({"name": "c", "image": "hello-world:1.0"}) == [("hello", "tcp", 80, {"text": "Hello World"})]
    ports = [
        {"containerPort": 8080},
        {"containerPort": 8443, "protocol": "TCP"},
        {"containerPort": 53, "protocol": "UDP"},
    ]
    assert [s[2] for s in servers({"name": "c", "image": "hello-world", "ports": ports})] == [8080, 8443]
    assert servers({"name": "c", "image": "hello-darkness"}) == [("hello", "tcp", 80, {"text": "Hello Darkness"})]


def test_client_images_and_pause_run_no_server():
    assert (
        servers(
            {"name": "a", "image": "busybox", "command": ["sleep", "infinity"]},
            {"name": "b", "image": "curlimages/curl:8.4.0", "command": ["sleep", "3600"]},
            {"name": "c", "image": AGNHOST, "args": ["pause"]},
            {"name": "d", "image": AGNHOST},
        )
        == []
    )  # agnhost's CMD is pause


@pytest.mark.parametrize(
    "container",
    [
        {"image": AGNHOST, "args": ["netexec", "--http-port=8080", "--udp-port=8081"]},
        {"image": AGNHOST, "args": ["netexec", "--http-port", "8080", "--udp-port", "8081"]},
        {"image": AGNHOST, "command": ["/agnhost", "netexec", "--http-port=8080"]},
        {"image": AGNHOST, "command": ["/agnhost"], "args": ["netexec", "--v=2"]},
        {"image": AGNHOST, "args": ["netexec"]},
    ],
)
def test_netexec_flags_parse_in_both_spellings_and_default_like_agnhost(container):
    assert servers({"name": "c", **container}) == [
        ("netexec", "tcp", 8080, {"hostname": "web-0", "udp-port": "8081"}),
        ("netexec", "udp", 8081, {"hostname": "web-0"}),
    ]


def test_netexec_without_udp_and_with_tls_and_an_override():
    assert servers(
        {
            "name": "c",
            "image": AGNHOST,
            "args": [
                "netexec",
                "--http-port=443",
                "--udp-port=-1",
                "--tls-cert-file=/localhost.crt",
                "--tls-private-key-file=/localhost.key",
                "--http-override=/hostname",
            ],
        }
    ) == [("netexec", "tcp", 443, {"hostname": "web-0", "udp-port": "-1", "http-override": "/hostname", "tls": "true"})]


def test_serve_hostname_over_http_by_default_and_raw_tcp_and_udp_when_asked():
    assert servers({"name": "c", "image": AGNHOST, "args": ["serve-hostname"]}) == [
        ("http-text", "tcp", 9376, {"text": "web-0"})
    ]
    assert servers(
        {
            "name": "c",
            "image": AGNHOST,
            "command": ["/agnhost", "serve-hostname", "--udp", "--tcp", "--http=false", "--port", "80"],
        }
    ) == [("tcp-text", "tcp", 80, {"text": "web-0"}), ("udp-text", "udp", 80, {"text": "web-0"})]


def test_the_hostname_is_spec_hostname_when_set():
    assert servers({"name": "c", "image": AGNHOST, "args": ["serve-hostname"]}, hostname="db-0") == [
        ("http-text", "tcp", 9376, {"text": "db-0"})
    ]


def test_porter_serves_the_ports_its_environment_names():
    assert servers(
        {
            "name": "c",
            "image": AGNHOST,
            "args": ["porter", "--json-response"],
            "env": [
                {"name": "SERVE_PORT_9001", "value": "foo"},
                {"name": "SERVE_UDP_PORT_9002", "value": "bar"},
                {"name": "SERVE_TLS_PORT_9443", "value": "tls"},
                {"name": "OTHER", "value": "x"},
            ],
        }
    ) == [
        ("http-text", "tcp", 9001, {"text": "foo", "json": "true"}),
        ("udp-text", "udp", 9002, {"text": "bar"}),
        ("https-text", "tcp", 9443, {"text": "tls", "json": "true"}),
    ]


def test_env_resolves_field_refs_and_references_to_earlier_variables():
    env = [
        {"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
        {"name": "NAMESPACE", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}}},
        {"name": "SERVICE_NAME", "value": "$(POD_NAME)-svc on $(NODE) $$(POD_NAME)"},
        {"name": "INGRESS_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.labels['app']"}}},
        {"name": "PORT", "value": "8000"},
    ]
    assert servers({"name": "c", "image": "echoserver", "env": env}) == [
        (
            "echoserver",
            "tcp",
            8000,
            {"namespace": "shop", "ingress": "web", "service": "web-0-svc on $(NODE) $(POD_NAME)", "pod": "web-0"},
        )
    ]
    fields = {
        "status.podIP": "10.244.2.7",
        "status.hostIP": "172.18.0.3",
        "spec.nodeName": "node-2",
        "metadata.uid": "u-1",
    }
    for path, value in fields.items():
        container = {
            "name": "c",
            "image": AGNHOST,
            "args": ["porter"],
            "env": [{"name": "SERVE_PORT_80", "valueFrom": {"fieldRef": {"fieldPath": path}}}],
        }
        assert servers(container)[0][3]["text"] == value


def test_command_and_args_expand_environment_variables():
    assert (
        servers(
            {
                "name": "c",
                "image": AGNHOST,
                "env": [{"name": "HTTP_PORT", "value": "9090"}],
                "args": ["netexec", "--http-port=$(HTTP_PORT)", "--udp-port=-1"],
            }
        )[0][2]
        == 9090
    )


def test_expand_follows_kubernetes_rules():
    env = {"A": "1"}
    assert expand("$(A)-$(B)-$$(A)-$$-$-$(A", env) == "1-$(B)-$(A)-$-$-$(A"


def test_status_fields_may_be_missing_while_the_pod_is_checked():
    bare = {
        "metadata": {"name": "w"},
        "spec": {
            "containers": [
                {
                    "name": "c",
                    "image": AGNHOST,
                    "args": ["porter"],
                    "env": [{"name": "SERVE_PORT_80", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}}],
                }
            ]
        },
    }
    check_pod(bare)
    assert pod_servers(bare, "p1")[0].options == (("text", ""), ("json", "false"))


def test_every_server_a_pod_gets_is_valid_for_the_workload_catalog():
    found = pod_servers(
        pod(
            {"name": "a", "image": AGNHOST, "args": ["netexec"]},
            {"name": "b", "image": "hello-world", "ports": [{"containerPort": 81}]},
            {"name": "c", "image": "echoserver"},
            {"name": "d", "image": "nginx:1.25"},
            {
                "name": "e",
                "image": AGNHOST,
                "args": ["porter"],
                "env": [{"name": "SERVE_TLS_PORT_443", "value": "x"}, {"name": "SERVE_UDP_PORT_5353", "value": "y"}],
            },
            {"name": "f", "image": AGNHOST, "args": ["serve-hostname", "--http=false", "--tcp", "--udp"]},
            {"name": "g", "image": "podpath/coredns", "env": [{"name": "PODPATH_DNS_RECORDS", "value": "/run/d.json"}]},
        ),
        "p1",
    )
    assert all(isinstance(s, Server) and s.host == "p1" for s in found)
    assert [check_server_options(s.kind, s.protocol, s.options) for s in found] == [None] * len(found)
    assert len({(s.port, s.protocol) for s in found}) == len(found) == 11


def test_topology_files_may_name_only_kinds_they_can_configure():
    assert "cluster-dns" not in CATALOG and "netexec" not in CATALOG
    assert {"hello", "echo", "nginx", "udp-text"} <= set(CATALOG)


@pytest.mark.parametrize(
    ("containers", "field", "expected"),
    [
        (
            [{"name": "a", "image": "nginx"}, {"name": "b", "image": "redis:7"}],
            "spec.containers[1].image",
            "an image from the catalog: agnhost, busybox, curlimages/curl",
        ),
        ([{"name": "a"}], "spec.containers[0].image", "an image from the catalog"),
        (
            [{"name": "a", "image": AGNHOST, "args": ["guestbook"]}],
            "spec.containers[0].args[0]",
            "an agnhost mode Podpath serves: netexec, pause, porter, serve-hostname, got 'guestbook'",
        ),
        (
            [{"name": "a", "image": AGNHOST, "args": ["netexec", "--http-port=80", "--bogus"]}],
            "spec.containers[0].args[2]",
            "a flag of agnhost netexec",
        ),
        (
            [{"name": "a", "image": AGNHOST, "command": ["/agnhost", "netexec", "--http-port", "eighty"]}],
            "spec.containers[0].command[3]",
            "an integer for --http-port",
        ),
        (
            [{"name": "a", "image": AGNHOST, "args": ["netexec", "--http-port"]}],
            "spec.containers[0].args[1]",
            "flag needs an argument",
        ),
        (
            [{"name": "a", "image": AGNHOST, "args": ["--http-port=80", "netexec"]}],
            "spec.containers[0].args[0]",
            "an agnhost mode (netexec, pause, porter, serve-hostname) before its flags",
        ),
        (
            [{"name": "a", "image": AGNHOST, "args": ["netexec", "extra"]}],
            "spec.containers[0].args[1]",
            "takes only flags",
        ),
        (
            [{"name": "a", "image": AGNHOST, "args": ["netexec", "--sctp-port=9000"]}],
            "spec.containers[0].args[1]",
            "no SCTP",
        ),
        (
            [{"name": "a", "image": AGNHOST, "args": ["serve-hostname", "--udp"]}],
            "spec.containers[0].args[1]",
            "--http=false",
        ),
        (
            [{"name": "a", "image": AGNHOST, "command": ["sh", "-c", "nc -l 80"]}],
            "spec.containers[0].command[0]",
            "agnhost's own program",
        ),
        (
            [{"name": "a", "image": "hello-world", "ports": [{"containerPort": 80}]}, {"name": "b", "image": "nginx"}],
            "spec.containers[1].image",
            "TCP 80 is taken by spec.containers[0].ports[0].containerPort",
        ),
        (
            [
                {"name": "a", "image": AGNHOST, "args": ["netexec"]},
                {"name": "b", "image": AGNHOST, "args": ["serve-hostname", "--udp", "--http=false", "--port=8081"]},
            ],
            "spec.containers[1].args[3]",
            "UDP 8081 is taken by spec.containers[0].image",
        ),
        (
            [{"name": "a", "image": "hello-world", "ports": [{"containerPort": 70000}]}],
            "spec.containers[0].ports[0].containerPort",
            "a port number from 1 to 65535",
        ),
        (
            [{"name": "a", "image": "echoserver", "env": [{"name": "PORT", "value": "http"}]}],
            "spec.containers[0].env[0]",
            "a port number",
        ),
        (
            [
                {
                    "name": "a",
                    "image": "nginx",
                    "env": [{"name": "X", "valueFrom": {"fieldRef": {"fieldPath": "spec.bogus"}}}],
                }
            ],
            "spec.containers[0].env[0].valueFrom.fieldRef.fieldPath",
            "one of metadata.name, metadata.namespace",
        ),
        (
            [{"name": "a", "image": AGNHOST, "args": ["porter"], "env": [{"name": "SERVE_SCTP_PORT_9", "value": "x"}]}],
            "spec.containers[0].env[0].name",
            "no SCTP",
        ),
        (
            [{"name": "a", "image": AGNHOST, "args": ["porter"], "env": [{"name": "SERVE_PORT_http", "value": "x"}]}],
            "spec.containers[0].env[0].name",
            "a port number",
        ),
    ],
)
def test_a_pod_that_cannot_run_is_refused_naming_the_field(containers, field, expected):
    error = refusal(*containers)
    assert error.field == field
    assert expected in error.expected
    assert f"{field}: " in str(error)


def test_a_pod_without_containers_is_refused():
    with pytest.raises(SpecError, match="spec.containers: a list of containers"):
        check_pod({"metadata": {"name": "x"}, "spec": {}})


def test_variables_from_other_sources_are_left_unset_not_refused():
    # configMapKeyRef and envFrom are stored with a warning (netcore.kube.subset); the image runs without them.
    (listener,) = pod_listeners(
        pod(
            {
                "name": "a",
                "image": "registry.k8s.io/echoserver:2.5",
                "envFrom": [{"configMapRef": {"name": "c"}}],
                "env": [
                    {"name": "PORT", "valueFrom": {"configMapKeyRef": {"name": "c", "key": "k"}}},
                    {"name": "POD_NAME", "value": "web"},
                ],
            }
        )
    )
    assert (listener.port, dict(listener.options)["pod"]) == (3000, "web")
