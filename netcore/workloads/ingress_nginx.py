"""The ingress controller's nginx: a real nginx the workload runner starts in a pod's namespace.

Unlike the other servers, which are sockets the runner serves itself, this is a child process:
``ip netns exec <pod> nginx -p PREFIX -c CONF -e PREFIX/error.log -g 'daemon off;'`` (``ip netns exec``
execs in place, so the PID the runner holds is nginx's master). Every path nginx writes is under the
pod's prefix, ``<sandbox runtime dir>/ingress-nginx/<host>/`` (pid, logs, temp directories; see
``netcore.kube.compile.nginx_conf``); nothing goes to /etc/nginx or /var/log/nginx.

nginx never outlives the runner: it is started in a session of its own with PR_SET_PDEATHSIG, so the
runner's death sends its master SIGTERM, and the master stops its workers. Stopping it sends SIGTERM
to the PID the runner started, waits, then kills whatever is left of its process group.

A reload is graceful: ``nginx -t`` first (a configuration nginx refuses is an error, and the old
one keeps serving), then SIGHUP to the master, which starts new workers on the same listening sockets
and lets the old ones finish what they hold. The runner answers only once a new worker answers the new
generation on the status server (127.0.0.1:10246 in the pod) and every old worker has stopped
accepting connections: when ``podpath apply`` returns, the new routes serve.
"""

from __future__ import annotations

import asyncio
import ctypes
import functools
import logging
import os
import shutil
import signal
import socket
import subprocess
from pathlib import Path

from netcore import names
from netcore.kernel import netns
from netcore.topology.model import Server

log = logging.getLogger("podpath.ingress")
KIND = "ingress-nginx"
KINDS = (KIND, "gateway-nginx")  # a Gateway's nginx runs the same way, from its own configuration
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
IP = shutil.which("ip") or "/usr/sbin/ip"
ENV = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C"}
STATUS = ("127.0.0.1", 10246)
GENERATION_LINE = "# podpath ingress-nginx generation "
GENERATION_REQUEST = b"GET /podpath/generation HTTP/1.0\r\nHost: localhost\r\n\r\n"
FAKE_CERTIFICATE = "fake-certificate.pem"
FAKE_NAME = "Kubernetes Ingress Controller Fake Certificate"  # what ingress-nginx's own is called
START_TIMEOUT_S = 5.0
RELOAD_TIMEOUT_S = 8.0  # under the control channel's 10 s
STOP_TIMEOUT_S = 2.0
PROBE_TIMEOUT_S = 1.0
POLL_S = 0.005
PR_SET_PDEATHSIG = 1
_libc = ctypes.CDLL(None, use_errno=True)


class NginxFailed(Exception):
    """nginx refused a configuration, exited, or did not serve in time."""


def die_with_parent(parent: int) -> None:
    """In the child, before exec: receive SIGTERM when the runner dies (the setting survives exec)."""
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    if os.getppid() != parent:  # the runner died before prctl: no signal would ever come
        os._exit(1)


def ensure_fake_certificate(path: Path) -> None:
    """Make the sandbox's default certificate once: self-signed, as ingress-nginx makes its own."""
    if path.exists():
        return
    from netcore.workloads.tls import self_signed_pem

    cert, key = self_signed_pem(FAKE_NAME)
    staging = path.with_name(f".{path.name}.{os.getpid()}")
    staging.touch(mode=0o600)
    staging.write_bytes(cert + key)
    os.replace(staging, path)


def children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except (FileNotFoundError, ProcessLookupError):
        return []


