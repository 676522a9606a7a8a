"""The workload runner: one asyncio process per sandbox serving every built-in server of its hosts.

Each listening socket is created while the thread is inside the host's namespace, so it stays there:
one process serves hundreds of hosts without a process (or a fork) each. The runner is controlled over
a Unix socket in the sandbox's runtime directory (see ``netcore.workloads.client``) and exits by
itself when its sandbox's record disappears, so no runner outlives its sandbox.

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
import sys

from netcore import names
from netcore.kernel import netns
from netcore.topology.model import Server
from netcore.workloads.client import server_from_wire, server_to_wire
from netcore.workloads.http import MAX_HEAD_BYTES, serve
from netcore.workloads.servers import handler_for

log = logging.getLogger("podpath.runner")
WATCHDOG_S = 1.0


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


class Runner:
    def __init__(self, sandbox: str) -> None:
        self.sandbox = sandbox
        self.servers: dict[Server, asyncio.base_events.Server] = {}
        self.connections: dict[Server, set[asyncio.StreamWriter]] = {}
        self.stopped = asyncio.Event()

    async def start(self, server: Server) -> None:
        if server in self.servers:
            return
        sock = listening_socket(names.netns_name(self.sandbox, server.host), server)
        open_connections = self.connections.setdefault(server, set())
        handle = serve(handler_for(server))

        async def tracked(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            open_connections.add(writer)
            try:
                await handle(reader, writer)
            finally:
                open_connections.discard(writer)

        self.servers[server] = await asyncio.start_server(tracked, sock=sock, limit=MAX_HEAD_BYTES)
        log.info("started %s", server.summary())

    async def stop(self, server: Server) -> None:
        running = self.servers.pop(server, None)
        if running is not None:
            running.close()
            # Close established connections too: their sockets would keep the namespace alive.
            for writer in self.connections.pop(server, set()):
                writer.close()
            await running.wait_closed()
            log.info("stopped %s", server.summary())

    async def handle(self, request: dict) -> dict:
        try:
            for wire in request.get("stop", []):
                await self.stop(server_from_wire(wire))
            for wire in request.get("start", []):
                try:
                    await self.start(server_from_wire(wire))
                except OSError as error:
                    return {"ok": False, "server": wire, "error": error.strerror or str(error)}
            if request.get("shutdown"):
                self.stopped.set()
            return {"ok": True, "servers": [server_to_wire(s) for s in sorted(self.servers, key=str)]}
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

    async def watchdog(self) -> None:
        """Exit when the sandbox is gone: its record is removed by teardown, or by gc."""
        while not self.stopped.is_set():
            if not names.record_path(self.sandbox).exists():
                log.info("sandbox record gone; exiting")
                self.stopped.set()
                return
            try:
                await asyncio.wait_for(self.stopped.wait(), WATCHDOG_S)
            except asyncio.TimeoutError:
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
        for server in list(self.servers):
            await self.stop(server)
        watchdog.cancel()
        path.unlink(missing_ok=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sandbox", required=True)
    parser.add_argument("--ready-fd", type=int)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    asyncio.run(Runner(names.check_sandbox_name(args.sandbox)).run(args.ready_fd))
    return 0


if __name__ == "__main__":
    sys.exit(main())
