"""Ingress manifests taken from kubernetes-sigs/ingress-controller-conformance's features, shared by the
unit and kernel tests of the ingress controller.

Each feature lives in its own namespace, with its Ingress as the feature file writes it and its
backends deployed as the suite deploys them (test/kubernetes/deployment.go): one echoserver Deployment
per Service, named ``<ingress>-<service>``, whose env tells which Ingress, Service and pod answered.
Two adaptations let the features share one cluster: the load-balancing feature routes a host
(``load-balancing``) instead of a catch-all defaultBackend, and the default-backend feature (a catch-all)
is applied on its own. ``SNI`` and ``CLASSES`` add what the features leave out: a certificate per host,
foreign and legacy classes, the default class.
"""

from __future__ import annotations

import base64
import datetime
import hashlib

ECHO_IMAGE = "gcr.io/k8s-staging-ingressconformance/echoserver:v20221109-7ee2f3e"


def namespace(name: str) -> str:
    return f"apiVersion: v1\nkind: Namespace\nmetadata: {{name: {name}}}\n"


def echo_backend(
    ns: str, ingress: str, service: str, port: int = 8080, port_name: str = "", replicas: int = 1, selector: str = ""
) -> str:
    """An echoserver Deployment and its Service, as NewEchoDeployment writes them."""
    app = f"{ingress}-{service}"
    named = f"name: {port_name}, " if port_name else ""
    return f"""apiVersion: apps/v1
kind: Deployment
metadata: {{name: {app}, namespace: {ns}}}
spec:
  replicas: {replicas}
  selector: {{matchLabels: {{app: {app}}}}}
  template:
    metadata: {{labels: {{app: {app}}}}}
    spec:
      containers:
      - name: ingress-conformance-echo
        image: {ECHO_IMAGE}
        env:
        - {{name: POD_NAME, valueFrom: {{fieldRef: {{fieldPath: metadata.name}}}}}}
        - {{name: NAMESPACE, valueFrom: {{fieldRef: {{fieldPath: metadata.namespace}}}}}}
        - {{name: INGRESS_NAME, value: {ingress}}}
        - {{name: SERVICE_NAME, value: {service}}}
        ports: [{{{named}containerPort: 3000}}]
---
apiVersion: v1
kind: Service
metadata: {{name: {service}, namespace: {ns}}}
spec:
  selector: {{app: {selector or app}}}
  ports: [{{{named}port: {port}, targetPort: 3000}}]
"""


def tls_secret(ns: str, name: str, host: str, *more_hosts: str) -> str:
    cert, key = certificate(host, *more_hosts)
    encode = lambda data: base64.b64encode(data).decode()  # noqa: E731
    return (
        f"apiVersion: v1\nkind: Secret\nmetadata: {{name: {name}, namespace: {ns}}}\ntype: kubernetes.io/tls\n"
        f"data:\n  tls.crt: {encode(cert)}\n  tls.key: {encode(key)}\n"
    )


def certificate(host: str, *more_hosts: str) -> tuple[bytes, bytes]:
    """A self-signed Ed25519 certificate for ``host`` (and ``more_hosts``), the same bytes on every run
    (goldens digest it)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.x509.oid import NameOID

    key = Ed25519PrivateKey.from_private_bytes(hashlib.sha256(host.encode()).digest())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    start = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(int.from_bytes(hashlib.sha256(b"serial" + host.encode()).digest()[:8], "big"))
        .not_valid_before(start)
        .not_valid_after(start + datetime.timedelta(days=3650))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(h) for h in (host, *more_hosts)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, None)
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return cert.public_bytes(serialization.Encoding.PEM), key_pem


# -- features/host_rules.feature ----------------------------------------------------------------------

HOST_RULES = "\n---\n".join(
    [
        namespace("host-rules"),
        tls_secret("host-rules", "conformance-tls", "foo.bar.com"),
        """\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: host-rules
  namespace: host-rules
spec:
  tls:
    - hosts:
        - foo.bar.com
      secretName: conformance-tls
  rules:
    - host: "*.foo.com"
      http:
        paths:
          - path: /
            pathType: Prefix
            backend:
              service:
                name: wildcard-foo-com
                port:
                  number: 8080
    - host: foo.bar.com
      http:
        paths:
          - path: /
            pathType: Prefix
            backend:
              service:
                name: foo-bar-com
                port:
                  name: http