def accepting(worker: int) -> bool:
    """Whether an nginx worker may still accept connections (alive, and not shutting down)."""
    try:
        title = Path(f"/proc/{worker}/cmdline").read_bytes()
        state = Path(f"/proc/{worker}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    # nginx retitles a worker told to quit just before it closes its listening sockets.
    return state != "Z" and b"shutting down" not in title


def config_generation(path: Path) -> str:
    with open(path) as handle:
        first = handle.readline()
    if not first.startswith(GENERATION_LINE):
        raise NginxFailed(f"{path} names no generation on its first line")
    return first[len(GENERATION_LINE) :].strip()


class IngressNginx:
    """One controller pod's nginx."""

    def __init__(self, sandbox: str, server: Server) -> None:
        self.server = server
        self.namespace = names.netns_name(sandbox, server.host)
        self.config = Path(server.option("config"))
        runtime = Path(server.option("runtime"))
        self.fake_certificate = runtime / FAKE_CERTIFICATE
        self.prefix = runtime / server.host
        self.process: subprocess.Popen | None = None
        self.generation: str | None = None

    def argv(self, *extra: str) -> list[str]:
        return [
            IP,
            "netns",
            "exec",
            self.namespace,
            NGINX,
            "-p",
            f"{self.prefix}/",
            "-c",
            str(self.config),
            "-e",
            str(self.prefix / "error.log"),
            *extra,
        ]

    def reads(self, data_names: list[str]) -> bool:
        """Whether a change to these sandbox data files concerns this nginx (its configuration names a
        digest of its certificates too, so a new certificate is a new configuration)."""
        return self.config.name in data_names

    async def start(self) -> None:
        if not os.access(NGINX, os.X_OK):
            raise NginxFailed("nginx is not installed (apt-get install nginx): the ingress controller runs it")
        started = asyncio.get_running_loop().time()
        self.prefix.mkdir(parents=True, exist_ok=True)
        ensure_fake_certificate(self.fake_certificate)
        wanted = config_generation(self.config)
        with open(self.prefix / "nginx.out", "ab") as output:
            self.process = subprocess.Popen(
                self.argv("-g", "daemon off;"),
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=output,
                env=ENV,
                close_fds=True,
                start_new_session=True,
                preexec_fn=functools.partial(die_with_parent, os.getpid()),
            )
        try:
            await self.serving(wanted, old_workers=[], timeout=START_TIMEOUT_S)
        except NginxFailed:
            await self.stop()
            raise
        self.generation = wanted
        log.info(
            "nginx %d serves %s in %s, %.0f ms after start",
            self.process.pid,
            wanted,
            self.namespace,
            (asyncio.get_running_loop().time() - started) * 1000,
        )

    async def reload(self) -> None:
        """Test the new configuration, reload gracefully, and return once the new workers serve."""
        wanted = config_generation(self.config)
        if self.process is None or wanted == self.generation:
            return
        loop = asyncio.get_running_loop()
        started = loop.time()
        test = await asyncio.create_subprocess_exec(
            *self.argv("-t", "-q"), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=ENV
        )
        output, _ = await test.communicate()
        if test.returncode != 0:
            raise NginxFailed(f"nginx refused the new configuration: {output.decode(errors='replace').strip()}")
        if self.exited():
            raise NginxFailed(f"nginx is not running: {self.log_tail()}")
        old = children(self.process.pid)
        tested = loop.time()
        os.kill(self.process.pid, signal.SIGHUP)  # the PID is ours: unreaped, it cannot be reused
        await self.serving(wanted, old, RELOAD_TIMEOUT_S)
        self.generation = wanted
        log.info(
            "nginx %d reloaded to %s: tested in %.0f ms, new workers serving %.0f ms after SIGHUP",
            self.process.pid,
            wanted,
            (tested - started) * 1000,
            (loop.time() - tested) * 1000,
        )

    async def stop(self) -> None:
        process, self.process = self.process, None
        if process is None:
            return
        if not self.exited(process):
            os.kill(process.pid, signal.SIGTERM)  # fast shutdown: the master stops its workers
        deadline = asyncio.get_running_loop().time() + STOP_TIMEOUT_S
        while not self.exited(process) and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.01)
        try:
            os.killpg(process.pid, signal.SIGKILL)  # anything left in its session (the master is unreaped)
        except (ProcessLookupError, PermissionError):
            pass
        process.wait()
        log.info("nginx %d stopped in %s", process.pid, self.namespace)

    def exited(self, process: subprocess.Popen | None = None) -> bool:
        """Whether the master exited, without reaping it (so its PID stays ours until ``stop``)."""
        process = process or self.process
        if process is None or process.returncode is not None:
            return True
        return os.waitid(os.P_PID, process.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None

    async def serving(self, generation: str, old_workers: list[int], timeout: float) -> None:
        """Wait until nginx answers ``generation`` and no old worker accepts connections any more."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            if self.exited():
                raise NginxFailed(f"nginx exited: {self.log_tail()}")
            if await self.probe() == generation and not any(accepting(w) for w in old_workers):
                return
            if loop.time() > deadline:
                raise NginxFailed(
                    f"nginx did not serve configuration {generation} within {timeout:g} s: {self.log_tail()}"
                )
            await asyncio.sleep(POLL_S)

    async def probe(self) -> str | None:
        """Ask the status server inside the pod which configuration generation answers."""
        loop = asyncio.get_running_loop()
        fd = netns.open_fd(self.namespace)
        try:
            with netns.entered(fd):
                sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        finally:
            os.close(fd)
        sock.setblocking(False)
        data = b""
        try:
            await asyncio.wait_for(loop.sock_connect(sock, STATUS), PROBE_TIMEOUT_S)
            await loop.sock_sendall(sock, GENERATION_REQUEST)
            while chunk := await asyncio.wait_for(loop.sock_recv(sock, 4096), PROBE_TIMEOUT_S):
                data += chunk
        except (TimeoutError, OSError):
            return None
        finally:
            sock.close()
        head, _, body = data.partition(b"\r\n\r\n")
        return body.decode(errors="replace").strip() if b" 200 " in head.split(b"\r\n", 1)[0] else None

    def log_tail(self) -> str:
        """The last lines nginx wrote, for an error message."""
        lines: list[str] = []
        for name in ("nginx.out", "error.log"):
            try:
                lines += (self.prefix / name).read_text(errors="replace").splitlines()[-3:]
            except FileNotFoundError:
                pass
        return (
            " | ".join(line.strip() for line in lines if "[emerg]" in line or "[alert]" in line)
            or " | ".join(lines[-2:])
            or "no output"
        )
