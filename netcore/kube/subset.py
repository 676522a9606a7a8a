"""The part of the Kubernetes API that Podpath implements, as data, and the check that names the rest.

Every manifest the API server accepts, Podpath accepts. ``SUPPORTED`` lists, per kind, every field path
Podpath acts on (``[]`` stands for each item of a list, ``*`` for any key of a free-form map). A field
outside the list is stored as written and named in a kubectl-style warning ("spec.containers[0].resources
is stored but has no effect in Podpath"), so a manifest never seems to work while part of it does
nothing. ``VALUES`` names, for some fields, the values Podpath implements beside the values Kubernetes
allows: an implemented value passes, another value Kubernetes allows is stored with a warning, and a value
Kubernetes does not know is an error. Empty mappings and lists (``resources: {}``, which kubectl's
generators write) request nothing and pass silently. Run after the schema check: the walk trusts the
shapes the schema has already checked.
"""

from __future__ import annotations

import re
from typing import Any

from netcore.kube.fields import Path, Problem, format_path, quote
from netcore.kube.gateway.subset import GATEWAY_SUPPORTED, GATEWAY_VALUES

LEAF: dict[str, Any] = {}
STORED_ONLY = "is stored but has no effect in Podpath"


def under(prefix: str, paths: tuple[str, ...]) -> tuple[str, ...]:
    """Return the paths with a common prefix."""
    return tuple(f"{prefix}.{path}" for path in paths)


METADATA = ("metadata.name", "metadata.namespace", "metadata.labels.*", "metadata.annotations.*")
SELECTOR = ("matchLabels.*", "matchExpressions[].key", "matchExpressions[].operator", "matchExpressions[].values")
ENV_REF = ("name", "key", "optional")
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
    *under("env[].valueFrom.configMapKeyRef", ENV_REF),
    *under("env[].valueFrom.secretKeyRef", ENV_REF),
    "envFrom[].prefix",
    "envFrom[].configMapRef.name",
    "envFrom[].configMapRef.optional",
    "envFrom[].secretRef.name",
    "envFrom[].secretRef.optional",
    "ports[].name",
    "ports[].containerPort",
    "ports[].protocol",
    "ports[].hostPort",
)
REQUIREMENT = ("key", "operator", "values")
NODE_TERMS = "affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[]"
POD_SPEC = (
    *under("containers[]", CONTAINER),
    "nodeName",
    "restartPolicy",
    "terminationGracePeriodSeconds",
    "hostname",
    "subdomain",
    "dnsPolicy",
    "nodeSelector.*",
    "hostNetwork",
    *under(f"{NODE_TERMS}.matchExpressions[]", REQUIREMENT),
    *under(f"{NODE_TERMS}.matchFields[]", REQUIREMENT),
)
SERVICE_BACKEND = ("service.name", "service.port.number", "service.port.name")
PEER = (*under("podSelector", SELECTOR), *under("namespaceSelector", SELECTOR), "ipBlock.cidr", "ipBlock.except")
POLICY_PORT = ("protocol", "port", "endPort")

TEMPLATE = (
    "spec.template.metadata.labels.*",
    "spec.template.metadata.annotations.*",
    *under("spec.template.spec", POD_SPEC),
)
ROLLING = ("maxSurge", "maxUnavailable")

SUPPORTED: dict[str, tuple[str, ...]] = {
    "Namespace": METADATA,
    "Pod": (*METADATA, *under("spec", POD_SPEC)),
    "Deployment": (
        *METADATA,
        "spec.replicas",
        *under("spec.selector", SELECTOR),
        *TEMPLATE,
        "spec.strategy.type",
        *under("spec.strategy.rollingUpdate", ROLLING),
        "spec.revisionHistoryLimit",
        "spec.progressDeadlineSeconds",
    ),
    "ReplicaSet": (*METADATA, "spec.replicas", *under("spec.selector", SELECTOR), *TEMPLATE),
    "ReplicationController": (*METADATA, "spec.replicas", "spec.selector.*", *TEMPLATE),
    "DaemonSet": (
        *METADATA,
        *under("spec.selector", SELECTOR),
        *TEMPLATE,
        "spec.updateStrategy.type",
        *under("spec.updateStrategy.rollingUpdate", ROLLING),
        "spec.revisionHistoryLimit",
    ),
    "StatefulSet": (
        *METADATA,
        "spec.replicas",
        *under("spec.selector", SELECTOR),
        *TEMPLATE,
        "spec.serviceName",
        "spec.podManagementPolicy",
        "spec.updateStrategy.type",
        "spec.revisionHistoryLimit",
        "spec.updateStrategy.rollingUpdate.partition",
        "spec.ordinals.start",
    ),
    # Stored for what reads them; Podpath has nothing more to do with them, so nothing to warn about.
    "ConfigMap": (*METADATA, "data.*", "binaryData.*", "immutable"),
    "ServiceAccount": (*METADATA, "secrets", "imagePullSecrets", "automountServiceAccountToken"),
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
                "externalName",
                "healthCheckNodePort",
                "externalIPs",
                "allocateLoadBalancerNodePorts",
                "loadBalancerSourceRanges",
            ),
        ),
    ),
    "Secret": (*METADATA, "type", "data.*", "stringData.*", "immutable"),
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

