"""The Gateway API CRDs' defaults, as the API server writes them into a created object (pure).

What ``kubectl get -o yaml`` shows on a real cluster: a listener's ``allowedRoutes`` (routes from the
Gateway's own namespace), a parentRef's group and kind, a route's catch-all rule and match
(PathPrefix ``/``), a backendRef's kind Service and weight 1, a redirect's 302.
"""

from __future__ import annotations

from typing import Any

from netcore.kube.gateway.constants import GROUP

CATCH_ALL_MATCH = {"path": {"type": "PathPrefix", "value": "/"}}


def default_gateway_object(obj: dict[str, Any]) -> None:
    """Fill the CRD defaults of a GatewayClass, Gateway, HTTPRoute or ReferenceGrant, in place."""
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        if obj.get("kind") == "HTTPRoute":
            obj["spec"] = spec = {}
        else:
            return
    if obj.get("kind") == "Gateway":
        default_gateway(spec)
    elif obj.get("kind") == "HTTPRoute":
        default_route(spec)


def default_gateway(spec: dict[str, Any]) -> None:
    for listener in spec.get("listeners") or []:
        if not isinstance(listener, dict):
            continue
        allowed = listener.setdefault("allowedRoutes", {})
        allowed.setdefault("namespaces", {}).setdefault("from", "Same")
        for kind in allowed.get("kinds") or []:
            kind.setdefault("group", GROUP)
        tls = listener.get("tls")
        if isinstance(tls, dict):
            tls.setdefault("mode", "Terminate")
            for ref in tls.get("certificateRefs") or []:
                ref.setdefault("group", "")
                ref.setdefault("kind", "Secret")
    for address in spec.get("addresses") or []:
        address.setdefault("type", "IPAddress")


def default_route(spec: dict[str, Any]) -> None:
    for ref in spec.get("parentRefs") or []:
        ref.setdefault("group", GROUP)
        ref.setdefault("kind", "Gateway")
    rules = spec.setdefault("rules", [{"matches": [dict(CATCH_ALL_MATCH)]}])
    for rule in rules:
        if not isinstance(rule, dict):
            continue
        matches = rule.setdefault("matches", [{"path": dict(CATCH_ALL_MATCH["path"])}])
        for match in matches:
            path = match.setdefault("path", {})
            path.setdefault("type", "PathPrefix")
            path.setdefault("value", "/")
            for condition in (match.get("headers") or []) + (match.get("queryParams") or []):
                condition.setdefault("type", "Exact")
        for backend in rule.get("backendRefs") or []:
            backend.setdefault("group", "")
            backend.setdefault("kind", "Service")
            backend.setdefault("weight", 1)
        for item in rule.get("filters") or []:
            redirect = item.get("requestRedirect")
            if isinstance(redirect, dict):
                redirect.setdefault("statusCode", 302)
