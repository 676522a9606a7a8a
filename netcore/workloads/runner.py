"""The workload runner: one asyncio process per sandbox serving every built-in server of its hosts.

Each listening socket is created while the thread is inside the host's namespace, so it stays there:
one process serves hundreds of hosts without a process (or a fork) each. A server is served as HTTP
(optionally over TLS), as a raw stream or as datagrams (``netcore.workloads.servers``); stopping it
closes its listener, its connections and any outgoing socket it opened: each pins the namespace.
The ingress controller is the exception: a real nginx, a child process the runner starts in the pod's
namespace and reloads when the sandbox data files it reads change (``netcore.workloads.ingress_nginx``).
The runner is controlled over a Unix socket in the sandbox's runtime directory (see
``netcore.workloads.client``) and exits by itself when its sandbox's record disappears, so no runner
outlives its sandbox.

Run as ``python -m netcore.workloads.runner --sandbox NAME --ready-fd N``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import signal
import socket
import struct
import sys

from netcore import names
from netcore.kernel import netns
from netcore.topology.model import Server
from netcore.workloads import ingress_nginx, tls
from netcore.workloads.catalog import check_server_options
from netcore.workloads.client import server_from_wire, server_to_wire
from netcore.workloads.dialer import PodNetwork
from netcore.workloads.http import MAX_HEAD_BYTES, serve
from netcore.workloads.servers import Datagram, Endpoint, Http, OnConnection, OnDatagram, endpoint_for

log = logging.getLogger("podpath.runner")
WATCHDOG_S = 1.0
STOP_WAIT_S = 1.0
TLS_HANDSHAKE_S = 10.0
LINGER_RESET = struct.pack("ii", 1, 0)  # linger on, 0 seconds: close() sends RST and frees the socket


def listening_socket(namespace: str, server: Server) -> socket.socket:
    """Create the server's socket inside its host's namespace and bind it to every address there."""
    fd = netns.open_fd(namespace)
    try:
        with netns.entered(fd):
            kind = socket.SOCK_STREAM if server.protocol == "tcp" else socket.SOCK_DGRAM
            sock = socket.socket(socket.AF_INET, kind)
    finally:
        os.close(fd)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("0.0.0.0", server.port))
        if server.protocol == "tcp":
            sock.listen(256)
        sock.setblocking(False)
    except OSError:
        sock.close()
        raise
    return sock


class DatagramServer(asyncio.DatagramProtocol):
    """Answer each datagram with what the server's handler returns (nothing when it returns None)."""

    def __init__(self, on_datagram: OnDatagram) -> None:
        self.on_datagram = on_datagram
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        try:
            reply = self.on_datagram(data, addr)
        except Exception:
            log.exception("datagram handler failed")
            return
        if reply is not None and self.transport is not None:
            self.transport.sendto(reply, addr)

    def error_received(self, exc: Exception) -> None:
        pass  # an ICMP error for an earlier answer: the client went away


class TrackedStream(asyncio.StreamReaderProtocol):
    """A stream connection its server knows of, so stopping the server closes it."""

    def __init__(self, serving: Serving, on_connection: OnConnection) -> None:
        super().__init__(asyncio.StreamReader(limit=MAX_HEAD_BYTES), self.connected)
        self.serving = serving
        self.on_connection = on_connection
        self.transport: asyncio.BaseTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport
        self.serving.transports.add(transport)
        super().connection_made(transport)

    def connection_lost(self, exc: Exception | None) -> None:
        self.serving.transports.discard(self.transport)
        super().connection_lost(exc)

    def connected(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.get_running_loop().create_task(self.on_connection(reader, writer))
        self.serving.tasks.add(task)
        task.add_done_callback(self.serving.finished)


def reset(transport: asyncio.BaseTransport) -> None:
    """Close a connection with a reset: a FIN would leave an orphaned socket in FIN-WAIT, which keeps
    the namespace alive for tcp_fin_timeout after its server stopped."""
    sock = transport.get_extra_info("socket")
    if sock is not None:
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, LINGER_RESET)
        except OSError:
            pass
    if isinstance(transport, asyncio.WriteTransport):  # every connection's transport is one
        transport.abort()
    else:
        transport.close()


class Serving:
    """One running server: its listener and everything it opened, so that stopping it closes all."""

    __slots__ = ("listener", "transports", "tasks", "network")

    def __init__(self, network: PodNetwork) -> None:
        self.listener: asyncio.AbstractServer | asyncio.BaseTransport | None = None
        self.transports: set[asyncio.BaseTransport] = set()
        self.tasks: set[asyncio.Task] = set()
        self.network = network

    async def listen(self, endpoint: Endpoint, sock: socket.socket) -> None:
        loop = asyncio.get_running_loop()
        if isinstance(endpoint, Datagram):
            self.listener, _ = await loop.create_datagram_endpoint(
                lambda: DatagramServer(endpoint.on_datagram), sock=sock
            )
            return
        if isinstance(endpoint, Http):
            on_connection, context = serve(endpoint.handler), tls.server_context() if endpoint.tls else None
        else:
            on_connection, context = endpoint.on_connection, None
        self.listener = await loop.create_server(
            lambda: TrackedStream(self, on_connection),
            sock=sock,
            ssl=context,
            ssl_handshake_timeout=TLS_HANDSHAKE_S if context else None,
        )

    def finished(self, task: asyncio.Task) -> None:
        self.tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("connection handler failed", exc_info=task.exception())

    async def close(self) -> None:
        """Close the listener, every connection and every outgoing socket: each pins the namespace."""
        if self.listener is not None:
            self.listener.close()
        for task in list(self.tasks):
            task.cancel()  # a handler in the middle of a /dial closes its sockets as it unwinds
        for transport in list(self.transports):
            reset(transport)
        if self.tasks:
            await asyncio.wait(list(self.tasks), timeout=STOP_WAIT_S)
        self.network.close()
        if isinstance(self.listener, asyncio.AbstractServer):
            await self.listener.wait_closed()
        await asyncio.sleep(0)  # let the transports' close callbacks run: they close the sockets


