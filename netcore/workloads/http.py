"""A deliberately small HTTP/1.1 server core for the built-in workloads.

One request per connection (``Connection: close``), bounded header size and read time, so a stuck or
hostile client can neither hold the runner nor make it buffer much.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

MAX_HEAD_BYTES = 16 * 1024
MAX_BODY_BYTES = 64 * 1024
READ_TIMEOUT_S = 10.0
REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found", 413: "Payload Too Large"}


@dataclass
class Request:
    method: str
    target: str
    version: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    client: tuple[str, int] = ("", 0)
    server: tuple[str, int] = ("", 0)

    @property
    def path(self) -> str:
        return self.target.split("?", 1)[0]


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    content_type: str = "text/plain; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def text(cls, text: str, status: int = 200) -> Response:
        return cls(status=status, body=text.encode())

    @classmethod
    def json(cls, data: object, status: int = 200) -> Response:
        return cls(status=status, body=(json.dumps(data, indent=2) + "\n").encode(),
                   content_type="application/json")

    def encode(self) -> bytes:
        head = [f"HTTP/1.1 {self.status} {REASONS.get(self.status, 'OK')}",
                f"Content-Type: {self.content_type}", f"Content-Length: {len(self.body)}",
                "Connection: close"]
        head += [f"{k}: {v}" for k, v in self.headers.items()]
        return ("\r\n".join(head) + "\r\n\r\n").encode() + self.body


Handler = Callable[[Request], Awaitable[Response] | Response]


async def read_request(reader: asyncio.StreamReader) -> Request | None:
    """Read one request, or return None when the client sends nothing usable."""
    try:
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), READ_TIMEOUT_S)
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, asyncio.TimeoutError, ConnectionError):
        return None
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) != 3:
        return None
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            key, _, value = line.partition(":")
            headers[key.strip().lower()] = value.strip()
    body = b""
    length = headers.get("content-length", "0")
    if length.isdigit() and 0 < int(length) <= MAX_BODY_BYTES:
        try:
            body = await asyncio.wait_for(reader.readexactly(int(length)), READ_TIMEOUT_S)
        except (asyncio.IncompleteReadError, asyncio.TimeoutError, ConnectionError):
            return None
    return Request(method=parts[0], target=parts[1], version=parts[2], headers=headers, body=body)


def serve(handler: Handler) -> Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]:
    """Wrap a request handler into an asyncio connection callback."""

    async def on_connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request = await read_request(reader)
            if request is None:
                response = Response.text("bad request\n", status=400)
            else:
                request.client = writer.get_extra_info("peername")[:2]
                request.server = writer.get_extra_info("sockname")[:2]
                result = handler(request)
                response = await result if asyncio.iscoroutine(result) else result
            writer.write(response.encode())
            await writer.drain()
        except ConnectionError:
            pass
        finally:
            writer.close()

    return on_connection
