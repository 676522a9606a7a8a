"""Parsing topology documents: what valid ones become, and how invalid ones are refused."""

from __future__ import annotations

import pytest
import yaml

from netcore.errors import SpecError
from netcore.topology.model import Endpoint, NatRule, Route
from netcore.topology.parse import parse_topology
from tests.topologies import CONTAINERS, topology


def test_containers_topology_parses_with_defaults_filled_in():
    topo = topology(CONTAINERS)
    assert topo.host_names() == ["host", "c1", "c2", "internet"]
    host = topo.host("host")
    assert host.interface("docker0").kind == "bridge"
    assert host.interface("veth-c1").master == "docker0"
    assert host.routes == (Route(dst="0.0.0.0/0", via="198.51.100.1"),)
    assert host.nat == (NatRule(kind="masquerade", source="172.17.0.0/16", out_if="eth0"),)
    assert dict(host.sysctls) == {"net.ipv4.ip_forward": "1"}
    assert topo.peer_of(Endpoint("c1", "eth0")) == Endpoint("host", "veth-c1")
    assert topo.host("c1").inside == "host"


def refusal(document: str) -> SpecError:
    with pytest.raises(SpecError) as caught:
        parse_topology(yaml.safe_load(document), "lab/step.yaml")
    return caught.value


@pytest.mark.parametrize(
    ("document", "field", "expected"),
    [
        (
            "hosts: {m1: {interfaces: {eth0: {address: 10.0.0.300/24}}}}\nlinks: [[m1:eth0, m1:eth1]]",
            "topology.hosts.m1.interfaces.eth0.address",
            "an IPv4 address with a prefix",
        ),
        (
            "hosts: {m1: {interfaces: {eth0: {address: 10.0.0.1}}}}",
            "topology.hosts.m1.interfaces.eth0.address",
            "an IPv4 address with a prefix",
        ),
        ("hosts: {m1: {colour: blue}}", "topology.hosts.m1.colour", "unknown field"),
        ("hosts: {M1: {}}", "topology.hosts.M1", "invalid host name"),
        ("hosts: {../etc: {}}", "topology.hosts.../etc", "invalid host name"),
        (
            "hosts: {m1: {interfaces: {averyveryverylongname0: {kind: bridge}}}}",
            "topology.hosts.m1.interfaces.averyveryverylongname0",
            "invalid interface name",
        ),
        ("hosts: {m1: {interfaces: {eth0: {}}}}", "topology.hosts.m1.interfaces.eth0", "a link to it"),
        ("hosts: {m1: {}}\nlinks: [[m1:eth0, m2:eth0]]", "topology.links[0][1]", "no host 'm2'"),
        (
            "hosts: {m1: {}, m2: {}}\nlinks: [[m1:eth0, m2:eth0], [m1:eth0, m2:eth1]]",
            "topology.links[1][0]",
            "already in links[0]",
        ),
        (
            "hosts: {m1: {interfaces: {p1: {master: br9}}}, m2: {}}\nlinks: [[m1:p1, m2:eth0]]",
            "topology.hosts.m1.interfaces.p1.master",
            "the name of a bridge",
        ),
        (
            "hosts: {m1: {routes: [{to: default, via: 10.0.0.1}]}}",
            "topology.hosts.m1.routes[0].via",
            "a gateway on a subnet",
        ),
        ("hosts: {m1: {routes: [{to: 10.0.0.1/8, dev: eth0}]}}", "topology.hosts.m1.routes[0].to", "a network"),
        ("hosts: {m1: {nat: [{type: masquerade}]}}", "topology.hosts.m1.nat[0].out", "the interface packets leave"),
        (
            "hosts: {m1: {sysctls: {kernel.panic: 1}}}",
            "topology.hosts.m1.sysctls.kernel.panic",
            "a sysctl Podpath manages",
        ),
        (
            "hosts: {m1: {servers: [{kind: redis, port: 6379}]}}",
            "topology.hosts.m1.servers[0].kind",
            "catalog: echo, hello",
        ),
        (
            "hosts: {m1: {servers: [{kind: hello, port: 80}, {kind: echo, port: 80}]}}",
            "topology.hosts.m1.servers[1]",
            "one server per port",
        ),
        ("hosts: {m1: {inside: m2}, m2: {inside: m1}}", "topology.hosts.m1.inside", "without a cycle"),
        ("hosts: []", "topology.hosts", "a mapping"),
        ("links: []", "topology.hosts", "required"),
    ],
)
def test_a_malformed_document_names_file_field_and_expectation(document, field, expected):
    error = refusal(document)
    assert error.source == "lab/step.yaml"
    assert error.field == field
    assert expected in error.expected
    assert str(error).startswith(f"lab/step.yaml: {field}: ")
