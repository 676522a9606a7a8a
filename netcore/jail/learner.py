"""Run what a learner starts, or what runs on a learner's behalf: the only entry for such commands.

A read-only nftables or conntrack listing that matches ``views``' grammar is run by Podpath itself
(those need CAP_NET_ADMIN); every other command runs in the learner jail. Nothing here is a shell: the
argv is executed as given.
"""

from __future__ import annotations

from collections.abc import Sequence

from netcore.jail.views import kernel_view
from netcore.kernel.run import CommandResult, run_in_namespace


def run_learner_command(
    namespace: str, argv: Sequence[str], *, timeout: float, max_output: int = 64 * 1024
) -> CommandResult:
    """Run ``argv`` in ``namespace`` for a learner: a privileged read-only view, or the jail."""
    view = kernel_view(argv)
    if view is not None:
        return run_in_namespace(namespace, view, timeout=timeout, max_output=max_output)
    return run_in_namespace(namespace, argv, timeout=timeout, max_output=max_output, jailed=True)
