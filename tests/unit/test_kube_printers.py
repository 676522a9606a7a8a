"""Printers: `get` tables, -o json/yaml and describe pages shaped like kubectl's, on a cluster the talk builds."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime

import pytest

from netcore.kube.columns import human_duration
from netcore.kube.defaults import apply_defaults
from netcore.kube.kinds import resolve_kind
from netcore.kube.manifests import load_documents, validate_objects
from netcore.kube.printers import no_resources_message, render_describe, render_objects, render_table
from netcore.kube.yamlio import parse_stream
from tests.golden import assert_golden
from tests.unit.test_kube_manifests import E2E, TALK

NOW = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)


def cluster() -> dict[str, dict]:
    """The talk's and the e2e objects, defaulted, with what the controllers would have filled in."""
    objects = {}
    for text in (TALK, E2E):
        for obj in validate_objects(load_documents(text, "m.yaml"), "m.yaml"):
            obj = apply_defaults(obj)
            obj["metadata"].update(uid="0f6b2c1e", creationTimestamp="2024-05-01T11:56:48Z")
            objects[f"{obj['kind']}/{obj['metadata']['name']}"] = obj
    pod = objects["Pod/hello-world"]
    pod["spec"]["nodeName"] = "node-1"
    pod["status"] = {
        "phase": "Running",
        "hostIP": "172.18.0.2",
        "podIP": "10.244.0.7",
        "podIPs": [{"ip": "10.244.0.7"}],
        "startTime": "2024-05-01T11:56:48Z",
        "qosClass": "BestEffort",
        "conditions": [{"type": "Ready", "status": "True"}, {"type": "PodScheduled", "status": "True"}],
        "containerStatuses": [
            {
                "name": "hello-world",
                "ready": True,
                "restartCount": 0,
                "image": "hello-world:1.0",
                "imageID": "podpath://hello-world",
                "containerID": "podpath://hello-world-0f6b2c1e",
                "state": {"running": {"startedAt": "2024-05-01T11:56:50Z"}},
            }
        ],
    }
    server = objects["Pod/netserver-0"]
    server["metadata"]["creationTimestamp"] = "2024-04-29T08:30:00Z"
    server["status"] = {
        "phase": "Running",
        "hostIP": "172.18.0.2",
        "podIP": "10.244.1.5",
        "podIPs": [{"ip": "10.244.1.5"}],
        "containerStatuses": [
            {
                "name": "webserver",
                "ready": False,
                "restartCount": 3,
                "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                "lastState": {
                    "terminated": {
                        "exitCode": 2,
                        "reason": "Error",
                        "startedAt": "2024-05-01T11:40:00Z",
                        "finishedAt": "2024-05-01T11:45:00Z",
                    }
                },
            }
        ],
    }
    service = objects["Service/hello-world-service"]
    service["spec"].update(clusterIP="10.103.8.175", clusterIPs=["10.103.8.175"])
    balancer = objects["Service/hello-world"]
    balancer["spec"].update(clusterIP="10.103.8.176", clusterIPs=["10.103.8.176"])
    balancer["spec"]["ports"][0]["nodePort"] = 31234
    balancer["status"] = {"loadBalancer": {"ingress": [{"ip": "203.0.113.10"}]}}
    node_port = objects["Service/node-port-service"]
    node_port["spec"].update(clusterIP="10.96.44.2", clusterIPs=["10.96.44.2"])
    node_port["spec"]["ports"][0]["nodePort"] = 31080
    objects["Ingress/echo"]["status"] = {"loadBalancer": {"ingress": [{"ip": "203.0.113.11"}]}}
    objects["Endpoints/hello-world-service"] = {
        "apiVersion": "v1",
        "kind": "Endpoints",
        "metadata": {
            "name": "hello-world-service",
            "namespace": "default",
            "creationTimestamp": "2024-05-01T11:56:48Z",
        },
        "subsets": [
            {"addresses": [{"ip": f"10.244.{n}.7"} for n in range(5)], "ports": [{"port": 80, "protocol": "TCP"}]}
        ],
    }
    objects["EndpointSlice/hello-world-8m2xd"] = {
        "apiVersion": "discovery.k8s.io/v1",
        "kind": "EndpointSlice",
        "addressType": "IPv4",
        "metadata": {
            "name": "hello-world-8m2xd",
            "namespace": "default",
            "creationTimestamp": "2024-05-01T11:56:48Z",
            "labels": {"kubernetes.io/service-name": "hello-world"},
        },
        "ports": [{"name": "http", "port": 80, "protocol": "TCP"}],
        "endpoints": [
            {
                "addresses": ["10.244.0.7"],
                "conditions": {"ready": True},
                "nodeName": "node-1",
                "targetRef": {"kind": "Pod", "name": "hello-world", "namespace": "default"},
            }
        ],
    }
    objects["EndpointSlice/netserver-q9v4c"] = {
        "apiVersion": "discovery.k8s.io/v1",
        "kind": "EndpointSlice",
        "addressType": "IPv4",
        "metadata": {
            "name": "netserver-q9v4c",
            "namespace": "nettest-4417",
            "creationTimestamp": "2024-05-01T11:56:48Z",
            "labels": {"kubernetes.io/service-name": "netserver"},
        },
        "ports": [{"name": "http", "port": 8083, "protocol": "TCP"}],
        "endpoints": [{"addresses": ["10.244.1.5"], "conditions": {"ready": False}, "hostname": "netserver-0"}],
    }
    objects["Endpoints/hello-world"] = {
        "apiVersion": "v1",
        "kind": "Endpoints",
        "metadata": {"name": "hello-world", "namespace": "default", "creationTimestamp": "2024-05-01T11:56:48Z"},
        "subsets": [{"addresses": [{"ip": "10.244.0.7"}], "ports": [{"name": "http", "port": 80, "protocol": "TCP"}]}],
    }
    objects["EndpointSlice/hello-world-service-x7k2p"] = {
        "apiVersion": "discovery.k8s.io/v1",
        "kind": "EndpointSlice",
        "addressType": "IPv4",
        "metadata": {
            "name": "hello-world-service-x7k2p",
            "namespace": "default",
            "creationTimestamp": "2024-05-01T11:56:48Z",
            "labels": {"kubernetes.io/service-name": "hello-world-service"},
        },
        "ports": [{"name": "", "port": 80, "protocol": "TCP"}],
        "endpoints": [{"addresses": [f"10.244.{n}.7"], "conditions": {"ready": n != 4}} for n in range(5)],
    }
    objects["Node/node-1"] = {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": "node-1",
            "creationTimestamp": "2024-04-28T09:00:00Z",
            "labels": {"kubernetes.io/hostname": "node-1", "node-role.kubernetes.io/control-plane": ""},
        },
        "spec": {"podCIDR": "10.244.0.0/24", "podCIDRs": ["10.244.0.0/24"]},
        "status": {
            "conditions": [
                {"type": "Ready", "status": "True", "reason": "KubeletReady", "message": "Podpath node is ready"}
            ],
            "addresses": [{"type": "InternalIP", "address": "172.18.0.2"}, {"type": "Hostname", "address": "node-1"}],
            "nodeInfo": {
                "kubeletVersion": "v1.34.0-podpath",
                "kernelVersion": "6.18.44",
                "osImage": "Podpath (network namespaces)",
                "operatingSystem": "linux",
                "architecture": "amd64",
                "containerRuntimeVersion": "podpath://0.1.0",
            },
        },
    }
    objects["Node/node-2"] = {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": "node-2", "creationTimestamp": "2024-04-28T09:00:00Z"},
        "spec": {"unschedulable": True},
        "status": {
            "conditions": [{"type": "Ready", "status": "False"}],
            "nodeInfo": {"kubeletVersion": "v1.34.0-podpath"},
        },
    }
    deployment = objects["Deployment/affinity-clusterip"]
    deployment["status"] = {
        "replicas": 3,
        "updatedReplicas": 3,
        "readyReplicas": 2,
        "availableReplicas": 2,
        "unavailableReplicas": 1,
        "conditions": [
            {"type": "Available", "status": "False", "reason": "MinimumReplicasUnavailable"},
            {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable"},
        ],
    }
    objects["ReplicaSet/affinity-clusterip-5d8f7b9c4"] = {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {
            "name": "affinity-clusterip-5d8f7b9c4",
            "namespace": "nettest-4417",
            "creationTimestamp": "2024-05-01T11:56:48Z",
            "ownerReferences": [
                {
                    "apiVersion": "apps/v1",
                    "kind": "Deployment",
                    "name": "affinity-clusterip",
                    "uid": "0f6b2c1e",
                    "controller": True,
                }
            ],
        },
        "spec": {"replicas": 3, "selector": deployment["spec"]["selector"], "template": deployment["spec"]["template"]},
        "status": {"replicas": 3, "readyReplicas": 2},
    }
    objects["Namespace/nettest-4417"]["status"] = {"phase": "Active"}
    objects["Namespace/default"] = {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {
            "name": "default",
            "creationTimestamp": "2024-04-28T09:00:00Z",
            "labels": {"kubernetes.io/metadata.name": "default"},
        },
        "status": {"phase": "Active"},
    }
    return objects


def of_kind(objects: dict[str, dict], kind: str) -> list[dict]:
    return [obj for key, obj in objects.items() if key.split("/")[0] == kind]


def test_get_tables_golden():
    objects = cluster()
    sections = []
    for resource, wide, everywhere in [
        ("pods", False, False),
        ("pods", True, True),
        ("svc", True, True),
        ("deploy", True, True),
        ("rs", False, True),
        ("ep", False, False),
        ("endpointslices", False, False),
        ("ing", False, True),
        ("ingressclasses", False, False),
        ("netpol", False, True),
        ("nodes", True, False),
        ("ns", False, False),
        ("secrets", False, True),
    ]:
        kind = resolve_kind(resource)
        chosen = [
            o
            for o in of_kind(objects, kind.kind)
            if everywhere or not kind.namespaced or o["metadata"].get("namespace") == "default"
        ]
        flags = " -o wide" * wide + " -A" * everywhere
        sections.append(
            f"$ kubectl get {resource}{flags}\n"
            + render_table(kind, chosen, wide=wide, all_namespaces=everywhere, now=NOW)
        )
    assert_golden("kube-get-tables.txt", "\n".join(sections))


def test_the_talks_pod_and_service_tables_read_as_on_the_slides():
    objects = cluster()
    assert render_table(
        resolve_kind("svc"), [objects["Service/hello-world-service"], objects["Service/hello-world"]], now=NOW
    ) == (
        "NAME                  TYPE           CLUSTER-IP     EXTERNAL-IP    PORT(S)        AGE\n"
        "hello-world           LoadBalancer   10.103.8.176   203.0.113.10   80:31234/TCP   3m12s\n"
        "hello-world-service   ClusterIP      10.103.8.175   <none>         8080/TCP       3m12s\n"
    )
    table = render_table(resolve_kind("po"), [objects["Pod/netserver-0"]], now=NOW)
    assert table.splitlines()[1].split() == ["netserver-0", "0/1", "CrashLoopBackOff", "3", "(15m", "ago)", "2d3h"]


def test_a_pending_load_balancer_and_a_long_address_list_print_like_kubectl():
    service = cluster()["Service/hello-world"]
    del service["status"]
    assert render_table(resolve_kind("svc"), [service], now=NOW).splitlines()[1].split()[3] == "<pending>"
    service["status"] = {"loadBalancer": {"ingress": [{"ip": "203.0.113.10"}, {"ip": "203.0.113.9"}]}}
    assert render_table(resolve_kind("svc"), [service], now=NOW).splitlines()[1].split()[3] == "203.0.113.10,..."
    assert "203.0.113.10,203.0.113.9" in render_table(resolve_kind("svc"), [service], now=NOW, wide=True)


def test_an_empty_listing_prints_nothing_and_kubectls_message_goes_to_stderr():
    assert render_table(resolve_kind("pods"), [], now=NOW) == ""
    assert no_resources_message(resolve_kind("pods")) == "No resources found in default namespace.\n"
    assert no_resources_message(resolve_kind("pods"), namespace="dev") == "No resources found in dev namespace.\n"
    assert no_resources_message(resolve_kind("pods"), all_namespaces=True) == "No resources found\n"
    assert no_resources_message(resolve_kind("nodes")) == "No resources found\n"


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (-5, "<invalid>"),
        (-1, "0s"),
        (0, "0s"),
        (5, "5s"),
        (119, "119s"),
        (120, "2m"),
        (192, "3m12s"),
        (600, "10m"),
        (10799, "179m"),
        (3 * 3600, "3h"),
        (5 * 3600 + 180, "5h3m"),
        (8 * 3600, "8h"),
        (47 * 3600, "47h"),
        (51 * 3600, "2d3h"),
        (7 * 86400, "7d"),
        (8 * 86400 + 3600, "8d"),
        (400 * 86400, "400d"),
        (3 * 365 * 86400 + 12 * 86400, "3y12d"),
        (9 * 365 * 86400, "9y"),
    ],
)
def test_ages_read_like_kubectls(seconds, text):
    assert human_duration(seconds) == text