PROTOCOLS = (("TCP", "UDP", "SCTP"),) * 2
FIELD_PATHS = (
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
)
POD_VALUES = {
    "containers[].imagePullPolicy": (("Always", "IfNotPresent", "Never"),) * 2,
    "containers[].ports[].protocol": PROTOCOLS,
    "containers[].env[].valueFrom.fieldRef.fieldPath": (FIELD_PATHS,) * 2,
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
    "ReplicaSet": {f"spec.template.spec.{path}": values for path, values in POD_VALUES.items()},
    "ReplicationController": {f"spec.template.spec.{path}": values for path, values in POD_VALUES.items()},
    "DaemonSet": {
        **{f"spec.template.spec.{path}": values for path, values in POD_VALUES.items()},
        "spec.updateStrategy.type": (("RollingUpdate", "OnDelete"),) * 2,
    },
    "StatefulSet": {
        **{f"spec.template.spec.{path}": values for path, values in POD_VALUES.items()},
        "spec.podManagementPolicy": (("OrderedReady", "Parallel"),) * 2,
        # Podpath replaces every pod of an old template at once, as OnDelete would not.
        "spec.updateStrategy.type": (("RollingUpdate",), ("RollingUpdate", "OnDelete")),
    },
    "Service": {
        "spec.type": (("ClusterIP", "NodePort", "LoadBalancer", "ExternalName"),) * 2,
        "spec.ports[].protocol": PROTOCOLS,
        "spec.sessionAffinity": (("None", "ClientIP"),) * 2,
        "spec.externalTrafficPolicy": (("Cluster", "Local"),) * 2,
        "spec.internalTrafficPolicy": (("Cluster", "Local"),) * 2,
        # An IPv4-only cluster: the API server refuses what needs IPv6, and gives PreferDualStack one family.
        "spec.ipFamilyPolicy": (("SingleStack", "PreferDualStack"),) * 2,
        "spec.ipFamilies[]": (("IPv4",),) * 2,
    },
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
# Annotations that configure a controller Podpath emulates only in part: ingress-nginx's own (rewrites,
# redirects, affinity, ...) are kept but do nothing, so they are named like fields.
STORED_ANNOTATIONS = {"Ingress": "nginx.ingress.kubernetes.io/"}


def check_subset(obj: dict[str, Any], kind: str) -> tuple[list[Problem], list[str]]:
    """Return the object's errors (values Kubernetes does not know) and one warning per field or value
    that is stored but not implemented, in document order."""
    problems: list[Problem] = []
    warnings: list[str] = []
    if kind in TREES:
        walk(obj, TREES[kind], (), "", VALUES.get(kind, {}), problems, warnings)
    prefix = STORED_ANNOTATIONS.get(kind)
    for key in (obj.get("metadata") or {}).get("annotations") or {}:
        if prefix and key.startswith(prefix):
            warnings.append(f"{format_path(('metadata', 'annotations', key))} {STORED_ONLY}")
    return problems, warnings


def walk(
    value: Any,
    node: dict[str, Any],
    path: Path,
    pattern: str,
    values: dict[str, tuple[tuple[str, ...], tuple[str, ...] | None]],
    problems: list[Problem],
    warnings: list[str],
) -> None:
    """Check one value against its node of the tree, recording problems and warnings."""
    if not node:
        if pattern in values and isinstance(value, str):
            check_value(value, *values[pattern], path, problems, warnings)
        return
    if "[]" in node:
        for index, item in enumerate(value):
            walk(item, node["[]"], (*path, index), f"{pattern}[]", values, problems, warnings)
        return
    if "*" in node:
        return
    for key, child in value.items():
        where = f"{pattern}.{key}" if pattern else key
        if key not in node:
            if child not in ({}, []):
                warnings.append(f"{format_path((*path, key))} {STORED_ONLY}")
            continue
        walk(child, node[key], (*path, key), where, values, problems, warnings)


def check_value(
    value: str,
    supported: tuple[str, ...],
    known: tuple[str, ...] | None,
    path: Path,
    problems: list[Problem],
    warnings: list[str],
) -> None:
    """Pass an implemented value, warn about a stored-only one, and record a problem for an unknown one."""
    base = re.sub(r"\['[^']*'\]$", "", value)  # metadata.labels['app'] is a valid fieldPath
    if value in supported or base in supported:
        return
    if known is None or value in known or base in known:  # None: Kubernetes takes any value here
        # With one implemented value, Podpath behaves as if that were written; with several, it cannot say.
        instead = f" (it acts as {quote(supported[0])})" if len(supported) == 1 else ""
        warnings.append(f"{format_path(path)} {quote(value)} {STORED_ONLY}{instead}")
    else:
        problems.append(Problem(path, f"one of {', '.join(known)}, got {quote(value)}"))
