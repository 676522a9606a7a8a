"""The Gateway API CRDs' validation rules (their CEL ``x-kubernetes-validations``), on defaulted objects.

Each check returns the problems the API server would report for one object, worded with the CRD's
own messages, so a manifest a real cluster refuses is refused here with the same reason. Run after
the schema and subset checks: shapes are already right.
"""

from __future__ import annotations

import ipaddress
import re
from collections import Counter
from typing import Any

from netcore.kube.fields import Path, Problem, quote

PATH_CHARACTERS = re.compile(r"^(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|[%][0-9a-fA-F]{2})+$")
PATH_FORBIDDEN = ("//", "/./", "/../", "%2f", "%2F", "#")
SINGLE_FILTERS = ("RequestHeaderModifier", "ResponseHeaderModifier", "RequestRedirect", "URLRewrite", "CORS")
FILTER_FIELDS = {
    "RequestHeaderModifier": "requestHeaderModifier",
    "ResponseHeaderModifier": "responseHeaderModifier",
    "RequestRedirect": "requestRedirect",
    "URLRewrite": "urlRewrite",
    "RequestMirror": "requestMirror",
    "ExtensionRef": "extensionRef",
    "CORS": "cors",
}


def check_gateway_class(obj: dict[str, Any]) -> list[Problem]:
    return []


def check_reference_grant(obj: dict[str, Any]) -> list[Problem]:
    return []


def check_gateway(obj: dict[str, Any]) -> list[Problem]:
    """The Gateway CRD's rules on listeners and addresses."""
    spec = obj.get("spec") or {}
    problems: list[Problem] = []
    listeners = spec.get("listeners") or []
    where: Path = ("spec", "listeners")
    names = Counter(listener.get("name") for listener in listeners)
    for index, listener in enumerate(listeners):
        at = (*where, index)
        protocol, tls = listener.get("protocol"), listener.get("tls")
        if names[listener.get("name")] > 1:
            problems.append(
                Problem(
                    (*at, "name"),
                    f"Listener name must be unique within the Gateway, got "
                    f"{quote(listener.get('name'))} more than once",
                )
            )
        if protocol in ("HTTP", "TCP", "UDP") and tls is not None:
            problems.append(
                Problem(
                    (*at, "tls"),
                    f"tls must not be specified for protocols ['HTTP', 'TCP', 'UDP'], got protocol {protocol}",
                )
            )
        if protocol == "HTTPS" and tls is not None and tls.get("mode", "Terminate") not in ("", "Terminate"):
            problems.append(
                Problem(
                    (*at, "tls", "mode"), f"tls mode must be Terminate for protocol HTTPS, got {quote(tls.get('mode'))}"
                )
            )
        if protocol == "TLS" and not (tls or {}).get("mode"):
            problems.append(Problem((*at, "tls", "mode"), "tls mode must be set for protocol TLS"))
        if protocol in ("TCP", "UDP") and listener.get("hostname"):
            problems.append(Problem((*at, "hostname"), "hostname must not be specified for protocols ['TCP', 'UDP']"))
        if (
            tls is not None
            and tls.get("mode") == "Terminate"
            and not tls.get("certificateRefs")
            and not tls.get("options")
        ):
            problems.append(
                Problem((*at, "tls"), "certificateRefs or options must be specified when mode is Terminate")
            )
    combos = Counter((item.get("port"), item.get("protocol"), item.get("hostname")) for item in listeners)
    for index, listener in enumerate(listeners):
        if combos[(listener.get("port"), listener.get("protocol"), listener.get("hostname"))] > 1:
            problems.append(
                Problem((*where, index), "Combination of port, protocol and hostname must be unique for each listener")
            )
    seen: set[str] = set()
    for index, address in enumerate(spec.get("addresses") or []):
        value = address.get("value")
        if address.get("type") == "IPAddress" and value is not None:
            try:
                ipaddress.ip_address(value)
            except ValueError:
                problems.append(
                    Problem(
                        ("spec", "addresses", index, "value"),
                        f"IPAddress values must be an IP address, got {quote(value)}",
                    )
                )
            if value in seen:
                problems.append(Problem(("spec", "addresses", index, "value"), "IPAddress values must be unique"))
            seen.add(value)
    return problems


