"""`podpath apply [-s SANDBOX] -f FILE|-`: kubectl apply, on the sandbox's cluster."""

from __future__ import annotations

import sys

from labs.management.base import Error, PodpathCommand
from netcore.kube import api
from netcore.kube.kinds import BY_KIND


def read_source(path: str) -> tuple[str, str]:
    """Return (text, name) of a manifest file, or of standard input for "-"."""
    if path == "-":
        return sys.stdin.read(), "<stdin>"
    try:
        with open(path) as handle:
            return handle.read(), path
    except FileNotFoundError:
        raise Error(f'the path "{path}" does not exist') from None
    except OSError as error:
        raise Error(f"{path}: {error.strerror}") from None


def resource_name(kind: str, name: str) -> str:
    """kubectl's ``deployment.apps/web``."""
    found = BY_KIND[kind]
    return f"{found.singular}{'.' + found.group if found.group else ''}/{name}"


class Command(PodpathCommand):
    help = "Create or update cluster objects from manifests; all documents are validated first."

    def add_arguments(self, parser):
        self.add_sandbox_argument(parser)
        parser.add_argument(
            "-f",
            "--filename",
            required=True,
            action="append",
            help="a manifest file, or - for standard input (repeatable)",
        )
        parser.add_argument("-n", "--namespace", help="the namespace of documents that name none")

    def handle(self, *args, sandbox: str, filename: list[str], namespace: str | None, **options):
        self.require_root()
        for path in filename:
            text, source = read_source(path)
            applied = api.apply_manifests(sandbox, text, source, progress=self.progress, namespace=namespace)
            for key, outcome in applied.outcomes:
                # kubectl prints the server's warnings about an object just before its line, on stderr.
                for warning in applied.warnings.get(key, []):
                    self.stderr.write(f"Warning: {warning}")
                self.stdout.write(f"{resource_name(key[0], key[2])} {outcome}")
