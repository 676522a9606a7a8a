"""The controllers: derive what a real cluster's control plane would, from the objects applied.

Pure and run after every change, in the order a real control plane converges: namespaces; nodes;
Deployments to ReplicaSets, and ReplicaSets, ReplicationControllers, DaemonSets and StatefulSets to pods;
scheduling (the node with fewest pods among those a pod fits); pod addresses and status;
Service addresses, NodePorts and LoadBalancer addresses; Endpoints and EndpointSlices. Allocations
already made are kept, so an object keeps its addresses for as long as it exists.
"""

from __future__ import annotations

import ipaddress

from netcore.kube import addresses
from netcore.kube.gateway.infra import derive_gateway_infrastructure, derive_gateway_status
from netcore.kube.ingress import derive_ingress_status, ingress_system_objects
from netcore.kube.naming import node_name, safe_suffix
from netcore.kube.netchecks import needs_health_check
from netcore.kube.pod_owners import derive_workload_pods, derive_workload_status, owner
from netcore.kube.scheduling import fits
from netcore.kube.selectors import matches_service
from netcore.kube.store import SYSTEM_NAMESPACES, Cluster, derived_uid, stamp_new

KUBERNETES_VERSION = "v1.34.0-podpath"
DNS_IMAGE = "podpath/coredns"


def run_controllers(cluster: Cluster, now: str) -> Cluster:
    """Derive every controller-owned object and status field; return the same cluster."""
    ensure_namespaces(cluster, now)
    derive_nodes(cluster, now)
    derive_gateway_infrastructure(cluster, now)  # Gateway API: each Gateway's pod and Service
    derive_workload_pods(cluster, now)
    schedule_pods(cluster)
    assign_pod_addresses(cluster, now)
    publish_ports(cluster)
    allocate_services(cluster)
    derive_endpoints(cluster, now)
    derive_workload_status(cluster)
    derive_ingress_status(cluster)
    derive_gateway_status(cluster, now)
    return cluster


def system_objects() -> list[dict]:
    """Cluster DNS as kubeadm installs it (the coredns Deployment behind the kube-dns Service), and
    the ingress controller."""
    return dns_objects() + ingress_system_objects()


def dns_objects() -> list[dict]:
    labels = {"k8s-app": "kube-dns"}
    return [
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "coredns", "namespace": "kube-system", "labels": dict(labels)},
            "spec": {
                "replicas": 1,
                "selector": {"matchLabels": dict(labels)},
                "template": {
                    "metadata": {"labels": dict(labels)},
                    # On the control-plane node, beside the ingress controller (where it always landed).
                    "spec": {
                        "nodeName": "node0",
                        "containers": [
                            {
                                "name": "coredns",
                                "image": DNS_IMAGE,
                                "ports": [
                                    {"name": "dns", "containerPort": 53, "protocol": "UDP"},
                                    {"name": "dns-tcp", "containerPort": 53, "protocol": "TCP"},
                                ],
                            }
                        ],
                    },
                },
            },
        },
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {
                "name": "kube-dns",
                "namespace": "kube-system",
                "labels": {"k8s-app": "kube-dns", "kubernetes.io/name": "CoreDNS"},
            },
            "spec": {
                "type": "ClusterIP",
                "clusterIP": addresses.CLUSTER_DNS_IP,
                "selector": dict(labels),
                "sessionAffinity": "None",
                "ports": [
                    {"name": "dns", "port": 53, "targetPort": 53, "protocol": "UDP"},
                    {"name": "dns-tcp", "port": 53, "targetPort": 53, "protocol": "TCP"},
                ],
            },
        },
    ]


def ensure_namespaces(cluster: Cluster, now: str) -> None:
    for name in SYSTEM_NAMESPACES:
        if cluster.get("Namespace", "", name) is None:
            obj = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}, "spec": {}}
            stamp_new(cluster, obj, now)
            cluster.put(obj)
    for ns in cluster.list("Namespace"):
        # The API server labels every namespace with its own name (NetworkPolicy selects by it).
        ns["metadata"].setdefault("labels", {})["kubernetes.io/metadata.name"] = ns["metadata"]["name"]
        ns["spec"] = {"finalizers": ["kubernetes"]}
        ns["status"] = {"phase": "Active"}


