"""Manifests: the talk's and the e2e tests' documents load and validate; bad ones are refused whole, precisely."""

from __future__ import annotations

import pytest

from netcore.errors import SpecError
from netcore.kube.defaults import apply_defaults
from netcore.kube.manifests import InvalidManifest, check_documents, load_documents, validate_objects
from tests.talk import TALK

# Typical of the Kubernetes e2e network tests (test/e2e/network): agnhost netexec servers, services with
# named target ports, a headless service, policies combining selectors, ipBlock with except, endPort.
E2E = """\
apiVersion: v1
kind: Namespace
metadata:
  name: nettest-4417
  labels:
    e2e-framework: nettest
---
apiVersion: v1
kind: Pod
metadata:
  name: netserver-0
  namespace: nettest-4417
  labels:
    selector-7d3a: "true"
spec:
  nodeName: node-1
  hostname: netserver-0
  subdomain: netserver
  terminationGracePeriodSeconds: 0
  containers:
  - name: webserver
    image: registry.k8s.io/e2e-test-images/agnhost:2.53
    imagePullPolicy: IfNotPresent
    args:
    - netexec
    - --http-port=8083
    - --udp-port=8081
    env:
    - name: POD_IP
      valueFrom:
        fieldRef:
          fieldPath: status.podIP
    - name: NODE_NAME
      valueFrom:
        fieldRef:
          fieldPath: spec.nodeName
    - name: GREETING
      value: hello
    ports:
    - name: http
      containerPort: 8083
    - name: udp
      containerPort: 8081
      protocol: UDP
---
apiVersion: v1
kind: Service
metadata:
  name: node-port-service
  namespace: nettest-4417
spec:
  type: NodePort
  externalTrafficPolicy: Local
  ports:
  - name: http
    port: 80
    targetPort: http
    protocol: TCP
  - name: udp
    port: 90
    targetPort: udp
    protocol: UDP
    nodePort: 30090
  selector:
    selector-7d3a: "true"
---
apiVersion: v1
kind: Service
metadata:
  name: netserver
  namespace: nettest-4417
spec:
  clusterIP: None
  publishNotReadyAddresses: true
  ports:
  - name: http
    port: 8083
  selector:
    selector-7d3a: "true"
---
apiVersion: v1
kind: Service
metadata:
  name: affinity-clusterip
  namespace: nettest-4417
spec:
  clusterIP: 10.96.100.10
  sessionAffinity: ClientIP
  sessionAffinityConfig:
    clientIP:
      timeoutSeconds: 10
  ports:
  - port: 80
    targetPort: 9376
  selector:
    name: affinity-clusterip
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: affinity-clusterip
  namespace: nettest-4417
spec:
  replicas: 3
  selector:
    matchLabels:
      name: affinity-clusterip
    matchExpressions:
    - {key: tier, operator: NotIn, values: [db]}
  strategy:
    type: RollingUpdate
    rollingUpdate:
      maxSurge: 1
      maxUnavailable: 0
  template:
    metadata:
      labels:
        name: affinity-clusterip
    spec:
      containers:
      - name: agnhost
        image: registry.k8s.io/e2e-test-images/agnhost:2.53
        args: [serve-hostname]
        ports:
        - containerPort: 9376
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: allow-client-a-via-ns-and-pod-selector
  namespace: nettest-4417
spec:
  podSelector:
    matchLabels:
      pod-name: server
  policyTypes:
  - Ingress
  ingress:
  - from:
    - namespaceSelector:
        matchLabels:
          ns-name: nettest-b
      podSelector:
        matchExpressions:
        - key: pod-name
          operator: In
          values: [client-a]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: allow-egress-cidr-except
  namespace: nettest-4417
spec:
  podSelector: {}
  egress:
  - to:
    - ipBlock:
        cidr: 10.244.0.0/16
        except:
        - 10.244.1.0/24
    ports:
    - protocol: TCP
      port: 30000
      endPort: 32767
    - protocol: UDP
      port: dns
---
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata:
  name: podpath
  annotations:
    ingressclass.kubernetes.io/is-default-class: "true"
spec:
  controller: podpath.dev/ingress-nginx
---
apiVersion: v1
kind: Secret
metadata:
  name: hello-tls
  namespace: nettest-4417
type: kubernetes.io/tls
stringData:
  tls.crt: |
    -----BEGIN CERTIFICATE-----
    MIIBszCCAVmgAwIBAgIUQ==
    -----END CERTIFICATE-----
  tls.key: |
    -----BEGIN PRIVATE KEY-----
    MIGHAgEAMBMGByqGSM49==
    -----END PRIVATE KEY-----
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: echo
  namespace: nettest-4417
spec:
  ingressClassName: podpath
  tls:
  - hosts: [echo.example.com]
    secretName: hello-tls
  defaultBackend:
    service:
      name: netserver
      port:
        name: http
  rules:
  - host: echo.example.com
    http:
      paths:
      - path: /
        pathType: Prefix
        backend:
          service:
            name: node-port-service
            port:
              number: 80
      - path: /exact
        pathType: Exact
        backend:
          service:
            name: netserver
            port:
              number: 8083
"""


