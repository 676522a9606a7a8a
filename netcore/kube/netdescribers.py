"""``kubectl describe`` pages for networking kinds: Service, Endpoints, Ingress, IngressClass, Secret, NetworkPolicy.

Ported from kubectl's describers with their wording: a Service lists each port with the endpoints
behind it, an Ingress its rules as a Host/Path/Backends table, a NetworkPolicy its rules in words
("Allowing ingress traffic: To Port: 6379/TCP From: PodSelector: role=frontend"). ``related`` brings the
objects kubectl would fetch, by kind: EndpointSlices (picked by their kubernetes.io/service-name label,
as current kubectl does; given only Endpoints, older kubectl's output) and an Ingress's Services.
"""

from __future__ import annotations

import base64
from typing import Any

from netcore.kube.columns import format_endpoints, load_balancer_addresses, parse_time
from netcore.kube.describers import write_annotations, write_labels, write_meta
from netcore.kube.selectors import format_label_selector, format_labels
from netcore.kube.tabwriter import Page

Related = dict[str, list[dict[str, Any]]]


def named(objects: list[dict[str, Any]], name: str) -> dict[str, Any] | None:
    """Return the object with this name, or None."""
    return next((obj for obj in objects if (obj.get("metadata") or {}).get("name") == name), None)


def slices_of(service_name: str, related: Related) -> list[dict[str, Any]] | None:
    """Return a Service's EndpointSlices (labelled kubernetes.io/service-name), or None when none were given."""
    if "EndpointSlice" not in related:
        return None
    return [
        s
        for s in related["EndpointSlice"]
        if ((s.get("metadata") or {}).get("labels") or {}).get("kubernetes.io/service-name") == service_name
    ]


def format_endpoint_slices(slices: list[dict[str, Any]], port_names: set[str] | None) -> str:
    """Format ready endpoints as ``ip:port``, cut to three, exactly as kubectl's formatEndpointSlices."""
    if not slices:
        return "<none>"
    items: list[str] = []
    more, count = False, 0
    for endpoint_slice in slices:
        ports = endpoint_slice.get("ports") or []
        chosen = [None] if not ports else [p for p in ports if port_names is None or p.get("name", "") in port_names]
        for port in chosen:
            for endpoint in endpoint_slice.get("endpoints") or []:
                more = more or len(items) == 3  # checked before readiness, as kubectl does
                if not (endpoint.get("conditions") or {}).get("ready", True) or not endpoint.get("addresses"):
                    continue
                address = endpoint["addresses"][0]
                if not more:
                    items.append(address if port is None else join_host_port(address, port.get("port")))
                count += 1
    text = ",".join(items)
    return f"{text} + {count - 3} more..." if more else text


