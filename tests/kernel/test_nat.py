"""NAT with real traffic: masquerade hides the container, conntrack shows the translation, DNAT maps a port."""

from __future__ import annotations

import json
import subprocess

import pytest

from netcore import names
from netcore.sandbox import lifecycle
from tests.topologies import CONTAINERS, topology

PORT_MAPPED = CONTAINERS.replace(
    "      - {type: masquerade, source: 172.17.0.0/16, out: eth0}",
    "      - {type: masquerade, source: 172.17.0.0/16, out: eth0}\n"
    "      - {type: dnat, protocol: tcp, port: 8080, to: '172.17.0.2:80'}",
)


def run_in(sandbox: str, host: str, *argv: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["ip", "netns", "exec", names.netns_name(sandbox, host), *argv], capture_output=True, text=True, timeout=20
    )


@pytest.fixture
def sandbox(sandbox_name):
    lifecycle.create_sandbox(sandbox_name, topology(PORT_MAPPED))
    yield sandbox_name
    lifecycle.delete_sandbox(sandbox_name)


def test_masquerade_shows_the_host_address_to_the_internet_and_conntrack_keeps_the_truth(sandbox):
    reply = run_in(sandbox, "c1", "curl", "-s", "-m", "3", "http://198.51.100.10/")
    assert json.loads(reply.stdout)["client_address"] == "198.51.100.2"  # not 172.17.0.2
    entries = run_in(sandbox, "host", "conntrack", "-L", "-p", "tcp", "--dport", "80").stdout
    # Original direction from the container, reply direction to the host's address: the translation.
    assert "src=172.17.0.2 dst=198.51.100.10" in entries
    assert "src=198.51.100.10 dst=198.51.100.2" in entries


def test_a_mapped_port_on_the_host_reaches_the_container(sandbox):
    reply = run_in(sandbox, "internet", "curl", "-s", "-m", "3", "http://198.51.100.2:8080/")
    assert reply.stdout == "hello from c1\n"


def test_without_the_masquerade_rule_the_reply_cannot_come_back(sandbox):
    lifecycle.apply_to_sandbox(
        sandbox,
        topology(CONTAINERS.replace("    nat:\n      - {type: masquerade, source: 172.17.0.0/16, out: eth0}\n", "")),
    )
    reply = run_in(sandbox, "c1", "curl", "-s", "-m", "2", "http://198.51.100.10/")
    assert reply.returncode == 28  # curl: timed out; the internet has no route back to 172.17.0.0/16
    assert run_in(sandbox, "host", "nft", "list", "ruleset").stdout == ""
