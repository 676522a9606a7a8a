"""`podpath exec`: run a real command inside a host or a pod of a sandbox.

    podpath exec [-s NAME] HOST -- CMD ...                 a host of a lab sandbox
    podpath exec [-s NAME] [-n NS] POD [-c CTR] -- CMD ... a pod of a cluster sandbox
    podpath exec [-s NAME] --host internet|external|NODE -- CMD ...

The process is replaced by `ip netns exec`, so the command's output and exit code are the command's
own; `ip netns exec` also mounts the host's /etc/netns files (resolv.conf, hosts) over /etc. A pod's
containers share its network namespace, so every container sees the same interfaces.
"""

from __future__ import annotations

import argparse
import os
import sys

from labs.management.base import Error, PodpathCommand
from netcore.errors import NotFound
from netcore.kube import api
from netcore.sandbox.lifecycle import host_namespace
from netcore.sandbox.registry import read_record


class Command(PodpathCommand):
    help = "Run a command inside a host or pod of a sandbox: podpath exec [-s NAME] TARGET -- CMD ..."

    def add_arguments(self, parser):
        self.add_sandbox_argument(parser)
        parser.add_argument("-n", "--namespace", default="default", help="the pod's namespace (clusters)")
        parser.add_argument("-c", "--container", help="a container of the pod (they share one network)")
        parser.add_argument("--host", help="a host instead of a pod: internet, external, router, node0, ...")
        parser.add_argument("target", nargs="?", help="a host (labs) or a pod (clusters)")
        parser.add_argument("argv", nargs=argparse.REMAINDER, metavar="-- CMD ...")

    def handle(
        self,
        *args,
        sandbox: str,
        namespace: str,
        container: str | None,
        host: str | None,
        target: str | None,
        argv: list[str],
        **options,
    ):
        self.require_root()
        if target == "--":  # `podpath exec -s NAME --host X -- CMD`: argparse takes "--" as the target
            target = None
        elif "--" in argv:
            # kubectl puts options after the pod: `exec POD -c CONTAINER -- CMD`.
            split = argv.index("--")
            between, argv = argv[:split], argv[split + 1 :]
            namespace, container, host = self.trailing_options(between, namespace, container, host)
        if host and target:
            argv = [target, *argv]
            target = None
        if not argv:
            raise Error("no command given: podpath exec [-s NAME] TARGET -- CMD ...")
        netns = self.resolve(sandbox, namespace, container, host, target)
        sys.stdout.flush()
        sys.stderr.flush()
        try:
            os.execvp("ip", ["ip", "netns", "exec", netns, *argv])
        except FileNotFoundError:
            raise Error("`ip` (iproute2) is not installed") from None

    @staticmethod
    def trailing_options(options: list[str], namespace, container, host):
        """Read -n/-c/--host given between the target and "--"."""
        names = {
            "-n": "namespace",
            "--namespace": "namespace",
            "-c": "container",
            "--container": "container",
            "--host": "host",
        }
        values = {"namespace": namespace, "container": container, "host": host}
        pairs = iter(options)
        for option in pairs:
            key, _, inline = option.partition("=")
            if key not in names:
                raise Error(f"unknown option {option!r} before --")
            value = inline or next(pairs, None)
            if value is None:
                raise Error(f"{key} needs a value")
            values[names[key]] = value
        return values["namespace"], values["container"], values["host"]

    def resolve(self, sandbox, namespace, container, host, target) -> str:
        if host:
            return host_namespace(sandbox, host)
        if not target:
            raise Error("name a host or pod: podpath exec [-s NAME] TARGET -- CMD ...")
        if read_record(sandbox).meta.get("kind") != "cluster":
            return host_namespace(sandbox, target)
        cluster = api.load_cluster(sandbox)
        pod = cluster.get("Pod", namespace, target)
        if pod is None:
            raise NotFound(
                f'pods "{target}" not found in namespace "{namespace}"'
                " (use --host for internet, external, router or a node)"
            )
        names = [c["name"] for c in pod["spec"].get("containers", [])]
        if container is not None and container not in names:
            raise Error(f"container {container} is not valid for pod {target} (containers: {', '.join(names)})")
        return api.pod_namespace(sandbox, namespace, target)
