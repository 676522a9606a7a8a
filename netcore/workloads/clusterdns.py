"""The cluster DNS (``cluster-dns``): answers from a JSON records file the cluster compiler rewrites.

The file (option ``records``) looks like ``{"zone": "cluster.local", "ttl": 5, "records": {name:
[ipv4...]}, "aliases": {name: target}, "upstream": {name: [ipv4...]}}``. It is re-read when its
modification time, size or inode changes, so new Services resolve without a restart; a file that does
not parse leaves the last good records in place. Answers: A records for known names; a CNAME for an
alias (an ExternalName Service), followed by the target's A records when the target is a name this
server knows; NODATA (with the zone's SOA) for other types; NXDOMAIN for unknown names in the zone;
``upstream`` names as a forwarder would answer them; PTR for addresses of the zone's names; NXDOMAIN
at once for anything else. There is no real upstream: no
query ever leaves the machine. Packets are built and parsed with dnslib.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import logging
import os
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field

from dnslib import CNAME, EDNS0, PTR, QTYPE, RCODE, RR, SOA, A, DNSError, DNSHeader, DNSRecord

from netcore.topology.model import Server

log = logging.getLogger("podpath.dns")
DEFAULT_TTL = 5
UDP_LIMIT = 512
EDNS_LIMIT = 1232
TCP_IDLE_S = 10.0
SOA_TIMES = (7200, 1800, 86400)  # refresh, retry, expire: CoreDNS's values


@dataclass(frozen=True)
class Records:
    zone: str
    ttl: int
    names: dict[str, tuple[str, ...]]
    upstream: dict[str, tuple[str, ...]]
    parents: frozenset[str]  # names that exist only because a longer name does (empty non-terminals)
    reverse: dict[str, tuple[str, ...]]  # "5.1.244.10.in-addr.arpa" -> names
    serial: int = 1
    aliases: dict[str, str] = field(default_factory=dict)  # name -> the name it is a CNAME for


def normal(name: str) -> str:
    return name.strip().rstrip(".").lower()


def reverse_name(address: str) -> str:
    return ".".join(reversed(address.split("."))) + ".in-addr.arpa"


def parse_records(data: object, serial: int = 1) -> Records:
    """Validate a records document; raise ValueError naming what is wrong."""
    if not isinstance(data, dict):
        raise ValueError("the records file must hold a JSON object")
    zone = data.get("zone", "cluster.local")
    ttl = data.get("ttl", DEFAULT_TTL)
    if not isinstance(zone, str) or not normal(zone):
        raise ValueError("'zone' must be a domain name")
    if not isinstance(ttl, int) or isinstance(ttl, bool) or not 0 <= ttl <= 86400:
        raise ValueError("'ttl' must be a number of seconds")

    def table(key: str) -> dict[str, tuple[str, ...]]:
        raw = data.get(key, {})
        if not isinstance(raw, dict):
            raise ValueError(f"'{key}' must map names to lists of IPv4 addresses")
        out = {}
        for name, addresses in raw.items():
            if not isinstance(addresses, list) or not all(isinstance(a, str) for a in addresses):
                raise ValueError(f"'{key}.{name}' must be a list of IPv4 addresses")
            try:
                out[normal(name)] = tuple(str(ipaddress.IPv4Address(a)) for a in addresses)
            except ValueError as error:
                raise ValueError(f"'{key}.{name}': {error}") from None
        return out

    names, upstream = table("records"), table("upstream")
    raw_aliases = data.get("aliases", {})
    if not isinstance(raw_aliases, dict) or not all(isinstance(t, str) and normal(t) for t in raw_aliases.values()):
        raise ValueError("'aliases' must map names to domain names")
    aliases = {normal(name): normal(target) for name, target in raw_aliases.items()}
    zone = normal(zone)
    parents: set[str] = set()
    reverse: dict[str, list[str]] = {}
    for name in aliases:
        labels = name.split(".")
        parents.update(".".join(labels[i:]) for i in range(1, len(labels)))
    for name, addresses in names.items():
        labels = name.split(".")
        parents.update(".".join(labels[i:]) for i in range(1, len(labels)))
        for address in addresses:
            reverse.setdefault(reverse_name(address), []).append(name)
    return Records(
        zone=zone,
        ttl=ttl,
        names=names,
        upstream=upstream,
        parents=frozenset(parents - set(names) - set(aliases)),
        reverse={k: tuple(v) for k, v in reverse.items()},
        serial=serial,
        aliases=aliases,
    )


class RecordsFile:
    """One records file, re-read when it changes; shared by the UDP and TCP servers naming it."""

    __slots__ = ("path", "stamp", "records", "__weakref__")

    def __init__(self, path: str) -> None:
        self.path = path
        self.stamp: tuple[int, int, int] | None = None
        self.records: Records | None = None

    def current(self) -> Records | None:
        """Return the records, reading the file again if it changed since the last read."""
        try:
            st = os.stat(self.path)
        except OSError as error:
            if self.stamp is not None:
                log.warning("records file %s: %s; keeping the last records", self.path, error.strerror)
                self.stamp = None
            return self.records
        stamp = (st.st_mtime_ns, st.st_size, st.st_ino)
        if stamp != self.stamp:
            self.stamp = stamp
            try:
                with open(self.path, "rb") as f:
                    self.records = parse_records(json.load(f), serial=(st.st_mtime_ns // 10**9) % 2**32)
            except (OSError, ValueError) as error:  # json.JSONDecodeError is a ValueError
                log.warning("records file %s does not parse (%s); keeping the last records", self.path, error)
        return self.records


_files: weakref.WeakValueDictionary[str, RecordsFile] = weakref.WeakValueDictionary()


def records_file(path: str) -> RecordsFile:
    if not os.path.isabs(path):
        raise ValueError(f"the records file must be an absolute path, got {path!r}")
    found = _files.get(path)
    if found is None:
        found = _files[path] = RecordsFile(path)
    return found


def in_zone(name: str, zone: str) -> bool:
    return name == zone or name.endswith("." + zone)


def soa(records: Records) -> RR:
    zone = records.zone
    return RR(
        zone + ".",
        QTYPE.SOA,
        ttl=records.ttl,
        rdata=SOA(f"ns.dns.{zone}.", f"hostmaster.{zone}.", (records.serial, *SOA_TIMES, records.ttl)),
    )


def answer(query: DNSRecord, records: Records | None) -> DNSRecord:
    """Build the reply to one query."""
    reply = DNSRecord(
        DNSHeader(id=query.header.id, qr=1, opcode=query.header.opcode, rd=query.header.rd, ra=1), q=query.q
    )
    if query.header.opcode != 0:
        reply.header.rcode = RCODE.NOTIMP
        return reply
    if len(query.questions) != 1:
        reply.header.rcode = RCODE.FORMERR
        return reply
    if records is None:
        reply.header.rcode = RCODE.SERVFAIL
        return reply
    name, qtype = normal(str(query.q.qname)), query.q.qtype
    qname = query.q.qname
    if name in records.aliases:
        reply.header.aa = 1
        target = records.aliases[name]
        reply.add_answer(RR(qname, QTYPE.CNAME, ttl=records.ttl, rdata=CNAME(target + ".")))
        if qtype in (QTYPE.A, QTYPE.ANY):  # as CoreDNS does, chase the target when it can answer it itself
            for address in records.names.get(target) or records.upstream.get(target) or ():
                reply.add_answer(RR(target + ".", QTYPE.A, ttl=records.ttl, rdata=A(address)))
    elif name in records.names or in_zone(name, records.zone):
        reply.header.aa = 1
        if name in records.names:
            if qtype in (QTYPE.A, QTYPE.ANY):
                for address in records.names[name]:
                    reply.add_answer(RR(qname, QTYPE.A, ttl=records.ttl, rdata=A(address)))
            else:
                reply.add_auth(soa(records))
        elif name == records.zone and qtype == QTYPE.SOA:
            reply.add_answer(soa(records))
        elif name == records.zone or name in records.parents:
            reply.add_auth(soa(records))  # the name exists, with nothing of this type: NODATA
        else:
            reply.header.rcode = RCODE.NXDOMAIN
            reply.add_auth(soa(records))
    elif name in records.upstream:
        if qtype in (QTYPE.A, QTYPE.ANY):  # as a forwarder would relay it: not authoritative
            for address in records.upstream[name]:
                reply.add_answer(RR(qname, QTYPE.A, ttl=records.ttl, rdata=A(address)))
    elif name in records.reverse:
        reply.header.aa = 1
        if qtype in (QTYPE.PTR, QTYPE.ANY):
            for target in records.reverse[name]:
                reply.add_answer(RR(qname, QTYPE.PTR, ttl=records.ttl, rdata=PTR(target + ".")))
    else:
        reply.header.rcode = RCODE.NXDOMAIN
    return reply


def respond(data: bytes, records: Records | None, udp: bool) -> bytes | None:
    """Answer one DNS message; over UDP, truncate what does not fit the client's payload size."""
    try:
        query = DNSRecord.parse(data)
    except (DNSError, IndexError, ValueError):
        if len(data) < 12:
            return None
        header = DNSHeader(id=int.from_bytes(data[:2], "big"), qr=1, rcode=RCODE.FORMERR)
        return DNSRecord(header).pack()
    if query.header.qr:
        return None  # a reply, not a query: never answer it (no loops)
    reply = answer(query, records)
    client_edns = next((rr for rr in query.ar if rr.rtype == QTYPE.OPT), None)
    if client_edns is not None:
        reply.add_ar(EDNS0(udp_len=EDNS_LIMIT))
    packed = reply.pack()
    if udp:
        size = min(max(client_edns.rclass, UDP_LIMIT), EDNS_LIMIT) if client_edns is not None else UDP_LIMIT
        if len(packed) > size:
            truncated = DNSRecord(
                DNSHeader(
                    id=reply.header.id,
                    qr=1,
                    aa=reply.header.aa,
                    tc=1,
                    rd=reply.header.rd,
                    ra=1,
                    rcode=reply.header.rcode,
                ),
                q=query.q,
            )
            packed = truncated.pack()
    return packed


def udp_handler(server: Server) -> Callable[[bytes, tuple[str, int]], bytes | None]:
    source = records_file(server.option("records"))

    def on_datagram(data: bytes, client: tuple[str, int]) -> bytes | None:
        return respond(data, source.current(), udp=True)

    return on_datagram


def tcp_handler(server: Server) -> Callable[[asyncio.StreamReader, asyncio.StreamWriter], object]:
    """Answer length-prefixed queries on one connection until the client goes quiet (RFC 7766)."""
    source = records_file(server.option("records"))

    async def on_connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                size = int.from_bytes(await asyncio.wait_for(reader.readexactly(2), TCP_IDLE_S), "big")
                data = await asyncio.wait_for(reader.readexactly(size), TCP_IDLE_S)
                reply = respond(data, source.current(), udp=False)
                if reply is None:
                    break
                writer.write(len(reply).to_bytes(2, "big") + reply)
                await writer.drain()
        except (TimeoutError, asyncio.IncompleteReadError, OSError):
            pass
        finally:
            writer.close()

    return on_connection
