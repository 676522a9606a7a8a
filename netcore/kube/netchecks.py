"""The API server's semantic checks for networking and config kinds: Service, Ingress, IngressClass, NetworkPolicy,
Secret.

Run on an object that passed the schema and subset checks, with defaults applied. Addresses are
checked against Podpath's address plan (DESIGN.md): cluster IPs come from the service range, node
ports from Kubernetes' default range, LoadBalancer addresses from the documentation pool.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
from typing import Any

from netcore.kube.fields import Path, Problem, format_path, quote
from netcore.kube.rules import (
    check_label_selector,
    check_labels,
    data_key_error,
    dns1035_label_error,
    dns1123_label_error,
    dns1123_subdomain_error,
    ipv4_error,
    port_name_error,
    port_number_error,
    wildcard_host_error,
)

SERVICE_CIDR = ipaddress.IPv4Network("10.96.0.0/12")
NODE_PORTS = (30000, 32767)
LOAD_BALANCER_POOL = ipaddress.IPv4Network("203.0.113.0/24")
EXTERNAL_TYPES = ("NodePort", "LoadBalancer")
UNROUTABLE = ("is_unspecified", "is_loopback", "is_link_local", "is_multicast")


def check_service(service: dict[str, Any]) -> list[Problem]:
    """Check a defaulted Service: addresses, ports, and the fields each type allows."""
    spec = service.get("spec") or {}
    kind, cluster_ip = spec.get("type", "ClusterIP"), spec.get("clusterIP", "")
    problems: list[Problem] = []
    ports = spec.get("ports") or []
    if kind == "ExternalName":
        return check_external_name(spec) + check_service_ports(ports, kind)
    if "externalName" in spec:
        problems.append(
            Problem(
                ("spec", "externalName"),
                f"nothing for a {kind} Service (it belongs to type ExternalName), got {quote(spec['externalName'])}",
            )
        )
    if not ports and cluster_ip != "None":
        problems.append(
            Problem(("spec", "ports"), "at least one port (only a headless Service may have none), got none")
        )
    if cluster_ip == "None" and kind != "ClusterIP":
        problems.append(
            Problem(
                ("spec", "clusterIP"),
                f'an address or nothing for a {kind} Service (a headless Service is ClusterIP only), got "None"',
            )
        )
    elif cluster_ip not in ("", "None"):
        problems += check_address(cluster_ip, SERVICE_CIDR, "the service range", ("spec", "clusterIP"))
    cluster_ips = spec.get("clusterIPs") or []
    if cluster_ips and cluster_ips[0] != cluster_ip:
        problems.append(
            Problem(
                ("spec", "clusterIPs", 0), f"spec.clusterIP ({cluster_ip or 'nothing'}), got {quote(cluster_ips[0])}"
            )
        )
    if len(cluster_ips) > 1:
        problems.append(Problem(("spec", "clusterIPs"), f"one address (Podpath is IPv4 only), got {len(cluster_ips)}"))
    problems += check_service_ports(ports, kind)
    problems += check_labels(spec.get("selector") or {}, ("spec", "selector"))
    if spec.get("sessionAffinity") != "ClientIP" and "sessionAffinityConfig" in spec:
        problems.append(
            Problem(("spec", "sessionAffinityConfig"), "nothing unless sessionAffinity is ClientIP, got a mapping")
        )
    timeout = spec.get("sessionAffinityConfig", {}).get("clientIP", {}).get("timeoutSeconds", 10800)
    if not 1 <= timeout <= 86400:
        problems.append(
            Problem(
                ("spec", "sessionAffinityConfig", "clientIP", "timeoutSeconds"),
                f"from 1 to 86400 seconds, got {timeout}",
            )
        )
    for index, address in enumerate(spec.get("externalIPs") or []):
        if error := ipv4_error(address):
            problems.append(Problem(("spec", "externalIPs", index), error))
        elif any(getattr(ipaddress.IPv4Address(address), flag) for flag in UNROUTABLE):
            problems.append(
                Problem(
                    ("spec", "externalIPs", index),
                    f"an address traffic can be routed to (not "
                    f"unspecified, loopback, link-local or multicast), "
                    f"got {quote(address)}",
                )
            )
    for index, text in enumerate(spec.get("loadBalancerSourceRanges") or []):
        where = ("spec", "loadBalancerSourceRanges", index)
        try:
            ipaddress.IPv4Network(text.strip(), strict=False)
        except ValueError:
            problems.append(Problem(where, f"an IPv4 network like 198.51.100.0/24, got {quote(text)}"))
    if spec.get("loadBalancerSourceRanges") and kind != "LoadBalancer":
        problems.append(
            Problem(
                ("spec", "loadBalancerSourceRanges"),
                f"nothing for a {kind} Service (it applies to LoadBalancer Services), got a list",
            )
        )
    health = spec.get("healthCheckNodePort")
    if health is not None and (error := port_number_error(health, *NODE_PORTS)):
        problems.append(Problem(("spec", "healthCheckNodePort"), error.replace("a port number", "a node port")))
    elif health is not None and health in {port.get("nodePort") for port in ports}:
        problems.append(
            Problem(("spec", "healthCheckNodePort"), f"a node port none of the Service's ports uses, got {health}")
        )
    if "loadBalancerIP" in spec:
        if kind != "LoadBalancer":
            problems.append(
                Problem(
                    ("spec", "loadBalancerIP"), f"nothing for a {kind} Service, got {quote(spec['loadBalancerIP'])}"
                )
            )
        else:
            problems += check_address(
                spec["loadBalancerIP"], LOAD_BALANCER_POOL, "the LoadBalancer pool", ("spec", "loadBalancerIP")
            )
    return problems


def externally_accessible(spec: dict[str, Any]) -> bool:
    """Whether traffic from outside reaches the Service: node ports, a load balancer, or external IPs."""
    return spec.get("type", "ClusterIP") in EXTERNAL_TYPES or bool(spec.get("externalIPs"))


def type_dependent_problems(spec: dict[str, Any]) -> list[Problem]:
    """Return the fields a Service's type does not allow. Checked when the Service is stored, not with the
    manifest: on a change of type the API server first drops such a field if the manifest left it as it was
    (``drop_type_dependent_fields``), so whether it is an error depends on the stored Service."""
    kind = spec.get("type", "ClusterIP")
    problems = []
    if "externalTrafficPolicy" in spec and not externally_accessible(spec):
        problems.append(
            Problem(
                ("spec", "externalTrafficPolicy"),
                f"nothing for a {kind} Service (it applies to "
                f"NodePort and LoadBalancer Services, and to externalIPs), got "
                f"{quote(spec['externalTrafficPolicy'])}",
            )
        )
    if kind not in EXTERNAL_TYPES:
        for index, port in enumerate(spec.get("ports") or []):
            if port.get("nodePort") is not None:
                problems.append(
                    Problem(
                        ("spec", "ports", index, "nodePort"),
                        f"nothing for a {kind} Service (node "
                        f"ports belong to NodePort and LoadBalancer Services), got {port['nodePort']}",
                    )
                )
    if "allocateLoadBalancerNodePorts" in spec and kind != "LoadBalancer":
        problems.append(
            Problem(
                ("spec", "allocateLoadBalancerNodePorts"),
                f"nothing for a {kind} Service (it "
                f"applies to LoadBalancer Services), got {quote(spec['allocateLoadBalancerNodePorts'])}",
            )
        )
    if "healthCheckNodePort" in spec and not needs_health_check(spec):
        problems.append(
            Problem(
                ("spec", "healthCheckNodePort"),
                f"nothing unless the Service is a LoadBalancer with "
                f"externalTrafficPolicy Local, got {spec['healthCheckNodePort']}",
            )
        )
    return problems


def needs_health_check(spec: dict[str, Any]) -> bool:
    """Whether kube-proxy serves a health check node port for this Service."""
    return spec.get("type") == "LoadBalancer" and spec.get("externalTrafficPolicy") == "Local"


def drop_type_dependent_fields(old: dict[str, Any], new: dict[str, Any]) -> None:
    """On a change of type, drop what the new type does not allow if the manifest left it as it was stored,
    as the API server does (so LoadBalancer -> ClusterIP with ``externalTrafficPolicy: Local`` still in the
    manifest is accepted and the field dropped)."""
    old_external, new_external = old.get("type") in EXTERNAL_TYPES, new.get("type") in EXTERNAL_TYPES
    if (
        externally_accessible(old)
        and not externally_accessible(new)
        and new.get("externalTrafficPolicy") == old.get("externalTrafficPolicy")
    ):
        new.pop("externalTrafficPolicy", None)
    if (
        old.get("type") == "LoadBalancer"
        and new.get("type") != "LoadBalancer"
        and new.get("allocateLoadBalancerNodePorts") == old.get("allocateLoadBalancerNodePorts")
    ):
        new.pop("allocateLoadBalancerNodePorts", None)
    if old_external and not new_external:
        old_ports = [port.get("nodePort") for port in old.get("ports") or []]
        if [port.get("nodePort") for port in new.get("ports") or []] == old_ports[: len(new.get("ports") or [])]:
            for port in new.get("ports") or []:
                port.pop("nodePort", None)
    if (
        needs_health_check(old)
        and not needs_health_check(new)
        and new.get("healthCheckNodePort") == old.get("healthCheckNodePort")
    ):
        new.pop("healthCheckNodePort", None)
    if (
        old.get("type") != "ExternalName"
        and new.get("type") == "ExternalName"
        and new.get("clusterIP") in (None, "", old.get("clusterIP"))
    ):
        new.pop("clusterIP", None)
        new.pop("clusterIPs", None)


def check_external_name(spec: dict[str, Any]) -> list[Problem]:
    """Check an ExternalName Service: a DNS name to alias, and no address of its own."""
    problems = []
    name = spec.get("externalName", "")
    if not name:
        problems.append(Problem(("spec", "externalName"), "a DNS name (required for type ExternalName), got nothing"))
    elif error := dns1123_subdomain_error(name.rstrip(".")):
        problems.append(Problem(("spec", "externalName"), error))
    for field in ("clusterIP", "clusterIPs", "loadBalancerIP"):
        if spec.get(field) not in (None, "", []):
            problems.append(Problem(("spec", field), f"nothing for an ExternalName Service, got {quote(spec[field])}"))
    return problems


def check_address(text: str, network: ipaddress.IPv4Network, what: str, path: Path) -> list[Problem]:
    """Check an IPv4 address inside one of the address plan's ranges."""
    if error := ipv4_error(text):
        return [Problem(path, error)]
    if ipaddress.IPv4Address(text) not in network:
        return [Problem(path, f"an address in {what} {network}, got {quote(text)}")]
    return []


