"""The ingress controller as the cluster sees it: its system objects and the status of Ingresses (pure).

Placeholder until the Ingress work lands: no controller objects, no Ingress status.
"""

from __future__ import annotations


def ingress_system_objects() -> list[dict]:
    """Objects installed with every cluster for the ingress controller."""
    return []


def derive_ingress_status(cluster) -> None:
    """Fill status.loadBalancer of the Ingresses the controller serves."""
