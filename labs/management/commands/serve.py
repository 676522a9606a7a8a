"""`podpath serve [ADDR:PORT] [--kube-tls PORT]`: the dashboard, with the agent in the same process unless
REDIS_URL is set; with ``--kube-tls``, also the Kubernetes API over HTTPS for kubectl (which sends its
token only over TLS), with a certificate from the installation's own CA (kubeapi.tls)."""

from __future__ import annotations

import os

from django.conf import settings
from django.core.management import call_command, load_command_class

from labs.management.base import PodpathCommand

KUBE_TLS_ENV = "PODPATH_KUBE_TLS_PORT"


class Command(PodpathCommand):
    help = "Serve the dashboard on 127.0.0.1:8000 or ADDR:PORT; web and agent in one process unless REDIS_URL is set."

    def add_arguments(self, parser):
        parser.add_argument(
            "addrport",
            nargs="?",
            default="127.0.0.1:8000",
            metavar="ADDR:PORT",
            help="where to listen (default 127.0.0.1:8000)",
        )
        parser.add_argument(
            "--kube-tls",
            type=int,
            metavar="PORT",
            default=int(os.environ.get(KUBE_TLS_ENV) or 0),
            help=f"also serve HTTPS on PORT (same address) for kubectl (default: ${KUBE_TLS_ENV}, else none)",
        )

    def handle(self, *args, addrport: str, kube_tls: int, **options):
        # Daphne's runserver: HTTP and websockets; the reloader would start the agent twice. With debug off
        # Django serves no static files unless told to: this one process has no nginx in front of it.
        runserver = load_command_class("daphne", "runserver")
        if kube_tls:
            host = addrport.rpartition(":")[0] or "127.0.0.1"
            runserver.server_cls = with_tls_endpoint(runserver.server_cls, host, kube_tls)
            if not getattr(settings, "PODPATH_KUBE_SERVER", ""):
                settings.PODPATH_KUBE_SERVER = f"https://{host}:{kube_tls}"
        call_command(runserver, addrport, use_reloader=False, skip_checks=False, insecure_serving=True)


def with_tls_endpoint(server_cls, host: str, port: int):
    """Daphne's server class, listening on an extra TLS endpoint with the installation's certificate."""
    from kubeapi.tls import server_files

    certificate, key = server_files()
    interface = host.strip("[]").replace(":", r"\:")
    endpoint = f"ssl:{port}:interface={interface}:privateKey={key}:certKey={certificate}"

    class TlsServer(server_cls):  # type: ignore[misc, valid-type]
        def __init__(self, *args, endpoints, **kwargs):
            super().__init__(*args, endpoints=[*endpoints, endpoint], **kwargs)

    return TlsServer
