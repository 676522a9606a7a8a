"""Judge what a check observed: pure functions from observations to (passed, what was observed).

Each check kind has its judge; the shell (``exercises.checks``) makes the observations for real (a probe,
a command, the cluster's objects, a packet walk) and hands them here. Also pure: where a reachability
target is (an address, a pod, a Service, a host) given the cluster's objects and the hosts' addresses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from exercises.definition import NONE, Command, ObjectState, PathExpect, Reachability
from netcore.errors import NotFound, PodpathError
from netcore.ipv4 import is_ipv4, nearest_address
from netcore.kube.lookup import find_service, split_ref
from netcore.kube.selectors import matches, matches_service

OUTSIDE_HOSTS = ("external", "internet", "router", "lan")  # a cluster's hosts that are not nodes or pods


# -- reachability ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reached:
    """What one real probe saw."""

    address: str
    connected: bool
    detail: str  # connected, refused, timeout, no reply, unreachable, error: ...
    seconds: float = 0.0


def target_address(target: str, source: str, cluster: Any | None, host_addresses) -> str:
    """Return the IPv4 address a reachability check connects to; raise NotFound/PodpathError in words.

    ``target`` is already expanded (no placeholders). In a cluster: a pod (``POD``, ``NS/POD``) is its
    Pod IP; a Service (``svc``, ``svc.ns``, ``svc.ns.svc.cluster.local``) its ClusterIP from a pod or a
    node, its LoadBalancer address from outside the cluster; otherwise a host's address.
    ``host_addresses`` is called (lazily: it reads the kernel) for a host's addresses by host name.
    """
    if is_ipv4(target):
        return target
    if cluster is not None:
        namespace, name = split_ref(target)
        pod = cluster.get("Pod", namespace, name) if "." not in target else None
        if pod is not None:
            address = (pod.get("status") or {}).get("podIP")
            if not address:
                raise PodpathError(f"pod {namespace}/{name} has no address yet")
            return address
        service = find_service(cluster, target)
        if service is not None:
            return service_address(service, outside=source in OUTSIDE_HOSTS)
    addresses = host_addresses()
    if target not in addresses:
        what = "pod, Service or host" if cluster is not None else "host"
        raise NotFound(f"no {what} named {target!r}")
    address = nearest_address(addresses[target], addresses.get(source, []))
    if address is None:
        raise PodpathError(f"host {target} has no address")
    return address


def service_address(service: dict, outside: bool) -> str:
    label = f"Service {service['metadata'].get('namespace', 'default')}/{service['metadata']['name']}"
    if outside:
        balancers = [i.get("ip") for i in (service.get("status") or {}).get("loadBalancer", {}).get("ingress", [])]
        if balancers and balancers[0]:
            return balancers[0]
        raise PodpathError(f"{label} has no LoadBalancer address, and outside the cluster nothing else reaches it")
    address = service["spec"].get("clusterIP")
    if address in (None, "", "None"):
        raise PodpathError(f"{label} is headless: it has no ClusterIP to connect to")
    return address


def reachability_judge(check: Reachability, reached: Reached) -> tuple[bool, str]:
    where = reached.address if check.protocol == "icmp" else f"{reached.address}:{check.port}"
    words = {
        "connected": "answered" if check.protocol != "tcp" else "connected",
        "timeout": f"no answer within {check.timeout:g} s (dropped on the way?)",
        "no reply": f"no answer within {check.timeout:g} s",
        "refused": "refused (nothing listens there, or a rule rejects it)",
        "unreachable": "unreachable (no route)",
    }
    observed = f"{check.protocol} to {where}: {words.get(reached.detail, reached.detail)}"
    return reached.connected == (check.expect == "success"), observed


# -- commands ----------------------------------------------------------------------------------------


def command_judge(
    check: Command, returncode: int, output: str, expected_output: str | None, pattern: str | None
) -> tuple[bool, str]:
    """``expected_output`` and ``pattern`` are the check's, with placeholders filled in."""
    shown = output.strip()
    if len(shown) > 300:
        shown = shown[:300] + " ..."
    observed = f"exit status {returncode}; output: {shown!r}" if shown else f"exit status {returncode}; no output"
    status_ok = returncode != 0 if check.exit is None else returncode == check.exit
    if not status_ok:
        wanted = "a non-zero exit status" if check.exit is None else f"exit status {check.exit}"
        return False, f"{observed} (expected {wanted})"
    if expected_output is not None and expected_output not in output:
        return False, f"{observed} (expected it to contain {expected_output!r})"
    if pattern is not None and re.search(pattern, output, re.MULTILINE) is None:
        return False, f"{observed} (expected it to match {pattern!r})"
    return True, observed


