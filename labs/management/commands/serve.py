"""`podpath serve [ADDR:PORT]`: the dashboard, with the agent in the same process unless REDIS_URL is set."""

from __future__ import annotations

from django.core.management import call_command

from labs.management.base import PodpathCommand


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

    def handle(self, *args, addrport: str, **options):
        # Daphne's runserver: HTTP and websockets; the reloader would start the agent twice. With debug off
        # Django serves no static files unless told to: this one process has no nginx in front of it.
        call_command("runserver", addrport, use_reloader=False, skip_checks=False, insecure_serving=True)
