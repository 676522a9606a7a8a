"""The packet walk's shell: resolve SRC and DST, watch the sandbox, send, collect, stitch.

    walk(sandbox="k1", source="client", destination="http://hello-world-service:8080/") -> WalkResult

Reads the sandbox as the kernel has it (hosts, addresses, routes, which namespaces have rules) and,
for a cluster, its objects; opens the observer (packet sockets in every namespace, trace tables where
there are rules); sends the DNS queries a name needs from a pod, then the request; reads everything
the moment the answer is in (or the timeout passed), removes the trace tables, and stitches. Two walks
in two sandboxes share nothing; two in one sandbox use two trace tables and are told apart by their
flows.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from netcore import names
from netcore.errors import PodpathError
from netcore.kernel.inventory import read_state
from netcore.sandbox.registry import read_record
from netcore.walk import dns
from netcore.walk.facts import facts_from
from netcore.walk.model import Endpoint, Place, Walk
from netcore.walk.observe import Observer
from netcore.walk.recording import Recording
from netcore.walk.send import Request, send
from netcore.walk.stitch import stitch
from netcore.walk.target import Source, Target, resolve_source, resolve_target

DEFAULT_TIMEOUT = 2.0


@dataclass(frozen=True)
class WalkResult:
    walk: Walk
    recording: Recording
    phases: dict[str, float]  # seconds: read, observe, exchange, collect, stitch (bench/walk.py)


def walk(
    *,
    sandbox: str,
    source: str,
    destination: str,
    protocol: str | None = None,
    port: int | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    roles: dict[str, str] | None = None,
) -> WalkResult:
    """Send one request from ``source`` to ``destination`` in ``sandbox`` and return its walk.

    ``roles`` name the hosts' roles (a lab step's topology knows them; a cluster's are derived).
    """
    started = time.monotonic()
    marks = [("start", time.perf_counter())]
    started_at = datetime.now(UTC).isoformat(timespec="milliseconds")
    record = read_record(names.check_sandbox_name(sandbox))
    cluster = pod_hosts = None
    if record.meta.get("kind") == "cluster":
        from netcore.kube.api import load_cluster
        from netcore.kube.compile.network import pod_hosts as hosts_of

        cluster = load_cluster(sandbox)
        pod_hosts = hosts_of(cluster)
    state = read_state(sandbox)
    facts = facts_from(state, roles, cluster, pod_hosts)
    host_addresses = addresses_by_host(state)
    src = resolve_source(source, set(state.hosts), cluster, pod_hosts)
    target = resolve_target(
        destination,
        src,
        protocol.lower() if protocol else None,
        port,
        cluster=cluster,
        pod_hosts=pod_hosts,
        host_addresses=host_addresses,
    )
    protocols = {target.protocol, "icmp"} | ({"udp"} if target.dns_name else set())
    marks.append(("read", time.perf_counter()))
    with Observer(sandbox, sorted(state.hosts), sorted(state.rulesets), protocols, src.host) as observer:
        if src.host not in observer.fds:
            raise PodpathError(f"{source}: its namespace is gone")
        marks.append(("observe", time.perf_counter()))
        own = host_addresses.get(src.host) or ["0.0.0.0/0"]
        exchanges = exchange_all(sandbox, src, target, observer.fds[src.host], timeout, own[0].partition("/")[0])
        marks.append(("exchange", time.perf_counter()))
        captures = observer.read_captures()
        traces, events = observer.read_events()
        recording = Recording(
            captures,
            traces,
            observer.read_conntrack(events, traces),
            facts=facts,
            exchanges=exchanges,
            trace_table=observer.table,
        )
        recording.rules = observer.read_rules({h for h, d in recording.traces.items() if d})
    marks.append(("collect", time.perf_counter()))  # the trace tables are gone too
    legs = stitch(recording)
    marks.append(("stitch", time.perf_counter()))
    source_end = Endpoint(
        legs[0].client.address if legs else "",
        None,
        Place(src.host, facts.name(src.host), facts.role(src.host)),
        source,
    )
    destination_end = Endpoint(
        target.address or (legs[-1].server.address if legs else ""),
        target.port,
        legs[-1].server.place if legs else None,
        target.label,
    )
    result = Walk(
        sandbox,
        source_end,
        destination_end,
        target.protocol,
        tuple(legs),
        started_at,
        (time.monotonic() - started) * 1000.0,
        target.notes,
    )
    phases = {name: end - begin for (_, begin), (name, end) in itertools.pairwise(marks)}
    return WalkResult(result, recording, phases)


def addresses_by_host(state) -> dict[str, list[str]]:
    """Each host's CIDRs, its eth0 first (the address others know it by)."""
    out: dict[str, list[str]] = {}
    for address in sorted(state.addresses, key=lambda a: (a.end.host, a.end.ifname != "eth0", a.end.ifname)):
        out.setdefault(address.end.host, []).append(address.cidr)
    for host in state.hosts:
        out.setdefault(host, [])
    return out


def exchange_all(sandbox: str, src: Source, target: Target, fd: int, timeout: float, own: str) -> list:
    """The DNS queries a name needs (each a leg), then the request itself."""
    exchanges = []
    address = target.address
    if target.dns_name is not None:
        resolv = names.etc_netns_dir(names.netns_name(sandbox, src.host)) / "resolv.conf"
        try:
            servers, search, ndots = dns.parse_resolv_conf(resolv.read_text())
        except FileNotFoundError:
            raise PodpathError(f"{src.label} has no resolv.conf: cannot resolve {target.dns_name}") from None
        if not servers:
            raise PodpathError(f"{src.label} has no nameserver: cannot resolve {target.dns_name}")
        for name in dns.candidates(target.dns_name, search, ndots):
            query = Request(
                "dns",
                f"DNS query for {name} (A)",
                src.host,
                "udp",
                servers[0],
                dns.DNS_PORT,
                timeout,
                payload=dns.query(name),
                server_label="cluster DNS",
                decode=dns.answer_words,
                source_address=own,
            )
            answered = send(query, fd)
            exchanges.append(answered)
            address = dns.first_address(answered.answer)
            if address or answered.outcome != "answered" or "NXDOMAIN" not in (answered.answer or ""):
                break
    if address:
        summary = f"{target.protocol.upper()} {target.spec}" + (" (HTTP GET)" if target.http_host else "")
        request = Request(
            "request",
            summary,
            src.host,
            target.protocol,
            address,
            target.port,
            timeout,
            target.http_host,
            target.path,
            server_label=target.label,
            source_address=own,
        )
        exchanges.append(send(request, fd))
    return exchanges
