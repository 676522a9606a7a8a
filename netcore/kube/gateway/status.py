"""The status the Gateway API spec defines, written by Podpath's controller (pure).

- GatewayClass (ours): ``Accepted`` True.
- Gateway (ours): ``Accepted`` (True; reason ``ListenersNotValid`` when a listener does not work,
  False when none does), ``Programmed`` (True once the gateway pod serves at its LoadBalancer address,
  else ``AddressNotAssigned`` or ``Pending``), ``status.addresses``, and per listener
  ``supportedKinds``, ``attachedRoutes`` and the conditions ``Accepted`` (``UnsupportedProtocol``),
  ``ResolvedRefs`` (``InvalidCertificateRef``, ``RefNotPermitted``, ``InvalidRouteKinds``),
  ``Conflicted`` (``ProtocolConflict``) and ``Programmed``.
- HTTPRoute: one ``status.parents`` entry per parentRef to one of our Gateways, with ``Accepted``
  (``NotAllowedByListeners``, ``NoMatchingListenerHostname``, ``NoMatchingParent``) and
  ``ResolvedRefs`` (``InvalidKind``, ``RefNotPermitted``, ``BackendNotFound``).
- A Gateway whose class is not ours keeps the CRD's initial status (``Pending``, "Waiting for
  controller"), as no controller answers for it.

Conditions carry ``observedGeneration``, and keep their ``lastTransitionTime`` while their status
does not change.
"""

from __future__ import annotations

from typing import Any

from netcore.kube.gateway.attach import GatewayState, ListenerState, RouteState, Verdict, World
from netcore.kube.gateway.constants import CONTROLLER_NAME

PENDING = [
    {
        "type": kind,
        "status": "Unknown",
        "reason": "Pending",
        "message": "Waiting for controller",
        "lastTransitionTime": "1970-01-01T00:00:00Z",
    }
    for kind in ("Accepted", "Programmed")
]


def condition(
    kind: str, verdict: Verdict, obj: dict[str, Any], now: str, previous: list[dict[str, Any]]
) -> dict[str, Any]:
    """One condition in the API's shape, keeping the old transition time when the status is the same."""
    status = "True" if verdict[0] else "False"
    old = next((c for c in previous if c.get("type") == kind), None)
    since = old["lastTransitionTime"] if old and old.get("status") == status else now
    return {
        "type": kind,
        "status": status,
        "reason": verdict[1],
        "message": verdict[2],
        "observedGeneration": obj["metadata"].get("generation", 1),
        "lastTransitionTime": since,
    }


def class_status(gateway_class: dict[str, Any], now: str, refused: str | None = None) -> dict[str, Any]:
    previous = (gateway_class.get("status") or {}).get("conditions") or []
    verdict: Verdict = (
        (False, "InvalidParameters", refused)
        if refused
        else (True, "Accepted", "Handled by Podpath's gateway controller")
    )
    return {"conditions": [condition("Accepted", verdict, gateway_class, now, previous)]}


def listener_status(
    listener: ListenerState, gateway: GatewayState, programmed: bool, now: str, previous: list[dict[str, Any]]
) -> dict[str, Any]:
    obj = gateway.obj
    ready = listener.works and programmed
    why = (
        (True, "Programmed", "Listener is programmed")
        if ready
        else (
            False,
            "Invalid" if not listener.works else "Pending",
            "Listener is not valid" if not listener.works else "Waiting for the gateway pod and its address",
        )
    )
    return {
        "name": listener.name,
        "supportedKinds": [dict(kind) for kind in listener.supported_kinds],
        "attachedRoutes": listener.attached,
        "conditions": [
            condition("Accepted", listener.accepted, obj, now, previous),
            condition("ResolvedRefs", listener.resolved, obj, now, previous),
            condition("Conflicted", listener.conflicted, obj, now, previous),
            condition("Programmed", why, obj, now, previous),
        ],
    }


