"""IPv4 address text, as users type it and as hosts carry it (pure)."""

from __future__ import annotations

import ipaddress


def is_ipv4(text: str) -> bool:
    """Whether ``text`` is a dotted-quad IPv4 address (and not a name)."""
    try:
        ipaddress.IPv4Address(text)
    except ValueError:
        return False
    return True


def nearest_address(cidrs: list[str], source_cidrs: list[str]) -> str | None:
    """The address among ``cidrs`` on a network one of ``source_cidrs`` is on, else the first; None if none."""
    for cidr in cidrs:
        network = ipaddress.IPv4Network(cidr, strict=False)
        if any(ipaddress.IPv4Interface(s).ip in network for s in source_cidrs):
            return cidr.partition("/")[0]
    return cidrs[0].partition("/")[0] if cidrs else None
