"""Exercises: every shipped exercise loads, and a malformed file is refused by file, field and expectation."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from exercises import TOPICS, exercise_catalog, get_exercise, load_exercise, load_exercises
from exercises.definition import Command, ObjectState, PathCheck, Reachability
from exercises.submission import manifests_from_text, topology_from_text
from netcore.errors import NotFound, SpecError
from netcore.kube.api import parse_manifests
from netcore.topology.compile import compile_state

SHIPPED = load_exercises()


def test_at_least_fifteen_exercises_ship_and_they_cover_every_part_of_the_talk():
    assert len(SHIPPED) >= 15
    assert {e.topic for e in SHIPPED.values()} == set(TOPICS)
    assert {e.kind for e in SHIPPED.values()} == {"topology", "cluster"}
    assert list(exercise_catalog()) == list(SHIPPED)  # in their order
    orders = [e.order for e in SHIPPED.values()]
    assert orders == sorted(orders)


@pytest.mark.parametrize("exercise_id", list(SHIPPED))
def test_a_shipped_exercise_is_complete(exercise_id):
    exercise = SHIPPED[exercise_id]
    assert exercise.title.strip() and exercise.goal.strip() and exercise.topic_title
    assert exercise.hints and all(h.strip() for h in exercise.hints)
    assert exercise.checks and all(c.title.strip() for c in exercise.checks)
    assert exercise.start_text.strip()
    if exercise.kind == "topology":
        solved = topology_from_text(exercise.solution, "solution")
        assert solved != exercise.topology
        compile_state(solved)  # the solution compiles to a kernel state
        assert not any(isinstance(c, ObjectState) for c in exercise.checks)
    else:
        submitted = manifests_from_text(exercise.solution, "solution")
        assert submitted.count or submitted.cni
        if submitted.count:
            assert parse_manifests(submitted.text, "solution")
    if exercise.predict is not None:
        assert exercise.predict.answer in exercise.predict.choices
        assert exercise.predict.walk.expect.items()


def test_the_shipped_exercises_use_every_check_kind_and_predictions():
    kinds = {type(c) for e in SHIPPED.values() for c in e.checks}
    assert kinds == {Reachability, ObjectState, Command, PathCheck}
    assert sum(1 for e in SHIPPED.values() if e.predict is not None) >= 10
    assert {e.predict.about for e in SHIPPED.values() if e.predict} == {"next-hop", "nat", "verdict"}
    assert any(c.expect == "failure" for e in SHIPPED.values() for c in e.checks if isinstance(c, Reachability))


def test_an_unknown_exercise_is_a_clear_error():
    with pytest.raises(NotFound, match=r"unknown exercise 'nope' \(exercises: .*veth-by-hand"):
        get_exercise("nope")


def test_the_starting_topology_is_offered_as_yaml_for_the_editor():
    exercise = SHIPPED["veth-by-hand"]
    assert topology_from_text(exercise.start_text, "start") == exercise.topology
    assert SHIPPED["clusterip-service"].start_text == SHIPPED["clusterip-service"].cluster.manifests


# -- malformed files ------------------------------------------------------------------------------------

TOPOLOGY = {
    "hosts": {
        "host": {"interfaces": {"eth0": {"address": "198.51.100.2/24"}}},
        "c1": {"role": "container", "inside": "host"},
        "internet": {
            "interfaces": {"eth0": {"address": "198.51.100.10/24"}},
            "servers": [{"kind": "echo", "port": 80}],
        },
    },
    "links": [["host:eth0", "internet:eth0"]],
}
SOLVED = copy.deepcopy(TOPOLOGY)
SOLVED["hosts"]["c1"]["interfaces"] = {"eth0": {"address": "172.17.0.2/16"}}
SOLVED["hosts"]["host"]["interfaces"]["veth-c1"] = {"address": "172.17.0.1/16"}
SOLVED["links"].append(["c1:eth0", "host:veth-c1"])

BASE = {
    "title": "Demo",
    "topic": "connecting-containers",
    "goal": "Connect c1.",
    "start": {"topology": TOPOLOGY},
    "hints": ["A cable."],
    "solution": yaml.safe_dump(SOLVED),
    "checks": [
        {"type": "command", "title": "c1 has eth0", "on": "c1", "run": "ip -br addr show dev eth0"},
        {"type": "reachability", "title": "c1 pings", "from": "c1", "to": "172.17.0.1", "protocol": "icmp"},
        {"type": "path", "title": "walk", "from": "c1", "to": "172.17.0.1", "protocol": "icmp", "verdict": "delivered"},
    ],
    "predict": {
        "question": "What?",
        "about": "verdict",
        "choices": ["a", "b"],
        "answer": "a",
        "walk": {"from": "c1", "to": "172.17.0.1", "protocol": "icmp", "verdict": "no-route"},
    },
}

CLUSTER = {
    "title": "Demo",
    "topic": "services",
    "goal": "Expose web.",
    "start": {
        "cluster": {
            "nodes": 2,
            "manifests": "apiVersion: v1\nkind: Pod\n"
            "metadata: {name: web, labels: {app: web}}\n"
            "spec: {containers: [{name: web, image: hello-world}]}\n",
        }
    },
    "hints": ["A Service."],
    "solution": "apiVersion: v1\nkind: Service\nmetadata: {name: web}\n"
    "spec: {selector: {app: web}, ports: [{port: 80}]}\n",
    "checks": [
        {"type": "object", "title": "web", "kind": "Service", "name": "web", "has_endpoints": True},
        {"type": "command", "title": "curl", "on": "external", "run": "curl -s -m 2 http://{{svc:web}}/"},
    ],
}


def write(tmp_path: Path, document: dict, name: str = "demo.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path


def changed(base: dict, edit) -> dict:
    document = copy.deepcopy(base)
    edit(document)
    return document


def test_a_valid_exercise_loads(tmp_path):
    exercise = load_exercise(write(tmp_path, BASE))
    assert exercise.id == "demo" and exercise.kind == "topology"
    assert [c.type for c in exercise.checks] == ["command", "reachability", "path"]
    assert exercise.checks[1].port is None and exercise.checks[1].expect == "success"
    assert exercise.predict.walk.expect.verdict == "no-route" and exercise.predict.state == "start"
    cluster = load_exercise(write(tmp_path, CLUSTER, "cluster.yaml"))
    assert cluster.kind == "cluster" and cluster.cluster.nodes == 2 and cluster.checks[0].namespace == "default"


def set_in(path: list, value):
    def edit(document):
        target = document
        for key in path[:-1]:
            target = target[key]
        if value is KeyError:
            del target[path[-1]]
        else:
            target[path[-1]] = value

    return edit


PLACEHOLDER_HELP = (
    "placeholders like {{pod:NAME}}, {{svc:NAME}}, {{lb:NS/NAME}}, {{nodeport:NAME}} or "
    "{{node:N}}, got '{{service:web}}'"
)


@pytest.mark.parametrize(
    ("base", "edit", "expected"),
    [
        (BASE, set_in(["goal"], KeyError), "goal: a value (this field is required)"),
        (
            BASE,
            set_in(["colour"], "red"),
            "colour: unknown field; expected one of: checks, goal, hints, order, "
            "predict, solution, start, title, topic",
        ),
        (
            BASE,
            set_in(["topic"], "kubernetes"),
            "topic: one of evolution, connecting-containers, pods, services, "
            "getting-outside, getting-inside-l4, getting-inside-l7, limiting-access, "
            "got 'kubernetes'",
        ),
        (BASE, set_in(["hints"], []), "hints: at least one hint (gentle first, explicit last)"),
        (BASE, set_in(["checks"], []), "checks: at least one check"),
        (
            BASE,
            set_in(["start", "cluster"], {"nodes": 1}),
            "start: either 'topology' (hosts and links) or 'cluster' (nodes, cni, manifests)",
        ),
        (
            BASE,
            set_in(["start", "topology", "hosts", "c1", "inside"], "nowhere"),
            "start.topology.hosts.c1.inside: the name of a host, got 'nowhere'",
        ),
        (
            BASE,
            set_in(["checks", 0, "type"], "ping"),
            "checks[0].type: one of reachability, object, command, path, got 'ping'",
        ),
        (
            BASE,
            set_in(["checks", 0, "type"], KeyError),
            "checks[0].type: a value (this field is required): one of reachability, object, command, path",
        ),
        (
            BASE,
            set_in(["checks", 0, "colour"], "red"),
            "checks[0].colour: unknown field; expected one of: exit, hint, "
            "matches, on, output, run, timeout, title, type",
        ),
        (
            BASE,
            set_in(["checks", 0, "on"], "c9"),
            "checks[0].on: a host of the starting state or the solution (c1, host, internet), got 'c9'",
        ),
        (
            BASE,
            set_in(["checks", 0, "exit"], "fail"),
            "checks[0].exit: an exit status from 0 to 255, or nonzero, got 'fail'",
        ),
        (
            BASE,
            set_in(["checks", 0, "matches"], "(unclosed"),
            "checks[0].matches: a regular expression (missing ), unterminated subpattern at position 0)",
        ),
        (BASE, set_in(["checks", 0, "run"], "echo 'unclosed"), "checks[0].run: a command line (No closing quotation)"),
        (BASE, set_in(["checks", 1, "protocol"], "http"), "checks[1].protocol: one of tcp, udp, icmp, got 'http'"),
        (BASE, set_in(["checks", 1, "port"], 80), "checks[1].port: no port for icmp (a ping has none)"),
        (BASE, set_in(["checks", 1, "protocol"], "tcp"), "checks[1].port: the port to reach, for tcp"),
        (BASE, set_in(["checks", 1, "expect"], "maybe"), "checks[1].expect: one of success, failure, got 'maybe'"),
        (BASE, set_in(["checks", 1, "timeout"], 60), "checks[1].timeout: seconds, more than 0 and at most 5, got 60"),
        (
            BASE,
            set_in(["checks", 1, "to"], "{{svc:web}}"),
            "checks[1].to: no placeholders in a topology exercise (addresses are yours to choose), got '{{svc:web}}'",
        ),
        (
            BASE,
            set_in(["checks", 1], {"type": "object", "title": "x", "kind": "Service"}),
            "checks[1].type: reachability, command or path in a topology exercise (object checks look at a cluster's "
            "objects)",
        ),
        (
            BASE,
            set_in(["checks", 2], {"type": "path", "title": "x", "from": "c1", "to": "c1"}),
            "checks[2]: at least one thing the walk must show: dnat_to, dropped_by, encapsulated, reaches, service, "
            "snat_to, verdict, via_bridge, via_host",
        ),
        (
            BASE,
            set_in(["checks", 2, "verdict"], "lost"),
            "checks[2].verdict: one of delivered, dropped, rejected, no-route, timeout, got 'lost'",
        ),
        (
            BASE,
            set_in(["checks", 2, "snat_to"], "the host"),
            "checks[2].snat_to: an address like 198.51.100.2 or 10.244.1.5:80, or none, got 'the host'",
        ),
        (
            BASE,
            set_in(["checks", 2, "dropped_by"], "default/deny"),
            "checks[2].verdict: dropped, or no verdict, with dropped_by",
        ),
        (
            BASE,
            set_in(["solution"], "hosts:\n  c1: {interfaces: {eth0: {address: 172.17.0.2/33}}}\n"),
            "solution.hosts.c1.interfaces.eth0.address: an IPv4 address with a prefix, like 10.0.0.1/24, got "
            "'172.17.0.2/33'",
        ),
        (
            BASE,
            set_in(["solution"], "hosts: [unclosed\n"),
            "solution (line 2, column 1): valid YAML (expected ',' or ']', but got '<stream end>')",
        ),
        (
            BASE,
            set_in(["solution"], yaml.safe_dump(TOPOLOGY)),
            "solution: a solution that changes the starting topology",
        ),
        (BASE, set_in(["predict", "answer"], "c"), "predict.answer: one of the choices (a; b), got 'c'"),
        (BASE, set_in(["predict", "choices"], ["a"]), "predict.choices: at least two choices, got 1"),
        (BASE, set_in(["predict", "choices"], ["a", "a"]), "predict.choices: each choice once"),
        (BASE, set_in(["predict", "about"], "colour"), "predict.about: one of next-hop, nat, verdict, got 'colour'"),
        (BASE, set_in(["predict", "state"], "later"), "predict.state: one of start, solved, got 'later'"),
        (
            BASE,
            set_in(["predict", "walk", "title"], "x"),
            "predict.walk.title: unknown field; expected one of: "
            "dnat_to, dropped_by, encapsulated, from, port, protocol, "
            "reaches, service, snat_to, timeout, to, verdict, via_bridge, "
            "via_host",
        ),
        (CLUSTER, set_in(["checks", 1, "run"], "curl {{service:web}}"), "checks[1].run: " + PLACEHOLDER_HELP),
        (
            CLUSTER,
            set_in(["checks", 1, "on"], "web2"),
            "checks[1].on: a host or pod of the starting state or the "
            "solution (default/web, external, internet, lan, node0, node1, "
            "router, web), got 'web2'",
        ),
        (
            CLUSTER,
            set_in(["checks", 0, "kind"], "Gadget"),
            "checks[0].kind: one of Namespace, Pod, Deployment, "
            "ReplicaSet, Service, Endpoints, EndpointSlice, Ingress, "
            "IngressClass, Secret, NetworkPolicy, Node, GatewayClass, "
            "Gateway, HTTPRoute, ReferenceGrant, got 'Gadget'",
        ),
        (
            CLUSTER,
            set_in(["checks", 0, "has_endpoints"], "yes"),
            "checks[0].has_endpoints: true or false, got a string",
        ),
        (
            CLUSTER,
            set_in(["checks", 0, "kind"], "Pod"),
            "checks[0].has_endpoints: has_endpoints on a Service only, not a Pod",
        ),
        (
            CLUSTER,
            set_in(["checks", 0, "exists"], False),
            "checks[0].has_endpoints: no conditions with exists: false (a missing object has no fields)",
        ),
        (CLUSTER, set_in(["checks", 0, "selects"], {}), "checks[0].selects: at least one label, like {app: web}"),
        (
            CLUSTER,
            set_in(["start", "cluster", "cni"], "flannel"),
            "start.cluster.cni: one of bridge, vxlan, nat, got 'flannel'",
        ),
    ],
)
def test_a_malformed_exercise_names_the_file_the_field_and_what_was_expected(tmp_path, base, edit, expected):
    path = write(tmp_path, changed(base, edit))
    with pytest.raises(SpecError) as raised:
        load_exercise(path)
    assert str(raised.value) == f"{path}: {expected}"


def test_a_cluster_solution_is_validated_like_kubectl_apply(tmp_path):
    document = changed(CLUSTER, set_in(["solution"], CLUSTER["solution"].replace("port: 80", "port: '80'")))
    path = write(tmp_path, document)
    with pytest.raises(SpecError) as raised:
        load_exercise(path)
    assert str(raised.value) == (
        f'{path}: solution: document 1 (Service default/web): spec.ports[0].port: an integer, got string "80"'
    )


def test_a_pod_network_document_is_validated(tmp_path):
    document = changed(
        CLUSTER, set_in(["solution"], "apiVersion: podpath.dev/v1\nkind: PodNetwork\nspec: {mode: flannel}\n")
    )
    path = write(tmp_path, document)
    with pytest.raises(SpecError) as raised:
        load_exercise(path)
    assert str(raised.value) == (
        f"{path}: solution: document 1 (PodNetwork): spec.mode: one of bridge, vxlan, nat, got 'flannel'"
    )


def test_a_file_that_is_not_yaml_or_badly_named_is_refused(tmp_path):
    path = tmp_path / "demo.yaml"
    path.write_text("title: [unclosed\n")
    with pytest.raises(SpecError, match=r"demo.yaml: line 2, column 1: valid YAML"):
        load_exercise(path)
    with pytest.raises(SpecError, match=r"Demo_1.yaml: a file named with lowercase letters, digits and dashes"):
        load_exercise(write(tmp_path, BASE, "Demo_1.yaml"))


def test_loading_a_directory_stops_at_the_first_malformed_file(tmp_path):
    write(tmp_path, BASE, "a-good.yaml")
    write(tmp_path, changed(BASE, set_in(["topic"], "nope")), "b-bad.yaml")
    with pytest.raises(SpecError, match=r"b-bad.yaml: topic: one of"):
        load_exercises(tmp_path)
