"""Names the cluster derives: pod and ReplicaSet suffixes, hosts of pods, interface names, nodes.

Pure and deterministic: the same cluster objects always give the same names, so re-applying a
manifest or stepping a lab back and forth rebuilds nothing that did not change. Suffixes use the
alphabet Kubernetes uses for generated names (no vowels, no confusable digits).
"""

from __future__ import annotations

import hashlib
import json
import re

SAFE_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
MAX_HOST = 32


def digest(*parts: str) -> bytes:
    return hashlib.sha256("\0".join(parts).encode()).digest()


def safe_suffix(length: int, *parts: str) -> str:
    """Return ``length`` characters of Kubernetes' generated-name alphabet derived from ``parts``."""
    value = int.from_bytes(digest(*parts), "big")
    out = []
    for _ in range(length):
        value, index = divmod(value, len(SAFE_ALPHABET))
        out.append(SAFE_ALPHABET[index])
    return "".join(out)


def node_name(index: int) -> str:
    """Nodes are node0, node1, ...: node N owns the pod range 10.244.N.0/24."""
    return f"node{index}"


def pod_host(namespace: str, name: str, taken: set[str]) -> str:
    """Return the Podpath host (namespace suffix) of a pod: readable when it fits, unique always."""
    readable = re.sub(r"[^a-z0-9-]", "-", f"{namespace}-{name}").strip("-")
    readable = re.sub(r"-{2,}", "-", readable)
    if len(readable) <= MAX_HOST and readable not in taken:
        return readable
    short = re.sub(r"-{2,}", "-", readable[: MAX_HOST - 7].strip("-"))
    return f"{short}-{digest(namespace, name).hex()[:6]}"


def pod_veth(namespace: str, name: str) -> str:
    """The node's end of a pod's veth pair, named like the CNI plugins do (veth + 8 hex)."""
    return "veth" + digest(namespace, name).hex()[:8]


def template_hash(template: dict) -> str:
    """A Deployment template's hash, as the pod-template-hash label (10 safe characters)."""
    return safe_suffix(10, json.dumps(template, sort_keys=True, separators=(",", ":")))
