"""Stitch a recording into legs: the request's hops and the reply's, in kernel-time order, with their
changes, and a verdict (delivered, dropped, rejected, no route, timeout) saying where and by what.

Pure. For each exchange: find the request as the source sent it (its identity: TCP initial sequence
number, UDP IP id, ICMP sequence), grow the flow's shapes from conntrack, select the captured packets
that are the request (cut at a retransmission) and the one reply, order them by kernel timestamp,
then read the trace passes of the same packets for the decisions behind each change.
"""

from __future__ import annotations

from dataclasses import replace

from netcore.walk import nftrace
from netcore.walk.changes import Seen, by_words, first, path_changes
from netcore.walk.ctparse import CtEntry, parse_entry
from netcore.walk.flow import Identity, flow_forms, identity_from, is_first_send, matches_reply, matches_request
from netcore.walk.layers import address, icmp_words, layers_of
from netcore.walk.model import Actor, Change, Endpoint, Hop, Leg, Place, Verdict
from netcore.walk.packet import ACK, RST, SYN, parse_frame
from netcore.walk.reasons import Decision, decisions, parse_rule_listing
from netcore.walk.recording import Exchange, Facts, Recording

PACKET_OTHERHOST = 3  # a frame for another MAC: a bridge port, or a flooded copy
CLOCK_SLACK_NS = 5_000_000  # the sender reads the clock just before send(); the kernel stamps later
NO_ROUTE_CODES = (0, 1, 6, 7, 11, 12)


class Material:
    """A recording parsed once: frames, conntrack entries, trace passes and rule texts per host."""

    def __init__(self, recording: Recording) -> None:
        self.facts = recording.facts
        ports = recording.facts.vxlan_ports
        order = {"in": 0, "out": 1}
        captures = sorted(recording.captures, key=lambda c: (c.time_ns, order[c.direction]))
        self.seen = [Seen(c, parse_frame(c.data, ports)) for c in captures]
        self.seen = [s for s in self.seen if s.frame.l3 is not None and s.frame.l4 is not None]
        unique: dict[tuple, CtEntry] = {}  # an entry can come from an event and from the dump
        for host, bodies in recording.conntrack.items():
            for entry in filter(None, (parse_entry(host, body) for body in bodies)):
                unique.setdefault((host, entry.orig, entry.reply), entry)
        self.entries = list(unique.values())
        ignore = (recording.trace_table,) if recording.trace_table else ()
        self.passes = {
            host: nftrace.passes(nftrace.parse_datagrams(host, datagrams), ignore)
            for host, datagrams in recording.traces.items()
        }
        self.rules = {host: parse_rule_listing(text) for host, text in recording.rules.items()}

    def place(self, host: str) -> Place:
        return Place(host, self.facts.name(host), self.facts.role(host))


def stitch(recording: Recording) -> list[Leg]:
    """Return one leg per exchange of the recording, in order, each request followed by the
    connection its server opened to answer it, if it did (a proxy: the ingress controller)."""
    material = Material(recording)
    legs = []
    for exchange in recording.exchanges:
        leg = stitch_leg(material, exchange)
        legs.append(leg)
        upstream = upstream_exchange(material, leg, exchange) if exchange.purpose == "request" else None
        if upstream is not None:
            behind = stitch_leg(material, upstream)
            if behind.verdict.outcome == "delivered":
                proxy = leg.reply[0].place  # upstream_exchange found the proxy's connection after this reply
                text = f"{behind.verdict.text} (through {proxy.name}, which answered the client)"
                behind = replace(behind, verdict=replace(behind.verdict, text=text))
            legs.append(behind)
    return legs


def upstream_exchange(material: Material, leg: Leg, exchange: Exchange) -> Exchange | None:
    """The proxy's own connection: the first SYN its namespace sent while it held the client's request.

    A server that answers by itself sends none; a proxy (nginx for an Ingress) connects to its backend
    after the client's request arrived and before the client had its answer.
    """
    if exchange.protocol != "tcp" or leg.verdict.outcome != "delivered" or not leg.reply:
        return None
    proxy = leg.reply[0].place.host
    begin = leg.reply[0].time_ns
    end = exchange.sent_ns + int(exchange.elapsed_ms * 1_000_000) + CLOCK_SLACK_NS
    for seen in material.seen:
        l4, flow = seen.frame.l4, seen.frame.tuple()
        if (
            l4 is None
            or flow is None
            or seen.host != proxy
            or seen.capture.direction != "out"
            or not begin <= seen.capture.time_ns <= end
            or l4.protocol != "tcp"
            or not l4.flags & SYN
            or l4.flags & ACK
        ):
            continue
        target = material.facts.pods.get(flow.dst)
        label = f"pod {target}" if target else flow.dst
        return Exchange(
            "upstream",
            f"{material.facts.name(proxy)} connects to {label} for the client",
            "tcp",
            proxy,
            flow,
            seen.capture.time_ns,
            "answered",
            exchange.answer,
            exchange.elapsed_ms,
            None,
            label,
        )
    return None


