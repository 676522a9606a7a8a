"""One Gateway and its attached HTTPRoutes -> the virtual hosts, rules and upstreams its nginx serves (pure).

A request is served in three steps, each the spec's:

1. **The listener** (by port, then the most specific hostname that matches the request's host), and
   within it the most specific of the hostnames its routes serve there. Each becomes one virtual host,
   ``(port, hostname)``; nginx picks among them by ``server_name`` exactly so (exact names first, then
   the longest wildcard, then the port's default server). A route hostname that a more specific
   listener on the same port also covers belongs to that listener, not to this one (listener
   isolation), so it makes no virtual host here. Every working listener has a virtual host of its own
   hostname, which answers 404 when none of its routes matches.
2. **The rule**: the virtual host's candidates (every match of every rule of the routes serving that
   hostname) in the spec's precedence order (``netcore.kube.gateway.match``); the first whose
   conditions hold wins; none: 404.
3. **The backend**: the rule's backendRefs split by weight; a ref that does not resolve keeps its share
   and answers 500, a Service without ready endpoints 503, and a rule with no backend (or all weights
   0) answers 500, as the spec requires. Requests go straight to the endpoints (pod address and
   target port), as ingress-nginx does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from netcore.kube.compile.ingress import Upstream, Upstreams
from netcore.kube.gateway.attach import GatewayState, ListenerState, RouteState, RuleState, World
from netcore.kube.gateway.match import ANY_HOST, Candidate, Request, covers, ordered, select, specificity
from netcore.kube.naming import safe_suffix


@dataclass(frozen=True)
class Split:
    """One backendRef's share of a rule's requests."""

    weight: int
    upstream: str | None  # None: nginx answers ``status`` itself
    status: int = 0
    about: str = ""


@dataclass(frozen=True)
class Target:
    """What one rule does with a request: its filters, then its backends."""

    name: str  # short and nginx-safe: "r3"
    route: str  # namespace/name
    rule: int
    filters: tuple[dict[str, Any], ...]
    splits: tuple[Split, ...]

    @property
    def about(self) -> str:
        return f"{self.route} rule {self.rule}"


@dataclass
class VirtualHost:
    port: int
    hostname: str  # "*": the port's default server
    listener: str
    https: bool
    certificate: str | None  # data file name of the listener's certificate
    candidates: list[Candidate] = field(default_factory=list)


@dataclass(frozen=True)
class GatewayRoutes:
    namespace: str
    name: str
    hosts: tuple[VirtualHost, ...]
    targets: tuple[Target, ...]
    upstreams: tuple[Upstream, ...]
    certificates: tuple[tuple[str, str], ...]  # (data file name, PEM)

    def target(self, name: str) -> Target:
        return next(t for t in self.targets if t.name == name)


def short(name: str, keep: int = 100) -> str:
    """A name for a file: a Kubernetes name may have 253 characters, a file name 255 bytes, so a long
    name is cut and keeps a digest of the whole."""
    return name if len(name) <= keep else f"{name[: keep - 9]}-{safe_suffix(8, name)}"


def certificate_file(listener: ListenerState) -> str:
    return f"gateway-tls-{short(listener.certificate_name)}.pem"


def splits_of(rule: RuleState, upstreams: Upstreams) -> tuple[Split, ...]:
    """The rule's backends by weight (weight 0 left out); 500 for a rule with nothing to send to."""
    out = []
    for backend in rule.backends:
        if backend.weight == 0:
            continue
        about = f"{backend.namespace}/{backend.name}:{backend.port}"
        if backend.problem:
            out.append(Split(backend.weight, None, 500, f"{about}: {backend.problem[0]}"))
            continue
        found = upstreams.backend(
            backend.namespace, "", {"service": {"name": backend.name, "port": {"number": backend.port}}}
        )
        if found.upstream is None:
            out.append(Split(backend.weight, None, 503, f"{about}: no ready endpoints"))
        else:
            out.append(Split(backend.weight, found.upstream, 0, about))
    return tuple(out) or (Split(1, None, 500, "(none): no backendRefs with weight"),)