def test_a_named_object_prints_as_itself_and_several_as_a_list():
    objects = cluster()
    service = objects["Service/hello-world-service"]
    assert_golden("kube-get-service.yaml", render_objects([service], "yaml", single=True))
    text = render_objects([objects["Pod/hello-world"], service], "json", single=False)
    assert_golden("kube-get-list.json", text)
    listing = json.loads(text)
    assert list(listing) == ["apiVersion", "items", "kind", "metadata"]
    assert listing["metadata"] == {"resourceVersion": ""} and listing["items"][1] == service
    assert list(listing["items"][0]) == ["apiVersion", "kind", "metadata", "spec", "status"]
    assert text.startswith('{\n    "apiVersion": "v1",\n    "items": [\n        {\n')


def test_yaml_and_json_output_read_back_to_the_same_objects_and_escape_like_go():
    objects = list(cluster().values())
    assert parse_stream(render_objects(objects, "yaml", single=False), "out.yaml")[0]["items"] == objects
    assert json.loads(render_objects(objects, "json", single=False))["items"] == objects
    odd = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "a", "annotations": {"x": "<none> & é"}}}
    assert '"x": "\\u003cnone\\u003e \\u0026 é"' in render_objects([odd], "json", single=True)


def related_to(objects: dict[str, dict], obj: dict) -> dict[str, list[dict]]:
    """Give a describe page every object of the object's namespace (all of them for a cluster-scoped one)."""
    namespace = obj["metadata"].get("namespace")
    related: dict[str, list[dict]] = {}
    for candidate in objects.values():
        if namespace is None or candidate["metadata"].get("namespace") in (namespace, None):
            related.setdefault(candidate["kind"], []).append(candidate)
    return related


