"""Pods' images served for real: each answers a real client (curl, nc, dig) from another namespace."""

from __future__ import annotations

import json
import os
import subprocess
import time
from dataclasses import replace

import pytest

from netcore import names
from netcore.kube.images import pod_servers
from netcore.sandbox import lifecycle
from netcore.topology.model import Endpoint, Host, Interface, Link, Server, Topology
from netcore.workloads import client as workloads

AGNHOST = "registry.k8s.io/e2e-test-images/agnhost:2.47"
DNS = "10.244.0.10"
RESOLV = f"nameserver {DNS}\nsearch default.svc.cluster.local svc.cluster.local cluster.local\noptions ndots:5\n"
ADDRESSES = {"client": "10.244.0.2", "web": "10.244.0.5", "other": "10.244.0.6", "dns": DNS}


def pod(name: str, containers: list[dict], node: str = "node-1") -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {"nodeName": node, "containers": containers},
        "status": {"podIP": ADDRESSES[name], "hostIP": "172.18.0.2"},
    }


WEB = pod(
    "web",
    [
        {"name": "netexec", "image": AGNHOST, "args": ["netexec", "--http-port=8080", "--udp-port=8081"]},
        {"name": "hello", "image": "hello-world:1.0", "ports": [{"containerPort": 80}]},
        {
            "name": "echo",
            "image": "gcr.io/k8s-staging-ingressconformance/echoserver:v20221109-7ee2f3e",
            "env": [
                {"name": "INGRESS_NAME", "value": "hello-ingress"},
                {"name": "SERVICE_NAME", "value": "hello-svc"},
                {"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
                {"name": "NAMESPACE", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}},
            ],
        },
        {
            "name": "porter",
            "image": AGNHOST,
            "args": ["porter"],
            "env": [
                {"name": "SERVE_PORT_9001", "value": "foo"},
                {"name": "SERVE_UDP_PORT_9002", "value": "bar"},
                {"name": "SERVE_TLS_PORT_9443", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}},
            ],
        },
        {"name": "client", "image": "busybox", "command": ["sleep", "infinity"]},
    ],
)
OTHER = pod(
    "other",
    [
        {"name": "http", "image": AGNHOST, "args": ["serve-hostname"]},
        {
            "name": "raw",
            "image": AGNHOST,
            "command": ["/agnhost", "serve-hostname", "--udp", "--tcp", "--http=false", "--port", "9377"],
        },
        {"name": "nginx", "image": "docker.io/library/nginx:1.25"},
        {
            "name": "tls",
            "image": AGNHOST,
            "args": [
                "netexec",
                "--http-port=8443",
                "--udp-port=-1",
                "--tls-cert-file=/localhost.crt",
                "--tls-private-key-file=/localhost.key",
            ],
        },
    ],
)


def records(path, extra: dict | None = None) -> None:
    """Write the DNS records file as the cluster compiler does: a new file renamed over the old one."""
    data = {
        "zone": "cluster.local",
        "ttl": 5,
        "records": {
            "other-svc.default.svc.cluster.local": ["10.244.0.6"],
            "headless.default.svc.cluster.local": ["10.244.0.5", "10.244.0.6"],
            **(extra or {}),
        },
        "upstream": {"internet.example": ["198.51.100.10"]},
    }
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data))
    os.replace(tmp, path)


def cluster(dns_records: str) -> Topology:
    """Four pods on one bridge: a client, two pods of images, and the cluster DNS."""
    servers = {
        "web": pod_servers(WEB, "web"),
        "other": pod_servers(OTHER, "other"),
        "dns": tuple(
            Server("dns", "cluster-dns", 53, protocol, (("records", dns_records),)) for protocol in ("udp", "tcp")
        ),
        "client": (),
    }
    switch = Host(
        "sw",
        role="switch",
        interfaces=(Interface("br0", kind="bridge"),)
        + tuple(Interface(f"p-{name}", master="br0") for name in ADDRESSES),
    )
    hosts = tuple(
        Host(
            name,
            role="pod",
            interfaces=(Interface("eth0", addresses=(f"{address}/24",)),),
            servers=servers[name],
            resolv_conf=RESOLV,
        )
        for name, address in ADDRESSES.items()
    )
    links = tuple(Link(Endpoint(name, "eth0"), Endpoint("sw", f"p-{name}")) for name in ADDRESSES)
    return Topology(hosts=(switch, *hosts), links=links)