def join_host_port(host: str, port: Any) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def describe_service(service: dict[str, Any], related: Related) -> str:
    """Describe a Service: addresses, and each port with its endpoints."""
    spec, status = service.get("spec") or {}, service.get("status") or {}
    name = (service.get("metadata") or {}).get("name", "")
    page = Page()
    write_meta(page, service)
    page.write(0, f"Selector:\t{format_labels(spec.get('selector'))}\n")
    page.write(0, f"Type:\t{spec.get('type', '')}\n")
    if spec.get("ipFamilyPolicy"):
        page.write(0, f"IP Family Policy:\t{spec['ipFamilyPolicy']}\n")
    page.write(0, f"IP Families:\t{','.join(spec.get('ipFamilies') or []) or '<none>'}\n")
    page.write(0, f"IP:\t{spec.get('clusterIP', '')}\n")
    page.write(0, f"IPs:\t{','.join(spec.get('clusterIPs') or []) or '<none>'}\n")
    if spec.get("loadBalancerIP"):
        page.write(0, f"Desired LoadBalancer IP:\t{spec['loadBalancerIP']}\n")
    ingress = (status.get("loadBalancer") or {}).get("ingress") or []
    if ingress:
        page.write(0, f"LoadBalancer Ingress:\t{', '.join(e.get('ip') or e.get('hostname', '') for e in ingress)}\n")
    slices = slices_of(name, related)
    endpoints = named(related.get("Endpoints") or [], name)
    for port in spec.get("ports") or []:
        port_name, protocol = port.get("name") or "", port.get("protocol", "TCP")
        page.write(0, f"Port:\t{port_name or '<unset>'}\t{port.get('port')}/{protocol}\n")
        page.write(0, f"TargetPort:\t{port.get('targetPort', port.get('port'))}/{protocol}\n")
        if port.get("nodePort"):
            page.write(0, f"NodePort:\t{port_name or '<unset>'}\t{port['nodePort']}/{protocol}\n")
        shown = (
            format_endpoint_slices(slices, {port_name})
            if slices is not None
            else format_endpoints(endpoints, {port_name})
        )
        page.write(0, f"Endpoints:\t{shown}\n")
    if not spec.get("ports") and slices is None:  # kubectl before EndpointSlices printed this line
        page.write(0, f"Endpoints:\t{format_endpoints(endpoints, None)}\n")
    page.write(0, f"Session Affinity:\t{spec.get('sessionAffinity', '')}\n")
    if spec.get("externalTrafficPolicy"):
        page.write(0, f"External Traffic Policy:\t{spec['externalTrafficPolicy']}\n")
    if spec.get("internalTrafficPolicy"):
        page.write(0, f"Internal Traffic Policy:\t{spec['internalTrafficPolicy']}\n")
    page.write(0, "Events:\t<none>\n")
    return page.render()


def describe_ingress(ingress: dict[str, Any], related: Related) -> str:
    """Describe an Ingress: class, TLS, and its rules as a table of backends."""
    meta, spec = ingress.get("metadata") or {}, ingress.get("spec") or {}
    page = Page()
    page.write(0, f"Name:\t{meta.get('name', '')}\n")
    write_labels(page, "Labels", meta.get("labels"))
    page.write(0, f"Namespace:\t{meta.get('namespace', '')}\n")
    page.write(0, f"Address:\t{load_balancer_addresses(ingress.get('status') or {}, wide=True)}\n")
    page.write(0, f"Ingress Class:\t{spec.get('ingressClassName') or '<none>'}\n")
    default = spec.get("defaultBackend")
    page.write(0, f"Default backend:\t{backend_text(default, related) if default else '<default>'}\n")
    if spec.get("tls"):
        page.write(0, "TLS:\n")
        for tls in spec["tls"]:
            hosts = ",".join(tls.get("hosts") or [])
            secret = tls.get("secretName")
            page.write(1, f"{secret} terminates {hosts}\n" if secret else f"SNI routes {hosts}\n")
    page.write(0, "Rules:\n  Host\tPath\tBackends\n")
    page.write(1, "----\t----\t--------\n")
    rules = [rule for rule in spec.get("rules") or [] if rule.get("http")]
    for rule in rules:
        page.write(1, f"{rule.get('host') or '*'}\t\n")
        for path in rule["http"].get("paths") or []:
            page.write(2, f"\t{path.get('path', '')} \t{backend_text(path.get('backend') or {}, related)}\n")
    if not rules:
        page.write(1, f"*\t*\t{backend_text(default, related) if default else ''}\n")
    write_annotations(page, "Annotations", meta.get("annotations"))
    page.write(0, "Events:\t<none>\n")
    return page.render()


def backend_text(backend: dict[str, Any], related: Related) -> str:
    """Describe a backend as ``hello-world:8080 (10.244.0.7:80)``, with the endpoints of its Service port."""
    service = backend.get("service")
    if not service:
        return ""
    port = service.get("port") or {}
    name = service.get("name", "")
    text = f"{name}:{port.get('number') or port.get('name', '')}"
    slices = slices_of(name, related)
    endpoints = named(related.get("Endpoints") or [], name)
    if slices is None and endpoints is None:
        return f'{text} (<error: endpoints "{name}" not found>)'
    target = named(related.get("Service") or [], name)
    if target is None:
        return f'{text} (<error: services "{name}" not found>)'
    port_name = ""
    for service_port in (target.get("spec") or {}).get("ports") or []:
        if port.get("number") and port["number"] == service_port.get("port"):
            port_name = service_port.get("name", "")
        elif port.get("name") and port["name"] == service_port.get("name"):
            port_name = service_port.get("name", "")
    shown = (
        format_endpoint_slices(slices, {port_name}) if slices is not None else format_endpoints(endpoints, {port_name})
    )
    return f"{text} ({shown})"


