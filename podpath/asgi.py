"""The ASGI application: HTTP through Django, websockets through Channels (routes in labs.routing)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "podpath.settings")
django_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402  (needs Django set up first)
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.conf import settings  # noqa: E402

from labs.agent.worker import start_embedded  # noqa: E402
from labs.routing import websocket_urlpatterns  # noqa: E402

router = ProtocolTypeRouter({
    "http": django_app,
    "websocket": AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
})


async def application(scope, receive, send):
    """The router, with the agent started in this process on the first connection when embedded."""
    if settings.PODPATH_EMBEDDED_AGENT:
        start_embedded()
    await router(scope, receive, send)
