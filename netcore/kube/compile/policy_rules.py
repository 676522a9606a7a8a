"""NetworkPolicy semantics, resolved against the cluster's current objects into plain data (pure).

The policy compiler (``netcore.kube.compile.policies``) asks two questions per pod and direction:
which policies isolate the pod, and what do they allow. The answers follow NetworkPolicy v1:

- a policy applies to the pods of its namespace that its ``podSelector`` selects, for the directions
  in its ``policyTypes`` (defaulted by the API server: Ingress, plus Egress when egress rules exist);
- a pod that no policy applies to in a direction is not isolated in that direction;
- what an isolated pod may do is the union of every rule of every policy that applies to it; a
  policy with no rules for a direction (``ingress: []``) isolates and allows nothing;
- a rule allows traffic that matches one of its peers (all peers if it has none) and one of its
  ports (all ports if it has none);
- a peer is ``podSelector`` (pods of the policy's namespace), ``namespaceSelector`` (every pod of the
  selected namespaces), both in one peer (pods selected by the first in namespaces selected by the
  second), or ``ipBlock`` (an address range minus its exceptions; pod addresses included);
- a port is a protocol with a number, a range (``endPort``), no number (every port), or a name,
  resolved per destination pod from its container ports of that protocol (for ingress the
  destination is the isolated pod; for egress each peer pod). A name no destination has allows nothing.

Selectors are resolved to pod addresses here, from the objects as they are now: relabeling a pod or
a namespace recompiles the rules, so enforcement follows at once.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from netcore.kube.selectors import matches
from netcore.kube.store import Cluster

DIRECTIONS = ("Ingress", "Egress")
PEERS_FIELD = {"Ingress": "from", "Egress": "to"}


@dataclass(frozen=True)
class Block:
    """An ipBlock: a network and the networks inside it that it leaves out."""

    cidr: str
    excepts: tuple[str, ...] = ()

    def contains(self, address: str) -> bool:
        ip = ipaddress.IPv4Address(address)
        return ip in ipaddress.IPv4Network(self.cidr) and not any(ip in ipaddress.IPv4Network(e) for e in self.excepts)


@dataclass(frozen=True)
class Peers:
    """The other end a rule admits: anyone, or these pod addresses and address blocks."""

    anyone: bool
    addresses: tuple[str, ...] = ()
    blocks: tuple[Block, ...] = ()

    def admits(self, address: str) -> bool:
        return self.anyone or address in self.addresses or any(b.contains(address) for b in self.blocks)


@dataclass(frozen=True)
class PortRange:
    protocol: str  # tcp | udp | sctp
    first: int | None  # None: every port of the protocol
    last: int | None


@dataclass(frozen=True)
class Target:
    """A named egress port resolved on one destination pod."""

    address: str
    protocol: str
    port: int


@dataclass(frozen=True)
class Ports:
    """What a rule admits on the destination side: anything, or port ranges, or named-port targets."""

    anything: bool
    ranges: tuple[PortRange, ...] = ()
    targets: tuple[Target, ...] = ()


@dataclass(frozen=True)
class Allow:
    """One rule of one policy, resolved."""

    policy: str  # namespace/name
    direction: str  # Ingress | Egress
    index: int
    peers: Peers
    ports: Ports

    @property
    def label(self) -> str:
        return f"{self.policy} {self.direction.lower()}[{self.index}]"


@dataclass(frozen=True)
class Isolation:
    """A pod isolated in one direction: the policies that isolate it and everything they allow."""

    namespace: str
    pod: str
    address: str
    direction: str
    policies: tuple[str, ...]
    allows: tuple[Allow, ...]

    @property
    def ident(self) -> str:
        return f"{self.namespace}/{self.pod}"


def policy_types(spec: dict) -> list[str]:
    """Return the directions a policy covers (the API server's default when it names none)."""
    types = spec.get("policyTypes")
    if types:
        return list(types)
    return ["Ingress", "Egress"] if spec.get("egress") else ["Ingress"]


def labels_of(obj: dict | None) -> dict[str, str]:
    return ((obj or {}).get("metadata") or {}).get("labels") or {}


def running_pods(cluster: Cluster) -> list[dict]:
    """Pods that have an address, sorted by namespace and name."""
    return [p for p in cluster.list("Pod") if (p.get("status") or {}).get("podIP")]


def applies_to(policy: dict, pod: dict) -> bool:
    """Tell whether a policy's podSelector selects this pod (only pods of the policy's namespace)."""
    return policy["metadata"].get("namespace", "default") == pod["metadata"]["namespace"] and matches(
        policy["spec"].get("podSelector") or {}, labels_of(pod)
    )


def pod_isolations(cluster: Cluster, pod: dict) -> list[Isolation]:
    """Return the pod's isolation per direction (none when no policy applies to it that way)."""
    policies = [p for p in cluster.list("NetworkPolicy") if applies_to(p, pod)]
    out = []
    for direction in DIRECTIONS:
        isolating = [p for p in policies if direction in policy_types(p["spec"])]
        if not isolating:
            continue
        allows = tuple(allow for policy in isolating for allow in resolve_rules(cluster, policy, direction, pod))
        meta = pod["metadata"]
        out.append(
            Isolation(
                meta["namespace"],
                meta["name"],
                pod["status"]["podIP"],
                direction,
                tuple(policy_key(p) for p in isolating),
                allows,
            )
        )
    return out


def policy_key(policy: dict) -> str:
    return f"{policy['metadata'].get('namespace', 'default')}/{policy['metadata']['name']}"


def resolve_rules(cluster: Cluster, policy: dict, direction: str, pod: dict) -> list[Allow]:
    rules = policy["spec"].get(direction.lower()) or []
    out = []
    for index, rule in enumerate(rules):
        peers = resolve_peers(cluster, policy, rule.get(PEERS_FIELD[direction]) or [])
        ports = resolve_ports(cluster, rule.get("ports") or [], direction, pod, peers)
        out.append(Allow(policy_key(policy), direction, index, peers, ports))
    return out


def resolve_peers(cluster: Cluster, policy: dict, peers: list[dict]) -> Peers:
    """Turn a rule's peers into addresses and blocks (no peers: anyone)."""
    if not peers:
        return Peers(anyone=True)
    home = policy["metadata"].get("namespace", "default")
    namespace_labels = {ns["metadata"]["name"]: labels_of(ns) for ns in cluster.list("Namespace")}
    pods = running_pods(cluster)
    addresses: set[str] = set()
    blocks: list[Block] = []
    for peer in peers:
        if "ipBlock" in peer:
            block = peer["ipBlock"]
            blocks.append(Block(network(block["cidr"]), tuple(network(e) for e in block.get("except") or [])))
            continue
        pod_selector, namespace_selector = peer.get("podSelector"), peer.get("namespaceSelector")
        for candidate in pods:
            namespace = candidate["metadata"]["namespace"]
            in_namespace = (
                namespace == home
                if namespace_selector is None
                else matches(namespace_selector, namespace_labels.get(namespace))
            )
            if in_namespace and (pod_selector is None or matches(pod_selector, labels_of(candidate))):
                addresses.add(candidate["status"]["podIP"])
    return Peers(False, tuple(sorted(addresses, key=ipaddress.IPv4Address)), tuple(blocks))


def network(text: str) -> str:
    """Normalise a CIDR as nft prints it (host bits cleared)."""
    return str(ipaddress.IPv4Network(text, strict=False))


def resolve_ports(cluster: Cluster, ports: list[dict], direction: str, pod: dict, peers: Peers) -> Ports:
    """Turn a rule's ports into ranges and, for named egress ports, per-destination targets."""
    if not ports:
        return Ports(anything=True)
    ranges: list[PortRange] = []
    targets: set[Target] = set()
    for port in ports:
        protocol = port.get("protocol", "TCP").lower()
        value = port.get("port")
        if value is None:
            ranges.append(PortRange(protocol, None, None))
        elif isinstance(value, int):
            ranges.append(PortRange(protocol, value, port.get("endPort", value)))
        elif direction == "Ingress":
            number = named_port(pod, value, protocol)
            if number is not None:
                ranges.append(PortRange(protocol, number, number))
        else:
            for destination in running_pods(cluster):
                address = destination["status"]["podIP"]
                number = named_port(destination, value, protocol)
                if number is not None and peers.admits(address):
                    targets.add(Target(address, protocol, number))
    ordered = sorted(targets, key=lambda t: (t.protocol, ipaddress.IPv4Address(t.address), t.port))
    return Ports(False, tuple(dict.fromkeys(ranges)), tuple(ordered))


def named_port(pod: dict, name: str, protocol: str) -> int | None:
    """Return the number of the pod's container port with this name and protocol, if it has one."""
    for container in pod["spec"].get("containers") or []:
        for port in container.get("ports") or []:
            if port.get("name") == name and port.get("protocol", "TCP").lower() == protocol:
                return port["containerPort"]
    return None
