"""NetworkPolicy on the real kernel, checked the way the Kubernetes e2e suite checks it
(test/e2e/network/netpol/network_policy.go): namespaces x, y and z with pods a, b and c serving ports 80
and 81 over TCP and UDP (agnhost porter), a policy, then a truth table of real connections from every
pod to every other, compared with the expected one.

One cluster serves the module: 3 nodes, each namespace spread over all of them, so the table holds
same-node pairs (bridged, checked on one node) and cross-node pairs (routed, checked on both). Each test
removes its policies and labels afterwards. Probes run in parallel: one process per source pod, every
destination at once; a denied TCP connection times out (the SYN is dropped), so a table takes about a
second.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from netcore import names
from netcore.kube import api
from netcore.kube.compile.network import pod_hosts
from tests.conftest import new_sandbox_name
from tests.kernel.kube_helpers import AGNHOST, ClusterSandbox
from tests.kernel.netpol_probe import PROBE_TIMEOUT, Reachability, assert_reachability, probe, probe_matrix
from tests.talk import TALK_NETWORK_POLICY

NAMESPACES = ("x", "y", "z")
PODS = tuple(f"{ns}/{pod}" for ns in NAMESPACES for pod in ("a", "b", "c"))


def porter_pod(namespace: str, name: str, node: int, labels: str = "") -> str:
    """An e2e netpol server pod: ports 80 and 81 over TCP and UDP, named serve-<port>-<protocol>."""
    return f"""
apiVersion: v1
kind: Pod
metadata: {{name: {name}, namespace: "{namespace}", labels: {{pod: {name}{labels}}}}}
spec:
  nodeName: node{node}
  containers:
  - name: cont
    image: {AGNHOST}
    args: [porter]
    env:
    - {{name: SERVE_PORT_80, value: "{namespace}/{name} 80"}}
    - {{name: SERVE_PORT_81, value: "{namespace}/{name} 81"}}
    - {{name: SERVE_UDP_PORT_80, value: "{namespace}/{name} 80"}}
    - {{name: SERVE_UDP_PORT_81, value: "{namespace}/{name} 81"}}
    ports:
    - {{name: serve-80-tcp, containerPort: 80}}
    - {{name: serve-81-tcp, containerPort: 81}}
    - {{name: serve-80-udp, containerPort: 80, protocol: UDP}}
    - {{name: serve-81-udp, containerPort: 81, protocol: UDP}}
"""


def namespace(name: str, labels: str = "") -> str:
    return f'apiVersion: v1\nkind: Namespace\nmetadata: {{name: "{name}", labels: {{ns: "{name}"{labels}}}}}\n'


def talk_pod(role: str, node: int) -> str:
    return f"""
apiVersion: v1
kind: Pod
metadata: {{name: {role}, labels: {{role: {role}}}}}
spec:
  nodeName: node{node}
  containers:
  - name: server
    image: {AGNHOST}
    args: [porter]
    env:
    - {{name: SERVE_PORT_6379, value: {role}}}
    - {{name: SERVE_PORT_5978, value: {role}}}
    ports: [{{containerPort: 6379}}, {{containerPort: 5978}}]
"""


SERVICES = """
apiVersion: v1
kind: Service
metadata: {name: s-x-a, namespace: x}
spec:
  selector: {pod: a}
  ports: [{name: http, port: 8080, targetPort: serve-80-tcp}]
---
apiVersion: v1
kind: Service
metadata: {name: lb-local, namespace: x}
spec:
  type: LoadBalancer
  externalTrafficPolicy: Local
  selector: {pod: a}
  ports: [{port: 80}]
---
apiVersion: v1
kind: Service
metadata: {name: np-cluster, namespace: x}
spec:
  type: NodePort
  selector: {pod: a}
  ports: [{port: 80}]