@pytest.mark.parametrize(
    ("key", "golden"),
    [
        ("Pod/hello-world", "kube-describe-pod.txt"),
        ("Pod/netserver-0", "kube-describe-pod-crashing.txt"),
        ("Service/hello-world-service", "kube-describe-service.txt"),
        ("Service/hello-world", "kube-describe-service-lb.txt"),
        ("Service/node-port-service", "kube-describe-service-nodeport.txt"),
        ("Deployment/affinity-clusterip", "kube-describe-deployment.txt"),
        ("Ingress/hello-ingress", "kube-describe-ingress-talk.txt"),
        ("Ingress/echo", "kube-describe-ingress.txt"),
        ("NetworkPolicy/test-network-policy", "kube-describe-netpol-talk.txt"),
        ("NetworkPolicy/allow-client-a-via-ns-and-pod-selector", "kube-describe-netpol-selectors.txt"),
        ("NetworkPolicy/allow-egress-cidr-except", "kube-describe-netpol-ipblock.txt"),
        ("Namespace/nettest-4417", "kube-describe-namespace.txt"),
        ("Node/node-1", "kube-describe-node.txt"),
        ("Secret/hello-tls", "kube-describe-secret.txt"),
        ("Endpoints/hello-world-service", "kube-describe-endpoints.txt"),
        ("EndpointSlice/hello-world-8m2xd", "kube-describe-endpointslice.txt"),
    ],
)
def test_describe_pages_golden(key, golden):
    objects = cluster()
    assert_golden(golden, render_describe(objects[key], related_to(objects, objects[key])))


def test_given_only_endpoints_describe_reads_them_as_older_kubectl_did():
    objects = cluster()
    page = render_describe(
        objects["Service/hello-world-service"], {"Endpoints": [objects["Endpoints/hello-world-service"]]}
    )
    assert "Endpoints:                10.244.0.7:80,10.244.1.7:80,10.244.2.7:80 + 2 more...\n" in page


def test_describing_a_service_shows_the_endpoints_of_each_port():
    objects = cluster()
    page = render_describe(objects["Service/hello-world-service"], related_to(objects, objects["Service/hello-world"]))
    # Five endpoints, the fifth not ready: kubectl counts only ready ones past the third.
    assert "Endpoints:                10.244.0.7:80,10.244.1.7:80,10.244.2.7:80 + 1 more...\n" in page


def test_describing_a_policy_puts_its_rules_in_words():
    page = render_describe(cluster()["NetworkPolicy/test-network-policy"], {})
    assert "  Allowing ingress traffic:\n    To Port: 6379/TCP\n    From:\n      PodSelector: role=frontend\n" in page


def test_describe_does_not_change_the_object():
    objects = cluster()
    before = copy.deepcopy(objects)
    for key in objects:
        render_describe(objects[key], {})
    assert objects == before