# -- objects -----------------------------------------------------------------------------------------

MISSING = object()


def field_value(obj: Any, path: str) -> Any:
    """Follow ``spec.ports[0].port`` into an object; MISSING when it is not there."""
    value = obj
    for part in re.findall(r"[^.\[\]]+|\[\d+\]", path):
        if part.startswith("["):
            index = int(part[1:-1])
            if not isinstance(value, list) or index >= len(value):
                return MISSING
            value = value[index]
        else:
            if not isinstance(value, dict) or part not in value:
                return MISSING
            value = value[part]
    return value


def has_address(obj: dict) -> bool:
    """Whether clients have an address for it: a pod's IP, an Ingress's or LoadBalancer's address,
    a Service's ClusterIP."""
    balancers = [i.get("ip") for i in (obj.get("status") or {}).get("loadBalancer", {}).get("ingress", [])]
    if obj["kind"] == "Pod":
        return bool((obj.get("status") or {}).get("podIP"))
    if obj["kind"] == "Ingress" or obj["spec"].get("type") == "LoadBalancer":
        return any(balancers)
    return obj["spec"].get("clusterIP") not in (None, "", "None")


def address_words(obj: dict) -> str:
    if obj["kind"] == "Pod":
        return (obj.get("status") or {}).get("podIP") or "no pod IP"
    balancers = [
        i.get("ip") for i in (obj.get("status") or {}).get("loadBalancer", {}).get("ingress", []) if i.get("ip")
    ]
    if obj["kind"] == "Ingress" or obj["spec"].get("type") == "LoadBalancer":
        return f"address {balancers[0]}" if balancers else "no address in status.loadBalancer"
    return f"ClusterIP {obj['spec'].get('clusterIP')}"


def endpoint_addresses(cluster: Any, service: dict) -> list[str]:
    endpoints = cluster.get("Endpoints", service["metadata"].get("namespace", "default"), service["metadata"]["name"])
    if endpoints is None:
        return []
    return [a["ip"] for subset in endpoints.get("subsets") or [] for a in subset.get("addresses") or []]


def selects(obj: dict, labels: dict[str, str]) -> bool:
    spec = obj.get("spec") or {}
    if obj["kind"] == "Service":
        return matches_service(spec.get("selector"), labels)
    if obj["kind"] == "NetworkPolicy":
        return matches(spec.get("podSelector"), labels)
    return matches(spec.get("selector"), labels)


def label_words(labels: dict[str, str]) -> str:
    return ",".join(f"{k}={v}" for k, v in labels.items())


def object_problems(check: ObjectState, obj: dict, cluster: Any) -> list[str]:
    """What keeps one object from meeting the check; empty when it meets it."""
    problems = []
    for path, expected in check.fields:
        value = field_value(obj, path)
        if value is MISSING:
            problems.append(f"{path} is not set (expected {expected!r})")
        elif value != expected:
            problems.append(f"{path} is {value!r} (expected {expected!r})")
    if check.has_address is not None and has_address(obj) != check.has_address:
        problems.append(f"{'has no address' if check.has_address else 'has an address'} ({address_words(obj)})")
    if check.has_endpoints is not None:
        ready = endpoint_addresses(cluster, obj)
        if bool(ready) != check.has_endpoints:
            problems.append(
                f"endpoints: {', '.join(ready)}" if ready else "has no endpoints (its selector matches no running pod)"
            )
    if check.selects is not None and not selects(obj, check.selects):
        problems.append(f"does not select pods labelled {label_words(check.selects)}")
    return problems


def object_judge(check: ObjectState, cluster: Any) -> tuple[bool, str]:
    """Whether some object of the kind (and name and labels) meets every condition, or none exists."""
    cluster_scoped = ("Namespace", "Node", "IngressClass", "GatewayClass")
    candidates = [
        o
        for o in cluster.list(check.kind, None if check.kind in cluster_scoped else check.namespace)
        if (check.name is None or o["metadata"]["name"] == check.name)
        and (check.labels is None or matches(check.labels, o["metadata"].get("labels")))
    ]
    if not check.exists:
        if candidates:
            names = ", ".join(o["metadata"]["name"] for o in candidates)
            return False, f"{check.describe()} exists ({names}); expected none"
        return True, f"no {check.describe()}"
    if not candidates:
        return False, f"no {check.describe()}"
    reports = []
    for obj in candidates:
        problems = object_problems(check, obj, cluster)
        name = f"{obj['kind']} {obj['metadata'].get('namespace', '')}/{obj['metadata']['name']}".replace(" /", " ")
        if not problems:
            return True, f"{name} meets every condition"
        reports.append(f"{name}: {'; '.join(problems)}")
    more = f" (and {len(reports) - 3} more)" if len(reports) > 3 else ""
    return False, " | ".join(reports[:3]) + more