def derive_nodes(cluster: Cluster, now: str) -> None:
    for kind, ns, name in [k for k in cluster.objects if k[0] == "Node"]:
        del cluster.objects[(kind, ns, name)]
    for index in range(cluster.config.nodes):
        name = node_name(index)
        roles = {"node-role.kubernetes.io/control-plane": ""} if index == 0 else {}
        cluster.put(
            {
                "apiVersion": "v1",
                "kind": "Node",
                "metadata": {
                    "name": name,
                    "uid": derived_uid(cluster_uid(cluster), "Node", name),
                    "creationTimestamp": cluster_birth(cluster, now),
                    "labels": {"kubernetes.io/hostname": name, "kubernetes.io/os": "linux", **roles},
                },
                "spec": {
                    "podCIDR": str(addresses.node_pod_cidr(index)),
                    "podCIDRs": [str(addresses.node_pod_cidr(index))],
                },
                "status": {
                    "addresses": [
                        {"type": "InternalIP", "address": addresses.node_address(index)},
                        {"type": "Hostname", "address": name},
                    ],
                    "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady"}],
                    "nodeInfo": {
                        "kubeletVersion": KUBERNETES_VERSION,
                        "osImage": "Podpath network namespaces",
                        "containerRuntimeVersion": "podpath://1",
                    },
                },
            }
        )


def cluster_uid(cluster: Cluster) -> str:
    """The uid of the cluster's default namespace: unique per cluster, the root of its nodes' uids."""
    return cluster.objects[("Namespace", "", "default")]["metadata"]["uid"]


def cluster_birth(cluster: Cluster, now: str) -> str:
    default = cluster.get("Namespace", "", "default")
    return default["metadata"]["creationTimestamp"] if default else now


def schedule_pods(cluster: Cluster) -> None:
    """Bind each unscheduled pod to the node running the fewest pods (ties: the lowest node) among the
    nodes its nodeSelector and node affinity allow; a pod no node fits stays unscheduled (Pending)."""
    nodes = [node_name(i) for i in range(cluster.config.nodes)]
    load = {n: 0 for n in nodes}
    pods = cluster.list("Pod")
    for pod in pods:
        node = pod["spec"].get("nodeName")
        if node in load:
            load[node] += 1
    host_ports = {n: {p for pod in pods if pod["spec"].get("nodeName") == n for p in host_ports_of(pod)} for n in nodes}
    for pod in sorted(
        pods, key=lambda p: (p["metadata"]["creationTimestamp"], p["metadata"].get("namespace"), p["metadata"]["name"])
    ):
        if pod["spec"].get("nodeName") in load:
            continue
        pod["spec"].pop("nodeName", None)
        wanted = host_ports_of(pod)  # the scheduler's NodePorts filter: a node's port serves one pod
        allowed = [
            n for n in nodes if fits(pod["spec"], cluster.objects[("Node", "", n)]) and not wanted & host_ports[n]
        ]
        if not allowed:
            continue
        target = min(allowed, key=lambda n: (load[n], nodes.index(n)))
        pod["spec"]["nodeName"] = target
        load[target] += 1
        host_ports[target] |= wanted


def host_ports_of(pod: dict) -> set[tuple[int, str]]:
    """The node ports a pod takes: its hostPorts (a host-network pod's ports all are)."""
    return {
        (port["hostPort"], port.get("protocol", "TCP"))
        for container in pod["spec"].get("containers", [])
        for port in container.get("ports", [])
        if port.get("hostPort")
    }


def node_index(node: str) -> int:
    return int(node.removeprefix("node"))