def check_route(obj: dict[str, Any]) -> list[Problem]:
    """The HTTPRoute CRD's rules on parentRefs, matches, filters and backendRefs."""
    spec = obj.get("spec") or {}
    problems = check_parent_refs(spec.get("parentRefs") or [])
    rules = spec.get("rules") or []
    if sum(len(rule.get("matches") or []) for rule in rules) > 128:
        problems.append(
            Problem(
                ("spec", "rules"),
                "While 16 rules and 64 matches per rule are allowed, the total "
                "number of matches across all rules in a route must be less "
                "than 128",
            )
        )
    names = Counter(rule.get("name") for rule in rules if rule.get("name"))
    for index, rule in enumerate(rules):
        at: Path = ("spec", "rules", index)
        if rule.get("name") and names[rule["name"]] > 1:
            problems.append(Problem((*at, "name"), "Rule name must be unique within the route"))
        problems += check_rule(rule, at)
    return problems


def check_parent_refs(refs: list[dict[str, Any]]) -> list[Problem]:
    """Two references to one parent must each name a distinct sectionName (or port)."""
    problems = []
    identity = Counter((r.get("group"), r.get("kind"), r.get("namespace", ""), r.get("name")) for r in refs)
    full = Counter(
        (r.get("group"), r.get("kind"), r.get("namespace", ""), r.get("name"), r.get("sectionName", ""), r.get("port"))
        for r in refs
    )
    for index, ref in enumerate(refs):
        parent = (ref.get("group"), ref.get("kind"), ref.get("namespace", ""), ref.get("name"))
        if identity[parent] > 1 and not ref.get("sectionName") and ref.get("port") is None:
            problems.append(
                Problem(
                    ("spec", "parentRefs", index),
                    "sectionName or port must be specified when "
                    "parentRefs includes 2 or more references to "
                    "the same parent",
                )
            )
        elif full[(*parent, ref.get("sectionName", ""), ref.get("port"))] > 1:
            problems.append(
                Problem(
                    ("spec", "parentRefs", index),
                    "sectionName or port must be unique when "
                    "parentRefs includes 2 or more references to "
                    "the same parent",
                )
            )
    return problems


def check_rule(rule: dict[str, Any], at: Path) -> list[Problem]:
    problems: list[Problem] = []
    matches = rule.get("matches") or []
    for index, match in enumerate(matches):
        problems += check_match(match, (*at, "matches", index))
    filters = rule.get("filters") or []
    problems += check_filters(filters, (*at, "filters"))
    backends = rule.get("backendRefs") or []
    if backends and any(f.get("type") == "RequestRedirect" for f in filters):
        problems.append(Problem((*at, "filters"), "RequestRedirect filter must not be used together with backendRefs"))
    for kind in ("requestRedirect", "urlRewrite"):
        if any(((f.get(kind) or {}).get("path") or {}).get("type") == "ReplacePrefixMatch" for f in filters):
            if len(matches) != 1 or (matches[0].get("path") or {}).get("type") != "PathPrefix":
                name = "RequestRedirect" if kind == "requestRedirect" else "URLRewrite"
                problems.append(
                    Problem(
                        (*at, "filters"),
                        f"When using {name} filter with path.replacePrefixMatch, "
                        f"exactly one PathPrefix match must be specified",
                    )
                )
    for index, backend in enumerate(backends):
        if backend.get("group", "") == "" and backend.get("kind", "Service") == "Service" and "port" not in backend:
            problems.append(Problem((*at, "backendRefs", index, "port"), "Must have port for Service reference"))
    return problems


