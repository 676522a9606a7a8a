"""The learner jail, attacked as a curious student would: from the console, and with raw argv past it.

Two sandboxes on the connecting-containers lab: A is the student's, B another student's. Every attempt
must fail without effect: the machine's secrets stay unread (a secret file the test plants outside the
jail, /etc/shadow, Django's secret key), no file appears outside the jail's own tmpfs, no learner process
survives, and B reads back exactly as before.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import time
from pathlib import Path

import pytest

from agent.jobs import console
from labs import stepper
from netcore import names
from netcore.errors import PodpathError
from netcore.jail.learner import run_learner_command
from netcore.jail.policy import LEARNER
from netcore.kernel.netns import list_names, path_of
from netcore.kernel.run import run_in_namespace
from netcore.sandbox import lifecycle
from podpath import settings
from tests.conftest import new_sandbox_name

LAB, STEP = "connecting-containers", 3  # c1 and c2 on a bridge, the host with a web server in c2
CHECKOUT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def two_sandboxes():
    mine, theirs = new_sandbox_name(), new_sandbox_name()
    for name in (mine, theirs):
        stepper.lab_start(sandbox=name, lab_id=LAB, step=STEP)
    try:
        yield mine, theirs
    finally:
        for name in (mine, theirs):
            lifecycle.delete_sandbox(name)


@pytest.fixture(scope="module")
def planted_secret():
    """A secret only root can read, in places a learner would look: root's home and the checkout."""
    value = "pp-secret-" + secrets.token_hex(12)
    paths = [Path("/root") / f".podpath-test-{secrets.token_hex(4)}", CHECKOUT / "var" / f"test-{secrets.token_hex(4)}"]
    for path in paths:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(value + "\n")
    yield value, paths
    for path in paths:
        path.unlink()


def learner_processes(sandbox: str) -> list[int]:
    """PIDs running as the learner account inside this sandbox's namespaces (none may outlive its command).

    Told apart by network namespace, so a learner command of another test run on the machine is not
    counted."""
    uid = int(subprocess.run(["id", "-u", LEARNER], capture_output=True, text=True, check=True).stdout)
    mine = {os.stat(path_of(ns)).st_ino for ns in list_names(names.sandbox_prefix(sandbox))}
    return [int(pid) for pid in os.listdir("/proc") if pid.isdigit() and owner(pid) == uid and netns_of(pid) in mine]


def netns_of(pid: str) -> int | None:
    try:
        return os.stat(f"/proc/{pid}/ns/net").st_ino
    except (FileNotFoundError, PermissionError):
        return None


def owner(pid: str) -> int | None:
    try:
        return os.stat(f"/proc/{pid}").st_uid
    except FileNotFoundError:
        return None


def run_line(sandbox: str, line: str, target: str = "c1") -> dict:
    """Type a line into the console as the student would (the agent's console job)."""
    try:
        return console(sandbox=sandbox, target=target, line=line, progress=lambda *_: None)
    except PodpathError as error:
        return {"exit": None, "output": f"refused: {error}"}


def run_raw(sandbox: str, argv: list[str], timeout: float = 5, max_output: int = 64 * 1024):
    """Run argv in the jail directly, past the console's teaching list: the jail alone is the boundary."""
    return run_learner_command(names.netns_name(sandbox, "c1"), argv, timeout=timeout, max_output=max_output)


def secrets_of_machine(planted: str) -> list[str]:
    shadow = [line for line in Path("/etc/shadow").read_text().splitlines() if line.split(":")[1] not in ("", "*", "!")]
    return [planted, settings.SECRET_KEY, *(line.split(":")[1] for line in shadow)]


@pytest.fixture
def guard(two_sandboxes, planted_secret):
    """Check, around each attempt, that nothing leaked, appeared or survived, and B is unchanged."""
    mine, theirs = two_sandboxes
    before = lifecycle.read_sandbox_state(theirs)
    outputs: list[str] = []
    yield mine, theirs, outputs
    for output in outputs:
        for secret in secrets_of_machine(planted_secret[0]):
            assert secret not in output, "a secret of the machine was read"
    for path in ("/tmp/x", "/etc/cron.d/podpath-x", str(CHECKOUT / "var" / "x"), "/root/x", "/tmp/name"):
        assert not os.path.exists(path), f"{path} was written"
    deadline = time.monotonic() + 2
    while learner_processes(mine) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert learner_processes(mine) == [], "a learner process outlived its command"
    assert lifecycle.read_sandbox_state(theirs).differences(before) == []


