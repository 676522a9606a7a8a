"""Run a step's "commands to try" inside the sandbox and judge them against what the step promises.

The command runs for real in the host's namespace, as a learner's command would: in the learner jail
(``netcore.jail``, with the host's /etc/netns files over /etc), or as Podpath's read-only view for an
nftables or conntrack listing. It passes when its exit status and output match.

In a cluster, a try runs in a pod (``client``, or ``namespace/pod``) or in one of the cluster's other
hosts (``node0``, ``internet``, ``external``); addresses the cluster allocates are written as
placeholders, filled in when the command runs: ``{{pod:hello-world}}`` (the pod's IP),
``{{svc:hello-world-service}}`` (the ClusterIP), ``{{lb:hello-world}}`` (the LoadBalancer address),
``{{nodeport:hello-world}}`` (the first port's NodePort), ``{{node:1}}`` (node1's address).
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass

from labs.catalog import Try
from labs.placeholders import expand
from netcore.jail.learner import run_learner_command
from netcore.kube.lookup import split_ref
from netcore.sandbox.lifecycle import host_namespace
from netcore.sandbox.registry import read_record

TIMEOUT_S = 15.0


@dataclass(frozen=True)
class TryResult:
    attempt: Try
    returncode: int
    output: str
    command: str = ""

    @property
    def succeeded(self) -> bool:
        return self.returncode == 0

    expected_output: str | None = None

    @property
    def passed(self) -> bool:
        """True when the command did what the step says it does."""
        if self.succeeded != (self.attempt.expect == "success"):
            return False
        return self.expected_output is None or self.expected_output in self.output


def namespace_for(sandbox: str, target: str, cluster) -> str:
    """Return the network namespace a try runs in: a pod's, or a host's."""
    if cluster is not None:
        namespace, name = split_ref(target)
        if cluster.get("Pod", namespace, name) is not None:
            from netcore.kube.api import pod_namespace

            return pod_namespace(sandbox, namespace, name)
    return host_namespace(sandbox, target)


def run_try(sandbox: str, attempt: Try, timeout: float = TIMEOUT_S) -> TryResult:
    """Run one command to try in its host and return what happened."""
    cluster = None
    if read_record(sandbox).meta.get("kind") == "cluster":
        from netcore.kube.api import load_cluster

        cluster = load_cluster(sandbox)
    command = expand(attempt.command, cluster) if cluster is not None else attempt.command
    wanted = attempt.output
    if cluster is not None and wanted is not None:
        wanted = expand(wanted, cluster)
    namespace = namespace_for(sandbox, attempt.host, cluster)
    result = run_learner_command(namespace, shlex.split(command), timeout=timeout)
    return TryResult(attempt, result.exit_code, result.text(), command, wanted)
