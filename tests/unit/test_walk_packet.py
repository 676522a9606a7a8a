"""Parsing the headers a walk reports: Ethernet, IPv4, TCP, UDP, ICMP (and what an error quotes), VXLAN."""

from __future__ import annotations

import socket
import struct

from netcore.flowtuple import Tuple
from netcore.walk.packet import ACK, SYN, flag_text, parse_frame, parse_ipv4

MAC_A, MAC_B = bytes.fromhex("02000000000a"), bytes.fromhex("02000000000b")


def ipv4(src: str, dst: str, protocol: int, payload: bytes, ttl: int = 64, ident: int = 7) -> bytes:
    header = struct.pack(
        "!BBHHHBBH4s4s",
        0x45,
        0,
        20 + len(payload),
        ident,
        0x4000,
        ttl,
        protocol,
        0,
        socket.inet_aton(src),
        socket.inet_aton(dst),
    )
    return header + payload


def ethernet(payload: bytes, src: bytes = MAC_A, dst: bytes = MAC_B) -> bytes:
    return dst + src + b"\x08\x00" + payload


def tcp(sport: int, dport: int, flags: int, seq: int = 1000, ack: int = 0) -> bytes:
    return struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 64240, 0, 0)


def udp(sport: int, dport: int, payload: bytes = b"") -> bytes:
    return struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload


def test_a_tcp_syn_in_an_ethernet_frame():
    frame = parse_frame(ethernet(ipv4("10.244.0.4", "10.96.0.10", 6, tcp(40000, 8080, SYN, seq=42), ttl=63)))
    assert (frame.l2.src, frame.l2.dst, frame.l2.ethertype) == ("02:00:00:00:00:0a", "02:00:00:00:00:0b", 0x0800)
    assert (frame.l3.src, frame.l3.dst, frame.l3.ttl, frame.l3.ident) == ("10.244.0.4", "10.96.0.10", 63, 7)
    assert (frame.l4.sport, frame.l4.dport, frame.l4.seq, flag_text(frame.l4.flags)) == (40000, 8080, 42, "S")
    assert frame.tuple() == Tuple("tcp", "10.244.0.4", 40000, "10.96.0.10", 8080)
    assert frame.outer is None


def test_tcp_flags_read_as_tcpdump_letters():
    assert flag_text(SYN | ACK) == "SA" and flag_text(0x14) == "RA" and flag_text(0x11) == "FA"


def test_an_icmp_echo_uses_its_id_as_both_ports():
    echo = struct.pack("!BBHHH", 8, 0, 0, 0x1234, 3)
    frame = parse_frame(ethernet(ipv4("10.0.0.1", "10.0.0.3", 1, echo)))
    assert (frame.l4.icmp_type, frame.l4.seq) == (8, 3)
    assert frame.tuple() == Tuple("icmp", "10.0.0.1", 0x1234, "10.0.0.3", 0x1234)


def test_an_icmp_error_carries_the_packet_it_quotes_even_cut_to_8_bytes():
    quoted = ipv4("172.18.0.2", "10.244.1.2", 6, tcp(5000, 80, SYN, seq=99))[:28]
    error = struct.pack("!BBHI", 3, 0, 0, 0) + quoted
    frame = parse_frame(ethernet(ipv4("172.18.0.1", "172.18.0.2", 1, error)))
    assert frame.l4.is_icmp_error and (frame.l4.icmp_type, frame.l4.icmp_code) == (3, 0)
    q3, q4 = frame.l4.quoted
    assert (q3.src, q3.dst, q4.sport, q4.dport, q4.seq) == ("172.18.0.2", "10.244.1.2", 5000, 80, 99)


def test_a_vxlan_datagram_gives_the_inner_frame_with_the_outer_headers():
    inner = ethernet(ipv4("10.244.0.4", "10.244.1.2", 6, tcp(40000, 80, SYN)), src=MAC_B, dst=MAC_A)
    vxlan = struct.pack("!BxxxI", 0x08, 4097 << 8) + inner
    frame = parse_frame(ethernet(ipv4("172.18.0.2", "172.18.0.3", 17, udp(51000, 4789, vxlan))))
    assert frame.tuple() == Tuple("tcp", "10.244.0.4", 40000, "10.244.1.2", 80)
    assert frame.outer.vni == 4097
    assert (frame.outer.l3.src, frame.outer.l3.dst, frame.outer.l4.dport) == ("172.18.0.2", "172.18.0.3", 4789)
    assert frame.l2.src == "02:00:00:00:00:0b"


def test_udp_to_another_port_is_just_udp():
    frame = parse_frame(ethernet(ipv4("10.244.0.4", "10.96.0.10", 17, udp(5353, 53, b"query"))))
    assert frame.outer is None and frame.tuple().dport == 53 and frame.payload == b"query"


def test_short_and_foreign_frames_parse_to_what_can_be_read():
    assert parse_frame(b"\x00" * 6).l2 is None
    arp = parse_frame(MAC_B + MAC_A + b"\x08\x06" + b"\x00" * 28)
    assert arp.l2.ethertype == 0x0806 and arp.l3 is None
    assert parse_ipv4(b"\x60" + b"\x00" * 39) == (None, None, b"")
    truncated = parse_frame(ethernet(ipv4("10.0.0.1", "10.0.0.2", 6, b"\x00\x50")))
    assert truncated.l3 is not None and truncated.l4 is None
