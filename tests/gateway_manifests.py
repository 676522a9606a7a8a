"""Gateway API manifests shared by the unit and kernel tests: the talk's backends behind a Gateway."""

from __future__ import annotations

GATEWAY_CLASS = """
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: podpath}
spec: {controllerName: podpath.dev/gateway-controller}
"""

SHOP = """
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: shop}
spec:
  gatewayClassName: podpath
  listeners:
  - {name: http, port: 80, protocol: HTTP}
  - name: https
    port: 443
    protocol: HTTPS
    hostname: shop.example
    tls: {certificateRefs: [{name: shop-tls}]}
"""

ROUTE = """
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: hello}
spec:
  parentRefs: [{name: shop}]
  hostnames: [shop.example]
  rules:
  - matches: [{path: {type: PathPrefix, value: /cart}, headers: [{name: x-canary, value: "yes"}]}]
    backendRefs: [{name: hello-world, port: 8080, weight: 90}, {name: hello-darkness, port: 8080, weight: 10}]
  - filters: [{type: RequestRedirect, requestRedirect: {scheme: https}}]
"""

GRANT = """
apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata: {name: allow-shop, namespace: default}
spec:
  from: [{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: shop}]
  to: [{group: "", kind: Service}]
"""

ALL = "\n---\n".join((GATEWAY_CLASS, SHOP, ROUTE, GRANT))
