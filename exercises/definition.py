"""What an exercise is: a goal on a starting state, hints, a reference solution, checks, a prediction.

Pure data (no Django, no kernel). The loader (``exercises.loader``) builds these from
``exercises/content/<id>.yaml``; the check engine (``exercises.checks``) runs them in a sandbox.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from labs.catalog import ClusterStep
from netcore.topology.model import Topology

# Which part of the talk an exercise practises: its slug, and the talk's section title.
TOPICS: dict[str, str] = {
    "evolution": "Networking Evolution",
    "connecting-containers": "Connecting Containers",
    "pods": "Connecting Containers In Kubernetes",
    "services": "Exposing a Service",
    "getting-outside": "Getting outside",
    "getting-inside-l4": "Getting inside to L4",
    "getting-inside-l7": "Getting inside to L7",
    "limiting-access": "Limiting Access",
}
PROTOCOLS = ("tcp", "udp", "icmp")
EXPECTATIONS = ("success", "failure")
VERDICTS = ("delivered", "dropped", "rejected", "no-route", "timeout")  # netcore.walk.model.OUTCOMES
PREDICT_ABOUT = ("next-hop", "nat", "verdict")
PREDICT_STATES = ("start", "solved")  # the state a prediction is about: the starting one, or once solved
NONE = "none"  # snat_to / dnat_to: no such translation on the way


@dataclass(frozen=True)
class Reachability:
    """A real connection (TCP handshake, UDP answer, ICMP echo) from a host or pod to a target."""

    type: ClassVar[str] = "reachability"
    title: str
    hint: str | None
    source: str  # a host (lab or cluster) or a pod (POD or NS/POD)
    target: str  # an address, a host, a pod, a Service (svc, svc.ns); placeholders allowed in clusters
    protocol: str  # tcp | udp | icmp
    port: int | None  # None for icmp
    expect: str  # success | failure
    timeout: float = 1.0


@dataclass(frozen=True)
class ObjectState:
    """A cluster object exists (or not) with the given fields and conditions."""

    type: ClassVar[str] = "object"
    title: str
    hint: str | None
    kind: str  # a Kubernetes kind: Service, Pod, Ingress, NetworkPolicy, Endpoints, ...
    namespace: str
    name: str | None  # None: any object of the kind (and labels) that meets the conditions
    labels: dict | None  # a LabelSelector on the object's own labels
    exists: bool = True
    fields: tuple[tuple[str, object], ...] = ()  # (dotted path like spec.ports[0].port, expected value)
    has_address: bool | None = None
    has_endpoints: bool | None = None
    selects: dict | None = None  # labels the object's selector must select

    def describe(self) -> str:
        """The objects this check looks at, in words: ``Service default/web``, ``Service in default``."""
        if self.name:
            return f"{self.kind} {self.namespace}/{self.name}"
        return f"{self.kind} in namespace {self.namespace}" + (" with matching labels" if self.labels else "")


@dataclass(frozen=True)
class Command:
    """A command run in a host or pod; its exit status and output must be what the check says."""

    type: ClassVar[str] = "command"
    title: str
    hint: str | None
    host: str
    run: str
    exit: int | None = 0  # None: any non-zero status
    output: str | None = None  # text the output must contain
    matches: str | None = None  # a regular expression the output must match (re.search, multiline)
    timeout: float = 10.0


@dataclass(frozen=True)
class PathExpect:
    """What the packet walk must show; every field given must hold."""

    verdict: str | None = None
    via_bridge: str | None = None  # BRIDGE or HOST:BRIDGE
    via_host: str | None = None
    snat_to: str | None = None  # an address (IP or IP:PORT), or "none"
    dnat_to: str | None = None  # an address (IP or IP:PORT), or "none"
    service: str | None = None  # NS/NAME of the Service that DNATed it
    dropped_by: str | None = None  # NS/NAME of the NetworkPolicy that dropped it
    encapsulated: bool | None = None
    reaches: str | None = None  # the pod or host that answered

    def items(self) -> list[tuple[str, object]]:
        return [(key, value) for key, value in self.__dict__.items() if value is not None]


@dataclass(frozen=True)
class PathCheck:
    """A packet walk from a host or pod to a destination, and what its hops and verdict must show."""

    type: ClassVar[str] = "path"
    title: str
    hint: str | None
    source: str
    target: str  # anything ``podpath trace --to`` takes: URL, IP[:PORT], Service, pod, host
    protocol: str | None
    port: int | None
    expect: PathExpect
    timeout: float = 2.0


Check = Reachability | ObjectState | Command | PathCheck
CHECK_TYPES = ("reachability", "object", "command", "path")


@dataclass(frozen=True)
class Predict:
    """A question to answer before looking: the next hop, the address after NAT, or the verdict.

    ``walk`` is the packet walk that settles it, run on the state the question is about (``state``:
    the starting state, or the solved one); its expectations are what the walk shows when ``answer``
    is right.
    """

    question: str
    about: str  # next-hop | nat | verdict
    choices: tuple[str, ...]
    answer: str
    walk: PathCheck
    explain: str | None = None
    state: str = "start"


@dataclass(frozen=True)
class Exercise:
    id: str
    title: str
    topic: str  # a key of TOPICS
    goal: str  # Markdown
    hints: tuple[str, ...]  # gentle to explicit
    solution: str  # what a student would submit: a topology document, or manifests to apply
    checks: tuple[Check, ...]
    source: str
    topology: Topology | None = None
    cluster: ClusterStep | None = None
    start_text: str = ""  # the starting state as YAML: the topology document, or the cluster's manifests
    predict: Predict | None = None
    order: int = 100

    @property
    def kind(self) -> str:
        """``topology`` (students submit a whole topology) or ``cluster`` (students apply manifests)."""
        return "topology" if self.topology is not None else "cluster"

    @property
    def topic_title(self) -> str:
        return TOPICS[self.topic]


@dataclass(frozen=True)
class CheckResult:
    """One criterion after a check: passed or not, what was observed, and the hint to show if not."""

    index: int  # position in the exercise's checks
    type: str
    title: str
    passed: bool
    observed: str
    hint: str | None  # None when passed
    seconds: float = 0.0

    def to_json(self) -> dict:
        return {
            "index": self.index,
            "type": self.type,
            "title": self.title,
            "passed": self.passed,
            "observed": self.observed,
            "hint": self.hint,
            "seconds": round(self.seconds, 3),
        }


@dataclass(frozen=True)
class SubmitError:
    """Why a submission was refused: where (document, field) and what was expected there."""

    source: str
    field: str
    expected: str

    @property
    def message(self) -> str:
        where = f"{self.source}: {self.field}" if self.field else self.source
        return f"{where}: {self.expected}" if where else self.expected

    def to_json(self) -> dict:
        return {"source": self.source, "field": self.field, "expected": self.expected, "message": self.message}


@dataclass(frozen=True)
class SubmitResult:
    """What a submission did: accepted (and what changed) or refused (and why; nothing changed)."""

    accepted: bool
    errors: tuple[SubmitError, ...] = ()
    changes: tuple[str, ...] = ()  # kubectl's words ("service/web created"), or the topology's operations
    operations: int = 0

    def to_json(self) -> dict:
        return {
            "accepted": self.accepted,
            "errors": [e.to_json() for e in self.errors],
            "changes": list(self.changes),
            "operations": self.operations,
        }
