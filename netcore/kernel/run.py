"""Run one command inside a sandbox host's network namespace: the one place that does it.

Two ways, chosen by who started the command:

- trusted (Podpath's own probes and views, lab content run for the instructor's tabs): ``ip netns exec``,
  as root, with the host's /etc/netns files over /etc;
- ``jailed=True`` (whatever a learner starts): the learner jail of ``netcore.jail``: an unprivileged
  account with no capabilities, a fresh root without the machine's secrets, its own PID namespace,
  rlimits. If the jail cannot be built here, the command is refused, never run unjailed.

Either way the command gets no input, a wall-clock limit, and its output (stdout and stderr interleaved, as
a terminal shows them) is read up to a cap: the process is stopped rather than buffered without bound.
"""

from __future__ import annotations

import functools
import json
import os
import pwd
import select
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from netcore import names
from netcore.errors import PodpathError
from netcore.jail import policy
from netcore.kernel.netns import path_of as netns_path_of

LAUNCHER = Path(policy.__file__).with_name("launch.py")
EXIT_TIMEOUT = 124
LAUNCH_GRACE_S = 3.0  # the launcher's own start-up, on top of the jail's wall clock


class JailUnavailable(PodpathError):
    """The learner jail cannot be built on this machine; the message says what is missing."""


@dataclass(frozen=True)
class CommandResult:
    exit_code: int
    output: bytes
    timed_out: bool = False
    truncated: bool = False

    def text(self) -> str:
        """The output as text, with a note when it was cut or the command was stopped."""
        text = self.output.decode(errors="replace")
        if self.truncated:
            text += f"\n(output cut at {len(self.output) // 1024} KB)"
        return text


def run_in_namespace(
    namespace: str, argv: Sequence[str], *, timeout: float, max_output: int = 64 * 1024, jailed: bool = False
) -> CommandResult:
    """Run ``argv`` in the network namespace ``namespace`` and return its status and capped output."""
    if not argv:
        raise PodpathError("no command given")
    if any("\x00" in arg for arg in argv):
        raise PodpathError("a command's arguments cannot contain a NUL byte")
    if jailed:
        spec = jail_spec(namespace, argv, timeout)
        result = run_capped(launcher_argv(spec), timeout + LAUNCH_GRACE_S, max_output)
        # The launcher keeps the wall clock itself and answers 124 when it stopped the command.
        return replace(result, timed_out=True) if result.exit_code == EXIT_TIMEOUT else result
    return run_capped(["ip", "netns", "exec", namespace, *argv], timeout, max_output)


def launcher_argv(spec: policy.JailSpec) -> list[str]:
    """The launcher as its own fresh interpreter: isolated, no site-packages, the spec as JSON."""
    return [sys.executable, "-I", "-S", str(LAUNCHER), json.dumps(spec.to_json_dict())]


def jail_spec(namespace: str, argv: Sequence[str], timeout: float) -> policy.JailSpec:
    """Describe the jail for one learner command in ``namespace`` (refusing if the jail is unavailable)."""
    uid, gid = learner_ids()
    netns = netns_path_of(namespace)
    if not netns.exists():
        raise PodpathError(f"no network namespace {namespace}")
    limits = policy.Limits(wall_seconds=timeout)
    mounts = policy.plan_mounts(etc_overrides=policy.etc_overrides_of(names.etc_netns_dir(namespace)), limits=limits)
    ensure_jail_works()
    return policy.JailSpec(
        argv=tuple(argv),
        uid=uid,
        gid=gid,
        netns_path=str(netns),
        mounts=mounts,
        limits=limits,
        hostname=namespace.split("-", 2)[-1][:63],
    )


def learner_ids() -> tuple[int, int]:
    try:
        entry = pwd.getpwnam(policy.LEARNER)
    except KeyError:
        raise JailUnavailable(
            f"the learner account {policy.LEARNER!r} is missing, so learner commands cannot "
            "run safely: run scripts/bootstrap (it creates the account)"
        ) from None
    if entry.pw_uid == 0 or entry.pw_gid == 0:
        raise JailUnavailable(f"the learner account {policy.LEARNER!r} must not be root")
    return entry.pw_uid, entry.pw_gid


def ensure_jail_works() -> None:
    """Raise JailUnavailable unless a probe jail runs as the learner with no capability left."""
    problem = jail_problem()
    if problem:
        raise JailUnavailable(f"the learner jail cannot be built here, so the console is off: {problem}")


@functools.lru_cache(maxsize=1)
def jail_problem() -> str:
    """Build a probe jail (in an empty network namespace of its own) and check what runs inside it."""
    uid, gid = learner_ids()
    if os.geteuid() != 0:
        return "the agent is not root, so it cannot build namespaces"
    spec = policy.JailSpec(
        argv=("cat", "/proc/self/status"),
        uid=uid,
        gid=gid,
        netns_path=None,
        mounts=policy.plan_mounts(etc_overrides={}),
        limits=policy.Limits(wall_seconds=5),
    )
    result = run_capped(launcher_argv(spec), 10, 65536)
    status = dict(line.split(":", 1) for line in result.text().splitlines() if ":" in line)
    wanted = {
        "Uid": f"{uid}\t{uid}\t{uid}\t{uid}",
        "CapEff": "0000000000000000",
        "CapPrm": "0000000000000000",
        "CapBnd": "0000000000000000",
        "NoNewPrivs": "1",
        "Seccomp": "2",
    }
    for key, value in wanted.items():
        if status.get(key, "").strip() != value:
            detail = result.text().strip().splitlines()[-1:] or ["no output"]
            return f"{key} is {status.get(key, '?').strip()!r}, wanted {value!r} ({detail[0]})"
    return ""


def run_capped(command: list[str], timeout: float, max_output: int) -> CommandResult:
    """Run ``command`` with no input; stop it at ``timeout`` seconds or after ``max_output`` bytes."""
    try:
        process = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True
        )
    except FileNotFoundError as error:
        return CommandResult(127, f"{error.filename}: command not found\n".encode())
    assert process.stdout is not None
    chunks: list[bytes] = []
    size = 0
    timed_out = truncated = False
    deadline = time.monotonic() + timeout
    fd = process.stdout.fileno()
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            timed_out = True
            break
        ready, _, _ = select.select([fd], [], [], remaining)
        if not ready:
            continue
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
        if size > max_output:
            truncated = True
            break
    if timed_out or truncated:
        stop(process)
    process.stdout.close()
    code = process.wait()
    output = b"".join(chunks)[:max_output]
    if timed_out:
        return CommandResult(
            EXIT_TIMEOUT, output + f"\n(stopped after {timeout:g} s)".encode(), timed_out=True, truncated=truncated
        )
    return CommandResult(code if code >= 0 else 128 - code, output, truncated=truncated)


def stop(process: subprocess.Popen) -> None:
    """Kill the command and everything in its session (a jailed one's PID namespace dies with it)."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