def check_service_ports(ports: list[dict[str, Any]], kind: str) -> list[Problem]:
    """Check a Service's ports: names, numbers, target ports, node ports, and duplicates."""
    problems: list[Problem] = []
    names: dict[str, Path] = {}
    numbers: dict[tuple[str, int, str], Path] = {}
    for index, port in enumerate(ports):
        where = ("spec", "ports", index)
        name, number, protocol = port.get("name"), port.get("port", 0), port.get("protocol", "TCP")
        if not name and len(ports) > 1:
            problems.append(
                Problem((*where, "name"), "a name (required when a Service has several ports), got nothing")
            )
        elif name and (error := dns1123_label_error(name)):
            problems.append(Problem((*where, "name"), error))
        elif name and name in names:
            problems.append(
                Problem(
                    (*where, "name"),
                    f"a name no other port of this Service has, got {quote(name)} (also {format_path(names[name])})",
                )
            )
        if name:
            names.setdefault(name, (*where, "name"))
        if error := port_number_error(number):
            problems.append(Problem((*where, "port"), error))
        target = port.get("targetPort", number)
        if error := (port_name_error(target) if isinstance(target, str) else port_number_error(target)):
            problems.append(Problem((*where, "targetPort"), error))
        node_port = port.get("nodePort")
        if node_port is not None and (error := port_number_error(node_port, *NODE_PORTS)):
            problems.append(Problem((*where, "nodePort"), error.replace("a port number", "a node port")))
        for key, value, field in (("port", number, "port"), ("nodePort", node_port, "nodePort")):
            if value is None:
                continue
            if (key, value, protocol) in numbers:
                problems.append(
                    Problem(
                        (*where, field),
                        f"a {key} no other port of this Service uses, got "
                        f"{value}/{protocol} (also {format_path(numbers[key, value, protocol])})",
                    )
                )
            numbers.setdefault((key, value, protocol), (*where, field))
    return problems