def load(text: str, source: str = "m.yaml") -> list[dict]:
    return validate_objects(load_documents(text, source), source)


def refusals(text: str) -> list[str]:
    with pytest.raises(InvalidManifest) as caught:
        load(text)
    return [str(error) for error in caught.value.errors]


def test_the_talks_five_manifests_validate():
    objects = load(TALK, "talk.yaml")
    assert [(o["kind"], o["metadata"]["name"]) for o in objects] == [
        ("Pod", "hello-world"),
        ("Service", "hello-world-service"),
        ("Service", "hello-world"),
        ("Ingress", "hello-ingress"),
        ("NetworkPolicy", "test-network-policy"),
    ]


def test_the_talks_v1beta1_ingress_is_converted_to_v1_keeping_the_path_text():
    ingress = load(TALK)[3]
    assert ingress["apiVersion"] == "networking.k8s.io/v1"
    assert ingress["metadata"]["annotations"] == {"podpath.dev/converted-from": "extensions/v1beta1"}
    world, darkness = ingress["spec"]["rules"]
    assert world["http"]["paths"] == [
        {
            "backend": {"service": {"name": "hello-world", "port": {"number": 8080}}},
            "pathType": "ImplementationSpecific",
        }
    ]
    assert darkness["http"]["paths"][0]["path"] == "/void/*"
    assert darkness["http"]["paths"][0]["backend"] == {"service": {"name": "hello-darkness", "port": {"number": 8080}}}


def test_a_legacy_default_backend_and_a_named_service_port_convert_too():
    (ingress,) = load(
        "apiVersion: networking.k8s.io/v1beta1\nkind: Ingress\nmetadata: {name: i}\n"
        "spec: {backend: {serviceName: web, servicePort: http}}\n"
    )
    assert ingress["spec"] == {"defaultBackend": {"service": {"name": "web", "port": {"name": "http"}}}}
    assert ingress["metadata"]["annotations"]["podpath.dev/converted-from"] == "networking.k8s.io/v1beta1"


def test_the_e2e_style_manifests_validate():
    kinds = [o["kind"] for o in load(E2E)]
    assert kinds == [
        "Namespace",
        "Pod",
        "Service",
        "Service",
        "Service",
        "Deployment",
        "NetworkPolicy",
        "NetworkPolicy",
        "IngressClass",
        "Secret",
        "Ingress",
    ]


def test_everything_defaults_fill_in_is_accepted_back():
    # `podpath get -o yaml` output (defaults applied) must apply again.
    for text in (TALK, E2E):
        defaulted = [apply_defaults(obj) for obj in load(text)]
        assert [apply_defaults(obj) for obj in load_again(defaulted)] == defaulted


def load_again(objects: list[dict]) -> list[dict]:
    return validate_objects(objects, "again.yaml")


def test_server_set_fields_and_status_are_dropped_and_nulls_mean_unset():
    (pod,) = load(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  uid: 1f2e\n  resourceVersion: '42'\n"
        "  creationTimestamp: null\nspec:\n  nodeName: null\n"
        "  containers: [{name: c, image: x, resources: {}}]\n"
        "status: {phase: Running}\n"
    )
    assert pod == {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p"},
        "spec": {"containers": [{"name": "c", "image": "x", "resources": {}}]},
    }


