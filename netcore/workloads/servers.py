"""The built-in servers: what each catalog kind answers, and over which kind of socket.

``hello`` answers a fixed text ("Hello World", the talk's pod); ``echo`` answers JSON with the client
address it saw, which is how a lab shows NAT: behind a masquerade the internet sees the host, not the
container. The images' kinds live by noun: ``web`` (nginx, echoserver, fixed texts), ``netexec``
(agnhost), ``clusterdns``. ``endpoint_for`` tells the runner how to serve a server: as HTTP (over TLS
or not), as a raw stream, or as datagrams.
"""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from netcore.topology.model import Server
from netcore.workloads import netexec, web
from netcore.workloads.catalog import check_server_options
from netcore.workloads.dialer import PodNetwork
from netcore.workloads.http import Handler, Request, Response, go_json

OnConnection = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Coroutine[Any, Any, None]]
OnDatagram = Callable[[bytes, tuple[str, int]], bytes | None]


@dataclass(frozen=True, slots=True)
class Http:
    handler: Handler
    tls: bool = False


@dataclass(frozen=True, slots=True)
class Stream:
    on_connection: OnConnection


@dataclass(frozen=True, slots=True)
class Datagram:
    on_datagram: OnDatagram


Endpoint = Http | Stream | Datagram


def hello(server: Server) -> Handler:
    text = server.option("text", "Hello World")

    def answer(request: Request) -> Response:
        return Response.text(text + "\n")

    return answer


def echo(server: Server) -> Handler:
    def answer(request: Request) -> Response:
        client_ip, client_port = request.client
        server_ip, server_port = request.server
        return Response.json(
            {
                "host": server.host,
                "client_address": client_ip,
                "client": f"{client_ip}:{client_port}",
                "server": f"{server_ip}:{server_port}",
                "method": request.method,
                "path": request.path,
                "headers": request.headers,
            }
        )

    return answer


def health_check(server: Server) -> Handler:
    """Answer as kube-proxy's service health server (pkg/proxy/healthcheck): the local endpoint count, and
    200 only when there is one, so a cloud load balancer sends to nodes that can serve."""
    count = int(server.option("endpoints", "0"))
    body = go_json(
        {
            "service": {"namespace": server.option("namespace"), "name": server.option("service")},
            "localEndpoints": count,
            "serviceProxyHealthy": True,
        }
    )

    def answer(request: Request) -> Response:
        return Response(
            status=200 if count else 503,
            body=body,
            content_type="application/json",
            headers={"X-Content-Type-Options": "nosniff", "X-Load-Balancing-Endpoint-Weight": str(count)},
        )

    return answer


def clusterdns():
    """Import the DNS server on first use: dnslib costs every runner ~1.4 MB, and few serve DNS."""
    return importlib.import_module("netcore.workloads.clusterdns")


FACTORIES: dict[tuple[str, str], Callable[[Server, PodNetwork], Endpoint]] = {
    ("hello", "tcp"): lambda s, n: Http(hello(s)),
    ("echo", "tcp"): lambda s, n: Http(echo(s)),
    ("http-text", "tcp"): lambda s, n: Http(web.http_text(s)),
    ("https-text", "tcp"): lambda s, n: Http(web.http_text(s), tls=True),
    ("tcp-text", "tcp"): lambda s, n: Stream(web.tcp_text(s)),
    ("udp-text", "udp"): lambda s, n: Datagram(web.udp_text(s)),
    ("nginx", "tcp"): lambda s, n: Http(web.nginx(s)),
    ("echoserver", "tcp"): lambda s, n: Http(web.echoserver(s)),
    ("health-check", "tcp"): lambda s, n: Http(health_check(s)),
    ("netexec", "tcp"): lambda s, n: Http(netexec.http_handler(s, n), tls=s.option("tls") == "true"),
    ("netexec", "udp"): lambda s, n: Datagram(netexec.udp_handler(s)),
    ("cluster-dns", "udp"): lambda s, n: Datagram(clusterdns().udp_handler(s)),
    ("cluster-dns", "tcp"): lambda s, n: Stream(clusterdns().tcp_handler(s)),
}


def endpoint_for(server: Server, network: PodNetwork) -> Endpoint:
    """Return how to serve ``server``; raise ValueError if its kind, protocol or options are not valid."""
    problem = check_server_options(server.kind, server.protocol, server.options)
    if problem:
        raise ValueError(problem)
    return FACTORIES[(server.kind, server.protocol)](server, network)
