"""The NetworkPolicy compiler: each node's nftables chains enforcing NetworkPolicy v1 for its own pods.

Pure. Part of each node's table (``inet podpath``), loaded in one transaction with the Service chains,
so every change (a policy, a pod, a label) replaces the whole ruleset at once. What a policy allows
comes from ``netcore.kube.compile.policy_rules``; this module places and writes it:

    forward      filter  priority filter (0)      egress of local pods: after Service DNAT (-100), so
    input        filter  priority filter (0)      the destination is the backend pod; before SNAT, so
                                                  the source is still the pod (input: to the node itself)
    postrouting  filter  priority srcnat + 10     ingress of local pods: after every rewrite, so the
                                                  source is what the pod will see (a masqueraded
                                                  NodePort client shows as a node address)

Each base chain accepts ``ct state established,related`` first (replies and ICMP errors of allowed
connections), then dispatches on the pod's address through a verdict map to the pod's own chain:

    policy-egress-<hash>-<ns>/<pod>    one rule per allowed (peers, ports), ``accept``, then ``drop``
    policy-ingress-<hash>-<ns>/<pod>

Same-node traffic passes both hooks (br_netfilter hands bridged packets to them): the sender's egress,
then the receiver's ingress. Cross-node traffic is checked for egress on the sender's node and for
ingress on the receiver's. Traffic from a node's own addresses to its pods is always allowed, as in
Kubernetes. Every rule says why: ``accept comment "allowed by default/p ingress[0]"``, and each pod's
final ``drop comment "ingress to default/backend denied: isolated by default/p"``, which the packet
walk reads through nft trace. Nothing is rendered on a node where no pod is isolated.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from netcore.kube import addresses
from netcore.kube.compile.policy_rules import Allow, Isolation, pod_isolations
from netcore.kube.compile.services import chain, map_block, short_hash
from netcore.kube.controllers import node_index
from netcore.kube.store import Cluster

COMMENT_MAX = 128  # nft refuses longer comments
IDENT_MAX = 200  # chain names stay under nft's 256 characters
PROTOCOLS = ("tcp", "udp", "sctp")
ESTABLISHED = 'ct state established,related accept comment "replies of allowed connections"'


def render_policy_chains(cluster: Cluster, node: str) -> str:
    """Return the policy chains for the pods on ``node`` ("" when no pod there is isolated)."""
    isolations = node_isolations(cluster, node)
    if not isolations:
        return ""
    egress = [i for i in isolations if i.direction == "Egress"]
    ingress = [i for i in isolations if i.direction == "Ingress"]
    out: list[str] = []
    if egress:
        out.append(map_block("policy-egress-pods", "ipv4_addr : verdict", dispatch(egress)))
    if ingress:
        out.append(map_block("policy-ingress-pods", "ipv4_addr : verdict", dispatch(ingress)))
    if egress:
        check = "ip saddr vmap @policy-egress-pods"
        for hook in ("forward", "input"):
            out.append(
                chain(
                    f"policy-{hook}", [ESTABLISHED, check], f"type filter hook {hook} priority filter; policy accept;"
                )
            )
    if ingress:
        index = node_index(node)
        own = one_or_set(
            sorted((addresses.node_address(index), addresses.node_gateway(index)), key=ipaddress.IPv4Address)
        )
        out.append(
            chain(
                "policy-postrouting",
                [
                    ESTABLISHED,
                    f'ct original ip saddr {own} accept comment "from {node} itself: always allowed"',
                    "ip daddr vmap @policy-ingress-pods",
                ],
                "type filter hook postrouting priority srcnat + 10; policy accept;",
            )
        )
    out += [chain(isolation_chain(i), isolation_rules(i)) for i in isolations]
    return "\n".join(out)


def node_isolations(cluster: Cluster, node: str) -> list[Isolation]:
    """Every isolation of the node's pods, egress before ingress, by namespace and pod."""
    found = []
    for pod in cluster.list("Pod"):
        # A host-network pod is its node, and nodes are never isolated.
        if (
            pod["spec"].get("nodeName") == node
            and (pod.get("status") or {}).get("podIP")
            and not pod["spec"].get("hostNetwork")
        ):
            found += pod_isolations(cluster, pod)
    return sorted(found, key=lambda i: (i.direction != "Egress", i.namespace, i.pod))