def describe_network_policy(policy: dict[str, Any], related: Related) -> str:
    """Describe a NetworkPolicy: the pods it selects and its rules in words."""
    meta, spec = policy.get("metadata") or {}, policy.get("spec") or {}
    created = parse_time(meta.get("creationTimestamp"))
    page = Page()
    page.write(0, f"Name:\t{meta.get('name', '')}\n")
    page.write(0, f"Namespace:\t{meta.get('namespace', '')}\n")
    page.write(0, f"Created on:\t{created.strftime('%Y-%m-%d %H:%M:%S %z UTC') if created else '<unknown>'}\n")
    write_labels(page, "Labels", meta.get("labels"))
    write_annotations(page, "Annotations", meta.get("annotations"))
    page.write(0, "Spec:\n")
    selector = spec.get("podSelector") or {}
    if not selector.get("matchLabels") and not selector.get("matchExpressions"):
        page.write(1, "PodSelector:     <none> (Allowing the specific traffic to all pods in this namespace)\n")
    else:
        page.write(1, f"PodSelector:     {format_label_selector(selector)}\n")
    types = spec.get("policyTypes") or []
    for direction, peers, words in (("Ingress", "from", ("From", "source")), ("Egress", "to", ("To", "destination"))):
        if direction not in types:
            page.write(1, f"Not affecting {direction.lower()} traffic\n")
            continue
        page.write(1, f"Allowing {direction.lower()} traffic:\n")
        write_policy_rules(page, spec.get(direction.lower()) or [], direction.lower(), peers, words)
    page.write(1, f"Policy Types: {', '.join(types)}\n")
    return page.render()


def write_policy_rules(
    page: Page, rules: list[dict[str, Any]], direction: str, peers: str, words: tuple[str, str]
) -> None:
    """Write a direction's rules in words, as kubectl's printNetworkPolicySpecIngressFrom/EgressTo."""
    indent = "    "
    title, side = words
    if not rules:
        page.write(0, f"{indent}<none> (Selected pods are isolated for {direction} connectivity)\n")
    for index, rule in enumerate(rules):
        if not rule.get("ports"):
            page.write(0, f"{indent}To Port: <any> (traffic allowed to all ports)\n")
        for port in rule.get("ports") or []:
            number = port.get("port", "<any>")
            end = f"-{port['endPort']}" if port.get("endPort") else ""
            page.write(0, f"{indent}To Port: {number}{end}/{port.get('protocol', 'TCP')}\n")
        if not rule.get(peers):
            page.write(0, f"{indent}{title}: <any> (traffic not restricted by {side})\n")
        for peer in rule.get(peers) or []:
            page.write(0, f"{indent}{title}:\n")
            if "podSelector" in peer and "namespaceSelector" in peer:
                page.write(1, f"{indent}NamespaceSelector: {format_label_selector(peer['namespaceSelector'])}\n")
                page.write(1, f"{indent}PodSelector: {format_label_selector(peer['podSelector'])}\n")
            elif "podSelector" in peer:
                page.write(1, f"{indent}PodSelector: {format_label_selector(peer['podSelector'])}\n")
            elif "namespaceSelector" in peer:
                page.write(1, f"{indent}NamespaceSelector: {format_label_selector(peer['namespaceSelector'])}\n")
            elif "ipBlock" in peer:
                page.write(1, f"{indent}IPBlock:\n")
                page.write(2, f"{indent}CIDR: {peer['ipBlock'].get('cidr', '')}\n")
                page.write(2, f"{indent}Except: {', '.join(peer['ipBlock'].get('except') or [])}\n")
        if index != len(rules) - 1:
            page.write(0, f"{indent}----------\n")