def test_a_cluster_scoped_objects_namespace_is_cleared_as_the_api_server_does():
    (namespace,) = load("apiVersion: v1\nkind: Namespace\nmetadata: {name: dev, namespace: default}\n")
    assert namespace["metadata"] == {"name": "dev"}


def test_the_error_names_file_document_object_field_and_expectation():
    bad = TALK.replace("    - port: 8080\n", '    - port: "8080"\n')
    with pytest.raises(SpecError) as caught:
        load(bad, "talk.yaml")
    error = caught.value
    assert (error.source, error.field, error.expected) == (
        "talk.yaml: document 2 (Service default/hello-world-service)",
        "spec.ports[0].port",
        'an integer, got string "8080"',
    )
    assert str(error) == (
        'talk.yaml: document 2 (Service default/hello-world-service): spec.ports[0].port: an integer, got string "8080"'
    )


def test_every_document_is_checked_before_anything_is_returned():
    bad = TALK.replace("image: hello-world:1.0", "image: hello-world:1.0\n    stdin: 'yes'").replace(
        "  type: LoadBalancer", "  type: LoadBalancer\n  allocateLoadBalancerNodePorts: 'no'"
    )
    assert refusals(bad) == [
        'm.yaml: document 1 (Pod default/hello-world): spec.containers[0].stdin: true or false, got string "yes"',
        "m.yaml: document 3 (Service default/hello-world): spec.allocateLoadBalancerNodePorts: "
        'true or false, got string "no"',
    ]


M = "apiVersion: v1\nmetadata: {name: x}\n"
APPS = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n"
NET = "apiVersion: networking.k8s.io/v1\nmetadata: {name: x}\n"
TEMPLATE = "template: {metadata: {labels: {app: web}}, spec: {containers: [{name: c, image: x}]}}"


