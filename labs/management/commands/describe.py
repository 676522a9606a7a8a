"""`podpath describe [-s SANDBOX] KIND NAME [-n NS]`: kubectl describe."""

from __future__ import annotations

from labs.management import completers
from labs.management.base import Error, PodpathCommand
from netcore.kube import api
from netcore.kube.kinds import KINDS, resolve_kind
from netcore.kube.printers import render_describe


class Command(PodpathCommand):
    help = "Show one cluster object in words, with what it relates to: a Service's endpoints, say."

    def add_arguments(self, parser):
        self.add_sandbox_argument(parser)
        parser.add_argument("kind").completer = completers.kinds
        parser.add_argument("name")
        parser.add_argument("-n", "--namespace", default="default")

    def handle(self, *args, sandbox: str, kind: str, name: str, namespace: str, **options):
        cluster = api.load_cluster(sandbox)
        found = resolve_kind(kind)
        obj = cluster.get(found.kind, namespace, name)
        if obj is None:
            where = f' in namespace "{namespace}"' if found.namespaced else ""
            raise Error(f'{found.resource} "{name}" not found{where}')
        scope = None if not found.namespaced else namespace
        related = {k.kind: cluster.list(k.kind, None if not k.namespaced else scope) for k in KINDS}
        self.stdout.write(render_describe(obj, related), ending="")
