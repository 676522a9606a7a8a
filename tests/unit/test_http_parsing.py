"""The built-in servers' HTTP parsing answers as Go's net/http does (agnhost and the echoserver are Go):
a malformed request line gets 400 at once, bare LF is accepted, chunked bodies are read."""

from __future__ import annotations

import asyncio

from netcore.workloads.http import GO_BAD_REQUEST, Request, Response, serve


class Writer:
    def __init__(self) -> None:
        self.sent = bytearray()
        self.closed = asyncio.Event()

    def write(self, data: bytes) -> None:
        self.sent += data

    async def drain(self) -> None:
        pass

    def close(self) -> None:
        self.closed.set()

    def get_extra_info(self, name: str):
        return ("10.244.0.5", 40000) if name == "peername" else ("10.244.1.7", 8080)


def exchange(data: bytes, *, end: bool = False, seen: list[Request] | None = None) -> bytes:
    """Send bytes to a server and return its answer; without ``end`` the client keeps the connection open,
    so an answer proves the server did not wait for more."""

    def handler(request: Request) -> Response:
        if seen is not None:
            seen.append(request)
        return Response.text(f"{request.method} {request.path} {len(request.body)}\n")

    async def run() -> bytes:
        reader = asyncio.StreamReader(limit=16 * 1024)
        reader.feed_data(data)
        if end:
            reader.feed_eof()
        writer = Writer()
        await asyncio.wait_for(serve(handler)(reader, writer), 2)  # type: ignore[arg-type]
        return bytes(writer.sent)

    return asyncio.run(run())


def test_a_malformed_request_line_gets_gos_400_at_once():
    assert exchange(b"hostName\n") == GO_BAD_REQUEST  # echo hostName | nc SVC 80
    assert exchange(b"GET /\r\n") == GO_BAD_REQUEST  # HTTP/0.9 style: no version
    assert GO_BAD_REQUEST.endswith(b"\r\n\r\n400 Bad Request")


def test_bare_lf_line_endings_are_answered_at_once():
    answer = exchange(b"GET /hostname HTTP/1.1\nHost: x\n\n")
    assert answer.startswith(b"HTTP/1.1 200 OK\r\n") and answer.endswith(b"GET /hostname 0\n")


def test_a_chunked_body_is_read_and_headers_keep_their_spelling():
    seen: list[Request] = []
    answer = exchange(
        b"POST /echo HTTP/1.1\r\nHost: x\r\nX-Trace-ID: 7\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
        seen=seen,
    )
    assert answer.endswith(b"POST /echo 5\n")
    assert seen[0].body == b"hello" and ("X-Trace-ID", "7") in seen[0].header_list
    assert seen[0].headers["x-trace-id"] == "7" and seen[0].version == "HTTP/1.1"


def test_http_1_1_without_host_is_a_bad_request_as_in_go():
    assert exchange(b"GET / HTTP/1.1\r\n\r\n") == GO_BAD_REQUEST


def test_a_client_that_sends_nothing_or_half_a_request_gets_no_answer():
    assert exchange(b"", end=True) == b""
    assert exchange(b"GET / HTTP/1.1\r\nHost: x\r\n", end=True) == b""
