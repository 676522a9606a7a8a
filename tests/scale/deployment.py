"""A deployment on one machine that behaves like several: agents as separate ``podpath agent`` processes
(each its own host id, run directory and capacity), and the web tier's own code run in fresh processes
(``podpath manage shell``), all over the private Redis and PostgreSQL of the session."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

PODPATH = str(Path(sys.executable).with_name("podpath"))


@dataclass
class Deployment:
    root: Path
    env: dict[str, str]
    agents: dict[str, subprocess.Popen] = field(default_factory=dict)

    def run_dir(self, host: str) -> Path:
        return self.root / f"run-{host}"

    def start_agent(self, host: str, sandboxes: int) -> None:
        env = {**self.env, "PODPATH_RUN_DIR": str(self.run_dir(host))}
        log = (self.root / f"agent-{host}.log").open("a")
        self.agents[host] = subprocess.Popen(
            [PODPATH, "agent", "--host-id", host, "--sandboxes", str(sandboxes)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def kill_agent(self, host: str, sig: int = signal.SIGKILL) -> None:
        process = self.agents.pop(host)
        process.send_signal(sig)
        process.wait(timeout=20)

    def web(self, code: str) -> object:
        """Run ``code`` as the web tier would (Django set up, no agent in the process); return what it
        prints as JSON on its last line."""
        result = subprocess.run(
            [PODPATH, "manage", "shell", "-c", code], env=self.env, capture_output=True, text=True, timeout=120
        )
        if result.returncode != 0:
            raise AssertionError(f"web code failed:\n{code}\n{result.stderr}")
        return json.loads(result.stdout.strip().splitlines()[-1])

    def cli(self, *args: str, host: str | None = None) -> subprocess.CompletedProcess:
        env = {**self.env, **({"PODPATH_RUN_DIR": str(self.run_dir(host))} if host else {})}
        return subprocess.run([PODPATH, *args], env=env, capture_output=True, text=True, timeout=300)

    def wait(self, code: str, until, what: str, timeout: float = 120.0):
        deadline = time.monotonic() + timeout
        while True:
            value = self.web(code)
            if until(value):
                return value
            if time.monotonic() > deadline:
                logs = "".join(f"\n--- {log.name}\n" + log.read_text()[-3000:] for log in self.root.glob("agent-*.log"))
                raise AssertionError(f"{what}: still {value!r} after {timeout:.0f} s{logs}")
            time.sleep(0.5)

    def stop(self) -> None:
        for host in list(self.agents):
            process = self.agents.pop(host)
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        # Every sandbox the agents built, by its record, deleted on this kernel directly (the agents are gone).
        local = {key: value for key, value in self.env.items() if key not in ("DATABASE_URL", "REDIS_URL")}
        for run_dir in self.root.glob("run-*"):
            for record in run_dir.glob("*/sandbox.json"):
                subprocess.run(
                    [PODPATH, "sandbox", "delete", record.parent.name],
                    capture_output=True,
                    timeout=120,
                    env={**local, "PODPATH_EMBEDDED_AGENT": "1", "PODPATH_RUN_DIR": str(run_dir)},
                )


def deployment_env(database_url: str, redis_url: str, root: Path) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "PODPATH_EMBEDDED_AGENT": "0",
        "PODPATH_VAR_DIR": str(root / "var"),
        "PODPATH_SECRET_KEY": "scale-tier-only",
        "PODPATH_HEARTBEAT_S": "1",
        "PODPATH_HOST_TIMEOUT_S": "4",
    }
