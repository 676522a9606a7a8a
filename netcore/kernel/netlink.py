"""A batching netlink channel: many requests in one send, one acknowledgement each, errors matched back.

pyroute2's message classes encode and decode the messages; this module only moves bytes. Sending a
host's whole configuration in one datagram and reading the acks once is what makes a 200-host build
take a fraction of a second: the per-call API costs a round trip (and, across namespaces, a fork) per
operation.

A socket is bound to the namespace of the thread that created it, so ``open_in(fd)`` enters the
namespace only for the ``socket()`` call.
"""

from __future__ import annotations

import errno
import os
import socket
import struct
from collections.abc import Iterable
from dataclasses import dataclass

from netcore.kernel import decode, netns
from netcore.kernel.decode import NLMSGHDR

NETLINK_ROUTE = 0
NETLINK_NETFILTER = 12
SOL_NETLINK = 270
NETLINK_CAP_ACK = 10
NETLINK_EXT_ACK = 11
NLMSG_ERROR = 2
NLMSG_DONE = 3
NLM_F_REQUEST = 0x1
NLM_F_ACK = 0x4
NLM_F_DUMP = 0x300
NLM_F_ACK_TLVS = 0x200
NLMSGERR_ATTR_MSG = 1
MAX_BATCH_BYTES = 48 * 1024


@dataclass(frozen=True)
class Failure:
    """A request the kernel refused: its position in the batch, errno and the kernel's own message."""

    index: int
    code: int
    message: str

    def reason(self) -> str:
        text = os.strerror(self.code)
        return f"{text} ({self.message})" if self.message else text


class Channel:
    """One netlink socket in one namespace."""

    def __init__(self, protocol: int = NETLINK_ROUTE, fd: int | None = None) -> None:
        if fd is None:
            self.sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW | socket.SOCK_CLOEXEC, protocol)
        else:
            with netns.entered(fd):
                self.sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW | socket.SOCK_CLOEXEC, protocol)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        self.sock.setsockopt(SOL_NETLINK, NETLINK_CAP_ACK, 1)
        self.sock.setsockopt(SOL_NETLINK, NETLINK_EXT_ACK, 1)
        self.sock.bind((0, 0))
        self.seq = 0

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> Channel:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _encode(self, msg, msg_type: int, flags: int) -> bytes:
        self.seq += 1
        msg["header"]["type"] = msg_type
        msg["header"]["flags"] = flags
        msg["header"]["sequence_number"] = self.seq
        msg.encode()
        return bytes(msg.data)

    def request(self, requests: Iterable[tuple[object, int, int]]) -> list[Failure]:
        """Send (message, type, flags) requests in as few datagrams as possible; return the refusals.

        Only the last request of a datagram asks for an acknowledgement: the kernel handles a
        datagram's requests in order, inside the send, and reports every refusal anyway, so the last
        ack arriving means every earlier request is done (and its refusal, if any, already queued).
        """
        failures: list[Failure] = []
        chunk: list[bytearray] = []
        first_seq = self.seq + 1
        size = 0
        index = 0
        for msg, msg_type, flags in requests:
            data = bytearray(self._encode(msg, msg_type, flags | NLM_F_REQUEST))
            if chunk and size + len(data) > MAX_BATCH_BYTES:
                failures += self._send_and_collect(chunk, first_seq, index - len(chunk))
                chunk, size, first_seq = [], 0, self.seq
            chunk.append(data)
            size += len(data)
            index += 1
        if chunk:
            failures += self._send_and_collect(chunk, first_seq, index - len(chunk))
        return failures

    def _send_and_collect(self, chunk: list[bytearray], first_seq: int, first_index: int) -> list[Failure]:
        last = chunk[-1]
        flags = NLMSGHDR.unpack_from(last)[2]
        struct.pack_into("=H", last, 6, flags | NLM_F_ACK)  # nlmsg_flags of the last request
        last_seq = first_seq + len(chunk) - 1
        self.sock.sendall(b"".join(chunk))
        failures = []
        done = False
        while not done:
            data = self.sock.recv(1 << 20)
            for msg_type, seq, body, hdr_flags in decode.messages(data):
                if msg_type != NLMSG_ERROR:
                    continue
                code = -struct.unpack_from("=i", body)[0]
                if code:
                    failures.append(Failure(first_index + seq - first_seq, code, ext_ack_message(body, hdr_flags)))
                if seq == last_seq:
                    done = True
        return failures

    def dump_raw(self, msg, msg_type: int) -> list[bytes]:
        """Send a dump request; return the body (after the netlink header) of every reply."""
        self.sock.sendall(self._encode(msg, msg_type, NLM_F_REQUEST | NLM_F_DUMP))
        out: list[bytes] = []
        while True:
            data = self.sock.recv(1 << 20)
            for reply_type, _seq, body, _flags in decode.messages(data):
                if reply_type == NLMSG_DONE:
                    return out
                if reply_type == NLMSG_ERROR:
                    code = -struct.unpack_from("=i", body)[0]
                    if code:
                        raise OSError(code, f"netlink dump: {os.strerror(code)}")
                    return out
                out.append(body)

    def dump(self, msg, msg_type: int, decoder) -> list:
        """Send a dump request; return every reply decoded by a pyroute2 message class."""
        out = []
        for body in self.dump_raw(msg, msg_type):
            reply = decoder(decode.nlmsg(msg_type, 0, 0, body))
            reply.decode()
            out.append(reply)
        return out


def ext_ack_message(body: bytes, flags: int) -> str:
    """Return the kernel's extended-ack text of an error, if it sent one."""
    if not flags & NLM_F_ACK_TLVS:
        return ""
    # errno (4) + the original header (16; NETLINK_CAP_ACK drops its payload), then attributes.
    offset = 4 + NLMSGHDR.size
    while offset + 4 <= len(body):
        length, attr_type = struct.unpack_from("=HH", body, offset)
        if length < 4:
            break
        if attr_type == NLMSGERR_ATTR_MSG:
            return body[offset + 4 : offset + length].rstrip(b"\0").decode(errors="replace")
        offset += (length + 3) & ~3
    return ""


def is_missing(failure: Failure) -> bool:
    """True when the kernel refused because the thing is already gone."""
    return failure.code in (errno.ENOENT, errno.ESRCH, errno.ENODEV, errno.EADDRNOTAVAIL)
