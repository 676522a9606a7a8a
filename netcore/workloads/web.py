"""Servers that answer what a well-known image answers: nginx, the ingress conformance echoserver, and
the fixed texts of agnhost's porter and serve-hostname (over HTTP, raw TCP or UDP).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

from netcore.topology.model import Server
from netcore.workloads.http import Handler, Request, Response, canonical_header, go_json

NGINX_WELCOME = b"""<!DOCTYPE html>
<html>
<head>
<title>Welcome to nginx!</title>
<style>
html { color-scheme: light dark; }
body { width: 35em; margin: 0 auto;
font-family: Tahoma, Verdana, Arial, sans-serif; }
</style>
</head>
<body>
<h1>Welcome to nginx!</h1>
<p>If you see this page, the nginx web server is successfully installed and
working. Further configuration is required.</p>

<p>For online documentation and support please refer to
<a href="http://nginx.org/">nginx.org</a>.<br/>
Commercial support is available at
<a href="http://nginx.com/">nginx.com</a>.</p>

<p><em>Thank you for using nginx.</em></p>
</body>
</html>
"""
HTML = "text/html"


def nginx_error(status: int, title: str) -> Response:
    """Answer with nginx's built-in error page (CRLF line ends, as nginx writes them)."""
    body = (
        f"<html>\r\n<head><title>{status} {title}</title></head>\r\n<body>\r\n"
        f"<center><h1>{status} {title}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
    )
    return Response(status=status, body=body.encode(), content_type=HTML, headers={"Server": "nginx"})


def nginx(server: Server) -> Handler:
    def answer(request: Request) -> Response:
        if request.method not in ("GET", "HEAD"):
            return nginx_error(405, "Not Allowed")
        if request.path in ("/", "/index.html"):
            return Response(
                body=NGINX_WELCOME, content_type=HTML, headers={"Server": "nginx", "Accept-Ranges": "bytes"}
            )
        return nginx_error(404, "Not Found")

    return answer


def echoserver(server: Server) -> Handler:
    """The ingress conformance echoserver: the request as JSON, plus where the answer came from."""
    context = {key: server.option(key) for key in ("namespace", "ingress", "service", "pod")}

    def answer(request: Request) -> Response:
        if request.path.replace("//", "/") == "/health":
            return Response(body=b"OK")
        headers: dict[str, list[str]] = {}
        for name, value in request.header_list:
            if name.lower() != "host":  # Go's server moves Host out of the header map
                headers.setdefault(canonical_header(name), []).append(value)
        data = {
            "path": request.target,
            "host": request.headers.get("host", ""),
            "method": request.method,
            "proto": request.version,
            "headers": dict(sorted(headers.items())),
            **context,
        }
        return Response(
            body=go_json(data, indent=" "),
            content_type="application/json",
            headers={"X-Content-Type-Options": "nosniff"},
        )

    return answer


def http_text(server: Server) -> Handler:
    """Answer a text as it is (porter, serve-hostname); porter's --json-response wraps it."""
    body = server.option("text")
    as_json = server.option("json") == "true"

    def answer(request: Request) -> Response:
        if as_json:
            return Response(body=go_json({"Method": request.method, "Body": body}), content_type="application/json")
        return Response(body=body.encode())

    return answer


def tcp_text(server: Server) -> Callable[[asyncio.StreamReader, asyncio.StreamWriter], Coroutine[Any, Any, None]]:
    """Write a text on every connection and close it, as serve-hostname --tcp does."""
    body = server.option("text").encode()

    async def on_connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            writer.write(body)
            await writer.drain()
        except OSError:
            pass
        finally:
            writer.close()

    return on_connection


def udp_text(server: Server) -> Callable[[bytes, tuple[str, int]], bytes | None]:
    """Answer every datagram with a text, as serve-hostname --udp and porter's UDP ports do."""
    body = server.option("text").encode()

    def on_datagram(data: bytes, client: tuple[str, int]) -> bytes | None:
        return body

    return on_datagram