def assign_pod_addresses(cluster: Cluster, now: str) -> None:
    pods = cluster.list("Pod")
    taken = {p.get("status", {}).get("podIP") for p in pods} - {None}
    for pod in pods:
        if "nodeName" not in pod["spec"]:
            pod["status"] = pending_status(cluster, pod, now)
            continue
        index = node_index(pod["spec"]["nodeName"])
        status = pod.setdefault("status", {})
        ip = status.get("podIP")
        if pod["spec"].get("hostNetwork"):
            ip = addresses.node_address(index)  # the node's own namespace, so the node's address
        elif ip is None or not in_node_range(ip, index):
            ip = addresses.allocate_pod_ip(index, taken)
            taken.add(ip)
        started = status.get("startTime", now)
        containers = pod["spec"].get("containers", [])
        pod["status"] = {
            "phase": "Running",
            "conditions": [
                {"type": t, "status": "True", "lastTransitionTime": started}
                for t in ("Initialized", "Ready", "ContainersReady", "PodScheduled")
            ],
            "hostIP": addresses.node_address(index),
            "hostIPs": [{"ip": addresses.node_address(index)}],
            "podIP": ip,
            "podIPs": [{"ip": ip}],
            "startTime": started,
            "qosClass": "BestEffort",
            "containerStatuses": [
                {
                    "name": c["name"],
                    "image": c.get("image", ""),
                    "imageID": "",
                    "ready": True,
                    "started": True,
                    "restartCount": 0,
                    "containerID": f"podpath://{pod['metadata']['uid'][:8]}-{c['name']}",
                    "state": {"running": {"startedAt": started}},
                }
                for c in containers
            ],
        }


def pending_status(cluster: Cluster, pod: dict, now: str) -> dict:
    """The status of a pod no node fits, with the scheduler's reason."""
    since = (pod.get("status") or {}).get("conditions", [{}])[0].get("lastTransitionTime", now)
    count = cluster.config.nodes
    return {
        "phase": "Pending",
        "qosClass": "BestEffort",
        "conditions": [
            {
                "type": "PodScheduled",
                "status": "False",
                "reason": "Unschedulable",
                "lastTransitionTime": since,
                "message": f"0/{count} nodes are available: {count} node(s) didn't match Pod's node affinity/selector.",
            }
        ],
    }


def in_node_range(ip: str, index: int) -> bool:
    return ipaddress.IPv4Address(ip) in addresses.node_pod_cidr(index)


PUBLISHED = "podpath.dev/published-ports"


def publish_ports(cluster: Cluster) -> None:
    """Publish container ports on the pod's node: a port with a ``hostPort`` on that port in every pod
    network (as the CNI's portmap plugin does), and in the "bad way" (nat mode) every other port too, as
    ``docker run -p``.

    In nat mode a port below 1024 is published 8000 higher (80 -> 8080); a taken one moves to the next
    free port, so two pods with port 80 on one node get 8080 and 8081: the port conflicts the talk warns
    about. A hostPort another pod of the node already holds is not published (the first pod keeps it).
    """
    pods = sorted(
        cluster.list("Pod"),
        key=lambda p: (p["metadata"]["creationTimestamp"], p["metadata"]["namespace"], p["metadata"]["name"]),
    )
    used: dict[str, set[int]] = {}
    chosen: dict[tuple[str, str], list[tuple[int, dict]]] = {}
    pods = [pod for pod in pods if "nodeName" in pod["spec"] and not pod["spec"].get("hostNetwork")]
    for pod in pods:  # hostPorts first, so an automatic nat-mode port never takes one a pod asked for
        taken = used.setdefault(pod["spec"]["nodeName"], set())
        mine = chosen.setdefault((pod["metadata"]["namespace"], pod["metadata"]["name"]), [])
        for port in container_ports(pod):
            if port.get("hostPort") and port["hostPort"] not in taken:
                taken.add(port["hostPort"])
                mine.append((port["hostPort"], port))
    for pod in pods:
        taken = used[pod["spec"]["nodeName"]]
        mine = chosen[(pod["metadata"]["namespace"], pod["metadata"]["name"])]
        if cluster.config.cni == "nat":
            for port in container_ports(pod):
                if port.get("hostPort"):
                    continue
                candidate = port["containerPort"] + (8000 if port["containerPort"] < 1024 else 0)
                while candidate in taken:
                    candidate += 1
                taken.add(candidate)
                mine.append((candidate, port))
        annotations = pod["metadata"].setdefault("annotations", {})
        annotations.pop(PUBLISHED, None)
        if mine:
            annotations[PUBLISHED] = ",".join(
                f"{pod['status']['hostIP']}:{host_port}->{port['containerPort']}/{port.get('protocol', 'TCP')}"
                for host_port, port in mine
            )
        if not annotations:
            del pod["metadata"]["annotations"]