""",
        echo_backend("host-rules", "host-rules", "wildcard-foo-com"),
        echo_backend("host-rules", "host-rules", "foo-bar-com", port_name="http"),
    ]
)

# -- features/path_rules.feature ----------------------------------------------------------------------

PATH_RULES_INGRESS = """\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: path-rules
  namespace: path-rules
spec:
  rules:
    - host: "exact-path-rules"
      http:
        paths:
          - path: /foo
            pathType: Exact
            backend: {service: {name: foo-exact, port: {number: 8080}}}
    - host: "prefix-path-rules"
      http:
        paths:
          - path: /foo
            pathType: Prefix
            backend: {service: {name: foo-prefix, port: {number: 8080}}}
          - path: /aaa/bbb
            pathType: Prefix
            backend: {service: {name: aaa-slash-bbb-prefix, port: {number: 8080}}}
          - path: /aaa
            pathType: Prefix
            backend: {service: {name: aaa-prefix, port: {number: 8080}}}
    - host: "mixed-path-rules"
      http:
        paths:
          - path: /foo
            pathType: Prefix
            backend: {service: {name: foo-prefix, port: {number: 8080}}}
          - path: /foo
            pathType: Exact
            backend: {service: {name: foo-exact, port: {number: 8080}}}
    - host: "trailing-slash-path-rules"
      http:
        paths:
          - path: /aaa/bbb/
            pathType: Prefix
            backend: {service: {name: aaa-slash-bbb-slash-prefix, port: {number: 8080}}}
          - path: /foo/
            pathType: Exact
            backend: {service: {name: foo-slash-exact, port: {number: 8080}}}
    - host: "implementation-specific-path-rules"
      http:
        paths:
          - path: /foo
            pathType: ImplementationSpecific
            backend: {service: {name: foo-prefix, port: {number: 8080}}}
          - path: /void/*
            pathType: ImplementationSpecific
            backend: {service: {name: aaa-prefix, port: {number: 8080}}}
"""
PATH_RULES = "\n---\n".join(
    [namespace("path-rules"), PATH_RULES_INGRESS]
    + [
        echo_backend("path-rules", "path-rules", service)
        for service in (
            "foo-exact",
            "foo-prefix",
            "aaa-slash-bbb-prefix",
            "aaa-prefix",
            "aaa-slash-bbb-slash-prefix",
            "foo-slash-exact",
        )
    ]
)

# (host, path, service that answers or None for the controller's 404), from the feature's scenarios
PATH_CASES = [
    ("exact-path-rules", "/foo", "foo-exact"),
    ("exact-path-rules", "/foo/", None),
    ("exact-path-rules", "/FOO", None),
    ("exact-path-rules", "/bar", None),
    ("prefix-path-rules", "/foo", "foo-prefix"),
    ("prefix-path-rules", "/foo/", "foo-prefix"),
    ("prefix-path-rules", "/FOO", None),
    ("prefix-path-rules", "/aaa/bbb", "aaa-slash-bbb-prefix"),
    ("prefix-path-rules", "/aaa/bbb/ccc", "aaa-slash-bbb-prefix"),
    ("prefix-path-rules", "/aaa/ccc", "aaa-prefix"),
    ("prefix-path-rules", "/aaaccc", None),
    ("mixed-path-rules", "/foo", "foo-exact"),
    ("mixed-path-rules", "/foo/bar", "foo-prefix"),
    ("trailing-slash-path-rules", "/aaa/bbb", "aaa-slash-bbb-slash-prefix"),
    ("trailing-slash-path-rules", "/aaa/bbb/", "aaa-slash-bbb-slash-prefix"),
    ("trailing-slash-path-rules", "/foo", None),
    ("trailing-slash-path-rules", "/foo/", "foo-slash-exact"),
    # ImplementationSpecific is nginx's own prefix match; /void/* is everything under /void/
    ("implementation-specific-path-rules", "/foobar", "foo-prefix"),
    ("implementation-specific-path-rules", "/void/a/b", "aaa-prefix"),
    ("implementation-specific-path-rules", "/void", None),
]

HOST_CASES = [
    ("foo.bar.com", "foo-bar-com"),
    ("subdomain.bar.com", None),
    ("bar.foo.com", "wildcard-foo-com"),
    ("baz.bar.foo.com", None),
    ("foo.com", None),
]

# -- features/default_backend.feature (a catch-all: applied on its own) ---------------------------------

DEFAULT_BACKEND = "\n---\n".join(
    [
        namespace("default-backend"),
        """\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: default-backend, namespace: default-backend}
spec:
  defaultBackend:
    service:
      name: echo-service
      port:
        number: 8080
""",
        echo_backend("default-backend", "default-backend", "echo-service"),
    ]
)

# -- features/load_balancing.feature (a host rule instead of the catch-all) -------------------------------

LOAD_BALANCING = "\n---\n".join(
    [
        namespace("load-balancing"),
        """\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: load-balancing, namespace: load-balancing}
spec:
  rules:
  - host: load-balancing
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: echo-service, port: {number: 8080}}}}
""",
        echo_backend("load-balancing", "load-balancing", "echo-service", replicas=10),
    ]
)

# -- features/ingress_class.feature, and the classes around it ----------------------------------------------


def classed(name: str, host: str, class_line: str = "", annotations: str = "") -> str:
    return f"""apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: {name}
  namespace: ingress-class
{annotations}spec:
{class_line}  rules:
  - host: {host}
    http:
      paths:
      - {{path: /, pathType: Prefix, backend: {{service: {{name: ingress-class-prefix, port: {{number: 8080}}}}}}}}
"""


CLASSES = "\n---\n".join(
    [
        namespace("ingress-class"),
        "apiVersion: networking.k8s.io/v1\nkind: IngressClass\nmetadata: {name: other}\n"
        "spec: {controller: example.com/other-controller}\n",
        classed("test-ingress-class", "ingress-class", "  ingressClassName: some-invalid-class-name\n"),
        classed("foreign-class", "foreign-class", "  ingressClassName: other\n"),
        classed("nginx-class", "nginx-class", "  ingressClassName: nginx\n"),
        classed("default-class", "default-class"),
        classed("legacy-nginx", "legacy-nginx", annotations="  annotations: {kubernetes.io/ingress.class: nginx}\n"),
        classed("legacy-other", "legacy-other", annotations="  annotations: {kubernetes.io/ingress.class: other}\n"),
        echo_backend("ingress-class", "test-ingress-class", "ingress-class-prefix"),
    ]
)
SERVED_CLASSES = {"nginx-class", "default-class", "legacy-nginx"}
IGNORED_CLASSES = {"test-ingress-class", "foreign-class", "legacy-other"}

# -- TLS: a certificate per host, chosen by SNI ----------------------------------------------------------

SNI = "\n---\n".join(
    [
        namespace("sni"),
        tls_secret("sni", "one", "one.tls.test"),
        tls_secret("sni", "two", "two.tls.test"),
        """\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: sni, namespace: sni}
spec:
  tls:
  - {hosts: [one.tls.test], secretName: one}
  - {hosts: [two.tls.test], secretName: two}
  - {hosts: [three.tls.test], secretName: missing}
  rules:
  - host: one.tls.test
    http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: one, port: {number: 8080}}}}]}
  - host: two.tls.test
    http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: two, port: {number: 8080}}}}]}
  - host: three.tls.test
    http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: two, port: {number: 8080}}}}]}
""",
        echo_backend("sni", "sni", "one"),
        echo_backend("sni", "sni", "two"),
    ]
)

# -- backends that cannot answer: 503 --------------------------------------------------------------------

UNAVAILABLE = "\n---\n".join(
    [
        namespace("unavailable"),
        """\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: unavailable, namespace: unavailable}
spec:
  rules:
  - host: unavailable
    http:
      paths:
      - {path: /no-endpoints, pathType: Prefix, backend: {service: {name: empty, port: {number: 8080}}}}
      - {path: /no-service, pathType: Prefix, backend: {service: {name: missing, port: {number: 8080}}}}
      - {path: /no-port, pathType: Prefix, backend: {service: {name: empty, port: {number: 9999}}}}
""",
        """\
apiVersion: v1
kind: Service
metadata: {name: empty, namespace: unavailable}
spec:
  selector: {app: nothing-has-this-label}
  ports: [{port: 8080, targetPort: 3000}]
""",
    ]
)

ALL = "\n---\n".join([HOST_RULES, PATH_RULES, LOAD_BALANCING, CLASSES, SNI, UNAVAILABLE])