@pytest.mark.parametrize(
    ("text", "field", "expected"),
    [
        # Pods
        (
            M + "kind: Pod\nspec: {contianers: [{name: c, image: x}]}",
            "spec.contianers",
            'unknown field; did you mean "containers"?',
        ),
        (
            M + "kind: Pod\nspec: {containers: [{name: c, image: x, ports: [{containerPort: 80.0}]}]}",
            "spec.containers[0].ports[0].containerPort",
            "an integer, got number 80.0",
        ),
        (
            M + "kind: Pod\nspec: {containers: [{name: c, image: x, ports: [{containerPort: 80, hostPort: 70000}]}]}",
            "spec.containers[0].ports[0].hostPort",
            "a port number from 1 to 65535, got 70000",
        ),
        (
            M + "kind: Pod\nspec: {containers: [{name: c, image: x, ports: [{containerPort: 0}]}]}",
            "spec.containers[0].ports[0].containerPort",
            "a port number from 1 to 65535, got 0",
        ),
        (
            M + "kind: Pod\nspec: {containers: [{name: c, image: x, ports: [{containerPort: 80, name: http}, "
            "{containerPort: 81, name: http}]}]}",
            "spec.containers[0].ports[1].name",
            'a name no other port of this pod has, got "http" (also spec.containers[0].ports[0].name)',
        ),
        (
            M + "kind: Pod\nspec: {containers: [{name: a, image: x, ports: [{containerPort: 80}]}, "
            "{name: b, image: x, ports: [{containerPort: 80}]}]}",
            "spec.containers[1].ports[0].containerPort",
            "a port no other port of this pod declares, got 80/TCP",
        ),
        (
            M + "kind: Pod\nspec: {containers: [{name: c, image: x}, {name: c, image: x}]}",
            "spec.containers[1].name",
            'a name no other container of this pod has, got "c"',
        ),
        (
            M + "kind: Pod\nspec: {containers: [{name: c, image: x, env: [{name: A, valueFrom: {fieldRef: "
            "{fieldPath: metadata.id}}}]}]}",
            "spec.containers[0].env[0].valueFrom.fieldRef.fieldPath",
            "one of metadata.name, metadata.namespace, metadata.uid",
        ),
        (
            M + "kind: Pod\nspec: {containers: [{name: c, image: x, env: [{name: A, valueFrom: {}}]}]}",
            "spec.containers[0].env[0].valueFrom",
            "exactly one of fieldRef, resourceFieldRef, configMapKeyRef, secretKeyRef, fileKeyRef, got none",
        ),
        (
            M + "kind: Pod\nspec: {containers: [{name: c, image: x, env: [{name: 1A, value: b}]}]}",
            "spec.containers[0].env[0].name",
            "an environment variable name",
        ),
        (
            M + "kind: Pod\nspec: {dnsPolicy: Upstream, containers: [{name: c, image: x}]}",
            "spec.dnsPolicy",
            'one of ClusterFirst, ClusterFirstWithHostNet, Default, None, got "Upstream"',
        ),
        (
            "apiVersion: v1\nkind: Pod\nmetadata: {name: x, labels: {version: 1.0}}\n"
            "spec: {containers: [{name: c, image: x}]}",
            "metadata.labels.version",
            "a string, got number 1.0 (YAML reads",
        ),
        (
            "apiVersion: v1\nkind: Pod\nmetadata: {name: x, labels: {app: 'web server'}}\n"
            "spec: {containers: [{name: c, image: x}]}",
            "metadata.labels.app",
            "a label value (empty, or at most 63",
        ),
        (
            "apiVersion: v1\nkind: Pod\nmetadata: {name: Web}\nspec: {containers: [{name: c, image: x}]}",
            "metadata.name",
            "a DNS-1123 subdomain",
        ),
        # Services
        (
            "apiVersion: v1\nkind: Service\nmetadata: {name: 1web}\nspec: {ports: [{port: 80}]}",
            "metadata.name",
            "a DNS-1035 label",
        ),
        (
            M + "kind: Service\nspec: {ports: [{port: 80}, {port: 81}]}",
            "spec.ports[0].name",
            "a name (required when a Service has several ports), got nothing",
        ),
        (
            M + "kind: Service\nspec: {ports: [{name: a, port: 80}, {name: a, port: 81}]}",
            "spec.ports[1].name",
            'a name no other port of this Service has, got "a" (also spec.ports[0].name)',
        ),
        (
            M + "kind: Service\nspec: {ports: [{name: a, port: 80}, {name: b, port: 80}]}",
            "spec.ports[1].port",
            "a port no other port of this Service uses, got 80/TCP (also spec.ports[0].port)",
        ),
        (
            M + "kind: Service\nspec: {type: NodePort, ports: [{port: 80, nodePort: 8080}]}",
            "spec.ports[0].nodePort",
            "a node port from 30000 to 32767, got 8080",
        ),
        (
            M + "kind: Service\nspec: {type: LoadBalancer, clusterIP: None, ports: [{port: 80}]}",
            "spec.clusterIP",
            'an address or nothing for a LoadBalancer Service (a headless Service is ClusterIP only), got "None"',
        ),
        (
            M + "kind: Service\nspec: {clusterIP: 192.168.1.1, ports: [{port: 80}]}",
            "spec.clusterIP",
            'an address in the service range 10.96.0.0/12, got "192.168.1.1"',
        ),
        (
            M + "kind: Service\nspec: {ports: [{port: 80, targetPort: web_http}]}",
            "spec.ports[0].targetPort",
            "a port name (at most 15 lower-case letters",
        ),
        (
            M + "kind: Service\nspec: {type: ExternalName}",
            "spec.externalName",
            "a DNS name (required for type ExternalName), got nothing",
        ),
        (
            M + "kind: Service\nspec: {type: ExternalName, externalName: example.com, clusterIP: 10.96.0.20}",
            "spec.clusterIP",
            'nothing for an ExternalName Service, got "10.96.0.20"',
        ),
        (
            M + "kind: Service\nspec: {externalName: example.com, ports: [{port: 80}]}",
            "spec.externalName",
            'nothing for a ClusterIP Service (it belongs to type ExternalName), got "example.com"',
        ),
        (
            M + "kind: Service\nspec: {type: LoadBalancer, healthCheckNodePort: 80, ports: [{port: 80}]}",
            "spec.healthCheckNodePort",
            "a node port from 30000 to 32767, got 80",
        ),
        (
            M + "kind: Service\nspec: {ports: [{port: 80, protocol: HTTP}]}",
            "spec.ports[0].protocol",
            'one of TCP, UDP, SCTP, got "HTTP"',
        ),
        (
            M + "kind: Service\nspec: {ipFamilies: [IPv6], ports: [{port: 80}]}",
            "spec.ipFamilies[0]",
            'one of IPv4, got "IPv6"',
        ),
        (
            M + "kind: Service\nspec: {sessionAffinity: ClientIP, "
            "sessionAffinityConfig: {clientIP: {timeoutSeconds: 0}}, "
            "ports: [{port: 80}]}",
            "spec.sessionAffinityConfig.clientIP.timeoutSeconds",
            "from 1 to 86400 seconds, got 0",
        ),
        (
            M + "kind: Service\nspec: {type: LoadBalancer, loadBalancerIP: 198.51.100.7, ports: [{port: 80}]}",
            "spec.loadBalancerIP",
            'an address in the LoadBalancer pool 203.0.113.0/24, got "198.51.100.7"',
        ),
        (
            M + "kind: Service\nspec: {selector: {app: web}}",
            "spec.ports",
            "at least one port (only a headless Service may have none), got none",
        ),
        # Deployments
        (
            APPS + "spec: {selector: {matchLabels: {app: api}}, " + TEMPLATE + "}",
            "spec.template.metadata.labels",
            "labels that spec.selector (app=api) selects, got app=web",
        ),
        (APPS + "spec: {selector: {}, " + TEMPLATE + "}", "spec.selector", "matchLabels or matchExpressions"),
        (
            APPS
            + "spec: {selector: {matchExpressions: [{key: app, operator: Exists, values: [web]}]}, "
            + TEMPLATE
            + "}",
            "spec.selector.matchExpressions[0].values",
            "no values for operator Exists, got 1",
        ),
        (
            APPS
            + "spec: {selector: {matchLabels: {app: web}}, strategy: {type: Recreate, rollingUpdate: {maxSurge: 1}}, "
            + TEMPLATE
            + "}",
            "spec.strategy.rollingUpdate",
            "nothing when the strategy type is Recreate",
        ),
        (
            APPS + "spec: {selector: {matchLabels: {app: web}}, "
            "strategy: {rollingUpdate: {maxSurge: 0, maxUnavailable: 0}}, " + TEMPLATE + "}",
            "spec.strategy.rollingUpdate.maxUnavailable",
            "more than 0 when maxSurge is 0, got 0",
        ),
        (
            APPS
            + "spec: {selector: {matchLabels: {app: web}}, "
            + TEMPLATE.replace("spec: {", "spec: {restartPolicy: Never, ")
            + "}",
            "spec.template.spec.restartPolicy",
            'Always (a Deployment restarts its pods), got "Never"',
        ),
        # Ingresses
        (NET + "kind: Ingress\nspec: {}", "spec", "a defaultBackend or rules, got neither"),
        (
            NET + "kind: Ingress\nspec: {rules: [{host: 10.0.0.1, http: {paths: [{path: /, pathType: Prefix, "
            "backend: {service: {name: web, port: {number: 80}}}}]}}]}",
            "spec.rules[0].host",
            'a DNS name, not an IP address, got "10.0.0.1"',
        ),
        (
            NET + "kind: Ingress\nspec: {rules: [{http: {paths: [{path: /a/../b, pathType: Prefix, "
            "backend: {service: {name: web, port: {number: 80}}}}]}}]}",
            "spec.rules[0].http.paths[0].path",
            "a path without //, /./, /../ or %2f for pathType Prefix",
        ),
        (
            NET + "kind: Ingress\nspec: {rules: [{http: {paths: [{path: /, pathType: Prefix, "
            "backend: {service: {name: web, port: {number: 80, name: http}}}}]}}]}",
            "spec.rules[0].http.paths[0].backend.service.port",
            "a port number or a port name, not both",
        ),
        (
            NET + "kind: Ingress\nspec: {defaultBackend: {resource: {kind: Bucket, name: b}, service: {name: web, "
            "port: {number: 80}}}}",
            "spec.defaultBackend.resource",
            "a service or a resource, not both",
        ),
        (
            "apiVersion: extensions/v1beta1\nkind: Ingress\nmetadata: {name: x}\n"
            "spec: {backend: {serviceName: web, servicePort: 70000}}",
            "spec.backend.servicePort",
            "a port number from 1 to 65535, got 70000",
        ),
        (
            "apiVersion: extensions/v1beta1\nkind: Ingress\nmetadata: {name: x}\n"
            "spec: {backend: {serviceName: Web, servicePort: 80}}",
            "spec.backend.serviceName",
            "a DNS-1035 label",
        ),
        (
            "apiVersion: extensions/v1beta1\nkind: Ingress\nmetadata: {name: x}\n"
            "spec: {rules: [{http: {paths: [{backend: {servicename: web, servicePort: 80}}]}}]}",
            "spec.rules[0].http.paths[0].backend.servicename",
            'unknown field; did you mean "serviceName"?',
        ),
        # NetworkPolicies
        (
            NET + "kind: NetworkPolicy\nspec: {podSelector: {}, ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/8}, "
            "podSelector: {}}]}]}",
            "spec.ingress[0].from[0]",
            "an ipBlock alone, got ipBlock with podSelector",
        ),
        (
            NET + "kind: NetworkPolicy\nspec: {podSelector: {}, ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/16, "
            "except: [10.1.0.0/24]}}]}]}",
            "spec.ingress[0].from[0].ipBlock.except[0]",
            'a network strictly inside 10.0.0.0/16, got "10.1.0.0/24"',
        ),
        (
            NET + "kind: NetworkPolicy\nspec: {podSelector: {}, egress: [{ports: [{port: 32000, endPort: 31000}]}]}",
            "spec.egress[0].ports[0].endPort",
            "an end port from 32000 to 65535, got 31000",
        ),
        (
            NET + "kind: NetworkPolicy\nspec: {podSelector: {}, egress: [{ports: [{port: dns, endPort: 60}]}]}",
            "spec.egress[0].ports[0].endPort",
            'nothing unless port is a number, got 60 with port "dns"',
        ),
        (
            NET + "kind: NetworkPolicy\nspec: {podSelector: {}, ingress: [{from: [{}]}]}",
            "spec.ingress[0].from[0]",
            "a podSelector, a namespaceSelector or an ipBlock, got none",
        ),
        (
            NET + "kind: NetworkPolicy\nspec: {podSelector: {matchExpressions: [{key: app, operator: Equals, "
            "values: [a]}]}}",
            "spec.podSelector.matchExpressions[0].operator",
            'one of In, NotIn, Exists, DoesNotExist, got "Equals"',
        ),
        # Secrets, IngressClasses, kinds
        (
            M + "kind: Secret\ntype: kubernetes.io/tls\nstringData: {tls.crt: x}",
            "data.tls.key",
            "a value in data or stringData (type kubernetes.io/tls needs tls.key), got nothing",
        ),
        (
            M + "kind: Secret\ntype: kubernetes.io/basic-auth\nstringData: {user: u}",
            "data.username",
            "a value in data or stringData (type kubernetes.io/basic-auth needs username or password), got nothing",
        ),
        (
            M + "kind: Secret\ntype: kubernetes.io/service-account-token",
            "metadata.annotations.kubernetes.io/service-account.name",
            "the name of the ServiceAccount the token is for",
        ),
        (
            NET + "kind: IngressClass\nspec: {controller: nginx}",
            "spec.controller",
            'a domain-prefixed path like podpath.dev/ingress-nginx, got "nginx"',
        ),
        (M + "kind: Widget", "kind", "a kind Podpath supports (ClusterRole, ClusterRoleBinding, ConfigMap"),
        (M + "kind: CronJob", "apiVersion", 'batch/v1 for kind CronJob, got "v1"'),
        (
            "apiVersion: batch/v1\nkind: Job\nmetadata: {name: x}\nspec: {}",
            "spec.template",
            "a value (this field is required)",
        ),
        (
            "apiVersion: extensions/v1beta1\nkind: Deployment\nmetadata: {name: x}",
            "apiVersion",
            'apps/v1 for kind Deployment, got "extensions/v1beta1"',
        ),
        (
            M + "kind: Endpoints",
            "kind",
            "a kind manifests can create, got Endpoints (Podpath maintains endpoints itself)",
        ),
        ("metadata: {name: x}", "apiVersion", "a value (this field is required)"),
    ],
)
def test_refusals_name_the_field_and_what_was_expected(text, field, expected):
    with pytest.raises(InvalidManifest) as caught:
        load(text)
    first = caught.value.errors[0]
    assert (first.field, first.expected[: len(expected)]) == (field, expected)
    assert "\n" not in str(first)


