"""Start, command and stop a sandbox's workload runner.

The runner is started on demand (the first server of a sandbox) with ``start_new_session`` so it
outlives the command that started it, and is stopped by the PID recorded at start, after checking that
the PID still is that sandbox's runner.
"""

from __future__ import annotations

import json
import os
import select
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from netcore import names
from netcore.errors import PodpathError
from netcore.topology.model import Server

START_TIMEOUT_S = 10.0
STOP_TIMEOUT_S = 3.0
CONTROL_TIMEOUT_S = 10.0
RUNNER_MODULE = "netcore.workloads.runner"
_children: dict[int, subprocess.Popen] = {}  # runners this process started, reaped when stopped
_starting: dict[str, tuple[subprocess.Popen, int]] = {}  # spawned, not yet waited for: (process, ready pipe)


def server_to_wire(server: Server) -> dict:
    return {
        "host": server.host,
        "kind": server.kind,
        "port": server.port,
        "protocol": server.protocol,
        "options": [list(pair) for pair in server.options],
    }


def server_from_wire(wire: dict) -> Server:
    return Server(
        host=wire["host"],
        kind=wire["kind"],
        port=int(wire["port"]),
        protocol=wire["protocol"],
        options=tuple(tuple(pair) for pair in wire.get("options", [])),
    )


def runner_pid(sandbox: str) -> int | None:
    """Return the PID of the sandbox's runner if it is alive and really is that runner."""
    try:
        pid = int(names.runner_pid_path(sandbox).read_text().strip())
    except (FileNotFoundError, ValueError):
        return None
    return pid if is_runner(pid, sandbox) else None


def is_runner(pid: int, sandbox: str) -> bool:
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    if state == "Z":
        return False
    args = [a.decode(errors="replace") for a in argv]
    return RUNNER_MODULE in args and "--sandbox" in args and sandbox in args


def spawn_runner(sandbox: str) -> None:
    """Start the sandbox's runner without waiting for it (Python takes ~0.1 s to start): the caller
    goes on with the kernel work, and ``ensure_runner`` waits for it when servers are needed."""
    if sandbox in _starting or runner_pid(sandbox) is not None:
        return
    read_end, write_end = os.pipe()
    log = open(names.runner_log_path(sandbox), "ab")
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", RUNNER_MODULE, "--sandbox", sandbox, "--ready-fd", str(write_end)],
            pass_fds=(write_end,),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            start_new_session=True,
            cwd=str(Path(__file__).resolve().parents[2]),
        )
    except BaseException:
        os.close(read_end)
        raise
    finally:
        os.close(write_end)
        log.close()
    _children[process.pid] = process
    _starting[sandbox] = (process, read_end)


def ensure_runner(sandbox: str) -> int:
    """Return the runner's PID, starting it if needed; it is ready to take commands on return."""
    pid = runner_pid(sandbox)
    if pid is not None:
        return pid
    spawn_runner(sandbox)
    process, read_end = _starting.pop(sandbox)
    try:
        ready, _, _ = select.select([read_end], [], [], START_TIMEOUT_S)
        message = os.read(read_end, 64) if ready else b""
    finally:
        os.close(read_end)
    if message != b"ready\n":
        stop_pid(process.pid, sandbox)
        raise PodpathError(
            f"the workload runner of sandbox {sandbox} did not start; see {names.runner_log_path(sandbox)}"
        )
    names.runner_pid_path(sandbox).write_text(f"{process.pid}\n")
    return process.pid


def control(sandbox: str, request: dict) -> dict:
    """Send one request to the running runner and return its answer."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(CONTROL_TIMEOUT_S)
        try:
            sock.connect(str(names.runner_socket_path(sandbox)))
        except (FileNotFoundError, ConnectionRefusedError):
            raise PodpathError(f"the workload runner of sandbox {sandbox} is not running") from None
        sock.sendall(json.dumps(request).encode() + b"\n")
        data = b""
        while not data.endswith(b"\n"):
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    return json.loads(data or b"{}")


def change_servers(sandbox: str, start: list[Server], stop: list[Server]) -> None:
    """Stop then start servers; raise naming the server the kernel refused."""
    if not start and runner_pid(sandbox) is None:
        return  # nothing runs, so nothing to stop
    ensure_runner(sandbox)
    answer = control(sandbox, {"stop": [server_to_wire(s) for s in stop], "start": [server_to_wire(s) for s in start]})
    if not answer.get("ok"):
        failed = answer.get("server")
        what = server_from_wire(failed).summary() if failed else "workload runner"
        raise PodpathError(f"{what}: {answer.get('error', 'failed')}")


def notify_data_changed(sandbox: str, data_names: list[str]) -> None:
    """Tell a running runner which sandbox data files changed; it answers once its servers reacted."""
    if runner_pid(sandbox) is None:
        return
    answer = control(sandbox, {"data_changed": data_names})
    if not answer.get("ok"):
        raise PodpathError(f"workload runner: {answer.get('error', 'reacting to new data failed')}")


def running_servers(sandbox: str) -> frozenset[Server]:
    """Return the servers the runner is serving now (none when it is not running)."""
    if runner_pid(sandbox) is None:
        return frozenset()
    answer = control(sandbox, {})
    return frozenset(server_from_wire(w) for w in answer.get("servers", []))


def stop_runner(sandbox: str) -> None:
    """Stop the sandbox's runner, if any: politely, then by signal to its recorded PID."""
    starting = _starting.pop(sandbox, None)
    if starting is not None:  # spawned by a change that then failed: never waited for
        process, read_end = starting
        os.close(read_end)
        os.kill(process.pid, signal.SIGTERM)
        stop_pid(process.pid, sandbox)
    pid = runner_pid(sandbox)
    if pid is not None:
        try:
            control(sandbox, {"shutdown": True})
        except (PodpathError, OSError):
            pass
        stop_pid(pid, sandbox)
    names.runner_pid_path(sandbox).unlink(missing_ok=True)
    reap_exited_children()


def reap_exited_children() -> None:
    """Collect runners of ours that exited on their own (their sandbox vanished), so none is a zombie."""
    for pid, child in list(_children.items()):
        if child.poll() is not None:
            del _children[pid]


def stop_pid(pid: int, sandbox: str) -> None:
    """Wait for a runner to exit, signalling it if it does not, and reap it if it is our child."""
    deadline = time.monotonic() + STOP_TIMEOUT_S
    sent_term = False
    while is_runner(pid, sandbox):
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            break
        if not sent_term and time.monotonic() > deadline - STOP_TIMEOUT_S / 2:
            os.kill(pid, signal.SIGTERM)
            sent_term = True
        time.sleep(0.01)
    child = _children.pop(pid, None)
    if child is not None:
        child.wait(timeout=STOP_TIMEOUT_S)