def identify(material: Material, exchange: Exchange):
    """Return (the request as the source sent it, its identity, the flow's shapes, conntrack entries)."""
    sent = next(
        (
            s
            for s in material.seen
            if s.host == exchange.source_host
            and s.capture.direction == "out"
            and s.capture.time_ns >= exchange.sent_ns - CLOCK_SLACK_NS
            and is_first_send(s.frame.l3, s.frame.l4, exchange.client, exchange.icmp_seq)
        ),
        None,
    )
    forms, used = flow_forms(exchange.client, material.entries)
    identity = None
    if sent is not None and sent.frame.l3 is not None and sent.frame.l4 is not None:  # is_first_send: both there
        identity = identity_from(sent.frame.l3, sent.frame.l4, exchange.protocol)
    return sent, identity, forms, used


def stitch_leg(material: Material, exchange: Exchange) -> Leg:
    facts = material.facts
    sent, identity, forms, used = identify(material, exchange)
    request: list[Seen] = []
    reply: list[Seen] = []
    request_floods: dict[str, list[str]] = {}
    reply_floods: dict[str, list[str]] = {}
    if sent is not None:
        request, request_floods = prune_floods(select_request(material.seen, sent, forms, identity), facts)
        reply, reply_floods = prune_floods(select_reply(material.seen, sent, forms, identity), facts)
    request_decisions = path_decisions(material, forms, identity, matches_request)
    reply_decisions = path_decisions(material, forms, identity, matches_reply)
    start = request[0].capture.time_ns if request else exchange.sent_ns
    request_hops = hops(material, request, "request", request_decisions, request_decisions, start, 0, request_floods)
    if request_hops and not reply:
        request_hops[-1] = unseen_rewrites(
            material, request_hops[-1], forms, identity, request_decisions.get(request_hops[-1].place.host, [])
        )
    reply_hops = hops(
        material, reply, "reply", reply_decisions, request_decisions, start, len(request_hops), reply_floods
    )
    client = Endpoint(
        exchange.client.src,
        port_of(exchange.client.sport, exchange.protocol),
        material.place(exchange.source_host),
        facts.name(exchange.source_host),
    )
    server_host = facts.addresses.get(exchange.client.dst)
    server = Endpoint(
        exchange.client.dst,
        port_of(exchange.client.dport, exchange.protocol),
        material.place(server_host) if server_host else None,
        exchange.server_label,
    )
    verdict = judge(material, exchange, request, reply, request_decisions)
    return Leg(
        exchange.purpose,
        exchange.summary,
        exchange.protocol,
        client,
        server,
        tuple(request_hops),
        tuple(reply_hops),
        verdict,
        tuple(e.to_json() for e in used),
    )


def unseen_rewrites(material: Material, last: Hop, forms, identity: Identity, decisions: list[Decision]) -> Hop:
    """Add the rewrites the packet got where it died, which no packet socket saw after them.

    A packet DNATed then dropped in the same namespace never leaves it: only the trace shows the
    rewrite, in the headers of the chains it met after (the first and last pass in that namespace).
    """
    done = {c.kind for c in last.changes}
    passes = [
        p
        for p in material.passes.get(last.place.host, [])
        if p.l3 is not None and matches_request(p.l3, p.l4, forms, identity)
    ]
    if not passes:
        return last
    first_seen = Seen.flow_of(passes[0].l3, passes[0].l4)
    last_seen = Seen.flow_of(passes[-1].l3, passes[-1].l4)
    extra = []
    for decision in decisions:
        if decision.kind == "dnat" and "dnat" not in done and first_seen.dst != last_seen.dst:
            before = address(first_seen.dst, first_seen.dport, first_seen.protocol)
            after = address(last_seen.dst, last_seen.dport, last_seen.protocol)
            words = by_words(decision.by, decision, material.facts, last.place.host)
            extra.append(
                Change(
                    "dnat",
                    f"DNAT {before} -> {after} {words} (seen by nft trace: the packet died before it left)",
                    before,
                    after,
                    decision.by,
                    decision.rule,
                )
            )
            done.add("dnat")
    return replace(last, changes=last.changes + tuple(extra)) if extra else last