@pytest.fixture
def sandbox(sandbox_name, tmp_path):
    path = tmp_path / "dns.json"
    records(path)
    lifecycle.create_sandbox(sandbox_name, cluster(str(path)))
    try:
        yield sandbox_name, path
    finally:
        if names.record_path(sandbox_name).exists():
            lifecycle.delete_sandbox(sandbox_name)


def run(sandbox: str, host: str, *argv: str, stdin: str | None = None, timeout: float = 10) -> str:
    return subprocess.run(
        ["ip", "netns", "exec", names.netns_name(sandbox, host), *argv],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
    ).stdout


def curl(sandbox: str, url: str, *extra: str) -> str:
    return run(sandbox, "client", "curl", "-s", "-m", "8", *extra, url)


def udp(sandbox: str, address: str, port: int, message: str) -> str:
    return run(sandbox, "client", "nc", "-u", "-w", "2", "-W", "1", address, str(port), stdin=message)


def dig(sandbox: str, *query: str) -> str:
    return run(sandbox, "client", "dig", f"@{DNS}", "+time=2", "+tries=1", *query)


def test_hello_world_nginx_and_echoserver_answer_as_their_images_do(sandbox):
    name, _ = sandbox
    assert curl(name, "http://10.244.0.5/") == "Hello World\n"
    assert "<title>Welcome to nginx!</title>" in curl(name, "http://10.244.0.6/")
    assert "404 Not Found" in curl(name, "http://10.244.0.6/missing")
    echo = json.loads(curl(name, "http://10.244.0.5:3000/some/path?q=1", "-H", "X-Test: one"))
    assert echo == {
        "path": "/some/path?q=1",
        "host": "10.244.0.5:3000",
        "method": "GET",
        "proto": "HTTP/1.1",
        "headers": {"Accept": ["*/*"], "User-Agent": [echo["headers"]["User-Agent"][0]], "X-Test": ["one"]},
        "namespace": "default",
        "ingress": "hello-ingress",
        "service": "hello-svc",
        "pod": "web",
    }
    assert curl(name, "http://10.244.0.5:3000/health") == "OK"


def test_netexec_answers_http_and_udp_like_agnhost(sandbox):
    name, _ = sandbox
    assert curl(name, "http://10.244.0.5:8080/hostname") == "web"
    client_ip, _, port = curl(name, "http://10.244.0.5:8080/clientip").partition(":")
    assert client_ip == "10.244.0.2" and port.isdigit()
    assert curl(name, "http://10.244.0.5:8080/echo?msg=hello%20there") == "hello there"
    assert curl(name, "http://10.244.0.5:8080/healthz", "-o", "/dev/null", "-w", "%{http_code}") == "200"
    assert curl(name, "http://10.244.0.5:8080/echo?msg=x&code=503", "-o", "/dev/null", "-w", "%{http_code}") == "503"
    assert curl(name, "http://10.244.0.5:8080/").startswith("NOW: ")
    assert curl(name, "https://10.244.0.6:8443/hostname", "-k") == "other"
    # Without its UDP server agnhost never reports ready, and neither does Podpath's netexec.
    assert curl(name, "https://10.244.0.6:8443/healthz", "-k", "-o", "/dev/null", "-w", "%{http_code}") == "412"
    assert udp(name, "10.244.0.5", 8081, "hostname") == "web"
    assert udp(name, "10.244.0.5", 8081, "echo Hello UDP") == "hello udp"  # agnhost lowercases commands
    assert udp(name, "10.244.0.5", 8081, "clientip").startswith("10.244.0.2:")


