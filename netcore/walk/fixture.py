"""Trim a recording to what its walk is made of, plus a few distractors: a bug report, or a fixture.

Pure. A walk's recording holds everything the sandbox did while it ran: every packet of the HTTP
exchange after the SYN, the DNS traffic of other pods, every conntrack entry of the nodes, whole rule
listings. A unit test needs the walk's own packets, trace events, entries and rules, and some of the
rest to prove they are left out; this keeps those (``spare`` distractors of each kind) and drops the
remainder, so a fixture stays a few kilobytes.
"""

from __future__ import annotations

from netcore.kernel import decode
from netcore.walk import nftrace
from netcore.walk.flow import matches_reply, matches_request
from netcore.walk.recording import Recording
from netcore.walk.stitch import Material, identify, stitch_leg, upstream_exchange


def trimmed(recording: Recording, spare: int = 6) -> Recording:
    material = Material(recording)
    exchanges = list(recording.exchanges)
    for exchange in recording.exchanges:
        if exchange.purpose == "request":
            upstream = upstream_exchange(material, stitch_leg(material, exchange), exchange)
            if upstream is not None:
                exchanges.append(upstream)
    hops, entries, flows = set(), set(), []
    for exchange in exchanges:
        leg = stitch_leg(material, exchange)
        hops |= {(h.place.host, h.interface, h.direction, h.time_ns) for h in (*leg.request, *leg.reply)}
        sent, identity, forms, used = identify(material, exchange)
        entries |= {(e.host, e.orig, e.reply) for e in used}
        if identity is not None:
            flows.append((forms, identity))

    def ours(l3, l4) -> bool:
        return any(matches_request(l3, l4, f, i) or matches_reply(l3, l4, f, i) for f, i in flows)

    traces, chains = keep_traces(recording, ours, spare)
    return Recording(
        keep_captures(recording, hops, spare),
        traces,
        keep_conntrack(recording, entries, spare),
        keep_rules(recording, chains),
        recording.facts,
        recording.exchanges,
        recording.trace_table,
    )


def keep_captures(recording: Recording, hops: set, spare: int):
    out, others = [], 0
    for capture in sorted(recording.captures, key=lambda c: c.time_ns):
        if (capture.host, capture.interface, capture.direction, capture.time_ns) in hops:
            out.append(capture)
        elif others < spare:
            others += 1
            out.append(capture)
    return out


def keep_traces(recording: Recording, ours, spare: int) -> tuple[dict[str, list[bytes]], dict[str, set[str]]]:
    """Keep the trace passes of the walk's packets (and ``spare`` others) as one datagram per
    namespace; return them with the chains those passes went through."""
    out: dict[str, list[bytes]] = {}
    chains: dict[str, set[str]] = {}
    for host, datagrams in recording.traces.items():
        kept, others, keeping = [], 0, {}
        for data in datagrams:
            for msg_type, _seq, body, _flags in decode.messages(data):
                event = nftrace.parse_message(host, body) if msg_type == nftrace.TRACE_MESSAGE else None
                if event is None:
                    continue
                if event.carries_packet:
                    group = nftrace.passes([event])[0]
                    wanted = ours(group.l3, group.l4)
                    if not wanted and others < spare:
                        others, wanted = others + 1, True
                    keeping[event.id] = wanted
                if not keeping.get(event.id):
                    continue
                chains.setdefault(host, set()).add(event.chain)
                message = decode.nlmsg(msg_type, 0, 0, body)
                kept.append(message + b"\0" * (-len(message) % 4))
        out[host] = [b"".join(kept)] if kept else []
    return out, chains


def keep_conntrack(recording: Recording, entries: set, spare: int) -> dict[str, list[bytes]]:
    from netcore.walk.ctparse import parse_entry

    out = {}
    for host, bodies in recording.conntrack.items():
        kept, others = [], 0
        for body in bodies:
            entry = parse_entry(host, body)
            if entry is not None and (host, entry.orig, entry.reply) in entries:
                kept.append(body)
            elif others < spare:
                others += 1
                kept.append(body)
        out[host] = kept
    return out


def keep_rules(recording: Recording, chains: dict[str, set[str]]) -> dict[str, str]:
    """Keep the listing's chains the kept trace passes went through (a chain ends with a tab and "}")."""
    out = {}
    for host, text in recording.rules.items():
        lines, keeping = [], False
        for line in text.splitlines():
            if line.strip().startswith("chain "):
                keeping = line.split()[1].strip('"') in chains.get(host, set())
            if keeping or line.startswith("table ") or line == "}":
                lines.append(line)
            if keeping and line.startswith("\t}"):
                keeping = False
        out[host] = "\n".join(lines) + "\n"
    return out
