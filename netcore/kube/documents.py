"""Manifests as kubectl apply reads them: parse, validate and default every document, pure.

Separate from ``netcore.kube.api`` (which drives the kernel) so the web tier, which reads lab and
exercise files on any machine, can check manifests without importing the kernel side.
"""

from __future__ import annotations

from netcore.errors import SpecError
from netcore.kube import images, manifests
from netcore.kube.defaults import apply_defaults
from netcore.kube.kinds import BY_KIND


def parse_manifests(text: str, source: str, namespace: str | None = None) -> list[dict]:
    """Parse, validate and default every document; raise on the first invalid one (nothing applied)."""
    return [checked.obj for checked in check_manifests(text, source, namespace)]


def check_manifests(text: str, source: str, namespace: str | None = None) -> list[manifests.Checked]:
    """Parse, validate and default every document, each with its warnings; raise on the first invalid one.

    ``namespace`` is kubectl's ``-n``: documents naming no namespace go there, and one naming another is
    refused, as kubectl refuses it."""
    documents = manifests.load_documents(text, source)
    if namespace is not None:
        place_in_namespace(documents, namespace, source)
    checked = [
        manifests.Checked(apply_defaults(obj), warnings)
        for obj, warnings in manifests.check_documents(documents, source)
    ]
    for index, (obj, _) in enumerate(checked):
        pod = pod_template(obj)
        if pod is not None:
            try:
                images.check_pod(pod)
            except SpecError as error:
                where = (
                    f"{source}: document {index + 1} ({obj['kind']} {obj['metadata'].get('namespace', 'default')}/"
                    f"{obj['metadata']['name']})"
                )
                field = error.field if obj["kind"] == "Pod" else f"spec.template.{error.field}"
                raise SpecError(where, field, error.expected) from None
    return checked


def place_in_namespace(documents: list[dict], namespace: str, source: str) -> None:
    """Give namespaced documents without a namespace ``namespace``; refuse one naming another (kubectl -n)."""
    for number, document in enumerate(documents, 1):
        written_kind = document.get("kind")
        kind = BY_KIND.get(written_kind) if isinstance(written_kind, str) else None
        meta = document.get("metadata")
        if kind is None or not kind.namespaced or not isinstance(meta, dict):
            continue
        written = meta.get("namespace")
        if written in (None, ""):
            meta["namespace"] = namespace
        elif written != namespace:
            raise SpecError(
                f"{source}: document {number}{manifests.label(document)}",
                "metadata.namespace",
                f'the namespace given with -n ("{namespace}"), got "{written}" (you must pass '
                f"'--namespace={written}' to perform this operation)",
            )


def pod_template(obj: dict) -> dict | None:
    """The pod a Pod or a workload describes, for the image checks."""
    if obj["kind"] == "Pod":
        return obj
    if obj["kind"] in ("Deployment", "ReplicaSet", "ReplicationController", "DaemonSet", "StatefulSet"):
        return {"metadata": obj["spec"]["template"].get("metadata", {}), "spec": obj["spec"]["template"]["spec"]}
    return None