def check_ingress(ingress: dict[str, Any]) -> list[Problem]:
    """Check an Ingress: hosts, paths per pathType, backends and TLS entries."""
    spec = ingress.get("spec") or {}
    problems: list[Problem] = []
    if not spec.get("defaultBackend") and not spec.get("rules"):
        problems.append(Problem(("spec",), "a defaultBackend or rules, got neither"))
    if spec.get("ingressClassName") and (error := dns1123_subdomain_error(spec["ingressClassName"])):
        problems.append(Problem(("spec", "ingressClassName"), error))
    if "defaultBackend" in spec:
        problems += check_backend(spec["defaultBackend"], ("spec", "defaultBackend"))
    for index, rule in enumerate(spec.get("rules") or []):
        where = ("spec", "rules", index)
        if rule.get("host") and (error := wildcard_host_error(rule["host"])):
            problems.append(Problem((*where, "host"), error))
        if "http" in rule and not rule["http"].get("paths"):
            problems.append(Problem((*where, "http", "paths"), "at least one path, got none"))
        for position, path in enumerate((rule.get("http") or {}).get("paths") or []):
            problems += check_http_path(path, (*where, "http", "paths", position))
    for index, tls in enumerate(spec.get("tls") or []):
        for position, host in enumerate(tls.get("hosts") or []):
            if error := wildcard_host_error(host):
                problems.append(Problem(("spec", "tls", index, "hosts", position), error))
        if tls.get("secretName") and (error := dns1123_subdomain_error(tls["secretName"])):
            problems.append(Problem(("spec", "tls", index, "secretName"), error))
    return problems