def describe_endpoints(endpoints: dict[str, Any], related: Related) -> str:
    """Describe an Endpoints object: each subset's ready and not-ready addresses and its ports."""
    page = Page()
    write_meta(page, endpoints)
    page.write(0, "Subsets:\n")
    for subset in endpoints.get("subsets") or []:
        for title, field in (("Addresses", "addresses"), ("NotReadyAddresses", "notReadyAddresses")):
            shown = ",".join(a.get("ip", "") for a in subset.get(field) or []) or "<none>"
            page.write(1, f"{title}:\t{shown}\n")
        if subset.get("ports"):
            page.write(1, "Ports:\n")
            page.write(2, "Name\tPort\tProtocol\n")
            page.write(2, "----\t----\t--------\n")
            for port in subset["ports"]:
                page.write(2, f"{port.get('name') or '<unset>'}\t{port.get('port')}\t{port.get('protocol', 'TCP')}\n")
        page.write(0, "\n")
    page.write(0, "Events:\t<none>\n")
    return page.render()


def describe_endpoint_slice(endpoint_slice: dict[str, Any], related: Related) -> str:
    """Describe an EndpointSlice: its ports, and each endpoint with its conditions and target."""
    page = Page()
    write_meta(page, endpoint_slice)
    page.write(0, f"AddressType:\t{endpoint_slice.get('addressType', '')}\n")
    ports = endpoint_slice.get("ports") or []
    page.write(0, "Ports:\n" if ports else "Ports: <unset>\n")
    if ports:
        page.write(1, "Name\tPort\tProtocol\n")
        page.write(1, "----\t----\t--------\n")
    for port in ports:
        number = "<unset>" if port.get("port") is None else port["port"]
        page.write(1, f"{port.get('name') or '<unset>'}\t{number}\t{port.get('protocol', 'TCP')}\n")
    endpoints = endpoint_slice.get("endpoints") or []
    page.write(0, "Endpoints:\n" if endpoints else "Endpoints: <none>\n")
    for endpoint in endpoints:
        page.write(1, f"- Addresses:\t{', '.join(endpoint.get('addresses') or []) or '<none>'}\n")
        page.write(2, "Conditions:\n")
        ready = (endpoint.get("conditions") or {}).get("ready")
        page.write(3, f"Ready:\t{'<unset>' if ready is None else str(ready).lower()}\n")
        page.write(2, f"Hostname:\t{endpoint.get('hostname', '<unset>')}\n")
        if endpoint.get("targetRef"):
            page.write(2, f"TargetRef:\t{endpoint['targetRef'].get('kind')}/{endpoint['targetRef'].get('name')}\n")
        page.write(2, f"NodeName:\t{endpoint.get('nodeName', '<unset>')}\n")
        page.write(2, f"Zone:\t{endpoint.get('zone', '<unset>')}\n")
    page.write(0, "Events:\t<none>\n")
    return page.render()


def describe_secret(secret: dict[str, Any], related: dict[str, list[dict[str, Any]]]) -> str:
    """Describe a Secret: the size of each data key, never its content."""
    page = Page()
    write_meta(page, secret)
    page.write(0, f"\nType:\t{secret.get('type', '')}\n\nData\n====\n")
    for key, value in sorted((secret.get("data") or {}).items()):
        page.write(0, f"{key}:\t{len(base64.b64decode(value))} bytes\n")
    return page.render()


def describe_ingress_class(ingress_class: dict[str, Any], related: dict[str, list[dict[str, Any]]]) -> str:
    """Describe an IngressClass: its controller."""
    page = Page()
    write_meta(page, ingress_class, namespaced=False)
    page.write(0, f"Controller:\t{(ingress_class.get('spec') or {}).get('controller', '')}\n")
    page.write(0, "Events:\t<none>\n")
    return page.render()
