"""Kinds: every kubectl spelling resolves, unknown names fail with kubectl's words, manifests name kinds exactly."""

from __future__ import annotations

import pytest

from netcore.errors import NotFound, SpecError
from netcore.kube.kinds import KINDS, kind_of, resolve_kind


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("pod", "Pod"),
        ("pods", "Pod"),
        ("po", "Pod"),
        ("Pod", "Pod"),
        ("PODS", "Pod"),
        ("pod.v1", "Pod"),
        ("pods.v1.", "Pod"),
        ("deployments.apps", "Deployment"),
        ("deployment.v1.apps", "Deployment"),
        ("deploy", "Deployment"),
        ("rs", "ReplicaSet"),
        ("replicasets.apps", "ReplicaSet"),
        ("svc", "Service"),
        ("services", "Service"),
        ("ep", "Endpoints"),
        ("endpoints", "Endpoints"),
        ("endpointslices", "EndpointSlice"),
        ("endpointslice.discovery.k8s.io", "EndpointSlice"),
        ("endpointslices.v1.discovery.k8s.io", "EndpointSlice"),
        ("ing", "Ingress"),
        ("ingresses.networking.k8s.io", "Ingress"),
        ("ingressclasses", "IngressClass"),
        ("netpol", "NetworkPolicy"),
        ("networkpolicies.networking.k8s.io", "NetworkPolicy"),
        ("ns", "Namespace"),
        ("namespace", "Namespace"),
        ("no", "Node"),
        ("nodes", "Node"),
        ("secrets", "Secret"),
        (" svc ", "Service"),
        ("rc", "ReplicationController"),
        ("replicationcontrollers", "ReplicationController"),
        ("ds", "DaemonSet"),
        ("daemonsets.apps", "DaemonSet"),
        ("cm", "ConfigMap"),
        ("configmaps", "ConfigMap"),
        ("sa", "ServiceAccount"),
        ("serviceaccounts.v1.", "ServiceAccount"),
        ("sts", "StatefulSet"),
        ("statefulsets.apps", "StatefulSet"),
    ],
)
def test_every_kubectl_spelling_resolves(text, kind):
    assert resolve_kind(text).kind == kind


@pytest.mark.parametrize(
    "text", ["foo", "pods.apps", "deployments.v2", "deploy.extensions", "leases.coordination.k8s.io", ""]
)
def test_unknown_resource_types_fail_with_kubectls_words_and_the_supported_list(text):
    with pytest.raises(NotFound) as caught:
        resolve_kind(text)
    message = str(caught.value)
    assert message.startswith(f'the server doesn\'t have a resource type "{text}" (Podpath supports: ')
    assert "pods (po)" in message and "networkpolicies (netpol)" in message and "endpointslices," in message


def test_kinds_know_their_coordinates_and_which_are_derived():
    by_kind = {kind.kind: kind for kind in KINDS}
    assert by_kind["Deployment"].api_version == "apps/v1"
    assert by_kind["Pod"].api_version == "v1"
    assert by_kind["EndpointSlice"].resource == "endpointslices.discovery.k8s.io"
    assert {k.kind for k in KINDS if k.read_only} == {"Node", "Endpoints", "EndpointSlice"}
    assert {k.kind for k in KINDS if not k.namespaced and not k.stored_only} == {
        "Namespace",
        "Node",
        "IngressClass",
        "GatewayClass",
    }
    assert {k.kind for k in KINDS if not k.namespaced and k.stored_only} == {
        "PersistentVolume",
        "StorageClass",
        "ClusterRole",
        "ClusterRoleBinding",
        "PriorityClass",
    }


def test_manifests_name_kinds_by_api_version_and_kind():
    assert kind_of("networking.k8s.io/v1", "NetworkPolicy").plural == "networkpolicies"
    assert kind_of("extensions/v1beta1", "Ingress").kind == "Ingress"  # the talk's, converted on input
    with pytest.raises(SpecError) as caught:
        kind_of("extensions/v1beta1", "NetworkPolicy", source="np.yaml")
    assert str(caught.value) == (
        'np.yaml: apiVersion: networking.k8s.io/v1 for kind NetworkPolicy, got "extensions/v1beta1"'
    )
    with pytest.raises(SpecError) as caught:
        kind_of("v1", "pod")  # kinds are case-sensitive in manifests, as in Kubernetes
    assert caught.value.field == "kind" and caught.value.expected.endswith('got "pod"')
