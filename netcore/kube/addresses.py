"""The cluster's address plan and the allocators that hand addresses and ports out of it.

Pure. Allocations are deterministic (a hash of the object's name picks the first candidate), so a
Service gets the same ClusterIP every time its sandbox is rebuilt, and look as scattered as a real
cluster's (the talk's 10.103.8.175).
"""

from __future__ import annotations

import ipaddress

from netcore.kube.naming import digest

POD_CIDR = ipaddress.IPv4Network("10.244.0.0/16")
SERVICE_CIDR = ipaddress.IPv4Network("10.96.0.0/12")
KUBERNETES_SERVICE_IP = "10.96.0.1"
CLUSTER_DNS_IP = "10.96.0.10"
NODE_CIDR = ipaddress.IPv4Network("172.18.0.0/24")
ROUTER_NODE_SIDE = "172.18.0.1"
INTERNET_CIDR = ipaddress.IPv4Network("198.51.100.0/24")
ROUTER_INTERNET_SIDE = "198.51.100.1"
INTERNET_SERVER = "198.51.100.10"
EXTERNAL_CLIENT = "198.51.100.100"
LOAD_BALANCER_POOL = ipaddress.IPv4Network("203.0.113.0/24")
LOAD_BALANCER_FIRST = 10
NODE_PORT_RANGE = (30000, 32767)
MAX_NODES = 8


def node_address(index: int) -> str:
    """node0 is 172.18.0.2; the router is .1."""
    return str(NODE_CIDR.network_address + 2 + index)


def node_pod_cidr(index: int) -> ipaddress.IPv4Network:
    """Node N owns 10.244.N.0/24."""
    return ipaddress.IPv4Network(f"10.244.{index}.0/24")


def node_gateway(index: int) -> str:
    """The node's bridge address, every pod's default gateway: 10.244.N.1."""
    return str(node_pod_cidr(index).network_address + 1)


def allocate_pod_ip(index: int, taken: set[str]) -> str:
    """Return the lowest free pod address on node ``index`` (from .2; .1 is the bridge)."""
    network = node_pod_cidr(index)
    for host in range(2, network.num_addresses - 1):
        address = str(network.network_address + host)
        if address not in taken:
            return address
    raise ValueError(f"node{index} has no free pod address left in {network}")


def allocate_cluster_ip(key: str, taken: set[str]) -> str:
    """Return a free Service address, scattered over 10.96.0.0/12 by the Service's name."""
    size = SERVICE_CIDR.num_addresses
    start = int.from_bytes(digest("cluster-ip", key)[:4], "big") % size
    reserved = {KUBERNETES_SERVICE_IP, CLUSTER_DNS_IP} | taken
    for step in range(size):
        offset = (start + step) % size
        address = SERVICE_CIDR.network_address + offset
        if offset in (0, size - 1) or str(address) in reserved:
            continue
        return str(address)
    raise ValueError("the Service range 10.96.0.0/12 is full")


def allocate_node_port(key: str, taken: set[int]) -> int:
    low, high = NODE_PORT_RANGE
    size = high - low + 1
    start = int.from_bytes(digest("node-port", key)[:4], "big") % size
    for step in range(size):
        port = low + (start + step) % size
        if port not in taken:
            return port
    raise ValueError("no NodePort left in 30000-32767")


def allocate_load_balancer_ip(taken: set[str]) -> str:
    """Hand out 203.0.113.10 upwards, as MetalLB would from its pool."""
    for host in range(LOAD_BALANCER_FIRST, LOAD_BALANCER_POOL.num_addresses - 1):
        address = str(LOAD_BALANCER_POOL.network_address + host)
        if address not in taken:
            return address
    raise ValueError("the LoadBalancer pool 203.0.113.0/24 is exhausted")
