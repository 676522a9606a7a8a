"""What changed between one hop and the next, and why: NAT, un-NAT, routing, bridging, tunnels, policy.

Pure. A change is attached to the first hop where it is visible. Rewrites are found by comparing the
headers of consecutive hops (the packet sockets see the packet before and after each namespace); the
reason comes from the trace decisions of the namespace where the rewrite happened (the rule, its
chain, the Service or NetworkPolicy behind it), and on the reply from conntrack, which undoes the
request's NAT after the last trace point.
"""

from __future__ import annotations

from dataclasses import dataclass

from netcore.flowtuple import Tuple
from netcore.walk.layers import address
from netcore.walk.model import Actor, Change
from netcore.walk.packet import Frame
from netcore.walk.reasons import Decision
from netcore.walk.recording import Captured, Facts, lookup_route


@dataclass(frozen=True)
class Seen:
    """One captured packet of the walk with its parsed headers."""

    capture: Captured
    frame: Frame

    @property
    def host(self) -> str:
        return self.capture.host

    def flow(self) -> Tuple:
        return self.flow_of(self.frame.l3, self.frame.l4)

    @staticmethod
    def flow_of(l3, l4) -> Tuple:
        """The packet's addresses and ports; for an ICMP error, its own addresses with the quoted ports."""
        if l4.is_icmp_error and l4.quoted is not None:
            q3, q4 = l4.quoted
            return Tuple(q4.protocol, l3.src, q4.dport, l3.dst, q4.sport)
        return Tuple(l4.protocol, l3.src, l4.sport, l3.dst, l4.dport)


def path_changes(
    path: list[Seen],
    direction: str,
    decisions: dict[str, list[Decision]],
    facts: Facts,
    request_decisions: dict[str, list[Decision]],
    floods: dict[str, list[str]] | None = None,
) -> list[tuple[Change, ...]]:
    """Return each hop's changes; ``decisions`` are this path's, ``request_decisions`` the request's,
    ``floods`` the ports each host's bridge flooded the packet to besides the path."""
    out: list[tuple[Change, ...]] = []
    routed: set[int] = set()  # where each routed visit started
    judged = policy_hops(path) if direction == "request" else {}
    for index, seen in enumerate(path):
        previous = path[index - 1] if index else None
        changes: list[Change] = []
        if previous is not None:
            changes += tunnel_changes(previous, seen)
            if direction == "request":
                changes += request_rewrites(previous, seen, decisions.get(seen.host, []), facts)
            else:
                changes += reply_rewrites(previous, seen, request_decisions.get(seen.host, []), facts)
            route = route_change(path[:index], seen, facts, routed)
            if route is not None:
                changes.append(route)
            bridge = bridge_change(previous, seen, facts, (floods or {}).get(seen.host, []))
            if bridge is not None:
                changes.append(bridge)
        if judged.get(seen.host) == index:
            changes += policy_changes(decisions.get(seen.host, []))
        out.append(tuple(changes))
    return out


def policy_hops(path: list[Seen]) -> dict[str, int]:
    """Where a host's policy verdicts show: its first hop out (the forward and postrouting hooks run
    before the packet leaves), or its last hop when it never left; on its first visit only."""
    out: dict[str, int] = {}
    index = 0
    while index < len(path):
        host, end = path[index].host, index
        while end + 1 < len(path) and path[end + 1].host == host:
            end += 1
        if host not in out:
            leaving = [i for i in range(index, end + 1) if path[i].capture.direction == "out"]
            out[host] = leaving[0] if leaving else end
        index = end + 1
    return out


def tunnel_changes(previous: Seen, seen: Seen) -> list[Change]:
    before, after = previous.frame.outer, seen.frame.outer
    if after is not None and before is None:
        text = (
            f"encapsulated in VXLAN (VNI {after.vni}) by {previous.capture.interface}: outer "
            f"{after.l3.src} -> {after.l3.dst} UDP {after.l4.dport}"
        )
        return [Change("encapsulate", text, by=Actor("tunnel", previous.capture.interface))]
    if before is not None and after is None:
        text = f"decapsulated by {seen.capture.interface} (VNI {before.vni}): the pod's own packet again"
        return [Change("decapsulate", text, by=Actor("tunnel", seen.capture.interface))]
    return []


def first(decisions: list[Decision], *kinds: str) -> Decision | None:
    return next((d for d in decisions if d.kind in kinds), None)


def request_rewrites(previous: Seen, seen: Seen, decisions: list[Decision], facts: Facts) -> list[Change]:
    a, b = previous.flow(), seen.flow()
    out = []
    if (a.dst, a.dport) != (b.dst, b.dport):
        before, after = address(a.dst, a.dport, a.protocol), address(b.dst, b.dport, b.protocol)
        decision = first(decisions, "dnat")
        by = decision.by if decision else None
        service = facts.service_at(a.dst, a.dport, a.protocol)
        if by is None and service:
            by = Actor("service", service)
        out.append(
            Change(
                "dnat",
                f"DNAT {before} -> {after} {by_words(by, decision, facts, seen.host)}",
                before,
                after,
                by,
                decision.rule if decision else None,
            )
        )
    if (a.src, a.sport) != (b.src, b.sport):
        before, after = address(a.src, a.sport, a.protocol), address(b.src, b.sport, b.protocol)
        decision = first(decisions, "masquerade", "snat")
        kind = "snat" if decision is not None and decision.kind == "snat" else "masquerade"
        label = "SNAT" if kind == "snat" else "SNAT (masquerade)"
        out.append(
            Change(
                kind,
                f"{label} {before} -> {after} {snat_words(decision, decisions, seen, facts)}",
                before,
                after,
                decision.by if decision else None,
                decision.rule if decision else None,
            )
        )
    return out


