"""agnhost netexec, as the Kubernetes e2e suites use it: HTTP endpoints and UDP commands.

HTTP: ``/hostname``, ``/clientip``, ``/echo?msg=&code=``, ``/healthz``, ``/redirect``, ``/dial`` and
``/`` (the time) answer as agnhost's do, byte for byte where the suites compare them; ``/dial`` makes
its connections from inside the pod's namespace (``netcore.workloads.dialer``). ``/shell``,
``/upload``, ``/exit`` and ``/shutdown`` need a container, so they answer 501. UDP: ``hostname``,
``echo <msg>`` and ``clientip``, case-insensitively, as agnhost's UDP server does.
"""

from __future__ import annotations

import asyncio
import posixpath
import re
import time
from collections.abc import Awaitable, Callable
from html import escape
from urllib.parse import parse_qs, quote

from netcore.topology.model import Server
from netcore.workloads.dialer import ExchangeFailed, LookupFailed, PodNetwork, describe
from netcore.workloads.http import Handler, Request, Response, go_json, reason

DIAL_TIMEOUT_S = 5.0  # agnhost's HTTP client timeout and UDP read deadline
MAX_TRIES = 1000  # agnhost has no limit; one request must not keep the runner busy for hours
UDP_BUFFER = 2048
STARTED = time.monotonic()
NEEDS_A_CONTAINER = ("/shell", "/upload", "/exit", "/shutdown")


def text(body: str, status: int = 200) -> Response:
    """Answer like Go's ResponseWriter: no Content-Type on an empty body."""
    return Response(status=status, body=body.encode(), content_type="text/plain; charset=utf-8" if body else "")


def go_error(message: str, status: int) -> Response:
    """Answer like Go's ``http.Error``."""
    return Response(status=status, body=(message + "\n").encode(), headers={"X-Content-Type-Options": "nosniff"})


def go_now() -> str:
    """Format the time as Go prints ``time.Now()`` in a UTC container, monotonic reading included."""
    now = time.time_ns()
    seconds, nanos = divmod(now, 1_000_000_000)
    stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(seconds))
    fraction = f".{nanos:09d}".rstrip("0").rstrip(".")
    return f"{stamp}{fraction} +0000 UTC m=+{time.monotonic() - STARTED:.9f}"


class Netexec:
    """One netexec HTTP server; its routes are shared by all (a pod's worth of memory matters)."""

    __slots__ = ("hostname", "udp_ready", "override", "network")

    def __init__(self, server: Server, network: PodNetwork) -> None:
        self.hostname = server.option("hostname", server.host)
        self.udp_ready = server.option("udp-port", "8081") != "-1"  # agnhost's /healthz waits for UDP
        self.override = server.option("http-override")
        self.network = network

    def __call__(self, request: Request) -> Response | Awaitable[Response]:
        if self.override:
            request = Request(
                method="GET",
                target=self.override,
                version=request.version,
                headers={},
                client=request.client,
                server=request.server,
            )
        if request.path in NEEDS_A_CONTAINER:
            return text(f"{request.path} is not supported in Podpath: pods have no container to run it in\n", 501)
        route = ROUTES.get(request.path)
        return route(self, request) if route else text(f"NOW: {go_now()}")


def http_handler(server: Server, network: PodNetwork) -> Handler:
    return Netexec(server, network)


def echo(request: Request) -> Response:
    msg, code = request.form_value("msg"), request.form_value("code")
    if code:
        if not re.fullmatch(r"[+-]?\d+", code) or not 100 <= int(code) <= 999:
            return text(f"argument 'code' must be an integer or empty, got \"{code}\"\n")
        return text(msg, int(code))
    return text(msg)


def redirect(request: Request) -> Response:
    location, code = request.form_value("location"), request.form_value("code")
    status = 302
    if code:
        if not re.fullmatch(r"[+-]?\d+", code):
            return text(f"argument 'code' must be an integer or empty, got \"{code}\"\n")
        status = int(code)
    if "://" not in location and not location.startswith("/"):
        # Go's http.Redirect resolves a relative location against the request's directory.
        location = posixpath.dirname(request.path).rstrip("/") + "/" + location
    if request.method in ("GET", "HEAD"):
        body = f'<a href="{escape(location)}">{reason(status)}</a>.\n\n'
        return Response(
            status=status, body=body.encode(), content_type="text/html; charset=utf-8", headers={"Location": location}
        )
    return Response(status=status, content_type="", headers={"Location": location})