ATTEMPTS_FROM_THE_ISSUE = [
    "curl -s file:///etc/shadow",
    "curl -s file://{checkout}/var/secret.key",
    "curl -s file://{planted}",
    "dig -f/etc/hostname",
    "dig -f {planted}",
    "wget -q --output-document=/tmp/x http://172.17.0.3/",
    "curl -v --stderr /tmp/x http://172.17.0.3/",
    "curl --output-dir /tmp --remote-name-all http://172.17.0.3/name",
    "curl -K {planted} http://172.17.0.3/",
    "curl --config {planted} http://172.17.0.3/",
    "wget -i {planted}",
    "wget -O /tmp/x http://172.17.0.3/",
    "nc -e /bin/sh 172.17.0.3 80 -w 1",
    "ss -N pp-{theirs}-c1 -tan",
    "ip netns exec pp-{theirs}-c1 ip addr",
    "nsenter -t 1 -n ip addr",
    "nft flush ruleset",
    "sysctl -w net.ipv4.ip_forward=1",
    "ip link set eth0 down",
    "cat /etc/shadow",
]


@pytest.mark.parametrize("template", ATTEMPTS_FROM_THE_ISSUE)
def test_console_lines_cannot_read_secrets_write_files_or_reach_another_sandbox(guard, planted_secret, template):
    mine, theirs, outputs = guard
    line = template.format(checkout=CHECKOUT, planted=planted_secret[1][1], theirs=theirs)
    outputs.append(run_line(mine, line)["output"])


RAW_ATTEMPTS = [
    ["cat", "/etc/shadow"],
    ["sh", "-c", "cat /root/* /root/.podpath-test-*"],
    ["sh", "-c", "ls / /run /var /work /root 2>&1; cat /proc/1/root/etc/shadow"],
    ["sh", "-c", "echo x > /tmp/x && echo x > /etc/cron.d/podpath-x; echo x > /root/x"],
    ["sh", "-c", "echo 1 > /proc/sys/net/ipv4/ip_forward; echo 1 > /sys/class/net/eth0/mtu"],
    ["curl", "-s", "-o", "/etc/podpath-x", "http://172.17.0.3/"],
    ["ip", "netns", "exec", "pp-{theirs}-c1", "id"],
    ["ip", "link", "add", "x0", "type", "veth", "peer", "name", "x1"],
    ["nsenter", "--net=/proc/1/ns/net", "ip", "addr"],
    ["nft", "add", "table", "inet", "x"],
    ["ss", "-N", "pp-{theirs}-c1", "-tan"],
    ["sh", "-c", "cat /proc/self/mountinfo"],
    ["unshare", "-U", "-r", "-n", "nft", "add", "table", "inet", "x"],
]


@pytest.mark.parametrize("argv", [["unshare", "-U", "-r", "id"], ["unshare", "-U", "-r", "-m", "sh", "-c", "id"]])
def test_no_user_namespace_can_be_made_in_the_jail(two_sandboxes, argv):
    """A user namespace would give "root" over nftables and mounts of its own: the usual door to kernel bugs."""
    mine, _ = two_sandboxes
    result = run_raw(mine, argv)
    assert result.exit_code != 0 and "uid=0" not in result.text(), result.text()


@pytest.mark.parametrize("argv", RAW_ATTEMPTS, ids=lambda argv: " ".join(argv)[:40])
def test_raw_commands_in_the_jail_have_no_effect_outside_it(guard, argv):
    mine, theirs, outputs = guard
    result = run_raw(mine, [part.format(theirs=theirs) for part in argv])
    outputs.append(result.text())
    assert theirs not in result.text() or "Cannot open" in result.text() or "No such file" in result.text()


