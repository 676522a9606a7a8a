"""Manifests as kubectl apply reads them: parse, validate and default every document, pure.

Separate from ``netcore.kube.api`` (which drives the kernel) so the web tier, which reads lab and
exercise files on any machine, can check manifests without importing the kernel side.
"""

from __future__ import annotations

from netcore.errors import SpecError
from netcore.kube import images, manifests
from netcore.kube.defaults import apply_defaults


def parse_manifests(text: str, source: str) -> list[dict]:
    """Parse, validate and default every document; raise on the first invalid one (nothing applied)."""
    objects = [
        apply_defaults(obj) for obj in manifests.validate_objects(manifests.load_documents(text, source), source)
    ]
    for index, obj in enumerate(objects):
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
    return objects


def pod_template(obj: dict) -> dict | None:
    """The pod a Pod or Deployment describes, for the image checks."""
    if obj["kind"] == "Pod":
        return obj
    if obj["kind"] == "Deployment":
        return {"metadata": obj["spec"]["template"].get("metadata", {}), "spec": obj["spec"]["template"]["spec"]}
    return None
