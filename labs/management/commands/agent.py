"""`podpath agent`: run the agent of this kernel host on its own (several machines: with REDIS_URL and
DATABASE_URL; its host id, capacity and run directory from PODPATH_HOST_ID, PODPATH_HOST_SANDBOXES and
PODPATH_RUN_DIR, or the options)."""

from __future__ import annotations

import asyncio
import os

from django.conf import settings

from agent.worker import Agent
from labs.management.base import PodpathCommand
from netcore.names import check_host_name


class Command(PodpathCommand):
    help = "Run the agent that builds and changes this host's sandboxes; needs a shared channel layer."

    def add_arguments(self, parser):
        parser.add_argument(
            "--host-id",
            default=settings.PODPATH_HOST_ID,
            help="this kernel host's id (default: $PODPATH_HOST_ID, else 'local')",
        )
        parser.add_argument(
            "--sandboxes",
            type=int,
            default=settings.PODPATH_HOST_SANDBOXES,
            help="how many sandboxes this host takes (default: $PODPATH_HOST_SANDBOXES, else 50)",
        )

    def handle(self, *args, host_id: str, sandboxes: int, **options):
        self.require_root()
        check_host_name(host_id)
        run_dir = os.environ.get("PODPATH_RUN_DIR", "/run/podpath")
        self.stdout.write(
            f"agent of host {host_id}: serving sandbox jobs, up to {sandboxes} sandboxes, "
            f"records in {run_dir} (Ctrl-C stops it)"
        )
        self.stdout.flush()
        try:
            asyncio.run(Agent(host_id=host_id, hosted=True, sandboxes=sandboxes).serve())
        except KeyboardInterrupt:
            pass
