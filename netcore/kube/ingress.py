"""The ingress controller as the cluster sees it: its system objects, which Ingresses it serves, and
their status (pure).

Every cluster runs ingress-nginx as its cloud manifest installs it: the namespace ``ingress-nginx``, the
Deployment and the LoadBalancer Service ``ingress-nginx-controller`` (port 80 ``http``, 443 ``https``;
``externalTrafficPolicy: Local``, so nginx sees the client's own address), and the default
IngressClass ``nginx`` (controller ``k8s.io/ingress-nginx``). The controller pod runs on node0, the
control-plane node, as kind's manifest pins it there; its Service asks for ``INGRESS_ADDRESS``, outside
the range other LoadBalancers are handed, so the talk's LoadBalancer keeps 203.0.113.10.

Which Ingresses the controller serves follows Kubernetes and ingress-nginx: the API server's
DefaultIngressClass admission writes the default class into a new Ingress that names none
(``admit_ingress``), and the controller then serves an Ingress whose ``ingressClassName`` names an
IngressClass with its controller, or, with no class, whose legacy ``kubernetes.io/ingress.class``
annotation says ``nginx``. Anything else (a foreign class, a class that does not exist, no class at
all) is ignored and never gets an address. The compiler (``netcore.kube.compile.ingress``) turns the
served Ingresses into nginx's configuration.
"""

from __future__ import annotations

from netcore.errors import SpecError
from netcore.kube.defaults import apply_defaults

INGRESS_NAMESPACE = "ingress-nginx"
CONTROLLER_NAME = "ingress-nginx-controller"
INGRESS_IMAGE = "podpath/ingress-nginx"
INGRESS_CONTROLLER = "k8s.io/ingress-nginx"
INGRESS_CLASS = "nginx"
INGRESS_ADDRESS = "203.0.113.2"
CONTROLLER_NODE = "node0"
DEFAULT_CLASS_ANNOTATION = "ingressclass.kubernetes.io/is-default-class"
LEGACY_CLASS_ANNOTATION = "kubernetes.io/ingress.class"
LABELS = {"app.kubernetes.io/name": "ingress-nginx", "app.kubernetes.io/instance": "ingress-nginx"}
CONTROLLER_LABELS = {**LABELS, "app.kubernetes.io/component": "controller"}


def ingress_system_objects() -> list[dict]:
    """Objects installed with every cluster for the ingress controller (ingress-nginx's cloud manifest)."""
    objects = [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": INGRESS_NAMESPACE, "labels": dict(LABELS)}},
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "IngressClass",
            "metadata": {
                "name": INGRESS_CLASS,
                "labels": dict(CONTROLLER_LABELS),
                "annotations": {DEFAULT_CLASS_ANNOTATION: "true"},
            },
            "spec": {"controller": INGRESS_CONTROLLER},
        },
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": CONTROLLER_NAME, "namespace": INGRESS_NAMESPACE, "labels": dict(CONTROLLER_LABELS)},
            "spec": {
                "replicas": 1,
                "selector": {"matchLabels": dict(CONTROLLER_LABELS)},
                "template": {
                    "metadata": {"labels": dict(CONTROLLER_LABELS)},
                    # No containerPorts: in the "bad way" network they would be published on
                    # node0 like docker run -p, taking ports from the Pods the lab publishes.
                    "spec": {
                        "nodeName": CONTROLLER_NODE,
                        "containers": [{"name": "controller", "image": INGRESS_IMAGE}],
                    },
                },
            },
        },
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": CONTROLLER_NAME, "namespace": INGRESS_NAMESPACE, "labels": dict(CONTROLLER_LABELS)},
            "spec": {
                "type": "LoadBalancer",
                "externalTrafficPolicy": "Local",
                "loadBalancerIP": INGRESS_ADDRESS,
                "selector": dict(CONTROLLER_LABELS),
                "ports": [
                    {"name": "http", "port": 80, "targetPort": 80},
                    {"name": "https", "port": 443, "targetPort": 443},
                ],
            },
        },
    ]
    return [apply_defaults(obj) for obj in objects]


