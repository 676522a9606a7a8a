"""Websocket routes of labs: a sandbox's live page."""

from django.urls import path

from labs import consumers

websocket_urlpatterns = [
    path("ws/sandbox/<str:name>/", consumers.SandboxConsumer.as_asgi()),
]