class Runner:
    def __init__(self, sandbox: str) -> None:
        self.sandbox = sandbox
        self.servers: dict[Server, Serving] = {}
        self.processes: dict[Server, ingress_nginx.IngressNginx] = {}  # servers that are child processes
        self.stopped = asyncio.Event()
        # One change at a time: a control request and the watchdog's restart of a dead nginx both start
        # and stop servers, and neither may see the other half-done.
        self.changing = asyncio.Lock()

    def running(self) -> list[Server]:
        """The servers that serve: a child process that died is not one (the watchdog restarts it)."""
        return sorted([*self.servers, *(s for s, p in self.processes.items() if not p.exited())], key=str)

    async def start(self, server: Server) -> None:
        if server in self.servers or (server in self.processes and not self.processes[server].exited()):
            return
        if server.kind in ingress_nginx.KINDS:
            await self.stop(server)  # a dead one: reap it and whatever it left in its process group
            problem = check_server_options(server.kind, server.protocol, server.options)
            if problem:
                raise ValueError(problem)
            process = ingress_nginx.IngressNginx(self.sandbox, server)
            await process.start()
            self.processes[server] = process
            log.info("started %s", server.summary())
            return
        namespace = names.netns_name(self.sandbox, server.host)
        network = PodNetwork(namespace)
        endpoint = endpoint_for(server, network)
        sock = listening_socket(namespace, server)
        serving = Serving(network)
        try:
            await serving.listen(endpoint, sock)
        except BaseException:
            sock.close()
            raise
        self.servers[server] = serving
        log.info("started %s", server.summary())

    async def stop(self, server: Server) -> None:
        process = self.processes.pop(server, None)
        if process is not None:
            await process.stop()
            log.info("stopped %s", server.summary())
        serving = self.servers.pop(server, None)
        if serving is not None:
            await serving.close()
            log.info("stopped %s", server.summary())

    async def handle(self, request: dict) -> dict:
        async with self.changing:
            return await self.handle_locked(request)

    async def handle_locked(self, request: dict) -> dict:
        try:
            for wire in request.get("stop", []):
                await self.stop(server_from_wire(wire))
            for wire in request.get("start", []):
                try:
                    await self.start(server_from_wire(wire))
                except OSError as error:
                    return {"ok": False, "server": wire, "error": error.strerror or str(error)}
                except (ValueError, ingress_nginx.NginxFailed) as error:  # bad options; nginx refused to start
                    return {"ok": False, "server": wire, "error": str(error)}
            for server, process in list(self.processes.items()):
                if request.get("data_changed") and process.reads(request["data_changed"]) and not process.exited():
                    try:
                        await process.reload()
                    except ingress_nginx.NginxFailed as error:
                        return {"ok": False, "server": server_to_wire(server), "error": str(error)}
            if request.get("shutdown"):
                self.stopped.set()
            return {"ok": True, "servers": [server_to_wire(s) for s in self.running()]}
        except Exception as error:  # the control channel must answer, whatever went wrong
            log.exception("control request failed")
            return {"ok": False, "error": str(error)}

    async def on_control(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            line = await reader.readline()
            response = await self.handle(json.loads(line or b"{}"))
            writer.write(json.dumps(response).encode() + b"\n")
            await writer.drain()
        finally:
            writer.close()

    async def revive(self) -> None:
        """Start again each child process that died (nginx killed or crashed), as a kubelet restarts a
        container; one that fails to start is tried again at the next tick."""
        async with self.changing:
            for server, process in list(self.processes.items()):
                if not process.exited():
                    continue
                log.warning("%s exited; starting it again", server.summary())
                try:
                    await self.start(server)
                except (OSError, ValueError, ingress_nginx.NginxFailed) as error:
                    log.error("restarting %s failed: %s", server.summary(), error)
                    self.processes.setdefault(server, process)  # keep it wanted: try again next tick

    async def watchdog(self) -> None:
        """Exit when the sandbox is gone (its record is removed by teardown, or by gc); meanwhile
        restart child processes that died."""
        while not self.stopped.is_set():
            if not names.record_path(self.sandbox).exists():
                log.info("sandbox record gone; exiting")
                self.stopped.set()
                return
            await self.revive()
            try:
                await asyncio.wait_for(self.stopped.wait(), WATCHDOG_S)
            except TimeoutError:
                pass

    async def run(self, ready_fd: int | None) -> None:
        path = names.runner_socket_path(self.sandbox)
        path.unlink(missing_ok=True)
        control = await asyncio.start_unix_server(self.on_control, path=str(path))
        os.chmod(path, 0o600)
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.stopped.set)
        if ready_fd is not None:
            os.write(ready_fd, b"ready\n")
            os.close(ready_fd)
        watchdog = asyncio.create_task(self.watchdog())
        await self.stopped.wait()
        control.close()
        for server in self.running():
            await self.stop(server)
        watchdog.cancel()
        path.unlink(missing_ok=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sandbox", required=True)
    parser.add_argument("--ready-fd", type=int)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    asyncio.run(Runner(names.check_sandbox_name(args.sandbox)).run(args.ready_fd))
    return 0


if __name__ == "__main__":
    sys.exit(main())
