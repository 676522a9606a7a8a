"""Which Gateways are Podpath's, which listeners work, which routes attach where, which refs resolve (pure).

``resolve_gateways`` reads the cluster's Gateway API objects and returns the controller's view of
them, the one the status (``status``), the gateway pods (``infra``) and the nginx configuration
(``routes``) are all made from:

- a GatewayClass is ours when its ``controllerName`` is ``podpath.dev/gateway-controller``; a Gateway
  is ours when its class is ours;
- a listener works when its protocol is HTTP or HTTPS, its ``allowedRoutes.kinds`` name HTTPRoute (or
  nothing), its certificates resolve (a ``kubernetes.io/tls`` Secret whose key matches its certificate;
  in another namespace only with a ReferenceGrant), and no earlier listener holds its port with
  another protocol;
- a route's parentRef attaches to the listeners it names (``sectionName``, ``port``) that allow it
  (namespace: Same, All or Selector; kind HTTPRoute) and whose hostname meets one of the route's;
- a backendRef resolves when it names a Service (core group) that exists, with the port, in the
  route's namespace or in another one whose ReferenceGrant lets HTTPRoutes of the route's namespace in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Protocol

from netcore.kube.compile.ingress import secret_pem
from netcore.kube.gateway.constants import CONTROLLER_NAME, GROUP, SUPPORTED_PROTOCOLS
from netcore.kube.gateway.match import Match, intersect_hostnames, parse_match
from netcore.kube.selectors import matches

ROUTE_KIND = {"group": GROUP, "kind": "HTTPRoute"}
Verdict = tuple[bool, str, str]  # (status, reason, message)


class Objects(Protocol):
    def get(self, kind: str, namespace: str, name: str) -> dict[str, Any] | None: ...

    def list(self, kind: str, namespace: str | None = None) -> list[dict[str, Any]]: ...


@dataclass
class ListenerState:
    name: str
    port: int
    protocol: str
    hostname: str | None
    spec: dict[str, Any]
    supported_kinds: list[dict[str, str]]
    accepted: Verdict = (True, "Accepted", "Listener is accepted")
    resolved: Verdict = (True, "ResolvedRefs", "All references are resolved")
    conflicted: Verdict = (False, "NoConflicts", "No conflicts")
    certificate: str | None = None  # PEM of the certificate and key (HTTPS)
    certificate_name: str = ""  # namespace.secret, for the file name
    attached: int = 0

    @property
    def works(self) -> bool:
        return self.accepted[0] and self.resolved[0] and not self.conflicted[0]


@dataclass
class GatewayState:
    obj: dict[str, Any]
    listeners: list[ListenerState]
    requested_address: str | None = None
    invalid_parameters: str | None = None  # why spec.infrastructure.parametersRef cannot be used

    @property
    def namespace(self) -> str:
        return str(self.obj["metadata"]["namespace"])

    @property
    def name(self) -> str:
        return str(self.obj["metadata"]["name"])

    @property
    def class_name(self) -> str:
        return str(self.obj["spec"]["gatewayClassName"])

    def listener(self, name: str) -> ListenerState | None:
        return next((listener for listener in self.listeners if listener.name == name), None)


@dataclass(frozen=True)
class BackendState:
    namespace: str
    name: str
    port: int
    weight: int
    problem: tuple[str, str] | None = None  # (reason, message) when it does not resolve


@dataclass
class RuleState:
    index: int
    name: str
    matches: list[Match]
    filters: list[dict[str, Any]]
    backends: list[BackendState]


@dataclass
class ParentState:
    ref: dict[str, Any]
    gateway: tuple[str, str]
    listeners: dict[str, list[str]] = field(default_factory=dict)  # listener name -> hostnames served there
    accepted: Verdict = (True, "Accepted", "Route is accepted")
    resolved: Verdict = (True, "ResolvedRefs", "All references are resolved")


@dataclass
class RouteState:
    obj: dict[str, Any]
    rules: list[RuleState]
    parents: list[ParentState]

    @property
    def key(self) -> str:
        return f"{self.obj['metadata']['namespace']}/{self.obj['metadata']['name']}"


@dataclass
class World:
    classes: dict[str, dict[str, Any]]  # our accepted GatewayClasses by name
    refused_classes: dict[str, str]  # ours, but not accepted: name -> why
    gateways: dict[tuple[str, str], GatewayState]  # ours, by (namespace, name)
    routes: list[RouteState]  # routes with at least one parentRef to one of our Gateways


# -- ReferenceGrant ------------------------------------------------------------------------------------


def permitted(
    cluster: Objects,
    *,
    from_kind: str,
    from_namespace: str,
    to_kind: str,
    to_group: str,
    to_namespace: str,
    to_name: str,
) -> bool:
    """Whether a reference across namespaces is allowed: same namespace, or a ReferenceGrant in the
    target's namespace lets objects of this kind from that namespace refer to it."""
    if from_namespace == to_namespace:
        return True
    for grant in cluster.list("ReferenceGrant", to_namespace):
        spec = grant.get("spec") or {}
        if not any(
            f.get("group") == GROUP and f.get("kind") == from_kind and f.get("namespace") == from_namespace
            for f in spec.get("from") or []
        ):
            continue
        if any(
            t.get("group", "") == to_group and t.get("kind") == to_kind and t.get("name", to_name) == to_name
            for t in spec.get("to") or []
        ):
            return True
    return False


