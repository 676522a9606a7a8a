"""The packet walk on a real 2-node cluster (bridge pod network): every hop read back from the kernel.

One cluster serves the module: ``client`` and ``neighbour`` on node0; ``hello-world`` and ``backend``
on node1; Services ``hello-world-service`` (ClusterIP 8080 -> 80), ``hello-lb`` (LoadBalancer),
``hello-np`` (NodePort 30080), ``empty`` (no endpoints), ``netexec`` (UDP 90 -> agnhost netexec on
node1); ``test-network-policy`` lets only neighbour into backend; the Ingress ``hello`` routes
world.hello.org to hello-world-service.
"""

from __future__ import annotations

import json
import secrets
import subprocess
import time

import pytest
from django.core.management import call_command

from netcore.kube import api
from netcore.walk.pcap import render_pcap
from netcore.walk.run import walk
from tests.kernel.kube_helpers import ClusterSandbox

OBJECTS = """
apiVersion: v1
kind: Pod
metadata: {name: client}
spec:
  nodeName: node0
  containers: [{name: client, image: curlimages/curl, command: [sleep, infinity]}]
---
apiVersion: v1
kind: Pod
metadata: {name: neighbour, labels: {app: neighbour}}
spec:
  nodeName: node0
  containers: [{name: web, image: hello-world, ports: [{containerPort: 80}]}]
---
apiVersion: v1
kind: Pod
metadata: {name: hello-world, labels: {app: hello-world}}
spec:
  nodeName: node1
  containers: [{name: web, image: hello-world, ports: [{containerPort: 80}]}]
---
apiVersion: v1
kind: Pod
metadata: {name: backend, labels: {app: backend}}
spec:
  nodeName: node1
  containers: [{name: web, image: hello-world, ports: [{containerPort: 80}]}]
---
apiVersion: v1
kind: Service
metadata: {name: hello-world-service}
spec:
  selector: {app: hello-world}
  ports: [{port: 8080, targetPort: 80}]
---
apiVersion: v1
kind: Service
metadata: {name: hello-lb}
spec:
  type: LoadBalancer
  selector: {app: hello-world}
  ports: [{port: 80, targetPort: 80}]
---
apiVersion: v1
kind: Service
metadata: {name: hello-np}
spec:
  type: NodePort
  selector: {app: hello-world}
  ports: [{port: 80, targetPort: 80, nodePort: 30080}]
---
apiVersion: v1
kind: Service
metadata: {name: empty}
spec:
  selector: {app: nothing-has-this}
  ports: [{port: 80, targetPort: 80}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: test-network-policy}
spec:
  podSelector: {matchLabels: {app: backend}}
  policyTypes: [Ingress]
  ingress:
  - from: [{podSelector: {matchLabels: {app: neighbour}}}]
    ports: [{protocol: TCP, port: 80}]
---
apiVersion: v1
kind: Pod
metadata: {name: netexec, labels: {app: netexec}}
spec:
  nodeName: node1
  containers:
  - name: agnhost
    image: registry.k8s.io/e2e-test-images/agnhost:2.47
    args: [netexec, --http-port=8080, --udp-port=8081]
    ports: [{name: http, containerPort: 8080}, {name: udp, containerPort: 8081, protocol: UDP}]
---
apiVersion: v1
kind: Service
metadata: {name: netexec}
spec:
  selector: {app: netexec}
  ports: [{name: udp, port: 90, targetPort: udp, protocol: UDP}]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: hello}
spec:
  rules:
  - host: world.hello.org
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: hello-world-service, port: {number: 8080}}}}
"""


@pytest.fixture(scope="module")
def cluster():
    name = "t" + secrets.token_hex(5)
    api.create_cluster(name, nodes=2)
    sandbox = ClusterSandbox(name)
    try:
        sandbox.apply(OBJECTS)
        yield sandbox
    finally:
        sandbox.delete()


def trace(cluster, source: str, destination: str, **options):
    return walk(sandbox=cluster.name, source=source, destination=destination, **options).walk


def path(hops) -> list[tuple[str, str, str]]:
    return [(h.place.host, h.interface, h.direction) for h in hops]


def changes(hops, kind: str):
    return [(h.place.host, c) for h in hops for c in h.changes if c.kind == kind]


def ip(cluster, kind: str, name: str) -> str:
    obj = cluster.pod(name) if kind == "pod" else cluster.service(name)
    return obj["status"]["podIP"] if kind == "pod" else obj["spec"]["clusterIP"]


def test_pod_to_pod_on_one_node_goes_through_the_node_bridge_only(cluster):
    result = trace(cluster, "client", "neighbour")
    leg = result.legs[-1]
    assert path(leg.request)[0] == ("default-client", "eth0", "out")
    assert path(leg.request)[-1] == ("default-neighbour", "eth0", "in")
    assert {h.place.host for h in leg.request} == {"default-client", "node0", "default-neighbour"}
    assert not changes(leg.request, "route") and changes(leg.request, "bridge")
    assert path(leg.reply)[-1] == ("default-client", "eth0", "in")
    assert result.verdict.outcome == "delivered" and result.verdict.answer == "HTTP/1.1 200 OK: Hello World"


