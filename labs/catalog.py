"""The lab catalog: labs are data under labs/content/<lab>/, read and validated here.

Pure (no Django, no kernel). A lab is a ``lab.yaml`` naming its steps in order; each step file holds
the narrative (Markdown following the talk), the desired state (a topology), and commands to try,
each with what it should do (succeed or fail, and text its output contains). The tests run every
command to try on the real kernel, so a step's promises are checked, not just written down.

Any malformed file raises SpecError naming the file, the field and what was expected.
"""

from __future__ import annotations

import functools
import re
import shlex
from dataclasses import dataclass, replace
from pathlib import Path

import yaml

from netcore import yamlsafe
from netcore.errors import NotFound, SpecError
from netcore.topology.model import Topology
from netcore.topology.parse import parse_topology
from netcore.topology.reader import Node

CONTENT_DIR = Path(__file__).resolve().parent / "content"
LAB_ID_RE = re.compile(r"^[a-z][a-z0-9-]{0,40}$")
EXPECTATIONS = ("success", "failure")
CLUSTER_HOSTS = {"internet", "external", "router", "lan"}


@dataclass(frozen=True)
class Try:
    """A command to try on a host, and what it should do."""

    host: str
    command: str
    expect: str = "success"
    output: str | None = None
    why: str | None = None

    def argv(self) -> list[str]:
        return shlex.split(self.command)


@dataclass(frozen=True)
class WalkSpec:
    """A packet walk a step offers to play: from a host or pod to a destination."""

    title: str
    source: str
    destination: str
    protocol: str | None = None
    port: int | None = None


@dataclass(frozen=True)
class ClusterStep:
    """A step whose desired state is a Kubernetes cluster: its size, pod network and objects."""

    nodes: int
    cni: str
    manifests: str
    objects: tuple[dict, ...]


@dataclass(frozen=True)
class Step:
    number: int
    slug: str
    title: str
    narrative: str
    topology: Topology | None
    tries: tuple[Try, ...]
    source: str
    cluster: ClusterStep | None = None
    walks: tuple[WalkSpec, ...] = ()

    def hosts(self) -> set[str]:
        """Names a command to try may run on: hosts, or a cluster's pods, nodes and outside hosts."""
        if self.topology is not None:
            return set(self.topology.host_names())
        pods = {o["metadata"]["name"] for o in self.cluster.objects if o["kind"] == "Pod"}
        pods |= {
            f"{o['metadata'].get('namespace', 'default')}/{o['metadata']['name']}"
            for o in self.cluster.objects
            if o["kind"] == "Pod"
        }
        return pods | CLUSTER_HOSTS | {f"node{i}" for i in range(self.cluster.nodes)}


@dataclass(frozen=True)
class Lab:
    id: str
    title: str
    summary: str
    steps: tuple[Step, ...]
    order: int = 100

    def step(self, number: int) -> Step:
        """Return step ``number`` (1-based), or raise NotFound."""
        if not isinstance(number, int) or not 1 <= number <= len(self.steps):
            raise NotFound(f"lab {self.id!r} has no step {number!r} (steps 1 to {len(self.steps)})")
        return self.steps[number - 1]


class LabLoader(yaml.SafeLoader):
    """YAML 1.2 booleans: only true and false. Under YAML 1.1 a try's ``on: m1`` would be ``True: m1``."""


LabLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
LabLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def read_yaml(path: Path) -> object:
    try:
        return yamlsafe.load(path.read_text(), LabLoader)
    except FileNotFoundError:
        raise SpecError(str(path), "", "a file that exists") from None
    except (OSError, ValueError) as error:  # a directory, no permission, a NUL in the name
        raise SpecError(str(path), "", f"a file that can be read ({error})") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise SpecError(str(path), where, f"valid YAML ({getattr(error, 'problem', error)})") from None


def load_lab(directory: Path) -> Lab:
    """Read and validate one lab directory."""
    lab_id = directory.name
    source = str(directory / "lab.yaml")
    root = Node(source, "", read_yaml(directory / "lab.yaml"))
    if not LAB_ID_RE.match(lab_id):
        raise root.fail(f"a lab directory named with lowercase letters, digits and dashes, got {lab_id!r}")
    fields = root.mapping({"title", "summary", "order", "steps"}, required={"title", "steps"})
    step_files = fields["steps"].items()
    if not step_files:
        raise fields["steps"].fail("at least one step file")
    steps = tuple(load_step(directory, number, node) for number, node in enumerate(step_files, 1))
    return Lab(
        id=lab_id,
        title=fields["title"].text(),
        summary=fields["summary"].text() if "summary" in fields else "",
        steps=steps,
        order=fields["order"].integer(0, 1000) if "order" in fields else 100,
    )