# -- listeners ----------------------------------------------------------------------------------------


def resolve_listeners(cluster: Objects, gateway: dict[str, Any]) -> list[ListenerState]:
    namespace = gateway["metadata"]["namespace"]
    states: list[ListenerState] = []
    port_protocol: dict[int, str] = {}
    for spec in gateway["spec"].get("listeners") or []:
        protocol = spec["protocol"]
        allowed_kinds = (spec.get("allowedRoutes") or {}).get("kinds")
        kinds = [ROUTE_KIND] if protocol in SUPPORTED_PROTOCOLS else []
        state = ListenerState(spec["name"], spec["port"], protocol, spec.get("hostname"), spec, kinds)
        if protocol not in SUPPORTED_PROTOCOLS:
            state.accepted = (
                False,
                "UnsupportedProtocol",
                f"Protocol {protocol} is not supported by Podpath (HTTP and HTTPS are)",
            )
        if allowed_kinds is not None and protocol in SUPPORTED_PROTOCOLS:
            valid = [k for k in allowed_kinds if k.get("group", GROUP) == GROUP and k.get("kind") == "HTTPRoute"]
            state.supported_kinds = [ROUTE_KIND] if valid else []
            if len(valid) != len(allowed_kinds):
                bad = ", ".join(f"{k.get('group', GROUP)}/{k.get('kind')}" for k in allowed_kinds if k not in valid)
                state.resolved = (False, "InvalidRouteKinds", f"Route kinds not supported: {bad}")
        if protocol == "HTTPS":
            resolve_certificate(cluster, namespace, state)
        earlier = port_protocol.setdefault(state.port, protocol)
        if earlier != protocol:
            state.conflicted = (True, "ProtocolConflict", f"Port {state.port} is already used by {earlier}")
        states.append(state)
    return states


def resolve_certificate(cluster: Objects, namespace: str, state: ListenerState) -> None:
    """Resolve an HTTPS listener's first certificateRef (one certificate per listener here)."""
    refs = (state.spec.get("tls") or {}).get("certificateRefs") or []
    for ref in refs:
        target = ref.get("namespace", namespace)
        label = f"{target}/{ref['name']}"
        if ref.get("group", "") != "" or ref.get("kind", "Secret") != "Secret":
            state.resolved = (False, "InvalidCertificateRef", f"{ref.get('kind')} {label} is not a Secret")
            return
        if not permitted(
            cluster,
            from_kind="Gateway",
            from_namespace=namespace,
            to_kind="Secret",
            to_group="",
            to_namespace=target,
            to_name=ref["name"],
        ):
            state.resolved = (
                False,
                "RefNotPermitted",
                f"Secret {label} is in another namespace and no ReferenceGrant there allows it",
            )
            return
        pem = secret_pem(cluster.get("Secret", target, ref["name"]))
        if pem is None:
            state.resolved = (
                False,
                "InvalidCertificateRef",
                f"Secret {label} is missing, not of type kubernetes.io/tls, or its key does not match its certificate",
            )
            return
        if state.certificate is None:
            state.certificate, state.certificate_name = pem, f"{target}.{ref['name']}"


