"""`podpath kubeconfig [-s SANDBOX] [--all] [--user NAME] [--server URL]`: a kubeconfig for the stock kubectl.

One context per sandbox (``podpath-<sandbox>``), each with a fresh bearer token for the user (a new
token replaces the one an earlier kubeconfig held). A sandbox made on the command line has no owner in
the dashboard's database yet: ``--user`` names who owns it from now on.

    podpath kubeconfig -s k1 --user admin > ~/.kube/podpath.yaml
    KUBECONFIG=~/.kube/podpath.yaml kubectl get pods
"""

from __future__ import annotations

import os

from django.contrib.auth import get_user_model

from kubeapi.kubeconfig import Context, render_kubeconfig
from kubeapi.tls import ca_certificate
from kubeapi.tokens import kube_token_issue
from labs.management.base import Error, PodpathCommand
from labs.models import Sandbox
from netcore.sandbox.registry import read_record

SERVER_ENV = "PODPATH_KUBE_SERVER"
DEFAULT_SERVER = "http://127.0.0.1:8000"


class Command(PodpathCommand):
    help = "Print a kubeconfig with a context per cluster sandbox, for the stock kubectl."

    def add_arguments(self, parser):
        self.add_sandbox_argument(parser)
        parser.add_argument("--all", action="store_true", help="a context for every cluster sandbox of the user")
        parser.add_argument("--user", help="the user the tokens are for (default: the sandbox's owner)")
        parser.add_argument(
            "--server",
            default=os.environ.get(SERVER_ENV) or DEFAULT_SERVER,
            help=f"the dashboard's address as kubectl reaches it (default: ${SERVER_ENV} or {DEFAULT_SERVER})",
        )

    def handle(self, *args, sandbox: str, all: bool, user: str | None, server: str, **options):
        owner = self.user_named(user) if user else None
        first = self.sandbox_row(sandbox, owner)
        owner = owner or first.owner
        rows = [first]
        if all:
            rows += [s for s in Sandbox.objects.filter(owner=owner).exclude(pk=first.pk) if self.is_cluster(s.name)]
        contexts = [Context(s.name, owner.get_username(), kube_token_issue(user=owner, sandbox=s)) for s in rows]
        ca = ca_certificate() if server.startswith("https://") else None
        self.stdout.write(render_kubeconfig(server=server, contexts=contexts, ca_pem=ca), ending="")

    @staticmethod
    def user_named(name: str):
        try:
            return get_user_model().objects.get(username=name)
        except get_user_model().DoesNotExist:
            raise Error(f"no user {name!r} (podpath demo_accounts makes admin, instructor and student)") from None

    def sandbox_row(self, name: str, owner) -> Sandbox:
        if not self.is_cluster(name):
            raise Error(f"sandbox {name} holds no cluster: kubectl works with `podpath sandbox create NAME --cluster`")
        row = Sandbox.objects.filter(name=name).select_related("owner", "classroom").first()
        if row is None:
            if owner is None:
                raise Error(f"sandbox {name} has no owner in the dashboard yet: give --user NAME to own it")
            row = Sandbox.objects.create(name=name, owner=owner)
        return row

    @staticmethod
    def is_cluster(name: str) -> bool:
        try:
            return read_record(name).meta.get("kind") == "cluster"
        except Exception:
            return False