BAD_SEQUENCES = ("//", "/./", "/../", "%2f", "%2F")


def check_http_path(path: dict[str, Any], where: Path) -> list[Problem]:
    """Check one HTTP path: absolute, and free of dot segments for Exact and Prefix matching."""
    problems = check_backend(path.get("backend") or {}, (*where, "backend"))
    text, path_type = path.get("path", ""), path.get("pathType")
    if not path_type:
        problems.append(Problem((*where, "pathType"), "Exact, Prefix or ImplementationSpecific, got nothing"))
    if text and not text.startswith("/"):
        problems.append(Problem((*where, "path"), f"an absolute path starting with '/', got {quote(text)}"))
    elif path_type in ("Exact", "Prefix"):
        if not text:
            problems.append(Problem((*where, "path"), f"a path for pathType {path_type}, got nothing"))
        elif any(bad in text for bad in BAD_SEQUENCES) or text.endswith(("/..", "/.")):
            problems.append(
                Problem(
                    (*where, "path"), f"a path without //, /./, /../ or %2f for pathType {path_type}, got {quote(text)}"
                )
            )
    return problems


def check_backend(backend: dict[str, Any], path: Path) -> list[Problem]:
    """Check an Ingress backend: a Service name and exactly one of port number and port name (or a resource,
    which is stored and answers 503 here)."""
    service = backend.get("service")
    if "resource" in backend:
        return [Problem((*path, "resource"), "a service or a resource, not both, got both")] if service else []
    if service is None:
        return [Problem((*path, "service"), "a Service to send traffic to, got nothing")]
    problems = []
    if error := dns1035_label_error(service.get("name", "")):
        problems.append(Problem((*path, "service", "name"), error))
    port = service.get("port") or {}
    if "number" in port and "name" in port:
        problems.append(Problem((*path, "service", "port"), "a port number or a port name, not both, got both"))
    elif "number" in port and (error := port_number_error(port["number"])):
        problems.append(Problem((*path, "service", "port", "number"), error))
    elif "name" in port and (error := port_name_error(port["name"])):
        problems.append(Problem((*path, "service", "port", "name"), error))
    elif not port:
        problems.append(Problem((*path, "service", "port"), "a port number or name, got nothing"))
    return problems


def check_ingress_class(ingress_class: dict[str, Any]) -> list[Problem]:
    """Check an IngressClass: a controller name like example.com/ingress-controller."""
    controller = (ingress_class.get("spec") or {}).get("controller", "")
    domain, slash, rest = controller.partition("/")
    if not controller:
        return [Problem(("spec", "controller"), "a controller name like podpath.dev/ingress-nginx, got nothing")]
    if not slash or not rest or dns1123_subdomain_error(domain) or len(controller) > 250:
        return [
            Problem(
                ("spec", "controller"),
                f"a domain-prefixed path like podpath.dev/ingress-nginx, got {quote(controller)}",
            )
        ]
    return []


def check_network_policy(policy: dict[str, Any]) -> list[Problem]:
    """Check a NetworkPolicy: selectors, policy types, peers and ports."""
    spec = policy.get("spec") or {}
    problems = check_label_selector(spec.get("podSelector") or {}, ("spec", "podSelector"))
    types = spec.get("policyTypes") or []
    if len(set(types)) != len(types):
        problems.append(
            Problem(("spec", "policyTypes"), f"each of Ingress and Egress at most once, got {', '.join(types)}")
        )
    for direction, peers_field in (("ingress", "from"), ("egress", "to")):
        for index, rule in enumerate(spec.get(direction) or []):
            where = ("spec", direction, index)
            for position, peer in enumerate(rule.get(peers_field) or []):
                problems += check_peer(peer, (*where, peers_field, position))
            for position, port in enumerate(rule.get("ports") or []):
                problems += check_policy_port(port, (*where, "ports", position))
    return problems


