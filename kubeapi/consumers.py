"""``kubectl exec POD -- CMD`` over WebSocket (the ``v5.channel.k8s.io`` and ``v4.channel.k8s.io`` protocols).

Each binary frame starts with its channel: 0 stdin, 1 stdout, 2 stderr, 3 the final Status, 4 resize
(and 255 closes a stream, in v5). The command runs once, in the learner jail with the console's limits,
through the agent (``kube_exec``); its output goes out on stdout, then the Status, whose exit code
kubectl takes as its own. Interactive sessions (``-it sh``) are not offered: no shell runs in the jail.
"""

from __future__ import annotations

from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from agent.client import call
from agent.protocol import KUBE_EXEC
from kubeapi.tokens import kube_token_check
from netcore.errors import PodpathError

PROTOCOLS = ("v5.channel.k8s.io", "v4.channel.k8s.io")
STDOUT, ERROR = 1, 3
SUCCESS = b'{"metadata":{},"status":"Success"}'


def exit_status(code: int) -> bytes:
    """The Status kubectl reads an exit code from (``command terminated with exit code N``)."""
    return (
        b'{"metadata":{},"status":"Failure","message":"command terminated with non-zero exit code: '
        + f"exit status {code}".encode()
        + b'","reason":"NonZeroExitCode","details":{"causes":[{"reason":'
        + f'"ExitCode","message":"{code}"'.encode()
        + b"}]}}"
    )


def failure_status(message: str) -> bytes:
    import json

    return json.dumps(
        {"metadata": {}, "status": "Failure", "message": message, "reason": "InternalError", "code": 500}
    ).encode()


class ExecConsumer(AsyncWebsocketConsumer):
    async def connect(self) -> None:
        route = self.scope["url_route"]["kwargs"]
        headers = {k.decode().lower(): v.decode() for k, v in self.scope.get("headers", [])}
        sandbox = await database_sync_to_async(kube_token_check)(
            sandbox_name=route["sandbox"], authorization=headers.get("authorization", "")
        )
        protocol = next((p for p in PROTOCOLS if p in self.scope.get("subprotocols", [])), None)
        if sandbox is None or protocol is None:
            await self.close()  # before accepting: the upgrade is refused with 403
            return
        await self.accept(subprotocol=protocol)
        query = parse_qs(self.scope.get("query_string", b"").decode())
        try:
            result = await call(
                KUBE_EXEC,
                route["sandbox"],
                {
                    "namespace": route["namespace"],
                    "pod": route["pod"],
                    "container": query.get("container", [""])[0],
                    "command": query.get("command", []),
                },
                timeout=60,
            )
        except PodpathError as error:
            await self.send(bytes_data=bytes([ERROR]) + failure_status(str(error)))
        else:
            if result["output"]:
                await self.send(bytes_data=bytes([STDOUT]) + result["output"].encode())
            status = SUCCESS if result["exit"] == 0 else exit_status(result["exit"])
            await self.send(bytes_data=bytes([ERROR]) + status)
        await self.close()

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        """stdin and terminal resizes: nothing reads them (the command has no terminal and no input)."""
