"""What a packet walk returns: legs (one exchange each), the hops of a request and of its reply, the
headers of each hop by layer, what changed there and why, and the verdict. With its JSON form.

Pure. The JSON schema (``podpath.walk/1``) is documented for users in docs/walk.md; ``to_json`` is
the only place that decides field names, and ``walk_from_json`` reads them back (the web view and the
tests go through it, so a field added here and forgotten there fails a round-trip test).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypeVar

T = TypeVar("T")

SCHEMA = "podpath.walk/1"
OUTCOMES = ("delivered", "dropped", "rejected", "no-route", "timeout", "unresolved")
CHANGE_KINDS = (
    "dnat",
    "snat",
    "masquerade",
    "un-dnat",
    "un-snat",
    "route",
    "bridge",
    "encapsulate",
    "decapsulate",
    "policy",
    "local",
)


@dataclass(frozen=True)
class Place:
    """Where something is: a host of the sandbox, how the walk names it, and its role."""

    host: str
    name: str
    role: str = "host"

    def to_json(self) -> dict:
        return {"host": self.host, "name": self.name, "role": self.role}


@dataclass(frozen=True)
class Rule:
    """An nftables rule: its table, chain and text as ``nft list`` prints it (text may be unknown)."""

    table: str
    chain: str
    text: str | None = None
    handle: int | None = None

    def to_json(self) -> dict:
        return {"table": self.table, "chain": self.chain, "text": self.text, "handle": self.handle}


@dataclass(frozen=True)
class Actor:
    """Who decided: a Service, a NetworkPolicy, a pod's port mapping, a host's NAT rule, a route."""

    kind: str  # service | networkpolicy | port-mapping | nat-rule | route | bridge | tunnel | kube-proxy
    name: str

    def to_json(self) -> dict:
        return {"kind": self.kind, "name": self.name}


@dataclass(frozen=True)
class Change:
    """Something that happened to the packet at a hop, in words, with what it was before and after."""

    kind: str
    text: str
    before: str | None = None
    after: str | None = None
    by: Actor | None = None
    rule: Rule | None = None

    def to_json(self) -> dict:
        return {
            "kind": self.kind,
            "text": self.text,
            "before": self.before,
            "after": self.after,
            "by": self.by.to_json() if self.by else None,
            "rule": self.rule.to_json() if self.rule else None,
        }


@dataclass(frozen=True)
class Layers:
    """Headers by layer, as plain dicts with fixed keys (see ``layers_json``)."""

    l2: dict | None
    l3: dict | None
    l4: dict | None

    def to_json(self) -> dict:
        return {"l2": self.l2, "l3": self.l3, "l4": self.l4}


@dataclass(frozen=True)
class Outer:
    """The tunnel's own headers on a hop where the packet travels encapsulated (VXLAN)."""

    layers: Layers
    vni: int

    def to_json(self) -> dict:
        return {**self.layers.to_json(), "vxlan": {"vni": self.vni}}


@dataclass(frozen=True)
class Hop:
    """The packet seen on one interface of one namespace, going ``in`` or ``out``."""

    index: int
    time_ns: int
    offset_us: float
    place: Place
    interface: str
    direction: str
    layers: Layers
    outer: Outer | None = None
    changes: tuple[Change, ...] = ()
    frame: bytes = field(default=b"", compare=False, repr=False)
    wire_length: int = 0

    def to_json(self) -> dict:
        return {
            "index": self.index,
            "time_ns": self.time_ns,
            "offset_us": round(self.offset_us, 1),
            **self.place.to_json(),
            "interface": self.interface,
            "direction": self.direction,
            **self.layers.to_json(),
            "outer": self.outer.to_json() if self.outer else None,
            "changes": [c.to_json() for c in self.changes],
        }


@dataclass(frozen=True)
class Endpoint:
    """One end of a leg: a place (if the walk knows it) and an address, with port."""

    address: str
    port: int | None = None
    place: Place | None = None
    label: str | None = None  # what the user asked for: "Service default/web", "http://web:8080/"

    def to_json(self) -> dict:
        return {
            "address": self.address,
            "port": self.port,
            "label": self.label,
            **(self.place.to_json() if self.place else {"host": None, "name": None, "role": None}),
        }


@dataclass(frozen=True)
class Verdict:
    outcome: str  # one of OUTCOMES
    text: str
    at: Place | None = None
    by: Actor | None = None
    rule: Rule | None = None
    answered_by: Endpoint | None = None
    answer: str | None = None
    elapsed_ms: float | None = None

    def to_json(self) -> dict:
        return {
            "outcome": self.outcome,
            "text": self.text,
            "at": self.at.to_json() if self.at else None,
            "by": self.by.to_json() if self.by else None,
            "rule": self.rule.to_json() if self.rule else None,
            "answered_by": self.answered_by.to_json() if self.answered_by else None,
            "answer": self.answer,
            "elapsed_ms": None if self.elapsed_ms is None else round(self.elapsed_ms, 3),
        }


