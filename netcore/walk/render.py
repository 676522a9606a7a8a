"""A walk as text for a terminal: one line per hop, each change in words under its hop, then the verdict.

Pure.
"""

from __future__ import annotations

from netcore.walk.model import Hop, Leg, Walk


def render_walk(walk: Walk, verbose: bool = False) -> str:
    lines = [
        f"walk from {walk.source.label} ({walk.source.place.name if walk.source.place else '?'}) "
        f"to {walk.destination.label}, {walk.protocol}, sandbox {walk.sandbox}"
    ]
    for leg in walk.legs:
        lines += [""] + render_leg(leg, verbose)
    lines += [
        "",
        f"verdict: {walk.verdict.outcome}: {walk.verdict.text}"
        + (f" ({walk.verdict.elapsed_ms:.1f} ms)" if walk.verdict.elapsed_ms is not None else ""),
    ]
    lines += [f"note: {note}" for note in walk.notes]
    return "\n".join(lines) + "\n"


def render_leg(leg: Leg, verbose: bool) -> list[str]:
    client = f"{leg.client.address}:{leg.client.port}" if leg.client.port is not None else leg.client.address
    server = f"{leg.server.address}:{leg.server.port}" if leg.server.port is not None else leg.server.address
    head = f"{leg.purpose}: {leg.summary}: {leg.protocol} {client} -> {server}"
    lines = [head]
    hops = [*leg.request, *leg.reply]
    widths = (max((len(h.place.name) for h in hops), default=4), max((len(h.interface) for h in hops), default=4))
    for title, path in (("request", leg.request), ("reply", leg.reply)):
        lines.append(f"  {title}" + ("" if path else ": no packet seen"))
        for hop in path:
            lines.append("    " + hop_line(hop, widths, verbose))
            lines += [f"    {'':>11}  -> {change.text}" for change in hop.changes]
    verdict = leg.verdict
    lines.append(f"  => {verdict.outcome}: {verdict.text}")
    return lines


def hop_line(hop: Hop, widths: tuple[int, int], verbose: bool) -> str:
    l2, l3, l4 = hop.layers.l2, hop.layers.l3, hop.layers.l4
    when = f"{hop.offset_us / 1000:8.3f} ms"
    where = f"{hop.place.name:<{widths[0]}}  {hop.interface:<{widths[1]}}  {hop.direction:<3}"
    text = f"{when}  {where}  {packet_text(l3, l4)}"
    if hop.outer is not None:
        o3, o4 = hop.outer.layers.l3 or {}, hop.outer.layers.l4 or {}  # VXLAN: always IPv4 and UDP
        outer_port = o4.get("dport")
        text += f"  [in VXLAN {hop.outer.vni}: {o3['src']} > {o3['dst']} udp/{outer_port} ttl {o3['ttl']}]"
    if verbose and l2:
        text += f"  {l2['src']} > {l2['dst']}"
        if l4 and l4.get("protocol") == "tcp":
            text += f" seq {l4['seq']} ack {l4['ack']}"
    return text


def packet_text(l3: dict | None, l4: dict | None) -> str:
    if l3 is None:
        return "(not IPv4)"
    if l4 is None:
        return f"{l3['src']} > {l3['dst']} {l3['protocol']} ttl {l3['ttl']}"
    protocol = l4.get("protocol", str(l3["protocol"]))
    if protocol in ("tcp", "udp"):
        flow = f"{l3['src']}:{l4['sport']} > {l3['dst']}:{l4['dport']} {protocol}"
        if protocol == "tcp":
            flow += f" [{l4['flags']}]"
    elif protocol == "icmp":
        flow = f"{l3['src']} > {l3['dst']} icmp type {l4['type']} code {l4['code']}"
        if "quoted" in l4:
            q = l4["quoted"]
            flow += f" (about {q['src']}:{q['sport']} > {q['dst']}:{q['dport']} {q['protocol']})"
        elif "seq" in l4:
            flow += f" id {l4['id']} seq {l4['seq']}"
    else:
        flow = f"{l3['src']} > {l3['dst']} {protocol}"
    return f"{flow} ttl {l3['ttl']}"