def test_pod_to_pod_across_nodes_is_routed_by_both_nodes(cluster):
    leg = trace(cluster, "client", "hello-world").legs[-1]
    hosts = [h.place.host for h in leg.request]
    assert hosts.index("node0") < hosts.index("lan") < hosts.index("node1") < hosts.index("default-hello-world")
    routes = dict((host, c.text) for host, c in changes(leg.request, "route"))
    assert "via 172.18.0.3 dev eth0" in routes["node0"] and "dev cni0" in routes["node1"]
    ttls = [h.layers.l3["ttl"] for h in leg.request]
    assert ttls[0] == 64 and ttls[-1] == 62
    assert leg.verdict.outcome == "delivered"


def test_pod_to_a_cluster_ip_is_dnatted_on_the_clients_node_and_un_dnatted_on_the_reply(cluster):
    service_ip, pod_ip = ip(cluster, "svc", "hello-world-service"), ip(cluster, "pod", "hello-world")
    leg = trace(cluster, "client", f"{service_ip}:8080").legs[-1]
    ((host, dnat),) = changes(leg.request, "dnat")
    assert (host, dnat.before, dnat.after) == ("node0", f"{service_ip}:8080", f"{pod_ip}:80")
    assert dnat.by.name == "default/hello-world-service"
    assert dnat.text.startswith(f"DNAT {service_ip}:8080 -> {pod_ip}:80 by Service default/hello-world-service")
    assert leg.request[0].layers.l3["dst"] == service_ip and leg.request[-1].layers.l3["dst"] == pod_ip
    ((host, undo),) = changes(leg.reply, "un-dnat")
    assert (host, undo.before, undo.after) == ("node0", f"{pod_ip}:80", f"{service_ip}:8080")
    assert leg.reply[0].layers.l3["src"] == pod_ip and leg.reply[-1].layers.l3["src"] == service_ip
    times = [h.time_ns for h in (*leg.request, *leg.reply)]
    assert times == sorted(times)


def test_a_dns_name_is_a_walk_of_its_own_reported_first(cluster):
    result = trace(cluster, "client", "http://hello-world-service:8080/")
    dns, request = result.legs
    assert dns.purpose == "dns" and dns.server.address == "10.96.0.10" and dns.server.port == 53
    assert dns.verdict.answer == f"A {ip(cluster, 'svc', 'hello-world-service')}"
    assert changes(dns.request, "dnat")[0][1].by.name == "kube-system/kube-dns"
    assert dns.reply[-1].time_ns < request.request[0].time_ns
    assert result.verdict.outcome == "delivered" and "Hello World" in result.verdict.answer


def test_one_udp_datagram_through_a_service_and_its_answer(cluster):
    result = trace(cluster, "client", "netexec:90", protocol="udp")
    dns, leg = result.legs
    assert dns.purpose == "dns" and leg.protocol == "udp"
    ((host, dnat),) = changes(leg.request, "dnat")
    assert (host, dnat.by.name, dnat.after) == ("node0", "default/netexec", f"{ip(cluster, 'pod', 'netexec')}:8081")
    assert changes(leg.reply, "un-dnat") and result.verdict.answer == "netexec"


def test_an_echo_to_a_pod_on_another_node(cluster):
    result = trace(cluster, "client", "hello-world", protocol="icmp")
    leg = result.legs[-1]
    assert [h.layers.l4["type"] for h in leg.request] == [8] * len(leg.request)
    assert [h.layers.l4["type"] for h in leg.reply] == [0] * len(leg.reply)
    assert leg.request[-1].place.host == "default-hello-world" and result.verdict.outcome == "delivered"


def test_pod_to_the_internet_leaves_with_the_node_address(cluster):
    leg = trace(cluster, "client", "http://198.51.100.10/").legs[-1]
    ((host, snat),) = changes(leg.request, "masquerade")
    assert host == "node0" and snat.after.startswith("172.18.0.2:") and snat.by.kind == "pod-egress"
    assert leg.request[-1].place.host == "internet" and leg.request[-1].layers.l3["src"] == "172.18.0.2"
    assert changes(leg.reply, "un-snat")[0][1].after.startswith(ip(cluster, "pod", "client") + ":")
    assert '"client_address": "172.18.0.2"' in leg.verdict.answer


def test_external_to_a_load_balancer_is_routed_to_the_announcing_node_then_dnatted(cluster):
    lb = cluster.service("hello-lb")["status"]["loadBalancer"]["ingress"][0]["ip"]
    leg = trace(cluster, "external", "hello-lb").legs[-1]
    assert leg.request[0].layers.l3["dst"] == lb
    ((host, dnat),) = changes(leg.request, "dnat")
    assert dnat.before == f"{lb}:80" and dnat.by.name == "default/hello-lb"
    ((_, masq),) = changes(leg.request, "masquerade")
    assert "externalTrafficPolicy: Cluster" in masq.text
    assert leg.reply[-1].layers.l3["src"] == lb and leg.verdict.outcome == "delivered"