"""


def base_objects() -> str:
    """Namespaces and pods as the tests start from (re-applied to undo relabeling)."""
    docs = [namespace(ns) for ns in NAMESPACES]
    # Pod j of namespace i runs on node (i + j) % 3: every namespace spans every node.
    docs += [porter_pod(ns, pod, (i + j) % 3) for i, ns in enumerate(NAMESPACES) for j, pod in enumerate("abc")]
    return "\n---\n".join(docs)


class Netpol(ClusterSandbox):
    """The module's cluster, with its pods' namespaces and addresses cached."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.netns: dict[str, str] = {}
        self.ips: dict[str, str] = {}

    def refresh(self) -> None:
        cluster = self.cluster()
        for (ns, pod), host in pod_hosts(cluster).items():
            self.netns[f"{ns}/{pod}"] = names.netns_name(self.name, host)
            self.ips[f"{ns}/{pod}"] = cluster.get("Pod", ns, pod)["status"]["podIP"]

    def probe_from(self, source: str, targets: list[tuple[str, int, str]]) -> list[str]:
        """Probe targets from a pod ("x/a") or a host of the sandbox ("external", "node0"), all at once."""
        return probe(self.netns.get(source) or names.netns_name(self.name, source), targets)

    def policies(self, text: str) -> None:
        self.apply(text)


def reachability() -> Reachability:
    return Reachability(PODS)


def check(cluster: Netpol, expected: Reachability, port: int, protocol: str = "tcp") -> None:
    actual = probe_matrix(cluster.netns, cluster.ips, expected.pods, port, protocol)
    assert_reachability(expected, actual, f"{protocol}/{port}")


def policy(name: str, ns: str, spec: str) -> str:
    return (
        f'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: {name}, namespace: "{ns}"}}\n'
        f"spec:\n{spec}"
    )


@pytest.fixture(scope="module")
def cluster():
    name = new_sandbox_name()
    api.create_cluster(name, nodes=3)
    sandbox = Netpol(name)
    try:
        sandbox.apply(
            "\n---\n".join(
                [
                    base_objects(),
                    SERVICES,
                    talk_pod("frontend", 0),
                    talk_pod("backend", 1),
                    talk_pod("database", 2),
                    talk_pod("other", 1),
                ]
            )
        )
        sandbox.refresh()
        yield sandbox
    finally:
        sandbox.delete()


@pytest.fixture
def netpol(cluster):
    """The cluster without policies and with its original labels, before and after each test."""
    yield cluster
    keys = [
        ("NetworkPolicy", p["metadata"]["namespace"], p["metadata"]["name"])
        for p in cluster.cluster().list("NetworkPolicy")
    ]
    if keys:
        api.delete_resources(cluster.name, keys)
    cluster.apply(base_objects())


# -- isolation and defaults ------------------------------------------------------------------------


def test_no_policy_every_pod_reaches_every_other_over_tcp_and_udp(netpol):
    check(netpol, reachability(), 80)
    check(netpol, reachability(), 81, "udp")


def test_default_deny_ingress(netpol):
    netpol.policies(policy("deny-ingress", "x", "  podSelector: {}\n  ingress: []"))
    check(netpol, reachability().expect("", "x/", False), 80)


def test_default_deny_ingress_udp(netpol):
    netpol.policies(policy("deny-all", "x", "  podSelector: {}\n  policyTypes: [Ingress]"))
    check(netpol, reachability().expect("", "x/", False), 80, "udp")


def test_default_deny_egress_of_a_namespace(netpol):
    netpol.policies(policy("deny-egress-ns-x", "x", "  podSelector: {}\n  policyTypes: [Egress]"))
    check(netpol, reachability().expect("x/", "", False), 80)


def test_default_deny_all_both_directions(netpol):
    netpol.policies(policy("deny-all", "x", "  podSelector: {}\n  policyTypes: [Ingress, Egress]"))
    check(netpol, reachability().expect("", "x/", False).expect("x/", "", False), 80)


def test_a_denied_tcp_connection_times_out_and_an_unselected_pod_is_untouched(netpol):
    netpol.policies(policy("deny-a", "x", "  podSelector: {matchLabels: {pod: a}}\n  policyTypes: [Ingress]"))
    started = time.monotonic()
    [to_a, to_b] = netpol.probe_from("y/a", [(netpol.ips["x/a"], 80, "tcp"), (netpol.ips["x/b"], 80, "tcp")])
    assert (to_a, to_b) == ("timeout", "ok")  # dropped, not rejected: no RST, the client gives up
    assert time.monotonic() - started >= PROBE_TIMEOUT


# -- peers ---------------------------------------------------------------------------------------------


