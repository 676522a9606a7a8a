"""The DNS query a pod makes before it can reach a name: the names its resolver tries, the query's bytes
and the answer in words.

Pure. Like glibc with the pod's ``/etc/resolv.conf`` (``search <ns>.svc.cluster.local svc.cluster.local
cluster.local``, ``options ndots:5``): a name with fewer dots than ``ndots`` is tried with each search
domain first, then as it is; the first answer with an address wins.
"""

from __future__ import annotations

import os

from dnslib import QTYPE, RCODE, DNSRecord

DNS_PORT = 53


def parse_resolv_conf(text: str) -> tuple[list[str], list[str], int]:
    """Return (nameservers, search domains, ndots)."""
    servers, search, ndots = [], [], 1
    for line in text.splitlines():
        words = line.split()
        if not words or words[0].startswith(("#", ";")):
            continue
        if words[0] == "nameserver" and len(words) > 1:
            servers.append(words[1])
        elif words[0] in ("search", "domain"):
            search = words[1:]
        elif words[0] == "options":
            for option in words[1:]:
                if option.startswith("ndots:") and option[6:].isdigit():
                    ndots = int(option[6:])
    return servers, search, ndots


def candidates(name: str, search: list[str], ndots: int) -> list[str]:
    """The fully qualified names the resolver asks for, in order."""
    if name.endswith("."):
        return [name.rstrip(".")]
    searched = [f"{name}.{domain}" for domain in search]
    return searched + [name] if name.count(".") < ndots else [name] + searched


def query(name: str) -> bytes:
    record = DNSRecord.question(name, "A")
    record.header.id = int.from_bytes(os.urandom(2), "big")
    return record.pack()


def answer_words(data: bytes) -> str:
    """``A 10.96.4.7`` (one per address), ``NXDOMAIN``, or what else came back."""
    try:
        record = DNSRecord.parse(data)
    except Exception:  # dnslib raises several kinds on garbage
        return "not a DNS answer"
    addresses = [str(rr.rdata) for rr in record.rr if rr.rtype == QTYPE.A]
    if addresses:
        return " ".join(f"A {a}" for a in addresses)
    return RCODE.get(record.header.rcode, str(record.header.rcode)) if record.header.rcode else "no address (NODATA)"


def first_address(words: str | None) -> str | None:
    parts = (words or "").split()
    return parts[1] if len(parts) >= 2 and parts[0] == "A" else None
