"""Why a request goes where it goes through a Gateway, in words, for the packet walk (pure).

``explain_request`` answers, for a host and path sent to a Gateway's listener port: the Gateway and its
address (as a DNS record for the host would say), the listener that takes the request, the rule that
matches and, for every candidate tried before it, why it did not; the rule's filters; and its backends
with their share of requests. The walk then shows which backend nginx really connected to.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from netcore.kube.gateway.attach import resolve_gateways
from netcore.kube.gateway.checks import FILTER_FIELDS
from netcore.kube.gateway.match import ANY_HOST, Request, mismatch
from netcore.kube.gateway.routes import Target, VirtualHost, compile_gateway, select_host


@dataclass(frozen=True)
class Explanation:
    address: str
    gateway: str  # namespace/name
    listener: str
    notes: tuple[str, ...]


def flat(value: Any, prefix: str = "") -> list[str]:
    """``{"path": {"type": "ReplaceFullPath"}}`` -> ``["path.type=ReplaceFullPath"]``."""
    if isinstance(value, dict):
        return [text for key, item in value.items() for text in flat(item, f"{prefix}{key}.")]
    if isinstance(value, list):
        return (
            [f"{prefix[:-1]}={', '.join(map(str, value))}"]
            if value and not isinstance(value[0], dict)
            else [text for item in value for text in flat(item, prefix)]
        )
    return [f"{prefix[:-1]}={value}"]


def describe_filters(target: Target) -> list[str]:
    return [
        f"filter {item['type']} {' '.join(flat(item.get(FILTER_FIELDS.get(item['type'], ''), {})))}"
        for item in target.filters
    ]


def describe_backends(target: Target) -> str:
    total = sum(split.weight for split in target.splits) or 1
    parts = []
    for split in target.splits:
        name, _, why = split.about.partition(": ")  # "ns/svc:port" or "ns/svc:port: what is wrong with it"
        parts.append(
            f"{name} weight {split.weight} ({split.weight * 100 / total:.0f} %)"
            + (f": {why}, answers {split.status}" if split.status else "")
        )
    return "backends: " + "; ".join(parts)


def explain_host(host: VirtualHost, routes_target: Any, request: Request) -> list[str]:
    lines = [f"listener {host.listener}" + ("" if host.hostname == ANY_HOST else f", hostname {host.hostname}")]
    for candidate in host.candidates:
        problem = mismatch(candidate.match, request)
        where = f"{candidate.route} rule {candidate.rule} ({candidate.match.describe()})"
        if problem is None:
            target = routes_target(candidate.target)
            redirects = any("requestRedirect" in item for item in target.filters)
            return [
                *lines,
                f"matched {where}",
                *describe_filters(target),
                "the Gateway answers with the redirect" if redirects else describe_backends(target),
            ]
        lines.append(f"not {where}: {problem}")
    return [*lines, "no rule matches: the Gateway answers 404"]


def explain_request(
    cluster: Any, host: str, port: int, path: str = "/", method: str = "GET", headers: tuple[tuple[str, str], ...] = ()
) -> Explanation | None:
    """The Gateway that serves this host on this port, and how it routes the request; None if none names it."""
    world = resolve_gateways(cluster)
    request = Request(host, path, method, headers)
    for (namespace, name), gateway in sorted(world.gateways.items()):
        addresses = (gateway.obj.get("status") or {}).get("addresses") or []
        if not addresses:
            continue
        routes = compile_gateway(cluster, world, gateway)
        chosen = select_host(routes, port, host)
        if chosen is None or chosen.hostname == ANY_HOST:  # only a host a route or listener names
            continue
        return Explanation(
            addresses[0]["value"],
            f"{namespace}/{name}",
            chosen.listener,
            tuple(explain_host(chosen, routes.target, request)),
        )
    return None
