"""`podpath exec -s SANDBOX HOST -- CMD ...`: run a real command inside a host's namespace.

The process is replaced by `ip netns exec`, so the command's output and exit code are the command's
own; `ip netns exec` also mounts the host's /etc/netns files (resolv.conf, hosts) over /etc.
"""

from __future__ import annotations

import argparse
import os
import sys

from labs.management.base import Error, PodpathCommand
from netcore.sandbox.lifecycle import host_namespace


class Command(PodpathCommand):
    help = "Run a command inside a host of a sandbox: podpath exec -s NAME HOST -- CMD ..."

    def add_arguments(self, parser):
        parser.add_argument("-s", "--sandbox", required=True)
        parser.add_argument("host")
        parser.add_argument("argv", nargs=argparse.REMAINDER, metavar="-- CMD ...")

    def handle(self, *args, sandbox: str, host: str, argv: list[str], **options):
        self.require_root()
        if argv and argv[0] == "--":
            argv = argv[1:]
        if not argv:
            raise Error("no command given: podpath exec -s NAME HOST -- CMD ...")
        namespace = host_namespace(sandbox, host)
        sys.stdout.flush()
        sys.stderr.flush()
        try:
            os.execvp("ip", ["ip", "netns", "exec", namespace, *argv])
        except FileNotFoundError:
            raise Error("`ip` (iproute2) is not installed") from None