def check_peer(peer: dict[str, Any], path: Path) -> list[Problem]:
    """Check one peer: selectors, or an ipBlock alone with its exceptions inside it."""
    present = [field for field in ("podSelector", "namespaceSelector", "ipBlock") if field in peer]
    if not present:
        return [Problem(path, "a podSelector, a namespaceSelector or an ipBlock, got none")]
    if "ipBlock" in present and len(present) > 1:
        others = " and ".join(field for field in present if field != "ipBlock")
        return [Problem(path, f"an ipBlock alone, got ipBlock with {others}")]
    problems = []
    for field in ("podSelector", "namespaceSelector"):
        if field in peer:
            problems += check_label_selector(peer[field], (*path, field))
    if "ipBlock" not in peer:
        return problems
    block = peer["ipBlock"]
    try:
        network = ipaddress.ip_network(block.get("cidr", ""), strict=False)
    except ValueError:
        return [Problem((*path, "ipBlock", "cidr"), f"a network like 10.0.0.0/24, got {quote(block.get('cidr'))}")]
    if network.version != 4:
        return [
            Problem((*path, "ipBlock", "cidr"), f"an IPv4 network (Podpath is IPv4 only), got {quote(block['cidr'])}")
        ]
    for index, text in enumerate(block.get("except") or []):
        try:
            inner = ipaddress.ip_network(text, strict=False)
        except ValueError:
            inner = None
        if inner is None or inner.version != 4 or not inner.subnet_of(network) or inner == network:
            problems.append(
                Problem((*path, "ipBlock", "except", index), f"a network strictly inside {network}, got {quote(text)}")
            )
    return problems


def check_policy_port(port: dict[str, Any], path: Path) -> list[Problem]:
    """Check a policy port: a number or a name, and an endPort only after a number it does not precede."""
    number, end = port.get("port"), port.get("endPort")
    if isinstance(number, str) and (error := port_name_error(number)):
        return [Problem((*path, "port"), error)]
    if isinstance(number, int) and (error := port_number_error(number)):
        return [Problem((*path, "port"), error)]
    if end is None:
        return []
    if not isinstance(number, int):
        return [Problem((*path, "endPort"), f"nothing unless port is a number, got {end} with port {quote(number)}")]
    if error := port_number_error(end, number):
        return [Problem((*path, "endPort"), error.replace("a port number", "an end port"))]
    return []


# The keys the API server requires for each built-in Secret type (any one of a tuple is enough).
SECRET_KEYS: dict[str, tuple[tuple[str, ...], ...]] = {
    "kubernetes.io/tls": (("tls.crt",), ("tls.key",)),
    "kubernetes.io/basic-auth": (("username", "password"),),
    "kubernetes.io/ssh-auth": (("ssh-privatekey",),),
    "kubernetes.io/dockercfg": ((".dockercfg",),),
    "kubernetes.io/dockerconfigjson": ((".dockerconfigjson",),),
}


def check_secret(secret: dict[str, Any]) -> list[Problem]:
    """Check a defaulted Secret: base64 data, and the keys its type requires."""
    problems = []
    secret_type = secret.get("type", "Opaque")
    data = secret.get("data") or {}
    for key, value in data.items():
        if error := data_key_error(key):
            problems.append(Problem(("data", key), error))
        else:
            try:
                base64.b64decode(value, validate=True)
            except (binascii.Error, ValueError):
                problems.append(
                    Problem(
                        ("data", key), "base64-encoded bytes (or use stringData for text), got text that is not base64"
                    )
                )
    for keys in SECRET_KEYS.get(secret_type, ()):
        if not any(key in data for key in keys):
            problems.append(
                Problem(
                    ("data", keys[0]),
                    f"a value in data or stringData (type {secret_type} needs {' or '.join(keys)}), got nothing",
                )
            )
    if secret_type == "kubernetes.io/service-account-token" and not (secret.get("metadata") or {}).get(
        "annotations", {}
    ).get("kubernetes.io/service-account.name"):
        problems.append(
            Problem(
                ("metadata", "annotations", "kubernetes.io/service-account.name"),
                "the name of the ServiceAccount the token is for, got nothing",
            )
        )
    return problems


def check_config_map(config_map: dict[str, Any]) -> list[Problem]:
    """Check a ConfigMap: valid keys, binaryData base64, no key in both data and binaryData."""
    problems = []
    data, binary = config_map.get("data") or {}, config_map.get("binaryData") or {}
    for field, entries in (("data", data), ("binaryData", binary)):
        for key in entries:
            if error := data_key_error(key):
                problems.append(Problem((field, key), error))
            elif field == "binaryData" and key in data:
                problems.append(Problem((field, key), f"a key not also in data, got {quote(key)} in both"))
    return problems
