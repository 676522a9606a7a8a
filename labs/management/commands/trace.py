"""`podpath trace`: the life of one real packet, hop by hop, request and reply.

    podpath trace [-s SB] --from SRC --to DST [--protocol tcp|udp|icmp] [--port P] [-o text|json]
                  [--pcap FILE] [--record FILE] [--timeout S] [--wide]

SRC is a pod (POD or NS/POD) or a host (external, internet, a node, a lab's host); DST a URL, IP[:PORT],
a Service (svc, svc.ns), a pod or a host. Text prints one line per hop with its changes in words, then
the verdict; JSON is the podpath.walk/1 document (docs/walk.md). --pcap also writes the walk's
packets, one per hop, for tshark or Wireshark; --record everything the walk observed, as JSON (a bug
report, or a unit test's fixture: tests/unit/test_walk_stitch.py replays them). Exits 0 when the
request was delivered, 1 otherwise.
"""

from __future__ import annotations

import json
from pathlib import Path

from labs.management.base import Error, PodpathCommand
from netcore.sandbox.registry import read_record
from netcore.walk.fixture import trimmed
from netcore.walk.pcap import render_pcap
from netcore.walk.render import render_walk
from netcore.walk.run import DEFAULT_TIMEOUT, walk


def lab_roles(sandbox: str) -> dict[str, str] | None:
    """Host roles from the lab step the sandbox is on (a cluster's are derived by the walk)."""
    meta = read_record(sandbox).meta
    if not meta.get("lab") or meta.get("kind") == "cluster":
        return None
    from labs.catalog import get_lab

    topology = get_lab(meta["lab"]).step(int(meta.get("step", 1))).topology
    return {host.name: host.role for host in topology.hosts} if topology is not None else None


class Command(PodpathCommand):
    help = "Send one real packet and show its walk hop by hop: NAT, routes, policy verdicts, the reply."

    def add_arguments(self, parser):
        self.add_sandbox_argument(parser)
        parser.add_argument(
            "--from",
            dest="source",
            required=True,
            metavar="SRC",
            help="a pod (POD or NS/POD) or a host: external, internet, node0, a lab host",
        )
        parser.add_argument(
            "--to",
            dest="destination",
            required=True,
            metavar="DST",
            help="a URL, IP[:PORT], a Service (svc, svc.ns), a pod or a host",
        )
        parser.add_argument("--protocol", type=str.lower, choices=["tcp", "udp", "icmp"])
        parser.add_argument("--port", type=int)
        parser.add_argument(
            "--timeout",
            type=float,
            default=DEFAULT_TIMEOUT,
            help=f"seconds to wait for the answer (default {DEFAULT_TIMEOUT:g})",
        )
        parser.add_argument("-o", "--output", choices=["text", "json"], default="text")
        parser.add_argument("--pcap", metavar="FILE", help="also write the walk's packets (one per hop) as pcap")
        parser.add_argument(
            "--record", metavar="FILE", help="also write everything observed (frames, trace events, conntrack) as JSON"
        )
        parser.add_argument("--wide", action="store_true", help="text: also show MAC addresses and TCP numbers")

    def handle(
        self,
        *args,
        sandbox: str,
        source: str,
        destination: str,
        protocol,
        port,
        timeout: float,
        output: str,
        pcap,
        record,
        wide: bool,
        **options,
    ):
        self.require_root()
        if timeout <= 0 or timeout > 30:
            raise Error("--timeout takes seconds between 0 and 30")
        result = walk(
            sandbox=sandbox,
            source=source,
            destination=destination,
            protocol=protocol,
            port=port,
            timeout=timeout,
            roles=lab_roles(sandbox),
        )
        try:
            if pcap:
                Path(pcap).write_bytes(render_pcap(result.walk))
            if record:
                Path(record).write_text(json.dumps(trimmed(result.recording).to_json(), separators=(",", ":")) + "\n")
        except OSError as error:
            raise Error(f"cannot write {error.filename}: {error.strerror}") from None
        if output == "json":
            self.stdout.write(json.dumps(result.walk.to_json(), indent=2))
        else:
            self.stdout.write(render_walk(result.walk, wide), ending="")
        if result.walk.verdict.outcome != "delivered":
            raise SystemExit(1)
