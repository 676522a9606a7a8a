"""The part of the Kubernetes API that Podpath implements, as data, and the check that holds objects to it.

``SUPPORTED`` lists, per kind, every field path Podpath acts on (``[]`` stands for each item of a list,
``*`` for any key of a free-form map). A field outside the list is refused with "not supported by
Podpath" rather than ignored, so a manifest never seems to work while part of it does nothing.
``VALUES`` narrows some fields to the values Podpath implements, beside the values Kubernetes allows.
Empty mappings and lists (``resources: {}``, which kubectl's generators write) request nothing and pass.
Run after the schema check: the walk trusts the shapes the schema has already checked.
"""

from __future__ import annotations

import re
from typing import Any

from netcore.kube.fields import Path, Problem, quote
from netcore.kube.gateway.subset import GATEWAY_SUPPORTED, GATEWAY_VALUES

LEAF: dict[str, Any] = {}


def under(prefix: str, paths: tuple[str, ...]) -> tuple[str, ...]:
    """Return the paths with a common prefix."""
    return tuple(f"{prefix}.{path}" for path in paths)


METADATA = ("metadata.name", "metadata.namespace", "metadata.labels.*", "metadata.annotations.*")
SELECTOR = ("matchLabels.*", "matchExpressions[].key", "matchExpressions[].operator", "matchExpressions[].values")
CONTAINER = (
    "name",
    "image",
    "imagePullPolicy",
    "command",
    "args",
    "env[].name",
    "env[].value",
    "env[].valueFrom.fieldRef.fieldPath",
    "env[].valueFrom.fieldRef.apiVersion",
    "ports[].name",
    "ports[].containerPort",
    "ports[].protocol",
)
POD_SPEC = (
    *under("containers[]", CONTAINER),
    "nodeName",
    "restartPolicy",
    "terminationGracePeriodSeconds",
    "hostname",
    "subdomain",
    "dnsPolicy",
)
SERVICE_BACKEND = ("service.name", "service.port.number", "service.port.name")
PEER = (*under("podSelector", SELECTOR), *under("namespaceSelector", SELECTOR), "ipBlock.cidr", "ipBlock.except")
POLICY_PORT = ("protocol", "port", "endPort")

SUPPORTED: dict[str, tuple[str, ...]] = {
    "Namespace": METADATA,
    "Pod": (*METADATA, *under("spec", POD_SPEC)),
    "Deployment": (
        *METADATA,
        "spec.replicas",
        *under("spec.selector", SELECTOR),
        "spec.template.metadata.labels.*",
        "spec.template.metadata.annotations.*",
        *under("spec.template.spec", POD_SPEC),
        "spec.strategy.type",
        "spec.strategy.rollingUpdate.maxSurge",
        "spec.strategy.rollingUpdate.maxUnavailable",
        "spec.revisionHistoryLimit",
        "spec.progressDeadlineSeconds",
    ),
    "Service": (
        *METADATA,
        *under(
            "spec",
            (
                "type",
                "clusterIP",
                "clusterIPs",
                "ports[].name",
                "ports[].port",
                "ports[].targetPort",
                "ports[].protocol",
                "ports[].nodePort",
                "selector.*",
                "sessionAffinity",
                "sessionAffinityConfig.clientIP.timeoutSeconds",
                "externalTrafficPolicy",
                "internalTrafficPolicy",
                "ipFamilies[]",
                "ipFamilyPolicy",
                "publishNotReadyAddresses",
                "loadBalancerIP",
            ),
        ),
    ),
    "Secret": (*METADATA, "type", "data.*", "stringData.*"),
    "IngressClass": (*METADATA, "spec.controller"),
    "Ingress": (
        *METADATA,
        *under(
            "spec",
            (
                "ingressClassName",
                *under("defaultBackend", SERVICE_BACKEND),
                "rules[].host",
                "rules[].http.paths[].path",
                "rules[].http.paths[].pathType",
                *under("rules[].http.paths[].backend", SERVICE_BACKEND),
                "tls[].hosts",
                "tls[].secretName",
            ),
        ),
    ),
    "NetworkPolicy": (
        *METADATA,
        *under(
            "spec",
            (
                *under("podSelector", SELECTOR),
                "policyTypes[]",
                *under("ingress[].from[]", PEER),
                *under("ingress[].ports[]", POLICY_PORT),
                *under("egress[].to[]", PEER),
                *under("egress[].ports[]", POLICY_PORT),
            ),
        ),
    ),
}