def test_allow_from_a_namespace_by_namespace_selector(netpol):
    netpol.policies(
        policy(
            "allow-client-a-via-ns-selector",
            "x",
            """  podSelector: {matchLabels: {pod: a}}
  ingress: [{from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: "y"}}}]}]""",
        )
    )
    check(netpol, reachability().expect("x/", "x/a", False).expect("z/", "x/a", False), 80)


def test_allow_from_pods_within_the_policy_namespace_by_pod_selector(netpol):
    netpol.policies(
        policy(
            "x-a-allows-x-b",
            "x",
            """  podSelector: {matchLabels: {pod: a}}
  ingress: [{from: [{podSelector: {matchLabels: {pod: b}}}]}]""",
        )
    )
    check(netpol, reachability().expect("", "x/a", False).expect("x/b", "x/a", True), 80)


def test_pod_and_namespace_selector_in_one_peer_both_must_match(netpol):
    netpol.policies(
        policy(
            "allow-ns-not-x-pod-b",
            "x",
            """  podSelector: {matchLabels: {pod: a}}
  ingress:
  - from:
    - namespaceSelector: {matchExpressions: [{key: ns, operator: NotIn, values: ["x"]}]}
      podSelector: {matchLabels: {pod: b}}""",
        )
    )
    check(netpol, reachability().expect("", "x/a", False).expect("y/b", "x/a", True).expect("z/b", "x/a", True), 80)


def test_pod_and_namespace_selector_as_two_peers_either_may_match(netpol):
    netpol.policies(
        policy(
            "allow-ns-not-x-or-pod-b",
            "x",
            """  podSelector: {matchLabels: {pod: a}}
  ingress:
  - from:
    - namespaceSelector: {matchExpressions: [{key: ns, operator: NotIn, values: ["x"]}]}
    - podSelector: {matchLabels: {pod: b}}""",
        )
    )
    check(netpol, reachability().expect("x/c", "x/a", False), 80)


def test_match_expressions_in_and_exists(netpol):
    netpol.policies(
        policy(
            "allow-b-c-from-y-z",
            "x",
            """\
  podSelector: {matchExpressions: [{key: pod, operator: Exists}]}
  ingress:
  - from:
    - namespaceSelector: {matchExpressions: [{key: ns, operator: In, values: ["y", "z"]}]}
      podSelector: {matchExpressions: [{key: pod, operator: In, values: [b, c]}]}""",
        )
    )
    expected = reachability().expect("", "x/", False)
    for source in ("y/b", "y/c", "z/b", "z/c"):
        expected.expect(source, "x/", True)
    check(netpol, expected, 80)


def test_egress_to_an_ip_block_with_an_exception(netpol):
    # e2e: "should enforce except clause while egress access to server in CIDR block"
    b = netpol.ips["x/b"]
    netpol.policies(
        policy(
            "allow-client-a-via-cidr-egress-rule",
            "x",
            f"""  podSelector: {{matchLabels: {{pod: a}}}}
  policyTypes: [Egress]
  egress: [{{to: [{{ipBlock: {{cidr: 10.244.0.0/16, except: [{b}/32]}}}}]}}]""",
        )
    )
    check(netpol, reachability().expect("x/a", "x/b", False), 80)
    # e2e: "should ensure an IP overlapping both IPBlock.CIDR and IPBlock.Except is allowed" (a second policy)
    netpol.policies(
        policy(
            "allow-x-b",
            "x",
            f"""  podSelector: {{matchLabels: {{pod: a}}}}
  policyTypes: [Egress]
  egress: [{{to: [{{ipBlock: {{cidr: {b}/32}}}}]}}]""",
        )
    )
    check(netpol, reachability(), 80)


def test_egress_rules_without_policy_types_isolate_both_ways(netpol):
    # policyTypes defaults to Ingress, plus Egress when there are egress rules: x/a's ingress is closed too
    netpol.policies(
        policy(
            "allow-to-y-b",
            "x",
            f"""  podSelector: {{matchLabels: {{pod: a}}}}
  egress: [{{to: [{{ipBlock: {{cidr: {netpol.ips["y/b"]}/32}}}}]}}]""",
        )
    )
    check(netpol, reachability().expect("x/a", "", False).expect("x/a", "y/b", True).expect("", "x/a", False), 80)


