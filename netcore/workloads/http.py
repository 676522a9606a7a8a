"""A deliberately small HTTP/1.1 server core for the built-in workloads.

One request per connection (``Connection: close``), bounded header size and read time, so a stuck or
hostile client can neither hold the runner nor make it buffer much. A HEAD request gets the headers
of the GET answer without its body.

Requests are parsed by h11, and answered as Go's net/http (which agnhost and the echoserver are built
on) answers them: a malformed request line gets ``400 Bad Request`` as soon as its line ends, before
any header (``echo hostName | nc SVC 80``); bare-LF line endings are accepted; chunked bodies are read;
a client that sends nothing, or stops halfway, gets no answer.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs

import h11

MAX_HEAD_BYTES = 16 * 1024
MAX_BODY_BYTES = 64 * 1024
READ_TIMEOUT_S = 10.0
FORM_TYPE = "application/x-www-form-urlencoded"
# What Go's net/http writes for a request it cannot parse, byte for byte (server.go, "400 Bad Request").
GO_BAD_REQUEST = (
    b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n400 Bad Request"
)
# A request line as Go's parseRequestLine accepts it: method token, target, HTTP/major.minor.
REQUEST_LINE = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+ [^ \x00-\x1f\x7f]+ HTTP/\d\.\d\r?\n")
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


class BadRequest(Exception):
    """The client sent something that is not an HTTP request: answer Go's 400 and close."""


async def read_request(reader: asyncio.StreamReader) -> Request | None:
    """Read one request; return None when the client sends nothing or gives up halfway, raise BadRequest
    when what it sends cannot be a request."""
    try:
        first = await asyncio.wait_for(reader.readuntil(b"\n"), READ_TIMEOUT_S)
    except asyncio.LimitOverrunError:
        raise BadRequest from None
    except (TimeoutError, asyncio.IncompleteReadError, ConnectionError):
        return None
    if not REQUEST_LINE.fullmatch(first):
        raise BadRequest  # at once, as Go does: it parses the request line before reading any header
    connection = h11.Connection(h11.SERVER, max_incomplete_event_size=MAX_HEAD_BYTES)
    connection.receive_data(first)
    request: Request | None = None
    body = bytearray()
    while True:
        try:
            event = connection.next_event()
        except h11.RemoteProtocolError:
            raise BadRequest from None
        if event is h11.NEED_DATA:
            try:
                data = await asyncio.wait_for(reader.read(4096), READ_TIMEOUT_S)
            except (TimeoutError, ConnectionError):
                return None
            if not data:
                return None
            connection.receive_data(data)
        elif isinstance(event, h11.Request):
            raw = [(name.decode("latin-1"), value.decode("latin-1")) for name, value in event.headers.raw_items()]
            request = Request(
                method=event.method.decode("latin-1"),
                target=event.target.decode("latin-1"),
                version=f"HTTP/{event.http_version.decode()}",
                headers={name.lower(): value for name, value in raw},
                header_list=raw,
            )
        elif isinstance(event, h11.Data):
            body += event.data
            if len(body) > MAX_BODY_BYTES:
                raise BadRequest
        elif isinstance(event, h11.EndOfMessage) and request is not None:
            request.body = bytes(body)
            return request
        else:
            return None


def serve(handler: Handler) -> Callable[[asyncio.StreamReader, asyncio.StreamWriter], Coroutine[Any, Any, None]]:
    """Wrap a request handler into an asyncio connection callback."""

    async def on_connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            try:
                request = await read_request(reader)
            except BadRequest:
                writer.write(GO_BAD_REQUEST)
                await writer.drain()
                return
            if request is None:
                return  # nothing, or half a request: Go closes without an answer
            request.client = writer.get_extra_info("peername")[:2]
            request.server = writer.get_extra_info("sockname")[:2]
            try:
                result = handler(request)
                response = result if isinstance(result, Response) else await result
            except Exception:  # a bug in one handler must not take the connection's answer with it
                log.exception("handler failed for %s %s", request.method, request.target)
                response = Response.text("internal server error\n", status=500)
            writer.write(response.encode(with_body=request.method != "HEAD"))
            await writer.drain()
        except OSError:  # reset, broken pipe, TLS errors: the client is gone
            pass
        finally:
            writer.close()

    return on_connection
