"""`podpath agent`: run the agent on its own (several machines: next to the kernel, with REDIS_URL)."""

from __future__ import annotations

import asyncio

from agent.worker import Agent
from labs.management.base import PodpathCommand


class Command(PodpathCommand):
    help = "Run the agent that builds and changes sandboxes for the web tier; needs a shared channel layer."

    def handle(self, *args, **options):
        self.require_root()
        self.stdout.write("agent: serving sandbox jobs (Ctrl-C stops it)")
        try:
            asyncio.run(Agent().serve())
        except KeyboardInterrupt:
            pass
