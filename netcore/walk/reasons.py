"""Who did it: read a traced packet's path through the nftables chains and name the decisions.

Pure. A trace pass lists the rules a packet met in one base chain; with the namespace's rule listing
(``nft -a -t list table``) each step has its text and comment. Podpath's chain names and comments
carry their owner, so a decision can be attributed:

    endpoint-<hash>-ns/svc/proto/port__ip/port   dnat ...          -> Service ns/svc
    external-/service-/endpoint-... jump mark-for-masquerade        -> why kube-proxy masquerades
    masquerading                                   masquerade       -> kube-proxy's masquerade
    pod-egress                                     masquerade       -> pods leave with the node address
    port-mapping                                   dnat ... "ns/pod" -> a port published for a pod
    policy-<dir>-<hash>-ns/pod    accept "allowed by ns/policy ingress[0]" | drop "... isolated by ns/p"
    reject-chain                                   reject "Service without endpoints"

Rules of a lab host's own table (``nat[0] masquerade``) are reported with their text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from netcore.walk.model import Actor, Rule
from netcore.walk.nftrace import TracePass

SERVICE_CHAIN = re.compile(r"^(service|endpoint|external|local)-[A-Z2-7]{8}-(?P<ns>[^/]+)/(?P<name>[^/]+)/")
POLICY_CHAIN = re.compile(r"^policy-(?P<direction>ingress|egress)-[A-Z2-7]{8}-(?P<pod>.+)$")
COMMENT = re.compile(r'comment "((?:[^"\\]|\\.)*)"')
ALLOWED_BY = re.compile(r"allowed by (?P<policy>\S+)")
ISOLATED_BY = re.compile(r"isolated by (?P<policies>.+)$")
CHAIN_HEADER = re.compile(r'^chain ("[^"]+"|\S+) \{')
RULE_LINE = re.compile(r"^(?P<text>.*?) # handle (?P<handle>\d+)$")
NOT_RULES = ("type ", "policy ", "comment ", "}", "set ", "map ", "elements", "flags ", "timeout ", "chain ", "table ")


@dataclass(frozen=True)
class Decision:
    """A rule that changed or judged the packet in one namespace."""

    kind: str  # dnat | snat | masquerade | mark | allow | drop | reject
    host: str
    rule: Rule
    by: Actor | None
    why: str  # words: the comment or an explanation


def parse_rule_listing(text: str) -> dict[tuple[str, int], str]:
    """Map (chain, handle) to each rule's text, from ``nft -a list table`` output."""
    out: dict[tuple[str, int], str] = {}
    chain = None
    for raw in text.splitlines():
        line = raw.strip()
        header = CHAIN_HEADER.match(line)
        if header:
            chain = header.group(1).strip('"')
            continue
        match = RULE_LINE.match(line)
        if chain and match and not line.startswith(NOT_RULES):
            out[(chain, int(match.group("handle")))] = match.group("text").strip()
    return out


def comment_of(text: str | None) -> str | None:
    match = COMMENT.search(text or "")
    return match.group(1) if match else None


def service_of_chain(chain: str) -> str | None:
    match = SERVICE_CHAIN.match(chain)
    return f"{match.group('ns')}/{match.group('name')}" if match else None


def has_word(text: str | None, word: str) -> bool:
    return text is not None and re.search(rf"(^|\s){word}(\s|$)", text) is not None


def decisions(trace_pass: TracePass, rules: dict[tuple[str, int], str]) -> list[Decision]:
    """Name every rewrite, mark and verdict in one pass, in order."""
    out = []
    for event in trace_pass.events:
        text = rules.get((event.chain, event.handle)) if event.handle is not None else None
        rule = Rule(f"inet {event.table}", event.chain, text, event.handle)
        kind = classify(event.chain, event.type, event.verdict, text)
        if kind is not None:
            out.append(
                Decision(kind, trace_pass.host, rule, actor(kind, event.chain, text), explain(kind, event.chain, text))
            )
    return out


def classify(chain: str, event_type: str, verdict: str | None, text: str | None) -> str | None:
    if verdict == "drop":
        if has_word(text, "reject") or (text is None and chain == "reject-chain"):
            return "reject"
        return "drop"
    if text is not None and "jump mark-for-masquerade" in text:
        return "mark"
    if verdict != "accept" or event_type != "rule":
        return None
    if text is None:  # no listing: go by Podpath's chain names
        if chain.startswith("endpoint-") or chain.startswith("port-mapping"):
            return "dnat"
        if chain in ("masquerading", "pod-egress"):
            return "masquerade"
        return "allow" if chain.startswith("policy-") else None
    if has_word(text, "dnat"):
        return "dnat"
    if has_word(text, "masquerade"):
        return "masquerade"
    if has_word(text, "snat"):
        return "snat"
    if chain.startswith("policy-"):
        return "allow"
    return None


def actor(kind: str, chain: str, text: str | None) -> Actor | None:
    comment = comment_of(text) or ""
    service = service_of_chain(chain)
    if kind in ("allow", "drop") and chain.startswith("policy-"):
        match = ALLOWED_BY.search(comment) or ISOLATED_BY.search(comment)
        if match and "policy" in match.groupdict():
            return Actor("networkpolicy", match.group("policy"))
        if match:
            return Actor("networkpolicy", match.group("policies").split(", ")[0].split(" and ")[0])
        policy = POLICY_CHAIN.match(chain)
        return Actor("pod", policy.group("pod")) if policy else None
    if service:
        return Actor("service", service)
    if chain.startswith("port-mapping"):
        return Actor("port-mapping", comment or "a published port")
    if chain == "pod-egress":
        return Actor("pod-egress", "pod egress masquerade")
    if chain == "masquerading":
        return Actor("kube-proxy", "masquerade")
    if kind in ("dnat", "snat", "masquerade", "drop", "reject") and text:
        return Actor("nat-rule" if kind in ("dnat", "snat", "masquerade") else "rule", comment or text)
    return None


def explain(kind: str, chain: str, text: str | None) -> str:
    """Say why, in words, from the rule's comment and the chain it sits in."""
    comment = comment_of(text)
    service = service_of_chain(chain)
    if kind == "mark":
        if chain.startswith("external-"):
            return f"Service {service} sends outside traffic to any node's endpoints (externalTrafficPolicy: Cluster)"
        if chain.startswith("endpoint-"):
            return f"hairpin: the pod reached itself through Service {service}"
        if chain.startswith("service-"):
            return f"traffic from outside the pod network to Service {service}"
        if text and "fib saddr type local" in text:
            return "traffic from the node itself"
        return comment or f"marked in {chain}"
    if comment:
        return comment
    if kind == "dnat" and service:
        return f"Service {service}"
    return text or chain
