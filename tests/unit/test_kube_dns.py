"""The cluster DNS records and answers: an ExternalName Service is a CNAME for its externalName."""

from __future__ import annotations

from dnslib import QTYPE, RCODE, DNSRecord

from netcore.kube.api import parse_manifests
from netcore.kube.cluster import ClusterConfig, apply_objects, new_cluster
from netcore.kube.compile.dns import dns_records
from netcore.workloads.clusterdns import answer, parse_records

NOW = "2026-01-01T00:00:00Z"
ALIASES = """\
apiVersion: v1
kind: Service
metadata: {name: search}
spec: {type: ExternalName, externalName: internet.example}
---
apiVersion: v1
kind: Service
metadata: {name: docs}
spec: {type: ExternalName, externalName: kubernetes.io., ports: [{port: 443}]}
"""


def cluster_records() -> dict:
    cluster, _ = apply_objects(new_cluster(ClusterConfig(nodes=1), NOW), parse_manifests(ALIASES, "t.yaml"), NOW)
    return dns_records(cluster)


def test_an_external_name_service_has_no_address_and_is_an_alias_in_the_dns():
    cluster, _ = apply_objects(new_cluster(ClusterConfig(nodes=1), NOW), parse_manifests(ALIASES, "t.yaml"), NOW)
    search = cluster.get("Service", "default", "search")
    assert "clusterIP" not in search["spec"] and cluster.get("Endpoints", "default", "search") is None
    records = dns_records(cluster)
    assert records["aliases"] == {
        "docs.default.svc.cluster.local": "kubernetes.io",
        "search.default.svc.cluster.local": "internet.example",
    }
    assert "search.default.svc.cluster.local" not in records["records"]


def test_a_query_for_an_alias_gets_the_cname_and_the_targets_address_when_known():
    records = parse_records(cluster_records())
    reply = answer(DNSRecord.question("search.default.svc.cluster.local"), records)
    assert [(QTYPE[rr.rtype], str(rr.rdata)) for rr in reply.rr] == [
        ("CNAME", "internet.example."),
        ("A", "198.51.100.10"),
    ]
    outside = answer(DNSRecord.question("docs.default.svc.cluster.local"), records)
    assert outside.header.rcode == RCODE.NOERROR
    assert [(QTYPE[rr.rtype], str(rr.rdata)) for rr in outside.rr] == [("CNAME", "kubernetes.io.")]
