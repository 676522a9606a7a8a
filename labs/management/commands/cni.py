"""`podpath cni [-s SANDBOX] MODE`: switch a live cluster's pod network (bridge, vxlan or nat)."""

from __future__ import annotations

from labs.management.base import PodpathCommand
from netcore.kube import api
from netcore.kube.cluster import CNI_MODES


class Command(PodpathCommand):
    help = "Switch the pod network of a live cluster: pods, Services and addresses stay as they are."

    def add_arguments(self, parser):
        self.add_sandbox_argument(parser)
        parser.add_argument("mode", choices=CNI_MODES)

    def handle(self, *args, sandbox: str, mode: str, **options):
        self.require_root()
        report = api.set_cni(sandbox, mode, progress=self.progress)
        self.stdout.write(f"sandbox {sandbox}: pod network {mode}: {report.describe()}")