# -- routes -------------------------------------------------------------------------------------------


def allows(cluster: Objects, listener: ListenerState, gateway_namespace: str, route_namespace: str) -> bool:
    """Whether a listener's allowedRoutes let HTTPRoutes of a namespace attach."""
    if not listener.supported_kinds:
        return False
    namespaces = (listener.spec.get("allowedRoutes") or {}).get("namespaces") or {}
    source = namespaces.get("from", "Same")
    if source == "All":
        return True
    if source == "Selector":
        namespace = cluster.get("Namespace", "", route_namespace) or {}
        return matches(namespaces.get("selector") or {}, (namespace.get("metadata") or {}).get("labels") or {})
    return route_namespace == gateway_namespace


def resolve_backend(cluster: Objects, namespace: str, ref: dict[str, Any]) -> BackendState:
    target = ref.get("namespace", namespace)
    state = BackendState(target, ref["name"], int(ref.get("port", 0)), int(ref.get("weight", 1)))
    label = f"{target}/{ref['name']}"
    if ref.get("group", "") != "" or ref.get("kind", "Service") != "Service":
        return BackendState(
            **{
                **state.__dict__,
                "problem": ("InvalidKind", f"{ref.get('group') or 'core'}/{ref.get('kind')} {label} is not a Service"),
            }
        )
    if not permitted(
        cluster,
        from_kind="HTTPRoute",
        from_namespace=namespace,
        to_kind="Service",
        to_group="",
        to_namespace=target,
        to_name=ref["name"],
    ):
        return BackendState(
            **{
                **state.__dict__,
                "problem": (
                    "RefNotPermitted",
                    f"Service {label} is in another namespace and no ReferenceGrant there allows it",
                ),
            }
        )
    service = cluster.get("Service", target, ref["name"])
    if service is None:
        return BackendState(**{**state.__dict__, "problem": ("BackendNotFound", f"Service {label} not found")})
    if not any(p.get("port") == state.port for p in service["spec"].get("ports") or []):
        return BackendState(
            **{**state.__dict__, "problem": ("BackendNotFound", f"Service {label} has no port {state.port}")}
        )
    return state


def resolve_rules(cluster: Objects, route: dict[str, Any]) -> list[RuleState]:
    namespace = route["metadata"]["namespace"]
    rules = []
    for index, rule in enumerate((route.get("spec") or {}).get("rules") or []):
        rules.append(
            RuleState(
                index,
                rule.get("name", ""),
                [parse_match(m) for m in rule.get("matches") or []],
                list(rule.get("filters") or []),
                [resolve_backend(cluster, namespace, ref) for ref in rule.get("backendRefs") or []],
            )
        )
    return rules


def unsupported_value(rules: list[RuleState]) -> str | None:
    """Say which regular expression of the route nginx could not compile (Python's re stands in for PCRE)."""
    for rule in rules:
        for match in rule.matches:
            patterns = [match.path] if match.path_type == "RegularExpression" else []
            patterns += [c.value for c in (*match.headers, *match.query) if c.type == "RegularExpression"]
            for pattern in patterns:
                try:
                    re.compile(pattern)
                except re.error as error:
                    return f"rule {rule.index}: {pattern!r} is not a regular expression: {error}"
    return None


def resolved_refs(rules: list[RuleState]) -> Verdict:
    """ResolvedRefs of a route: the first backend problem, as the condition's reason."""
    problems = [backend.problem for rule in rules for backend in rule.backends if backend.problem]
    if not problems:
        return (True, "ResolvedRefs", "All references are resolved")
    return (False, problems[0][0], "; ".join(message for _, message in problems))


