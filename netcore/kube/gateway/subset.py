"""The part of Gateway API that Podpath implements, in ``netcore.kube.subset``'s terms (paths and values).

What is outside is refused with "not supported by Podpath" (RequestMirror, CORS, ExtensionRef filters,
filters on a backendRef, timeouts, retries, session persistence, Gateway infrastructure labels and
annotations, frontend and
backend TLS settings, addresses other than IPAddress); see docs/gateway.md for why. Protocols other
than HTTP and HTTPS pass here: the API server accepts them, and the Gateway's status says the listener
is not supported, as the spec asks.
"""

from __future__ import annotations

METADATA = ("metadata.name", "metadata.namespace", "metadata.labels.*", "metadata.annotations.*")
SELECTOR = ("matchLabels.*", "matchExpressions[].key", "matchExpressions[].operator", "matchExpressions[].values")
REF = ("group", "kind", "name", "namespace")
HEADERS = ("set[].name", "set[].value", "add[].name", "add[].value", "remove")
PATH_MODIFIER = ("path.type", "path.replaceFullPath", "path.replacePrefixMatch")
FILTER = (
    "type",
    *(f"requestHeaderModifier.{p}" for p in HEADERS),
    *(f"responseHeaderModifier.{p}" for p in HEADERS),
    "requestRedirect.scheme",
    "requestRedirect.hostname",
    "requestRedirect.port",
    "requestRedirect.statusCode",
    *(f"requestRedirect.{p}" for p in PATH_MODIFIER),
    "urlRewrite.hostname",
    *(f"urlRewrite.{p}" for p in PATH_MODIFIER),
)
MATCH = (
    "path.type",
    "path.value",
    "headers[].type",
    "headers[].name",
    "headers[].value",
    "queryParams[].type",
    "queryParams[].name",
    "queryParams[].value",
    "method",
)
LISTENER = (
    "name",
    "hostname",
    "port",
    "protocol",
    "tls.mode",
    *(f"tls.certificateRefs[].{p}" for p in REF),
    "allowedRoutes.namespaces.from",
    *(f"allowedRoutes.namespaces.selector.{p}" for p in SELECTOR),
    "allowedRoutes.kinds[].group",
    "allowedRoutes.kinds[].kind",
)


def under(prefix: str, paths: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(f"{prefix}.{path}" for path in paths)


GATEWAY_SUPPORTED: dict[str, tuple[str, ...]] = {
    # parametersRef is accepted so the status can refuse it (InvalidParameters): Podpath has no parameters kinds.
    "GatewayClass": (*METADATA, "spec.controllerName", "spec.description", *under("spec.parametersRef", REF)),
    "Gateway": (
        *METADATA,
        "spec.gatewayClassName",
        *under("spec.listeners[]", LISTENER),
        "spec.addresses[].type",
        "spec.addresses[].value",
        "spec.infrastructure.parametersRef.group",
        "spec.infrastructure.parametersRef.kind",
        "spec.infrastructure.parametersRef.name",
    ),
    "HTTPRoute": (
        *METADATA,
        *under("spec.parentRefs[]", (*REF, "sectionName", "port")),
        "spec.hostnames",
        "spec.rules[].name",
        *under("spec.rules[].matches[]", MATCH),
        *under("spec.rules[].filters[]", FILTER),
        *under("spec.rules[].backendRefs[]", (*REF, "port", "weight")),
    ),
    "ReferenceGrant": (
        *METADATA,
        "spec.from[].group",
        "spec.from[].kind",
        "spec.from[].namespace",
        "spec.to[].group",
        "spec.to[].kind",
        "spec.to[].name",
    ),
}
FILTER_TYPES = ("RequestHeaderModifier", "ResponseHeaderModifier", "RequestRedirect", "URLRewrite")
GATEWAY_VALUES: dict[str, dict[str, tuple[tuple[str, ...], tuple[str, ...] | None]]] = {
    "Gateway": {
        "spec.addresses[].type": (("IPAddress",), None),
        "spec.listeners[].tls.mode": (("Terminate",), ("Terminate", "Passthrough")),
    },
    "HTTPRoute": {
        "spec.rules[].filters[].type": (FILTER_TYPES, (*FILTER_TYPES, "RequestMirror", "ExtensionRef", "CORS"))
    },
}