def isolation_chain(isolation: Isolation) -> str:
    prefix = f"policy-{isolation.direction.lower()}"
    return f"{prefix}-{short_hash(prefix, isolation.ident)}-{isolation.ident[:IDENT_MAX]}"


def dispatch(isolations: list[Isolation]) -> list[str]:
    ordered = sorted(isolations, key=lambda i: ipaddress.IPv4Address(i.address))
    return [f'{i.address} comment "{comment(i.ident)}" : jump {isolation_chain(i)}' for i in ordered]


def isolation_rules(isolation: Isolation) -> list[str]:
    """The pod's allow rules, in policy and rule order, then its attributed drop."""
    rules = [
        f'{match} accept comment "{comment("allowed by " + allow.label)}"'.lstrip()
        for allow in isolation.allows
        for match in allow_matches(allow)
    ]
    if isolation.direction == "Ingress":
        verdict = f"ingress to {isolation.ident} denied"
    else:
        verdict = f"egress from {isolation.ident} denied"
    return rules + [f'drop comment "{comment(verdict + ": isolated by " + policy_list(isolation.policies, verdict))}"']


def allow_matches(allow: Allow) -> list[str]:
    """Return the nft matches of one rule: (each peer match) x (each protocol's ports), plus named targets."""
    field = "saddr" if allow.direction == "Ingress" else "daddr"
    peers, ports = allow.peers, allow.ports
    if peers.anyone:
        peer_matches = [""]
    else:
        peer_matches = [f"ip {field} {one_or_set(peers.addresses)}"] if peers.addresses else []
        for block in peers.blocks:
            excluded = f" ip {field} != {one_or_set(host(e) for e in block.excepts)}" if block.excepts else ""
            peer_matches.append(f"ip {field} {host(block.cidr)}{excluded}")
    port_matches = [""] if ports.anything else protocol_matches(allow)
    out = [" ".join(part for part in (peer, port) if part) for peer in peer_matches for port in port_matches]
    for protocol in PROTOCOLS:
        pairs = [f"{t.address} . {t.port}" for t in ports.targets if t.protocol == protocol]
        if pairs:
            out.append(f"ip daddr . {protocol} dport {{ {', '.join(pairs)} }}")
    return out


def protocol_matches(allow: Allow) -> list[str]:
    out = []
    for protocol in PROTOCOLS:
        ranges = [r for r in allow.ports.ranges if r.protocol == protocol]
        if any(r.first is None for r in ranges):
            out.append(f"meta l4proto {protocol}")
        elif ranges:
            texts = (port_text(r.first, r.last) for r in ranges if r.first is not None)  # all, in this branch
            out.append(f"{protocol} dport {one_or_set(texts)}")
    return out


def port_text(first: int, last: int | None) -> str:
    return str(first) if last in (None, first) else f"{first}-{last}"


def host(cidr: str) -> str:
    """Print a /32 as its address, as nft lists it."""
    return cidr.removesuffix("/32")


def one_or_set(items: Iterable[str]) -> str:
    items = list(items)
    return items[0] if len(items) == 1 else f"{{ {', '.join(items)} }}"


def policy_list(policies: tuple[str, ...], verdict: str) -> str:
    """Name the isolating policies, as many as fit in the comment beside the verdict."""
    room = COMMENT_MAX - len(verdict) - len(": isolated by ")
    for shown in range(len(policies), 0, -1):
        rest = len(policies) - shown
        text = ", ".join(policies[:shown]) + (f" and {rest} more" if rest else "")
        if len(text) <= room:
            return text
    return f"{len(policies)} policies"


def comment(text: str) -> str:
    """Fit a comment into nft's 128 characters."""
    return text if len(text) <= COMMENT_MAX else text[: COMMENT_MAX - 3] + "..."