def container_ports(pod: dict) -> list[dict]:
    return [port for container in pod["spec"].get("containers", []) for port in container.get("ports", [])]


def allocate_services(cluster: Cluster) -> None:
    services = cluster.list("Service")
    ips = {s["spec"].get("clusterIP") for s in services} - {None, "None", ""}
    ports = (
        {p.get("nodePort") for s in services for p in s["spec"].get("ports", [])}
        | {s["spec"].get("healthCheckNodePort") for s in services}
    ) - {None}
    balancers = {i.get("ip") for s in services for i in s.get("status", {}).get("loadBalancer", {}).get("ingress", [])}
    # Addresses asked for with spec.loadBalancerIP are never handed to another Service.
    requested = {s["spec"].get("loadBalancerIP") for s in services if s["spec"].get("type") == "LoadBalancer"} - {None}
    for service in services:
        spec = service["spec"]
        name = f"{service['metadata']['namespace']}/{service['metadata']['name']}"
        if spec.get("type") == "ExternalName":  # a DNS alias (a CNAME): no address, no node ports
            for field_name in ("clusterIP", "clusterIPs"):
                spec.pop(field_name, None)
            service["status"] = {"loadBalancer": {}}
            continue
        if spec.get("clusterIP") in (None, ""):
            spec["clusterIP"] = addresses.allocate_cluster_ip(name, ips)
            ips.add(spec["clusterIP"])
        spec["clusterIPs"] = [spec["clusterIP"]]
        kind = spec.get("type", "ClusterIP")
        # A LoadBalancer may go without node ports (allocateLoadBalancerNodePorts: false), as with MetalLB.
        wants_node_ports = kind == "NodePort" or (
            kind == "LoadBalancer" and spec.get("allocateLoadBalancerNodePorts", True)
        )
        for port in spec.get("ports", []):
            if wants_node_ports and not port.get("nodePort"):
                port["nodePort"] = addresses.allocate_node_port(
                    f"{name}/{port.get('port')}/{port.get('protocol')}", ports
                )
                ports.add(port["nodePort"])
            elif kind == "ClusterIP":
                port.pop("nodePort", None)
        if needs_health_check(spec):  # kube-proxy's health check port for the load balancer
            if not spec.get("healthCheckNodePort"):
                spec["healthCheckNodePort"] = addresses.allocate_node_port(f"{name}/health", ports)
                ports.add(spec["healthCheckNodePort"])
        else:
            spec.pop("healthCheckNodePort", None)
        status: dict[str, dict] = {"loadBalancer": {}}
        if kind == "LoadBalancer":
            current = [i["ip"] for i in service.get("status", {}).get("loadBalancer", {}).get("ingress", [])]
            wanted = spec.get("loadBalancerIP")
            if current and wanted in (None, current[0]):
                ip = current[0]
            elif wanted:  # as MetalLB: the address asked for, unless another Service holds it (then pending)
                ip = wanted if wanted not in balancers - set(current) else None
            else:
                ip = addresses.allocate_load_balancer_ip(balancers | requested)
            if ip is not None:
                balancers.add(ip)
                status = {"loadBalancer": {"ingress": [{"ip": ip, "ipMode": "VIP"}]}}
        service["status"] = status


