"""The built-in servers: what each catalog kind answers.

``hello`` answers a fixed text ("Hello World", the talk's pod); ``echo`` answers JSON with the client
address it saw, which is how a lab shows NAT: behind a masquerade the internet sees the host, not the
container.
"""

from __future__ import annotations

from netcore.topology.model import Server
from netcore.workloads.http import Handler, Request, Response


def hello(server: Server) -> Handler:
    text = server.option("text", "Hello World")

    def answer(request: Request) -> Response:
        return Response.text(text + "\n")

    return answer


def echo(server: Server) -> Handler:
    def answer(request: Request) -> Response:
        client_ip, client_port = request.client
        server_ip, server_port = request.server
        return Response.json({
            "host": server.host,
            "client_address": client_ip,
            "client": f"{client_ip}:{client_port}",
            "server": f"{server_ip}:{server_port}",
            "method": request.method,
            "path": request.path,
            "headers": request.headers,
        })

    return answer


HANDLERS = {"hello": hello, "echo": echo}


def handler_for(server: Server) -> Handler:
    """Return the request handler of a server's kind."""
    return HANDLERS[server.kind](server)