PROTOCOLS = (("TCP", "UDP"), ("TCP", "UDP", "SCTP"))
POD_VALUES = {
    "containers[].imagePullPolicy": (("Always", "IfNotPresent", "Never"),) * 2,
    "containers[].ports[].protocol": PROTOCOLS,
    "containers[].env[].valueFrom.fieldRef.fieldPath": (
        ("metadata.name", "metadata.namespace", "status.podIP", "status.hostIP", "spec.nodeName"),
        (
            "metadata.name",
            "metadata.namespace",
            "metadata.uid",
            "metadata.labels",
            "metadata.annotations",
            "spec.nodeName",
            "spec.serviceAccountName",
            "status.hostIP",
            "status.hostIPs",
            "status.podIP",
            "status.podIPs",
        ),
    ),
    "containers[].env[].valueFrom.fieldRef.apiVersion": (("v1",), ("v1",)),
    "restartPolicy": (("Always", "OnFailure", "Never"),) * 2,
    "dnsPolicy": (("ClusterFirst",), ("ClusterFirst", "ClusterFirstWithHostNet", "Default", "None")),
}
# Per kind and path pattern: (values Podpath implements, values Kubernetes accepts or None for any).
VALUES: dict[str, dict[str, tuple[tuple[str, ...], tuple[str, ...] | None]]] = {
    "Pod": {f"spec.{path}": values for path, values in POD_VALUES.items()},
    "Deployment": {
        **{f"spec.template.spec.{path}": values for path, values in POD_VALUES.items()},
        "spec.strategy.type": (("RollingUpdate", "Recreate"),) * 2,
    },
    "Service": {
        "spec.type": (
            ("ClusterIP", "NodePort", "LoadBalancer"),
            ("ClusterIP", "NodePort", "LoadBalancer", "ExternalName"),
        ),
        "spec.ports[].protocol": PROTOCOLS,
        "spec.sessionAffinity": (("None", "ClientIP"),) * 2,
        "spec.externalTrafficPolicy": (("Cluster", "Local"),) * 2,
        "spec.internalTrafficPolicy": (("Cluster",), ("Cluster", "Local")),
        "spec.ipFamilyPolicy": (("SingleStack",), ("SingleStack", "PreferDualStack", "RequireDualStack")),
        "spec.ipFamilies[]": (("IPv4",), ("IPv4", "IPv6")),
    },
    "Secret": {"type": (("kubernetes.io/tls",), None)},
    "Ingress": {"spec.rules[].http.paths[].pathType": (("Exact", "Prefix", "ImplementationSpecific"),) * 2},
    "NetworkPolicy": {
        "spec.policyTypes[]": (("Ingress", "Egress"),) * 2,
        "spec.ingress[].ports[].protocol": PROTOCOLS,
        "spec.egress[].ports[].protocol": PROTOCOLS,
    },
}

# Gateway API kinds: their subset lives with them.
SUPPORTED |= GATEWAY_SUPPORTED
VALUES |= GATEWAY_VALUES


def compile_tree(paths: tuple[str, ...]) -> dict[str, Any]:
    """Turn dotted paths into a tree of allowed keys; ``[]`` and ``*`` become child keys of their own."""
    tree: dict[str, Any] = {}
    for path in paths:
        node = tree
        for part in re.findall(r"[^.\[\]]+|\[\]", path):
            node = node.setdefault(part, {})
    return tree


TREES = {kind: compile_tree(("apiVersion", "kind", *paths)) for kind, paths in SUPPORTED.items()}


def check_subset(obj: dict[str, Any], kind: str) -> list[Problem]:
    """Return a problem for every field or value of the object that Podpath does not implement."""
    problems: list[Problem] = []
    walk(obj, TREES[kind], (), "", VALUES.get(kind, {}), problems)
    return problems


def walk(
    value: Any,
    node: dict[str, Any],
    path: Path,
    pattern: str,
    values: dict[str, tuple[tuple[str, ...], tuple[str, ...] | None]],
    problems: list[Problem],
) -> None:
    """Check one value against its node of the tree, recording problems."""
    if not node:
        if pattern in values and isinstance(value, str):
            check_value(value, *values[pattern], path, problems)
        return
    if "[]" in node:
        for index, item in enumerate(value):
            walk(item, node["[]"], (*path, index), f"{pattern}[]", values, problems)
        return
    if "*" in node:
        return
    for key, child in value.items():
        where = f"{pattern}.{key}" if pattern else key
        if key not in node:
            if child not in ({}, []):
                problems.append(Problem((*path, key), "not supported by Podpath"))
            continue
        walk(child, node[key], (*path, key), where, values, problems)


def check_value(
    value: str, supported: tuple[str, ...], known: tuple[str, ...] | None, path: Path, problems: list[Problem]
) -> None:
    """Record a problem for a value outside the implemented ones, saying whether Kubernetes knows it."""
    if value in supported:
        return
    base = re.sub(r"\['[^']*'\]$", "", value)  # metadata.labels['app'] is a valid fieldPath
    if known is None or value in known or base in known:
        problems.append(
            Problem(path, f"{quote(value)} is not supported by Podpath (supported: {', '.join(supported)})")
        )
    else:
        problems.append(Problem(path, f"one of {', '.join(supported)}, got {quote(value)}"))
