"""Finding a cluster's objects by the names people write: ``NS/NAME`` references and Service DNS names (pure)."""

from __future__ import annotations

CLUSTER_SUFFIX = ".svc.cluster.local"


def split_ref(ref: str) -> tuple[str, str]:
    """``ns/name`` or ``name`` (in ``default``) -> (namespace, name)."""
    namespace, _, name = ref.rpartition("/")
    return namespace or "default", name


def find_service(cluster, name: str, default_namespace: str = "default") -> dict | None:
    """The Service a DNS name means: ``svc``, ``svc.ns``, ``svc.ns.svc[.cluster.local][.]``; None otherwise."""
    if "/" in name:
        return None
    name = name.removesuffix(".").removesuffix(CLUSTER_SUFFIX).removesuffix(".svc")
    service, _, namespace = name.partition(".")
    if "." in namespace:
        return None
    return cluster.get("Service", namespace or default_namespace, service)
