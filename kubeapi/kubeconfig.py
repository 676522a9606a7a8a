"""A kubeconfig with one context per sandbox (pure): cluster ``podpath-<sandbox>`` at ``<server>/k8s/<sandbox>``."""

from __future__ import annotations

import base64
from dataclasses import dataclass

import yaml


@dataclass(frozen=True)
class Context:
    sandbox: str
    user: str
    token: str


def render_kubeconfig(*, server: str, contexts: list[Context], ca_pem: bytes | None = None) -> str:
    """Return the kubeconfig YAML; the first context is the current one."""
    base = server.rstrip("/")
    clusters, users, entries = [], [], []
    for context in contexts:
        name = f"podpath-{context.sandbox}"
        cluster: dict = {"server": f"{base}/k8s/{context.sandbox}"}
        if ca_pem:
            cluster["certificate-authority-data"] = base64.b64encode(ca_pem).decode()
        clusters.append({"name": name, "cluster": cluster})
        users.append({"name": f"{context.user}@{name}", "user": {"token": context.token}})
        entries.append(
            {"name": name, "context": {"cluster": name, "user": f"{context.user}@{name}", "namespace": "default"}}
        )
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "preferences": {},
        "clusters": clusters,
        "users": users,
        "contexts": entries,
        "current-context": entries[0]["name"] if entries else "",
    }
    return yaml.safe_dump(config, sort_keys=False)