def test_yaml_is_read_as_kubectl_reads_it():
    # go-yaml v2 keeps timestamps and 1:20 as strings, where PyYAML would make a date and the number 80.
    (namespace,) = load(
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: dev\n  annotations:\n"
        "    created: 2024-01-01\n    at: 12:30\n"
    )
    assert namespace["metadata"]["annotations"] == {"created": "2024-01-01", "at": "12:30"}
    with pytest.raises(InvalidManifest) as caught:  # kubectl's YAML reads a bare n as false
        load("apiVersion: v1\nkind: Namespace\nmetadata: {name: n}\n")
    assert caught.value.expected.startswith("a string, got boolean false")


def test_documents_are_split_lists_flattened_and_empty_documents_skipped():
    text = (
        "---\n# nothing here\n---\napiVersion: v1\nkind: List\nitems:\n"
        "- {apiVersion: v1, kind: Namespace, metadata: {name: a}}\n"
        "- {apiVersion: v1, kind: Namespace, metadata: {name: b}}\n---\n"
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: c}\n...\n"
    )
    assert [d["metadata"]["name"] for d in load_documents(text, "m.yaml")] == ["a", "b", "c"]


def test_json_streams_load_like_yaml():
    text = (
        '{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "a"}}\n{"apiVersion": "v1", '
        '"kind": "Namespace", "metadata": {"name": "b"}}'
    )
    assert [d["metadata"]["name"] for d in load(text)] == ["a", "b"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\n bad: 1\n",
            "m.yaml: line 5, column 2: not valid YAML (did not find expected key)",
        ),
        (
            "apiVersion: v1\nkind: Pod\nkind: Service\n",
            "m.yaml: line 3, column 1: not valid YAML (mapping key 'kind' already defined)",
        ),
        ('{"kind": "Pod",\n "metadata": }', "m.yaml: line 2, column 14: not valid JSON (Expecting value)"),
        ("- a\n- b\n", "m.yaml: document 1: a Kubernetes object (a mapping with apiVersion and kind), got a list"),
    ],
)
def test_unreadable_streams_are_refused_with_their_place(text, message):
    with pytest.raises(SpecError) as caught:
        load_documents(text, "m.yaml")
    assert str(caught.value) == message