# -- ports -------------------------------------------------------------------------------------------------


def test_ingress_on_one_named_port(netpol):
    netpol.policies(policy("allow-81", "x", "  podSelector: {}\n  ingress: [{ports: [{port: serve-81-tcp}]}]"))
    check(netpol, reachability(), 81)
    check(netpol, reachability().expect("", "x/", False), 80)


def test_egress_on_one_named_port_resolved_on_each_destination(netpol):
    netpol.policies(
        policy(
            "allow-egress",
            "x",
            "  podSelector: {}\n  policyTypes: [Egress]\n  egress: [{ports: [{port: serve-80-tcp}]}]",
        )
    )
    check(netpol, reachability(), 80)
    check(netpol, reachability().expect("x/", "", False), 81)


def test_a_port_range_with_end_port(netpol):
    netpol.policies(
        policy(
            "allow-79-to-80",
            "x",
            """  podSelector: {matchLabels: {pod: a}}
  ingress: [{ports: [{protocol: TCP, port: 79, endPort: 80}]}]""",
        )
    )
    check(netpol, reachability(), 80)
    check(netpol, reachability().expect("", "x/a", False), 81)


def test_a_protocol_without_a_port_allows_that_protocol_only(netpol):
    # e2e: "should enforce ingress policy allowing any port traffic to a server on a specific protocol"
    netpol.policies(
        policy(
            "allow-ingress-by-proto",
            "x",
            """  podSelector: {matchLabels: {pod: a}}
  ingress: [{ports: [{protocol: TCP}]}]""",
        )
    )
    check(netpol, reachability(), 81)
    check(netpol, reachability().expect("", "x/a", False), 80, "udp")


def test_udp_port_from_a_namespace(netpol):
    netpol.policies(
        policy(
            "allow-ingress-on-port-81-ns-x",
            "x",
            """  podSelector: {matchLabels: {pod: a}}
  ingress:
  - from: [{namespaceSelector: {matchLabels: {ns: "y"}}}]
    ports: [{port: 81, protocol: UDP}]""",
        )
    )
    check(netpol, reachability().expect("x/", "x/a", False).expect("z/", "x/a", False), 81, "udp")
    check(netpol, reachability().expect("", "x/a", False), 81)  # the same port over TCP stays closed


# -- several policies ----------------------------------------------------------------------------------


def test_stacked_policies_add_up(netpol):
    allow = """  podSelector: {{matchLabels: {{pod: a}}}}
  ingress:
  - from: [{{namespaceSelector: {{matchLabels: {{ns: "y"}}}}}}]
    ports: [{{port: {port}, protocol: TCP}}]"""
    netpol.policies(policy("allow-81", "x", allow.format(port=81)))
    only_y = reachability().expect("", "x/a", False).expect("y/", "x/a", True)
    check(netpol, only_y, 81)
    check(netpol, reachability().expect("", "x/a", False), 80)
    netpol.policies(policy("allow-80", "x", allow.format(port=80)))
    check(netpol, only_y, 80)


def test_egress_denied_on_the_client_even_if_the_server_allows_it(netpol):
    netpol.policies(
        "\n---\n".join(
            [
                policy(
                    "allow-to-ns-y-pod-a",
                    "x",
                    """  podSelector: {matchLabels: {pod: a}}
  policyTypes: [Egress]
  egress: [{to: [{namespaceSelector: {matchLabels: {ns: "y"}}, podSelector: {matchLabels: {pod: a}}}]}]""",
                ),
                policy(
                    "allow-from-xa-on-ya",
                    "y",
                    """  podSelector: {matchLabels: {pod: a}}
  ingress: [{from: [{namespaceSelector: {matchLabels: {ns: "x"}}, podSelector: {matchLabels: {pod: a}}}]}]""",
                ),
                policy(
                    "allow-from-xa-on-yb",
                    "y",
                    """  podSelector: {matchLabels: {pod: b}}
  ingress: [{from: [{namespaceSelector: {matchLabels: {ns: "x"}}, podSelector: {matchLabels: {pod: a}}}]}]""",
                ),
            ]
        )
    )
    expected = (
        reachability()
        .expect("x/a", "", False)
        .expect("", "y/a", False)
        .expect("x/a", "y/a", True)
        .expect("", "y/b", False)
    )
    check(netpol, expected, 80)


