"""Websocket routes (the live views arrive with the dashboard)."""

websocket_urlpatterns: list = []
