"""Small topologies shared by the unit, contract and kernel tests."""

from __future__ import annotations

import yaml

from netcore.topology.model import Topology
from netcore.topology.parse import parse_topology


def topology(text: str, source: str = "test.yaml") -> Topology:
    return parse_topology(yaml.safe_load(text), source)


# A container host with two containers on a bridge, masquerading out to "the internet".
CONTAINERS = """
hosts:
  host:
    sysctls: {net.ipv4.ip_forward: 1}
    interfaces:
      docker0: {kind: bridge, address: 172.17.0.1/16}
      veth-c1: {master: docker0}
      veth-c2: {master: docker0}
      eth0: {address: 198.51.100.2/24}
    routes:
      - {to: default, via: 198.51.100.1}
    nat:
      - {type: masquerade, source: 172.17.0.0/16, out: eth0}
  c1:
    role: container
    inside: host
    interfaces:
      eth0: {address: 172.17.0.2/16}
    routes:
      - {to: default, via: 172.17.0.1}
    servers:
      - {kind: hello, port: 80, text: hello from c1}
  c2:
    role: container
    inside: host
    interfaces:
      eth0: {address: 172.17.0.3/16}
    routes:
      - {to: default, via: 172.17.0.1}
  internet:
    role: internet
    interfaces:
      eth0: {address: 198.51.100.10/24}
    servers:
      - {kind: echo, port: 80}
links:
  - [c1:eth0, host:veth-c1]
  - [c2:eth0, host:veth-c2]
  - [host:eth0, internet:eth0]
"""

# The same without c2 and without NAT: a step back in a lab.
CONTAINERS_ONE = """
hosts:
  host:
    interfaces:
      docker0: {kind: bridge, address: 172.17.0.1/16}
      veth-c1: {master: docker0}
      eth0: {address: 198.51.100.2/24}
  c1:
    role: container
    inside: host
    interfaces:
      eth0: {address: 172.17.0.2/16}
    routes:
      - {to: default, via: 172.17.0.1}
    servers:
      - {kind: hello, port: 80, text: hello from c1}
  internet:
    role: internet
    interfaces:
      eth0: {address: 198.51.100.10/24}
    servers:
      - {kind: echo, port: 80}
links:
  - [c1:eth0, host:veth-c1]
  - [host:eth0, internet:eth0]
"""


def switch_topology(hosts: int) -> Topology:
    """A single switch with ``hosts`` machines on 10.0.0.0/16 (the benchmark's shape)."""
    lines = ["hosts:", "  sw:", "    role: switch", "    interfaces:", "      br0: {kind: bridge}"]
    lines += [f"      p{i}: {{master: br0}}" for i in range(hosts)]
    for i in range(hosts):
        lines += [f"  h{i}:", "    interfaces:", f"      eth0: {{address: 10.0.{i // 250}.{i % 250 + 1}/16}}"]
    lines += ["links:"] + [f"  - [h{i}:eth0, sw:p{i}]" for i in range(hosts)]
    return topology("\n".join(lines) + "\n", "switch.yaml")
