"""The two read-only kernel views a learner may have Podpath run for them (pure).

Listing nftables rules or conntrack entries needs CAP_NET_ADMIN, which the jail never grants. Rather than
give a learner's process that capability, Podpath runs these listings itself, as it does for the kernel
tabs, but only when every argument matches a strict read-only grammar: a fixed verb, enumerated flags,
and values that are addresses, ports, protocols or table names. The argv is rebuilt from what was
parsed, never passed through. Anything else goes to the jail, where the kernel refuses it for lack of
privilege; so this grammar decides only what may be read with privilege, and nothing can be changed.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence

NFT_FLAGS = {"-a", "--handle", "-n", "-nn", "-s", "--stateless", "-t", "--terse"}
NFT_FAMILIES = {"ip", "ip6", "inet", "arp", "bridge", "netdev"}
NFT_NAME = re.compile(r"[A-Za-z0-9_./-]{1,64}")

CONNTRACK_LIST = {"-L", "--dump"}
CONNTRACK_TOTALS = {"-S", "--stats", "-C", "--count"}
CONNTRACK_FLAGS = {"-n", "--src-nat", "-g", "--dst-nat"}
CONNTRACK_PROTOCOLS = {"tcp", "udp", "icmp", "sctp", "udplite", "dccp", "gre"}
CONNTRACK_ADDRESS = {"-s", "--src", "--orig-src", "-d", "--dst", "--orig-dst", "-r", "--reply-src", "-q", "--reply-dst"}
CONNTRACK_PORT = {"--sport", "--orig-port-src", "--dport", "--orig-port-dst", "--reply-port-src", "--reply-port-dst"}
CONNTRACK_OUTPUT = {"extended", "timestamp", "id", "ktimestamp", "labels"}


def kernel_view(argv: Sequence[str]) -> list[str] | None:
    """Return the argv Podpath runs for a read-only nft or conntrack listing, or None if it is not one."""
    if not argv:
        return None
    if argv[0] == "nft":
        return nft_view(list(argv[1:]))
    if argv[0] == "conntrack":
        return conntrack_view(list(argv[1:]))
    return None


def nft_view(args: list[str]) -> list[str] | None:
    flags = [a for a in args if a in NFT_FLAGS]
    rest = [a for a in args if a not in NFT_FLAGS]
    if rest in (["list", "ruleset"], ["list", "tables"]):
        return ["nft", *flags, *rest]
    if len(rest) >= 3 and rest[:2] == ["list", "table"]:
        family, name = (rest[2], rest[3]) if len(rest) == 4 else ("ip", rest[2]) if len(rest) == 3 else ("", "")
        if family in NFT_FAMILIES and NFT_NAME.fullmatch(name):
            return ["nft", *flags, "list", "table", family, name]
    if (
        len(rest) == 5
        and rest[:2] == ["list", "chain"]
        and rest[2] in NFT_FAMILIES
        and all(NFT_NAME.fullmatch(name) for name in rest[3:])
    ):
        return ["nft", *flags, *rest]
    return None


def conntrack_view(args: list[str]) -> list[str] | None:
    if len(args) == 1 and args[0] in CONNTRACK_TOTALS:
        return ["conntrack", args[0]]
    if not args or args[0] not in CONNTRACK_LIST:
        return None
    out = ["conntrack", "-L"]
    index = 1
    while index < len(args):
        option = args[index]
        value = args[index + 1] if index + 1 < len(args) else None
        if option in CONNTRACK_FLAGS:
            out.append(option)
            index += 1
            continue
        if value is None:
            return None
        if option in ("-p", "--proto") and value in CONNTRACK_PROTOCOLS:
            out += [option, value]
        elif option in CONNTRACK_ADDRESS and is_ipv4(value):
            out += [option, value]
        elif option in CONNTRACK_PORT and value.isdigit() and 0 < int(value) < 65536:
            out += [option, str(int(value))]
        elif option in ("-f", "--family") and value == "ipv4":
            out += [option, value]
        elif option in ("-o", "--output") and set(value.split(",")) <= CONNTRACK_OUTPUT:
            out += [option, value]
        else:
            return None
        index += 2
    return out


def is_ipv4(value: str) -> bool:
    try:
        ipaddress.IPv4Address(value)
    except ValueError:
        return False
    return True
