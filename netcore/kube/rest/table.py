"""Server-side printing: ``kubectl get`` asks for a ``meta.k8s.io/v1`` Table and prints its columns (pure).

The cells are the CLI's (``netcore.kube.columns``; the Gateway API's in ``netcore.kube.gateway.columns``),
so ``kubectl get`` and ``podpath get`` print the same; the wide columns have priority 1, which kubectl
shows only with ``-o wide``. Each row carries the object's metadata, from which kubectl adds the NAMESPACE
column for ``-A`` and reads labels for ``--show-labels`` and ``-L``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from netcore.kube.columns import COLUMNS, Columns, age
from netcore.kube.gateway.columns import GATEWAY_COLUMNS
from netcore.kube.kinds import Kind

GENERIC = Columns(("NAME", "AGE"), (), lambda obj, wide, now: [obj["metadata"]["name"], age(obj, now)])


ACRONYMS = {"IP", "OS"}


def column_name(header: str) -> str:
    """Kubernetes' column names are capitalised words (``Cluster-IP``, ``Nominated Node``); kubectl upper-cases."""

    def word(part: str) -> str:
        return part if part in ACRONYMS else part.capitalize()

    return " ".join("-".join(word(part) for part in piece.split("-")) for piece in header.split(" "))


def table_object(
    kind: Kind, objects: list[dict[str, Any]], *, now: datetime, resource_version: str, include_object: str = "Metadata"
) -> dict[str, Any]:
    """Return the Table of ``objects``, with the metadata (or the whole object, or nothing) in each row."""
    columns = COLUMNS.get(kind.kind) or GATEWAY_COLUMNS.get(kind.kind, GENERIC)  # the CRDs' printer columns
    definitions = [
        {"name": column_name(h), "type": "string", "format": "name" if n == 0 else "", "description": "", "priority": 0}
        for n, h in enumerate(columns.headers)
    ]
    definitions += [
        {"name": column_name(h), "type": "string", "format": "", "description": "", "priority": 1} for h in columns.wide
    ]
    rows = []
    for obj in objects:
        cells = columns.row(obj, True, now)
        row: dict[str, Any] = {"cells": cells + [""] * (len(definitions) - len(cells))}
        if include_object == "Object":
            row["object"] = obj
        elif include_object != "None":
            row["object"] = {
                "kind": "PartialObjectMetadata",
                "apiVersion": "meta.k8s.io/v1",
                "metadata": obj.get("metadata", {}),
            }
        rows.append(row)
    return {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": {"resourceVersion": resource_version},
        "columnDefinitions": definitions,
        "rows": rows,
    }
