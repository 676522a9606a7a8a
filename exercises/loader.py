"""Read and validate exercises: ``exercises/content/<id>.yaml``, one file per exercise.

Pure. A malformed file is refused before anything is built, with the file, the field path and what
was expected there, like a lab step:
``exercises/content/veth-by-hand.yaml: checks[2].protocol: one of tcp, udp, icmp, got 'http'``.
The reference solution is validated as a student's submission would be, and every host or pod a
check runs on must exist in the starting state or in the solution.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

import yaml

from exercises.definition import (
    CHECK_TYPES,
    EXPECTATIONS,
    NONE,
    PREDICT_ABOUT,
    PREDICT_STATES,
    PROTOCOLS,
    TOPICS,
    VERDICTS,
    Check,
    Command,
    Exercise,
    ObjectState,
    PathCheck,
    PathExpect,
    Predict,
    Reachability,
)
from exercises.submission import manifests_from_text, topology_from_text
from labs.catalog import CLUSTER_HOSTS, LAB_ID_RE, load_cluster_step, read_yaml
from labs.placeholders import PLACEHOLDER
from netcore.errors import NotFound, SpecError
from netcore.kube.selectors import parse_label_selector
from netcore.topology.reader import Node

EXERCISES_DIR = Path(__file__).resolve().parent / "content"
ANY_PLACEHOLDER = re.compile(r"\{\{.*?\}\}")
COMMON = {"type", "title", "hint"}
PATH_EXPECTATIONS = {
    "verdict",
    "via_bridge",
    "via_host",
    "snat_to",
    "dnat_to",
    "service",
    "dropped_by",
    "encapsulated",
    "reaches",
}
OBJECT_KINDS = (
    "Namespace",
    "Pod",
    "Deployment",
    "ReplicaSet",
    "Service",
    "Endpoints",
    "EndpointSlice",
    "Ingress",
    "IngressClass",
    "Secret",
    "NetworkPolicy",
    "Node",
    "GatewayClass",
    "Gateway",
    "HTTPRoute",
    "ReferenceGrant",
)
IPV4_PORT = re.compile(r"^\d{1,3}(\.\d{1,3}){3}(:\d{1,5})?$")
QUALIFIED = re.compile(r"^([a-z0-9-]+/)?[a-z0-9.-]+$")


class Where:
    """The hosts and pods checks may name, and whether placeholders are allowed (clusters only)."""

    def __init__(self, hosts: set[str], cluster: bool) -> None:
        self.hosts = hosts
        self.cluster = cluster

    def host(self, node: Node) -> str:
        name = node.text()
        if name not in self.hosts:
            raise node.fail(
                f"a host{' or pod' if self.cluster else ''} of the starting state or the solution "
                f"({', '.join(sorted(self.hosts))}), got {name!r}"
            )
        return name

    def text(self, node: Node) -> str:
        """Free text that may hold address placeholders (``{{svc:web}}``) in a cluster exercise."""
        value = node.text()
        for match in ANY_PLACEHOLDER.finditer(value):
            if not self.cluster:
                raise node.fail(
                    f"no placeholders in a topology exercise (addresses are yours to choose), got {match.group(0)!r}"
                )
            if not PLACEHOLDER.fullmatch(match.group(0)):
                raise node.fail(
                    "placeholders like {{pod:NAME}}, {{svc:NAME}}, {{lb:NS/NAME}}, {{nodeport:NAME}} "
                    f"or {{{{node:N}}}}, got {match.group(0)!r}"
                )
        return value


def load_exercise(path: Path) -> Exercise:
    """Read and validate one exercise file."""
    source = str(path)
    root = Node(source, "", read_yaml(path))
    exercise_id = path.name.removesuffix(".yaml")
    if not LAB_ID_RE.match(exercise_id):
        raise root.fail(
            f"a file named with lowercase letters, digits and dashes, like veth-by-hand.yaml, got {path.name!r}"
        )
    fields = root.mapping(
        {"title", "topic", "goal", "order", "start", "hints", "solution", "checks", "predict"},
        required={"title", "topic", "goal", "start", "hints", "solution", "checks"},
    )
    start = fields["start"].mapping({"topology", "cluster"})
    if ("topology" in start) == ("cluster" in start):
        raise fields["start"].fail("either 'topology' (hosts and links) or 'cluster' (nodes, cni, manifests)")
    topology = cluster = None
    solution_node = fields["solution"]
    solution = solution_node.text()
    if "topology" in start:
        from netcore.topology.parse import parse_topology

        topology = parse_topology(start["topology"].value, source, "start.topology")
        solved = topology_from_text(solution, source, "solution")
        hosts = set(topology.host_names()) | set(solved.host_names())
        start_text = yaml.safe_dump(start["topology"].value, sort_keys=False, default_flow_style=None, width=110)
        from netcore.topology.compile import compile_state

        if not compile_state(solved).differences(compile_state(topology)):
            raise solution_node.fail("a solution that changes the starting topology")
    else:
        cluster = load_cluster_step(start["cluster"], f"{source}: start")
        from netcore.kube.documents import parse_manifests

        submitted = manifests_from_text(solution, f"{source}: solution")
        objects = parse_manifests(submitted.text, f"{source}: solution") if submitted.count else []
        pods = [o for o in (*cluster.objects, *objects) if o["kind"] == "Pod"]
        hosts = {o["metadata"]["name"] for o in pods if o["metadata"].get("namespace", "default") == "default"}
        hosts |= {f"{o['metadata'].get('namespace', 'default')}/{o['metadata']['name']}" for o in pods}
        hosts |= CLUSTER_HOSTS | {f"node{i}" for i in range(cluster.nodes)}
        start_text = cluster.manifests
    where = Where(hosts, cluster is not None)
    hints = tuple(node.text() for node in fields["hints"].items())
    if not hints:
        raise fields["hints"].fail("at least one hint (gentle first, explicit last)")
    checks = tuple(load_check(node, where) for node in fields["checks"].items())
    if not checks:
        raise fields["checks"].fail("at least one check")
    return Exercise(
        id=exercise_id,
        title=fields["title"].text(),
        topic=fields["topic"].choice(tuple(TOPICS)),
        goal=fields["goal"].text(),
        hints=hints,
        solution=solution,
        checks=checks,
        source=source,
        topology=topology,
        cluster=cluster,
        start_text=start_text,
        predict=load_predict(fields["predict"], where) if "predict" in fields else None,
        order=fields["order"].integer(0, 10000) if "order" in fields else 100,
    )


def load_check(node: Node, where: Where) -> Check:
    kind = node.mapping().get("type", node.child("type", None))
    if kind.value is None:
        raise kind.fail(f"a value (this field is required): one of {', '.join(CHECK_TYPES)}")
    kind.choice(CHECK_TYPES)
    return {"reachability": load_reachability, "object": load_object, "command": load_command, "path": load_path}[
        kind.value
    ](node, where)


def common(fields: dict[str, Node]) -> dict:
    return {"title": fields["title"].text(), "hint": fields["hint"].text() if "hint" in fields else None}


def timeout(fields: dict[str, Node], default: float, most: float) -> float:
    if "timeout" not in fields:
        return default
    node = fields["timeout"]
    if isinstance(node.value, bool) or not isinstance(node.value, (int, float)) or not 0 < node.value <= most:
        raise node.fail(f"seconds, more than 0 and at most {most:g}, got {node.value!r}")
    return float(node.value)


def load_reachability(node: Node, where: Where) -> Reachability:
    fields = node.mapping(
        COMMON | {"from", "to", "port", "protocol", "expect", "timeout"}, required={"title", "from", "to", "protocol"}
    )
    protocol = fields["protocol"].choice(PROTOCOLS)
    if protocol == "icmp" and "port" in fields:
        raise fields["port"].fail("no port for icmp (a ping has none)")
    if protocol != "icmp" and "port" not in fields:
        raise node.child("port", None).fail(f"the port to reach, for {protocol}")
    return Reachability(
        **common(fields),
        source=where.host(fields["from"]),
        target=where.text(fields["to"]),
        protocol=protocol,
        port=fields["port"].integer(1, 65535) if "port" in fields else None,
        expect=fields["expect"].choice(EXPECTATIONS) if "expect" in fields else "success",
        timeout=timeout(fields, 1.0, 5.0),
    )


def load_object(node: Node, where: Where) -> ObjectState:
    if not where.cluster:
        raise node.child("type", "object").fail(
            "reachability, command or path in a topology exercise (object checks look at a cluster's objects)"
        )
    fields = node.mapping(
        COMMON | {"kind", "namespace", "name", "labels", "exists", "fields", "has_address", "has_endpoints", "selects"},
        required={"title", "kind"},
    )
    kind = fields["kind"].choice(OBJECT_KINDS)
    expected = tuple(
        (path, value.value) for path, value in fields.get("fields", node.child("fields", None)).mapping().items()
    )
    for path, _ in expected:
        if not re.fullmatch(r"[A-Za-z0-9_.\-/]+(\[\d+\])?(\.[A-Za-z0-9_.\-/]+(\[\d+\])?)*", path):
            raise fields["fields"].child(path, None).fail("a field path like spec.ports[0].port")
    exists = fields["exists"].boolean() if "exists" in fields else True
    conditions = [k for k in ("fields", "has_address", "has_endpoints", "selects") if k in fields]
    if not exists and conditions:
        raise fields[conditions[0]].fail("no conditions with exists: false (a missing object has no fields)")
    if "has_endpoints" in fields and kind != "Service":
        raise fields["has_endpoints"].fail(f"has_endpoints on a Service only, not a {kind}")
    if "has_address" in fields and kind not in ("Service", "Pod", "Ingress"):
        raise fields["has_address"].fail(f"has_address on a Service, Pod or Ingress, not a {kind}")
    if "selects" in fields and kind not in ("Service", "Deployment", "ReplicaSet", "NetworkPolicy"):
        raise fields["selects"].fail(f"selects on a Service, Deployment or NetworkPolicy, not a {kind}")
    return ObjectState(
        **common(fields),
        kind=kind,
        namespace=fields["namespace"].text() if "namespace" in fields else "default",
        name=fields["name"].text() if "name" in fields else None,
        labels=label_selector(fields["labels"]) if "labels" in fields else None,
        exists=exists,
        fields=expected,
        has_address=fields["has_address"].boolean() if "has_address" in fields else None,
        has_endpoints=fields["has_endpoints"].boolean() if "has_endpoints" in fields else None,
        selects=labels_map(fields["selects"]) if "selects" in fields else None,
    )


def label_selector(node: Node) -> dict:
    """``app=web,tier!=db`` (kubectl's -l) or a map of labels."""
    if isinstance(node.value, dict):
        return {"matchLabels": labels_map(node)}
    try:
        return parse_label_selector(node.text())
    except SpecError as error:
        raise node.fail(f"a label selector like app=web ({error.expected})") from None


def labels_map(node: Node) -> dict[str, str]:
    labels = {}
    for key, value in node.mapping().items():
        if not isinstance(value.value, str):
            raise value.fail(f"a label value (a string), got {value.value!r}")
        labels[key] = value.value
    if not labels:
        raise node.fail("at least one label, like {app: web}")
    return labels


def load_command(node: Node, where: Where) -> Command:
    import shlex

    fields = node.mapping(
        COMMON | {"on", "run", "exit", "output", "matches", "timeout"}, required={"title", "on", "run"}
    )
    command = where.text(fields["run"])
    try:
        shlex.split(command)
    except ValueError as error:
        raise fields["run"].fail(f"a command line ({error})") from None
    exit_status: int | None = 0
    if "exit" in fields:
        if fields["exit"].value == "nonzero":
            exit_status = None
        elif isinstance(fields["exit"].value, int) and not isinstance(fields["exit"].value, bool):
            exit_status = fields["exit"].integer(0, 255)
        else:
            raise fields["exit"].fail(f"an exit status from 0 to 255, or nonzero, got {fields['exit'].value!r}")
    matches = where.text(fields["matches"]) if "matches" in fields else None
    if matches is not None:
        try:
            re.compile(PLACEHOLDER.sub("x", matches), re.MULTILINE)
        except re.error as error:
            raise fields["matches"].fail(f"a regular expression ({error})") from None
    return Command(
        **common(fields),
        host=where.host(fields["on"]),
        run=command,
        exit=exit_status,
        output=where.text(fields["output"]) if "output" in fields else None,
        matches=matches,
        timeout=timeout(fields, 10.0, 30.0),
    )


def load_path(node: Node, where: Where, titled: bool = True) -> PathCheck:
    """A path check, or (``titled`` false) the walk of a prediction, which has no title or hint."""
    fields = node.mapping(
        (COMMON if titled else set()) | PATH_EXPECTATIONS | {"from", "to", "protocol", "port", "timeout"},
        required={"from", "to"} | ({"title"} if titled else set()),
    )
    expect = path_expect(fields, node)
    return PathCheck(
        title=fields["title"].text() if "title" in fields else "",
        hint=fields["hint"].text() if "hint" in fields else None,
        source=where.host(fields["from"]),
        target=where.text(fields["to"]),
        protocol=fields["protocol"].choice(PROTOCOLS) if "protocol" in fields else None,
        port=fields["port"].integer(1, 65535) if "port" in fields else None,
        expect=expect,
        timeout=timeout(fields, 2.0, 10.0),
    )


def path_expect(fields: dict[str, Node], node: Node) -> PathExpect:
    given = [k for k in sorted(PATH_EXPECTATIONS) if k in fields]
    if not given:
        raise node.fail(f"at least one thing the walk must show: {', '.join(sorted(PATH_EXPECTATIONS))}")
    values: dict = {}
    for key in given:
        field = fields[key]
        if key == "verdict":
            values[key] = field.choice(VERDICTS)
        elif key == "encapsulated":
            values[key] = field.boolean()
        elif key in ("snat_to", "dnat_to"):
            text = field.text()
            if text != NONE and not IPV4_PORT.match(text):
                raise field.fail(f"an address like 198.51.100.2 or 10.244.1.5:80, or {NONE}, got {text!r}")
            values[key] = text
        elif key in ("service", "dropped_by"):
            text = field.text()
            if not QUALIFIED.match(text):
                raise field.fail(f"a name like default/web (namespace/name), got {text!r}")
            values[key] = text if "/" in text else f"default/{text}"
        else:
            values[key] = field.text()
    if "dropped_by" in values and values.get("verdict", "dropped") != "dropped":
        raise fields["verdict"].fail("dropped, or no verdict, with dropped_by")
    return PathExpect(**values)


def load_predict(node: Node, where: Where) -> Predict:
    fields = node.mapping(
        {"question", "about", "choices", "answer", "walk", "explain", "state"},
        required={"question", "about", "choices", "answer", "walk"},
    )
    choices = tuple(n.text() for n in fields["choices"].items())
    if len(choices) < 2:
        raise fields["choices"].fail(f"at least two choices, got {len(choices)}")
    if len(set(choices)) != len(choices):
        raise fields["choices"].fail("each choice once")
    answer = fields["answer"].text()
    if answer not in choices:
        raise fields["answer"].fail(f"one of the choices ({'; '.join(choices)}), got {answer!r}")
    return Predict(
        question=fields["question"].text(),
        about=fields["about"].choice(PREDICT_ABOUT),
        choices=choices,
        answer=answer,
        walk=load_path(fields["walk"], where, titled=False),
        explain=fields["explain"].text() if "explain" in fields else None,
        state=fields["state"].choice(PREDICT_STATES) if "state" in fields else "start",
    )


def load_exercises(root: Path = EXERCISES_DIR) -> dict[str, Exercise]:
    """Read every exercise under ``root``; the first malformed file stops it with a SpecError."""
    found = [load_exercise(path) for path in sorted(root.glob("*.yaml"))]
    return {e.id: e for e in sorted(found, key=lambda e: (e.order, e.id))}


@functools.lru_cache(maxsize=1)
def exercise_catalog() -> dict[str, Exercise]:
    """The shipped exercises, read once per process, in their order."""
    return load_exercises()


def get_exercise(exercise_id: str) -> Exercise:
    exercises = exercise_catalog()
    if exercise_id not in exercises:
        raise NotFound(f"unknown exercise {exercise_id!r} (exercises: {', '.join(sorted(exercises)) or 'none'})")
    return exercises[exercise_id]
