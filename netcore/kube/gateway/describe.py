"""``kubectl describe`` for the Gateway API kinds: as kubectl describes custom resources.

kubectl has no page of its own for CRDs: it prints the metadata, then every field of ``spec`` and
``status`` with its name spelled out in words (``gatewayClassName`` is ``Gateway Class Name``), nested
by indentation, items of a list one after the other.
"""

from __future__ import annotations

import re
from typing import Any

from netcore.kube.describers import write_meta
from netcore.kube.tabwriter import Page

WORD = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")


def words(key: str) -> str:
    """``gatewayClassName`` -> ``Gateway Class Name``; ``attachedRoutes`` -> ``Attached Routes``."""
    return " ".join(part[:1].upper() + part[1:] for part in WORD.findall(key)) or key


def write_value(page: Page, level: int, key: str, value: Any) -> None:
    if isinstance(value, dict):
        page.write(level, f"{words(key)}:\n")
        for child, item in value.items():
            write_value(page, level + 1, child, item)
    elif isinstance(value, list):
        page.write(level, f"{words(key)}:\n")
        for item in value:
            if isinstance(item, dict):
                for child, inner in item.items():
                    write_value(page, level + 1, child, inner)
            else:
                page.write(level + 1, f"{item}\n")
    else:
        page.write(level, f"{words(key)}:\t{value}\n")


def describe_gateway_object(obj: dict[str, Any], related: dict[str, list[dict[str, Any]]]) -> str:
    """Describe a GatewayClass, Gateway, HTTPRoute or ReferenceGrant as kubectl describes a custom resource."""
    page = Page()
    write_meta(page, obj, namespaced=obj.get("kind") != "GatewayClass")
    page.write(0, f"API Version:\t{obj.get('apiVersion', '')}\n")
    page.write(0, f"Kind:\t{obj.get('kind', '')}\n")
    for section in ("spec", "status"):
        if obj.get(section):
            write_value(page, 0, section, obj[section])
    page.write(0, "Events:\t<none>\n")
    return page.render()


GATEWAY_DESCRIBERS = {
    kind: describe_gateway_object for kind in ("GatewayClass", "Gateway", "HTTPRoute", "ReferenceGrant")
}