@dataclass(frozen=True)
class Leg:
    """One exchange: a DNS query, the request itself, or the proxy's own connection behind it."""

    purpose: str  # dns | request | upstream
    summary: str
    protocol: str
    client: Endpoint
    server: Endpoint
    request: tuple[Hop, ...]
    reply: tuple[Hop, ...]
    verdict: Verdict
    nat: tuple[dict, ...] = ()

    def to_json(self) -> dict:
        return {
            "purpose": self.purpose,
            "summary": self.summary,
            "protocol": self.protocol,
            "client": self.client.to_json(),
            "server": self.server.to_json(),
            "request": [h.to_json() for h in self.request],
            "reply": [h.to_json() for h in self.reply],
            "nat": list(self.nat),
            "verdict": self.verdict.to_json(),
        }


@dataclass(frozen=True)
class Walk:
    sandbox: str
    source: Endpoint
    destination: Endpoint
    protocol: str
    legs: tuple[Leg, ...]
    started: str = ""
    duration_ms: float = 0.0
    notes: tuple[str, ...] = ()  # how the destination was read, hints (the bad way's published ports)

    @property
    def verdict(self) -> Verdict:
        """The walk's outcome: the proxy's connection behind the request if there is one (who really
        answered), else the request's leg, else the last DNS leg (a name that did not resolve)."""
        for purpose in ("upstream", "request"):
            legs = [leg for leg in self.legs if leg.purpose == purpose]
            if legs:
                return legs[-1].verdict
        last = self.legs[-1].verdict
        if last.outcome != "delivered":
            return last  # the DNS server itself was not reached
        asked = ", ".join(leg.summary.removeprefix("DNS query for ").removesuffix(" (A)") for leg in self.legs)
        return Verdict(
            "unresolved",
            f"no address: the DNS answered {last.answer} for {asked}",
            last.at,
            answer=last.answer,
            elapsed_ms=last.elapsed_ms,
        )

    def hops(self) -> list[Hop]:
        return [hop for leg in self.legs for hop in (*leg.request, *leg.reply)]

    def to_json(self) -> dict:
        return {
            "schema": SCHEMA,
            "sandbox": self.sandbox,
            "started": self.started,
            "duration_ms": round(self.duration_ms, 1),
            "protocol": self.protocol,
            "source": self.source.to_json(),
            "destination": self.destination.to_json(),
            "verdict": self.verdict.to_json(),
            "notes": list(self.notes),
            "legs": [leg.to_json() for leg in self.legs],
        }


# -- reading the JSON form back --------------------------------------------------------------------


def _place(data: dict | None) -> Place | None:
    if not data or data.get("host") is None:
        return None
    return Place(data["host"], data["name"], data.get("role") or "host")


def _required(value: T | None, what: str, data: object) -> T:
    if value is None:
        raise ValueError(f"{what} missing in {data!r}")
    return value


def _actor(data: dict | None) -> Actor | None:
    return Actor(data["kind"], data["name"]) if data else None


def _rule(data: dict | None) -> Rule | None:
    return Rule(data["table"], data["chain"], data.get("text"), data.get("handle")) if data else None


def _endpoint(data: dict | None) -> Endpoint | None:
    if not data:
        return None
    return Endpoint(data["address"], data.get("port"), _place(data), data.get("label"))


def _hop(data: dict) -> Hop:
    outer = data.get("outer")
    return Hop(
        index=data["index"],
        time_ns=data["time_ns"],
        offset_us=data["offset_us"],
        place=_required(_place(data), "the hop's host", data),
        interface=data["interface"],
        direction=data["direction"],
        layers=Layers(data["l2"], data["l3"], data["l4"]),
        outer=Outer(Layers(outer["l2"], outer["l3"], outer["l4"]), outer["vxlan"]["vni"]) if outer else None,
        changes=tuple(
            Change(c["kind"], c["text"], c.get("before"), c.get("after"), _actor(c.get("by")), _rule(c.get("rule")))
            for c in data.get("changes", [])
        ),
    )


def _verdict(data: dict) -> Verdict:
    return Verdict(
        data["outcome"],
        data["text"],
        _place(data.get("at")),
        _actor(data.get("by")),
        _rule(data.get("rule")),
        _endpoint(data.get("answered_by")),
        data.get("answer"),
        data.get("elapsed_ms"),
    )


def walk_from_json(data: dict) -> Walk:
    """Read a walk back from its JSON form (frames are not part of it)."""
    if data.get("schema") != SCHEMA:
        raise ValueError(f"not a {SCHEMA} document: schema {data.get('schema')!r}")
    legs = tuple(
        Leg(
            purpose=leg["purpose"],
            summary=leg["summary"],
            protocol=leg["protocol"],
            client=_required(_endpoint(leg["client"]), "the client", leg),
            server=_required(_endpoint(leg["server"]), "the server", leg),
            request=tuple(_hop(h) for h in leg["request"]),
            reply=tuple(_hop(h) for h in leg["reply"]),
            verdict=_verdict(leg["verdict"]),
            nat=tuple(leg.get("nat", ())),
        )
        for leg in data["legs"]
    )
    return Walk(
        data["sandbox"],
        _required(_endpoint(data["source"]), "the source", data),
        _required(_endpoint(data["destination"]), "the destination", data),
        data["protocol"],
        legs,
        data.get("started", ""),
        data.get("duration_ms", 0.0),
        tuple(data.get("notes", ())),
    )
