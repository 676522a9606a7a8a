"""`podpath delete [-s SANDBOX] (KIND NAME... | -f FILE) [-n NS]`: kubectl delete."""

from __future__ import annotations

from labs.management import completers
from labs.management.base import Error, PodpathCommand
from labs.management.commands.apply import read_source
from netcore.kube import api
from netcore.kube.cluster import key_of
from netcore.kube.kinds import resolve_kind


class Command(PodpathCommand):
    help = "Delete cluster objects by kind and name, or those in a manifest."

    intermixed_arguments = True

    def add_arguments(self, parser):
        self.add_sandbox_argument(parser)
        parser.add_argument("kind", nargs="?").completer = completers.kinds
        parser.add_argument("names", nargs="*")
        parser.add_argument("-f", "--filename", action="append")
        parser.add_argument("-n", "--namespace", default="default")

    def handle(
        self,
        *args,
        sandbox: str,
        kind: str | None,
        names: list[str],
        filename: list[str] | None,
        namespace: str,
        **options,
    ):
        self.require_root()
        if filename:
            if kind:
                raise Error("give either KIND NAME or -f FILE, not both")
            keys = []
            for path in filename:
                text, source = read_source(path)
                keys += [key_of(o) for o in api.parse_manifests(text, source)]
        else:
            if not kind or not names:
                raise Error("give KIND NAME... or -f FILE: podpath delete -s SANDBOX pod hello-world")
            found = resolve_kind(kind)
            keys = [(found.kind, namespace if found.namespaced else "", n) for n in names]
        deleted, _report = api.delete_resources(sandbox, keys, progress=self.progress)
        for kind_name, _ns, name in deleted:
            self.stdout.write(f'{resolve_kind(kind_name).singular} "{name}" deleted')