def shadowed(listener: ListenerState, hostname: str, listeners: list[ListenerState]) -> bool:
    """Whether a more specific listener on the same port takes this hostname's requests."""
    own = specificity(listener.hostname or ANY_HOST)
    return any(
        other is not listener
        and other.port == listener.port
        and other.works
        and covers(other.hostname or ANY_HOST, hostname)
        and specificity(other.hostname or ANY_HOST) < own
        for other in listeners
    )


def compile_gateway(cluster: Any, world: World, gateway: GatewayState) -> GatewayRoutes:
    """Return what one Gateway's nginx serves."""
    upstreams = Upstreams(cluster)
    hosts: dict[tuple[int, str], VirtualHost] = {}
    targets: dict[tuple[str, int], Target] = {}
    certificates: dict[str, str] = {}
    working = [listener for listener in gateway.listeners if listener.works]
    for listener in working:
        https = listener.protocol == "HTTPS"
        certificate = certificate_file(listener) if https and listener.certificate else None
        if certificate and listener.certificate:
            certificates[certificate] = listener.certificate
        hosts.setdefault(
            (listener.port, listener.hostname or ANY_HOST),
            VirtualHost(listener.port, listener.hostname or ANY_HOST, listener.name, https, certificate),
        )
    for route in world.routes:
        for parent in route.parents:
            if parent.gateway != (gateway.namespace, gateway.name):
                continue
            for listener_name, hostnames in parent.listeners.items():
                attached = gateway.listener(listener_name)
                if attached is None or not attached.works:
                    continue
                for hostname in hostnames:
                    if shadowed(attached, hostname, working):
                        continue
                    base = hosts[(attached.port, attached.hostname or ANY_HOST)]
                    host = hosts.setdefault(
                        (attached.port, hostname),
                        VirtualHost(attached.port, hostname, attached.name, base.https, base.certificate),
                    )
                    add_candidates(host, route, targets, upstreams)
    for host in hosts.values():
        host.candidates = ordered(host.candidates)
    return GatewayRoutes(
        gateway.namespace,
        gateway.name,
        tuple(sorted(hosts.values(), key=lambda h: (h.port, specificity(h.hostname), h.hostname))),
        tuple(targets.values()),
        tuple(sorted(upstreams.by_key.values(), key=lambda u: u.name)),
        tuple(sorted(certificates.items())),
    )


def add_candidates(
    host: VirtualHost, route: RouteState, targets: dict[tuple[str, int], Target], upstreams: Upstreams
) -> None:
    created = route.obj["metadata"].get("creationTimestamp", "")
    for rule in route.rules:
        key = (route.key, rule.index)
        if key not in targets:
            targets[key] = Target(
                f"r{len(targets) + 1}", route.key, rule.index, tuple(rule.filters), splits_of(rule, upstreams)
            )
        for index, match in enumerate(rule.matches):
            candidate = Candidate(match, route.key, rule.index, index, created, target=targets[key].name)
            if candidate not in host.candidates:
                host.candidates.append(candidate)


def select_host(routes: GatewayRoutes, port: int, host: str) -> VirtualHost | None:
    """The virtual host nginx picks for a request: exact name, then longest wildcard, then the default."""
    name = host.rsplit(":", 1)[0].lower().rstrip(".")
    on_port = [h for h in routes.hosts if h.port == port]
    exact = next((h for h in on_port if h.hostname == name), None)
    if exact:
        return exact
    wildcards = [h for h in on_port if h.hostname.startswith("*.") and name.endswith(h.hostname[1:])]
    if wildcards:
        return max(wildcards, key=lambda h: len(h.hostname))
    return next((h for h in on_port if h.hostname == ANY_HOST), None)


def route_request(routes: GatewayRoutes, port: int, request: Request) -> tuple[VirtualHost | None, Target | None]:
    """The virtual host and rule that serve a request (None: 404), as the rendered nginx decides."""
    host = select_host(routes, port, request.host)
    if host is None:
        return None, None
    found = select(host.candidates, request)
    return host, routes.target(found.target) if found else None
