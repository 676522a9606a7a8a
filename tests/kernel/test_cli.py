"""The `podpath` command line, end to end, as a user runs it."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest

PODPATH = [sys.executable, "-m", "podpath.cli"]


def podpath(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*PODPATH, *args], capture_output=True, text=True, timeout=120)


@pytest.fixture
def sandbox(sandbox_name):
    created = podpath("sandbox", "create", sandbox_name, "--lab", "connecting-containers")
    assert created.returncode == 0, created.stderr
    yield sandbox_name
    podpath("sandbox", "delete", sandbox_name)


def test_lab_list_and_show():
    listing = podpath("lab", "list")
    assert listing.returncode == 0
    assert "evolution" in listing.stdout and "connecting-containers" in listing.stdout
    shown = podpath("lab", "show", "evolution")
    assert shown.returncode == 0 and "1. " in shown.stdout and "try on m1" in shown.stdout


def test_create_step_list_exec_reset_delete(sandbox):
    listed = json.loads(podpath("sandbox", "list", "-o", "json").stdout)
    mine = next(s for s in listed if s["name"] == sandbox)
    assert mine["lab"] == "connecting-containers" and mine["step"] == 1 and mine["health"] == "ok"

    stepped = podpath("sandbox", "step", sandbox, "3")
    assert stepped.returncode == 0, stepped.stderr
    assert f"sandbox {sandbox}: connecting-containers step 3/" in stepped.stdout

    # exec passes the command's output and exit code through.
    ran = podpath("exec", "-s", sandbox, "c1", "--", "sh", "-c", "ip -br addr show eth0; exit 3")
    assert ran.returncode == 3
    assert "172.17.0." in ran.stdout

    again = podpath("sandbox", "step", sandbox, "3")
    assert "already up to date (0 operations)" in again.stdout

    reset = podpath("sandbox", "reset", sandbox)
    assert reset.returncode == 0 and "step 1/" in reset.stdout

    deleted = podpath("sandbox", "delete", sandbox)
    assert deleted.returncode == 0 and deleted.stdout.strip() == f"sandbox {sandbox} deleted"
    assert sandbox not in podpath("sandbox", "list").stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("sandbox", "step", "nosuchbox", "2"), "unknown sandbox 'nosuchbox'"),
        (("sandbox", "create", "Bad-Name", "--lab", "evolution"), "invalid sandbox name 'Bad-Name'"),
        (("sandbox", "create", "okname", "--lab", "nosuchlab"), "unknown lab 'nosuchlab'"),
        (("sandbox", "create", "okname", "--lab", "evolution", "--step", "42"), "lab 'evolution' has no step 42"),
        (("exec", "-s", "nosuchbox", "m1", "--", "true"), "unknown sandbox 'nosuchbox'"),
        (("lab", "show", "nosuchlab"), "unknown lab 'nosuchlab'"),
    ],
)
def test_bad_input_is_a_one_line_error_with_exit_code_2(args, message):
    result = podpath(*args)
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0, result.stderr
    assert message in result.stderr


def test_unknown_step_and_host_in_an_existing_sandbox(sandbox):
    step = podpath("sandbox", "step", sandbox, "0")
    assert step.returncode == 2 and "has no step 0" in step.stderr
    host = podpath("exec", "-s", sandbox, "m9", "--", "true")
    assert host.returncode == 2 and "has no host 'm9'" in host.stderr


def test_gc_reports_what_it_removed():
    result = podpath("sandbox", "gc")
    assert result.returncode == 0
    assert result.stdout.startswith(("nothing to collect", "removed "))


def test_a_cluster_labs_commands_to_try_are_printed_with_the_sandboxs_addresses(sandbox_name):
    try:
        created = podpath("sandbox", "create", sandbox_name, "--lab", "kubernetes", "--step", "6")
        assert created.returncode == 0, created.stderr
        assert "{{" not in created.stdout, created.stdout
        assert re.search(
            rf"try: podpath exec -s {sandbox_name} client -- curl -s -m 2 http://10\.\d+\.\d+\.\d+:8080/",
            created.stdout,
        ), created.stdout
    finally:
        podpath("sandbox", "delete", sandbox_name)


def test_the_current_sandbox_serves_commands_until_it_is_deleted(sandbox, tmp_path):
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path)}
    env.pop("PODPATH_SANDBOX", None)

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([*PODPATH, *args], check=False, capture_output=True, text=True, timeout=120, env=env)

    assert run("use", sandbox).returncode == 0
    ran = run("exec", "c1", "--", "ip", "netns", "identify")
    assert ran.returncode == 0 and ran.stdout.strip() == f"pp-{sandbox}-c1"
    assert run("sandbox", "delete", sandbox).returncode == 0
    assert not (tmp_path / "podpath" / "sandbox").exists()
    missing = run("exec", "c1", "--", "true")
    assert missing.returncode == 2 and "no sandbox given" in missing.stderr