def derive_endpoints(cluster: Cluster, now: str) -> None:
    """Endpoints and EndpointSlices of every Service with a selector, from its ready pods."""
    for key in [k for k in cluster.objects if k[0] in ("Endpoints", "EndpointSlice")]:
        del cluster.objects[key]
    for service in cluster.list("Service"):
        selector = service["spec"].get("selector")
        if not selector or service["spec"].get("type") == "ExternalName":
            continue  # a Service without a selector has endpoints managed by hand (unsupported)
        namespace, name = service["metadata"]["namespace"], service["metadata"]["name"]
        pods = [
            p
            for p in cluster.list("Pod", namespace)
            if matches_service(selector, p["metadata"].get("labels", {}))
            and p.get("status", {}).get("phase") == "Running"
        ]
        groups = endpoint_groups(service, pods)
        endpoints = {
            "apiVersion": "v1",
            "kind": "Endpoints",
            "metadata": {"name": name, "namespace": namespace, "labels": dict(service["metadata"].get("labels", {}))},
            "subsets": [
                {"addresses": [address_of(p) for p in group_pods], "ports": group_ports}
                for group_ports, group_pods in groups
            ],
        }
        if not endpoints["subsets"]:
            del endpoints["subsets"]
        stamp_derived(endpoints, service)
        cluster.put(endpoints)
        for index, (group_ports, group_pods) in enumerate(groups or [([], [])]):
            slice_name = f"{name}-{safe_suffix(5, namespace, name, str(index))}"
            eps = {
                "apiVersion": "discovery.k8s.io/v1",
                "kind": "EndpointSlice",
                "addressType": "IPv4",
                "metadata": {
                    "name": slice_name,
                    "namespace": namespace,
                    "labels": {
                        "kubernetes.io/service-name": name,
                        "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io",
                    },
                    "ownerReferences": [owner(service)],
                },
                "endpoints": [
                    {
                        "addresses": [p["status"]["podIP"]],
                        "conditions": {"ready": True, "serving": True, "terminating": False},
                        "nodeName": p["spec"]["nodeName"],
                        "targetRef": target_ref(p),
                    }
                    for p in group_pods
                ],
                "ports": group_ports,
            }
            stamp_derived(eps, service)
            cluster.put(eps)


def stamp_derived(obj: dict, source: dict) -> None:
    obj["metadata"]["creationTimestamp"] = source["metadata"]["creationTimestamp"]
    obj["metadata"]["uid"] = derived_uid(source["metadata"]["uid"], obj["kind"], obj["metadata"]["name"])


def target_ref(pod: dict) -> dict:
    return {
        "kind": "Pod",
        "name": pod["metadata"]["name"],
        "namespace": pod["metadata"]["namespace"],
        "uid": pod["metadata"]["uid"],
    }


def address_of(pod: dict) -> dict:
    return {"ip": pod["status"]["podIP"], "nodeName": pod["spec"]["nodeName"], "targetRef": target_ref(pod)}


def endpoint_groups(service: dict, pods: list[dict]) -> list[tuple[list[dict], list[dict]]]:
    """Group pods by the ports a Service's target ports resolve to on them (named ports may differ)."""
    groups: dict[tuple, list[dict]] = {}
    for pod in pods:
        resolved = []
        for port in service["spec"].get("ports", []):
            number = resolve_target_port(port, pod)
            if number is not None:
                entry = {"port": number, "protocol": port.get("protocol", "TCP")}
                if port.get("name"):
                    entry["name"] = port["name"]
                resolved.append(entry)
        if resolved:
            groups.setdefault(tuple(tuple(sorted(p.items())) for p in resolved), []).append(pod)
    return [([dict(p) for p in ports], members) for ports, members in groups.items()]


def resolve_target_port(port: dict, pod: dict) -> int | None:
    """Return the pod port a Service port sends to: a number, or a container port found by name."""
    target = port.get("targetPort", port.get("port"))
    if isinstance(target, int):
        return target
    if isinstance(target, str) and target.isdigit():
        return int(target)
    for container in pod["spec"].get("containers", []):
        for container_port in container.get("ports", []):
            if container_port.get("name") == target and container_port.get("protocol", "TCP") == port.get(
                "protocol", "TCP"
            ):
                return container_port["containerPort"]
    return None
