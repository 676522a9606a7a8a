"""Resolving a walk's SRC and DST against a cluster's objects or a lab's hosts, and a pod's DNS names."""

from __future__ import annotations

import pytest

from netcore.errors import NotFound, PodpathError
from netcore.kube.api import parse_manifests
from netcore.kube.cluster import ClusterConfig, apply_objects, new_cluster
from netcore.kube.compile.network import pod_hosts
from netcore.walk import dns
from netcore.walk.target import Source, resolve_source, resolve_target

NOW = "2026-11-26T10:00:00Z"
OBJECTS = """
apiVersion: v1
kind: Namespace
metadata: {name: team-a}
---
apiVersion: v1
kind: Pod
metadata: {name: client}
spec:
  nodeName: node0
  containers: [{name: c, image: curlimages/curl}]
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: team-a, labels: {app: web}}
spec:
  nodeName: node1
  containers: [{name: web, image: hello-world, ports: [{name: http, containerPort: 8080}]}]
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: team-a}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: 8080}, {name: dns, port: 53, protocol: UDP}]
---
apiVersion: v1
kind: Service
metadata: {name: lb}
spec:
  type: LoadBalancer
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: np}
spec:
  type: NodePort
  selector: {app: web}
  ports: [{port: 8080, nodePort: 30080}]
---
apiVersion: v1
kind: Service
metadata: {name: inside}
spec:
  selector: {app: web}
  ports: [{port: 80}]
"""
HOSTS = {
    "node0": ["172.18.0.2/24", "10.244.0.1/24"],
    "node1": ["172.18.0.3/24", "10.244.1.1/24"],
    "external": ["198.51.100.100/24"],
    "internet": ["198.51.100.10/24"],
    "router": ["172.18.0.1/24"],
}


@pytest.fixture(scope="module")
def cluster():
    found, _ = apply_objects(new_cluster(ClusterConfig(nodes=2), NOW), parse_manifests(OBJECTS, "t.yaml"), NOW)
    return found


def source(cluster, spec: str) -> Source:
    return resolve_source(spec, set(HOSTS) | {"default-client", "team-a-web"}, cluster, pod_hosts(cluster))


def target(cluster, spec: str, src: str = "client", protocol=None, port=None):
    return resolve_target(
        spec, source(cluster, src), protocol, port, cluster=cluster, pod_hosts=pod_hosts(cluster), host_addresses=HOSTS
    )


def test_sources_are_pods_by_name_or_namespace_and_name_or_hosts(cluster):
    assert source(cluster, "client") == Source("default-client", "pod default/client", "default")
    assert source(cluster, "team-a/web").pod_namespace == "team-a"
    assert source(cluster, "external") == Source("external", "external")
    with pytest.raises(NotFound):
        source(cluster, "nobody")


def test_from_a_pod_a_service_name_is_asked_to_dns_with_the_services_port(cluster):
    found = target(cluster, "web.team-a")
    assert (found.address, found.dns_name, found.port, found.protocol) == (None, "web.team-a", 80, "tcp")
    assert found.service == "team-a/web" and found.http_host == "web.team-a"
    udp = target(cluster, "web.team-a:53", protocol="udp")
    assert (udp.port, udp.protocol, udp.http_host) == (53, "udp", None)


def test_a_url_gives_port_path_and_host_header(cluster):
    found = target(cluster, "http://web.team-a.svc.cluster.local:80/hostname?x=1")
    assert (found.dns_name, found.port, found.path, found.http_host) == (
        "web.team-a.svc.cluster.local",
        80,
        "/hostname?x=1",
        "web.team-a.svc.cluster.local",
    )
    assert target(cluster, "http://10.96.0.10:8080/").http_host == "10.96.0.10:8080"


def test_from_outside_a_service_is_its_load_balancer_or_its_node_port(cluster):
    lb = target(cluster, "lb", "external")
    assert lb.address.startswith("203.0.113.") and lb.port == 80 and lb.http_host
    np = target(cluster, "np", "external")
    assert (np.address, np.port, np.http_host) == ("172.18.0.2", 30080, "172.18.0.2:30080")
    with pytest.raises(PodpathError, match="no address outside the cluster"):
        target(cluster, "inside", "external")


def test_pods_and_hosts_are_reached_at_their_addresses(cluster):
    web = target(cluster, "team-a/web")
    assert web.address.startswith("10.244.1.") and web.port == 8080 and web.http_host  # a port named http
    assert target(cluster, "node1", "external").address == "172.18.0.3"
    assert target(cluster, "198.51.100.10:81").port == 81
    assert target(cluster, "node1", "external", protocol="icmp").port is None


def test_udp_needs_a_port(cluster):
    with pytest.raises(PodpathError, match="UDP port"):
        target(cluster, "198.51.100.10", protocol="udp")


def test_lab_hosts_prefer_the_address_on_the_sources_network():
    hosts = {"c1": ["172.17.0.2/16"], "host": ["198.51.100.2/24", "172.17.0.1/16"], "internet": ["198.51.100.10/24"]}
    found = resolve_target("host", Source("c1", "c1"), None, None, host_addresses=hosts)
    assert (found.address, found.port, found.http_host) == ("172.17.0.1", 80, "host")
    with pytest.raises(NotFound, match="no host 'm9'"):
        resolve_target("m9", Source("c1", "c1"), None, None, host_addresses=hosts)


def test_a_pods_resolver_tries_the_search_domains_first():
    servers, search, ndots = dns.parse_resolv_conf(
        "search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n"
    )
    assert (servers, ndots) == (["10.96.0.10"], 5)
    assert dns.candidates("web.team-a", search, ndots)[:2] == [
        "web.team-a.default.svc.cluster.local",
        "web.team-a.svc.cluster.local",
    ]
    assert dns.candidates("a.b.c.d.e.f", search, ndots)[0] == "a.b.c.d.e.f"
    assert dns.candidates("web.", search, ndots) == ["web"]


def test_dns_answers_in_words():
    from dnslib import RR, A, DNSRecord

    question = DNSRecord.parse(dns.query("web.default.svc.cluster.local"))
    answer = question.reply()
    answer.add_answer(RR("web.default.svc.cluster.local", rdata=A("10.96.4.7")))
    assert dns.answer_words(answer.pack()) == "A 10.96.4.7"
    assert dns.first_address("A 10.96.4.7") == "10.96.4.7"
    missing = question.reply()
    missing.header.rcode = 3
    assert dns.answer_words(missing.pack()) == "NXDOMAIN" and dns.first_address("NXDOMAIN") is None
