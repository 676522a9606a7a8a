"""Resolve a walk's SRC and DST: which namespace sends, to which address, port and protocol.

Pure. SRC is a pod (``POD`` or ``NS/POD``) or a host of the sandbox (``external``, ``internet``, a
node, a lab's ``c1``). DST is a URL (``http://hello-world-service:8080/``), ``IP[:PORT]``, a Service
(``web``, ``web.team-a``, ``web.team-a.svc.cluster.local``), a pod, or a host, each with an optional
``:PORT``. From a pod, a name that is not a pod or a host is resolved for real, through the pod's
DNS (the query is a leg of the walk); from outside the cluster, a Service means its LoadBalancer
address, else its NodePort on node0, as a client out there would use them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from netcore.errors import NotFound, PodpathError
from netcore.ipv4 import is_ipv4, nearest_address
from netcore.kube.addresses import node_address
from netcore.kube.gateway.explain import explain_request
from netcore.kube.lookup import find_service

URL = re.compile(r"^(?P<scheme>https?)://(?P<host>[^/:?#]+)(?::(?P<port>\d+))?(?P<path>[/?][^#]*)?$")
HTTP_PORTS = {80, 8080, 8000, 8008, 8888, 3000, 5000, 9376}


@dataclass(frozen=True)
class Source:
    host: str
    label: str
    pod_namespace: str | None = None  # the pod's Kubernetes namespace (its DNS search path starts there)


@dataclass(frozen=True)
class Target:
    spec: str
    label: str
    protocol: str
    address: str | None  # None: resolve ``dns_name`` from the source first
    port: int | None
    dns_name: str | None = None
    http_host: str | None = None
    path: str = "/"
    service: str | None = None  # ns/name when the destination is a Service
    http: bool = False  # the destination declares an HTTP port (a named "http" port, a well-known one)
    hostname: str | None = None  # the name a client there would put in Host (when it has one)
    notes: tuple[str, ...] = ()  # what the user should know about how DST was read


def resolve_source(spec: str, hosts: set[str], cluster=None, pod_hosts: dict | None = None) -> Source:
    if cluster is not None:
        namespace, _, name = spec.rpartition("/")
        host = (pod_hosts or {}).get((namespace or "default", name))
        if host is not None:
            return Source(host, f"pod {namespace or 'default'}/{name}", namespace or "default")
        if not namespace and spec in hosts:
            return Source(spec, spec)
        raise NotFound(
            f"no pod {namespace or 'default'}/{name} and no host {spec!r} in this cluster "
            "(hosts: external, internet, router, node0, ...)"
        )
    if spec not in hosts:
        raise NotFound(f"no host {spec!r} in this sandbox (hosts: {', '.join(sorted(hosts))})")
    return Source(spec, spec)


def split_port(text: str) -> tuple[str, int | None]:
    name, colon, port = text.rpartition(":")
    if colon and port.isdigit():
        return name, int(port)
    return text, None


def resolve_target(
    spec: str,
    source: Source,
    protocol: str | None,
    port: int | None,
    *,
    cluster=None,
    pod_hosts: dict | None = None,
    host_addresses: dict[str, list[str]] | None = None,
) -> Target:
    """Return where the walk goes. ``host_addresses`` maps each host to its CIDRs (first is preferred)."""
    http_host, path, scheme = None, "/", None
    url = URL.match(spec)
    if url:
        scheme, name = url.group("scheme"), url.group("host")
        given_port = int(url.group("port")) if url.group("port") else (443 if scheme == "https" else 80)
        port = port or given_port
        path = url.group("path") or "/"
        if path.startswith("?"):
            path = "/" + path
        protocol = "tcp"
        http_host = name if given_port in (80, 443) else f"{name}:{given_port}"
    else:
        name, named_port = split_port(spec)
        port = port or named_port
    if scheme == "https":
        http_host = None  # no TLS here: connect only
    if is_ipv4(name):
        protocol = protocol or "tcp"
        return finish(Target(spec, spec, protocol, name, port, http_host=http_host, path=path), url is not None)
    if cluster is not None:
        found = cluster_target(
            spec, name, source, protocol, port, cluster, pod_hosts or {}, host_addresses or {}, path.split("?")[0]
        )
    else:
        found = lab_target(spec, name, source, protocol or "tcp", port, host_addresses or {})
    if url:
        found = Target(
            found.spec,
            found.label,
            "tcp",
            found.address,
            found.port,
            found.dns_name,
            http_host,
            path,
            found.service,
            notes=found.notes,
        )
    return finish(found, url is not None and scheme == "http")


def finish(target: Target, is_url: bool) -> Target:
    """Fill in the defaults: port 80 for TCP, HTTP on HTTP-like ports; refuse what cannot be sent."""
    port = target.port
    if target.protocol == "icmp":
        port = None
    elif port is None:
        if target.protocol == "udp":
            raise PodpathError(f"{target.spec}: give the UDP port (--port or NAME:PORT)")
        port = 80
    http_host = target.http_host
    if http_host is None and not is_url and target.protocol == "tcp" and (port in HTTP_PORTS or target.http):
        host = target.hostname or target.dns_name or target.address
        http_host = host if port == 80 else f"{host}:{port}"
    if target.protocol != "tcp":
        http_host = None
    return Target(
        target.spec,
        target.label,
        target.protocol,
        target.address,
        port,
        target.dns_name,
        http_host,
        target.path,
        target.service,
        target.http,
        target.hostname,
        target.notes,
    )


def lab_target(spec, name, source, protocol, port, host_addresses) -> Target:
    if name not in host_addresses:
        raise NotFound(f"{spec}: no host {name!r} in this sandbox (hosts: {', '.join(sorted(host_addresses))})")
    address = nearest_address(host_addresses[name], host_addresses.get(source.host, []))
    if address is None:
        raise PodpathError(f"{spec}: host {name} has no address")
    return Target(spec, name, protocol, address, port, hostname=name)  # /etc/hosts names the lab's hosts


def cluster_target(spec, name, source, protocol, port, cluster, pod_hosts, host_addresses, path="/") -> Target:
    """A bare name is a Service first (what a client resolving it would reach), then a pod, then a
    host; ``NS/POD`` is a pod; a dotted name is a Service (``svc.ns``), an Ingress host, or for DNS."""
    namespace, _, short = name.rpartition("/")
    service = find_service(cluster, name, source.pod_namespace or "default") if not namespace else None
    if service is not None:
        return service_target(spec, name, source, protocol, port, service, host_addresses)
    pod = cluster.get("Pod", namespace or source.pod_namespace or "default", short) if "." not in name else None
    if pod is not None and (pod.get("status") or {}).get("podIP"):
        label = f"pod {pod['metadata']['namespace']}/{short}"
        protocol = protocol or "tcp"
        chosen = container_port(pod, protocol, port)
        return Target(
            spec,
            label,
            protocol,
            pod["status"]["podIP"],
            port or (chosen or {}).get("containerPort"),
            http=chosen is not None and speaks_http(chosen, chosen["containerPort"]),
            notes=bad_way_note(cluster, source, pod),
        )
    if not namespace and name in host_addresses:
        address = nearest_address(host_addresses[name], host_addresses.get(source.host, []))
        return Target(spec, name, protocol or "tcp", address, port)
    ingress = ingress_address(cluster, name)
    if ingress is not None:
        note = (
            f"{name} is in no DNS here: the walk goes to the address of Ingress {ingress[1]} "
            f"({ingress[0]}), as a DNS record for it would say, with Host: {name}"
        )
        return Target(
            spec,
            f"Ingress {ingress[1]} (host {name})",
            protocol or "tcp",
            ingress[0],
            port,
            http=True,
            hostname=name,
            notes=(note,),
        )
    through_gateway = explain_request(cluster, name, port or 80, path)  # Gateway API: a host an HTTPRoute names
    if through_gateway is not None:
        note = (
            f"{name} is in no DNS here: the walk goes to the address of Gateway {through_gateway.gateway} "
            f"({through_gateway.address}), as a DNS record for it would say, with Host: {name}"
        )
        return Target(
            spec,
            f"Gateway {through_gateway.gateway} (host {name})",
            protocol or "tcp",
            through_gateway.address,
            port,
            http=True,
            hostname=name,
            notes=(note, *(f"Gateway {through_gateway.gateway}: {line}" for line in through_gateway.notes)),
        )
    if source.pod_namespace is not None and not namespace:
        return Target(spec, name, protocol or "tcp", None, port, dns_name=name)  # let the pod's DNS say
    raise NotFound(f"{spec}: no pod, Service or host {name!r} in this cluster")


def bad_way_note(cluster, source: Source, pod: dict) -> tuple[str, ...]:
    """In the nat pod network a pod on another node is reached only through a port its node publishes."""
    if cluster.config.cni != "nat" or source.pod_namespace is None:
        return ()
    namespace, _, name = source.label.removeprefix("pod ").partition("/")
    client = cluster.get("Pod", namespace, name)
    if client is None or client["spec"].get("nodeName") == pod["spec"].get("nodeName"):
        return ()
    published = pod["metadata"].get("annotations", {}).get("podpath.dev/published-ports", "")
    doors = [item.split("->")[0] for item in published.split(",") if "->" in item]
    where = (
        f"its node publishes {', '.join(doors)} (try --to {doors[0]})" if doors else "its node publishes no port for it"
    )
    return (
        f"the nat pod network (the bad way) routes no pod address between nodes: pod "
        f"{pod['metadata']['namespace']}/{pod['metadata']['name']} is on {pod['spec'].get('nodeName')}, and {where}",
    )


def ingress_address(cluster, host: str) -> tuple[str, str] | None:
    """The ingress controller's address for a host an Ingress routes (as a DNS record out there would
    say), with the Ingress's name; None if no Ingress with an address names that host."""
    for ingress in cluster.list("Ingress"):
        hosts = {rule.get("host") for rule in ingress["spec"].get("rules", [])}
        addresses = [i.get("ip") for i in (ingress.get("status") or {}).get("loadBalancer", {}).get("ingress", [])]
        if host in hosts and addresses and addresses[0]:
            return addresses[0], f"{ingress['metadata']['namespace']}/{ingress['metadata']['name']}"
    return None