def test_dial_connects_from_inside_the_pod_by_address_and_by_cluster_dns_name(sandbox):
    name, _ = sandbox
    dial = "http://10.244.0.5:8080/dial?request=hostname&protocol={}&host={}&port={}&tries={}"
    assert json.loads(curl(name, dial.format("http", "10.244.0.6", 9376, 2))) == {"responses": ["other", "other"]}
    assert json.loads(curl(name, dial.format("udp", "10.244.0.6", 9377, 1))) == {"responses": ["other"]}
    assert json.loads(curl(name, dial.format("http", "other-svc", 9376, 1))) == {"responses": ["other"]}
    # The pod's own netexec sees the dial come from the pod, not from the runner's namespace.
    seen = json.loads(curl(name, "http://10.244.0.5:8080/dial?request=clientip&host=localhost&port=8080"))
    assert seen["responses"][0].startswith("127.0.0.1:")
    refused = json.loads(curl(name, dial.format("http", "10.244.0.6", 9999, 1)))
    assert refused == {
        "errors": ['Get "http://10.244.0.6:9999/hostname": dial tcp 10.244.0.6:9999: connect: connection refused']
    }
    unknown = curl(name, dial.format("http", "nowhere", 80, 1))
    assert unknown == "host and/or port param are invalid. lookup nowhere on 10.244.0.10:53: no such host\n"


def test_serve_hostname_answers_over_http_tcp_and_udp(sandbox):
    name, _ = sandbox
    assert curl(name, "http://10.244.0.6:9376/anything") == "other"
    assert run(name, "client", "nc", "-w", "2", "10.244.0.6", "9377", stdin="") == "other"
    assert udp(name, "10.244.0.6", 9377, "x") == "other"


def test_porter_serves_each_port_its_environment_names(sandbox):
    name, _ = sandbox
    assert curl(name, "http://10.244.0.5:9001/") == "foo"
    assert udp(name, "10.244.0.5", 9002, "anything") == "bar"
    assert curl(name, "https://10.244.0.5:9443/", "-k") == "10.244.0.5"


def test_cluster_dns_answers_a_nxdomain_nodata_and_rereads_its_records(sandbox):
    name, path = sandbox
    assert dig(name, "+short", "other-svc.default.svc.cluster.local").split() == ["10.244.0.6"]
    assert sorted(dig(name, "+short", "headless.default.svc.cluster.local").split()) == ["10.244.0.5", "10.244.0.6"]
    assert dig(name, "+tcp", "+short", "other-svc.default.svc.cluster.local").split() == ["10.244.0.6"]
    assert "status: NXDOMAIN" in dig(name, "missing.default.svc.cluster.local")
    nodata = dig(name, "AAAA", "other-svc.default.svc.cluster.local")
    assert "status: NOERROR" in nodata and "ANSWER: 0" in nodata and "SOA" in nodata
    assert dig(name, "+short", "internet.example").split() == ["198.51.100.10"]
    started = time.monotonic()
    assert "status: NXDOMAIN" in dig(name, "example.com")
    assert time.monotonic() - started < 1.0
    assert dig(name, "+short", "-x", "10.244.0.6").split() == [
        "other-svc.default.svc.cluster.local.",
        "headless.default.svc.cluster.local.",
    ]

    records(path, {"new-svc.default.svc.cluster.local": ["10.96.0.42"]})
    assert dig(name, "+short", "new-svc.default.svc.cluster.local").split() == ["10.96.0.42"]
    path.write_text("{not json")  # a broken rewrite keeps the last good records
    assert dig(name, "+short", "new-svc.default.svc.cluster.local").split() == ["10.96.0.42"]


def sockets_on(sandbox: str, host: str, port: int) -> str:
    return run(sandbox, host, "ss", "-Htuan", f"( sport = :{port} or dport = :{port} )").strip()