def test_external_to_a_node_port_is_dnatted_and_masqueraded_by_the_node(cluster):
    leg = trace(cluster, "external", "172.18.0.2:30080").legs[-1]
    ((host, dnat),) = changes(leg.request, "dnat")
    assert (host, dnat.before, dnat.after) == ("node0", "172.18.0.2:30080", f"{ip(cluster, 'pod', 'hello-world')}:80")
    ((host, masq),) = changes(leg.request, "masquerade")
    assert host == "node0" and masq.before.startswith("198.51.100.100:") and masq.after.startswith("172.18.0.2:")
    assert leg.request[-1].layers.l3["src"] == "172.18.0.2"
    assert leg.reply[-1].layers.l3["src"] == "172.18.0.2" and leg.reply[-1].layers.l4["sport"] == 30080


def test_a_networkpolicy_drop_is_a_timeout_with_the_policy_named(cluster):
    started = time.monotonic()
    result = trace(cluster, "client", "backend", timeout=1.0)
    assert time.monotonic() - started < 5
    verdict = result.verdict
    assert verdict.outcome == "dropped" and verdict.at.host == "node1"
    assert verdict.by.kind == "networkpolicy" and verdict.by.name == "default/test-network-policy"
    assert "isolated by default/test-network-policy" in verdict.text
    assert path(result.legs[-1].request)[-1] == ("node1", "eth0", "in") and result.legs[-1].reply == ()


def test_an_allowed_pod_passes_the_policy_and_says_which_rule_let_it(cluster):
    leg = trace(cluster, "neighbour", "backend").legs[-1]
    ((host, policy),) = changes(leg.request, "policy")
    assert host == "node1" and policy.by.name == "default/test-network-policy"
    assert leg.verdict.outcome == "delivered"


def test_a_service_without_endpoints_is_rejected_at_once_by_the_node(cluster):
    started = time.monotonic()
    result = trace(cluster, "client", f"{ip(cluster, 'svc', 'empty')}:80")
    assert time.monotonic() - started < 1.5
    verdict = result.verdict
    assert verdict.outcome == "rejected" and verdict.at.host == "node0"
    assert verdict.by.name == "default/empty" and "no endpoints" in verdict.text
    assert verdict.rule.chain == "reject-chain"


def test_through_the_ingress_two_connections_the_client_to_nginx_and_nginx_to_the_pod(cluster):
    result = trace(cluster, "external", "http://world.hello.org/")
    request, upstream = result.legs
    assert request.verdict.at.name.startswith("pod ingress-nginx/ingress-nginx-controller-")
    assert request.request[0].layers.l3["dst"] == "203.0.113.2"
    assert upstream.purpose == "upstream" and upstream.request[0].place.host == request.verdict.at.host
    assert upstream.request[-1].place.host == "default-hello-world"
    assert result.verdict is upstream.verdict and "Hello World" in result.verdict.answer
    assert "Ingress default/hello" in result.notes[0]


def test_tshark_reads_the_walks_pcap(cluster, tmp_path):
    result = trace(cluster, "client", f"{ip(cluster, 'svc', 'hello-world-service')}:8080")
    capture = tmp_path / "walk.pcap"
    capture.write_bytes(render_pcap(result))
    read = subprocess.run(
        [
            "tshark",
            "-r",
            str(capture),
            "-T",
            "fields",
            "-e",
            "ip.src",
            "-e",
            "ip.dst",
            "-e",
            "tcp.flags.syn",
            "-e",
            "frame.time_epoch",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert read.returncode == 0, read.stderr
    lines = [line.split("\t") for line in read.stdout.splitlines()]
    assert len(lines) == len(result.hops())
    assert [(src, dst) for src, dst, _, _ in lines] == [(h.layers.l3["src"], h.layers.l3["dst"]) for h in result.hops()]


def test_the_walk_leaves_no_trace_table_behind(cluster):
    trace(cluster, "client", "neighbour")
    for host in ("node0", "node1"):
        tables = cluster.on_host(host, "nft", "list", "tables").stdout
        assert tables.split() == ["table", "inet", "podpath"], tables


def test_podpath_trace_prints_json_and_exits_1_when_not_delivered(cluster, capsys):
    call_command("trace", "-s", cluster.name, "--from", "client", "--to", "neighbour", "-o", "json")
    data = json.loads(capsys.readouterr().out)
    assert data["schema"] == "podpath.walk/1" and data["verdict"]["outcome"] == "delivered"
    with pytest.raises(SystemExit) as exit_code:
        call_command("trace", "-s", cluster.name, "--from", "client", "--to", f"{ip(cluster, 'svc', 'empty')}:80")
    assert exit_code.value.code == 1
    text = capsys.readouterr().out
    assert "verdict: rejected" in text and "Service default/empty has no endpoints" in text