def test_a_jailed_command_is_an_unprivileged_learner_with_its_own_root(two_sandboxes):
    mine, _ = two_sandboxes
    status = dict(line.split(":", 1) for line in run_raw(mine, ["cat", "/proc/self/status"]).text().splitlines())
    uid = subprocess.run(["id", "-u", LEARNER], capture_output=True, text=True).stdout.strip()
    assert status["Uid"].split() == [uid] * 4
    for capabilities in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"):
        assert int(status[capabilities], 16) == 0, capabilities
    assert status["NoNewPrivs"].strip() == "1" and status["Seccomp"].strip() == "2"
    assert sorted(run_raw(mine, ["ls", "/"]).text().split()) == [
        "bin",
        "dev",
        "etc",
        "lib",
        "lib64",
        "proc",
        "sbin",
        "sys",
        "tmp",
        "usr",
    ]
    # A fresh /proc of its own PID namespace: the command is PID 1 and sees nothing of the machine.
    assert run_raw(mine, ["sh", "-c", "ls /proc | grep -c '^[0-9]'"]).text().strip() in ("2", "3")
    # The sandbox host's resolver, not the machine's.
    assert (
        Path(names.etc_netns_dir(names.netns_name(mine, "c1")), "resolv.conf").read_text()
        == run_raw(mine, ["cat", "/etc/resolv.conf"]).text()
    )


def test_the_jail_reaches_its_own_sandbox_and_ping_works_without_raw_sockets(two_sandboxes):
    mine, _ = two_sandboxes
    assert run_raw(mine, ["curl", "-s", "-m", "2", "http://172.17.0.3/"]).exit_code == 0
    ping = run_raw(mine, ["ping", "-c", "1", "-W", "1", "172.17.0.3"])
    assert ping.exit_code == 0, ping.text()


def test_a_fork_bomb_is_contained_and_ended_by_the_wall_clock(guard):
    mine, _, outputs = guard
    started = time.monotonic()
    result = run_raw(mine, ["sh", "-c", "b() { b | b & }; b"], timeout=3)
    assert time.monotonic() - started < 8
    outputs.append(result.text())


def test_sleeping_forever_is_stopped_and_huge_output_is_cut(guard):
    mine, _, outputs = guard
    started = time.monotonic()
    result = run_raw(mine, ["sleep", "infinity"], timeout=1.5)
    assert result.timed_out and result.exit_code == 124 and time.monotonic() - started < 6
    result = run_raw(mine, ["yes"], timeout=5, max_output=4096)
    assert result.truncated and len(result.output) == 4096 and "output cut" in result.text()
    result = run_raw(mine, ["sh", "-c", "head -c 100000000 /dev/zero > /tmp/big; ls -l /tmp/big"])
    assert result.exit_code != 0 or "100000000" not in result.text()  # the file-size limit stops it
    outputs.append(result.text())


def test_the_console_reads_nftables_and_conntrack_through_podpaths_own_view(two_sandboxes):
    mine, _ = two_sandboxes
    host = names.netns_name(mine, "host")
    assert (
        run_line(mine, "nft list ruleset", target="host")["output"]
        == run_in_namespace(host, ["nft", "list", "ruleset"], timeout=5).text()
    )
    listing = run_line(mine, "conntrack -L -p tcp", target="host")
    assert listing["exit"] == 0 and "flow entries have been shown" in listing["output"]
    # In the jail itself, the same listings are refused: they need CAP_NET_ADMIN, which no learner gets.
    assert run_learner_command(host, ["nft", "-c", "list", "ruleset"], timeout=5).exit_code != 0
    # A listing with arguments outside the read-only grammar goes to the jail, where the kernel refuses it.
    denied = run_raw(mine, ["nft", "list", "ruleset", "-f", "/etc/shadow"])
    assert denied.exit_code != 0


def test_a_trusted_probe_still_runs_as_root(two_sandboxes):
    mine, _ = two_sandboxes
    assert run_in_namespace(names.netns_name(mine, "host"), ["id", "-u"], timeout=5).text().strip() == "0"


def test_without_the_learner_account_the_console_refuses_rather_than_run_unjailed(two_sandboxes, monkeypatch):
    mine, _ = two_sandboxes
    monkeypatch.setattr("netcore.jail.policy.LEARNER", "podpath-nobody-here")
    answer = run_line(mine, "ip addr show")
    assert answer["exit"] is None and "podpath-nobody-here" in answer["output"] and "bootstrap" in answer["output"]