def is_ingress_system_object(obj: dict) -> bool:
    """Whether an object is part of the installed controller (a lab step never deletes it)."""
    meta = obj["metadata"]
    if obj["kind"] == "Namespace":
        return meta["name"] == INGRESS_NAMESPACE
    if obj["kind"] == "IngressClass":
        return meta["name"] == INGRESS_CLASS
    return meta.get("namespace") == INGRESS_NAMESPACE


# -- classes ------------------------------------------------------------------------------------------


def default_classes(cluster) -> list[dict]:
    return [
        c
        for c in cluster.list("IngressClass")
        if (c["metadata"].get("annotations") or {}).get(DEFAULT_CLASS_ANNOTATION) == "true"
    ]


def admit_ingress(cluster, ingress: dict) -> None:
    """On create, write the default IngressClass into an Ingress naming none (DefaultIngressClass admission)."""
    spec = ingress.get("spec")
    annotations = ingress.get("metadata", {}).get("annotations") or {}
    if (
        ingress.get("kind") != "Ingress"
        or not isinstance(spec, dict)
        or spec.get("ingressClassName")
        or LEGACY_CLASS_ANNOTATION in annotations
    ):
        return
    defaults = default_classes(cluster)
    if len(defaults) > 1:
        meta = ingress["metadata"]
        raise SpecError(
            f"Ingress {meta.get('namespace', 'default')}/{meta['name']}",
            "spec.ingressClassName",
            f"a class name: {len(defaults)} default IngressClasses were found "
            f"({', '.join(c['metadata']['name'] for c in defaults)}), only 1 allowed",
        )
    if defaults:
        spec["ingressClassName"] = defaults[0]["metadata"]["name"]


def keep_ingress_class(existing: dict, merged: dict) -> None:
    """An update that names no class keeps the one admission wrote (as kubectl apply's merge would)."""
    old = (existing.get("spec") or {}).get("ingressClassName")
    spec = merged.get("spec")
    if old and isinstance(spec, dict) and not spec.get("ingressClassName"):
        spec["ingressClassName"] = old


def is_served(cluster, ingress: dict) -> bool:
    """Whether ingress-nginx serves this Ingress: its class is one of ours (or, classless, the legacy
    annotation says nginx)."""
    name = (ingress.get("spec") or {}).get("ingressClassName")
    if name:
        ingress_class = cluster.get("IngressClass", "", name)
        return ingress_class is not None and ingress_class["spec"].get("controller") == INGRESS_CONTROLLER
    legacy = (ingress["metadata"].get("annotations") or {}).get(LEGACY_CLASS_ANNOTATION)
    return legacy == INGRESS_CLASS


def served_ingresses(cluster) -> list[dict]:
    """The Ingresses the controller serves, oldest first (on conflicting rules, the oldest wins)."""
    served = [i for i in cluster.list("Ingress") if is_served(cluster, i)]
    return sorted(
        served,
        key=lambda i: (i["metadata"].get("creationTimestamp", ""), i["metadata"]["namespace"], i["metadata"]["name"]),
    )


# -- status -------------------------------------------------------------------------------------------


def controller_addresses(cluster) -> list[dict]:
    """The controller Service's LoadBalancer entries, which ingress-nginx publishes on what it serves."""
    service = cluster.get("Service", INGRESS_NAMESPACE, CONTROLLER_NAME)
    if service is None:
        return []
    return [
        {"ip": entry["ip"]}
        for entry in service.get("status", {}).get("loadBalancer", {}).get("ingress", [])
        if entry.get("ip")
    ]


def derive_ingress_status(cluster) -> None:
    """Fill status.loadBalancer of the Ingresses the controller serves; others get an empty one."""
    addresses = controller_addresses(cluster)
    for ingress in cluster.list("Ingress"):
        served = addresses and is_served(cluster, ingress)
        ingress["status"] = {"loadBalancer": {"ingress": [dict(a) for a in addresses]} if served else {}}