def test_deleting_the_policies_restores_traffic(netpol):
    netpol.policies(policy("deny-all", "x", "  podSelector: {}\n  policyTypes: [Ingress, Egress]"))
    check(netpol, reachability().expect("", "x/", False).expect("x/", "", False), 80)
    api.delete_resources(netpol.name, [("NetworkPolicy", "x", "deny-all")])
    check(netpol, reachability(), 80)


def test_an_updated_policy_is_enforced(netpol):
    netpol.policies(policy("allow-all-mutate-to-deny-all", "x", "  podSelector: {}\n  ingress: [{}]"))
    check(netpol, reachability(), 81)
    netpol.policies(policy("allow-all-mutate-to-deny-all", "x", "  podSelector: {}\n  ingress: []"))
    check(netpol, reachability().expect("", "x/", False), 81)


# -- relabeling --------------------------------------------------------------------------------------------


def test_relabeling_a_namespace_changes_what_it_may_reach(netpol):
    netpol.policies(
        policy(
            "allow-client-a-via-ns-selector",
            "x",
            """  podSelector: {matchLabels: {pod: a}}
  ingress: [{from: [{namespaceSelector: {matchLabels: {ns2: updated}}}]}]""",
        )
    )
    check(netpol, reachability().expect("", "x/a", False), 80)
    netpol.apply(namespace("y", ", ns2: updated"))
    check(netpol, reachability().expect("", "x/a", False).expect("y/", "x/a", True), 80)


def test_relabeling_pods_isolates_and_admits_them(netpol):
    netpol.policies(
        "\n---\n".join(
            [
                policy(
                    "deny-ingress-via-label-selector",
                    "x",
                    "  podSelector: {matchLabels: {target: isolated}}\n  policyTypes: [Ingress]",
                ),
                policy(
                    "allow-client-via-pod-selector",
                    "x",
                    """  podSelector: {matchLabels: {pod: a}}
  ingress: [{from: [{podSelector: {matchLabels: {pod: b, pod2: updated}}}]}]""",
                ),
            ]
        )
    )
    check(netpol, reachability().expect("", "x/a", False), 80)
    netpol.apply(porter_pod("x", "b", 1, ", pod2: updated") + "\n---\n" + porter_pod("x", "c", 2, ", target: isolated"))
    check(netpol, reachability().expect("", "x/a", False).expect("x/b", "x/a", True).expect("", "x/c", False), 80)


# -- Services and the outside ------------------------------------------------------------------------------


def test_a_policy_on_the_backend_governs_its_cluster_ip(netpol):
    netpol.policies(
        policy(
            "allow-from-y",
            "x",
            """  podSelector: {matchLabels: {pod: a}}
  ingress: [{from: [{namespaceSelector: {matchLabels: {ns: "y"}}}]}]""",
        )
    )
    cluster_ip = netpol.cluster().get("Service", "x", "s-x-a")["spec"]["clusterIP"]
    sources = ["y/a", "y/b", "y/c", "x/b", "x/c", "z/a"]
    with ThreadPoolExecutor(len(sources)) as pool:
        outcomes = list(pool.map(lambda s: netpol.probe_from(s, [(cluster_ip, 8080, "tcp")])[0], sources))
    assert dict(zip(sources, outcomes, strict=True)) == {
        "y/a": "ok",
        "y/b": "ok",
        "y/c": "ok",
        "x/b": "timeout",
        "x/c": "timeout",
        "z/a": "timeout",
    }


