"""The kinds of object Podpath's API surface serves, and every name kubectl users call them by.

The command line resolves `podpath get svc` or `deployments.apps` through ``resolve_kind``; manifests
name their kind by apiVersion and kind, resolved through ``kind_of``. Derived kinds (nodes, endpoints)
are listed so they can be read, and marked read-only so no manifest can create them.
"""

from __future__ import annotations

from dataclasses import dataclass

from netcore.errors import NotFound, SpecError
from netcore.kube.fields import quote


@dataclass(frozen=True)
class Kind:
    """One kind of object: its API coordinates and its names on the command line."""

    kind: str
    group: str
    version: str
    plural: str
    singular: str
    short_names: tuple[str, ...] = ()
    namespaced: bool = True
    read_only: bool = False
    legacy_api_versions: tuple[str, ...] = ()  # accepted in manifests, converted on input
    stored_only: bool = False  # accepted and kept, with a warning: nothing in Podpath acts on it

    @property
    def api_version(self) -> str:
        """Return the apiVersion objects of this kind carry, like ``apps/v1``."""
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def resource(self) -> str:
        """Return kubectl's full resource name, like ``deployments.apps`` (``pods`` in the core group)."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    def names(self) -> tuple[str, ...]:
        """Return every lower-case name this kind answers to on the command line."""
        return (self.plural, self.singular, self.kind.lower(), *self.short_names)


def stored_only(
    kind: str,
    group: str,
    version: str,
    plural: str,
    singular: str,
    short_names: tuple[str, ...] = (),
    namespaced: bool = True,
) -> Kind:
    """A kind real manifests carry that Podpath accepts and keeps, with a warning: nothing here acts on it."""
    return Kind(kind, group, version, plural, singular, short_names, namespaced=namespaced, stored_only=True)


KINDS: tuple[Kind, ...] = (
    Kind("Namespace", "", "v1", "namespaces", "namespace", ("ns",), namespaced=False),
    Kind("Node", "", "v1", "nodes", "node", ("no",), namespaced=False, read_only=True),
    Kind("Pod", "", "v1", "pods", "pod", ("po",)),
    Kind("Deployment", "apps", "v1", "deployments", "deployment", ("deploy",)),
    Kind("ReplicaSet", "apps", "v1", "replicasets", "replicaset", ("rs",)),
    Kind("ReplicationController", "", "v1", "replicationcontrollers", "replicationcontroller", ("rc",)),
    Kind("DaemonSet", "apps", "v1", "daemonsets", "daemonset", ("ds",)),
    Kind("StatefulSet", "apps", "v1", "statefulsets", "statefulset", ("sts",)),
    Kind("Service", "", "v1", "services", "service", ("svc",)),
    Kind("Endpoints", "", "v1", "endpoints", "endpoints", ("ep",), read_only=True),
    Kind("EndpointSlice", "discovery.k8s.io", "v1", "endpointslices", "endpointslice", read_only=True),
    Kind(
        "Ingress",
        "networking.k8s.io",
        "v1",
        "ingresses",
        "ingress",
        ("ing",),
        legacy_api_versions=("extensions/v1beta1", "networking.k8s.io/v1beta1"),
    ),
    Kind("IngressClass", "networking.k8s.io", "v1", "ingressclasses", "ingressclass", namespaced=False),
    Kind("NetworkPolicy", "networking.k8s.io", "v1", "networkpolicies", "networkpolicy", ("netpol",)),
    Kind("Secret", "", "v1", "secrets", "secret"),
    Kind("ConfigMap", "", "v1", "configmaps", "configmap", ("cm",)),
    Kind("ServiceAccount", "", "v1", "serviceaccounts", "serviceaccount", ("sa",)),
    # Gateway API (netcore.kube.gateway): CRDs on a real cluster, built in here.
    Kind(
        "GatewayClass", "gateway.networking.k8s.io", "v1", "gatewayclasses", "gatewayclass", ("gc",), namespaced=False
    ),
    Kind("Gateway", "gateway.networking.k8s.io", "v1", "gateways", "gateway", ("gtw",)),
    Kind("HTTPRoute", "gateway.networking.k8s.io", "v1", "httproutes", "httproute"),
    Kind("ReferenceGrant", "gateway.networking.k8s.io", "v1beta1", "referencegrants", "referencegrant", ("refgrant",)),
    # Kinds real manifests carry beside the ones above (RBAC, storage, autoscaling, ...): the API server
    # accepts them, so Podpath stores them, checked against their schema, and says they do nothing here.
    stored_only("Job", "batch", "v1", "jobs", "job"),
    stored_only("CronJob", "batch", "v1", "cronjobs", "cronjob", ("cj",)),
    stored_only("PersistentVolumeClaim", "", "v1", "persistentvolumeclaims", "persistentvolumeclaim", ("pvc",)),
    stored_only("PersistentVolume", "", "v1", "persistentvolumes", "persistentvolume", ("pv",), namespaced=False),
    stored_only("StorageClass", "storage.k8s.io", "v1", "storageclasses", "storageclass", ("sc",), namespaced=False),
    stored_only(
        "HorizontalPodAutoscaler", "autoscaling", "v2", "horizontalpodautoscalers", "horizontalpodautoscaler", ("hpa",)
    ),
    stored_only("PodDisruptionBudget", "policy", "v1", "poddisruptionbudgets", "poddisruptionbudget", ("pdb",)),
    stored_only("Role", "rbac.authorization.k8s.io", "v1", "roles", "role"),
    stored_only("RoleBinding", "rbac.authorization.k8s.io", "v1", "rolebindings", "rolebinding"),
    stored_only("ClusterRole", "rbac.authorization.k8s.io", "v1", "clusterroles", "clusterrole", namespaced=False),
    stored_only(
        "ClusterRoleBinding",
        "rbac.authorization.k8s.io",
        "v1",
        "clusterrolebindings",
        "clusterrolebinding",
        namespaced=False,
    ),
    stored_only("LimitRange", "", "v1", "limitranges", "limitrange", ("limits",)),
    stored_only("ResourceQuota", "", "v1", "resourcequotas", "resourcequota", ("quota",)),
    stored_only(
        "PriorityClass", "scheduling.k8s.io", "v1", "priorityclasses", "priorityclass", ("pc",), namespaced=False
    ),
)

BY_KIND: dict[str, Kind] = {kind.kind: kind for kind in KINDS}


def supported_resources() -> str:
    """List the resource names with their short names, for error messages."""
    return ", ".join(
        f"{kind.plural} ({', '.join(kind.short_names)})" if kind.short_names else kind.plural for kind in KINDS
    )


def resolve_kind(text: str) -> Kind:
    """Return the kind a kubectl resource argument names: ``po``, ``pods.v1``, ``deployments.v1.apps``."""
    name, _, qualifier = text.strip().partition(".")
    for kind in KINDS:
        if name.lower() in kind.names() and qualifier_matches(kind, qualifier):
            return kind
    raise NotFound(f'the server doesn\'t have a resource type "{text}" (Podpath supports: {supported_resources()})')


def qualifier_matches(kind: Kind, qualifier: str) -> bool:
    """Tell whether what follows the first dot names this kind's group, version, or both."""
    if not qualifier:
        return True
    accepted = {kind.version, f"{kind.version}.{kind.group}"}
    if kind.group:
        accepted.add(kind.group)
    else:
        accepted.add(f"{kind.version}.")  # kubectl's spelling of the core group: pods.v1.
    return qualifier in accepted


def kind_of(api_version: str, kind: str, *, source: str = "manifest") -> Kind:
    """Return the kind a manifest's apiVersion and kind name, or refuse an unsupported pair."""
    found = BY_KIND.get(kind) if isinstance(kind, str) else None
    if found is None:
        names = ", ".join(sorted(BY_KIND))
        raise SpecError(source, "kind", f"a kind Podpath supports ({names}), got {quote(kind)}")
    if api_version == found.api_version or api_version in found.legacy_api_versions:
        return found
    accepted = " or ".join((found.api_version, *found.legacy_api_versions))
    raise SpecError(source, "apiVersion", f"{accepted} for kind {found.kind}, got {quote(api_version)}")