def attach(cluster: Objects, route: dict[str, Any], ref: dict[str, Any], gateway: GatewayState) -> ParentState:
    """Attach a route to the listeners of one parentRef, or say why it cannot attach."""
    parent = ParentState(ref, (gateway.namespace, gateway.name))
    namespace = route["metadata"]["namespace"]
    listeners = gateway.listeners
    if "sectionName" in ref:
        listeners = [item for item in listeners if item.name == ref["sectionName"]]
    if "port" in ref:
        listeners = [item for item in listeners if item.port == ref["port"]]
    if not listeners:
        parent.accepted = (False, "NoMatchingParent", "No listener matches the parentRef's sectionName or port")
        return parent
    allowed = [item for item in listeners if allows(cluster, item, gateway.namespace, namespace)]
    if not allowed:
        parent.accepted = (False, "NotAllowedByListeners", f"No listener allows HTTPRoutes from namespace {namespace}")
        return parent
    hostnames = list((route.get("spec") or {}).get("hostnames") or [])
    for listener in allowed:
        served = intersect_hostnames(listener.hostname, hostnames)
        if served:
            parent.listeners[listener.name] = served
    if not parent.listeners:
        parent.accepted = (
            False,
            "NoMatchingListenerHostname",
            f"No listener hostname matches the route's hostnames ({', '.join(hostnames)})",
        )
    return parent


def parent_key(route: dict[str, Any], ref: dict[str, Any]) -> tuple[str, str] | None:
    if ref.get("group", GROUP) != GROUP or ref.get("kind", "Gateway") != "Gateway":
        return None
    return (ref.get("namespace", route["metadata"]["namespace"]), ref["name"])


def resolve_gateways(cluster: Objects) -> World:
    """Return the controller's view of every Gateway API object it owns."""
    ours = [c for c in cluster.list("GatewayClass") if (c.get("spec") or {}).get("controllerName") == CONTROLLER_NAME]
    classes = {c["metadata"]["name"]: c for c in ours if not c["spec"].get("parametersRef")}
    refused = {
        c["metadata"]["name"]: no_parameters(c["spec"]["parametersRef"]) for c in ours if c["spec"].get("parametersRef")
    }
    gateways: dict[tuple[str, str], GatewayState] = {}
    for gateway in cluster.list("Gateway"):
        if gateway["spec"].get("gatewayClassName") not in classes:
            continue
        state = GatewayState(gateway, resolve_listeners(cluster, gateway))
        state.requested_address = next(
            (
                a.get("value")
                for a in gateway["spec"].get("addresses") or []
                if a.get("type", "IPAddress") == "IPAddress" and a.get("value")
            ),
            None,
        )
        parameters = (gateway["spec"].get("infrastructure") or {}).get("parametersRef")
        if parameters:
            state.invalid_parameters = no_parameters(parameters)
        gateways[(state.namespace, state.name)] = state
    routes: list[RouteState] = []
    for route in sorted(
        cluster.list("HTTPRoute"),
        key=lambda r: (r["metadata"].get("creationTimestamp", ""), r["metadata"]["namespace"], r["metadata"]["name"]),
    ):
        parents = []
        rules: list[RuleState] | None = None
        for ref in (route.get("spec") or {}).get("parentRefs") or []:
            key = parent_key(route, ref)
            gateway_state = gateways.get(key) if key else None
            if gateway_state is None:
                continue
            if rules is None:
                rules = resolve_rules(cluster, route)
            parent = attach(cluster, route, ref, gateway_state)
            invalid = unsupported_value(rules)
            if invalid and parent.listeners:
                parent.listeners, parent.accepted = {}, (False, "UnsupportedValue", invalid)
            parent.resolved = resolved_refs(rules)
            parents.append(parent)
            for name in parent.listeners:
                listener = gateway_state.listener(name)
                if listener is not None:
                    listener.attached += 1
        if parents and rules is not None:
            routes.append(RouteState(route, rules, parents))
    return World(classes, refused, gateways, routes)


def no_parameters(ref: dict[str, Any]) -> str:
    return (
        f"parametersRef {ref.get('group') or 'core'}/{ref.get('kind')} {ref.get('name')}: Podpath's controller "
        f"takes no parameters"
    )
