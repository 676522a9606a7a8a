"""Workload and config kinds: ReplicaSet, ReplicationController, DaemonSet own pods like a Deployment's;
ConfigMap, Secret and ServiceAccount are stored."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from netcore.kube.api import parse_manifests
from netcore.kube.cluster import ClusterConfig, apply_objects, delete_objects, new_cluster
from netcore.kube.kinds import resolve_kind
from netcore.kube.manifests import InvalidManifest
from netcore.kube.printers import render_table

NOW = "2026-11-26T10:00:00Z"
LATER = "2026-11-26T10:05:00Z"
AGNHOST = "registry.k8s.io/e2e-test-images/agnhost:2.47"

# As the e2e Service tests create their backends: a ReplicationController without a selector.
RC = f"""
apiVersion: v1
kind: ReplicationController
metadata: {{name: affinity}}
spec:
  replicas: 3
  template:
    metadata: {{labels: {{name: affinity}}}}
    spec:
      containers:
      - {{name: agnhost, image: {AGNHOST}, args: [serve-hostname], ports: [{{containerPort: 9376}}]}}
---
apiVersion: v1
kind: Service
metadata: {{name: affinity}}
spec:
  selector: {{name: affinity}}
  ports: [{{port: 80, targetPort: 9376}}]
"""
RS = f"""
apiVersion: apps/v1
kind: ReplicaSet
metadata: {{name: front}}
spec:
  replicas: 2
  selector: {{matchLabels: {{tier: front}}}}
  template:
    metadata: {{labels: {{tier: front}}}}
    spec:
      containers: [{{name: web, image: {AGNHOST}, args: [netexec]}}]
"""
DS = f"""
apiVersion: apps/v1
kind: DaemonSet
metadata: {{name: agent}}
spec:
  selector: {{matchLabels: {{app: agent}}}}
  template:
    metadata: {{labels: {{app: agent}}}}
    spec:
      containers: [{{name: a, image: {AGNHOST}, args: [netexec, --http-port=8080]}}]
"""
CONFIG = """
apiVersion: v1
kind: ConfigMap
metadata: {name: settings}
data: {mode: fast, nginx.conf: "server {}"}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: robot}
---
apiVersion: v1
kind: Secret
metadata: {name: tokens}
stringData: {token: s3cret}
"""


def cluster_with(text: str, nodes: int = 3):
    cluster, _ = apply_objects(new_cluster(ClusterConfig(nodes=nodes), NOW), parse_manifests(text, "t.yaml"), NOW)
    return cluster


def pods_of(cluster, prefix: str) -> list[dict]:
    return [p for p in cluster.list("Pod", "default") if p["metadata"]["name"].startswith(prefix + "-")]


def test_a_replication_controller_selects_its_template_labels_and_its_pods_are_the_services_endpoints():
    cluster = cluster_with(RC)
    rc = cluster.get("ReplicationController", "default", "affinity")
    assert rc["spec"]["selector"] == {"name": "affinity"} and rc["metadata"]["labels"] == {"name": "affinity"}
    pods = pods_of(cluster, "affinity")
    assert len(pods) == 3 and {p["metadata"]["ownerReferences"][0]["kind"] for p in pods} == {"ReplicationController"}
    assert rc["status"]["readyReplicas"] == 3
    (subset,) = cluster.get("Endpoints", "default", "affinity")["subsets"]
    assert sorted(a["ip"] for a in subset["addresses"]) == sorted(p["status"]["podIP"] for p in pods)
    assert subset["ports"] == [{"port": 9376, "protocol": "TCP"}]


def test_a_replica_set_applied_by_hand_keeps_its_pods_and_scales():
    cluster = cluster_with(RS)
    assert len(pods_of(cluster, "front")) == 2
    scaled, outcomes = apply_objects(
        cluster, parse_manifests(RS.replace("replicas: 2", "replicas: 4"), "t.yaml"), LATER
    )
    assert outcomes[0][1] == "configured" and len(pods_of(scaled, "front")) == 4
    assert scaled.get("ReplicaSet", "default", "front") is not None
    gone, _ = delete_objects(scaled, [("ReplicaSet", "default", "front")], LATER)
    assert pods_of(gone, "front") == []


def test_a_daemon_set_runs_one_pod_per_node_and_replaces_them_when_its_template_changes():
    cluster = cluster_with(DS)
    pods = pods_of(cluster, "agent")
    assert sorted(p["spec"]["nodeName"] for p in pods) == ["node0", "node1", "node2"]
    status = cluster.get("DaemonSet", "default", "agent")["status"]
    assert (status["desiredNumberScheduled"], status["numberReady"]) == (3, 3)
    changed, _ = apply_objects(cluster, parse_manifests(DS.replace("8080", "8081"), "t.yaml"), LATER)
    after = pods_of(changed, "agent")
    assert len(after) == 3 and not {p["metadata"]["name"] for p in after} & {p["metadata"]["name"] for p in pods}
    again, outcomes = apply_objects(changed, parse_manifests(DS.replace("8080", "8081"), "t.yaml"), LATER)
    assert outcomes[0][1] == "unchanged" and pods_of(again, "agent") == after


def test_config_kinds_are_stored_as_the_api_server_stores_them():
    cluster = cluster_with(CONFIG)
    assert cluster.get("ConfigMap", "default", "settings")["data"] == {"mode": "fast", "nginx.conf": "server {}"}
    assert cluster.get("Secret", "default", "tokens")["data"] == {"token": "czNjcmV0"}
    assert cluster.get("ServiceAccount", "default", "robot")["metadata"]["uid"]


def test_get_tables_for_the_new_kinds():
    cluster = cluster_with(RC + "---" + DS + "---" + CONFIG)
    now = datetime(2026, 11, 26, 10, 1, tzinfo=UTC)

    def table(name: str) -> list[list[str]]:
        kind = resolve_kind(name)
        return [line.split() for line in render_table(kind, cluster.list(kind.kind, "default"), now=now).splitlines()]

    assert table("rc") == [["NAME", "DESIRED", "CURRENT", "READY", "AGE"], ["affinity", "3", "3", "3", "60s"]]
    assert table("ds")[1] == ["agent", "3", "3", "3", "3", "3", "<none>", "60s"]
    assert table("cm") == [["NAME", "DATA", "AGE"], ["settings", "2", "60s"]]
    assert table("sa") == [["NAME", "SECRETS", "AGE"], ["robot", "0", "60s"]]


@pytest.mark.parametrize(
    ("text", "field", "expected"),
    [
        (
            RS.replace("{matchLabels: {tier: front}}", "{matchLabels: {tier: back}}"),
            "spec.template.metadata.labels",
            "labels that spec.selector (tier=back) selects, got tier=front",
        ),
        (
            RC.split("---")[0].replace("  replicas: 3\n", "  replicas: 3\n  selector: {name: other}\n"),
            "spec.template.metadata.labels",
            "labels that spec.selector (name=other) selects, got name=affinity",
        ),
        (
            DS.replace("containers:", "restartPolicy: Never\n      containers:"),
            "spec.template.spec.restartPolicy",
            'Always (a DaemonSet restarts its pods), got "Never"',
        ),
        (
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: x}\nbinaryData: {a: eA==}\n",
            "binaryData.a",
            'a key not also in data, got "a" in both',
        ),
    ],
)
def test_workload_and_config_errors_the_api_server_makes_too(text, field, expected):
    with pytest.raises(InvalidManifest) as caught:
        parse_manifests(text, "t.yaml")
    assert (caught.value.field, caught.value.expected) == (field, expected)


# The StatefulSet of the Kubernetes documentation ("StatefulSet Basics"), its volume claims included.
STS = """
apiVersion: v1
kind: Service
metadata: {name: nginx, labels: {app: nginx}}
spec:
  ports: [{port: 80, name: web}]
  clusterIP: None
  selector: {app: nginx}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: web}
