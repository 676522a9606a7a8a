"""The address placeholders of a cluster lab's commands to try, filled in from the cluster's objects (pure).

``{{pod:hello-world}}`` (the pod's IP), ``{{svc:hello-world-service}}`` (the ClusterIP),
``{{lb:hello-world}}`` (the LoadBalancer address), ``{{nodeport:hello-world}}`` (the first port's NodePort),
``{{node:1}}`` (node1's address). The player (web tier) and the agent both expand them.
"""

from __future__ import annotations

import re

from netcore.errors import NotFound
from netcore.kube import addresses
from netcore.kube.lookup import split_ref

PLACEHOLDER = re.compile(r"\{\{(pod|svc|lb|nodeport|node):([a-z0-9./-]+)\}\}")


def expand(command: str, cluster) -> str:
    """Fill in a command's address placeholders from the cluster's objects."""

    def value(match: re.Match) -> str:
        kind, ref = match.groups()
        if kind == "node":
            return addresses.node_address(int(ref))
        namespace, name = split_ref(ref)
        obj = cluster.get("Pod" if kind == "pod" else "Service", namespace, name)
        if obj is None:
            raise NotFound(f"{match.group(0)}: no {'pod' if kind == 'pod' else 'service'} {namespace}/{name}")
        if kind == "pod":
            return obj["status"]["podIP"]
        if kind == "svc":
            return obj["spec"]["clusterIP"]
        if kind == "lb":
            ingress = obj.get("status", {}).get("loadBalancer", {}).get("ingress", [])
            if not ingress:
                raise NotFound(f"{match.group(0)}: service {namespace}/{name} has no LoadBalancer address")
            return ingress[0]["ip"]
        return str(obj["spec"]["ports"][0]["nodePort"])

    return PLACEHOLDER.sub(value, command)