def test_the_same_object_twice_in_one_file_is_refused():
    text = "apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n---\n" * 2
    assert refusals(text) == [
        "m.yaml: document 2 (Namespace a): metadata.name: an object not already in this "
        "file, got Namespace a again (also document 1)"
    ]


# The ingress-controller-conformance echoserver backend, as the suite writes it: probes, resources,
# securityContext and env from the downward API. The API server accepts it, so Podpath must.
CONFORMANCE_BACKEND = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: echo}
spec:
  selector: {matchLabels: {app: echo}}
  minReadySeconds: 5
  template:
    metadata: {labels: {app: echo}}
    spec:
      serviceAccountName: echo
      terminationGracePeriodSeconds: 1
      tolerations: [{operator: Exists}]
      containers:
      - name: echo
        image: gcr.io/k8s-staging-ingressconformance/echoserver:v20210922-cec7cf2
        env:
        - {name: POD_NAME, valueFrom: {fieldRef: {fieldPath: metadata.name}}}
        - {name: SECRET_TOKEN, valueFrom: {secretKeyRef: {name: tokens, key: token}}}
        ports: [{name: http, containerPort: 3000}]
        resources: {requests: {cpu: 10m, memory: 16Mi}}
        securityContext: {runAsNonRoot: true, readOnlyRootFilesystem: true}
        readinessProbe: {httpGet: {path: /health, port: 3000}, periodSeconds: 1}
        livenessProbe: {tcpSocket: {port: http}}