def port_of(port: int, protocol: str) -> int | None:
    return None if protocol == "icmp" else port


def select_request(seen: list[Seen], sent: Seen, forms, identity: Identity) -> list[Seen]:
    """The request's hops: from the first send, up to the source's next send (a retransmission)."""
    out, places = [], set()
    for s in seen:
        if s.capture.time_ns < sent.capture.time_ns or not matches_request(s.frame.l3, s.frame.l4, forms, identity):
            continue
        key = (s.host, s.capture.interface, s.capture.direction)
        if s is not sent and key == (sent.host, sent.capture.interface, "out"):
            break  # the source sent it again: everything from here is the retransmission
        if key not in places:
            places.add(key)
            out.append(s)
    return out


def select_reply(seen: list[Seen], sent: Seen, forms, identity: Identity) -> list[Seen]:
    """The reply's hops: from where it was born, up to that place's next copy (a retransmission)."""
    out: list[Seen] = []
    places = set()
    for s in seen:
        if s.capture.time_ns < sent.capture.time_ns or not matches_reply(s.frame.l3, s.frame.l4, forms, identity):
            continue
        key = (s.host, s.capture.interface, s.capture.direction)
        if key in places:
            if out and key == (out[0].host, out[0].capture.interface, out[0].capture.direction):
                break
            continue
        places.add(key)
        out.append(s)
    return out


def path_decisions(material: Material, forms, identity: Identity | None, matches) -> dict[str, list[Decision]]:
    """The decisions of every trace pass that saw this packet (its retransmissions add nothing new)."""
    out: dict[str, list[Decision]] = {}
    if identity is None:
        return out
    for host, host_passes in material.passes.items():
        seen_rules = set()
        for trace_pass in host_passes:
            if not matches(trace_pass.l3, trace_pass.l4, forms, identity):
                continue
            for decision in decisions(trace_pass, material.rules.get(host, {})):
                key = (decision.kind, decision.rule.chain, decision.rule.handle)
                if key not in seen_rules:
                    seen_rules.add(key)
                    out.setdefault(host, []).append(decision)
    return out


def prune_floods(path: list[Seen], facts: Facts) -> tuple[list[Seen], dict[str, list[str]]]:
    """Drop the copies a bridge flooded to ports the packet did not travel on.

    A bridge that has not learnt the destination MAC yet sends the frame out of every port; the
    namespaces behind the other ports see a frame for another host (PACKET_OTHERHOST) and let it go.
    Such a copy is a dead end: its host never sends it on. It is left out, with the port that fed it,
    and the bridge's hop says it flooded (returned: host -> flooded ports).
    """
    dead: set[int] = set()
    floods: dict[str, list[str]] = {}
    for index, seen in enumerate(path):
        if seen.capture.direction != "in" or seen.capture.pkttype != PACKET_OTHERHOST or index == len(path) - 1:
            continue
        if any(later.host == seen.host for later in path[index + 1 :]):
            continue
        dead.add(index)
        feeder = facts.peers.get(f"{seen.host}:{seen.capture.interface}")
        for back in range(index - 1, -1, -1):
            earlier = path[back]
            if earlier.capture.direction == "out" and f"{earlier.host}:{earlier.capture.interface}" == feeder:
                dead.add(back)
                floods.setdefault(earlier.host, []).append(earlier.capture.interface)
                break
    return [s for index, s in enumerate(path) if index not in dead], floods


def hops(
    material: Material,
    path: list[Seen],
    direction: str,
    path_decisions_: dict,
    request_decisions: dict,
    start_ns: int,
    first_index: int,
    floods: dict[str, list[str]],
) -> list[Hop]:
    changes = path_changes(path, direction, path_decisions_, material.facts, request_decisions, floods)
    out = []
    for offset, (seen, hop_changes) in enumerate(zip(path, changes, strict=True)):
        layers, outer = layers_of(seen.frame)
        out.append(
            Hop(
                first_index + offset,
                seen.capture.time_ns,
                (seen.capture.time_ns - start_ns) / 1000.0,
                material.place(seen.host),
                seen.capture.interface,
                seen.capture.direction,
                layers,
                outer,
                hop_changes,
                seen.capture.data,
                seen.capture.wire_length,
            )
        )
    return out


