"""The cluster DNS records, as CoreDNS's kubernetes plugin would answer them (pure).

- ``<service>.<namespace>.svc.cluster.local``: the ClusterIP; for a headless Service, the addresses of
  its ready pods; for an ExternalName Service, a CNAME for its ``externalName``;
- ``<hostname>.<subdomain>.<namespace>.svc.cluster.local`` for pods naming a headless Service as their
  subdomain;
- ``<a-b-c-d>.<namespace>.pod.cluster.local``: a pod by its address.
The search path of a pod's resolv.conf (``<namespace>.svc.cluster.local svc.cluster.local
cluster.local``) turns ``hello-world-service`` and ``hello-world-service.default`` into these names.
"""

from __future__ import annotations

from netcore.kube import addresses
from netcore.kube.store import Cluster

ZONE = "cluster.local"
TTL = 5
# Names "the internet" has, so pods can resolve something outside the cluster too.
UPSTREAM = {"internet.example": [addresses.INTERNET_SERVER]}


def dns_records(cluster: Cluster) -> dict:
    records: dict[str, list[str]] = {}
    aliases: dict[str, str] = {}
    headless = set()
    for service in cluster.list("Service"):
        meta, spec = service["metadata"], service["spec"]
        name = f"{meta['name']}.{meta['namespace']}.svc.{ZONE}"
        if spec.get("type") == "ExternalName":
            aliases[name] = spec["externalName"].rstrip(".")
        elif spec.get("clusterIP") == "None":
            headless.add((meta["namespace"], meta["name"]))
            endpoints = cluster.get("Endpoints", meta["namespace"], meta["name"]) or {}
            ips = sorted({a["ip"] for s in endpoints.get("subsets", []) for a in s.get("addresses", [])})
            records[name] = ips
        else:
            records[name] = [spec["clusterIP"]]
    for pod in cluster.list("Pod"):
        meta, spec = pod["metadata"], pod["spec"]
        ip = pod.get("status", {}).get("podIP")
        if not ip:
            continue
        records[f"{ip.replace('.', '-')}.{meta['namespace']}.pod.{ZONE}"] = [ip]
        subdomain = spec.get("subdomain")
        if subdomain and (meta["namespace"], subdomain) in headless:
            hostname = spec.get("hostname", meta["name"])
            records[f"{hostname}.{subdomain}.{meta['namespace']}.svc.{ZONE}"] = [ip]
    return {
        "zone": ZONE,
        "ttl": TTL,
        "records": dict(sorted(records.items())),
        "aliases": dict(sorted(aliases.items())),
        "upstream": UPSTREAM,
    }