def test_stopping_a_server_closes_its_listener_its_connections_and_its_dials(sandbox):
    name, path = sandbox
    # An idle client connection to hello-world, and a /dial stuck connecting to an address nobody has.
    idle = subprocess.Popen(
        ["ip", "netns", "exec", names.netns_name(name, "client"), "nc", "10.244.0.5", "80"],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
    )
    dialing = subprocess.Popen(
        [
            "ip",
            "netns",
            "exec",
            names.netns_name(name, "client"),
            "curl",
            "-s",
            "-m",
            "8",
            "http://10.244.0.5:8080/dial?request=x&host=10.244.0.99&port=80",
        ],
        stdout=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 3
        while (
            "ESTAB" not in sockets_on(name, "web", 80) or "SYN-SENT" not in run(name, "web", "ss", "-Htan")
        ) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert "ESTAB" in sockets_on(name, "web", 80)
        assert "SYN-SENT" in run(name, "web", "ss", "-Htan")  # the dial's socket lives in the pod

        without = cluster(str(path))
        web = replace(without.host("web"), servers=())
        lifecycle.apply_to_sandbox(
            name, replace(without, hosts=tuple(web if h.name == "web" else h for h in without.hosts))
        )

        assert idle.wait(timeout=3) is not None  # reset by the runner: the client sees it at once
        assert sockets_on(name, "web", 80) == "" and sockets_on(name, "web", 8080) == ""
        assert run(name, "web", "ss", "-Htuan").strip() == ""  # nothing left: nothing pins the namespace
        assert curl(name, "http://10.244.0.5/", "-o", "/dev/null", "-w", "%{http_code}") == "000"
    finally:
        for process in (idle, dialing):
            process.kill()
            process.wait()


def pods_on_a_bridge(count: int, with_servers: bool) -> Topology:
    """``count`` pods like the e2e suites' (netexec, hello-world, echoserver); the switch keeps the runner up."""
    containers = [
        {"name": "netexec", "image": AGNHOST, "args": ["netexec"]},
        {"name": "hello", "image": "hello-world"},
        {"name": "echo", "image": "echoserver"},
    ]
    switch = Host(
        "sw",
        role="switch",
        servers=(Server("sw", "hello", 1),),
        interfaces=(Interface("br0", kind="bridge"), *(Interface(f"v{i}", master="br0") for i in range(count))),
    )
    pods = []
    for i in range(count):
        manifest = {"metadata": {"name": f"p{i}"}, "spec": {"containers": containers}}
        pods.append(
            Host(
                f"p{i}",
                interfaces=(Interface("eth0", addresses=(f"10.244.{i // 250}.{i % 250 + 2}/16",)),),
                servers=pod_servers(manifest, f"p{i}") if with_servers else (),
            )
        )
    links = tuple(Link(Endpoint(f"p{i}", "eth0"), Endpoint("sw", f"v{i}")) for i in range(count))
    return Topology(hosts=(switch, *pods), links=links)


def rss_kb(pid: int) -> int:
    status = open(f"/proc/{pid}/status").read()
    return int(status.split("VmRSS:")[1].split()[0])


def test_a_hundred_pods_cost_the_runner_well_under_50_kb_of_memory_each(sandbox_name):
    lifecycle.create_sandbox(sandbox_name, pods_on_a_bridge(100, with_servers=False))
    try:
        pid = workloads.runner_pid(sandbox_name)
        before = rss_kb(pid)
        lifecycle.apply_to_sandbox(sandbox_name, pods_on_a_bridge(100, with_servers=True))
        assert len(workloads.running_servers(sandbox_name)) == 1 + 100 * 4
        for i in range(0, 100, 9):
            assert run(sandbox_name, "p0", "curl", "-s", "-m", "3", f"http://10.244.0.{i + 2}:8080/hostname") == f"p{i}"
        per_pod = (rss_kb(pid) - before) / 100
        print(f"runner RSS growth: {per_pod:.1f} kB per pod (4 servers each)")
        assert per_pod <= 50
    finally:
        lifecycle.delete_sandbox(sandbox_name)