def service_target(spec, name, source, protocol, port, service, host_addresses) -> Target:
    meta, spec_ = service["metadata"], service["spec"]
    label = f"Service {meta['namespace']}/{meta['name']}"
    ident = f"{meta['namespace']}/{meta['name']}"
    ports = [p for p in spec_.get("ports", []) if protocol in (None, p.get("protocol", "TCP").lower())]
    chosen = next((p for p in ports if port in (None, p["port"], p.get("nodePort"))), None)
    protocol = protocol or (chosen.get("protocol", "TCP").lower() if chosen else "tcp")
    http = chosen is not None and speaks_http(chosen, chosen["port"])
    if source.pod_namespace is not None:  # a pod asks its DNS, as curl would
        return Target(
            spec,
            label,
            protocol,
            None,
            port or (chosen["port"] if chosen else None),
            dns_name=name,
            service=ident,
            http=http,
        )
    balancers = [
        i["ip"] for i in (service.get("status") or {}).get("loadBalancer", {}).get("ingress", []) if i.get("ip")
    ]
    if balancers:
        return Target(
            spec,
            f"{label} (LoadBalancer)",
            protocol,
            balancers[0],
            port or (chosen["port"] if chosen else None),
            service=ident,
            http=http,
        )
    if chosen is not None and chosen.get("nodePort"):
        return Target(
            spec,
            f"{label} (NodePort on node0)",
            protocol,
            node_address(0),
            port or chosen["nodePort"],
            service=ident,
            http=http,
        )
    if source.host.startswith("node") and spec_.get("clusterIP") not in (None, "", "None"):
        return Target(
            spec,
            label,
            protocol,
            spec_["clusterIP"],
            port or (chosen["port"] if chosen else None),
            service=ident,
            http=http,
        )
    raise PodpathError(f"{spec}: {label} has no address outside the cluster (it is a {spec_.get('type', 'ClusterIP')})")


def container_port(pod: dict, protocol: str, wanted: int | None) -> dict | None:
    """The pod's declared port: ``wanted`` if it declares it, else its first one of ``protocol``."""
    for container in pod["spec"].get("containers", []):
        for port in container.get("ports", []):
            if port.get("protocol", "TCP").lower() == protocol and wanted in (None, port["containerPort"]):
                return port
    return None


def speaks_http(port: dict, number: int) -> bool:
    """A port that says it is HTTP (its name or appProtocol), or a well-known HTTP port number."""
    name = f"{port.get('name', '')} {port.get('appProtocol', '')}".lower()
    return "http" in name and "https" not in name or number in HTTP_PORTS