async def dial(request: Request, network: PodNetwork) -> Response:
    """Make ``tries`` requests to host:port from inside the pod and report what came back."""
    query = {key: values[0] for key, values in parse_qs(request.query, keep_blank_values=True).items()}
    host, port, payload = query.get("host", ""), query.get("port", ""), query.get("request", "")
    protocol, tries_text = query.get("protocol", "").lower(), query.get("tries", "")
    tries = 1
    if tries_text:
        if not re.fullmatch(r"[+-]?\d+", tries_text):
            return go_error(f'tries parameter is invalid. strconv.Atoi: parsing "{tries_text}": invalid syntax', 400)
        tries = int(tries_text)
        if tries > MAX_TRIES:
            return go_error(f"tries parameter is invalid. at most {MAX_TRIES} in Podpath", 400)
    if not payload:
        return go_error("request parameter not specified. <nil>", 400)
    if protocol not in ("", "http", "udp"):
        return go_error(f"unsupported protocol. {query.get('protocol', '')}", 400)
    if port and (not port.isdigit() or int(port) > 65535):
        return go_error(f"host and/or port param are invalid. address {port}: invalid port", 400)
    try:
        address = (await network.resolve(host), int(port or 0))
    except LookupFailed as error:
        return go_error(f"host and/or port param are invalid. {error}", 400)

    responses: list[str] = []
    errors: list[str] = []
    response = ""
    for _ in range(tries):
        if protocol == "udp":
            response, failure = await dial_udp(network, address, payload)
        else:
            response, failure = await dial_http(network, address, payload)
        if failure:
            errors.append(failure)
        else:
            responses.append(response)
    output: dict[str, list[str]] = {}
    if response:  # agnhost's quirk: responses are reported only when the last try answered
        output["responses"] = responses
    if errors:
        output["errors"] = errors
    return Response(body=go_json(output))


async def dial_http(network: PodNetwork, address: tuple[str, int], payload: str) -> tuple[str, str]:
    url = f"http://{address[0]}:{address[1]}/{payload}"
    target = "/" + quote(payload, safe="/?&=%:@!$'()*+,;~-._")
    try:
        body = await network.http_get(address, target, DIAL_TIMEOUT_S)
    except TimeoutError:
        return "", f'Get "{url}": context deadline exceeded (Client.Timeout exceeded while awaiting headers)'
    except OSError as error:
        return "", f'Get "{url}": dial tcp {address[0]}:{address[1]}: connect: {describe(error)}'
    return body.decode("utf-8", "replace"), ""


async def dial_udp(network: PodNetwork, address: tuple[str, int], payload: str) -> tuple[str, str]:
    try:
        data = await network.udp_exchange(address, payload.encode(), DIAL_TIMEOUT_S)
    except ExchangeFailed as failed:
        cause = (
            "i/o timeout"
            if isinstance(failed.cause, (TimeoutError, asyncio.TimeoutError))
            else f"read: {describe(failed.cause)}"
        )
        return "", (
            f"reading from udp connection failed. err:'read udp {failed.local[0]}:{failed.local[1]}->"
            f"{address[0]}:{address[1]}: {cause}'"
        )
    except OSError as error:
        return "", f"udp dial failed. err:dial udp {address[0]}:{address[1]}: {describe(error)}"
    if not data:
        return "", "reading from udp connection failed. err:'<nil>'"
    return data.decode("utf-8", "replace"), ""


ROUTES: dict[str, Callable[[Netexec, Request], Response | Awaitable[Response]]] = {
    "/clientip": lambda n, r: text(f"{r.client[0]}:{r.client[1]}"),
    "/dial": lambda n, r: dial(r, n.network),
    "/echo": lambda n, r: echo(r),
    "/healthz": lambda n, r: text("", 200 if n.udp_ready else 412),
    "/hostname": lambda n, r: text(n.hostname),
    "/hostName": lambda n, r: text(n.hostname),
    "/redirect": lambda n, r: redirect(r),
}


def udp_handler(server: Server) -> Callable[[bytes, tuple[str, int]], bytes | None]:
    hostname = server.option("hostname", server.host).encode()

    def on_datagram(data: bytes, client: tuple[str, int]) -> bytes | None:
        command = data[:UDP_BUFFER].decode("utf-8", "replace").strip().lower()
        if command == "hostname":
            return hostname
        if command.startswith("echo "):
            return command.split(" ", 1)[1].encode()
        if command == "clientip":
            return f"{client[0]}:{client[1]}".encode()
        return None  # agnhost logs an unknown command and answers nothing

    return on_datagram
