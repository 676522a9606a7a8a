"""Private PostgreSQL and Redis instances for the scale tier: loopback only, own data directory under a
temporary directory, own port; stopped by PID and removed afterwards. Never the machine's services."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def postgres_bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not found:
        raise RuntimeError(f"PostgreSQL's {name} is missing: scripts/bootstrap --test installs it")
    return found[-1]


def wait_for(check, what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not come up within {timeout:.0f} s")


@dataclass
class Services:
    root: Path
    database_url: str
    redis_url: str
    processes: list[subprocess.Popen]

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        shutil.rmtree(self.root, ignore_errors=True)


def start_services() -> Services:
    root = Path(tempfile.mkdtemp(prefix="podpath-scale-"))
    root.chmod(0o755)
    processes: list[subprocess.Popen] = []
    try:
        # PostgreSQL refuses to run as root: its data directory belongs to the postgres account.
        data = root / "pg"
        data.mkdir()
        account = pwd.getpwnam("postgres")
        os.chown(data, account.pw_uid, account.pw_gid)
        subprocess.run(
            [
                postgres_bin("initdb"),
                "-D",
                str(data),
                "--username=podpath",
                "--auth=trust",
                "--encoding=UTF8",
                "--no-sync",
            ],
            user="postgres",
            check=True,
            capture_output=True,
        )
        pg_port = free_port()
        processes.append(
            subprocess.Popen(
                [
                    postgres_bin("postgres"),
                    "-D",
                    str(data),
                    "-p",
                    str(pg_port),
                    "-k",
                    str(data),
                    "-c",
                    "listen_addresses=127.0.0.1",
                    "-c",
                    "fsync=off",
                    "-c",
                    "max_connections=200",
                ],
                user="postgres",
                stdout=subprocess.DEVNULL,
                stderr=(root / "postgres.log").open("w"),
            )
        )
        wait_for(
            lambda: (
                subprocess.run(
                    [postgres_bin("pg_isready"), "-h", "127.0.0.1", "-p", str(pg_port)], capture_output=True
                ).returncode
                == 0
            ),
            "PostgreSQL",
        )
        subprocess.run(
            [postgres_bin("createdb"), "-h", "127.0.0.1", "-p", str(pg_port), "-U", "podpath", "podpath"],
            check=True,
            capture_output=True,
        )
        redis_port = free_port()
        processes.append(
            subprocess.Popen(
                [
                    shutil.which("redis-server") or "/usr/bin/redis-server",
                    "--port",
                    str(redis_port),
                    "--bind",
                    "127.0.0.1",
                    "--dir",
                    str(root),
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--daemonize",
                    "no",
                ],
                stdout=(root / "redis.log").open("w"),
                stderr=subprocess.STDOUT,
            )
        )

        def redis_up() -> bool:
            try:
                with socket.create_connection(("127.0.0.1", redis_port), timeout=1) as conn:
                    conn.sendall(b"PING\r\n")
                    return conn.recv(16).startswith(b"+PONG")
            except OSError:
                return False

        wait_for(redis_up, "Redis")
    except BaseException:
        Services(root, "", "", processes).stop()
        raise
    return Services(
        root, f"postgres://podpath@127.0.0.1:{pg_port}/podpath", f"redis://127.0.0.1:{redis_port}/0", processes
    )
