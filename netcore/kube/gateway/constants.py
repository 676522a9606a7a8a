"""Names shared by the Gateway API modules: the API group, Podpath's controller, the gateway image."""

from __future__ import annotations

GROUP = "gateway.networking.k8s.io"
CONTROLLER_NAME = "podpath.dev/gateway-controller"
GATEWAY_IMAGE = "podpath/gateway-nginx"
GATEWAY_NAME_LABEL = "gateway.networking.k8s.io/gateway-name"
GATEWAY_CLASS_LABEL = "gateway.networking.k8s.io/gateway-class-name"
KINDS = ("GatewayClass", "Gateway", "HTTPRoute", "ReferenceGrant")
SUPPORTED_PROTOCOLS = ("HTTP", "HTTPS")
