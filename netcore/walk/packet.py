"""Parse the headers a walk reports: Ethernet, IPv4, TCP, UDP, ICMP (with the packet an error quotes),
and VXLAN (outer headers, then the frame it carries).

Pure. Parsing never raises on short or foreign data: what cannot be read is left out (a frame that
is not IPv4 has no ``l3``). A flow's identity is a ``netcore.flowtuple.Tuple``.
"""

from __future__ import annotations

import socket
import struct
from dataclasses import dataclass

from netcore.flowtuple import IPPROTO, PROTO_NUMBER, Tuple

ETH_P_IP = 0x0800
ETH_P_8021Q = 0x8100
VXLAN_PORT = 4789
ICMP_ECHO_REPLY, ICMP_UNREACHABLE, ICMP_ECHO, ICMP_TIME_EXCEEDED = 0, 3, 8, 11
ICMP_ERRORS = (3, 4, 5, 11, 12)
TCP_FLAGS = "FSRPAUEC"  # bit 0 (FIN) upwards, as tcpdump letters them
FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10


@dataclass(frozen=True)
class L2:
    src: str
    dst: str
    ethertype: int


@dataclass(frozen=True)
class L3:
    src: str
    dst: str
    ttl: int
    ident: int
    protocol: int
    length: int


@dataclass(frozen=True)
class L4:
    """Transport header fields; ``quoted`` is the packet an ICMP error carries (its L3 and L4)."""

    protocol: str
    sport: int = 0
    dport: int = 0
    flags: int = 0
    seq: int = 0
    ack: int = 0
    icmp_type: int = 0
    icmp_code: int = 0
    quoted: tuple[L3, L4] | None = None

    @property
    def is_icmp_error(self) -> bool:
        return self.protocol == "icmp" and self.icmp_type in ICMP_ERRORS


@dataclass(frozen=True)
class Outer:
    """The tunnel headers around an encapsulated frame."""

    l2: L2
    l3: L3
    l4: L4
    vni: int


@dataclass(frozen=True)
class Frame:
    l2: L2 | None
    l3: L3 | None
    l4: L4 | None
    outer: Outer | None = None
    payload: bytes = b""

    def tuple(self) -> Tuple | None:
        return tuple_of(self.l3, self.l4)


def mac_text(raw: bytes) -> str:
    return ":".join(f"{b:02x}" for b in raw)


def tuple_of(l3: L3 | None, l4: L4 | None) -> Tuple | None:
    if l3 is None or l4 is None or l4.protocol not in PROTO_NUMBER:
        return None
    return Tuple(l4.protocol, l3.src, l4.sport, l3.dst, l4.dport)


def flag_text(flags: int) -> str:
    """TCP flags as tcpdump letters: S, SA (SYN-ACK), R, FA, PA ..."""
    order = [(SYN, "S"), (FIN, "F"), (RST, "R"), (PSH, "P"), (ACK, "A"), (0x20, "U"), (0x40, "E"), (0x80, "C")]
    return "".join(letter for bit, letter in order if flags & bit) or "none"


def parse_frame(data: bytes, vxlan_ports: tuple[int, ...] = (VXLAN_PORT,)) -> Frame:
    """Parse an Ethernet frame; a VXLAN datagram gives the inner frame with the outer headers attached."""
    if len(data) < 14:
        return Frame(None, None, None)
    ethertype = struct.unpack_from("!H", data, 12)[0]
    offset = 14
    if ethertype == ETH_P_8021Q and len(data) >= 18:
        ethertype = struct.unpack_from("!H", data, 16)[0]
        offset = 18
    l2 = L2(mac_text(data[6:12]), mac_text(data[0:6]), ethertype)
    if ethertype != ETH_P_IP:
        return Frame(l2, None, None)
    l3, l4, payload = parse_ipv4(data[offset:])
    if l3 is not None and l4 is not None and l4.protocol == "udp" and l4.dport in vxlan_ports:
        if len(payload) >= 8 and payload[0] & 0x08:  # the I flag: a valid VNI follows
            vni = int.from_bytes(payload[4:7], "big")
            inner = parse_frame(payload[8:], ())
            if inner.l2 is not None:
                return Frame(inner.l2, inner.l3, inner.l4, Outer(l2, l3, l4, vni), inner.payload)
    return Frame(l2, l3, l4, None, payload)


def parse_ipv4(data: bytes) -> tuple[L3 | None, L4 | None, bytes]:
    """Parse an IPv4 header and what follows; returns (L3, L4, the transport payload)."""
    if len(data) < 20 or data[0] >> 4 != 4:
        return None, None, b""
    header_len = (data[0] & 0x0F) * 4
    length, ident = struct.unpack_from("!HH", data, 2)
    ttl, protocol = data[8], data[9]
    l3 = L3(socket.inet_ntoa(data[12:16]), socket.inet_ntoa(data[16:20]), ttl, ident, protocol, length)
    fragment_offset = struct.unpack_from("!H", data, 6)[0] & 0x1FFF
    if fragment_offset:
        return l3, None, b""
    l4, payload = parse_transport(protocol, data[header_len:])
    return l3, l4, payload


def parse_transport(protocol: int, data: bytes) -> tuple[L4 | None, bytes]:
    name = IPPROTO.get(protocol)
    if name == "tcp" and len(data) >= 8:  # an ICMP error may quote only the first 8 bytes
        sport, dport, seq = struct.unpack_from("!HHI", data)
        if len(data) < 14:
            return L4("tcp", sport, dport, 0, seq), b""
        ack = struct.unpack_from("!I", data, 8)[0]
        offset = (data[12] >> 4) * 4
        return L4("tcp", sport, dport, data[13], seq, ack), data[offset:] if len(data) >= 20 else b""
    if name == "udp" and len(data) >= 8:
        sport, dport = struct.unpack_from("!HH", data)
        return L4("udp", sport, dport), data[8:]
    if name == "icmp" and len(data) >= 8:
        icmp_type, code = data[0], data[1]
        if icmp_type in (ICMP_ECHO, ICMP_ECHO_REPLY):
            ident, seq = struct.unpack_from("!HH", data, 4)
            return L4("icmp", ident, ident, 0, seq, 0, icmp_type, code), data[8:]
        quoted = None
        if icmp_type in ICMP_ERRORS:
            inner_l3, inner_l4, _ = parse_ipv4(data[8:])
            if inner_l3 is not None and inner_l4 is not None:
                quoted = (inner_l3, inner_l4)
        return L4("icmp", 0, 0, 0, 0, 0, icmp_type, code, quoted), data[8:]
    if name is None:
        return L4(f"proto-{protocol}"), data
    return None, b""