spec:
  serviceName: nginx
  replicas: 3
  selector: {matchLabels: {app: nginx}}
  template:
    metadata: {labels: {app: nginx}}
    spec:
      containers:
      - name: nginx
        image: registry.k8s.io/nginx-slim:0.24
        ports: [{containerPort: 80, name: web}]
        volumeMounts: [{name: www, mountPath: /usr/share/nginx/html}]
  volumeClaimTemplates:
  - metadata: {name: www}
    spec:
      accessModes: [ReadWriteOnce]
      resources: {requests: {storage: 1Gi}}
"""


def test_a_stateful_set_has_stable_names_and_per_pod_dns_names_through_its_headless_service():
    from netcore.kube.api import check_manifests
    from netcore.kube.compile.dns import dns_records

    warnings = [w for checked in check_manifests(STS, "t.yaml") for w in checked.warnings]
    assert warnings == [
        "spec.template.spec.containers[0].volumeMounts is stored but has no effect in Podpath",
        "spec.volumeClaimTemplates is stored but has no effect in Podpath",
    ]
    cluster = cluster_with(STS)
    pods = {p["metadata"]["name"]: p for p in pods_of(cluster, "web")}
    assert sorted(pods) == ["web-0", "web-1", "web-2"]
    assert (pods["web-1"]["spec"]["hostname"], pods["web-1"]["spec"]["subdomain"]) == ("web-1", "nginx")
    assert pods["web-1"]["metadata"]["labels"]["apps.kubernetes.io/pod-index"] == "1"
    records = dns_records(cluster)["records"]
    assert records["web-0.nginx.default.svc.cluster.local"] == [pods["web-0"]["status"]["podIP"]]
    assert sorted(records["nginx.default.svc.cluster.local"]) == sorted(p["status"]["podIP"] for p in pods.values())

    scaled, _ = apply_objects(cluster, parse_manifests(STS.replace("replicas: 3", "replicas: 2"), "t.yaml"), LATER)
    assert sorted(p["metadata"]["name"] for p in pods_of(scaled, "web")) == ["web-0", "web-1"]
    kept = {p["metadata"]["name"]: p["metadata"]["uid"] for p in pods_of(scaled, "web")}
    assert kept == {name: pods[name]["metadata"]["uid"] for name in kept}
    updated, _ = apply_objects(
        scaled,
        parse_manifests(
            STS.replace("replicas: 3", "replicas: 2").replace("nginx-slim:0.24", "nginx-slim:0.27"), "t.yaml"
        ),
        LATER,
    )
    renewed = {p["metadata"]["name"]: p["metadata"]["uid"] for p in pods_of(updated, "web")}
    assert set(renewed) == set(kept) and not set(renewed.values()) & set(kept.values())
    now = datetime(2026, 11, 26, 10, 5, tzinfo=UTC)
    table = render_table(resolve_kind("sts"), updated.list("StatefulSet", "default"), now=now)
    assert table.splitlines() == ["NAME   READY   AGE", "web    2/2     5m"]


ENV_FROM_CONFIG = f"""
apiVersion: v1
kind: ConfigMap
metadata: {{name: ports}}
data: {{SERVE_PORT_9080: "from a ConfigMap", 9-not-a-variable: x}}
---
apiVersion: v1
kind: Secret
metadata: {{name: greeting}}
stringData: {{text: "from a Secret"}}
---
apiVersion: v1
kind: Pod
metadata: {{name: porter}}
spec:
  containers:
  - name: porter
    image: {AGNHOST}
    args: [porter]
    envFrom: [{{configMapRef: {{name: ports}}}}, {{configMapRef: {{name: missing, optional: true}}}}]
    env:
    - name: SERVE_PORT_9081
      valueFrom: {{secretKeyRef: {{name: greeting, key: text}}}}
    - name: SERVE_PORT_9082
      valueFrom: {{configMapKeyRef: {{name: ports, key: no-such-key, optional: true}}}}
