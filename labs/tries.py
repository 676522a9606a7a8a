"""Run a step's "commands to try" inside the sandbox and judge them against what the step promises.

The command runs for real in the host's namespace through ``ip netns exec`` (which also mounts the
host's /etc/netns files), with a time limit, and passes when its exit status and output match.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass

from labs.catalog import Try
from netcore.sandbox.lifecycle import host_namespace

TIMEOUT_S = 15.0


@dataclass(frozen=True)
class TryResult:
    attempt: Try
    returncode: int
    output: str

    @property
    def succeeded(self) -> bool:
        return self.returncode == 0

    @property
    def passed(self) -> bool:
        """True when the command did what the step says it does."""
        if self.succeeded != (self.attempt.expect == "success"):
            return False
        return self.attempt.output is None or self.attempt.output in self.output


def run_try(sandbox: str, attempt: Try, timeout: float = TIMEOUT_S) -> TryResult:
    """Run one command to try in its host and return what happened."""
    namespace = host_namespace(sandbox, attempt.host)
    try:
        result = subprocess.run(["ip", "netns", "exec", namespace, *attempt.argv()], capture_output=True,
                                text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as expired:
        output = (expired.stdout or b"").decode(errors="replace") if isinstance(expired.stdout, bytes) else (expired.stdout or "")
        return TryResult(attempt, 124, output + f"\n(timed out after {timeout:.0f} s)")
    except FileNotFoundError as error:
        return TryResult(attempt, 127, f"command not found: {error.filename}")
    return TryResult(attempt, result.returncode, result.stdout + result.stderr)