def judge(
    material: Material,
    exchange: Exchange,
    request: list[Seen],
    reply: list[Seen],
    request_decisions: dict[str, list[Decision]],
) -> Verdict:
    """Say how the walk ended, where, and because of what."""
    facts = material.facts
    elapsed = exchange.elapsed_ms
    if reply:
        return judge_reply(material, exchange, request, reply, request_decisions)
    drop = dropping_decision(request, request_decisions)
    if drop is not None:
        at = material.place(drop.host)
        kind = "rejected" if drop.kind == "reject" else "dropped"
        return Verdict(kind, f"{kind} by {at.name}: {drop.why}", at, drop.by, drop.rule, elapsed_ms=elapsed)
    if not request and exchange.outcome == "unreachable":
        at = material.place(exchange.source_host)
        return Verdict("no-route", f"no route: {at.name} has no route to {exchange.client.dst}", at, elapsed_ms=elapsed)
    if exchange.outcome in ("answered", "connected"):
        return Verdict(
            "delivered",
            f"delivered (answer: {exchange.answer or exchange.outcome}); no hop captured",
            answer=exchange.answer,
            elapsed_ms=elapsed,
        )
    if request:
        last = request[-1]
        where = f"{facts.name(last.host)} {last.capture.interface} ({last.capture.direction})"
        return Verdict(
            "timeout",
            f"no answer within {elapsed / 1000:.1f} s; last seen on {where}",
            material.place(last.host),
            elapsed_ms=elapsed,
        )
    return Verdict(
        "timeout",
        f"no answer within {elapsed / 1000:.1f} s; the request was never seen leaving",
        material.place(exchange.source_host),
        elapsed_ms=elapsed,
    )


def dropping_decision(request: list[Seen], request_decisions: dict[str, list[Decision]]) -> Decision | None:
    """The drop on the request's path: in the last host it reached, else anywhere it was traced."""
    hosts = [s.host for s in reversed(request)] + sorted(request_decisions)
    for host in hosts:
        decision = first(request_decisions.get(host, []), "drop", "reject")
        if decision is not None:
            return decision
    return None


def judge_reply(
    material: Material,
    exchange: Exchange,
    request: list[Seen],
    reply: list[Seen],
    request_decisions: dict[str, list[Decision]],
) -> Verdict:
    facts = material.facts
    born = reply[0]
    at = material.place(born.host)
    l3, l4 = born.frame.l3, born.frame.l4
    assert l3 is not None and l4 is not None, "select_reply matched the reply by its IP and transport headers"
    elapsed = exchange.elapsed_ms
    reject = first(request_decisions.get(born.host, []), "reject")
    arrived = next((s for s in request if s.host == born.host), None)
    asked = arrived.flow() if arrived else exchange.client
    target = address(asked.dst, asked.dport, asked.protocol)
    if reject is not None:
        why = reject.why
        service = facts.service_at(asked.dst, asked.dport, asked.protocol)
        if service and reject.rule.chain == "reject-chain":
            why = f"Service {service} has no endpoints ({reject.why})"
        by = Actor("service", service) if service and reject.rule.chain == "reject-chain" else reject.by
        return Verdict(
            "rejected",
            f"rejected by {at.name}: {why}; it answered {answer_words(l4)}",
            at,
            by,
            reject.rule,
            elapsed_ms=elapsed,
        )
    if l4.is_icmp_error:
        if l4.icmp_type == 3 and l4.icmp_code in NO_ROUTE_CODES or l4.icmp_type == 11:
            return Verdict(
                "no-route",
                f"no route: {at.name} cannot reach {asked.dst} ({icmp_words(l4)})",
                at,
                Actor("route", at.name),
                elapsed_ms=elapsed,
            )
        return Verdict("rejected", f"rejected by {at.name}: {icmp_words(l4)} for {target}", at, elapsed_ms=elapsed)
    if l4.protocol == "tcp" and l4.flags & RST and not l4.flags & SYN:
        return Verdict(
            "rejected", f"connection refused by {at.name}: nothing listens on {target}", at, elapsed_ms=elapsed
        )
    answered_by = Endpoint(l3.src, port_of(l4.sport, l4.protocol), at, at.name)
    answer = exchange.answer or exchange.outcome
    text = f"delivered to {at.name} ({address(l3.src, l4.sport, l4.protocol)}), which answered: {answer}"
    return Verdict("delivered", text, at, answered_by=answered_by, answer=exchange.answer, elapsed_ms=elapsed)


def answer_words(l4) -> str:
    if l4.protocol == "tcp":
        return "with a TCP reset"
    if l4.protocol == "icmp":
        return icmp_words(l4)
    return "a datagram"