"""


def test_env_from_config_maps_and_secrets_reaches_the_image():
    from netcore.kube import images
    from netcore.kube.api import check_manifests

    assert [checked.warnings for checked in check_manifests(ENV_FROM_CONFIG, "t.yaml")] == [[], [], []]
    cluster = cluster_with(ENV_FROM_CONFIG)
    servers = images.pod_servers(cluster.get("Pod", "default", "porter"), "p", cluster.get)
    assert sorted((s.port, dict(s.options)["text"]) for s in servers) == [
        (9080, "from a ConfigMap"),
        (9081, "from a Secret"),
    ]
    assert images.pod_servers(cluster.get("Pod", "default", "porter"), "p") == ()  # nothing to read them from


def test_describe_pages_for_the_owners_of_pods():
    from netcore.kube.kinds import KINDS
    from netcore.kube.printers import render_describe

    cluster = cluster_with(
        RC
        + "---"
        + DS
        + "---"
        + STS
        + "---"
        + """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: hello-world}]}
"""
    )
    related = {k.kind: cluster.list(k.kind, "default" if k.namespaced else None) for k in KINDS}

    def page(kind: str, name: str) -> list[list[str]]:
        return [line.split() for line in render_describe(cluster.get(kind, "default", name), related).splitlines()]

    rc = page("ReplicationController", "affinity")
    assert ["Selector:", "name=affinity"] in rc and ["Replicas:", "3", "current", "/", "3", "desired"] in rc
    assert ["Pods", "Status:", "3", "Running", "/", "0", "Waiting", "/", "0", "Succeeded", "/", "0", "Failed"] in rc
    (replica_set,) = cluster.list("ReplicaSet", "default")
    assert ["Controlled", "By:", "Deployment/web"] in page("ReplicaSet", replica_set["metadata"]["name"])
    assert ["Desired", "Number", "of", "Nodes", "Scheduled:", "3"] in page("DaemonSet", "agent")
    sts = page("StatefulSet", "web")
    assert ["Replicas:", "3", "desired", "|", "3", "total"] in sts and ["Partition:", "0"] in sts


def test_stored_only_kinds_are_kept_and_listed_by_name_and_age():
    cluster = cluster_with("""
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: reader}
rules: [{apiGroups: [""], resources: [pods], verbs: [get]}]
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data}
spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
""")
    assert cluster.get("ClusterRole", "", "reader")["rules"][0]["verbs"] == ["get"]
    now = datetime(2026, 11, 26, 10, 2, tzinfo=UTC)
    pvc = render_table(resolve_kind("pvc"), cluster.list("PersistentVolumeClaim", "default"), now=now)
    assert pvc.splitlines() == ["NAME   AGE", "data   2m"]


def test_a_pod_owned_by_a_kind_without_a_controller_here_is_left_alone():
    owned = (
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: worker\n"
        "  ownerReferences: [{apiVersion: batch/v1, kind: Job, name: pi, uid: 0b6d7f7e-5a0c-4b4e-9d7a-2f1b7c9e8a11}]\n"
        "spec: {containers: [{name: c, image: busybox}]}\n"
    )
    cluster, _ = apply_objects(new_cluster(ClusterConfig(nodes=2), NOW), parse_manifests(owned, "t.yaml"), NOW)
    again, _ = apply_objects(cluster, parse_manifests(RS, "t.yaml"), LATER)  # the controllers run again
    assert again.get("Pod", "default", "worker") is not None
