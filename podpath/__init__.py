"""Podpath's Django project: settings, URLs, the ASGI application and the `podpath` command."""