# -- paths (the packet walk) ---------------------------------------------------------------------------


def place_matches(place: Any, name: str) -> bool:
    """A walk's place (host, name) is the pod or host ``name`` (``POD``, ``NS/POD`` or a host)."""
    if place is None:
        return False
    namespace, short = split_ref(name)
    return name in (place.host, place.name) or place.name == f"pod {namespace}/{short}"


def address_matches(after: str | None, wanted: str) -> bool:
    """``10.0.0.1`` matches ``10.0.0.1`` and ``10.0.0.1:80``; ``10.0.0.1:80`` matches only itself."""
    if after is None:
        return False
    return after == wanted if ":" in wanted else after.partition(":")[0] == wanted


def walk_hops(walk: Any) -> list:
    """The request's hops: of the request itself and of the proxy's connection behind it (no DNS)."""
    legs = [leg for leg in walk.legs if leg.purpose in ("request", "upstream")] or list(walk.legs)
    return [hop for leg in legs for hop in leg.request]


def walk_summary(walk: Any) -> str:
    verdict = walk.verdict
    route = []
    for hop in walk_hops(walk):
        if not route or route[-1] != hop.place.name:
            route.append(hop.place.name)
    changes = [c.text for hop in walk_hops(walk) for c in hop.changes if c.kind in ("dnat", "snat", "masquerade")]
    text = f"{verdict.outcome}: {verdict.text}"
    if route:
        text += f"; went {' -> '.join(route)}"
    if changes:
        text += f"; {'; '.join(changes)}"
    return text


def path_problems(expect: PathExpect, walk: Any) -> list[str]:
    """What the walk did not show; empty when it showed everything expected."""
    verdict = walk.verdict
    hops = walk_hops(walk)
    changes = [c for hop in hops for c in hop.changes]
    problems = []
    for key, wanted in expect.items():
        if key == "verdict" and verdict.outcome != wanted:
            problems.append(f"verdict {verdict.outcome} (expected {wanted})")
        elif key == "via_bridge":
            host, _, bridge = wanted.rpartition(":")
            seen = any(h.interface == bridge and (not host or h.place.host == host) for h in hops) or any(
                c.kind == "bridge"
                and c.by is not None
                and c.by.name.endswith(f":{bridge}")
                and (not host or c.by.name == f"{host}:{bridge}")
                for c in changes
            )
            if not seen:
                problems.append(f"did not go through bridge {wanted}")
        elif key == "via_host" and not any(place_matches(h.place, wanted) for h in hops):
            problems.append(f"did not go through {wanted}")
        elif key in ("snat_to", "dnat_to"):
            kinds = ("snat", "masquerade") if key == "snat_to" else ("dnat",)
            done = [c for c in changes if c.kind in kinds]
            label = "SNAT" if key == "snat_to" else "DNAT"
            if wanted == NONE:
                if done:
                    problems.append(f"{label} on the way: {done[0].text}")
            elif not any(address_matches(c.after, wanted) for c in done):
                seen = ", ".join(c.after or "?" for c in done) or "none"
                problems.append(f"no {label} to {wanted} (seen: {seen})")
        elif key == "service":
            services = [c.by.name for c in changes if c.kind == "dnat" and c.by is not None and c.by.kind == "service"]
            if wanted not in services:
                problems.append(f"not translated by Service {wanted} (by: {', '.join(services) or 'no Service'})")
        elif key == "dropped_by":
            by = verdict.by.name if verdict.by is not None and verdict.by.kind == "networkpolicy" else None
            if verdict.outcome != "dropped" or by != wanted:
                problems.append(f"not dropped by NetworkPolicy {wanted} ({verdict.outcome}{f' by {by}' if by else ''})")
        elif key == "encapsulated":
            tunnelled = any(c.kind == "encapsulate" for c in changes) or any(h.outer is not None for h in hops)
            if tunnelled != wanted:
                problems.append("was encapsulated" if tunnelled else "was not encapsulated")
        elif key == "reaches" and not (verdict.outcome == "delivered" and place_matches(verdict.at, wanted)):
            problems.append(
                f"did not reach {wanted} ({verdict.outcome}{f' at {verdict.at.name}' if verdict.at else ''})"
            )
    return problems


def path_judge(expect: PathExpect, walk: Any) -> tuple[bool, str]:
    problems = path_problems(expect, walk)
    summary = walk_summary(walk)
    if problems:
        return False, f"{'; '.join(problems)}. The walk: {summary}"
    return True, summary
