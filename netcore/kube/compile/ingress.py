"""Ingress objects -> the ingress controller's nginx configuration and certificate files (pure).

Placeholder until the Ingress work lands.
"""

from __future__ import annotations

INGRESS_IMAGE = "podpath/ingress-nginx"


def ingress_data(cluster, sandbox: str) -> tuple[tuple[str, str], ...]:
    """Sandbox data files the controller reads (written before it starts or reloads)."""
    return ()


def ingress_servers(pod: dict, host: str, sandbox: str) -> tuple:
    """The servers of the controller pod."""
    return ()
