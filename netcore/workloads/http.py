"""A deliberately small HTTP/1.1 server core for the built-in workloads.

One request per connection (``Connection: close``), bounded header size and read time, so a stuck or
hostile client can neither hold the runner nor make it buffer much. A HEAD request gets the headers
of the GET answer without its body.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs

MAX_HEAD_BYTES = 16 * 1024
MAX_BODY_BYTES = 64 * 1024
READ_TIMEOUT_S = 10.0
FORM_TYPE = "application/x-www-form-urlencoded"
log = logging.getLogger("podpath.http")


def reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def canonical_header(name: str) -> str:
    """Spell a header name as Go's net/http does (``user-agent`` -> ``User-Agent``)."""
    return "-".join(part[:1].upper() + part[1:].lower() for part in name.split("-"))


@dataclass
class Request:
    method: str
    target: str
    version: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    client: tuple[str, int] = ("", 0)
    server: tuple[str, int] = ("", 0)
    header_list: list[tuple[str, str]] = field(default_factory=list)  # as sent: order, case, repeats

    @property
    def path(self) -> str:
        return self.target.split("?", 1)[0]

    @property
    def query(self) -> str:
        return self.target.partition("?")[2]

    def form_value(self, key: str) -> str:
        """Return a parameter as Go's ``FormValue`` does: a form body first, then the query."""
        if (
            self.method in ("POST", "PUT", "PATCH")
            and self.headers.get("content-type", "").split(";")[0].strip() == FORM_TYPE
        ):
            values = parse_qs(self.body.decode("latin-1"), keep_blank_values=True).get(key)
            if values:
                return values[0]
        return parse_qs(self.query, keep_blank_values=True).get(key, [""])[0]


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
        return cls(status=status, body=(json.dumps(data, indent=2) + "\n").encode(), content_type="application/json")

    def encode(self, with_body: bool = True) -> bytes:
        head = [f"HTTP/1.1 {self.status} {reason(self.status)}".rstrip()]
        if self.content_type:
            head.append(f"Content-Type: {self.content_type}")
        head += [f"Content-Length: {len(self.body)}", "Connection: close"]
        head += [f"{k}: {v}" for k, v in self.headers.items()]
        return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1", "replace") + (self.body if with_body else b"")


def go_json(data: object, indent: str | None = None) -> bytes:
    """Encode as Go's encoding/json does: compact or ``MarshalIndent``, with its HTML-safe escapes."""
    if indent is None:
        text = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    else:
        text = json.dumps(data, indent=indent, ensure_ascii=False)
    for char, escape in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(char, escape)
    return text.encode()


Handler = Callable[[Request], Awaitable[Response] | Response]


async def read_request(reader: asyncio.StreamReader) -> Request | None:
    """Read one request, or return None when the client sends nothing usable."""
    try:
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), READ_TIMEOUT_S)
    except (TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
        return None
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) != 3:
        return None
    headers = {}
    header_list = []
    for line in lines[1:]:
        if ":" in line:
            key, _, value = line.partition(":")
            headers[key.strip().lower()] = value.strip()
            header_list.append((key.strip(), value.strip()))
    body = b""
    length = headers.get("content-length", "0")
    if length.isdigit() and 0 < int(length) <= MAX_BODY_BYTES:
        try:
            body = await asyncio.wait_for(reader.readexactly(int(length)), READ_TIMEOUT_S)
        except (TimeoutError, asyncio.IncompleteReadError, ConnectionError):
            return None
    return Request(
        method=parts[0], target=parts[1], version=parts[2], headers=headers, body=body, header_list=header_list
    )


def serve(handler: Handler) -> Callable[[asyncio.StreamReader, asyncio.StreamWriter], Coroutine[Any, Any, None]]:
    """Wrap a request handler into an asyncio connection callback."""

    async def on_connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request = await read_request(reader)
            if request is None:
                response = Response.text("bad request\n", status=400)
            else:
                request.client = writer.get_extra_info("peername")[:2]
                request.server = writer.get_extra_info("sockname")[:2]
                try:
                    result = handler(request)
                    response = result if isinstance(result, Response) else await result
                except Exception:  # a bug in one handler must not take the connection's answer with it
                    log.exception("handler failed for %s %s", request.method, request.target)
                    response = Response.text("internal server error\n", status=500)
            writer.write(response.encode(with_body=request is None or request.method != "HEAD"))
            await writer.drain()
        except OSError:  # reset, broken pipe, TLS errors: the client is gone
            pass
        finally:
            writer.close()

    return on_connection