def load_step(directory: Path, number: int, node: Node) -> Step:
    filename = node.text()
    if "/" in filename or "\x00" in filename or not filename.endswith(".yaml"):
        raise node.fail(f"a step file name in the lab's directory, like 01-start.yaml, got {filename!r}")
    path = directory / filename
    source = str(path)
    root = Node(source, "", read_yaml(path))
    fields = root.mapping(
        {"title", "narrative", "topology", "cluster", "try", "walks"}, required={"title", "narrative"}
    )
    if ("topology" in fields) == ("cluster" in fields):
        raise root.fail("either 'topology' (hosts and links) or 'cluster' (a Kubernetes cluster), not both")
    topology = parse_topology(fields["topology"].value, source) if "topology" in fields else None
    cluster = load_cluster_step(fields["cluster"], source) if "cluster" in fields else None
    step = Step(
        number=number,
        slug=filename[:-5],
        title=fields["title"].text(),
        narrative=fields["narrative"].text(),
        topology=topology,
        tries=(),
        source=source,
        cluster=cluster,
    )
    hosts = step.hosts()
    tries = tuple(load_try(n, hosts) for n in fields.get("try", root.child("try", None)).items())
    walks = tuple(load_walk(n, hosts) for n in fields.get("walks", root.child("walks", None)).items())
    return replace(step, tries=tries, walks=walks)


def load_walk(node: Node, hosts: set[str]) -> WalkSpec:
    fields = node.mapping({"title", "from", "to", "protocol", "port"}, required={"title", "from", "to"})
    source = fields["from"].text()
    if source not in hosts:
        raise fields["from"].fail(f"a host or pod of this step ({', '.join(sorted(hosts))}), got {source!r}")
    return WalkSpec(
        title=fields["title"].text(),
        source=source,
        destination=fields["to"].text(),
        protocol=fields["protocol"].choice(("tcp", "udp", "icmp")) if "protocol" in fields else None,
        port=fields["port"].integer(1, 65535) if "port" in fields else None,
    )


def load_cluster_step(node: Node, source: str) -> ClusterStep:
    from netcore.kube.cluster import CNI_MODES
    from netcore.kube.documents import parse_manifests

    fields = node.mapping({"nodes", "cni", "manifests"}, required={"nodes"})
    manifests = fields["manifests"].text() if "manifests" in fields else ""
    objects = parse_manifests(manifests, f"{source}: cluster.manifests") if manifests else []
    return ClusterStep(
        nodes=fields["nodes"].integer(1, 8),
        cni=fields["cni"].choice(CNI_MODES) if "cni" in fields else "bridge",
        manifests=manifests,
        objects=tuple(objects),
    )


def load_try(node: Node, hosts: set[str]) -> Try:
    fields = node.mapping({"on", "run", "expect", "output", "why"}, required={"on", "run"})
    host = fields["on"].text()
    if host not in hosts:
        raise fields["on"].fail(f"a host of this step ({', '.join(sorted(hosts))}), got {host!r}")
    command = fields["run"].text()
    try:
        shlex.split(command)
    except ValueError as error:
        raise fields["run"].fail(f"a command line ({error})") from None
    return Try(
        host=host,
        command=command,
        expect=fields["expect"].choice(EXPECTATIONS) if "expect" in fields else "success",
        output=fields["output"].text() if "output" in fields else None,
        why=fields["why"].text() if "why" in fields else None,
    )


def load_catalog(root: Path = CONTENT_DIR) -> dict[str, Lab]:
    """Read every lab under ``root``; the first malformed file stops it with a SpecError."""
    labs = [load_lab(d) for d in sorted(root.iterdir()) if (d / "lab.yaml").is_file()]
    return {lab.id: lab for lab in sorted(labs, key=lambda lab: (lab.order, lab.id))}


@functools.lru_cache(maxsize=1)
def catalog() -> dict[str, Lab]:
    """The shipped catalog, read once per process."""
    return load_catalog()


def get_lab(lab_id: str) -> Lab:
    labs = catalog()
    if lab_id not in labs:
        raise NotFound(f"unknown lab {lab_id!r} (labs: {', '.join(sorted(labs)) or 'none'})")
    return labs[lab_id]
