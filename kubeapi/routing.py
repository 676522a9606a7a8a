"""WebSocket routes of the Kubernetes API: ``kubectl exec``. Authenticated by the bearer token, not by a
session cookie, so no Origin check applies (kubectl sends none)."""

from django.urls import re_path

from kubeapi import consumers

websocket_urlpatterns = [
    re_path(
        r"^k8s/(?P<sandbox>[a-z0-9-]+)/api/v1/namespaces/(?P<namespace>[a-z0-9-]+)/pods/(?P<pod>[a-z0-9.-]+)/exec$",
        consumers.ExecConsumer.as_asgi(),
    ),
]