"""


def test_a_real_manifest_with_fields_podpath_does_not_act_on_is_accepted_stored_and_warned_about():
    ((deployment, warnings),) = check_documents(load_documents(CONFORMANCE_BACKEND, "m.yaml"), "m.yaml")
    assert warnings == [
        f"{field} is stored but has no effect in Podpath"
        for field in (
            "spec.minReadySeconds",
            "spec.template.spec.serviceAccountName",
            "spec.template.spec.tolerations",
            "spec.template.spec.containers[0].resources",
            "spec.template.spec.containers[0].securityContext",
            "spec.template.spec.containers[0].readinessProbe",
            "spec.template.spec.containers[0].livenessProbe",
        )
    ]
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container["readinessProbe"] == {"httpGet": {"path": "/health", "port": 3000}, "periodSeconds": 1}
    assert container["resources"] == {"requests": {"cpu": "10m", "memory": "16Mi"}}


@pytest.mark.parametrize(
    ("spec", "warning"),
    [
        (
            "{hostNetwork: true, containers: [{name: c, image: x}], tolerations: [{operator: Exists}]}",
            "spec.tolerations is stored but has no effect",
        ),
        (
            "{containers: [{name: c, image: x, ports: [{containerPort: 80, hostPort: 8080, hostIP: 172.18.0.2}]}]}",
            "spec.containers[0].ports[0].hostIP is stored but has no effect",
        ),
        (
            "{dnsPolicy: Default, containers: [{name: c, image: x}]}",
            'spec.dnsPolicy "Default" is stored but has no effect in Podpath (it acts as "ClusterFirst")',
        ),
        (
            "{initContainers: [{name: i, image: busybox}], containers: [{name: c, image: x, envFrom: [{configMapRef: "
            "{name: cm}}]}]}",
            "spec.initContainers is stored",
        ),
    ],
)
def test_pod_fields_the_api_server_accepts_are_warnings_not_errors(spec, warning):
    ((_, warnings),) = check_documents(load_documents(M + "kind: Pod\nspec: " + spec, "m.yaml"), "m.yaml")
    assert warnings[0].startswith(warning)


def test_kinds_and_types_that_were_refused_before_are_accepted():
    accepted = load(
        M
        + "kind: Service\nspec: {type: ExternalName, externalName: example.com}\n---\n"
        + M.replace("name: x", "name: z")
        + "kind: Service\nspec: {ports: [{port: 80, protocol: SCTP}]}\n---\n"
        + M
        + "kind: Secret\nstringData: {password: hunter2}\n---\n"
        + M.replace("name: x", "name: b")
        + "kind: Secret\ntype: kubernetes.io/basic-auth\n"
        "stringData: {username: u}\n"
    )
    assert [(o["kind"], o["metadata"]["name"]) for o in accepted] == [
        ("Service", "x"),
        ("Service", "z"),
        ("Secret", "x"),
        ("Secret", "b"),
    ]


RBAC_AND_FRIENDS = """\
apiVersion: v1
kind: ServiceAccount
metadata: {name: reader}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: pod-reader}
rules: [{apiGroups: [""], resources: [pods], verbs: [get, watch, list]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: read-pods}
subjects: [{kind: ServiceAccount, name: reader}]
roleRef: {kind: Role, name: pod-reader, apiGroup: rbac.authorization.k8s.io}
---
apiVersion: batch/v1
kind: Job
metadata: {name: pi}
spec:
  backoffLimit: 4
  template:
    spec:
      restartPolicy: Never
      containers: [{name: pi, image: perl:5.34.0, command: [perl, -Mbignum=bpi, -wle, print bpi(2000)]}]
"""


def test_kinds_podpath_does_not_act_on_are_stored_with_one_warning_each():
    checked = check_documents(load_documents(RBAC_AND_FRIENDS, "m.yaml"), "m.yaml")
    assert [(obj["kind"], warnings) for obj, warnings in checked] == [
        ("ServiceAccount", []),
        ("Role", ["kind Role (rbac.authorization.k8s.io/v1) is stored but has no effect in Podpath"]),
        ("RoleBinding", ["kind RoleBinding (rbac.authorization.k8s.io/v1) is stored but has no effect in Podpath"]),
        ("Job", ["kind Job (batch/v1) is stored but has no effect in Podpath"]),
    ]
    assert checked[3].obj["spec"]["template"]["spec"]["containers"][0]["image"] == "perl:5.34.0"
