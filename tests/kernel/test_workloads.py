"""Built-in servers: one runner process serves every host, from sockets inside the namespaces."""

from __future__ import annotations

import json
import os
import subprocess
import time

import pytest

from netcore import names
from netcore.sandbox import lifecycle
from tests.topologies import topology

SERVERS = topology("""
hosts:
  a:
    interfaces: {eth0: {address: 10.0.0.1/24}}
    servers: [{kind: hello, port: 18765, text: hello from a}]
  b:
    interfaces: {eth0: {address: 10.0.0.2/24}}
    servers: [{kind: echo, port: 18766}, {kind: hello, port: 18765}]
links: [[a:eth0, b:eth0]]
""")


def curl(sandbox: str, host: str, url: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["ip", "netns", "exec", names.netns_name(sandbox, host), "curl", "-s", "-m", "3", url],
        capture_output=True,
        text=True,
    )


def runner_processes(sandbox: str) -> list[str]:
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            argv = open(f"/proc/{pid}/cmdline", "rb").read().split(b"\0")
        except OSError:
            continue
        if b"netcore.workloads.runner" in argv and sandbox.encode() in argv:
            found.append(pid)
    return found


@pytest.fixture
def sandbox(sandbox_name):
    lifecycle.create_sandbox(sandbox_name, SERVERS)
    yield sandbox_name
    if names.record_path(sandbox_name).exists():
        lifecycle.delete_sandbox(sandbox_name)


def test_servers_answer_from_their_namespaces_and_echo_reports_the_client(sandbox):
    assert curl(sandbox, "b", "http://10.0.0.1:18765/").stdout == "hello from a\n"
    assert curl(sandbox, "a", "http://10.0.0.2:18765/").stdout == "Hello World\n"
    echo = json.loads(curl(sandbox, "a", "http://b:18766/path?q=1").stdout)
    assert echo["client_address"] == "10.0.0.1"
    assert echo["host"] == "b" and echo["path"] == "/path"
    assert echo["server"] == "10.0.0.2:18766"


def test_one_process_serves_every_host_and_the_root_namespace_does_not_listen(sandbox):
    assert len(runner_processes(sandbox)) == 1
    listening = subprocess.run(["ss", "-Htln", "sport = :18765"], capture_output=True, text=True).stdout
    assert listening.strip() == ""


def test_removing_a_server_closes_its_socket(sandbox):
    without = topology("""
hosts:
  a:
    interfaces: {eth0: {address: 10.0.0.1/24}}
  b:
    interfaces: {eth0: {address: 10.0.0.2/24}}
    servers: [{kind: echo, port: 18766}, {kind: hello, port: 18765}]
links: [[a:eth0, b:eth0]]
""")
    report = lifecycle.apply_to_sandbox(sandbox, without)
    assert report.counts == {"StopServer": 1}
    refused = curl(sandbox, "b", "http://10.0.0.1:18765/")
    assert refused.returncode == 7  # curl: failed to connect (refused at once, nothing listens)


def test_the_runner_exits_by_itself_when_its_sandbox_record_disappears(sandbox):
    [pid] = runner_processes(sandbox)
    names.record_path(sandbox).unlink()
    deadline = time.monotonic() + 5
    while runner_processes(sandbox) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not runner_processes(sandbox)
    lifecycle.collect_garbage()
