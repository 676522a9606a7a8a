"""Defaults: what the API server fills in on create, and nothing it allocates."""

from __future__ import annotations

import base64

from netcore.kube.defaults import apply_defaults, pull_policy
from netcore.kube.manifests import load_documents, validate_objects
from tests.unit.test_kube_manifests import E2E, TALK


def objects(text: str) -> dict[str, dict]:
    return {
        o["metadata"]["name"] + "/" + o["kind"]: apply_defaults(o)
        for o in validate_objects(load_documents(text, "m.yaml"), "m.yaml")
    }


def test_the_talks_service_gets_the_api_servers_defaults_but_no_address():
    service = objects(TALK)["hello-world-service/Service"]
    assert service["metadata"] == {"name": "hello-world-service", "namespace": "default"}
    assert service["spec"] == {
        "type": "ClusterIP",
        "sessionAffinity": "None",
        "internalTrafficPolicy": "Cluster",
        "ipFamilies": ["IPv4"],
        "ipFamilyPolicy": "SingleStack",
        "selector": {"app": "hello-world"},
        "ports": [{"port": 8080, "targetPort": 80, "protocol": "TCP"}],
    }


def test_a_load_balancer_defaults_its_target_port_protocol_and_traffic_policy():
    spec = objects(TALK)["hello-world/Service"]["spec"]
    assert spec["ports"] == [{"name": "http", "port": 80, "targetPort": 80, "protocol": "TCP"}]
    assert spec["externalTrafficPolicy"] == "Cluster"
    assert "clusterIP" not in spec and "nodePort" not in spec["ports"][0]


def test_a_pod_gets_restart_dns_grace_and_port_protocol_defaults():
    pod = objects(TALK)["hello-world/Pod"]
    assert pod["spec"] == {
        "restartPolicy": "Always",
        "dnsPolicy": "ClusterFirst",
        "terminationGracePeriodSeconds": 30,
        "containers": [
            {
                "name": "hello-world",
                "image": "hello-world:1.0",
                "imagePullPolicy": "IfNotPresent",
                "ports": [{"containerPort": 80, "protocol": "TCP"}],
            }
        ],
    }
    assert "uid" not in pod["metadata"] and "status" not in pod


def test_field_refs_get_their_api_version():
    env = objects(E2E)["netserver-0/Pod"]["spec"]["containers"][0]["env"]
    assert env[0] == {"name": "POD_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP", "apiVersion": "v1"}}}


def test_a_deployment_gets_replicas_strategy_and_history_defaults_and_its_template_pod_defaults():
    (deployment,) = [
        apply_defaults(o)
        for o in validate_objects(
            load_documents(
                "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n"
                "spec:\n  selector: {matchLabels: {app: web}}\n"
                "  template:\n    metadata: {labels: {app: web}}\n    spec: {containers: [{name: c, image: nginx}]}\n",
                "d.yaml",
            ),
            "d.yaml",
        )
    ]
    spec = deployment["spec"]
    assert (spec["replicas"], spec["revisionHistoryLimit"], spec["progressDeadlineSeconds"]) == (1, 10, 600)
    assert spec["strategy"] == {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}}
    assert spec["template"]["spec"]["restartPolicy"] == "Always"
    assert spec["template"]["spec"]["containers"][0]["imagePullPolicy"] == "Always"  # no tag means :latest


def test_a_recreate_strategy_gets_no_rolling_update_and_explicit_values_stay():
    spec = apply_defaults(
        {"kind": "Deployment", "metadata": {"name": "d"}, "spec": {"replicas": 0, "strategy": {"type": "Recreate"}}}
    )["spec"]
    assert spec["strategy"] == {"type": "Recreate"} and spec["replicas"] == 0


def test_session_affinity_client_ip_gets_the_default_timeout():
    spec = apply_defaults(
        {"kind": "Service", "metadata": {"name": "s"}, "spec": {"sessionAffinity": "ClientIP", "ports": [{"port": 80}]}}
    )["spec"]
    assert spec["sessionAffinityConfig"] == {"clientIP": {"timeoutSeconds": 10800}}


def test_an_explicit_or_headless_cluster_ip_is_copied_to_cluster_ips():
    assert objects(E2E)["netserver/Service"]["spec"]["clusterIPs"] == ["None"]
    assert objects(E2E)["affinity-clusterip/Service"]["spec"]["clusterIPs"] == ["10.96.100.10"]


def test_network_policy_types_default_as_kubernetes_does():
    def types(spec: dict) -> list[str]:
        return apply_defaults({"kind": "NetworkPolicy", "metadata": {"name": "p"}, "spec": spec})["spec"]["policyTypes"]

    assert types({"podSelector": {}}) == ["Ingress"]
    assert types({"podSelector": {}, "egress": [{}]}) == ["Ingress", "Egress"]
    assert types({"podSelector": {}, "egress": []}) == ["Ingress"]
    assert types({"podSelector": {}, "policyTypes": ["Egress"]}) == ["Egress"]
    ports = objects(TALK)["test-network-policy/NetworkPolicy"]["spec"]["ingress"][0]["ports"]
    assert ports == [{"protocol": "TCP", "port": 6379}]


def test_namespaces_get_their_name_label_and_cluster_scoped_kinds_no_namespace():
    namespace = objects(E2E)["nettest-4417/Namespace"]
    assert namespace["metadata"]["labels"] == {
        "e2e-framework": "nettest",
        "kubernetes.io/metadata.name": "nettest-4417",
    }
    assert "namespace" not in namespace["metadata"]
    assert "namespace" not in objects(E2E)["podpath/IngressClass"]["metadata"]


def test_secret_string_data_is_stored_as_base64_data():
    secret = objects(E2E)["hello-tls/Secret"]
    assert "stringData" not in secret
    assert base64.b64decode(secret["data"]["tls.key"]).decode().startswith("-----BEGIN PRIVATE KEY-----")


def test_ingress_path_types_are_kept_and_the_input_is_not_changed():
    ingress = validate_objects(load_documents(E2E, "m.yaml"), "m.yaml")[-1]
    before = repr(ingress)
    defaulted = apply_defaults(ingress)
    assert repr(ingress) == before
    assert [p["pathType"] for p in defaulted["spec"]["rules"][0]["http"]["paths"]] == ["Prefix", "Exact"]
    assert defaulted["metadata"]["namespace"] == "nettest-4417"


def test_pull_policy_follows_the_image_tag():
    assert pull_policy("nginx") == "Always"
    assert pull_policy("nginx:latest") == "Always"
    assert pull_policy("nginx:1.25") == "IfNotPresent"
    assert pull_policy("localhost:5000/nginx") == "Always"
    assert pull_policy("registry.k8s.io/e2e-test-images/agnhost@sha256:abc") == "IfNotPresent"
