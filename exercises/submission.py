"""Read what a student submits through the YAML editor, refusing it as a whole with field-precise errors.

Pure. A topology exercise takes a whole topology document (``hosts`` and ``links``, as in a lab
step's ``topology:``; a document wrapped in ``topology:`` is accepted too). A cluster exercise takes
Kubernetes manifests to apply, like ``kubectl apply -f``, and optionally one Podpath document that
switches the cluster's pod network, as ``podpath cni`` does:

    apiVersion: podpath.dev/v1
    kind: PodNetwork
    spec:
      mode: vxlan          # bridge | vxlan | nat
"""

from __future__ import annotations

from dataclasses import dataclass

import yaml

from labs.catalog import LabLoader
from netcore import yamlsafe
from netcore.errors import SpecError
from netcore.kube.cluster import CNI_MODES
from netcore.kube.manifests import load_documents
from netcore.kube.yamlio import dump_yaml
from netcore.topology.model import Topology
from netcore.topology.parse import parse_topology
from netcore.topology.reader import Node

POD_NETWORK_API = "podpath.dev/v1"
POD_NETWORK_KIND = "PodNetwork"


def topology_from_text(text: str, source: str, field: str = "") -> Topology:
    """Parse a submitted topology document; raise SpecError naming the field."""
    if not isinstance(text, str) or not text.strip():
        raise SpecError(source, field, "a topology document (hosts and links), got nothing")
    try:
        document = yamlsafe.load(text, LabLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        where = f"{field} ({where})" if field and where else field or where
        raise SpecError(source, where, f"valid YAML ({getattr(error, 'problem', error)})") from None
    if isinstance(document, dict) and set(document) == {"topology"}:
        document = document["topology"]
        field = f"{field}.topology" if field else "topology"
    return parse_topology(document, source, field)


@dataclass(frozen=True)
class Manifests:
    """A cluster submission: the manifests to apply (as text) and the pod network to switch to."""

    text: str  # the Kubernetes documents only; empty when there are none
    count: int  # how many Kubernetes objects
    cni: str | None  # the PodNetwork document's mode, if there is one


def manifests_from_text(text: str, source: str) -> Manifests:
    """Split a cluster submission into Kubernetes manifests and the optional PodNetwork document.

    Only the PodNetwork document is validated here; the manifests are validated by the API
    (``netcore.kube.documents.parse_manifests``) as ``kubectl apply`` would.
    """
    if not isinstance(text, str) or not text.strip():
        raise SpecError(source, "", "at least one document (Kubernetes manifests to apply), got nothing")
    documents = load_documents(text, source)
    networks = [(n, d) for n, d in enumerate(documents, 1) if d.get("kind") == POD_NETWORK_KIND]
    others = [d for d in documents if d.get("kind") != POD_NETWORK_KIND]
    if len(networks) > 1:
        raise SpecError(
            f"{source}: document {networks[1][0]} ({POD_NETWORK_KIND})",
            "kind",
            f"one {POD_NETWORK_KIND} document at most (also document {networks[0][0]})",
        )
    cni = (
        pod_network_mode(networks[0][1], f"{source}: document {networks[0][0]} ({POD_NETWORK_KIND})")
        if networks
        else None
    )
    if not others and cni is None:
        raise SpecError(source, "", "at least one document (Kubernetes manifests to apply), got none")
    # Without a PodNetwork document the text goes to the API as written, so errors number its documents.
    manifests = text if not networks else "---\n".join(dump_yaml(d) for d in others)
    return Manifests(manifests, len(others), cni)


def pod_network_mode(document: dict, source: str) -> str:
    root = Node(source, "", document)
    fields = root.mapping({"apiVersion", "kind", "metadata", "spec"}, required={"apiVersion", "spec"})
    if fields["apiVersion"].value != POD_NETWORK_API:
        got = fields["apiVersion"].value
        raise fields["apiVersion"].fail(f"{POD_NETWORK_API} for a {POD_NETWORK_KIND}, got {got!r}")
    spec = fields["spec"].mapping({"mode"}, required={"mode"})
    return spec["mode"].choice(CNI_MODES)