def test_ip_blocks_see_the_client_address_kept_or_masqueraded(netpol):
    cluster = netpol.cluster()
    balancer = cluster.get("Service", "x", "lb-local")["status"]["loadBalancer"]["ingress"][0]["ip"]
    node_port = cluster.get("Service", "x", "np-cluster")["spec"]["ports"][0]["nodePort"]
    targets = [(balancer, 80, "tcp"), ("172.18.0.2", node_port, "tcp"), ("172.18.0.3", node_port, "tcp")]
    assert netpol.probe_from("external", targets) == ["ok", "ok", "ok"]
    netpol.policies(
        policy(
            "allow-from-the-internet",
            "x",
            """  podSelector: {matchLabels: {pod: a}}
  ingress: [{from: [{ipBlock: {cidr: 198.51.100.0/24}}]}]""",
        )
    )
    # externalTrafficPolicy Local keeps the client address; Cluster masquerades it to a node address
    # (x/a runs on node0: 10.244.0.1 when node0 forwards, 172.18.0.3 when node1 does).
    assert netpol.probe_from("external", targets) == ["ok", "timeout", "timeout"]
    netpol.policies(
        policy(
            "allow-from-nodes",
            "x",
            """  podSelector: {matchLabels: {pod: a}}
  ingress: [{from: [{ipBlock: {cidr: 172.18.0.0/24}}, {ipBlock: {cidr: 10.244.0.1/32}}]}]""",
        )
    )
    assert netpol.probe_from("external", targets) == ["ok", "ok", "ok"]


def test_the_node_always_reaches_its_own_isolated_pods(netpol):
    netpol.policies(policy("deny-all", "x", "  podSelector: {}\n  policyTypes: [Ingress]"))
    # x/a runs on node0 and x/b on node1: a pod's own node may reach it, another node may not.
    assert netpol.probe_from("node0", [(netpol.ips["x/a"], 80, "tcp"), (netpol.ips["x/b"], 80, "tcp")]) == [
        "ok",
        "timeout",
    ]


def test_egress_isolation_covers_the_node_itself(netpol):
    netpol.policies(policy("deny-egress", "x", "  podSelector: {matchLabels: {pod: a}}\n  policyTypes: [Egress]"))
    # nothing listens on the node: an allowed probe is refused, a denied one times out
    assert netpol.probe_from("y/c", [("172.18.0.2", 9, "tcp")]) == ["refused"]
    assert netpol.probe_from("x/a", [("172.18.0.2", 9, "tcp")]) == ["timeout"]


def test_the_same_rules_hold_over_the_vxlan_pod_network(netpol):
    netpol.policies(
        policy(
            "allow-client-a-via-ns-selector",
            "x",
            """  podSelector: {matchLabels: {pod: a}}
  ingress: [{from: [{namespaceSelector: {matchLabels: {ns: "y"}}}]}]""",
        )
    )
    api.set_cni(netpol.name, "vxlan")
    try:
        check(netpol, reachability().expect("x/", "x/a", False).expect("z/", "x/a", False), 80)
    finally:
        api.set_cni(netpol.name, "bridge")


# -- the talk -------------------------------------------------------------------------------------------


def test_the_talks_policy_frontend_to_backend_and_backend_to_database_only(netpol):
    netpol.policies(TALK_NETWORK_POLICY)
    ips = {
        role: netpol.cluster().get("Pod", "default", role)["status"]["podIP"]
        for role in ("frontend", "backend", "database", "other")
    }
    sources = {
        "frontend": [(ips["backend"], 6379, "tcp"), (ips["backend"], 5978, "tcp"), (ips["database"], 5978, "tcp")],
        "other": [(ips["backend"], 6379, "tcp"), (ips["database"], 5978, "tcp")],
        "backend": [
            (ips["database"], 5978, "tcp"),
            (ips["database"], 6379, "tcp"),
            (ips["frontend"], 6379, "tcp"),
            ("198.51.100.10", 80, "tcp"),
        ],
    }
    netns = {role: api.pod_namespace(netpol.name, "default", role) for role in sources}
    with ThreadPoolExecutor(len(sources)) as pool:
        results = dict(zip(sources, pool.map(lambda r: probe(netns[r], sources[r]), sources), strict=True))
    assert results == {
        "frontend": ["ok", "timeout", "ok"],  # frontend -> backend only on 6379
        "other": ["timeout", "ok"],  # not a frontend; the database is not isolated
        "backend": ["ok", "timeout", "timeout", "timeout"],  # backend -> database on 5978, nothing else
    }
    ruleset = netpol.on_host(netpol.pod("backend")["spec"]["nodeName"], "nft", "list", "ruleset").stdout
    assert 'drop comment "ingress to default/backend denied: isolated by default/test-network-policy"' in ruleset
    assert 'accept comment "allowed by default/test-network-policy egress[0]"' in ruleset
