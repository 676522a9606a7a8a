"""The ASGI application: HTTP through Django, websockets through Channels (each app's routing.py)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "podpath.settings")
django_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402  (needs Django set up first)
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.conf import settings  # noqa: E402

from agent.worker import start_embedded  # noqa: E402
from exercises import routing as exercise_routes  # noqa: E402
from kubeapi import routing as kube_routes  # noqa: E402
from labs import routing as lab_routes  # noqa: E402

websocket_urlpatterns = lab_routes.websocket_urlpatterns + exercise_routes.websocket_urlpatterns

router = ProtocolTypeRouter(
    {
        "http": django_app,
        "websocket": AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)
# kubectl's websockets (exec) carry a bearer token and no Origin: no session, no Origin check.
kube_router = URLRouter(kube_routes.websocket_urlpatterns)


async def application(scope, receive, send):
    """The router, with the agent started in this process on the first connection when embedded."""
    if settings.PODPATH_EMBEDDED_AGENT:
        start_embedded()
    if scope["type"] == "websocket" and scope["path"].startswith("/k8s/"):
        await kube_router(scope, receive, send)
        return
    await router(scope, receive, send)