def by_words(by: Actor | None, decision: Decision | None, facts: Facts, where: str) -> str:
    host = facts.name(where)
    if by is None:
        return f"on {host} (conntrack: destination NAT)"
    if by.kind == "service":
        return f"by Service {by.name} (kube-proxy on {host})"
    if by.kind == "port-mapping":
        return f"by the port {host} publishes for pod {by.name} (docker -p style)"
    rule = decision.rule.text if decision and decision.rule.text else by.name
    return f"by {host}'s rule: {rule}"


def snat_words(decision: Decision | None, decisions: list[Decision], seen: Seen, facts: Facts) -> str:
    host = facts.name(seen.host)
    if decision is None:
        return f"on {host} (conntrack: source NAT)"
    if decision.by is not None and decision.by.kind == "pod-egress":
        return f"by {host}'s pod egress rule: pods reach the outside with the node's address"
    if decision.by is not None and decision.by.kind == "kube-proxy":
        mark = first(decisions, "mark")
        why = mark.why if mark else "traffic marked for masquerade"
        return f"by kube-proxy on {host}: {why}"
    return f"by {host}'s rule: {decision.rule.text or decision.why}"


def reply_rewrites(previous: Seen, seen: Seen, request_decisions: list[Decision], facts: Facts) -> list[Change]:
    a, b = previous.flow(), seen.flow()
    host = facts.name(seen.host)
    out = []
    if (a.src, a.sport) != (b.src, b.sport):
        before, after = address(a.src, a.sport, a.protocol), address(b.src, b.sport, b.protocol)
        decision = first(request_decisions, "dnat")
        owner = f" of Service {decision.by.name}" if decision and decision.by and decision.by.kind == "service" else ""
        text = (
            f"un-DNAT {before} -> {after} by conntrack on {host}: the reply{owner} comes from the "
            "address the client asked for"
        )
        out.append(Change("un-dnat", text, before, after, decision.by if decision else None))
    if (a.dst, a.dport) != (b.dst, b.dport):
        before, after = address(a.dst, a.dport, a.protocol), address(b.dst, b.dport, b.protocol)
        text = f"un-SNAT {before} -> {after} by conntrack on {host}: back to the address that sent the request"
        out.append(Change("un-snat", text, before, after))
    return out


def route_change(earlier: list[Seen], seen: Seen, facts: Facts, routed: set[int]) -> Change | None:
    """The routing decision, on the first hop leaving a host that forwarded the packet (TTL went down).

    A packet may visit a host twice (a NodePort hairpins out of the node it came in by, a switch sees
    it again): each visit, a run of consecutive hops in one host, is judged on its own.
    """
    if seen.capture.direction != "out":
        return None
    start = len(earlier)
    while start > 0 and earlier[start - 1].host == seen.host:
        start -= 1
    if start == len(earlier) or start in routed:
        return None
    entry = earlier[start]
    if entry.frame.l3 is None or seen.frame.l3 is None or seen.frame.l3.ttl >= entry.frame.l3.ttl:
        return None
    routed.add(start)
    destination = seen.frame.l3.dst
    route = lookup_route(facts.routes.get(seen.host, ()), destination)
    ttl = f"TTL {entry.frame.l3.ttl} -> {seen.frame.l3.ttl}"
    host = facts.name(seen.host)
    if route is None:
        return Change("route", f"routed by {host} to {destination} ({ttl})", by=Actor("route", host))
    if route.connected or route.via is None:
        how = f"{route.dst} dev {route.dev}, directly connected"
    else:
        how = f"{route.dst} via {route.via} dev {route.dev}"
    return Change("route", f"routed by {host}: {how} ({ttl})", after=route.dst, by=Actor("route", how))


def bridge_change(previous: Seen, seen: Seen, facts: Facts, flooded: list[str]) -> Change | None:
    if seen.capture.direction != "out" or previous.host != seen.host:
        return None
    bridge = facts.masters.get(f"{seen.host}:{seen.capture.interface}")
    if bridge is None:
        return None
    came_in = previous.capture.interface
    host = facts.name(seen.host)
    if previous.capture.direction == "in" and facts.masters.get(f"{seen.host}:{came_in}") == bridge:
        text = f"switched by bridge {bridge} on {host}: in by port {came_in}, out by port {seen.capture.interface}"
    elif previous.capture.interface == bridge:
        text = f"bridge {bridge} on {host} hands it to port {seen.capture.interface}"
    else:
        return None
    if flooded and seen.frame.l2 is not None:
        text += (
            f" (flooded: {bridge} had not learnt {seen.frame.l2.dst} yet, so port"
            f"{'s' if len(flooded) > 1 else ''} {', '.join(flooded)} got a copy, which went nowhere)"
        )
    return Change("bridge", text, by=Actor("bridge", f"{host}:{bridge}"))


def policy_changes(decisions: list[Decision]) -> list[Change]:
    out = []
    seen_rules = set()
    for decision in decisions:
        if decision.kind != "allow" or (decision.rule.chain, decision.rule.handle) in seen_rules:
            continue
        seen_rules.add((decision.rule.chain, decision.rule.handle))
        out.append(Change("policy", f"policy: {decision.why}", by=decision.by, rule=decision.rule))
    return out