def gateway_status(gateway: GatewayState, address: str | None, serving: bool, now: str) -> dict[str, Any]:
    """The status of one of our Gateways, given its LoadBalancer address and whether its pod is ready."""
    obj = gateway.obj
    old = obj.get("status") or {}
    previous = old.get("conditions") or []
    working = [listener for listener in gateway.listeners if listener.works]
    if gateway.invalid_parameters:
        accepted: Verdict = (False, "InvalidParameters", gateway.invalid_parameters)
    elif len(working) == len(gateway.listeners):
        accepted = (True, "Accepted", "Gateway is accepted")
    elif working:
        accepted = (
            True,
            "ListenersNotValid",
            "Some listeners are not valid: "
            + ", ".join(listener.name for listener in gateway.listeners if not listener.works),
        )
    else:
        accepted = (False, "ListenersNotValid", "No listener is valid")
    if gateway.invalid_parameters:
        programmed: Verdict = (False, "Invalid", "The Gateway is not accepted")
    elif address is None:
        programmed = (
            False,
            "AddressNotAssigned",
            "No address in the LoadBalancer pool could be assigned"
            + (f" ({gateway.requested_address} is taken)" if gateway.requested_address else ""),
        )
    elif not serving:
        programmed = (False, "Pending", "Waiting for the gateway pod")
    elif not working:
        programmed = (False, "Invalid", "No listener is valid")
    else:
        programmed = (True, "Programmed", f"Served by nginx at {address}")
    old_listeners = {item.get("name"): item.get("conditions") or [] for item in old.get("listeners") or []}
    status: dict[str, Any] = {
        "conditions": [
            condition("Accepted", accepted, obj, now, previous),
            condition("Programmed", programmed, obj, now, previous),
        ],
        "listeners": [
            listener_status(listener, gateway, programmed[0], now, old_listeners.get(listener.name, []))
            for listener in gateway.listeners
        ],
    }
    if address is not None:
        status["addresses"] = [{"type": "IPAddress", "value": address}]
    return status


def route_parents(route: RouteState, now: str) -> list[dict[str, Any]]:
    """Our entries of an HTTPRoute's status.parents (one per parentRef to one of our Gateways)."""
    obj = route.obj
    old = {
        repr(sorted(p.get("parentRef", {}).items())): p.get("conditions") or []
        for p in (obj.get("status") or {}).get("parents") or []
    }
    out = []
    for parent in route.parents:
        ref = {
            key: parent.ref[key]
            for key in ("group", "kind", "namespace", "name", "sectionName", "port")
            if key in parent.ref
        }
        previous = old.get(repr(sorted(ref.items())), [])
        out.append(
            {
                "parentRef": ref,
                "controllerName": CONTROLLER_NAME,
                "conditions": [
                    condition("Accepted", parent.accepted, obj, now, previous),
                    condition("ResolvedRefs", parent.resolved, obj, now, previous),
                ],
            }
        )
    return out


def write_statuses(
    cluster: Any,
    world: World,
    addresses: dict[tuple[str, str], str | None],
    serving: dict[tuple[str, str], bool],
    now: str,
) -> None:
    """Write every Gateway API object's status from the controller's view."""
    for gateway_class in cluster.list("GatewayClass"):
        name = gateway_class["metadata"]["name"]
        if name in world.classes or name in world.refused_classes:
            gateway_class["status"] = class_status(gateway_class, now, world.refused_classes.get(name))
        else:
            gateway_class.pop("status", None)
    for gateway in cluster.list("Gateway"):
        key = (gateway["metadata"]["namespace"], gateway["metadata"]["name"])
        state = world.gateways.get(key)
        if state is None:
            gateway["status"] = {"conditions": [dict(c) for c in PENDING]}
        else:
            gateway["status"] = gateway_status(state, addresses.get(key), serving.get(key, False), now)
    ours = {route.key: route for route in world.routes}
    for route in cluster.list("HTTPRoute"):
        name = f"{route['metadata']['namespace']}/{route['metadata']['name']}"
        route["status"] = {"parents": route_parents(ours[name], now) if name in ours else []}
