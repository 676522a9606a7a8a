"""A parsed frame's headers as the walk's JSON layers (fixed keys), and the words for a flow.

Pure.
"""

from __future__ import annotations

from netcore.walk.model import Layers, Outer
from netcore.walk.packet import L3, L4, Frame, flag_text


def l3_json(l3: L3 | None) -> dict | None:
    if l3 is None:
        return None
    return {"src": l3.src, "dst": l3.dst, "ttl": l3.ttl, "id": l3.ident, "protocol": l3.protocol, "length": l3.length}


def l4_json(l4: L4 | None) -> dict | None:
    if l4 is None:
        return None
    if l4.protocol == "tcp":
        return {
            "protocol": "tcp",
            "sport": l4.sport,
            "dport": l4.dport,
            "flags": flag_text(l4.flags),
            "seq": l4.seq,
            "ack": l4.ack,
        }
    if l4.protocol == "udp":
        return {"protocol": "udp", "sport": l4.sport, "dport": l4.dport}
    if l4.protocol == "icmp":
        out = {"protocol": "icmp", "type": l4.icmp_type, "code": l4.icmp_code}
        if l4.is_icmp_error:
            if l4.quoted is not None:
                q3, q4 = l4.quoted
                out["quoted"] = {
                    "src": q3.src,
                    "dst": q3.dst,
                    "protocol": q4.protocol,
                    "sport": q4.sport,
                    "dport": q4.dport,
                }
        else:
            out.update({"id": l4.sport, "seq": l4.seq})
        return out
    return {"protocol": l4.protocol}


def layers_of(frame: Frame) -> tuple[Layers, Outer | None]:
    l2 = None if frame.l2 is None else {"src": frame.l2.src, "dst": frame.l2.dst, "type": f"0x{frame.l2.ethertype:04x}"}
    layers = Layers(l2, l3_json(frame.l3), l4_json(frame.l4))
    if frame.outer is None:
        return layers, None
    o = frame.outer
    outer_l2 = {"src": o.l2.src, "dst": o.l2.dst, "type": f"0x{o.l2.ethertype:04x}"}
    return layers, Outer(Layers(outer_l2, l3_json(o.l3), l4_json(o.l4)), o.vni)


def address(ip: str, port: int | None, protocol: str) -> str:
    return ip if protocol == "icmp" or port is None else f"{ip}:{port}"


ICMP_WORDS = {
    (3, 0): "network unreachable",
    (3, 1): "host unreachable",
    (3, 3): "port unreachable",
    (3, 4): "fragmentation needed",
    (3, 9): "network prohibited",
    (3, 10): "host prohibited",
    (3, 13): "administratively prohibited",
    (11, 0): "TTL exceeded",
    (0, 0): "echo reply",
    (8, 0): "echo request",
}


def icmp_words(l4: L4) -> str:
    return ICMP_WORDS.get((l4.icmp_type, l4.icmp_code), f"ICMP type {l4.icmp_type} code {l4.icmp_code}")
