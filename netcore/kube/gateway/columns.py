"""The columns ``kubectl get`` prints for the Gateway API kinds: the CRDs' additionalPrinterColumns."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from netcore.kube.columns import Columns, age


def condition_status(obj: dict[str, Any], kind: str) -> str:
    found = next((c for c in (obj.get("status") or {}).get("conditions") or [] if c.get("type") == kind), None)
    return str(found.get("status", "")) if found else ""


def gateway_class_row(obj: dict[str, Any], wide: bool, now: datetime) -> list[str]:
    spec = obj.get("spec") or {}
    cells = [obj["metadata"]["name"], spec.get("controllerName", ""), condition_status(obj, "Accepted"), age(obj, now)]
    return cells + ([spec.get("description", "")] if wide else [])


def gateway_row(obj: dict[str, Any], wide: bool, now: datetime) -> list[str]:
    addresses = (obj.get("status") or {}).get("addresses") or []
    return [
        obj["metadata"]["name"],
        (obj.get("spec") or {}).get("gatewayClassName", ""),
        addresses[0].get("value", "") if addresses else "",
        condition_status(obj, "Programmed"),
        age(obj, now),
    ]


def route_row(obj: dict[str, Any], wide: bool, now: datetime) -> list[str]:
    return [
        obj["metadata"]["name"],
        str((obj.get("spec") or {}).get("hostnames") or []).replace("'", '"'),
        age(obj, now),
    ]


def grant_row(obj: dict[str, Any], wide: bool, now: datetime) -> list[str]:
    return [obj["metadata"]["name"], age(obj, now)]


GATEWAY_COLUMNS: dict[str, Columns] = {
    "GatewayClass": Columns(("NAME", "CONTROLLER", "ACCEPTED", "AGE"), ("DESCRIPTION",), gateway_class_row),
    "Gateway": Columns(("NAME", "CLASS", "ADDRESS", "PROGRAMMED", "AGE"), (), gateway_row),
    "HTTPRoute": Columns(("NAME", "HOSTNAMES", "AGE"), (), route_row),
    "ReferenceGrant": Columns(("NAME", "AGE"), (), grant_row),
}
