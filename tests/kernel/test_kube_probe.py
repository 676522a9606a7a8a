"""`podpath probe`: real connections between pods, and the e2e suite's matrix, all at once."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest

from netcore.kube import api
from netcore.kube.probe import matrix, probe_one, render_matrix
from tests.conftest import new_sandbox_name
from tests.kernel.e2e_layout import layout
from tests.kernel.kube_helpers import ClusterSandbox


@pytest.fixture(scope="module")
def cluster():
    name = new_sandbox_name()
    api.create_cluster(name, nodes=2)
    sandbox = ClusterSandbox(name)
    try:
        sandbox.apply(layout())
        yield sandbox
    finally:
        sandbox.delete()


def test_the_full_matrix_connects_everything_without_policies_and_is_fast(cluster):
    started = time.monotonic()
    cells = matrix(cluster.name, ["x", "y", "z"], [80, 81], ["TCP", "UDP"])
    elapsed = time.monotonic() - started
    assert len(cells) == 9 * 9 * 2 * 2
    assert all(c.outcome.connected for c in cells), [c.to_json() for c in cells if not c.outcome.connected][:3]
    udp = next(c for c in cells if c.protocol == "UDP" and c.target == "y/b" and c.port == 81)
    assert udp.outcome.reply == "y-b-81"  # the porter behind the address answered
    assert elapsed < 3.0
    table = render_matrix(cells)
    assert "TCP/80" in table and "UDP/81" in table and "324 connected" not in table
    assert table.count("81 connected, 0 blocked") == 4


def test_the_matrix_through_services(cluster):
    cells = matrix(cluster.name, ["x"], [80], ["TCP"], via="service")
    assert all(c.outcome.connected for c in cells)
    service_ip = cluster.service("s-x-b", "x")["spec"]["clusterIP"]
    assert {c.outcome.probe.ip for c in cells if c.target == "x/b"} == {service_ip}


def test_single_probes_report_how_they_failed(cluster):
    assert probe_one(cluster.name, "x/a", "y/b", 80).outcome.connected
    refused = probe_one(cluster.name, "x/a", "y/b", 82)
    assert not refused.outcome.connected and refused.outcome.detail == "refused"
    silent = probe_one(cluster.name, "x/a", "198.51.100.77", 80, timeout=0.5)
    assert silent.outcome.detail in ("timeout", "unreachable")


def test_the_probe_command_exit_code_and_json(cluster):
    ok = subprocess.run(
        [
            sys.executable,
            "-m",
            "podpath.cli",
            "probe",
            "-s",
            cluster.name,
            "--from",
            "x/a",
            "--to",
            "z/c",
            "--port",
            "81",
            "--protocol",
            "udp",
            "-o",
            "json",
        ],
        capture_output=True,
        text=True,
    )
    assert ok.returncode == 0 and json.loads(ok.stdout)["connected"] is True
    refused = subprocess.run(
        [
            sys.executable,
            "-m",
            "podpath.cli",
            "probe",
            "-s",
            cluster.name,
            "--from",
            "x/a",
            "--to",
            "z/c",
            "--port",
            "82",
        ],
        capture_output=True,
        text=True,
    )
    assert refused.returncode == 1 and "refused" in refused.stdout
