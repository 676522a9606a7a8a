"""The NetworkPolicy compiler without a kernel: golden chains for the talk's policy, and each feature
checked by walking packets through the rendered chains of the nodes they cross (egress on the sender's
node, ingress on the receiver's), with a small evaluator of the nft subset the compiler writes."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from netcore.kube.api import parse_manifests
from netcore.kube.cluster import ClusterConfig, apply_objects, new_cluster
from netcore.kube.compile.policies import render_policy_chains
from tests.golden import assert_golden
from tests.talk import TALK_NETWORK_POLICY

NOW = "2026-11-26T10:00:00Z"
AGNHOST = "registry.k8s.io/e2e-test-images/agnhost:2.47"


def pod(name: str, node: int, labels: str, namespace: str = "default", ports: str = "") -> str:
    ports = ports or "[{name: http, containerPort: 80}, {name: dns, containerPort: 53, protocol: UDP}]"
    return f"""
apiVersion: v1
kind: Pod
metadata: {{name: {name}, namespace: "{namespace}", labels: {{{labels}}}}}
spec:
  nodeName: node{node}
  containers: [{{name: c, image: {AGNHOST}, args: [pause], ports: {ports}}}]
"""


def policy(name: str, spec: str, namespace: str = "default") -> str:
    return (
        f"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
        f'metadata: {{name: {name}, namespace: "{namespace}"}}\nspec:\n{spec}'
    )


def namespace(name: str, labels: str = "") -> str:
    return f'apiVersion: v1\nkind: Namespace\nmetadata: {{name: "{name}", labels: {{{labels}}}}}'


TALK_PODS = [
    pod("frontend", 0, "role: frontend"),
    pod("backend", 0, "role: backend"),
    pod("database", 1, "role: database"),
    pod("other", 1, "role: other"),
]


def cluster_with(*documents: str, nodes: int = 2):
    cluster, _ = apply_objects(
        new_cluster(ClusterConfig(nodes=nodes), NOW), parse_manifests("\n---\n".join(documents), "test.yaml"), NOW
    )
    return cluster


def relabel(cluster, *documents: str):
    return apply_objects(cluster, parse_manifests("\n---\n".join(documents), "test.yaml"), NOW)[0]


# -- a walker for the rendered chains --------------------------------------------------------------


@dataclass(frozen=True)
class Packet:
    src: str
    dst: str
    protocol: str = "tcp"
    port: int = 80


TOKEN = re.compile(r'\{[^}]*\}|"[^"]*"|\S+')


def parse(text: str) -> tuple[dict[str, list[str]], dict[str, dict[str, str]]]:
    """Return the chains (name -> rules, hook line first) and verdict maps (name -> address -> verdict)."""
    chains: dict[str, list[str]] = {}
    maps: dict[str, dict[str, str]] = {}
    for name, body in re.findall(r"\tchain (\S+) \{\n(.*?)\n\t\}", text, re.S):
        chains[name] = [line.strip() for line in body.splitlines()]
    for name, body in re.findall(r"\tmap (\S+) \{\n(.*?)\n\t\}", text, re.S):
        maps[name] = dict(re.findall(r'^\t\t\t(\S+) comment "[^"]*" : (.+?),?$', body, re.M))
    return chains, maps


def members(value: str) -> list[str]:
    return [v.strip() for v in value.strip("{} ").split(",")]


def contains(value: str, item: str | int) -> bool:
    for member in members(value):
        if isinstance(item, int):
            first, _, last = member.partition("-")
            if int(first) <= item <= int(last or first):
                return True
        elif ipaddress.IPv4Address(item) in ipaddress.IPv4Network(member):
            return True
    return False


def matches(tokens: list[str], packet: Packet, origin: str) -> bool:
    fields = {"saddr": packet.src, "daddr": packet.dst}
    i = 0
    while i < len(tokens):
        word = tokens[i]
        if word == "ct" and tokens[i + 1] == "state":
            return False  # every packet walked here opens a connection
        if word == "ct" and tokens[i + 1] == "original":
            ok, i = contains(tokens[i + 4], origin), i + 5
        elif word == "ip" and tokens[i + 2] == ".":  # ip daddr . tcp dport { address . port, ... }
            pairs = [tuple(m.split(" . ")) for m in members(tokens[i + 5])]
            ok, i = tokens[i + 3] == packet.protocol and (packet.dst, str(packet.port)) in pairs, i + 6
        elif word == "ip":
            negate = tokens[i + 2] == "!="
            value = tokens[i + 3 if negate else i + 2]
            ok, i = contains(value, fields[tokens[i + 1]]) != negate, i + (4 if negate else 3)
        elif word == "meta":
            ok, i = tokens[i + 2] == packet.protocol, i + 3
        elif word in ("tcp", "udp", "sctp"):
            ok, i = word == packet.protocol and contains(tokens[i + 2], packet.port), i + 3
        else:
            raise AssertionError(f"the walker does not know {word!r} in {' '.join(tokens)}")
        if not ok:
            return False
    return True


def run(chains, maps, name: str, packet: Packet, origin: str) -> tuple[str, str] | None:
    """Run a chain; return (verdict, comment) when it decides, None when it falls through."""
    for rule in chains[name]:
        if rule.startswith("type "):
            continue
        tokens = TOKEN.findall(rule)
        note = tokens[-1].strip('"') if len(tokens) > 1 and tokens[-2] == "comment" else ""
        tokens = tokens[:-2] if note else tokens
        if "vmap" in tokens:
            where = tokens.index("vmap")
            verdict = maps[tokens[where + 1][1:]].get(packet.src if tokens[where - 1] == "saddr" else packet.dst)
            if not matches(tokens[: where - 2], packet, origin) or verdict is None:
                continue
            tokens = verdict.split()
        elif not matches([t for t in tokens if t not in ("accept", "drop")], packet, origin):
            continue
        if tokens[0] == "jump":
            decided = run(chains, maps, tokens[1], packet, origin)
            if decided:
                return decided
        elif tokens[-1] in ("accept", "drop"):
            return tokens[-1], note
    return None


def walk(cluster, packet: Packet, origin: str | None = None) -> tuple[str, str]:
    """Send a packet from its source pod's node (egress) to its destination pod's node (ingress).

    ``origin`` is where the connection came from before any SNAT (default: the packet's source)."""
    where = {p["status"]["podIP"]: p["spec"]["nodeName"] for p in cluster.list("Pod")}
    steps = [(where.get(packet.src), "policy-forward"), (where.get(packet.dst), "policy-postrouting")]
    for node, base in steps:
        if node is None:
            continue
        chains, maps = parse(render_policy_chains(cluster, node))
        decided = run(chains, maps, base, packet, origin or packet.src) if base in chains else None
        if decided and decided[0] == "drop":
            return decided
    return "accept", ""


def ip(cluster, name: str, namespace: str = "default") -> str:
    return cluster.get("Pod", namespace, name)["status"]["podIP"]


def reaches(cluster, source: str, destination: str, protocol: str = "tcp", port: int = 80) -> bool:
    src_ns, _, src = source.rpartition("/")
    dst_ns, _, dst = destination.rpartition("/")
    packet = Packet(ip(cluster, src, src_ns or "default"), ip(cluster, dst, dst_ns or "default"), protocol, port)
    return walk(cluster, packet)[0] == "accept"


# -- the talk's policy ---------------------------------------------------------------------------------


def test_the_talks_policy_golden_per_node():
    cluster = cluster_with(*TALK_PODS, TALK_NETWORK_POLICY)
    assert_golden("netpol-talk-node0.nft", render_policy_chains(cluster, "node0") + "\n")
    assert render_policy_chains(cluster, "node1") == ""  # no pod there is isolated: nothing rendered


def test_the_talks_policy_frontend_to_backend_on_6379_and_backend_to_database_on_5978():
    cluster = cluster_with(*TALK_PODS, TALK_NETWORK_POLICY)
    assert reaches(cluster, "frontend", "backend", port=6379)
    assert not reaches(cluster, "frontend", "backend", port=80)
    assert not reaches(cluster, "other", "backend", port=6379)
    assert reaches(cluster, "backend", "database", port=5978)
    assert not reaches(cluster, "backend", "database", port=6379)
    assert not reaches(cluster, "backend", "frontend", port=6379)
    assert reaches(cluster, "other", "database", port=6379)  # the database is not isolated


def test_every_drop_names_the_pod_and_the_policies_and_every_allow_its_rule():
    cluster = cluster_with(*TALK_PODS, TALK_NETWORK_POLICY)
    denied = walk(cluster, Packet(ip(cluster, "other"), ip(cluster, "backend"), port=6379))
    assert denied == ("drop", "ingress to default/backend denied: isolated by default/test-network-policy")
    denied = walk(cluster, Packet(ip(cluster, "backend"), "198.51.100.10"))
    assert denied == ("drop", "egress from default/backend denied: isolated by default/test-network-policy")
    chains, _ = parse(render_policy_chains(cluster, "node0"))
    rules = [r for name, rs in chains.items() if name.startswith("policy-ingress-") for r in rs]
    assert rules[0].endswith('accept comment "allowed by default/test-network-policy ingress[0]"')


# -- isolation, defaults, union ------------------------------------------------------------------------


def test_no_policy_renders_nothing_and_unselected_pods_are_not_isolated():
    assert render_policy_chains(cluster_with(*TALK_PODS), "node0") == ""
    cluster = cluster_with(*TALK_PODS, policy("deny", "  podSelector: {matchLabels: {role: backend}}\n  ingress: []"))
    assert not reaches(cluster, "frontend", "backend")
    assert reaches(cluster, "backend", "frontend") and reaches(cluster, "other", "frontend")


def test_policy_types_defaults():
    egress_rules = "  podSelector: {matchLabels: {role: backend}}\n  egress: [{}]"
    cluster = cluster_with(*TALK_PODS, policy("p", egress_rules))  # Ingress and Egress: ingress closed
    assert not reaches(cluster, "frontend", "backend") and reaches(cluster, "backend", "frontend")
    cluster = cluster_with(*TALK_PODS, policy("p", "  podSelector: {matchLabels: {role: backend}}"))
    assert not reaches(cluster, "frontend", "backend") and reaches(cluster, "backend", "frontend")
    ignored = "  podSelector: {matchLabels: {role: backend}}\n  policyTypes: [Egress]\n  ingress: [{}]"
    cluster = cluster_with(*TALK_PODS, policy("p", ignored))  # ingress rules of an Egress-only policy
    assert reaches(cluster, "frontend", "backend") and not reaches(cluster, "backend", "frontend")


def test_policies_add_up_and_the_drop_names_every_isolating_policy():
    from_role = "  ingress: [{{from: [{{podSelector: {{matchLabels: {{role: {}}}}}}}]}}]"
    cluster = cluster_with(
        *TALK_PODS,
        policy("allow-frontend", "  podSelector: {matchLabels: {role: backend}}\n" + from_role.format("frontend")),
        policy("allow-other", "  podSelector: {}\n" + from_role.format("other")),
    )
    assert reaches(cluster, "frontend", "backend") and reaches(cluster, "other", "backend")
    assert not reaches(cluster, "database", "backend")
    assert (
        walk(cluster, Packet(ip(cluster, "database"), ip(cluster, "backend")))[1]
        == "ingress to default/backend denied: isolated by default/allow-frontend, default/allow-other"
    )


def test_replies_and_the_nodes_own_traffic_pass_before_any_pod_chain():
    cluster = cluster_with(*TALK_PODS, policy("deny", "  podSelector: {}\n  policyTypes: [Ingress, Egress]"))
    chains, _ = parse(render_policy_chains(cluster, "node0"))
    for base in ("policy-forward", "policy-input", "policy-postrouting"):
        assert chains[base][1].startswith("ct state established,related accept")
    assert chains["policy-postrouting"][2].startswith("ct original ip saddr { 10.244.0.1, 172.18.0.2 } accept")
    assert walk(cluster, Packet("10.244.0.1", ip(cluster, "backend")))[0] == "accept"
    assert walk(cluster, Packet("172.18.0.3", ip(cluster, "backend")))[0] == "drop"  # another node


# -- peers ---------------------------------------------------------------------------------------------

NAMESPACES = [
    namespace("team-a", "team: a"),
    namespace("team-b", "team: b"),
    pod("a-web", 0, "app: web", "team-a"),
    pod("a-db", 1, "app: db", "team-a"),
    pod("b-web", 1, "app: web", "team-b"),
    pod("b-job", 0, "app: job", "team-b"),
]


def guarded(peers: str):
    return cluster_with(
        *NAMESPACES,
        policy("guard", f"  podSelector: {{matchLabels: {{app: db}}}}\n  ingress: [{{from: {peers}}}]", "team-a"),
    )


def admitted(cluster) -> set[str]:
    sources = ("team-a/a-web", "team-b/b-web", "team-b/b-job", "default/frontend")
    return {s for s in sources if cluster.get("Pod", *s.split("/")) and reaches(cluster, s, "team-a/a-db")}


def test_pod_selector_selects_in_the_policys_namespace_only():
    assert admitted(guarded("[{podSelector: {matchLabels: {app: web}}}]")) == {"team-a/a-web"}


def test_namespace_selector_selects_every_pod_of_the_namespaces():
    assert admitted(guarded("[{namespaceSelector: {matchLabels: {team: b}}}]")) == {"team-b/b-web", "team-b/b-job"}


def test_both_selectors_in_one_peer_and_as_two_peers():
    both = "[{namespaceSelector: {matchLabels: {team: b}}, podSelector: {matchLabels: {app: web}}}]"
    assert admitted(guarded(both)) == {"team-b/b-web"}
    either = "[{namespaceSelector: {matchLabels: {team: b}}}, {podSelector: {matchLabels: {app: web}}}]"
    assert admitted(guarded(either)) == {"team-a/a-web", "team-b/b-web", "team-b/b-job"}


def test_match_expressions():
    not_in = "[{namespaceSelector: {}, podSelector: {matchExpressions: [{key: app, operator: NotIn, values: [web]}]}}]"
    assert admitted(guarded(not_in)) == {"team-b/b-job"}
    exists = (
        "[{namespaceSelector: {matchExpressions: [{key: team, operator: Exists}]}, "
        "podSelector: {matchExpressions: [{key: app, operator: In, values: [web, job]}]}}]"
    )
    assert admitted(guarded(exists)) == {"team-a/a-web", "team-b/b-web", "team-b/b-job"}


def test_relabeling_a_pod_or_a_namespace_changes_the_rules():
    cluster = guarded("[{namespaceSelector: {matchLabels: {trusted: 'yes'}}}]")
    assert admitted(cluster) == set()
    cluster = relabel(cluster, namespace("team-b", "team: b, trusted: 'yes'"))
    assert admitted(cluster) == {"team-b/b-web", "team-b/b-job"}
    cluster = relabel(
        cluster,
        pod("b-job", 0, "app: job, gone: 'yes'", "team-b"),
        policy(
            "guard",
            "  podSelector: {matchLabels: {app: db}}\n  ingress: [{from: [{namespaceSelector:"
            " {matchLabels: {trusted: 'yes'}}, podSelector: {matchExpressions: [{key: gone,"
            " operator: DoesNotExist}]}}]}]",
            "team-a",
        ),
    )
    assert admitted(cluster) == {"team-b/b-web"}


def test_ip_block_with_exceptions_and_the_address_the_pod_sees():
    cluster = cluster_with(
        *TALK_PODS,
        policy(
            "outside",
            """  podSelector: {matchLabels: {role: backend}}
  ingress: [{from: [{ipBlock: {cidr: 198.51.100.0/24, except: [198.51.100.100/32, 198.51.100.128/25]}}]}]""",
        ),
    )
    backend = ip(cluster, "backend")
    chains, _ = parse(render_policy_chains(cluster, "node0"))
    [rule, _] = [rs for name, rs in chains.items() if name.startswith("policy-ingress-")][0]
    assert rule.startswith("ip saddr 198.51.100.0/24 ip saddr != { 198.51.100.100, 198.51.100.128/25 } accept")
    assert walk(cluster, Packet("198.51.100.10", backend))[0] == "accept"
    assert walk(cluster, Packet("198.51.100.100", backend))[0] == "drop"
    assert walk(cluster, Packet("198.51.100.200", backend))[0] == "drop"
    # A masqueraded client (externalTrafficPolicy Cluster) is judged by the node address it now has.
    assert walk(cluster, Packet("10.244.0.1", backend), origin="198.51.100.10")[0] == "drop"


def test_ip_block_covers_pod_addresses_for_egress():
    cluster = cluster_with(
        *TALK_PODS,
        policy(
            "to-node1-pods",
            """  podSelector: {matchLabels: {role: backend}}
  policyTypes: [Egress]
  egress: [{to: [{ipBlock: {cidr: 10.244.1.0/24}}]}]""",
        ),
    )
    assert reaches(cluster, "backend", "database") and not reaches(cluster, "backend", "frontend")


# -- ports ---------------------------------------------------------------------------------------------


def test_ports_by_number_range_and_protocol():
    cluster = cluster_with(
        *TALK_PODS,
        policy(
            "ports",
            """  podSelector: {matchLabels: {role: backend}}
  ingress:
  - ports: [{port: 80}, {port: 32000, endPort: 32768}, {protocol: UDP, port: 53}, {protocol: UDP, port: 5353}]""",
        ),
    )
    chains, _ = parse(render_policy_chains(cluster, "node0"))
    rules = [r for name, rs in chains.items() if name.startswith("policy-ingress-") for r in rs]
    assert rules[:2] == [
        'tcp dport { 80, 32000-32768 } accept comment "allowed by default/ports ingress[0]"',
        'udp dport { 53, 5353 } accept comment "allowed by default/ports ingress[0]"',
    ]
    for port, protocol, ok in [
        (80, "tcp", True),
        (32768, "tcp", True),
        (32769, "tcp", False),
        (53, "udp", True),
        (53, "tcp", False),
        (80, "udp", False),
    ]:
        assert reaches(cluster, "frontend", "backend", protocol, port) == ok, (port, protocol)


def test_a_protocol_without_a_port_allows_all_its_ports():
    cluster = cluster_with(
        *TALK_PODS,
        policy("udp", "  podSelector: {matchLabels: {role: backend}}\n  ingress: [{ports: [{protocol: UDP}]}]"),
    )
    assert reaches(cluster, "frontend", "backend", "udp", 9999)
    assert not reaches(cluster, "frontend", "backend", "tcp", 80)


HTTP_8080 = "[{name: http, containerPort: 8080}]"


def test_a_named_ingress_port_resolves_on_each_isolated_pod():
    cluster = cluster_with(
        pod("one", 0, "app: web"),
        pod("two", 0, "app: web", ports=HTTP_8080),
        pod("client", 1, "app: client"),
        policy("http", "  podSelector: {matchLabels: {app: web}}\n  ingress: [{ports: [{port: http}]}]"),
    )
    assert reaches(cluster, "client", "one", port=80) and not reaches(cluster, "client", "one", port=8080)
    assert reaches(cluster, "client", "two", port=8080) and not reaches(cluster, "client", "two", port=80)
    # The name with another protocol is another port: dns is UDP, so TCP "dns" allows nothing.
    cluster = relabel(
        cluster,
        policy("http", "  podSelector: {matchLabels: {app: web}}\n  ingress: [{ports: [{port: dns, protocol: TCP}]}]"),
    )
    assert not reaches(cluster, "client", "one", "tcp", 53) and not reaches(cluster, "client", "one", "udp", 53)


def test_a_named_egress_port_resolves_on_each_destination_pod():
    cluster = cluster_with(
        pod("one", 0, "app: web"),
        pod("two", 1, "app: web", ports=HTTP_8080),
        pod("client", 0, "app: client"),
        policy(
            "http",
            """  podSelector: {matchLabels: {app: client}}
  policyTypes: [Egress]
  egress: [{to: [{podSelector: {matchLabels: {app: web}}}], ports: [{port: http}]}]""",
        ),
    )
    chains, _ = parse(render_policy_chains(cluster, "node0"))
    [rule] = [r for name, rs in chains.items() if name.startswith("policy-egress-") for r in rs][:1]
    assert rule.startswith(f"ip daddr . tcp dport {{ {ip(cluster, 'one')} . 80, {ip(cluster, 'two')} . 8080 }} accept")
    assert reaches(cluster, "client", "one", port=80) and reaches(cluster, "client", "two", port=8080)
    assert not reaches(cluster, "client", "two", port=80)


# -- names ---------------------------------------------------------------------------------------------


def test_chain_names_and_comments_stay_within_nfts_limits():
    long_name = "p" * 200
    policies = [policy(f"{'q' * 60}-{i}", "  podSelector: {}") for i in range(3)]
    cluster = cluster_with(pod(long_name, 0, "app: web"), *policies)
    text = render_policy_chains(cluster, "node0")
    chains, _ = parse(text)
    assert all(len(name) <= 256 for name in chains)
    assert all(len(c) <= 128 for c in re.findall(r'comment "([^"]*)"', text))
    [drop] = [rs[-1] for name, rs in chains.items() if name.startswith("policy-ingress-")]
    assert drop.startswith('drop comment "ingress to default/ppp') and drop.endswith('..."')
    short = cluster_with(pod("web", 0, "app: web"), *[policy(f"{'q' * 40}-{i}", "  podSelector: {}") for i in range(3)])
    [drop] = [rs[-1] for name, rs in parse(render_policy_chains(short, "node0"))[0].items() if "ingress-" in name]
    assert drop.endswith(f'isolated by default/{"q" * 40}-0 and 2 more"')
