"""Render a host's nftables table: the whole desired ruleset as text, loaded in one transaction.

Pure. Podpath owns exactly one table per namespace, ``inet podpath``; the text never touches another
table. The digest of the body goes into the table's comment, so the kernel adapter can tell whether the
loaded ruleset is the desired one by reading one netlink attribute back.

Hooks used (one chain each, created only when a rule needs it):

    prerouting  nat  priority dstnat  DNAT of arriving packets (port mapping)
    output      nat  priority -100    DNAT of locally generated packets (same mapping, from the host;
                                      nft names the priority dstnat only in prerouting)
    postrouting nat  priority srcnat  SNAT and masquerade of leaving packets
"""

from __future__ import annotations

import hashlib

from netcore.topology.model import Host, NatRule

TABLE_FAMILY = "inet"
TABLE_NAME = "podpath"
COMMENT_PREFIX = "podpath "
TRACE_TABLE_PREFIX = "podpath-trace-"  # the packet walk's own tables, one per walk while it runs
TRACE_PRIORITY = -450  # before conntrack's defragmentation (-400), raw (-300) and every Podpath chain


def render_ruleset(host: Host) -> str | None:
    """Return the table text for a host, or None when it needs no rules at all."""
    chains = render_nat_chains(host.nat)
    body = "\n".join(chains + [fragment.rstrip("\n") for fragment in host.nft])
    if not body:
        return None
    digest = ruleset_digest(body)
    return f'table {TABLE_FAMILY} {TABLE_NAME} {{\n\tcomment "{COMMENT_PREFIX}{digest}"\n{body}\n}}\n'


def ruleset_digest(body: str) -> str:
    return hashlib.sha256(body.encode()).hexdigest()[:16]


def digest_of(table_text: str) -> str:
    """Return the digest a rendered table carries in its comment."""
    marker = f'comment "{COMMENT_PREFIX}'
    start = table_text.index(marker) + len(marker)
    return table_text[start : table_text.index('"', start)]


def render_trace_table(name: str, protocols: set[str]) -> str:
    """The packet walk's own table: mark the walk's protocols for tracing as they enter or leave a namespace."""
    if not name.startswith(TRACE_TABLE_PREFIX):
        raise ValueError(f"a trace table's name starts with {TRACE_TABLE_PREFIX}, not {name!r}")
    match = f"meta l4proto {{ {', '.join(sorted(protocols))} }}"

    def hook(chain: str, where: str) -> str:
        return (
            f"\tchain {chain} {{\n\t\ttype filter hook {where} priority {TRACE_PRIORITY};"
            f" policy accept;\n\t\t{match} meta nftrace set 1\n\t}}\n"
        )

    return f"table {TABLE_FAMILY} {name} {{\n{hook('prerouting', 'prerouting')}{hook('output', 'output')}}}\n"


def transaction(table_text: str | None) -> str:
    """Return an ``nft -f`` script that replaces the table atomically (or removes it when None).

    Declaring the table first makes the delete valid whether or not it existed.
    """
    head = f"table {TABLE_FAMILY} {TABLE_NAME}\ndelete table {TABLE_FAMILY} {TABLE_NAME}\n"
    return head + (table_text or "")


def render_nat_chains(rules: tuple[NatRule, ...]) -> list[str]:
    dnat_rules = [(i, r) for i, r in enumerate(rules) if r.kind == "dnat"]
    snat = [render_snat(r, i) for i, r in enumerate(rules) if r.kind in ("masquerade", "snat")]
    chains = []
    if dnat_rules:
        dnat = [render_dnat(r, i) for i, r in dnat_rules]
        chains.append(chain("prerouting", "type nat hook prerouting priority dstnat; policy accept;", dnat))
        # Locally generated packets skip prerouting; the same mapping applies to them in output.
        local = [render_dnat(r, i) for i, r in dnat_rules if r.in_if is None]
        if local:
            chains.append(chain("output", "type nat hook output priority -100; policy accept;", local))
    if snat:
        chains.append(chain("postrouting", "type nat hook postrouting priority srcnat; policy accept;", snat))
    return chains


def chain(name: str, hook: str, rules: list[str]) -> str:
    lines = [f"\tchain {name} {{", f"\t\t{hook}"] + [f"\t\t{rule}" for rule in rules] + ["\t}"]
    return "\n".join(lines)


def render_snat(rule: NatRule, index: int) -> str:
    match = []
    if rule.source:
        match.append(f"ip saddr {rule.source}")
    if rule.destination:
        match.append(f"ip daddr {rule.destination}")
    match.append(f'oifname "{rule.out_if}"')
    action = "masquerade" if rule.kind == "masquerade" else f"snat ip to {rule.to}"
    return " ".join(match + ["counter", action, comment(rule, index)])


def render_dnat(rule: NatRule, index: int) -> str:
    match = []
    if rule.in_if:
        match.append(f'iifname "{rule.in_if}"')
    if rule.source:
        match.append(f"ip saddr {rule.source}")
    if rule.destination:
        match.append(f"ip daddr {rule.destination}")
    else:
        # Without a destination, map only traffic addressed to this host, as Docker's -p does.
        match.append("fib daddr type local")
    if rule.protocol:
        match.append(f"{rule.protocol} dport {rule.port}")
    return " ".join(match + ["counter", f"dnat ip to {rule.to}", comment(rule, index)])


def comment(rule: NatRule, index: int) -> str:
    text = rule.comment or f"nat[{index}] {rule.kind}"
    return 'comment "' + text.replace('"', "'") + '"'
