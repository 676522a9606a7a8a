"""`podpath probe`: real connections between pods, one, or the NetworkPolicy e2e suite's matrix.

    podpath probe [-s SB] --from NS/POD --to NS/POD|IP --port P [--protocol TCP|UDP] [-o json]
    podpath probe [-s SB] --matrix [--namespaces x,y,z] [--ports 80,81] [--protocols TCP,UDP]
                  [--via service|pod] [-o json]

A single probe exits 0 when it connects and 1 when it does not.
"""

from __future__ import annotations

import json

from labs.management.base import Error, PodpathCommand
from netcore.kube.probe import matrix as run_matrix
from netcore.kube.probe import probe_one, render_matrix


def csv(text: str) -> list[str]:
    return [item.strip() for item in text.split(",") if item.strip()]


class Command(PodpathCommand):
    help = "Probe reachability between pods with real connections: one probe, or a matrix."

    def add_arguments(self, parser):
        self.add_sandbox_argument(parser)
        parser.add_argument("--from", dest="source", metavar="NS/POD")
        parser.add_argument("--to", dest="target", metavar="NS/POD|IP")
        parser.add_argument("--port", type=int)
        parser.add_argument("--protocol", default="TCP", type=str.upper, choices=["TCP", "UDP"])
        parser.add_argument("--matrix", action="store_true", help="every pod to every pod")
        parser.add_argument("--namespaces", type=csv, help="namespaces of the matrix (default: all user ones)")
        parser.add_argument("--ports", type=csv, default=["80"])
        parser.add_argument("--protocols", type=csv, default=["TCP"])
        parser.add_argument("--via", choices=["pod", "service"], default="pod")
        parser.add_argument("--timeout", type=float, default=1.0, help="seconds a probe waits (default 1)")
        parser.add_argument("-o", "--output", choices=["text", "json"], default="text")

    def handle(
        self,
        *args,
        sandbox: str,
        source,
        target,
        port,
        protocol,
        matrix: bool,
        namespaces,
        ports,
        protocols,
        via,
        timeout,
        output,
        **options,
    ):
        self.require_root()
        if matrix:
            try:
                port_numbers = [int(p) for p in ports]
            except ValueError:
                raise Error(f"--ports takes numbers, got {','.join(ports)}") from None
            cells = run_matrix(sandbox, namespaces, port_numbers, [p.upper() for p in protocols], via, timeout)
            self.stdout.write(
                json.dumps([c.to_json() for c in cells], indent=2) if output == "json" else render_matrix(cells)
            )
            return
        if not (source and target and port):
            raise Error("give --from NS/POD --to NS/POD|IP --port P, or --matrix")
        cell = probe_one(sandbox, source, target, port, protocol, timeout)
        if output == "json":
            self.stdout.write(json.dumps(cell.to_json(), indent=2))
        else:
            outcome = cell.outcome
            self.stdout.write(
                f"{cell.source} -> {cell.target} ({outcome.probe.ip}) {protocol}/{port}: "
                f"{outcome.detail} in {outcome.seconds:.3f} s"
            )
        if not cell.outcome.connected:
            raise SystemExit(1)