def check_match(match: dict[str, Any], at: Path) -> list[Problem]:
    problems: list[Problem] = []
    path = match.get("path") or {}
    kind, value = path.get("type"), path.get("value", "/")
    if kind in ("Exact", "PathPrefix"):
        where = (*at, "path", "value")
        if not value.startswith("/"):
            problems.append(
                Problem(
                    where,
                    f"value must be an absolute path and start with '/' when type one of "
                    f"['Exact', 'PathPrefix'], got {quote(value)}",
                )
            )
        for bad in PATH_FORBIDDEN:
            if bad in value:
                problems.append(
                    Problem(
                        where, f"must not contain '{bad}' when type one of ['Exact', 'PathPrefix'], got {quote(value)}"
                    )
                )
        for bad in ("/..", "/."):
            if value.endswith(bad):
                problems.append(
                    Problem(
                        where, f"must not end with '{bad}' when type one of ['Exact', 'PathPrefix'], got {quote(value)}"
                    )
                )
        if value and not PATH_CHARACTERS.match(value):
            problems.append(
                Problem(
                    where,
                    f"must only contain valid characters (matching "
                    f"{PATH_CHARACTERS.pattern}) for types ['Exact', 'PathPrefix'], got "
                    f"{quote(value)}",
                )
            )
    for field in ("headers", "queryParams"):
        counts = Counter(
            item.get("name", "").lower() if field == "headers" else item.get("name") for item in match.get(field) or []
        )
        for index, item in enumerate(match.get(field) or []):
            key = item.get("name", "").lower() if field == "headers" else item.get("name")
            if counts[key] > 1:
                problems.append(
                    Problem(
                        (*at, field, index, "name"),
                        f"a name not already in this list, got {quote(item.get('name'))} again",
                    )
                )
    return problems


def check_filters(filters: list[dict[str, Any]], at: Path) -> list[Problem]:
    problems: list[Problem] = []
    types = Counter(f.get("type") for f in filters)
    if types["RequestRedirect"] and types["URLRewrite"]:
        problems.append(
            Problem(
                at, "May specify either httpRouteFilterRequestRedirect or httpRouteFilterRequestRewrite, but not both"
            )
        )
    for kind in SINGLE_FILTERS:
        if types[kind] > 1:
            problems.append(Problem(at, f"{kind} filter cannot be repeated"))
    for index, item in enumerate(filters):
        for kind, field in FILTER_FIELDS.items():
            if field in item and item.get("type") != kind:
                problems.append(
                    Problem((*at, index, field), f"filter.{field} must be nil if the filter.type is not {kind}")
                )
            if field not in item and item.get("type") == kind:
                problems.append(
                    Problem((*at, index, field), f"filter.{field} must be specified for {kind} filter.type")
                )
        for field in ("requestRedirect", "urlRewrite"):
            path = (item.get(field) or {}).get("path")
            if isinstance(path, dict):
                problems += check_path_modifier(path, (*at, index, field, "path"))
        for field in ("requestHeaderModifier", "responseHeaderModifier"):
            modifier = item.get(field) or {}
            for part in ("set", "add"):
                counts = Counter(h.get("name", "").lower() for h in modifier.get(part) or [])
                for number, header in enumerate(modifier.get(part) or []):
                    if counts[header.get("name", "").lower()] > 1:
                        problems.append(
                            Problem(
                                (*at, index, field, part, number, "name"),
                                f"a header name not already in this list, got {quote(header.get('name'))} again",
                            )
                        )
    return problems


def check_path_modifier(path: dict[str, Any], at: Path) -> list[Problem]:
    problems = []
    for kind, field in (("ReplaceFullPath", "replaceFullPath"), ("ReplacePrefixMatch", "replacePrefixMatch")):
        if path.get("type") == kind and field not in path:
            problems.append(Problem(at, f"{field} must be specified when type is set to '{kind}'"))
        if field in path and path.get("type") != kind:
            problems.append(Problem(at, f"type must be '{kind}' when {field} is set"))
    return problems


GATEWAY_CHECKS = {
    "GatewayClass": check_gateway_class,
    "Gateway": check_gateway,
    "HTTPRoute": check_route,
    "ReferenceGrant": check_reference_grant,
}
